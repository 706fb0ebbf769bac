package litepb_test

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/proto/pb"
)

// codec is what every litepb message provides.
type codec interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
	Merge([]byte) error
	Size() int
}

// roots are the messages encoded on their own; every other message of
// imwasm.proto is reached from them (TestRootsReachEverything).
var roots = []struct {
	pb   func() proto.Message
	lite func() codec
}{
	{func() proto.Message { return new(pb.Frame) }, func() codec { return new(litepb.Frame) }},
	{func() proto.Message { return new(pb.StoredMessage) }, func() codec { return new(litepb.StoredMessage) }},
	{func() proto.Message { return new(pb.StoredConversation) }, func() codec { return new(litepb.StoredConversation) }},
}

func TestRootsReachEverything(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		fs := md.Fields()
		for i := 0; i < fs.Len(); i++ {
			if m := fs.Get(i).Message(); m != nil {
				walk(m)
			}
		}
	}
	for _, r := range roots {
		walk(r.pb().ProtoReflect().Descriptor())
	}
	msgs := pb.File_proto_imwasm_proto.Messages()
	for i := 0; i < msgs.Len(); i++ {
		if name := msgs.Get(i).FullName(); !seen[name] {
			t.Errorf("%s is not reachable from the test's roots: add it to roots", name)
		}
	}
}

// fill sets random values in m's fields (each with probability 1/2; one
// member of each oneof), down to depth levels of nested messages.
func fill(r *rand.Rand, m protoreflect.Message, depth int) {
	fs := m.Descriptor().Fields()
	for i := 0; i < fs.Len(); i++ {
		f := fs.Get(i)
		if o := f.ContainingOneof(); o != nil {
			if o.Fields().Get(r.IntN(o.Fields().Len())) != f || r.IntN(4) == 0 {
				continue
			}
		} else if r.IntN(2) == 0 {
			continue
		}
		switch {
		case f.IsMap():
			mp := m.Mutable(f).Map()
			for j := r.IntN(4); j > 0; j-- {
				mp.Set(protoreflect.ValueOfString(str(r)).MapKey(), protoreflect.ValueOfString(str(r)))
			}
		case f.IsList():
			l := m.Mutable(f).List()
			for j := r.IntN(4); j > 0; j-- {
				if f.Message() != nil {
					if depth == 0 {
						break
					}
					e := l.NewElement()
					fill(r, e.Message(), depth-1)
					l.Append(e)
				} else {
					l.Append(scalar(r, f))
				}
			}
		case f.Message() != nil:
			if depth > 0 || f.ContainingOneof() != nil {
				fill(r, m.Mutable(f).Message(), depth-1)
			}
		default:
			m.Set(f, scalar(r, f))
		}
	}
}

func str(r *rand.Rand) string {
	return []string{"", "a", "ü€😀", strings.Repeat("x", 200), "\x00z"}[r.IntN(5)]
}

func scalar(r *rand.Rand, f protoreflect.FieldDescriptor) protoreflect.Value {
	edge := []int64{0, 1, -1, 127, 128, 1 << 31, -(1 << 31), 1<<63 - 1, -1 << 63}
	v := edge[r.IntN(len(edge))]
	if r.IntN(2) == 0 {
		v = r.Int64()
	}
	switch f.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(str(r))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte(str(r)))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(v&1 == 1)
	case protoreflect.Int32Kind:
		return protoreflect.ValueOfInt32(int32(v))
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(v)
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32(uint32(v))
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64(uint64(v))
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(v) % 200))
	}
	panic("kind not covered by the test: " + f.Kind().String())
}

// TestSameBytes: for random messages, litepb decodes what the generated
// code encodes, and encodes it back to the very same bytes.
func TestSameBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	det := proto.MarshalOptions{Deterministic: true}
	for i := 0; i < 3000; i++ {
		root := roots[i%len(roots)]
		want := root.pb()
		fill(r, want.ProtoReflect(), 3)
		b, err := det.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		lite := root.lite()
		if err := lite.Unmarshal(b); err != nil {
			t.Fatalf("litepb cannot decode %T %v: %v", want, want, err)
		}
		if lite.Size() != len(b) {
			t.Fatalf("%T: Size() = %d, encoding has %d bytes", lite, lite.Size(), len(b))
		}
		got, _ := lite.Marshal()
		if !bytes.Equal(got, b) {
			t.Fatalf("%T %v:\nlitepb encodes %x\ngenerated code %x", want, want, got, b)
		}
	}
}

