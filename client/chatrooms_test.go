package client

import (
	"context"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// A room quit while the reconnect's rejoin of it is in flight: the
// rejoin's answer (the server took the join first: requests are answered
// in order) comes after QuitChatroom forgot the room, and must not bring
// it back: the engine would believe itself in a room the app quit, and the
// next reconnect would join it again. (A second room, s, shows what the
// next reconnect rejoins: rooms rejoin in order, r first.)
func TestQuitDuringRejoinStaysQuit(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	ctx := context.Background()
	done := make(chan error, 1)
	for _, room := range []string{"r", "s"} {
		go func() { _, err := h.e.JoinChatroom(ctx, room, -1, false); done <- err }()
		f, _ := next[*pb.Frame_Chatroom](t, c)
		c.reply(f, &pb.Frame_ChatroomResult{ChatroomResult: &pb.ChatroomResult{CreateTime: 1, LastSeq: 0}})
		if err := recv(t, done); err != nil {
			t.Fatal(err)
		}
	}

	c.drop()
	c2 := h.srv.conn(t, 1)
	rejoin, body := next[*pb.Frame_Chatroom](t, c2)
	if body.Chatroom.Op != pb.ChatroomOp_CHATROOM_JOIN_EXISTING || body.Chatroom.Room != "r" {
		t.Fatalf("rejoin %+v", body.Chatroom)
	}
	// The app quits the room now.
	go func() { done <- h.e.QuitChatroom(ctx, "r") }()
	quit, body := next[*pb.Frame_Chatroom](t, c2)
	if body.Chatroom.Op != pb.ChatroomOp_CHATROOM_QUIT {
		t.Fatalf("quit %+v", body.Chatroom)
	}
	// The server answers in order: the join, then the quit.
	c2.reply(rejoin, &pb.Frame_ChatroomResult{ChatroomResult: &pb.ChatroomResult{CreateTime: 1, LastSeq: 0}})
	c2.reply(quit, &pb.Frame_ChatroomResult{ChatroomResult: &pb.ChatroomResult{}})
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	f, body := next[*pb.Frame_Chatroom](t, c2)
	if body.Chatroom.Room != "s" {
		t.Fatalf("rejoin %+v", body.Chatroom)
	}
	c2.reply(f, &pb.Frame_ChatroomResult{ChatroomResult: &pb.ChatroomResult{CreateTime: 1, LastSeq: 0}})
	h.ev.next(t, EventChatroom, func(ev Event) bool { return ev.Chatroom.Rejoined != nil && ev.Chatroom.Room == "s" })
	if h.e.InChatroom("r") {
		t.Fatal("after QuitChatroom returned, the engine is in the room again")
	}
	// The next reconnect rejoins s alone.
	c2.drop()
	c3 := h.srv.conn(t, 2)
	if _, body := next[*pb.Frame_Chatroom](t, c3); body.Chatroom.Room != "s" {
		t.Fatalf("the next reconnect joined %q", body.Chatroom.Room)
	}
}
