package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
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
