package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/pgtest"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/storetest"
)

// nodes opens n stores on one new database, as n server nodes would.
func nodes(t *testing.T, pg *pgtest.Server, n int) []*DB {
	t.Helper()
	dsn := pg.CreateDB(t)
	out := make([]*DB, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range out {
		wg.Add(1)
		go func() { // together: the migration lock takes them in turn
			defer wg.Done()
			out[i], errs[i] = Open(context.Background(), dsn, Options{Node: uint16(i + 1)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
		t.Cleanup(func() { out[i].Close() })
	}
	return out
}

// Two nodes append to one conversation at once, and every message is also
// resent through the other node: sequence numbers are gapless and follow
// the sent times, each message is stored once, and a resend returns the
// message first stored.
func TestAppendAcrossNodesIsGaplessAndDeduplicated(t *testing.T) {
	ctx := context.Background()
	both := nodes(t, pgtest.Start(t), 2)
	conv := store.PrivateConvID("alice", "bob")
	const senders, each = 6, 25
	type sent struct {
		m        *pb.Message
		resend   *pb.Message
		resendUp bool
	}
	results := make([][]sent, senders)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from, to := "alice", "bob"
			if s%2 == 1 {
				from, to = to, from
			}
			for i := range each {
				cid := fmt.Sprint("c", s, "-", i)
				first, second := both[s%2], both[(s+1)%2]
				m, dup, err := first.Append(ctx, conv, storetest.Msg(from, to, cid))
				if err != nil || dup {
					t.Errorf("append %s: %v dup=%v", cid, err, dup)
					return
				}
				again, dup, err := second.Append(ctx, conv, storetest.Msg(from, to, cid))
				if err != nil {
					t.Errorf("resend %s: %v", cid, err)
					return
				}
				results[s] = append(results[s], sent{m, again, dup})
			}
		}()
	}
	wg.Wait()
	bySeq := map[uint64]*pb.Message{}
	for _, rs := range results {
		for _, r := range rs {
			if !r.resendUp || r.resend.Uid != r.m.Uid || r.resend.Seq != r.m.Seq || r.resend.SentTime != r.m.SentTime {
				t.Fatalf("resend of %s: dup=%v %v, first %v", r.m.ClientMsgId, r.resendUp, r.resend, r.m)
			}
			if prev := bySeq[r.m.Seq]; prev != nil {
				t.Fatalf("seq %d given twice: %s and %s", r.m.Seq, prev.ClientMsgId, r.m.ClientMsgId)
			}
			bySeq[r.m.Seq] = r.m
		}
	}
	const n = senders * each
	for s := uint64(1); s <= n; s++ {
		m := bySeq[s]
		if m == nil {
			t.Fatalf("seq %d missing", s)
		}
		if s > 1 && m.SentTime <= bySeq[s-1].SentTime {
			t.Fatalf("sent time not increasing at seq %d", s)
		}
	}
	// What a device pulls is the same, from either node.
	for i, d := range both {
		ms, _, last, err := d.Pull(ctx, "bob", conv, 0, 1000, time.Time{}, 0)
		if err != nil || len(ms) != n || last != n {
			t.Fatalf("node %d: pulled %d, last %d, %v", i+1, len(ms), last, err)
		}
		for j, m := range ms {
			if m.Seq != uint64(j+1) || m.Uid != bySeq[m.Seq].Uid {
				t.Fatalf("node %d: message %d is %d %s", i+1, j, m.Seq, m.Uid)
			}
		}
	}
}

// A transaction holding a sync version it has not committed holds back
// every later one: a reader meanwhile sees neither, so the cursor it keeps
// cannot pass the first and lose it.
func TestSyncVersionsCommitInOrder(t *testing.T) {
	ctx := context.Background()
	both := nodes(t, pgtest.Start(t), 2)
	first, second := both[0], both[1]
	stamped, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	first.beforeCommit = func() {
		once.Do(func() {
			close(stamped)
			<-release
		})
	}
	t.Cleanup(func() { released.Do(func() { close(release) }) }) // a failed test lets it go
	firstDone := make(chan error, 1)
	go func() {
		_, _, err := first.Append(ctx, store.PrivateConvID("r", "a"), storetest.Msg("a", "r", "1"))
		firstDone <- err
	}()
	<-stamped // first holds version 1, uncommitted
	secondDone := make(chan error, 1)
	go func() {
		_, _, err := second.Append(ctx, store.PrivateConvID("r", "b"), storetest.Msg("b", "r", "2"))
		secondDone <- err
	}()
	// The second append waits for the first's commit; a reader sees version
	// 0 and nothing, from either node.
	select {
	case err := <-secondDone:
		t.Fatalf("the later append committed before the earlier one: %v", err)
	case <-time.After(200 * time.Millisecond): // a bound on a wait that must not end, not a sleep for a result
	}
	for _, d := range both {
		if v, convs, err := d.Changes(ctx, "r", 0); err != nil || v != 0 || len(convs) != 0 {
			t.Fatalf("while the first is uncommitted: version %d, %d conversations, %v", v, len(convs), err)
		}
	}
	released.Do(func() { close(release) })
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	v, convs, err := second.Changes(ctx, "r", 0)
	if err != nil || v != 2 || len(convs) != 2 {
		t.Fatalf("after both: version %d, %v, %v", v, convs, err)
	}
	if _, convs, _ := first.Changes(ctx, "r", 1); len(convs) != 1 || convs[0].Conv.Target != "b" {
		t.Fatalf("since version 1: %v, want b's conversation only", convs)
	}
}

// Writers on two nodes and a reader following the changes of a user
// party to every conversation: when the writers stop, the reader has seen
// every conversation's last message, so its cursor never passed a change.
func TestAReaderFollowingChangesMissesNone(t *testing.T) {
	ctx := context.Background()
	both := nodes(t, pgtest.Start(t), 2)
	const convs, each = 40, 5
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := w; c < convs; c += 4 {
				peer := fmt.Sprint("u", c)
				for i := range each {
					if _, _, err := both[(c+i)%2].Append(ctx, store.PrivateConvID("r", peer), storetest.Msg(peer, "r", fmt.Sprint(c, "-", i))); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]uint64{}
	var cursor uint64
	follow := func(d *DB) {
		v, states, err := d.Changes(ctx, "r", cursor)
		if err != nil {
			t.Fatal(err)
		}
		if v < cursor {
			t.Fatalf("version went back from %d to %d", cursor, v)
		}
		for _, st := range states {
			seen[st.Conv.Target] = max(seen[st.Conv.Target], st.LastSeq)
		}
		cursor = v
	}
	for i := 0; ; i++ {
		select {
		case <-done:
		default:
			follow(both[i%2])
			continue
		}
		break
	}
	follow(both[0])
	for c := range convs {
		if got := seen[fmt.Sprint("u", c)]; got != each {
			t.Errorf("u%d: the reader saw up to %d of %d", c, got, each)
		}
	}
}

// The conformance suite (server/store/storetest) on this store.
func TestConformance(t *testing.T) {
	pg := pgtest.Start(t)
	var mu sync.Mutex
	dsns := map[*DB]string{}
	openAt := func(t *testing.T, dsn string, now func() time.Time) store.Store {
		d, err := Open(context.Background(), dsn, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		mu.Lock()
		dsns[d] = dsn
		mu.Unlock()
		return d
	}
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T, now func() time.Time) store.Store {
			return openAt(t, pg.CreateDB(t), now)
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			d := s.(*DB)
			d.Close()
			mu.Lock()
			dsn := dsns[d]
			mu.Unlock()
			return openAt(t, dsn, d.opts.Now)
		},
	})
}

// While PostgreSQL is down, appends and reads fail with ErrUnavailable and
// Ping says so; once it is back the same store works again by itself, and
// a resend of what failed is stored once.
func TestUnavailableWhileDownThenBack(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.Start(t)
	d := nodes(t, pg, 1)[0]
	conv := store.PrivateConvID("a", "b")
	if _, _, err := d.Append(ctx, conv, storetest.Msg("a", "b", "1")); err != nil {
		t.Fatal(err)
	}
	pg.Kill()
	if _, _, err := d.Append(ctx, conv, storetest.Msg("a", "b", "2")); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("append while down: %v", err)
	}
	if _, _, err := d.Changes(ctx, "a", 0); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("changes while down: %v", err)
	}
	if err := d.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("ping while down: %v", err)
	}
	pg.Restart(t)
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("ping once back: %v", err)
	}
	for range 2 { // the resend, then a resend of the resend
		if m, _, err := d.Append(ctx, conv, storetest.Msg("a", "b", "2")); err != nil || m.Seq != 2 {
			t.Fatalf("the resend once back: %v %v", m, err)
		}
	}
}

