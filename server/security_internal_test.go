package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/imwasm/imwasm/internal/wsconn"
	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/auth"
	"github.com/imwasm/imwasm/server/store"
)

// pausingGroups is the real store's Group, made to stop once, after its
// read, until released: it puts a cache fill and an admin's change in the
// order that made the race (nothing else is replaced).
type pausingGroups struct {
	inner interface {
		Group(context.Context, string) (*store.Group, error)
	}
	armed   chan struct{} // a value: the next read pauses
	paused  chan struct{}
	release chan struct{}
}

func (p *pausingGroups) Group(ctx context.Context, id string) (*store.Group, error) {
	g, err := p.inner.Group(ctx, id)
	select {
	case <-p.armed:
		p.paused <- struct{}{}
		<-p.release
	default:
	}
	return g, err
}

// L2: a group-cache fill that read the members before an admin removed
// one is not kept: the removed member cannot go on sending.
func TestGroupCacheFillRacingRemovalIsNotKept(t *testing.T) {
	const secret = "test-secret-0123456789"
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, Config{AppKey: "k", AppSecret: secret, DataDir: t.TempDir(), SendRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	pause := &pausingGroups{inner: srv.store, armed: make(chan struct{}, 1), paused: make(chan struct{}), release: make(chan struct{})}
	srv.groups.store = pause
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	base := "http://" + ln.Addr().String()

	adminTok, _ := auth.NewToken([]byte(secret), "admin", time.Hour, true, time.Now())
	admin := func(method, path string, body any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+adminTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s %s: %v %v", method, path, resp.Status, err)
		}
		resp.Body.Close()
	}
	admin("POST", "/v1/groups", map[string]any{"groupId": "g", "name": "g", "ownerId": "alice", "memberIds": []string{"mallory"}})

	c, err := wsconn.Dial(ctx, base+"/v1/ws", wsconn.DialOptions{Subprotocol: Subprotocol, ReadLimit: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	tok, _ := auth.NewToken([]byte(secret), "mallory", time.Hour, false, time.Now())
	write := func(f *pb.Frame) {
		b, _ := f.Marshal()
		if err := c.WriteMessage(b); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(id uint64) *pb.Frame {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("waiting for %d: %v", id, err)
			}
			f := &pb.Frame{}
			if f.Unmarshal(b) == nil && f.Id == id {
				return f
			}
		}
	}
	write(&pb.Frame{Id: 1, Body: &pb.Frame_Auth{Auth: &pb.Auth{Token: tok, AppKey: "k", DeviceId: "d"}}})
	if f := answer(1); f.GetAuthOk() == nil {
		t.Fatal(f)
	}
	send := func(id uint64) {
		write(&pb.Frame{Id: id, Body: &pb.Frame_Send{Send: &pb.SendRequest{
			Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}, ClientMsgId: "m" + strings.Repeat("x", int(id)),
			ObjectName: "RC:TxtMsg", Content: []byte(`{}`),
		}}})
	}

	// Mallory's send fills the cache: it has read her as a member when the
	// admin removes her, and stores what it read after the removal's
	// invalidation.
	srv.groups.invalidate("g")
	pause.armed <- struct{}{}
	send(10)
	<-pause.paused
	admin("DELETE", "/v1/groups/g/members/mallory", nil)
	close(pause.release)
	answer(10) // raced the removal: either answer is right
	send(11)
	if f := answer(11); f.GetError().GetCode() != codes.NotInGroup {
		t.Fatalf("a removed member's send: %v", f)
	}
}

// The send queue's accounting under any sequence of adds, takes and
// writes: its bytes and answers are those of the frames it holds, never
// past the bound, and the writer takes frames in order, at least one and
// at most its batch's bytes unless one frame is more.
func FuzzSendQueue(f *testing.F) {
	f.Add([]byte{0x10, 0x83, 0x40, 0x01, 0x02, 0xff, 0x7f, 0x02, 0x03, 0x02})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const limit, batchBytes = 4096, 3000
		// Frames are cut from one array at growing offsets, so each has an
		// identity (its first byte's address), empty ones too.
		arena := make([]byte, len(ops)*(255/4*33+1)+1)
		off := 0
		var q sendQueue
		var inFlight, batch []outFrame
		for _, op := range ops {
			switch op & 3 {
			case 0, 1: // add a frame of up to 2 KiB, an answer or not
				n := int(op>>2) * 33
				fr := outFrame{b: arena[off : off+n : off+n], reply: op&1 == 1}
				off += n + 1
				fits := q.bytes+len(fr.b) <= limit
				if q.add(fr, limit) != fits {
					t.Fatalf("add of %d bytes at %d: fits %v", len(fr.b), q.bytes, fits)
				}
			case 2: // the writer takes what waits
				if inFlight != nil || q.idle() {
					continue
				}
				waiting := append([]outFrame(nil), q.waiting...)
				batch = q.take(batch, batchBytes)
				inFlight = append([]outFrame(nil), batch...)
				size := 0
				for i, fr := range inFlight {
					size += len(fr.b)
					if unsafe.SliceData(fr.b) != unsafe.SliceData(waiting[i].b) {
						t.Fatalf("frame %d taken out of order", i)
					}
				}
				if len(inFlight) == 0 || len(inFlight) > 1 && size > batchBytes || len(inFlight)+len(q.waiting) != len(waiting) {
					t.Fatalf("took %d frames (%d bytes) of %d, left %d", len(inFlight), size, len(waiting), len(q.waiting))
				}
				for i, fr := range q.waiting {
					if unsafe.SliceData(fr.b) != unsafe.SliceData(waiting[len(inFlight)+i].b) {
						t.Fatalf("frame %d left out of order", i)
					}
				}
			case 3: // and has written it
				q.written(inFlight)
				inFlight = nil
			}
			bytes, replies := 0, 0
			for _, fr := range append(append([]outFrame(nil), q.waiting...), inFlight...) {
				bytes += len(fr.b)
				if fr.reply {
					replies++
				}
			}
			if q.bytes != bytes || q.replies != replies || q.bytes > limit || q.idle() != (len(q.waiting) == 0) {
				t.Fatalf("queue says %d bytes, %d answers; holds %d, %d", q.bytes, q.replies, bytes, replies)
			}
		}
	})
}
