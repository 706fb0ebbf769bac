// Command importgen writes a synthetic export for imwasm import's
// benchmark (BENCHMARKS.md) on standard output:
//
//	go run ./internal/importgen/cmd/importgen --messages 100000 > export.jsonl
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/imwasm/imwasm/internal/importgen"
)

func main() {
	var s importgen.Spec
	flag.StringVar(&s.Prefix, "prefix", "", "before every id, so several exports do not meet")
	flag.IntVar(&s.Users, "users", 200, "users")
	flag.IntVar(&s.Groups, "groups", 50, "groups of ten (the first conversations)")
	flag.IntVar(&s.Conversations, "conversations", 1000, "conversations")
	flag.IntVar(&s.Messages, "messages", 100_000, "messages")
	flag.Parse()
	s.Start = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := importgen.Write(os.Stdout, s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
