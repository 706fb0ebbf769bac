package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// logs records what a server logs, so a test can wait for a line instead
// of sleeping.
type logs struct {
	mu   sync.Mutex
	cond *sync.Cond
	recs []logRec
}

type logRec struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newLogs() *logs {
	l := &logs{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// logger logs every level into l.
func (l *logs) logger() *slog.Logger { return slog.New(&logHandler{l: l}) }

// wait returns the first record match accepts, waiting up to 10 s for it.
func (l *logs) wait(t *testing.T, what string, match func(logRec) bool) logRec {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	timer := time.AfterFunc(10*time.Second, func() { l.mu.Lock(); l.cond.Broadcast(); l.mu.Unlock() })
	defer timer.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if i := slices.IndexFunc(l.recs, match); i >= 0 {
			return l.recs[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the log line %s", what)
		}
		l.cond.Wait()
	}
}

// all returns the records match accepts.
func (l *logs) all(match func(logRec) bool) []logRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logRec
	for _, r := range l.recs {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// message matches records by their message.
func message(msg string) func(logRec) bool {
	return func(r logRec) bool { return r.msg == msg }
}

type logHandler struct {
	l     *logs
	attrs []slog.Attr
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRec{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = fmt.Sprint(a.Value.Any())
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = fmt.Sprint(a.Value.Any())
		return true
	})
	h.l.mu.Lock()
	h.l.recs = append(h.l.recs, rec)
	h.l.cond.Broadcast()
	h.l.mu.Unlock()
	return nil
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{l: h.l, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }
