package server

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imwasm/imwasm/internal/wsconn"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/files"
	"github.com/imwasm/imwasm/server/store"
	"github.com/imwasm/imwasm/server/store/sqlite"
)

// Close returns only once everything the server started has ended: here a
// retention pass holds the store when Close comes, and a session is open.
// Nothing may use the store after Close, nor be running when it closes.
func TestCloseWaitsForEverythingItStarted(t *testing.T) {
	before := runtime.NumGoroutine()
	const secret = "test-secret-0123456789"
	cfg := Config{AppKey: "k", AppSecret: secret, DataDir: t.TempDir(), RetentionInterval: time.Millisecond}
	cfg.Defaults()
	db, err := sqlite.Open(context.Background(), filepath.Join(cfg.DataDir, DBFile), sqlite.Options{Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := files.NewDisk(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	gs := &guardedStore{Store: db, entered: make(chan struct{}), release: make(chan struct{})}
	srv := newServer(cfg, gs, fs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	// A session, and a reader that answers the server's close handshake.
	c, err := wsconn.Dial(context.Background(), "ws://"+ln.Addr().String()+"/v1/ws", wsconn.DialOptions{Subprotocol: Subprotocol})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := auth.NewToken([]byte(secret), "alice", time.Hour, false, time.Now())
	b, _ := (&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: tok, AppKey: "k", DeviceId: "d"}}}).Marshal()
	if err := c.WriteMessage(b); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.ReadMessage(); err != nil || (&pb.Frame{}).Unmarshal(b) != nil {
		t.Fatalf("auth answer: %v", err)
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()

	<-gs.entered // a retention pass holds the store
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	closed := make(chan struct{})
	var closeErr error
	go func() { closeErr = srv.Close(); close(closed) }()
	// Close stops the server's tasks first, then waits for them: the pass
	// is let go once it waits (were Close to return first, it did not).
	returned := func() bool {
		select {
		case <-closed:
			return true
		default:
			return false
		}
	}
	eventually(t, "Close to stop the server's tasks", func() bool {
		if returned() {
			return true
		}
		if srv.tasks.Add() {
			srv.tasks.Done()
			return false
		}
		return true
	})
	if returned() {
		t.Errorf("Close returned while a retention pass still ran:\n%s", serverGoroutines())
	}
	close(gs.release)
	<-closed
	if closeErr != nil {
		t.Fatalf("Close: %v", closeErr)
	}
	if g := serverGoroutines(); g != "" {
		t.Errorf("goroutines of the server run after Close:\n%s", g)
	}
	if err := srv.Close(); err != nil { // again: nothing more to do
		t.Fatalf("second Close: %v", err)
	}
	gs.check(t)

	<-readerDone
	eventually(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// eventually waits, polling, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// serverGoroutines lists the goroutines, but the caller's, that run code
// of this package other than tests.
func serverGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n")[1:] { // the first is the caller
		for _, line := range strings.Split(g, "\n") {
			if strings.HasPrefix(line, "github.com/imwasm/imwasm/server.") && !strings.HasPrefix(line, "github.com/imwasm/imwasm/server.Test") {
				out = append(out, g)
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}

// guardedStore is the real store, checked: a call that starts after Close,
// or still runs when Close comes, is misuse. The first DeleteReceiptsBefore
// (a retention pass's first step) waits for release.
type guardedStore struct {
	store.Store
	entered, release chan struct{}
	once             sync.Once

	mu       sync.Mutex
	inflight map[string]int
	closed   bool
	misuse   []string
}

func (g *guardedStore) enter(name string) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.misuse = append(g.misuse, name+" called after Close")
	}
	if g.inflight == nil {
		g.inflight = map[string]int{}
	}
	g.inflight[name]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.inflight[name]--
	}
}

func (g *guardedStore) Close() error {
	g.mu.Lock()
	g.closed = true
	for name, n := range g.inflight {
		if n > 0 {
			g.misuse = append(g.misuse, fmt.Sprintf("Close while %d %s ran", n, name))
		}
	}
	g.mu.Unlock()
	return g.Store.Close()
}

func (g *guardedStore) check(t *testing.T) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		t.Error("the store was not closed")
	}
	for _, m := range g.misuse {
		t.Error("store: " + m)
	}
}

