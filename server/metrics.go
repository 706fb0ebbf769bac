package server

import (
	runtimemetrics "runtime/metrics"
	"strconv"
	"sync"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// serverMetrics is what GET /metrics reports besides the Go and process
// collectors. Each Server has a registry of its own: tests run several
// servers in one process, and the global default registry would mix them.
type serverMetrics struct {
	connections, authFailures, framesIn, framesOut, badFrames    prometheus.Counter
	messages, duplicates, rateLimited, slowConsumers, acks, idle prometheus.Counter
	chatroomMissed                                               prometheus.Counter
	webhookBlocked, webhookReplaced, webhookDropped              prometheus.Counter
	webPushSent                                                  prometheus.Counter
	webhookFailures                                              *prometheus.CounterVec
	panics, requestsLimited                                      prometheus.Counter
	sessions                                                     prometheus.Gauge
	commitSeconds, beforeSendSeconds                             prometheus.Histogram

	// The labelled children, resolved once here: the per-frame paths
	// index an array rather than hash label values.
	framesInByType, framesOutByType [len(frameTypes)]prometheus.Counter
	errors                          *errorCounters
}

func newServerMetrics(r prometheus.Registerer) serverMetrics {
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		r.MustRegister(c)
		return c
	}
	m := serverMetrics{
		connections:     counter("imwasm_ws_connections_total", "WebSocket connections accepted."),
		authFailures:    counter("imwasm_auth_failures_total", "Connections refused at authentication."),
		framesIn:        counter("imwasm_frames_in_total", "Frames read from clients."),
		framesOut:       counter("imwasm_frames_out_total", "Frames written to clients."),
		badFrames:       counter("imwasm_bad_frames_total", "Frames that could not be decoded."),
		messages:        counter("imwasm_messages_total", "Messages stored."),
		duplicates:      counter("imwasm_duplicate_sends_total", "Resends answered with the stored message."),
		rateLimited:     counter("imwasm_rate_limited_total", "Sends refused by the per-user rate limit."),
		requestsLimited: counter("imwasm_requests_limited_total", "Writes other than sends refused by the per-user rate limit."),
		slowConsumers:   counter("imwasm_slow_consumers_total", "Sessions closed because their queue overflowed."),
		chatroomMissed:  counter("imwasm_chatroom_missed_total", "Chat room pushes a session too far behind did not get (its device reads them from the room's history)."),
		webhookBlocked:  counter("imwasm_webhook_blocked_total", "Messages the before-send webhook blocked."),
		webhookReplaced: counter("imwasm_webhook_replaced_total", "Messages whose content the before-send webhook replaced."),
		webhookDropped:  counter("imwasm_webhook_dropped_total", "Webhook events given up after webhookRetrySeconds of failed deliveries."),
		webPushSent:     counter("imwasm_webpush_sent_total", "Web Push notifications a push service accepted."),
		webhookFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "imwasm_webhook_failures_total",
			Help: "Webhook calls that failed or were not answered in time, by event type.",
		}, []string{"type"}),
		acks:     counter("imwasm_device_acks_total", "Conversation cursors acknowledged by devices."),
		idle:     counter("imwasm_idle_closed_total", "Sessions closed for missing heartbeats."),
		panics:   counter("imwasm_handler_panics_total", "Requests whose handler panicked (answered with an error)."),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "imwasm_sessions", Help: "Authenticated sessions on this node."}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "imwasm_store_commit_seconds",
			Help:    "Time from a send's arrival to its commit.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1},
		}),
		beforeSendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "imwasm_webhook_before_send_seconds",
			Help:    "How long a send waited for the before-send webhook's answer (or its timeout).",
			Buckets: []float64{.0005, .001, .002, .003, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5},
		}),
	}
	r.MustRegister(m.sessions, m.commitSeconds, m.beforeSendSeconds, m.webhookFailures)

	in := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imwasm_frames_in_by_type_total",
		Help: "Frames read from clients by body type (none: no body; malformed: not decodable); they add up to imwasm_frames_in_total.",
	}, []string{"type"})
	out := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imwasm_frames_out_by_type_total",
		Help: "Frames written to clients by body type; they add up to imwasm_frames_out_total.",
	}, []string{"type"})
	m.errors = &errorCounters{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "imwasm_errors_total",
		Help: "Error answers by code: Error frames on the WebSocket and refusals of the HTTP API.",
	}, []string{"code"}), byCode: map[int32]prometheus.Counter{}}
	r.MustRegister(in, out, m.errors.vec)
	for k, name := range frameTypes {
		if name != "" {
			// Created up front, so every type is scraped from the start
			// (at 0) and rate() sees its first frames.
			m.framesInByType[k] = in.WithLabelValues(name)
			m.framesOutByType[k] = out.WithLabelValues(name)
		}
	}

	// The Go runtime's view of memory, to tell heap from goroutine stacks
	// when memory per connection grows. The Go collector's go_* metrics
	// cover much the same, but these names are the ones BENCHMARKS.md and
	// the bench's notes read, so they stay, read as before.
	for _, g := range []struct{ name, help, key string }{
		{"imwasm_go_heap_bytes", "Bytes in heap objects, live or not yet swept.", "/memory/classes/heap/objects:bytes"},
		{"imwasm_go_stack_bytes", "Bytes of goroutine stacks.", "/memory/classes/heap/stacks:bytes"},
		{"imwasm_go_goroutines", "Goroutines.", "/sched/goroutines:goroutines"},
		{"imwasm_go_mapped_bytes", "Bytes the runtime has mapped, released or not.", "/memory/classes/total:bytes"},
	} {
		r.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help}, func() float64 {
			sample := []runtimemetrics.Sample{{Name: g.key}}
			runtimemetrics.Read(sample)
			if sample[0].Value.Kind() != runtimemetrics.KindUint64 {
				return 0
			}
			return float64(sample[0].Value.Uint64())
		}))
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// frameIn counts a frame read, of frameTypes[kind].
func (m *serverMetrics) frameIn(kind uint8) {
	m.framesIn.Inc()
	if c := m.framesInByType[kind]; c != nil { // a type frameTypes lacks: counted in the total only
		c.Inc()
	}
}