// The same message sent many times at once through one node (so several
// copies share a batch): stored once, every other answer its duplicate.
func TestResendsInOneBatch(t *testing.T) {
	ctx := context.Background()
	d := nodes(t, pgtest.Start(t), 1)[0]
	conv := store.PrivateConvID("a", "b")
	const n = 20
	uids := make([]string, n)
	dups := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, dup, err := d.Append(ctx, conv, storetest.Msg("a", "b", "same"))
			if err != nil {
				t.Errorf("append %d: %v", i, err)
				return
			}
			uids[i], dups[i] = m.Uid, dup
		}()
	}
	wg.Wait()
	firsts := 0
	for i := range n {
		if uids[i] != uids[0] {
			t.Fatalf("answer %d has uid %s, answer 0 %s", i, uids[i], uids[0])
		}
		if !dups[i] {
			firsts++
		}
	}
	if _, last, _ := d.VisibleRange(ctx, "a", conv); firsts != 1 || last != 1 {
		t.Fatalf("%d answers not duplicates, last seq %d; want 1 and 1", firsts, last)
	}
}

// Retention that waits for a conversation's row while a message is being
// appended to it keeps that message visible.
func TestRetentionKeepsAMessageAppendedMeanwhile(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.Start(t)
	var mu sync.Mutex
	clock := time.UnixMilli(1_000)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	d, err := Open(ctx, pg.CreateDB(t), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	conv := store.PrivateConvID("a", "b")
	for i := range 3 { // sent at 1000, 2000, 3000
		mu.Lock()
		clock = time.UnixMilli(int64(1_000 * (i + 1)))
		mu.Unlock()
		if _, _, err := d.Append(ctx, conv, storetest.Msg("a", "b", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	clock = time.UnixMilli(10_000)
	mu.Unlock()
	stamped, release := make(chan struct{}), make(chan struct{})
	var once, released sync.Once
	d.beforeCommit = func() { once.Do(func() { close(stamped); <-release }) }
	t.Cleanup(func() { released.Do(func() { close(release) }) })
	appended := make(chan error, 1)
	go func() { _, _, err := d.Append(ctx, conv, storetest.Msg("a", "b", "new")); appended <- err }()
	<-stamped // the new message holds the conversation's row, uncommitted
	deleted := make(chan error, 1)
	go func() { _, err := d.DeleteBefore(ctx, time.UnixMilli(5_000)); deleted <- err }()
	// Retention is waiting for the row (a lock wait in pg_stat_activity).
	for waiting := 0; waiting == 0; {
		if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE convs SET first_seq%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition
	}
	released.Do(func() { close(release) })
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	start, last, err := d.VisibleRange(ctx, "b", conv)
	if err != nil || start != 4 || last != 4 {
		t.Fatalf("visible after retention: [%d, %d] %v, want [4, 4]", start, last, err)
	}
}
