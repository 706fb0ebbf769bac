package server

import (
	"fmt"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// TestMergePushes: runs of adjacent pushes become one WebSocket message
// that decodes as one Push with every message in order; other frames keep
// their place; the size bound splits runs.
func TestMergePushes(t *testing.T) {
	push := func(uid string, size int) outFrame {
		b, _ := (&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Messages: []*pb.Message{{Uid: uid, Content: make([]byte, size)}}}}}).Marshal()
		return outFrame{b: b, push: true}
	}
	other := func(id uint64) outFrame {
		b, _ := (&pb.Frame{Id: id, Body: &pb.Frame_Pong{Pong: &pb.Pong{}}}).Marshal()
		return outFrame{b: b}
	}
	big := maxMergedPush / 2
	tests := []struct {
		name   string
		frames []outFrame
		want   []string // per message: uids joined, or "pong N"
	}{
		{"single push", []outFrame{push("a", 1)}, []string{"a"}},
		{"run of pushes", []outFrame{push("a", 1), push("b", 1), push("c", 1)}, []string{"a b c"}},
		{"reply between runs", []outFrame{push("a", 1), push("b", 1), other(7), push("c", 1)}, []string{"a b", "pong 7", "c"}},
		{"size bound", []outFrame{push("a", big), push("b", big), push("c", 10)}, []string{"a", "b c"}},
		{"replies only", []outFrame{other(1), other(2)}, []string{"pong 1", "pong 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mergePushes(nil, tt.frames)
			var got []string
			for _, b := range out {
				f := &pb.Frame{}
				if err := f.Unmarshal(b); err != nil {
					t.Fatal(err)
				}
				if f.GetPong() != nil {
					got = append(got, fmt.Sprint("pong ", f.Id))
					continue
				}
				s := ""
				for i, m := range f.GetPush().GetMessages() {
					if i > 0 {
						s += " "
					}
					s += m.Uid
				}
				got = append(got, s)
				if len(b) > maxMergedPush {
					t.Fatalf("merged message of %d bytes", len(b))
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
