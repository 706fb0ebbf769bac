package contract

import (
	"fmt"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/proto/codes"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

func ids(n, size int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%0*d", size, i)
	}
	return out
}

func expansion(n, keySize, valueSize int) map[string]string {
	x := map[string]string{}
	for i := range n {
		x[fmt.Sprintf("%0*d", keySize, i)] = strings.Repeat("v", valueSize)
	}
	return x
}

// objectOf is a JSON object of exactly n bytes (n ≥ 8).
func objectOf(n int) []byte {
	return []byte(`{"c":"` + strings.Repeat("x", n-8) + `"}`)
}

func TestCheckSend(t *testing.T) {
	conv := &pb.Conversation{Type: pb.ConversationType_GROUP, Target: strings.Repeat("g", 64)}
	for _, c := range []struct {
		name string
		r    *pb.SendRequest
		want int32
	}{
		{"plain", &pb.SendRequest{Conv: conv, Content: []byte("{}")}, 0},
		{"content at the limit", &pb.SendRequest{Conv: conv, Content: objectOf(DefaultContentBytes)}, 0},
		{"content over", &pb.SendRequest{Conv: conv, Content: objectOf(DefaultContentBytes + 1)}, codes.MsgContentExceedLimit},
		{"content no object", &pb.SendRequest{Conv: conv, Content: []byte(`"text"`)}, codes.InvalidParameter},
		{"content empty", &pb.SendRequest{Conv: conv, Content: []byte(" ")}, codes.InvalidParameter},
		{"content after spaces", &pb.SendRequest{Conv: conv, Content: []byte(" \n{}")}, 0},
		{"object name of 64 bytes", &pb.SendRequest{Conv: conv, ObjectName: strings.Repeat("o", 64)}, 0},
		{"object name of 65 bytes", &pb.SendRequest{Conv: conv, ObjectName: strings.Repeat("o", 65)}, codes.InvalidParameter},
		{"pushContent 1 KiB", &pb.SendRequest{Conv: conv, PushContent: strings.Repeat("p", 1024)}, 0},
		{"pushContent over", &pb.SendRequest{Conv: conv, PushContent: strings.Repeat("p", 1025)}, codes.InvalidParameter},
		{"pushData over", &pb.SendRequest{Conv: conv, PushData: strings.Repeat("p", 4097)}, codes.InvalidParameter},
		// Strings every device decodes (a form body's raw bytes reach here).
		{"object name not UTF-8", &pb.SendRequest{Conv: conv, ObjectName: "App:\xff"}, codes.InvalidParameter},
		{"pushContent not UTF-8", &pb.SendRequest{Conv: conv, PushContent: "\xff"}, codes.InvalidParameter},
		{"pushData with U+0000", &pb.SendRequest{Conv: conv, PushData: "a\x00"}, codes.InvalidParameter},
		{"mentionedContent not UTF-8", &pb.SendRequest{Conv: conv, IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 1, Content: "\xfe"}}, codes.InvalidParameter},
		{"pushContent in Chinese", &pb.SendRequest{Conv: conv, PushContent: "你好"}, 0},
		{"1000 mentions", &pb.SendRequest{Conv: conv, IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 2, UserIds: ids(1000, 8)}}, 0},
		// The options' rules, on both sides (a refused send leaves no record
		// on the device).
		{"mentioned without info", &pb.SendRequest{Conv: conv, IsMentioned: true}, codes.InvalidParameter},
		{"mention info without isMentioned", &pb.SendRequest{Conv: conv, MentionedInfo: &pb.MentionedInfo{Type: 1}}, codes.InvalidParameter},
		{"mention type 3", &pb.SendRequest{Conv: conv, IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 3}}, codes.InvalidParameter},
		{"SINGAL without ids", &pb.SendRequest{Conv: conv, IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 2}}, codes.InvalidParameter},
		{"@all", &pb.SendRequest{Conv: conv, IsMentioned: true, MentionedInfo: &pb.MentionedInfo{Type: 1}}, 0},
		{"expansion without canIncludeExpansion", &pb.SendRequest{Conv: conv, Expansion: map[string]string{"k": "v"}}, codes.InvalidParameter},
		{"expansion with it", &pb.SendRequest{Conv: conv, CanIncludeExpansion: true, Expansion: map[string]string{"k": "v"}}, 0},
		{"directed in a private chat", &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_PRIVATE, Target: "bob"}, DirectedUserIds: []string{"bob"}}, codes.InvalidParameter},
		{"directed in a group", &pb.SendRequest{Conv: conv, DirectedUserIds: []string{"bob"}}, 0},
		{"receipt in a chat room", &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_CHATROOM, Target: "r"}, NeedReceipt: true}, codes.InvalidParameter},
		{"delivery receipt in an ultra group", &pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_ULTRA_GROUP, Target: "u"}, DeliveryReceipt: true}, codes.InvalidParameter},
		{"receipt on a status message", &pb.SendRequest{Conv: conv, NeedReceipt: true, IsStatus: true}, codes.SendReadReceiptConfError},
		{"receipt on a directed message", &pb.SendRequest{Conv: conv, NeedReceipt: true, DirectedUserIds: []string{"bob"}}, codes.SendReadReceiptConfError},
		{"1001 mentions", &pb.SendRequest{Conv: conv, MentionedInfo: &pb.MentionedInfo{Type: 2, UserIds: ids(1001, 8)}}, codes.InvalidParameter},
		{"1001 recipients", &pb.SendRequest{Conv: conv, DirectedUserIds: ids(1001, 8)}, codes.InvalidParameter},
		{"expansion of 21 keys", &pb.SendRequest{Conv: conv, Expansion: expansion(21, 2, 1)}, codes.InvalidParameterMessageExpansion},
		{"expansion key malformed", &pb.SendRequest{Conv: conv, Expansion: map[string]string{"a b": "v"}}, codes.InvalidParameterMessageExpansion},
		{"expansion over 64 KiB", &pb.SendRequest{Conv: conv, Expansion: expansion(17, 2, 4000)}, codes.ExpansionLimitExceeded},
		{"every part at its limit", &pb.SendRequest{
			Conv: conv, Content: objectOf(DefaultContentBytes), PushContent: strings.Repeat("p", 1024),
			PushData: strings.Repeat("p", 4096), MentionedInfo: &pb.MentionedInfo{Type: 2, UserIds: ids(1000, 64)},
			DirectedUserIds: ids(1000, 64),
		}, codes.MsgContentExceedLimit},
	} {
		if c.r.ObjectName == "" {
			c.r.ObjectName = "RC:TxtMsg"
		}
		if c.r.Content == nil {
			c.r.Content = []byte("{}")
		}
		if got := codes.Of(CheckSend(c.r, DefaultContentBytes)); got != c.want {
			t.Errorf("%s: code %d, want %d", c.name, got, c.want)
		}
	}
}

