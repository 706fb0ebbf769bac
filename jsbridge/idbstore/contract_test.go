//go:build js && wasm

package idbstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/client/storetest"
)

// dbs names each test's database apart: a store is new and empty.
var dbs atomic.Int64

// The whole Store contract, as memstore runs it. This package's tests run
// wherever IndexedDB does: make test-wasm runs them in Node with
// fake-indexeddb (scripts/wasm-test-exec.sh), npm test in Chromium
// (npm/test/chromium-idbstore.test.mjs).
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) client.Store {
		s, err := Open(context.Background(), fmt.Sprintf("storetest-%d", dbs.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	})
}
