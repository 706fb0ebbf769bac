//go:build js && wasm

package idbstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
)

// await waits for an IDBRequest's success or error.
func await(t *testing.T, req safejs.Value, what string) {
	t.Helper()
	done := make(chan bool, 1)
	ok, _ := safejs.FuncOf(func(safejs.Value, []safejs.Value) any { done <- true; return nil })
	bad, _ := safejs.FuncOf(func(safejs.Value, []safejs.Value) any { done <- false; return nil })
	defer ok.Release()
	defer bad.Release()
	req.Set("onsuccess", ok.Value())
	req.Set("onerror", bad.Value())
	select {
	case good := <-done:
		if !good {
			t.Fatalf("%s failed", what)
		}
	case <-time.After(10 * time.Second): // a bound, not a wait: IndexedDB answers in ms
		t.Fatalf("%s: no answer", what)
	}
}

// An open that times out behind another tab leaves its request pending.
// When that request goes on, it must still make the stores (its upgrade)
// and close its connection: a database left at version 1 with no stores
// would fail every later open's transactions for good.
func TestOpenTimedOutLeavesAWorkingDatabase(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("open-timeout-%d", dbs.Add(1))
	factory, _ := safejs.Global().Get("indexedDB")

	// Another tab's connection that does not close on versionchange (an
	// older SDK, a page in a long task), and a delete (a logout clearing
	// the device) waiting for it.
	other, _ := factory.Call("open", name, 1)
	await(t, other, "the other tab's open")
	otherDB, _ := other.Get("result")
	del, err := factory.Call("deleteDatabase", name)
	if err != nil {
		t.Fatal(err)
	}

	s := startWithin(name, 100*time.Millisecond) // queued behind the delete
	<-s.ready
	if !s.Failed() || !errors.Is(s.openErr, context.DeadlineExceeded) {
		t.Fatalf("the open behind a blocked delete: failed %v, %v", s.Failed(), s.openErr)
	}
	s.Close()

	// The other tab lets go: the delete, then the abandoned open, go on;
	// a new open (the SDK's next connect) is queued behind them.
	otherDB.Call("close")
	await(t, del, "the delete")
	again, err := Open(ctx, name)
	if err != nil {
		t.Fatalf("the open after an abandoned one: %v", err)
	}
	defer again.Close()
	if err := again.Apply(ctx, &client.Batch{Meta: map[string][]byte{"k": []byte("v")}}); err != nil {
		t.Fatalf("the database after an abandoned open: %v", err)
	}
	if v, err := again.Meta(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("read back %q, %v", v, err)
	}
}

// A newer SDK in another tab upgrades the database (or the app deletes
// it): this tab closes its connection so the other is not blocked, and
// the store says so — Failed, Gone closed, every operation answering why —
// so that its owner retires it rather than failing every call.
func TestAnotherTabsUpgradeFailsTheStore(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("versionchange-%d", dbs.Add(1))
	s, err := Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Apply(ctx, &client.Batch{Meta: map[string][]byte{"k": []byte("v")}}); err != nil {
		t.Fatal(err)
	}
	if s.Failed() {
		t.Fatal("Failed before another tab did anything")
	}
	factory, _ := safejs.Global().Get("indexedDB")
	newer, _ := factory.Call("open", name, idbVersion+1)
	await(t, newer, "the newer tab's open") // not blocked: this tab closed
	newerDB, _ := newer.Get("result")
	defer newerDB.Call("close")

	select {
	case <-s.Gone():
	default:
		t.Fatal("Gone not closed after another tab's upgrade")
	}
	if !s.Failed() {
		t.Fatal("Failed() false after another tab's upgrade")
	}
	if _, err := s.Meta(ctx, "k"); !errors.Is(err, errLost) {
		t.Fatalf("Meta after the upgrade: %v", err)
	}
	if err := s.Apply(ctx, &client.Batch{Meta: map[string][]byte{"k": []byte("w")}}); !errors.Is(err, errLost) {
		t.Fatalf("Apply after the upgrade: %v", err)
	}
}