func TestCheckExpansionChange(t *testing.T) {
	for _, c := range []struct {
		name   string
		set    map[string]string
		remove []string
		want   int32
	}{
		{"20 keys", expansion(20, 2, 4096), nil, 0},
		{"21 set", expansion(21, 2, 1), nil, codes.InvalidParameterMessageExpansion},
		{"21 removed", nil, ids(21, 2), codes.InvalidParameterMessageExpansion},
		{"key of 32", map[string]string{strings.Repeat("k", 32): ""}, nil, 0},
		{"key of 33", map[string]string{strings.Repeat("k", 33): ""}, nil, codes.InvalidParameterMessageExpansion},
		{"empty key removed", nil, []string{""}, codes.InvalidParameterMessageExpansion},
		{"key chars", map[string]string{"a_=+-Z9": "v"}, nil, 0},
		{"key with a dot", map[string]string{"a.b": "v"}, nil, codes.InvalidParameterMessageExpansion},
		{"value of 4097", map[string]string{"k": strings.Repeat("v", 4097)}, nil, codes.InvalidParameterMessageExpansion},
	} {
		if got := codes.Of(CheckExpansionChange(c.set, c.remove)); got != c.want {
			t.Errorf("%s: code %d, want %d", c.name, got, c.want)
		}
	}
	if got := codes.Of(CheckExpansion(expansion(300, 8, 1))); got != 0 {
		t.Errorf("300 keys: %d", got)
	}
	if got := codes.Of(CheckExpansion(expansion(301, 8, 1))); got != codes.ExpansionLimitExceeded {
		t.Errorf("301 keys: %d", got)
	}
}

