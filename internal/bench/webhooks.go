package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// startBackend runs the app's backend for a webhook (setting: the
// server's setting of its URL) on a loopback port of this process: it
// answers every call after delay (a backend's own time), passing messages.
// It sets the webhook's URL in the server's settings; stop unsets it and
// stops the backend.
func (f *fleet) startBackend(ctx context.Context, setting string, delay time.Duration) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("before-send backend: %w", err)
	}
	var calls, events atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if setting != "beforeSendUrl" {
			// The events webhook: its calls are taken unread (decoding
			// 5,000 events a second here took CPU from the server on the
			// same two cores); "{"id":" counts them closely enough for the
			// progress line.
			body, _ := io.ReadAll(r.Body)
			calls.Add(1)
			events.Add(int64(bytes.Count(body, []byte(`{"id":`))))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		var call struct{ Events []json.RawMessage }
		if err := json.NewDecoder(r.Body).Decode(&call); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		calls.Add(1)
		events.Add(int64(len(call.Events)))
		time.Sleep(delay) // the backend's own work
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"answers":[`+strings.TrimSuffix(strings.Repeat(`{"action":"pass"},`, len(call.Events)), ",")+`]}`)
	})}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/" + setting
	if err := f.t.adminCall(ctx, http.MethodPut, "/v1/settings", map[string]any{setting: url}); err != nil {
		srv.Close()
		return nil, err
	}
	f.progress("%s: a backend at %s answers each call after %v", setting, url, delay)
	return func() {
		f.t.adminCall(context.Background(), http.MethodPut, "/v1/settings", map[string]any{setting: ""})
		if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			f.progress("%s backend: %v", setting, err)
		}
		f.progress("%s backend answered %d calls of %d events", setting, calls.Load(), events.Load())
	}, nil
}
