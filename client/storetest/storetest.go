// Package storetest is the client.Store contract as tests, written once and
// run against every Store: client/memstore, the bench's lean store (the
// parts it promises), and the browser's IndexedDB store (jsbridge/idbstore,
// compiled for GOOS=js and run in Node and in Chromium, so this package uses
// nothing a wasm build lacks).
//
// A store's test calls Run (the whole contract) or RunParts (the parts it
// promises) with a function returning a new, empty store:
//
//	func TestStoreContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) client.Store { return memstore.New() })
//	}
//
// What the contract leaves open, the tests leave open: the order of
// Conversations and Pending, which of several sends sharing a client id
// MessageByClientID returns, whether a cursor may move back (the IndexedDB
// store keeps the highest sequence numbers two tabs wrote), what Apply does
// with a nil message or an unknown local id, and whether reads honour a
// cancelled context. Records are compared with empty and nil slices and
// maps taken as equal (a store that encodes them cannot tell them apart),
// and meta values are ASCII (IndexedDB keeps them as strings).
package storetest

import (
	"context"
	"testing"

	"github.com/imwasm/imwasm/client"
)

// Part is a part of the contract a store promises.
type Part uint

const (
	// Sends: this user's sends (DirectionSend with a client id) get a new
	// local id, are replaced in place as they are sent, acknowledged or
	// fail, and are found by local id, by client id (never shadowed by a
	// received message), by server id once acknowledged, and while SENDING
	// by Pending.
	Sends Part = 1 << iota
	// ReceivedIDs: a received message is found by its server id, with the
	// local id it was given (what the engine de-duplicates with).
	ReceivedIDs
	// Received: received messages are kept whole, found by local and
	// server id, each id once, and the same new message given twice in a
	// batch is one record.
	Received
	// History: History pages a conversation by time (the sent time, or the
	// received time while there is none), exclusive, in both directions,
	// equal times in local id order.
	History
	// Deletes: DeleteUIDs and Clears remove messages, after the batch's
	// messages are put.
	Deletes
	// Cursors: a ConversationState replaces its conversation's, all fields
	// kept, and Conversations returns each conversation's.
	Cursors
	// Meta: meta keys are set, replaced and deleted (nil).
	Meta
	// Atomic: a batch the store refuses (a record taking a server id
	// another record holds) changes nothing and gives no ids.
	Atomic
	// Cancel: Apply with a cancelled context fails and changes nothing.
	Cancel
	// Isolation: the store shares nothing with its callers: changing what
	// was given to Apply, or what a read returned, changes nothing stored.
	Isolation

	// All is the whole contract.
	All = Sends | ReceivedIDs | Received | History | Deletes | Cursors | Meta | Atomic | Cancel | Isolation
)

var parts = []struct {
	part  Part
	name  string
	tests []test
}{
	{Sends, "Sends", sendsTests},
	{ReceivedIDs, "ReceivedIDs", receivedIDsTests},
	{Received, "Received", receivedTests},
	{History, "History", historyTests},
	{Deletes, "Deletes", deletesTests},
	{Cursors, "Cursors", cursorsTests},
	{Meta, "Meta", metaTests},
	{Atomic, "Atomic", atomicTests},
	{Cancel, "Cancel", cancelTests},
	{Isolation, "Isolation", isolationTests},
}

type test struct {
	name  string
	needs Part // other parts it relies on: run only when they are promised too
	run   func(s *store)
}

// Run runs the whole contract against the stores newStore returns (a new,
// empty one for each test).
func Run(t *testing.T, newStore func(t *testing.T) client.Store) {
	RunParts(t, newStore, All)
}

// RunParts runs the parts of the contract a store promises.
func RunParts(t *testing.T, newStore func(t *testing.T) client.Store, promised Part) {
	for _, p := range parts {
		if promised&p.part == 0 {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			for _, tt := range p.tests {
				if promised&tt.needs != tt.needs {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					tt.run(&store{t: t, s: newStore(t), ctx: context.Background()})
				})
			}
		})
	}
}
