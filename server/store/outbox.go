package store

import (
	"context"
	"time"
)

// The outbox holds the events the server owes the app's backend (its
// webhooks), durably: an event is in it once what it reports is committed,
// and leaves it once delivered. A stored message's event is written in the
// message's own transaction (while SetOutbox is on), so no message is
// stored without it; other events (a user online) are enqueued after.

// OutboxMessage is the Kind of a stored message's event.
const OutboxMessage = "message"

// OutboxStored is the Kind a message's event takes once the pushes it owes
// are split off (the events webhook's message.stored alone). It keeps the
// message event's id ("msg."+uid) and is read as one: from the message's
// row on SQLite, gone with the message when erasure, retention or a room's
// destruction takes it.
const OutboxStored = "stored"

// OutboxEvent is one event the backend is owed.
type OutboxEvent struct {
	ID int64 // the outbox's own order
	// EventID names the event for the backend (its id on every retry; a
	// second enqueue of one EventID is ignored).
	EventID string
	// Kind is "message" (Body: the stored message; SQLite reads it from
	// the message's row when claimed, so an edit made meanwhile is in it,
	// and a message erased meanwhile has none), or the server's.
	Kind    string
	Body    []byte
	Created int64 // unix ms
	// Attempts counts the failed deliveries before this one.
	Attempts int
}

// Outbox is the webhooks' durable queue.
type Outbox interface {
	// SetOutbox turns on or off the event of every message Append and
	// the changes that append messages store from now on.
	SetOutbox(on bool)
	// EnqueueEvents adds events (EventIDs already in the outbox are
	// skipped).
	EnqueueEvents(ctx context.Context, events []OutboxEvent) error
	// ReplaceEvent adds events and removes the event id (one claimed), in
	// one transaction: what id became (a message's pushes) is never
	// enqueued twice, even if whoever did it dies before finishing id.
	// When id is gone (another claim, after this one's lease ran out,
	// replaced or finished it) nothing is added.
	ReplaceEvent(ctx context.Context, id int64, events []OutboxEvent) error
	// ClaimEvents takes up to limit events due by now, oldest first, for
	// node until now+lease: no other claim gets them meanwhile (a node
	// that stops without finishing them leaves them to be claimed again).
	ClaimEvents(ctx context.Context, node string, now time.Time, lease time.Duration, limit int) ([]OutboxEvent, error)
	// FinishEvent removes a delivered event (retryAt zero), or releases
	// node's claim of it to be claimed again at retryAt with one more
	// attempt counted (a claim another node took since, node's lease run
	// out, is left to that node).
	FinishEvent(ctx context.Context, node string, id int64, retryAt time.Time) error
	// DeliveredEvents removes events delivered (or given up), at once.
	DeliveredEvents(ctx context.Context, ids []int64) error
	// OutboxSize counts the events waiting.
	OutboxSize(ctx context.Context) (int, error)
}
