package server

import (
	"encoding/binary"
	"os"
	"regexp"
	"strconv"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads a counter or gauge.
func value(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if c := d.GetCounter(); c != nil {
		return c.GetValue()
	}
	return d.GetGauge().GetValue()
}

// The type label of every frame body is the oneof field's name in
// proto/imwasm.proto, and frameType finds it for the Go type the decoder
// makes of that field: a body added to the protocol fails here until it
// has its label.
func TestFrameTypesFollowTheProto(t *testing.T) {
	src, err := os.ReadFile("../proto/imwasm.proto")
	if err != nil {
		t.Fatal(err)
	}
	body := regexp.MustCompile(`(?s)message Frame \{.*?oneof body \{(.*?)\n  \}`).FindSubmatch(src)
	if body == nil {
		t.Fatal("no Frame oneof body in imwasm.proto")
	}
	fields := regexp.MustCompile(`(?m)^\s+\w+ (\w+) = (\d+);`).FindAllSubmatch(body[1], -1)
	if len(fields) < 30 {
		t.Fatalf("read %d fields of the oneof", len(fields))
	}
	named := map[int]bool{frameNone: true, frameMalformed: true}
	for _, f := range fields {
		name := string(f[1])
		num, _ := strconv.Atoi(string(f[2]))
		named[num] = true
		if num >= len(frameTypes) || frameTypes[num] != name {
			t.Errorf("field %d %s: no type label (frameTypes)", num, name)
			continue
		}
		// The field on the wire, an empty message: tag, length 0.
		fr := &pb.Frame{}
		if err := fr.Unmarshal(append(binary.AppendUvarint(nil, uint64(num<<3|2)), 0)); err != nil {
			t.Fatalf("field %d: %v", num, err)
		}
		if k := frameType(fr); int(k) != num {
			t.Errorf("frameType of field %d %s (%T) = %d", num, name, fr.Body, k)
		}
	}
	for k, name := range frameTypes {
		if name != "" && !named[k] {
			t.Errorf("frameTypes[%d] = %q is no field of the oneof", k, name)
		}
	}
	if frameTypes[framePush] != "push" || frameType(&pb.Frame{}) != frameNone {
		t.Error("push or none misplaced")
	}
}

// A write's batch is counted per type and in the total, whatever the
// order of its frames.
func TestFramesWrittenByType(t *testing.T) {
	m := newServerMetrics(prometheus.NewRegistry())
	const sendAck, pong = 11, 6
	m.framesWritten([]outFrame{{kind: framePush}, {kind: framePush}, {kind: sendAck}, {kind: framePush}})
	m.framesWritten(nil)
	m.frameOut(pong)
	for _, c := range []struct {
		kind uint8
		want float64
	}{{framePush, 3}, {sendAck, 1}, {pong, 1}, {frameNone, 0}} {
		if got := value(t, m.framesOutByType[c.kind]); got != c.want {
			t.Errorf("%s: %v, want %v", frameTypes[c.kind], got, c.want)
		}
	}
	if got := value(t, m.framesOut); got != 5 {
		t.Errorf("total %v, want 5", got)
	}
}

// Each code has a child of its own, made on its first answer.
func TestErrorsByCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newServerMetrics(reg)
	m.errors.inc(20604)
	m.errors.inc(20604)
	m.errors.inc(-1)
	got := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "imwasm_errors_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
		}
	}
	if len(got) != 2 || got["20604"] != 2 || got["-1"] != 1 {
		t.Errorf("imwasm_errors_total %v", got)
	}
}