// TestMergeConcatenated: the server concatenates Push frames into one
// WebSocket message; litepb must decode that as proto does, one frame
// holding every push's messages.
func TestMergeConcatenated(t *testing.T) {
	var all []byte
	for i := 1; i <= 3; i++ {
		b, _ := proto.Marshal(&pb.Frame{Body: &pb.Frame_Push{Push: &pb.Push{
			Messages: []*pb.Message{{Uid: strings.Repeat("u", i), Seq: uint64(i), Expansion: map[string]string{"k": "v"}}},
			Typing:   []*pb.TypingUpdate{{UserId: "t"}},
		}}})
		all = append(all, b...)
	}
	var f litepb.Frame
	if err := f.Unmarshal(all); err != nil {
		t.Fatal(err)
	}
	ms := f.GetPush().GetMessages()
	if len(ms) != 3 || ms[2].Seq != 3 || ms[1].Uid != "uu" || len(f.GetPush().GetTyping()) != 3 {
		t.Fatalf("concatenated pushes decoded as %+v", f.GetPush())
	}
	// Last scalar wins, messages merge, a different oneof member replaces.
	a, _ := proto.Marshal(&pb.Frame{Id: 1, Body: &pb.Frame_Error{Error: &pb.Error{Code: 5, Msg: "m"}}})
	b, _ := proto.Marshal(&pb.Frame{Id: 2, Body: &pb.Frame_Error{Error: &pb.Error{Code: 6}}})
	c, _ := proto.Marshal(&pb.Frame{Body: &pb.Frame_Ping{Ping: &pb.Ping{}}})
	if err := f.Unmarshal(append(append([]byte{}, a...), b...)); err != nil {
		t.Fatal(err)
	}
	if f.Id != 2 || f.GetError().GetCode() != 6 || f.GetError().GetMsg() != "m" {
		t.Fatalf("merge: got %+v %+v", f, f.GetError())
	}
	if err := f.Merge(c); err != nil || f.GetPing() == nil || f.GetError() != nil {
		t.Fatalf("a new oneof member must replace the old: %+v, %v", f, err)
	}
}

func TestBadInput(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated varint":     {0x08, 0x80},
		"length past the end":  {0x12, 0x05, 'a'},
		"field number zero":    {0x00, 0x01},
		"invalid UTF-8":        {0x12, 0x02, 0x0a, 0x02, 0xff, 0xfe}, // auth.token
		"bad group":            {0x0b},                               // start group without end
		"invalid in a map key": {0x42, 0x09, 0x0a, 0x07, 0xb2, 0x01, 0x04, 0x0a, 0x02, 0xc3, 0x28},
	} {
		var f litepb.Frame
		if err := f.Unmarshal(b); err == nil {
			t.Errorf("%s: %x decoded without an error: %+v", name, b, &f)
		}
		if err := proto.Unmarshal(b, new(pb.Frame)); err == nil {
			t.Errorf("%s: the generated code accepts %x: the case is wrong", name, b)
		}
	}
	// A known field with an unexpected wire type is skipped, as proto does.
	var f litepb.Frame
	if err := f.Unmarshal([]byte{0x0a, 0x01, 'x', 0x08, 0x07}); err != nil || f.Id != 7 {
		t.Fatalf("id sent as bytes then as varint: %+v, %v", f, err)
	}
}

// FuzzUnmarshal: litepb accepts exactly what the generated code accepts,
// and means the same by it.
func FuzzUnmarshal(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ {
		m := new(pb.Frame)
		fill(r, m.ProtoReflect(), 2)
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := new(pb.Frame)
		wantErr := proto.Unmarshal(b, want)
		var got litepb.Frame
		err := got.Unmarshal(b)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%x: litepb error %v, generated code error %v", b, err, wantErr)
		}
		if err != nil {
			return
		}
		enc, _ := got.Marshal()
		back := new(pb.Frame)
		if err := proto.Unmarshal(enc, back); err != nil {
			t.Fatalf("litepb's encoding does not decode: %v", err)
		}
		dropUnknown(want.ProtoReflect())
		if !proto.Equal(back, want) {
			t.Fatalf("%x:\nlitepb    %v\ngenerated %v", b, back, want)
		}
	})
}

// dropUnknown removes the unknown fields the generated code keeps (litepb
// skips them) from m and everything in it.
func dropUnknown(m protoreflect.Message) {
	m.SetUnknown(nil)
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.IsMap():
		case f.IsList() && f.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				dropUnknown(v.List().Get(i).Message())
			}
		case f.Message() != nil:
			dropUnknown(v.Message())
		}
		return true
	})
}