func (g *guardedStore) DeleteReceiptsBefore(ctx context.Context, t int64, quotaBefore string) (int64, error) {
	defer g.enter("DeleteReceiptsBefore")()
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Store.DeleteReceiptsBefore(ctx, t, quotaBefore)
}

// The rest of the Store, each call checked.

func (g *guardedStore) Append(ctx context.Context, convID string, m *pb.Message) (stored *pb.Message, duplicate bool, err error) {
	defer g.enter("Append")()
	return g.Store.Append(ctx, convID, m)
}

func (g *guardedStore) Pull(ctx context.Context, user, convID string, afterSeq uint64, limit int, windowStart time.Time, windowMax int) (msgs []*pb.Message, start, last uint64, err error) {
	defer g.enter("Pull")()
	return g.Store.Pull(ctx, user, convID, afterSeq, limit, windowStart, windowMax)
}

func (g *guardedStore) History(ctx context.Context, user, convID string, t int64, count int, newer bool, keep func(*pb.Message) bool) (msgs []*pb.Message, hasMore bool, err error) {
	defer g.enter("History")()
	return g.Store.History(ctx, user, convID, t, count, newer, keep)
}

func (g *guardedStore) VisibleRange(ctx context.Context, user, convID string) (start, last uint64, err error) {
	defer g.enter("VisibleRange")()
	return g.Store.VisibleRange(ctx, user, convID)
}

func (g *guardedStore) MessageByUID(ctx context.Context, convID, uid string) (*pb.Message, error) {
	defer g.enter("MessageByUID")()
	return g.Store.MessageByUID(ctx, convID, uid)
}

func (g *guardedStore) Modify(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message) (*pb.Message, error) {
	defer g.enter("Modify")()
	return g.Store.Modify(ctx, convID, uid, apply, marker)
}

func (g *guardedStore) Hide(ctx context.Context, user, convID string, uids []string, entry *pb.Message) (*pb.Message, error) {
	defer g.enter("Hide")()
	return g.Store.Hide(ctx, user, convID, uids, entry)
}

func (g *guardedStore) ClearHistory(ctx context.Context, user, convID string, t int64, entry *pb.Message) (*pb.Message, error) {
	defer g.enter("ClearHistory")()
	return g.Store.ClearHistory(ctx, user, convID, t, entry)
}

func (g *guardedStore) Setting(ctx context.Context, key string) ([]byte, error) {
	defer g.enter("Setting")()
	return g.Store.Setting(ctx, key)
}

func (g *guardedStore) PutSetting(ctx context.Context, key string, value []byte) error {
	defer g.enter("PutSetting")()
	return g.Store.PutSetting(ctx, key, value)
}

func (g *guardedStore) DeleteBefore(ctx context.Context, t time.Time) (int64, error) {
	defer g.enter("DeleteBefore")()
	return g.Store.DeleteBefore(ctx, t)
}

func (g *guardedStore) EraseUser(ctx context.Context, user string, now time.Time) (int64, error) {
	defer g.enter("EraseUser")()
	return g.Store.EraseUser(ctx, user, now)
}

func (g *guardedStore) Changes(ctx context.Context, user string, since uint64) (version uint64, convs []*pb.ConversationState, err error) {
	defer g.enter("Changes")()
	return g.Store.Changes(ctx, user, since)
}

func (g *guardedStore) Version() uint64 {
	defer g.enter("Version")()
	return g.Store.Version()
}

func (g *guardedStore) MarkRead(ctx context.Context, user, convID string, seq uint64, uid string, entries func(uint64, *pb.Message) []*pb.Message) (uint64, []*pb.Message, error) {
	defer g.enter("MarkRead")()
	return g.Store.MarkRead(ctx, user, convID, seq, uid, entries)
}

