package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/storetest"
)

func TestReopenKeepsEverythingAndBackup(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "im.db")
	d, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	conv := store.PrivateConvID("alice", "bob")
	for i := 0; i < 50; i++ {
		d.Append(ctx, conv, msg("alice", "bob", fmt.Sprint(i)))
	}
	v, _, _ := d.Changes(ctx, "bob", 0)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := d.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	d.Close()
	for _, p := range []string{path, backup} {
		d2 := open(t, p)
		ms, _, last, err := d2.Pull(ctx, "bob", conv, 0, 100, time.Time{}, 1000)
		if err != nil || len(ms) != 50 || last != 50 {
			t.Fatalf("%s: %d messages, last %d, %v", p, len(ms), last, err)
		}
		if v2, _, _ := d2.Changes(ctx, "bob", 0); v2 != v {
			t.Fatalf("%s: version %d, want %d", p, v2, v)
		}
		m, _, _ := d2.Append(ctx, conv, msg("alice", "bob", "new"))
		if m.Seq != 51 {
			t.Fatalf("%s: seq after reopen %d", p, m.Seq)
		}
	}
}

// Under a stream of commits that never pauses, the background checkpoint
// never catches up with the writer; without the writer's own checkpoint
// the WAL was never rewound and grew without bound.
func TestWALStaysBoundedUnderSteadyWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("writes for a while: runs without -short")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "im.db")
	d, err := Open(ctx, path, Options{CheckpointEvery: 5 * time.Millisecond, RewindFrames: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var wg sync.WaitGroup
	var maxWAL int64
	stop, watched := make(chan struct{}), make(chan struct{})
	go func() { // watch the WAL's size while the writers run
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				if fi, err := os.Stat(path + "-wal"); err == nil {
					maxWAL = max(maxWAL, fi.Size())
				}
			}
		}
	}()
	// Enough producers that the writer always has a batch waiting, as
	// under real load.
	for w := 0; w < 256; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 80; i++ {
				from, to := fmt.Sprint("u", w), fmt.Sprint("v", i%50)
				if _, _, err := d.Append(ctx, store.PrivateConvID(from, to), msg(from, to, fmt.Sprintf("%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-watched
	// 20,480 messages write well over 20,000 pages (~80 MB) to the WAL; rewound
	// every 64 pages or so (plus what comes during the passes before a
	// rewind) it stays a small multiple of that (5-10 MB; 26 MB seen on a
	// machine busy with other tests, the checkpoint's ticks late); not
	// rewound, ~60 MB.
	if maxWAL > 40<<20 {
		t.Fatalf("the WAL grew to %d bytes: it is not being rewound", maxWAL)
	}
	t.Logf("largest WAL seen: %d bytes", maxWAL)
}

// A data folder whose name holds URI syntax still opens, and the file is
// created where it was asked for.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%41 d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "im.db")
	d := open(t, path)
	from, to := "u", "v"
	if _, _, err := d.Append(context.Background(), store.PrivateConvID(from, to), msg(from, to, "c1")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at %s: %v", path, err)
	}
}

// A panic outside the jobs (here: a corrupt head cache met by flushHeads)
// fails that batch with an error; the writer goes on with the next.
func TestWriterSurvivesAPanicInABatch(t *testing.T) {
	ctx := context.Background()
	d := open(t, "")
	_, err := d.submit(ctx, false, func(t *wtx) (any, error) {
		t.convs["broken"] = nil // flushHeads dereferences it
		t.touched["broken"] = true
		return nil, nil
	})
	if err == nil {
		t.Fatal("the broken batch reported success")
	}
	from, to := "u", "v"
	m, _, err := d.Append(ctx, store.PrivateConvID(from, to), msg(from, to, "after"))
	if err != nil || m.Seq != 1 {
		t.Fatalf("append after the panic: %+v, %v", m, err)
	}
}

// The conformance suite (server/store/storetest) on this store.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	paths := map[*DB]string{}
	openAt := func(t *testing.T, path string, now func() time.Time) *DB {
		d, err := Open(context.Background(), path, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		mu.Lock()
		paths[d] = path
		mu.Unlock()
		return d
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			return openAt(t, filepath.Join(t.TempDir(), "im.db"), now)
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			d := s.(*DB)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			path := paths[d]
			mu.Unlock()
			return openAt(t, path, d.opts.Now)
		},
	})
}

func open(t *testing.T, path string) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "im.db")
	}
	d, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// The suite's helpers, for this package's own tests.
var (
	msg           = storetest.Msg
	ntf           = storetest.Ntf
	createGroup   = storetest.CreateGroup
	changeMembers = storetest.ChangeMembers
	mention       = storetest.Mention
	countsOf      = storetest.CountsOf
)
