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
	var calls atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		calls.Add(1)
		time.Sleep(delay) // the backend's own work (0: none)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"action":"pass"}`)
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
		f.progress("%s backend answered %d calls", setting, calls.Load())
	}, nil
}
