package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

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

func msg(from, to, cid string) *pb.Message {
	return &pb.Message{ConvType: pb.ConversationType_PRIVATE, FromUser: from, To: to, ClientMsgId: cid, ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hi"}`)}
}

func TestAppendAssignsGaplessSeqAndDedups(t *testing.T) {
	ctx := context.Background()
	d := open(t, "")
	conv := store.PrivateConvID("alice", "bob")
	var wg sync.WaitGroup
	results := make([]*pb.Message, 200)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, dup, err := d.Append(ctx, conv, msg("alice", "bob", fmt.Sprint("c", i)))
			if err != nil || dup {
				t.Errorf("append %d: %v dup=%v", i, err, dup)
				return
			}
			results[i] = m
		}()
	}
	wg.Wait()
	seen := map[uint64]*pb.Message{}
	for _, m := range results {
		seen[m.Seq] = m
	}
	for s := uint64(1); s <= 200; s++ {
		if seen[s] == nil {
			t.Fatalf("seq %d missing", s)
		}
		if s > 1 && seen[s].SentTime <= seen[s-1].SentTime {
			t.Fatalf("sentTime not strictly increasing at %d", s)
		}
		if s > 1 && seen[s].Uid <= seen[s-1].Uid {
			t.Fatalf("uid not time-ordered at %d", s)
		}
	}
	// A resend returns the first result and takes no sequence number.
	again, dup, err := d.Append(ctx, conv, msg("alice", "bob", "c7"))
	if err != nil || !dup || again.Uid != results[7].Uid || again.Seq != results[7].Seq || again.SentTime != results[7].SentTime {
		t.Fatalf("resend: %v dup=%v %v vs %v", err, dup, again, results[7])
	}
	next, _, err := d.Append(ctx, conv, msg("bob", "alice", "c7")) // same client id, other sender
	if err != nil || next.Seq != 201 {
		t.Fatalf("other sender's message: %v seq=%d", err, next.GetSeq())
	}
}

