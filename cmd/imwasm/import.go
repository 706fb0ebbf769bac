package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/imwasm/imwasm/server"
	"github.com/imwasm/imwasm/server/auth"
)

// importPart bounds what one POST /v1/import carries (the server takes at
// most 1 MiB).
const importPart = 900 << 10

// importSummary is the server's answer to one part (server.ImportSummary
// in the admin API's envelope).
type importSummary struct {
	Code int                  `json:"code"`
	Msg  string               `json:"msg"`
	Data server.ImportSummary `json:"data"`
}

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", "--url http://host:port --app-secret SECRET FILE", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "the running server to import into")
	secret := fs.String("app-secret", "", "the server's app secret, to mint an app-server token (env "+envName("app-secret")+")")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	pos, err := parseFlags(fs, args, "app-secret")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("one FILE (JSON lines; - for standard input) is required")
	}
	if err := checkSecret(*secret); err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	im := &importRun{url: strings.TrimSuffix(*url, "/") + "/v1/import", secret: *secret, client: &http.Client{Timeout: 5 * time.Minute},
		total: server.ImportSummary{Lines: map[string]int{}, Added: map[string]int{}, Existing: map[string]int{}}, start: time.Now(), stderr: stderr}
	if !*quiet {
		im.progress = stderr
	}
	if err := im.run(ctx, in); err != nil {
		return err
	}
	im.report(stdout)
	if im.total.Refused > 0 {
		return fmt.Errorf("%d lines refused", im.total.Refused)
	}
	return nil
}

// importRun sends a file in parts, in order, and adds up the answers.
type importRun struct {
	url, secret string
	client      *http.Client
	progress    io.Writer // nil: --quiet
	stderr      io.Writer
	total       server.ImportSummary
	start       time.Time
}

func (im *importRun) run(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), importPart)
	var part bytes.Buffer
	first, n := 1, 0
	for sc.Scan() {
		n++
		if part.Len() > 0 && part.Len()+len(sc.Bytes())+1 > importPart {
			if err := im.send(ctx, &part, first); err != nil {
				return err
			}
			first = n
		}
		part.Write(sc.Bytes())
		part.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading line %d: %w", n+1, err)
	}
	if part.Len() > 0 {
		return im.send(ctx, &part, first)
	}
	return nil
}

// send posts one part whose first line is line first, and empties it.
func (im *importRun) send(ctx context.Context, part *bytes.Buffer, first int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s?line=%d", im.url, first), bytes.NewReader(part.Bytes()))
	if err != nil {
		return err
	}
	// A token per part: an import may outlast any one token.
	tok, err := auth.NewToken([]byte(im.secret), "admin", 10*time.Minute, true, time.Now())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := im.client.Do(req)
	if err != nil {
		return fmt.Errorf("import from line %d: %w", first, err)
	}
	defer resp.Body.Close()
	var out importSummary
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("import from line %d: %s: %w", first, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || out.Code != 0 {
		return fmt.Errorf("import from line %d: %s: %d %s", first, resp.Status, out.Code, out.Msg)
	}
	part.Reset()
	t := &im.total
	for k, v := range out.Data.Lines {
		t.Lines[k] += v
	}
	for k, v := range out.Data.Added {
		t.Added[k] += v
	}
	for k, v := range out.Data.Existing {
		t.Existing[k] += v
	}
	t.Refused += out.Data.Refused
	for _, e := range out.Data.Errors {
		fmt.Fprintf(im.stderr, "line %d refused: %d %s\n", e.Line, e.Code, e.Error) // even when --quiet
		if len(t.Errors) < 100 {
			t.Errors = append(t.Errors, e)
		}
	}
	if im.progress != nil {
		lines := 0
		for _, v := range t.Lines {
			lines += v
		}
		el := time.Since(im.start)
		fmt.Fprintf(im.progress, "%d lines in %.1fs: %d messages added, %d existing, %d refused\n",
			lines, el.Seconds(), t.Added["message"], t.Existing["message"], t.Refused)
	}
	return nil
}

// report prints the summary: per kind, lines, added and existing.
func (im *importRun) report(w io.Writer) {
	el := time.Since(im.start)
	fmt.Fprintf(w, "imported in %.1fs\n", el.Seconds())
	for _, k := range slices.Sorted(maps.Keys(im.total.Lines)) {
		fmt.Fprintf(w, "  %-10s %8d lines  %8d added  %8d existing\n", k, im.total.Lines[k], im.total.Added[k], im.total.Existing[k])
	}
	fmt.Fprintf(w, "  refused    %8d lines\n", im.total.Refused)
	if n := im.total.Added["message"]; n > 0 {
		fmt.Fprintf(w, "  %.0f messages added per second\n", float64(n)/el.Seconds())
	}
}