// frameOut counts a frame written, of frameTypes[kind].
func (m *serverMetrics) frameOut(kind uint8) {
	m.framesOut.Inc()
	if c := m.framesOutByType[kind]; c != nil {
		c.Inc()
	}
}

// framesWritten counts the frames of a write: one add per run of one type
// (a batch is mostly pushes), not one per frame.
func (m *serverMetrics) framesWritten(batch []outFrame) {
	m.framesOut.Add(float64(len(batch)))
	for i := 0; i < len(batch); {
		j := i + 1
		for j < len(batch) && batch[j].kind == batch[i].kind {
			j++
		}
		if c := m.framesOutByType[batch[i].kind]; c != nil {
			c.Add(float64(j - i))
		}
		i = j
	}
}

// errorCounters are imwasm_errors_total's children by code, each resolved
// once: an error answer costs a map read under a read lock, not the
// formatting and hashing of its label (a client flooding past its rate
// limit gets one per frame).
type errorCounters struct {
	vec    *prometheus.CounterVec
	mu     sync.RWMutex
	byCode map[int32]prometheus.Counter
}

// inc counts one error answer of code.
func (e *errorCounters) inc(code int32) {
	e.mu.RLock()
	c := e.byCode[code]
	e.mu.RUnlock()
	if c == nil {
		// Codes are the server's own (proto/codes), so the map stays small.
		c = e.vec.WithLabelValues(strconv.Itoa(int(code)))
		e.mu.Lock()
		e.byCode[code] = c
		e.mu.Unlock()
	}
	c.Inc()
}

// Frame types: the index is the body's field number in the Frame oneof of
// proto/imwasm.proto, and the name its field name (the type label). Field 1
// is the frame's id, never a body, so index 1 is free for frames that did
// not decode.
const (
	frameNone      = 0 // a frame without a body (or one this build does not know)
	frameMalformed = 1
	framePush      = 8
)

