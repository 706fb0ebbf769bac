// Package bus is what carries live traffic between the nodes of a
// cluster: deliveries (encoded pushes for users' sessions) and the events
// one node tells the others (a user online, a kick, a cache to drop). The
// server knows what the traffic means; a bus only routes bytes. Local is
// the one-node bus; package natsbus is the bus between nodes.
package bus

import "context"

// Delivery is one encoded frame for the online sessions of some users.
type Delivery struct {
	Users []string
	// Room, when set, names a chat room: the frame goes to the sessions in
	// it, on every node that watches it (Users is then empty).
	Room   string
	Except string // a session id that already has it (the sender's)
	// Frame is an encoded Frame whose body is a Push: sessions concatenate
	// queued pushes into one message, so nothing else may travel here.
	Frame []byte
}

// Node is what a bus hands what it receives to: a server.
type Node interface {
	// Deliver hands d to this node's sessions of d.Users.
	Deliver(d *Delivery)
	// Receive handles an event another node sent.
	Receive(event []byte)
	// Reconnected says the bus was cut off and is back: whatever was sent
	// meanwhile may be lost (devices catch up by sync).
	Reconnected()
}

// Bus carries a node's traffic to the other nodes. Every method is safe for
// concurrent use. A failure loses only live traffic: what is stored is
// found by sync.
type Bus interface {
	// ID names this node on the bus.
	ID() string
	// Publish hands d to this node's sessions and to every other node
	// that watches one of d.Users, or d.Room: one message for a room, each
	// node fanning out to its own sessions.
	Publish(ctx context.Context, d *Delivery) error
	// Tell sends event to the nodes that watch user (never to this one).
	Tell(ctx context.Context, user string, event []byte) error
	// Broadcast sends event to every other node.
	Broadcast(ctx context.Context, event []byte) error
	// Send sends event to the node named.
	Send(ctx context.Context, node string, event []byte) error
	// Watch says this node has sessions of user: deliveries and events for
	// them reach it from the moment Watch returns. Unwatch says it has
	// none left.
	Watch(ctx context.Context, user string) error
	Unwatch(user string)
	// WatchRoom and UnwatchRoom are Watch and Unwatch for a chat room: this
	// node has sessions in it.
	WatchRoom(ctx context.Context, room string) error
	UnwatchRoom(room string)
	// Err is nil while the bus is connected.
	Err() error
	Close() error
}

// Local is the bus of a server that is a cluster of one.
type Local struct{ node Node }

// NewLocal returns the one-node bus for n.
func NewLocal(n Node) *Local { return &Local{node: n} }

func (*Local) ID() string { return "local" }

func (b *Local) Publish(_ context.Context, d *Delivery) error {
	b.node.Deliver(d)
	return nil
}

func (*Local) Tell(context.Context, string, []byte) error { return nil }
func (*Local) Broadcast(context.Context, []byte) error    { return nil }
func (*Local) Send(context.Context, string, []byte) error { return nil }
func (*Local) Watch(context.Context, string) error        { return nil }
func (*Local) Unwatch(string)                             {}
func (*Local) WatchRoom(context.Context, string) error    { return nil }
func (*Local) UnwatchRoom(string)                         {}
func (*Local) Err() error                                 { return nil }
func (*Local) Close() error                               { return nil }
