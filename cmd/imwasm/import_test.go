package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/importgen"
	"github.com/imwasm/imwasm/server"
)

// imwasm import against a real server: 100,000 messages in 1,000
// conversations (950 private, 50 groups), in time order across
// conversations as a vendor's export lists them; then again, adding
// nothing. (Under the race detector, which makes SQLite ten times slower,
// 10,000: make test runs this test once more without it, at full size.)

const (
	importUsers  = 200
	importGroups = 50
	importConvs  = 1000
)

// writeImportFile writes the export and answers its path.
func writeImportFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = importgen.Write(f, importgen.Spec{Users: importUsers, Groups: importGroups, Conversations: importConvs,
		Messages: importMsgs, Start: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportCommand(t *testing.T) {
	clearEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	srv, err := server.New(ctx, server.Config{AppKey: "k", AppSecret: flagSecret, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	defer func() { cancel(); <-done; srv.Close() }()
	url := "http://" + ln.Addr().String()
	file := writeImportFile(t)

	code, out, stderr := runCLI(t, "import", "--url", url, "--app-secret", flagSecret, file)
	if code != 0 {
		t.Fatalf("import: code %d\n%s\n%s", code, out, stderr)
	}
	sum := importSummaryOf(t, out)
	for kind, want := range map[string][3]int{"message": {importMsgs, importMsgs, 0}, "group": {importGroups, importGroups, 0},
		"user": {importUsers, importUsers, 0}} {
		if sum[kind] != want {
			t.Errorf("%s: lines, added, existing %v, want %v\n%s", kind, sum[kind], want, out)
		}
	}
	if !strings.Contains(out, "refused           0 lines") {
		t.Errorf("refusals:\n%s", out)
	}
	if !strings.Contains(stderr, "messages added") {
		t.Errorf("no progress on stderr: %q", stderr)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() (n, convs int) {
		t.Helper()
		if err := db.QueryRow(`SELECT count(*), count(DISTINCT conv_id) FROM messages WHERE uid LIKE '%EXP-%'`).Scan(&n, &convs); err != nil {
			t.Fatal(err)
		}
		return n, convs
	}
	if n, convs := count(); n != importMsgs || convs != importConvs {
		t.Fatalf("%d messages in %d conversations stored, want %d in %d", n, convs, importMsgs, importConvs)
	}
	var maxID int64
	db.QueryRow(`SELECT max(id) FROM messages`).Scan(&maxID)

	// Again: every line exists, nothing is written.
	code, out, stderr = runCLI(t, "import", "--url", url, "--app-secret", flagSecret, "--quiet", file)
	if code != 0 || stderr != "" {
		t.Fatalf("second import: code %d\n%s\n%s", code, out, stderr)
	}
	if sum := importSummaryOf(t, out); sum["message"] != [3]int{importMsgs, 0, importMsgs} || sum["group"] != [3]int{importGroups, 0, importGroups} {
		t.Errorf("second run:\n%s", out)
	}
	var maxAfter int64
	db.QueryRow(`SELECT max(id) FROM messages`).Scan(&maxAfter)
	if n, _ := count(); n != importMsgs || maxAfter != maxID {
		t.Fatalf("after the second import: %d messages, last row %d (was %d)", n, maxAfter, maxID)
	}

	// A bad line is refused with its line number, and the exit code says so.
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte(`{"kind":"user","userId":"ok"}`+"\n"+`{"kind":"message","messageUId":"Z"}`+"\n"), 0o600)
	code, out, stderr = runCLI(t, "import", "--url", url, "--app-secret", flagSecret, bad)
	if code != 1 || !strings.Contains(stderr, "line 2 refused") || !strings.Contains(stderr, "1 lines refused") {
		t.Fatalf("bad file: code %d\n%s\n%s", code, out, stderr)
	}
}

// importSummaryOf reads the summary's "KIND N lines N added N existing"
// lines.
func importSummaryOf(t *testing.T, out string) map[string][3]int {
	t.Helper()
	sum := map[string][3]int{}
	for _, l := range strings.Split(out, "\n") {
		var kind string
		var n [3]int
		if _, err := fmt.Sscanf(strings.TrimSpace(l), "%s %d lines %d added %d existing", &kind, &n[0], &n[1], &n[2]); err == nil {
			sum[kind] = n
		}
	}
	return sum
}
