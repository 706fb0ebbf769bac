//go:build js && wasm

package jsbridge

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// Bad input from JavaScript: each test calls the SDK as an app would, with
// a wrong argument, against a fake server that records every frame the
// engine sends (the wasm tests run in Node, where no server runs). The
// rule: a clear code, nothing changed, nothing sent.

// recServer is a fake server: it answers AuthOK, an empty sync, pongs, and
// a success of the right kind to every request, and records the frames.
type recServer struct {
	mu     sync.Mutex
	frames []*pb.Frame
	seq    uint64
	// refuseSends answers SendRequests with an error (the send fails).
	refuseSends bool
}

func (s *recServer) sent() []*pb.Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*pb.Frame(nil), s.frames...)
}

// requests are the frames sent other than the connection's own (auth,
// sync, pings, acks).
func (s *recServer) requests() []*pb.Frame {
	var out []*pb.Frame
	for _, f := range s.sent() {
		switch f.Body.(type) {
		case *pb.Frame_Auth, *pb.Frame_Sync, *pb.Frame_Ping, *pb.Frame_Ack, *pb.Frame_Pull:
		default:
			out = append(out, f)
		}
	}
	return out
}

func (s *recServer) answer(in *pb.Frame) *pb.Frame {
	out := &pb.Frame{Id: in.Id}
	switch b := in.Body.(type) {
	case *pb.Frame_Auth:
		out.Body = &pb.Frame_AuthOk{AuthOk: &pb.AuthOK{UserId: "alice", HeartbeatMs: 3_600_000, ServerTime: time.Now().UnixMilli()}}
	case *pb.Frame_Sync:
		out.Body = &pb.Frame_SyncResult{SyncResult: &pb.SyncResult{Version: 1}}
	case *pb.Frame_Ping:
		out.Body = &pb.Frame_Pong{Pong: &pb.Pong{}}
	case *pb.Frame_Ack, *pb.Frame_Pull:
		return nil
	case *pb.Frame_Send:
		s.mu.Lock()
		if s.refuseSends {
			s.mu.Unlock()
			out.Body = &pb.Frame_Error{Error: &pb.Error{Code: codes.RejectedByBlacklist, Msg: "refused"}}
			return out
		}
		s.seq++
		n := s.seq
		s.mu.Unlock()
		out.Body = &pb.Frame_SendAck{SendAck: &pb.SendAck{MessageUid: "UID" + formatInt(int64(n)), Seq: n, SentTime: time.Now().UnixMilli(), ClientMsgId: b.Send.ClientMsgId}}
	case *pb.Frame_Group:
		out.Body = &pb.Frame_GroupResult{GroupResult: &pb.GroupResult{}}
	case *pb.Frame_People:
		out.Body = &pb.Frame_PeopleResult{PeopleResult: &pb.PeopleResult{}}
	default:
		out.Body = &pb.Frame_Ok{Ok: &pb.OK{Time: time.Now().UnixMilli()}}
	}
	return out
}

// recSDK is a Bridge connected as alice to a recServer.
type recSDK struct {
	t   *testing.T
	b   *Bridge
	sdk safejs.Value
	srv *recServer
}

func newRecSDK(t *testing.T) *recSDK {
	t.Helper()
	z := &recSDK{t: t, b: &Bridge{}, sdk: jsEval(t, "{}"), srv: &recServer{}}
	if err := z.b.Register(z.sdk); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.b.Close)
	ws := jsEval(t, fakeWebSocket)
	f := answering(t, func(in *pb.Frame) *pb.Frame {
		z.srv.mu.Lock()
		z.srv.frames = append(z.srv.frames, in)
		z.srv.mu.Unlock()
		return z.srv.answer(in)
	})
	if err := ws.Set("answer", f.Value()); err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"appkey": "app", "serverUrl": "http://fake", "WebSocket": ws, "storage": "memory", "logLevel": "none"}
	r, err := z.sdk.Call("init", opts, jsEval(t, "() => {}"), "device")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := r.Get("code"); mustInt(c) != 0 {
		t.Fatalf("init: code %d", mustInt(c))
	}
	if code, _ := z.call("connect", "x.eyJzdWIiOiJhbGljZSJ9.y"); code != 0 {
		t.Fatalf("connect: code %d", code)
	}
	return z
}