func (g *guardedStore) ChangeGroup(ctx context.Context, groupID string, decide func(*store.Group) (*store.GroupChange, error)) (*store.GroupChanged, error) {
	defer g.enter("ChangeGroup")()
	return g.Store.ChangeGroup(ctx, groupID, decide)
}

func (g *guardedStore) JoinedGroups(ctx context.Context, user string) (map[string]contract.GroupRole, error) {
	defer g.enter("JoinedGroups")()
	return g.Store.JoinedGroups(ctx, user)
}

func (g *guardedStore) GroupApplications(ctx context.Context, user string, before int64, limit int) ([]store.GroupApplication, error) {
	defer g.enter("GroupApplications")()
	return g.Store.GroupApplications(ctx, user, before, limit)
}

func (g *guardedStore) Group(ctx context.Context, groupID string) (*store.Group, error) {
	defer g.enter("Group")()
	return g.Store.Group(ctx, groupID)
}

func (g *guardedStore) Access(ctx context.Context, user string) (store.Access, error) {
	defer g.enter("Access")()
	return g.Store.Access(ctx, user)
}

func (g *guardedStore) BlockUser(ctx context.Context, user string, until time.Time) error {
	defer g.enter("BlockUser")()
	return g.Store.BlockUser(ctx, user, until)
}

func (g *guardedStore) RevokeTokens(ctx context.Context, user string, before time.Time) error {
	defer g.enter("RevokeTokens")()
	return g.Store.RevokeTokens(ctx, user, before)
}

func (g *guardedStore) Backup(ctx context.Context, path string) error {
	defer g.enter("Backup")()
	return g.Store.Backup(ctx, path)
}

func (g *guardedStore) AddReads(ctx context.Context, convID, reader string, reads []store.Read, entry *pb.Message) (added []store.Read, stored *pb.Message, err error) {
	defer g.enter("AddReads")()
	return g.Store.AddReads(ctx, convID, reader, reads, entry)
}

func (g *guardedStore) FlushReceipts(ctx context.Context, convID, uid string, entry func([]store.Read, int) *pb.Message) (*pb.Message, error) {
	defer g.enter("FlushReceipts")()
	return g.Store.FlushReceipts(ctx, convID, uid, entry)
}

func (g *guardedStore) Unnotified(ctx context.Context) ([][2]string, error) {
	defer g.enter("Unnotified")()
	return g.Store.Unnotified(ctx)
}

func (g *guardedStore) Readers(ctx context.Context, convID, uid string) ([]store.Read, int, error) {
	defer g.enter("Readers")()
	return g.Store.Readers(ctx, convID, uid)
}

func (g *guardedStore) ReadCounts(ctx context.Context, convID string, uids []string) (map[string]int, error) {
	defer g.enter("ReadCounts")()
	return g.Store.ReadCounts(ctx, convID, uids)
}

func (g *guardedStore) AppendCounted(ctx context.Context, convID string, m *pb.Message, q store.Quota) (stored *pb.Message, duplicate bool, err error) {
	defer g.enter("AppendCounted")()
	return g.Store.AppendCounted(ctx, convID, m, q)
}

func (g *guardedStore) ModifyCounted(ctx context.Context, convID, uid string, apply func(*pb.Message) error, marker *pb.Message, q store.Quota) (*pb.Message, error) {
	defer g.enter("ModifyCounted")()
	return g.Store.ModifyCounted(ctx, convID, uid, apply, marker, q)
}

func (g *guardedStore) Delivered(ctx context.Context, user, convID string, seq uint64, entry func(string, []string) *pb.Message) (*pb.Message, error) {
	defer g.enter("Delivered")()
	return g.Store.Delivered(ctx, user, convID, seq, entry)
}

func (g *guardedStore) HasPendingDeliveries() bool {
	defer g.enter("HasPendingDeliveries")()
	return g.Store.HasPendingDeliveries()
}