// The contract the limits exist for: a message the checks let through,
// stored with the largest fields the server adds and then given the
// largest expansion it may hold, still encodes to at most MessageBytes,
// and a page holding it fits a client's 1 MiB frame.
func TestWorstMessageFitsAFrame(t *testing.T) {
	for _, maxContent := range []int{1000, DefaultContentBytes, MaxContentBytes} {
		r := &pb.SendRequest{
			Conv:        &pb.Conversation{Type: pb.ConversationType_GROUP, Target: strings.Repeat("g", 64)},
			ClientMsgId: strings.Repeat("c", 64), ObjectName: strings.Repeat("o", 64),
			Content: objectOf(maxContent), PushContent: strings.Repeat("p", 1024),
			PushData: strings.Repeat("p", 4096), IsPersisted: true, IsCounted: true, IsMentioned: true,
			CanIncludeExpansion: true, NeedReceipt: true, DeliveryReceipt: true, PushConfig: []byte("{}"),
			MentionedInfo: &pb.MentionedInfo{Type: 2, UserIds: ids(100, 64), Content: strings.Repeat("m", 1024)},
		}
		// Grow the recipients until the request is just within the limit.
		for CheckSend(r, maxContent) == nil {
			r.DirectedUserIds = append(r.DirectedUserIds, strings.Repeat("d", 64))
		}
		r.DirectedUserIds = r.DirectedUserIds[:len(r.DirectedUserIds)-1]
		if err := CheckSend(r, maxContent); err != nil {
			t.Fatal(err)
		}
		m := &pb.Message{
			ConvType: r.Conv.Type, FromUser: strings.Repeat("f", 64), To: r.Conv.Target, Channel: r.Conv.Channel,
			Uid: strings.Repeat("u", 32), Seq: MaxSeq, SentTime: 1 << 62, ClientMsgId: r.ClientMsgId,
			ObjectName: r.ObjectName, Content: r.Content, IsPersisted: true, IsCounted: true, IsMentioned: true,
			MentionedInfo: r.MentionedInfo, PushContent: r.PushContent, PushData: r.PushData, PushConfig: r.PushConfig,
			DirectedUserIds: r.DirectedUserIds, CanIncludeExpansion: true, NeedReceipt: true, DeliveryReceipt: true,
		}
		if m.Size() > MessageBytes(maxContent) {
			t.Fatalf("content limit %d: stored message %d bytes, over %d", maxContent, m.Size(), MessageBytes(maxContent))
		}
		f := &pb.Frame{Id: 1 << 62, Body: &pb.Frame_PullResult{PullResult: &pb.PullResult{Messages: []*pb.Message{m}, LastSeq: MaxSeq, StartSeq: MaxSeq}}}
		if f.Size() > 1<<20 {
			t.Fatalf("content limit %d: a page of it is %d bytes", maxContent, f.Size())
		}
		if FrameBytes(maxContent) < r.Size()+64 {
			t.Fatalf("content limit %d: the read limit %d is under the request", maxContent, FrameBytes(maxContent))
		}
	}
}

func TestCheckAckContent(t *testing.T) {
	for _, tc := range []struct {
		content string
		code    int32
	}{
		{"", 0},
		{"{}", 0},
		{strings.Repeat("x", MaxAckContentBytes), 0},
		{strings.Repeat("x", MaxAckContentBytes+1), codes.InvalidParameter},
		{strings.Repeat("读", MaxAckContentBytes/3+1), codes.InvalidParameter}, // bytes, not characters
	} {
		if got := codes.Of(CheckAckContent(tc.content)); got != tc.code {
			t.Errorf("CheckAckContent(%d bytes) = %d, want %d", len(tc.content), got, tc.code)
		}
	}
}

// The recall notice is no type to send (an import may hold it: CheckSend
// takes it).
func TestCheckSentType(t *testing.T) {
	if got := codes.Of(CheckSentType(RecallNotice)); got != codes.InvalidParameter {
		t.Errorf("RC:RcNtf: %d", got)
	}
	if err := CheckSentType("RC:TxtMsg"); err != nil {
		t.Errorf("RC:TxtMsg: %v", err)
	}
	if err := CheckSend(&pb.SendRequest{Conv: &pb.Conversation{Type: pb.ConversationType_GROUP, Target: "g"}, ObjectName: RecallNotice, Content: []byte("{}")}, DefaultContentBytes); err != nil {
		t.Errorf("CheckSend refuses the recall notice: %v", err)
	}
}