func TestPullWindowAndMembership(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	clock := now
	d, err := Open(ctx, filepath.Join(t.TempDir(), "im.db"), Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	conv := store.PrivateConvID("alice", "bob")
	for i := 0; i < 10; i++ {
		clock = now.Add(time.Duration(i) * 24 * time.Hour)
		if _, _, err := d.Append(ctx, conv, msg("alice", "bob", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	window := clock.Add(-7*24*time.Hour + time.Millisecond) // messages 3..9 (seq 4..10) are inside
	cases := []struct {
		name       string
		user       string
		after      uint64
		windowMax  int
		wantFirst  uint64
		wantN      int
		wantErr    error
		wantStartS uint64
	}{
		{"new device gets the window", "bob", 0, 1000, 4, 7, nil, 4},
		{"window capped by count", "bob", 0, 3, 8, 3, nil, 8},
		{"existing device gets all it lacks", "bob", 1, 1000, 2, 9, nil, 2},
		{"stranger", "carol", 0, 1000, 0, 0, store.ErrNotMember, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ms, start, last, err := d.Pull(ctx, c.user, conv, c.after, 100, window, c.windowMax)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err != nil {
				return
			}
			if len(ms) != c.wantN || ms[0].Seq != c.wantFirst || start != c.wantStartS || last != 10 {
				t.Fatalf("got %d msgs from %d, start %d last %d", len(ms), ms[0].Seq, start, last)
			}
		})
	}
	// Every message older than the window: the last one still comes, so a
	// new device lists the conversation.
	ms, start, _, err := d.Pull(ctx, "bob", conv, 0, 100, clock.Add(time.Hour), 1000)
	if err != nil || len(ms) != 1 || ms[0].Seq != 10 || start != 10 {
		t.Fatalf("all older than the window: %d messages, start %d, %v; want the last", len(ms), start, err)
	}
}

func TestChangesAndReadWatermark(t *testing.T) {
	ctx := context.Background()
	d := open(t, "")
	v0, convs, err := d.Changes(ctx, "bob", 0)
	if err != nil || len(convs) != 0 {
		t.Fatalf("fresh: %v %v", convs, err)
	}
	conv := store.PrivateConvID("alice", "bob")
	d.Append(ctx, conv, msg("alice", "bob", "1"))
	d.Append(ctx, conv, msg("alice", "bob", "2"))
	v1, convs, err := d.Changes(ctx, "bob", v0)
	if err != nil || len(convs) != 1 || convs[0].LastSeq != 2 || convs[0].Conv.Target != "alice" || v1 <= v0 {
		t.Fatalf("after two messages: v%d %v %v", v1, convs, err)
	}
	if _, convs, _ := d.Changes(ctx, "bob", v1); len(convs) != 0 {
		t.Fatalf("nothing changed since v%d, got %v", v1, convs)
	}
	if r, _, err := d.MarkRead(ctx, "bob", conv, 0, "", nil); err != nil || r != 2 {
		t.Fatalf("mark read: %d %v", r, err)
	}
	if r, _, _ := d.MarkRead(ctx, "bob", conv, 1, "", nil); r != 2 {
		t.Fatalf("watermark moved back to %d", r)
	}
	v2, convs, _ := d.Changes(ctx, "bob", v1)
	if len(convs) != 1 || convs[0].ReadSeq != 2 {
		t.Fatalf("read change not reported: %v", convs)
	}
	if _, convs, _ := d.Changes(ctx, "alice", v2); len(convs) != 0 {
		t.Fatalf("bob's read is alice's change: %v", convs)
	}
}

func ntf(op string) *pb.Message {
	m := msg("owner", "g1", "ntf-"+op)
	m.ConvType = pb.ConversationType_GROUP
	m.ObjectName = "RC:GrpNtf"
	return m
}

func TestGroupMembershipBoundsVisibility(t *testing.T) {
	ctx := context.Background()
	d := open(t, "")
	createGroup(t, d, "g1", "owner", "a")
	gc := store.GroupConvID("g1")
	for i := 0; i < 3; i++ {
		m := msg("a", "g1", fmt.Sprint("m", i))
		m.ConvType = pb.ConversationType_GROUP
		d.Append(ctx, gc, m) // seq 2..4
	}
	added, err := changeMembers(ctx, d, "g1", ntf("add"), []string{"b"}, nil) // seq 5
	if err != nil || added.Ntf.Seq != 5 {
		t.Fatalf("add: %v %v", added, err)
	}
	ms, start, _, err := d.Pull(ctx, "b", gc, 0, 100, time.Time{}, 1000)
	if err != nil || start != 5 || len(ms) != 1 || ms[0].ObjectName != "RC:GrpNtf" {
		t.Fatalf("new member sees %v from %d: %v", ms, start, err)
	}
	if _, err := changeMembers(ctx, d, "g1", ntf("kick"), nil, []string{"b"}); err != nil { // seq 6
		t.Fatal(err)
	}
	m := msg("a", "g1", "after")
	m.ConvType = pb.ConversationType_GROUP
	d.Append(ctx, gc, m) // seq 7
	ms, _, last, _ := d.Pull(ctx, "b", gc, 4, 100, time.Time{}, 1000)
	if len(ms) != 2 || ms[1].Seq != 6 || last != 6 {
		t.Fatalf("removed member sees %d messages, last %d", len(ms), last)
	}
	if _, _, _, err := d.Pull(ctx, "c", gc, 0, 100, time.Time{}, 1000); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("stranger: %v", err)
	}
	if _, err := changeMembers(ctx, d, "g1", ntf("kick2"), nil, []string{"nobody"}); !errors.Is(err, store.ErrNotMember) {
		t.Fatalf("remove stranger: %v", err)
	}
	// The failed removal took no sequence number.
	m2 := msg("a", "g1", "after2")
	m2.ConvType = pb.ConversationType_GROUP
	if s, _, _ := d.Append(ctx, gc, m2); s.Seq != 8 {
		t.Fatalf("seq after failed op = %d, want 8", s.Seq)
	}
	got, err := d.Group(ctx, "g1")
	if err != nil || len(got.Members) != 2 || got.Members["owner"].Role != contract.RoleOwner {
		t.Fatalf("group: %+v %v", got, err)
	}
}

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
	// rewind) it stays a small multiple of that; not rewound, ~60 MB.
	if maxWAL > 16<<20 {
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
