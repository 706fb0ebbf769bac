package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// startBeforeSend runs the app's backend for the before-send webhook on a
// loopback port of this process: it passes every message after delay (a
// backend's own time). It turns the webhook on in the server's settings;
// stop turns it off and stops the backend.
func (f *fleet) startBeforeSend(ctx context.Context, delay time.Duration) (stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("before-send backend: %w", err)
	}
	var calls atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		calls.Add(1)
		time.Sleep(delay) // the backend's own work: what the webhook adds to a send
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"pass"}`)
	})}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/before-send"
	if err := f.t.adminCall(ctx, http.MethodPut, "/v1/settings", map[string]any{"beforeSendUrl": url}); err != nil {
		srv.Close()
		return nil, err
	}
	f.progress("before-send webhook on: a backend at %s passes each message after %v", url, delay)
	return func() {
		f.t.adminCall(context.Background(), http.MethodPut, "/v1/settings", map[string]any{"beforeSendUrl": ""})
		if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			f.progress("before-send backend: %v", err)
		}
		f.progress("before-send backend answered %d calls", calls.Load())
	}, nil
}
