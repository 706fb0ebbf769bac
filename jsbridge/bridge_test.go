//go:build js && wasm

package jsbridge

import (
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/jsbridge/jsfunc"
	"github.com/imwasm/imwasm/proto/codes"
)

// These run in Node through Go's js/wasm test runner (make test-jsbridge).

// awaitResult waits for a Promise from the bridge and returns its code.
func awaitResult(t *testing.T, p any) int {
	t.Helper()
	pv, err := safejs.ValueOf(p)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	f, err := safejs.FuncOf(func(_ safejs.Value, args []safejs.Value) any {
		c, _ := args[0].Get("code")
		n, _ := c.Int()
		got <- n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if _, err := pv.Call("then", f.Value()); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("the promise never resolved")
		return 0
	}
}

func TestPanicsBecomeErrorCodes(t *testing.T) {
	b := &Bridge{log: &jsfunc.Console{}}
	b.log.SetLevel("none")
	// In the argument check, and in the work.
	sync := b.promise("boom", nil, func([]safejs.Value) (func() (any, error), error) { panic("in the check") })
	if code := awaitResult(t, sync); code != codes.Timeout {
		t.Fatalf("panic in the check: code %d", code)
	}
	async := b.promise("boom", nil, func([]safejs.Value) (func() (any, error), error) {
		return func() (any, error) { panic("in the work") }, nil
	})
	if code := awaitResult(t, async); code != codes.Timeout {
		t.Fatalf("panic in the work: code %d", code)
	}
	// The runtime lives on: a call after them works.
	ok := b.promise("fine", nil, func([]safejs.Value) (func() (any, error), error) {
		return func() (any, error) { return "x", nil }, nil
	})
	if code := awaitResult(t, ok); code != 0 {
		t.Fatalf("after the panics: code %d", code)
	}
}

func TestArgumentChecks(t *testing.T) {
	b := &Bridge{log: &jsfunc.Console{}}
	b.log.SetLevel("none")
	obj := func(m map[string]any) safejs.Value {
		v, err := safejs.ValueOf(m)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		conv safejs.Value
		want int32
	}{
		{"not an object", safejs.Null(), codes.InvalidParameter},
		{"type missing", obj(map[string]any{"targetId": "bob"}), codes.InvalidParameter},
		{"type a string", obj(map[string]any{"conversationType": "1", "targetId": "bob"}), codes.InvalidParameter},
		{"type fractional", obj(map[string]any{"conversationType": 1.5, "targetId": "bob"}), codes.InvalidParameter},
		{"target missing", obj(map[string]any{"conversationType": 1}), codes.InvalidParameter},
		{"target a number", obj(map[string]any{"conversationType": 1, "targetId": 7}), codes.InvalidParameter},
		{"type past int32", obj(map[string]any{"conversationType": 1<<32 + 1, "targetId": "bob"}), codes.InvalidParameter},
		{"type unknown", obj(map[string]any{"conversationType": 99, "targetId": "bob"}), codes.InvalidParameterConversationType},
		{"target no id", obj(map[string]any{"conversationType": 1, "targetId": "a:b"}), codes.InvalidParameterTargetID},
		{"channel outside ultra groups", obj(map[string]any{"conversationType": 3, "targetId": "g1", "channelId": "c"}), codes.InvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conversationArg(tt.conv)
			if codes.Of(err) != tt.want {
				t.Fatalf("got %v", err)
			}
		})
	}
	c, err := conversationArg(obj(map[string]any{"conversationType": 10, "targetId": "g1", "channelId": "c"}))
	if err != nil || c.Type != 10 || c.TargetID != "g1" || c.ChannelID != "c" {
		t.Fatalf("valid conversation: %+v %v", c, err)
	}
	if _, err := b.engine(); codes.Of(err) != codes.ClientNotInit {
		t.Fatalf("before init: %v", err)
	}
	if got := tokenSubject("x.eyJzdWIiOiJhbGljZSJ9.y"); got != "alice" {
		t.Fatalf("token subject %q", got)
	}
	if got := wsURL("https://im.example.com/"); got != "wss://im.example.com/v1/ws" {
		t.Fatalf("wsURL %q", got)
	}
	for _, u := range []string{"https://im.example.com", "http://127.0.0.1:8080"} {
		if got := httpURL(wsURL(u)); got != u {
			t.Fatalf("httpURL(wsURL(%q)) = %q", u, got)
		}
	}
}

// __call answers by name: a function the wasm does not have (an index.js
// of another version) is a clear code, and a known one is reached with
// its arguments (connect before init: ClientNotInit; with no token after
// init: InvalidParameter).
func TestCallByName(t *testing.T) {
	b := &Bridge{}
	sdk := jsEval(t, "{}")
	if err := b.Register(sdk); err != nil {
		t.Fatal(err)
	}
	b.log.SetLevel("none")
	call := func(args ...any) int {
		t.Helper()
		p, err := sdk.Call("__call", args...)
		if err != nil {
			t.Fatal(err)
		}
		return awaitResult(t, safejs.Unsafe(p))
	}
	for _, name := range []any{"noSuchFunction", 42, nil} {
		if code := call(name); code != codes.OperationNotSupport {
			t.Errorf("__call(%v): code %d, want %d", name, code, codes.OperationNotSupport)
		}
	}
	if code := call("connect", "x.eyJzdWIiOiJhbGljZSJ9.y"); code != codes.ClientNotInit {
		t.Errorf("connect before init: code %d", code)
	}
	if r, err := sdk.Call("init", map[string]any{"appkey": "app", "serverUrl": "http://fake", "WebSocket": jsEval(t, fakeWebSocket), "storage": "memory", "logLevel": "none"}, jsEval(t, "() => {}"), "device"); err != nil {
		t.Fatal(err)
	} else if c, _ := r.Get("code"); mustInt(c) != 0 {
		t.Fatalf("init: code %d", mustInt(c))
	}
	if code := call("connect"); code != codes.InvalidParameter {
		t.Errorf("connect without a token: code %d", code)
	}
	b.Close()
}

// The tables made later (groups, people, chat rooms, ultra groups) name no
// function of the first: which one a name reaches does not depend on the
// order they are looked in.
func TestCallTablesApart(t *testing.T) {
	b := &Bridge{}
	if err := b.Register(jsEval(t, "{}")); err != nil {
		t.Fatal(err)
	}
	more := b.moreCalls()
	for _, name := range []string{"connect", "sendMessage"} {
		if b.calls[name] == nil {
			t.Errorf("%s is not in the first table", name)
		}
	}
	for _, name := range []string{"createGroup", "joinChatRoom", "getFriends"} {
		if more[name] == nil {
			t.Errorf("%s is not in the later tables", name)
		}
	}
	for name := range more {
		if _, ok := b.calls[name]; ok {
			t.Errorf("%s is in both tables", name)
		}
	}
	b.Close()
}
