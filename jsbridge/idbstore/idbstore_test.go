//go:build js && wasm

package idbstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
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

// The schema is what existing devices' databases hold: version 1, its
// stores and indexes as upgrade made them. Changing any of it needs a new
// version and an upgrade step, not an edit of version 1.
func TestSchemaIsVersion1(t *testing.T) {
	s, err := Open(context.Background(), "schema")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	js := func(v safejs.Value, what string) string {
		t.Helper()
		j, _ := safejs.Global().Get("JSON")
		out, err := j.Call("stringify", v)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		str, _ := out.String()
		return str
	}
	v, _ := s.db.Get("version")
	names, _ := s.db.Get("objectStoreNames")
	arr, _ := safejs.Global().Get("Array")
	list, _ := arr.Call("from", names)
	got := []string{fmt.Sprintf("version %s, stores %s", js(v, "version"), js(list, "stores"))}
	tx, err := s.db.Call("transaction", []any{"messages", "convs", "meta"}, "readonly")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"messages", "convs", "meta"} {
		st, _ := tx.Call("objectStore", name)
		kp, _ := st.Get("keyPath")
		ai, _ := st.Get("autoIncrement")
		got = append(got, fmt.Sprintf("%s: key %s, autoIncrement %s", name, js(kp, name), js(ai, name)))
		ixNames, _ := st.Get("indexNames")
		ixs, _ := arr.Call("from", ixNames)
		n, _ := ixs.Length()
		for i := 0; i < n; i++ {
			ixName, _ := ixs.Index(i)
			ix, _ := st.Call("index", ixName)
			ikp, _ := ix.Get("keyPath")
			uniq, _ := ix.Get("unique")
			multi, _ := ix.Get("multiEntry")
			got = append(got, fmt.Sprintf("  %s.%s: %s unique %s multiEntry %s", name, js(ixName, "index"), js(ikp, "index"), js(uniq, "index"), js(multi, "index")))
		}
	}
	want := []string{
		`version 1, stores ["convs","messages","meta"]`,
		`messages: key "id", autoIncrement true`,
		`  messages."cid": "cid" unique false multiEntry false`,
		`  messages."hist": ["ck","t","id"] unique false multiEntry false`,
		`  messages."st": "st" unique false multiEntry false`,
		`  messages."uid": "uid" unique true multiEntry false`,
		`convs: key "k", autoIncrement false`,
		`meta: key null, autoIncrement false`,
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("schema:\n%s\nwant\n%s", g, w)
	}
}

// Start returns before the database is open: what the store is asked
// meanwhile waits for the open, and an open that fails fails it clearly.
func TestStartOpensInTheBackground(t *testing.T) {
	ctx := context.Background()
	s := Start("started")
	if err := s.Apply(ctx, &client.Batch{Meta: map[string][]byte{"k": []byte("v")}}); err != nil {
		t.Fatalf("Apply while opening: %v", err)
	}
	if v, err := s.Meta(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Meta = %q, %v", v, err)
	}
	s.Close()
	if _, err := s.Meta(ctx, "k"); err == nil {
		t.Fatal("the store answered after Close")
	}

	// Closed before the open is over: the open finishes and closes it,
	// and nothing more is done with it.
	early := Start("started")
	early.Close()
	<-early.ready
	if _, err := early.Meta(ctx, "k"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("after an early Close: %v", err)
	}

	// No indexedDB: an own property hides it (in browsers it is an
	// accessor of Window's prototype, which assignment cannot change).
	global := safejs.Global()
	object, _ := global.Get("Object")
	own, _ := object.Call("getOwnPropertyDescriptor", global, "indexedDB")
	hide, _ := safejs.ValueOf(map[string]any{"value": nil, "configurable": true, "writable": true})
	if _, err := object.Call("defineProperty", global, "indexedDB", hide); err != nil {
		t.Fatal(err)
	}
	failed := Start("nowhere")
	<-failed.ready
	if own.IsUndefined() {
		global.Delete("indexedDB")
	} else {
		object.Call("defineProperty", global, "indexedDB", own)
	}
	if _, err := failed.Meta(ctx, "k"); err == nil || !strings.Contains(err.Error(), "open the device database: indexedDB is not available") {
		t.Fatalf("a failed open answers %v", err)
	}
	if !failed.Failed() || s.Failed() {
		t.Fatalf("Failed: %v for the failed open, %v for the good one", failed.Failed(), s.Failed())
	}
	failed.Close() // nothing to close; must not panic
}
