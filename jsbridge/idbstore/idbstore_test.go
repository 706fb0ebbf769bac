//go:build js && wasm

package idbstore

import (
	"context"
	"strings"
	"testing"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/proto/codes"
)

// A panic in an IndexedDB callback fails its transaction with the internal
// error (-1) and leaves the store (and the runtime) working.
func TestPanicInCallbackFailsTheTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "panics")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.tx(ctx, "readonly", []any{"meta"}, func(tx safejs.Value, cb *callbacks) error {
		st, err := tx.Call("objectStore", "meta")
		if err != nil {
			return err
		}
		req, err := st.Call("get", "k")
		if err != nil {
			return err
		}
		return cb.on(req, "onsuccess", func(safejs.Value) { panic("boom") })
	})
	if codes.Of(err) != codes.Timeout || err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("got %v, want the internal error", err)
	}
	if _, err := s.Meta(ctx, "k"); err != nil {
		t.Fatalf("the store after the panic: %v", err)
	}
}
