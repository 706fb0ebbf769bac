package litepb_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/proto/pb"
)

// A push of one text message, the commonest frame, through each codec.
func samplePush() *pb.Frame {
	return &pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{Messages: []*pb.Message{{
		Uid: "0c3f2a9b8e7d6c5b4a39", ConvType: pb.ConversationType_PRIVATE, FromUser: "user-1234", To: "user-5678",
		Seq: 123456, SentTime: 1764800000000, ClientMsgId: "c-8f7e6d5c4b3a2910", ObjectName: "RC:TxtMsg",
		Content: []byte(`{"content":"hello, this is a message of ordinary length"}`), IsPersisted: true, IsCounted: true,
	}}}}}
}

func BenchmarkCodec(b *testing.B) {
	enc, _ := proto.Marshal(samplePush())
	b.Run("generated/marshal", func(b *testing.B) {
		f := samplePush()
		for b.Loop() {
			proto.Marshal(f)
		}
	})
	b.Run("litepb/marshal", func(b *testing.B) {
		var f litepb.Frame
		f.Unmarshal(enc)
		for b.Loop() {
			f.Marshal()
		}
	})
	b.Run("generated/unmarshal", func(b *testing.B) {
		for b.Loop() {
			proto.Unmarshal(enc, new(pb.Frame))
		}
	})
	b.Run("litepb/unmarshal", func(b *testing.B) {
		for b.Loop() {
			new(litepb.Frame).Unmarshal(enc)
		}
	})
}
