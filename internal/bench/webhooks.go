package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// The app's backend for a webhook: it answers every call after delay (a
// backend's own time), passing messages. By default it runs in a process
// of its own (Config.BackendInProcess false), as an app's backend does: in
// the bench's process it shared the load generator's scheduler, whose
// 2,000 engines delayed its answers (the before-send hook's p99 at 2,000
// msg/s read 2 ms worse).

// backend counts what it answered.
type backend struct {
	beforeSend    bool
	delay         time.Duration
	calls, events atomic.Int64
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !b.beforeSend {
		// The events webhook: its calls are taken unread (decoding 5,000
		// events a second took CPU from the server on the same two cores);
		// "{"id":" counts them closely enough.
		body, _ := io.ReadAll(r.Body)
		b.calls.Add(1)
		b.events.Add(int64(bytes.Count(body, []byte(`{"id":`))))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var call struct{ Events []json.RawMessage }
	if err := json.NewDecoder(r.Body).Decode(&call); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.calls.Add(1)
	b.events.Add(int64(len(call.Events)))
	time.Sleep(b.delay) // the backend's own work
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"answers":[`+strings.TrimSuffix(strings.Repeat(`{"action":"pass"},`, len(call.Events)), ",")+`]}`)
}

func (b *backend) String() string {
	return fmt.Sprintf("answered %d calls of %d events", b.calls.Load(), b.events.Load())
}

// backendReady begins the line ServeBackend prints when it listens.
const backendReady = "imwasm bench backend on "

// ServeBackend runs only a webhook's backend (the before-send one with
// beforeSend, else the events one) on a loopback port until ctx ends:
// what the bench starts in a process of its own (`imwasm bench
// --serve-backend`). It prints its URL on out, then what it answered on
// log.
func ServeBackend(ctx context.Context, out, log io.Writer, beforeSend bool, delay time.Duration) error {
	url, b, done, err := serveBackend(beforeSend, delay)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s%s\n", backendReady, url)
	<-ctx.Done()
	done()
	fmt.Fprintf(log, "backend (before-send %v) %v\n", beforeSend, b)
	return nil
}

// serveBackend starts a backend on a loopback port: its URL, and done to
// stop it (it waits for its server to end).
func serveBackend(beforeSend bool, delay time.Duration) (url string, b *backend, done func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, fmt.Errorf("backend: %w", err)
	}
	b = &backend{beforeSend: beforeSend, delay: delay}
	srv := &http.Server{Handler: b}
	served := make(chan struct{})
	go func() { srv.Serve(ln); close(served) }()
	return "http://" + ln.Addr().String(), b, func() { srv.Close(); <-served }, nil
}

// startBackend runs the app's backend for a webhook (setting: the
// server's setting of its URL) and sets the webhook's URL in the server's
// settings; stop unsets it and stops the backend.
func (f *fleet) startBackend(ctx context.Context, setting string, delay time.Duration) (stop func(), err error) {
	beforeSend := setting == "beforeSendUrl"
	var url string
	var end func()
	if f.cfg.BackendInProcess {
		u, b, done, err := serveBackend(beforeSend, delay)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", setting, err)
		}
		url, end = u, func() {
			done()
			f.progress("%s backend %v", setting, b)
		}
	} else {
		args := []string{"bench", "--serve-backend", "webhook"}
		if beforeSend {
			args = []string{"bench", "--serve-backend", "before-send", "--before-send", delay.String()}
		}
		if f.cfg.Progress == nil {
			args = append(args, "--quiet")
		}
		p, err := spawn(ctx, f.cfg, args, nil, backendReady)
		if err != nil {
			return nil, fmt.Errorf("%s backend: %w", setting, err)
		}
		url, end = p.ready, p.stop
	}
	url += "/" + setting
	if err := f.t.adminCall(ctx, http.MethodPut, "/v1/settings", map[string]any{setting: url}); err != nil {
		end()
		return nil, err
	}
	f.progress("%s: a backend at %s answers each call after %v", setting, url, delay)
	return func() {
		f.t.adminCall(context.Background(), http.MethodPut, "/v1/settings", map[string]any{setting: ""})
		end()
	}, nil
}
