package files

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{NewID(), true},
		{strings.Repeat("a", 26), true},
		{strings.Repeat("a", 25), false},
		{strings.Repeat("A", 26), false},
		{"../../../../../etc/passwd", false},
		{strings.Repeat("a", 21) + ".json", false},
		{strings.Repeat("1", 26), false}, // base32 has no 0, 1, 8, 9
	} {
		if got := ValidID(c.id); got != c.ok {
			t.Errorf("ValidID(%q) = %v", c.id, got)
		}
	}
}

func TestDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".upload-left-by-a-crash"), []byte("x"), 0o600)
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".upload-left-by-a-crash")); !os.IsNotExist(err) {
		t.Fatal("an interrupted upload was left behind")
	}
	body := bytes.Repeat([]byte("ab"), 1000)
	var head []byte
	m, err := d.Create(ctx, Meta{Name: "a.bin"}, bytes.NewReader(body), 2000, func(h []byte, m *Meta) {
		head = h
		m.Type = "application/x-test"
	})
	if err != nil || m.Size != 2000 || m.Type != "application/x-test" || !ValidID(m.ID) || len(head) != 512 {
		t.Fatalf("create: %+v %v (head %d)", m, err, len(head))
	}
	f, got, err := d.Open(ctx, m.ID)
	if err != nil || got != m {
		t.Fatalf("open: %+v %v", got, err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(b, body) {
		t.Fatal("bytes differ")
	}
	// What is on disk: the file and its metadata, nothing else.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("%d entries on disk", len(entries))
	}
	if err := d.Delete(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("%d entries on disk after the delete", len(entries))
	}
}

func TestDiskSweepsAndSkips(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orphan := NewID()
	os.WriteFile(filepath.Join(dir, orphan), []byte("no metadata"), 0o600)
	broken := NewID()
	os.WriteFile(filepath.Join(dir, broken), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, broken+".json"), nil, 0o600) // a torn write
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, orphan)); !os.IsNotExist(err) {
		t.Fatal("a file without metadata was kept")
	}
	good, err := d.Create(ctx, Meta{Name: "g"}, strings.NewReader("good"), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	if err := d.Walk(ctx, func(m Meta) error { seen = append(seen, m.ID); return nil }); err != nil {
		t.Fatalf("walk stopped at an unreadable entry: %v", err)
	}
	if len(seen) != 1 || seen[0] != good.ID {
		t.Fatalf("walk %v", seen)
	}
}
