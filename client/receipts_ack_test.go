package client

import (
	"context"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// AckConversationRead(c, "") (the vendor modules' conversation read ack,
// documented "as MarkRead does") names the latest message the device
// holds, not seq 0 (the server's latest): a message committed meanwhile
// would be read on the server without being shown, and the server's log
// entry come back as another device's read.
func TestAckConversationReadNamesWhatItHolds(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	c.push(from(bob, 1), from(bob, 2))
	h.messages()
	done := make(chan error, 1)
	go func() { done <- h.e.AckConversationRead(context.Background(), bob, "") }()
	_, read := next[*pb.Frame_Read](t, c)
	if read.Read.Seq != 2 {
		t.Fatalf("conversation read ack asks for seq %d, want 2 (the latest this device holds, as MarkRead(c, 0) now names)", read.Read.Seq)
	}
}
