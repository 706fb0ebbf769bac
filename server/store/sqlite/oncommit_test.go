package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/store"
)

// What a job keeps beside the database (the outbox's claims) changes
// only once its batch commits: never for a job that failed, isolated
// (rolled back to its savepoint) or not.
func TestOnCommitOnlyAfterCommit(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, c := range []struct {
		isolated bool
		fail     bool
	}{{true, true}, {false, true}, {true, false}, {false, false}} {
		ran := false
		_, err := d.submit(ctx, c.isolated, func(t *wtx) (any, error) {
			t.onCommit(func() { ran = true })
			if c.fail {
				return nil, errors.New("the job failed")
			}
			return nil, nil
		})
		if (err != nil) != c.fail || ran == c.fail {
			t.Errorf("isolated %v, failed %v: err %v, ran %v", c.isolated, c.fail, err, ran)
		}
	}
}

// Two claims in one batch (the writer gathers jobs for MaxDelay) never
// take the same event: the first one's claims are not in DB.claims until
// the batch commits.
func TestClaimsInOneBatchApart(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "db"), Options{MaxDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	now := time.Now()
	var evs []store.OutboxEvent
	for i := range 5 {
		evs = append(evs, store.OutboxEvent{EventID: fmt.Sprint("e", i), Kind: "user.online", Body: []byte(`{}`), Created: now.UnixMilli()})
	}
	if err := d.EnqueueEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([][]store.OutboxEvent, 2)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _ = d.ClaimEvents(ctx, "n", now, time.Minute, 10)
		}()
	}
	wg.Wait()
	if n := len(got[0]) + len(got[1]); n != 5 {
		t.Fatalf("claimed %d and %d of 5 events", len(got[0]), len(got[1]))
	}
}