var frameTypes = [...]string{
	frameNone:      "none",
	frameMalformed: "malformed",
	2:              "auth",
	3:              "auth_ok",
	4:              "error",
	5:              "ping",
	6:              "pong",
	7:              "kick",
	framePush:      "push",
	9:              "ack",
	10:             "send",
	11:             "send_ack",
	12:             "sync",
	13:             "sync_result",
	14:             "pull",
	15:             "pull_result",
	16:             "read",
	17:             "ok",
	18:             "typing",
	19:             "recall",
	20:             "message_result",
	21:             "history",
	22:             "history_result",
	23:             "expansion",
	24:             "delete",
	25:             "clear_history",
	26:             "settings",
	27:             "tag",
	28:             "tags",
	29:             "tags_result",
	30:             "receipt_request",
	31:             "receipt_response",
	32:             "readers",
	33:             "readers_result",
	34:             "receipt_info",
	35:             "receipt_info_result",
	60:             "modify",
	61:             "messages",
	70:             "group",
	71:             "group_result",
	80:             "people",
	81:             "people_result",
	90:             "chatroom",
	91:             "chatroom_result",
	100:            "ultra_group",
	101:            "ultra_group_result",
	110:            "web_push",
	111:            "web_push_result",
	120:            "renew_token",
	121:            "renew_token_result",
}

// frameType is f's index in frameTypes. A type switch, so the per-frame
// cost is a few comparisons (a test holds it to proto/imwasm.proto).
func frameType(f *pb.Frame) uint8 {
	switch f.Body.(type) {
	case *pb.Frame_Auth:
		return 2
	case *pb.Frame_AuthOk:
		return 3
	case *pb.Frame_Error:
		return 4
	case *pb.Frame_Ping:
		return 5
	case *pb.Frame_Pong:
		return 6
	case *pb.Frame_Kick:
		return 7
	case *pb.Frame_Push:
		return framePush
	case *pb.Frame_Ack:
		return 9
	case *pb.Frame_Send:
		return 10
	case *pb.Frame_SendAck:
		return 11
	case *pb.Frame_Sync:
		return 12
	case *pb.Frame_SyncResult:
		return 13
	case *pb.Frame_Pull:
		return 14
	case *pb.Frame_PullResult:
		return 15
	case *pb.Frame_Read:
		return 16
	case *pb.Frame_Ok:
		return 17
	case *pb.Frame_Typing:
		return 18
	case *pb.Frame_Recall:
		return 19
	case *pb.Frame_MessageResult:
		return 20
	case *pb.Frame_History:
		return 21
	case *pb.Frame_HistoryResult:
		return 22
	case *pb.Frame_Expansion:
		return 23
	case *pb.Frame_Delete:
		return 24
	case *pb.Frame_ClearHistory:
		return 25
	case *pb.Frame_Settings:
		return 26
	case *pb.Frame_Tag:
		return 27
	case *pb.Frame_Tags:
		return 28
	case *pb.Frame_TagsResult:
		return 29
	case *pb.Frame_ReceiptRequest:
		return 30
	case *pb.Frame_ReceiptResponse:
		return 31
	case *pb.Frame_Readers:
		return 32
	case *pb.Frame_ReadersResult:
		return 33
	case *pb.Frame_ReceiptInfo:
		return 34
	case *pb.Frame_ReceiptInfoResult:
		return 35
	case *pb.Frame_Modify:
		return 60
	case *pb.Frame_Messages:
		return 61
	case *pb.Frame_Group:
		return 70
	case *pb.Frame_GroupResult:
		return 71
	case *pb.Frame_People:
		return 80
	case *pb.Frame_PeopleResult:
		return 81
	case *pb.Frame_Chatroom:
		return 90
	case *pb.Frame_ChatroomResult:
		return 91
	case *pb.Frame_UltraGroup:
		return 100
	case *pb.Frame_UltraGroupResult:
		return 101
	case *pb.Frame_WebPush:
		return 110
	case *pb.Frame_WebPushResult:
		return 111
	case *pb.Frame_RenewToken:
		return 120
	case *pb.Frame_RenewTokenResult:
		return 121
	}
	return frameNone
}