// call runs an SDK function by name and answers its code and result.
func (z *recSDK) call(name string, args ...any) (int, safejs.Value) {
	z.t.Helper()
	p, err := z.sdk.Call("__call", append([]any{name}, args...)...)
	if err != nil {
		z.t.Fatal(err)
	}
	got := make(chan safejs.Value, 1)
	f, err := safejs.FuncOf(func(_ safejs.Value, a []safejs.Value) any {
		got <- a[0]
		return nil
	})
	if err != nil {
		z.t.Fatal(err)
	}
	defer f.Release()
	if _, err := p.Call("then", f.Value()); err != nil {
		z.t.Fatal(err)
	}
	select {
	case r := <-got:
		c, _ := r.Get("code")
		return mustInt(c), r
	case <-time.After(10 * time.Second):
		z.t.Fatalf("%s: the promise never resolved", name)
		return 0, safejs.Undefined()
	}
}

// js evaluates a JavaScript expression (a value to pass).
func (z *recSDK) js(expr string) safejs.Value { return jsEval(z.t, expr) }

// (A refused call does no work: what it would have sent is recorded by the
// time its promise settles, so the tests read the frames without waiting.)

// ---- numbers past int32: the bridge reads an int64 and truncates it ----

// A conversationType of 2^32+1 is not a ConversationType: refused, not
// wrapped to 1 (PRIVATE) by a cast to int32.
func TestConversationTypePastInt32(t *testing.T) {
	for _, typ := range []float64{1<<32 + 1, 1<<32 + 3, -(1 << 32) + 1} {
		v, err := safejs.ValueOf(map[string]any{"conversationType": typ, "targetId": "bob"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := conversationArg(v)
		if err == nil {
			t.Errorf("conversationType %.0f: accepted as type %d, want INVALID_PARAMETER", typ, c.Type)
		}
	}
}

// The same through the SDK: a message to conversationType 2^32+1 is
// refused, neither stored nor sent as a private message to bob.
func TestSendToConversationTypePastInt32(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("sendMessage", z.js(`{conversationType: 2**32 + 1, targetId: "bob"}`), z.js(`{messageType: "RC:TxtMsg", content: {content: "hi"}}`))
	if code == 0 || len(z.srv.requests()) != 0 {
		t.Fatalf("sendMessage to conversationType 2**32+1: code %d, %d request(s) sent (want a refusal and none)", code, len(z.srv.requests()))
	}
}

// setConversationNotificationLevel(conv, 2**32 + 5): not a
// NotificationLevel, refused, not sent as 5 (NOT_MESSAGE_NOTIFICATION).
func TestNotificationLevelPastInt32(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("setConversationNotificationLevel", z.js(`{conversationType: 1, targetId: "bob"}`), z.js(`2**32 + 5`))
	for _, f := range z.srv.requests() {
		if s := f.GetSettings(); s != nil {
			t.Errorf("a SettingsRequest went out with level %d (code %d)", s.NotificationLevel, code)
		}
	}
	if code != codes.InvalidParameter {
		t.Errorf("code %d, want %d", code, codes.InvalidParameter)
	}
}

// updateGroupInfo({groupId, joinPermission: 2**32 + 2}): out of its enum,
// refused, not sent as 2.
func TestGroupPermissionPastInt32(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("updateGroupInfo", z.js(`{groupId: "g1", joinPermission: 2**32 + 2}`))
	for _, f := range z.srv.requests() {
		if g := f.GetGroup(); g != nil {
			t.Errorf("a GroupRequest went out with joinPermission %d (code %d)", g.GetInfo().GetJoinPermission(), code)
		}
	}
	if code != codes.InvalidParameter {
		t.Errorf("code %d, want %d", code, codes.InvalidParameter)
	}
}

// ---- a batch that refuses its n-th item after doing the first ----

// batchClearRemoteHistoryMessages([good, bad]): the bad conversation (an
// unknown conversationType) is refused before the good one's history is
// cleared on the server.
func TestBatchClearHistoryRefusesFirst(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("batchClearRemoteHistoryMessages", z.js(`[{conversationType: 1, targetId: "bob"}, {conversationType: 99, targetId: "carol"}]`))
	var cleared []string
	for _, f := range z.srv.requests() {
		if c := f.GetClearHistory(); c != nil {
			cleared = append(cleared, c.GetConv().GetTarget())
		}
	}
	if code == 0 || len(cleared) != 0 {
		t.Fatalf("code %d; history cleared on the server for %v before the refusal", code, cleared)
	}
}

// batchDeleteConversations({identifiers: [good, bad], deleteMessages:
// true}): the bad one is refused before the good one's history is cleared.
func TestBatchDeleteConversationsRefusesFirst(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("batchDeleteConversations", z.js(`{identifiers: [{conversationType: 1, targetId: "bob"}, {conversationType: 1, targetId: "not:valid"}], deleteMessages: true}`))
	if code == 0 || len(z.srv.requests()) != 0 {
		t.Fatalf("code %d; %d request(s) went out before the refusal: %v", code, len(z.srv.requests()), z.srv.requests())
	}
}

// ---- the same rule, on one side only ----

// An object name over 64 bytes is refused by the engine as by the server
// (contract.CheckSend): not stored on the device, not sent.
func TestSendLongMessageTypeRefusedBeforeStoring(t *testing.T) {
	z := newRecSDK(t)
	long := strings.Repeat("x", 65)
	code, _ := z.call("sendMessage", z.js(`{conversationType: 1, targetId: "bob"}`), map[string]any{"messageType": long, "content": map[string]any{}})
	sent := len(z.srv.requests())
	_, h := z.call("getHistoryMessages", z.js(`{conversationType: 1, targetId: "bob"}`))
	data, _ := h.Get("data")
	list, _ := data.Get("list")
	n, _ := list.Length()
	if code != codes.InvalidParameter || sent != 0 || n != 0 {
		t.Fatalf("messageType of 65 bytes: code %d, %d request(s) sent, %d message(s) stored (want %d, 0, 0)", code, sent, n, codes.InvalidParameter)
	}
}

// ---- sizes: a sparse array costs JavaScript nothing ----

// new Array(n) is an array of length n with no items: JavaScript holds
// none, and a Go slice of n items made for it would panic ("makeslice: len
// out of range") with n = 1e9: refused as INVALID_PARAMETER by its length.
func TestHugeSparseArrayRefused(t *testing.T) {
	z := newRecSDK(t)
	code, r := z.call("getUserProfiles", z.js(`new Array(1e9)`))
	if code != codes.InvalidParameter {
		msg, _ := r.Get("msg")
		s, _ := msg.String()
		t.Errorf("getUserProfiles(new Array(1e9)): code %d %q, want %d", code, s, codes.InvalidParameter)
	}
}

// With n = 2.5e8 the slice could be made: 4 GB of Go heap for an argument
// refused at its first item, which a page would keep (a wasm memory never
// shrinks). Refused by its length, it costs nothing.
func TestHugeSparseArrayGrowsTheHeap(t *testing.T) {
	z := newRecSDK(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, _ := z.call("getUserProfiles", z.js(`new Array(2.5e8)`))
	runtime.ReadMemStats(&after)
	if grown := int64(after.Sys) - int64(before.Sys); grown > 1<<30 {
		t.Errorf("getUserProfiles(new Array(2.5e8)) (code %d): the runtime took %d MB more from the system", code, grown>>20)
	}
}

// deleteMessages takes an array only: {length: -1} would make a slice of
// length -1, a panic answered as -1 (the internal error).
func TestDeleteMessagesNegativeLength(t *testing.T) {
	z := newRecSDK(t)
	code, r := z.call("deleteMessages", z.js(`{conversationType: 1, targetId: "bob"}`), z.js(`{length: -1}`))
	if code != codes.InvalidParameter {
		msg, _ := r.Get("msg")
		s, _ := msg.String()
		t.Fatalf("deleteMessages(conv, {length: -1}): code %d %q, want %d", code, s, codes.InvalidParameter)
	}
}

// sendMessage(conversation, message, {messageId}) with the id of a message
// of another conversation is refused, as the clientMsgId path refuses it,
// rather than a send "to carol" going to bob.
func TestResendByMessageIDOfAnotherConversation(t *testing.T) {
	z := newRecSDK(t)
	z.srv.mu.Lock()
	z.srv.refuseSends = true
	z.srv.mu.Unlock()
	code, r := z.call("sendMessage", z.js(`{conversationType: 1, targetId: "bob"}`), z.js(`{messageType: "RC:TxtMsg", content: {content: "for bob"}}`))
	if code == 0 {
		t.Fatal("the first send did not fail")
	}
	data, _ := r.Get("data")
	idv, _ := data.Get("messageId")
	id, _ := idv.Int()
	z.srv.mu.Lock()
	z.srv.refuseSends = false
	z.srv.frames = nil
	z.srv.mu.Unlock()
	code, _ = z.call("sendMessage", z.js(`{conversationType: 1, targetId: "carol"}`), z.js(`{messageType: "RC:TxtMsg", content: {content: "for carol"}}`), map[string]any{"messageId": id})
	for _, f := range z.srv.requests() {
		if s := f.GetSend(); s != nil {
			t.Errorf("sendMessage to carol with messageId %d (code %d) sent %q to %q", id, code, s.Content, s.GetConv().GetTarget())
		}
	}
	if code != codes.InvalidParameter && code != codes.InvalidParameterMessageID {
		t.Errorf("code %d, want a refusal", code)
	}
}

// ---- objects that are not plain objects ----

// A map argument is a plain object: an array of values would be read as
// the map {"0": …, "1": …}, and the expansion ["v"] set the key "0".
func TestArrayReadAsStringMap(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("updateMessageExpansion", z.js(`["v"]`), z.js(`{conversationType: 1, targetId: "bob", messageUId: "UID1"}`))
	for _, f := range z.srv.requests() {
		if x := f.GetExpansion(); x != nil {
			t.Errorf("an ExpansionRequest went out setting %v (code %d)", x.Set, code)
		}
	}
	if code != codes.InvalidParameter {
		t.Errorf("updateMessageExpansion([\"v\"], message): code %d, want %d", code, codes.InvalidParameter)
	}
}

// A message's content is a plain object for sendMessage as for
// modifyMessageWithParams: a string, a number, an array or a Map would
// reach receivers, and the vendor modules that read its properties
// (Easemob's and NIM's text: content.content), as something else.
func TestSendContentNotAnObject(t *testing.T) {
	z := newRecSDK(t)
	code, _ := z.call("modifyMessageWithParams", z.js(`{messageUId: "UID1", conversation: {conversationType: 1, targetId: "bob"}, messageContent: "plain"}`))
	if code != codes.InvalidParameter {
		t.Fatalf("modifyMessageWithParams with a string content: code %d", code)
	}
	for _, content := range []string{`"plain"`, `42`, `[1, 2]`, `new Map([["content", "hi"]])`} {
		code, r := z.call("sendMessage", z.js(`{conversationType: 1, targetId: "bob"}`), z.js(`{messageType: "RC:TxtMsg", content: `+content+`}`))
		if code != codes.InvalidParameter {
			data, _ := r.Get("data")
			c, _ := data.Get("content")
			j, _ := safejs.Global().Get("JSON")
			s, _ := j.Call("stringify", c)
			str, _ := s.String()
			t.Errorf("sendMessage with content %s: code %d, stored content %s", content, code, str)
		}
	}
}

// ---- reads of a conversation that cannot exist ----

// Every call that takes a conversation checks it (client.CheckConversation):
// of a conversationType 99 or a targetId no user can have, reads answer
// an error, as getHistoryMessages does, not 0, "", NOT_SET or null.
func TestReadsOfAnInvalidConversationRefused(t *testing.T) {
	z := newRecSDK(t)
	bad := map[string]string{
		"type 99":    `{conversationType: 99, targetId: "bob"}`,
		"target a:b": `{conversationType: 1, targetId: "a:b"}`,
	}
	for what, conv := range bad {
		want, _ := z.call("getHistoryMessages", z.js(conv))
		if want == 0 {
			t.Fatalf("getHistoryMessages(%s) succeeded", what)
		}
		for _, name := range []string{"getUnreadCount", "getTextMessageDraft", "getConversationNotificationLevel", "getUnreadMentionedCount", "getConversation", "getFirstUnreadMessage"} {
			if code, _ := z.call(name, z.js(conv)); code == 0 {
				t.Errorf("%s(%s): success (getHistoryMessages answers %d)", name, what, want)
			}
		}
	}
}
