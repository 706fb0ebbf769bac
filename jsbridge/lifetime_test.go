//go:build js && wasm

package jsbridge

import (
	"runtime"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// serverAnswers answers an engine's frames as the server would: AuthOK for
// alice, an empty sync, pongs; nothing for the rest.
func serverAnswers(t *testing.T) safejs.Func {
	return answering(t, func(in *pb.Frame) *pb.Frame {
		out := &pb.Frame{Id: in.Id}
		switch in.Body.(type) {
		case *pb.Frame_Auth:
			out.Body = &pb.Frame_AuthOk{AuthOk: &pb.AuthOK{UserId: "alice", HeartbeatMs: 3_600_000}}
		case *pb.Frame_Sync:
			out.Body = &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 1}}
		case *pb.Frame_Ping:
			out.Body = &pb.Frame_Pong{Pong: &pb.Pong{}}
		default:
			return nil
		}
		return out
	})
}

// answering is a fakeWebSocket's answer function: each frame the engine
// sends, decoded, answered by answer (nil: no answer).
func answering(t *testing.T, answer func(*pb.Frame) *pb.Frame) safejs.Func {
	f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		n, _ := args[0].Length()
		b := make([]byte, n)
		safejs.CopyBytesToGo(b, args[0])
		in := &pb.Frame{}
		if in.Unmarshal(b) != nil {
			return nil
		}
		out := answer(in)
		if out == nil {
			return nil
		}
		ob, _ := out.Marshal()
		arr, err := bytesJS(ob)
		if err != nil {
			return nil
		}
		return safejs.Unsafe(arr)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Release)
	return f
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

// init closes the engine it replaces (its goroutines end, its WebSocket
// closes), and Close the last one; calls after Close answer
// ClientNotInit.
func TestInitClosesTheEngineItReplaces(t *testing.T) {
	before := runtime.NumGoroutine()
	b := &Bridge{}
	sdk := jsEval(t, "{}")
	if err := b.Register(sdk); err != nil {
		t.Fatal(err)
	}
	ws := jsEval(t, fakeWebSocket)
	if err := ws.Set("answer", serverAnswers(t).Value()); err != nil {
		t.Fatal(err)
	}
	emit := jsEval(t, "() => {}")
	opts := map[string]any{"appkey": "app", "serverUrl": "http://fake", "WebSocket": ws, "storage": "memory", "logLevel": "none"}
	initSDK := func() {
		t.Helper()
		r, err := sdk.Call("init", opts, emit, "device")
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := r.Get("code"); mustInt(c) != 0 {
			t.Fatalf("init: code %d", mustInt(c))
		}
	}
	token := "x.eyJzdWIiOiJhbGljZSJ9.y" // sub: alice
	connect := func() int {
		t.Helper()
		p, err := sdk.Call("__call", "connect", token)
		if err != nil {
			t.Fatal(err)
		}
		return awaitResult(t, safejs.Unsafe(p))
	}
	socket := func(i int) safejs.Value {
		made, _ := ws.Get("made")
		s, _ := made.Index(i)
		return s
	}
	closed := func(i int) bool {
		c, _ := socket(i).Get("closed")
		v, _ := c.Bool()
		return v
	}

	initSDK()
	if code := connect(); code != 0 {
		t.Fatalf("connect: code %d", code)
	}
	initSDK()
	eventually(t, "the first engine's WebSocket to close", func() bool { return closed(0) })
	eventually(t, "the first engine's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })

	if code := connect(); code != 0 {
		t.Fatalf("connect after the second init: code %d", code)
	}
	b.Close()
	if !closed(1) {
		t.Error("the engine's WebSocket is open after Close")
	}
	if code := connect(); code != codes.ClientNotInit {
		t.Fatalf("connect after Close: code %d", code)
	}
	eventually(t, "the goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func mustInt(v safejs.Value) int {
	n, _ := v.Int()
	return n
}
