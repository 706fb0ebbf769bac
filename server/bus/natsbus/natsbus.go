// Package natsbus is the bus between the nodes of a cluster, on NATS
// (core NATS, no JetStream: what the bus carries is live traffic, and what
// matters is stored before it is sent).
//
// Subjects, under a prefix naming the app:
//
//	PREFIX.u.USER  deliveries and events for one user, watched by the
//	               nodes that have sessions of them
//	PREFIX.r.ROOM  deliveries to a chat room, watched by the nodes that
//	               have sessions in it
//	PREFIX.all     deliveries for many users, and events for every node
//	PREFIX.n.NODE  events for one node
//
// Every subscription feeds one channel read by one goroutine, so what one
// node sends reaches another in the order it was sent, whatever the
// subject, and a node with a hundred thousand users online runs one
// goroutine for them, not one each.
package natsbus

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/imwasm/imwasm/server/bus"
)

// manyUsers is the most users a delivery is published for one by one;
// one for more goes to every node once.
const manyUsers = 8

// inbox is how many received messages wait for the node; beyond it NATS
// drops them and the node's sessions are told to sync.
const inbox = 1 << 16

// Options configure a bus.
type Options struct {
	// URLs are the NATS servers, comma-separated (nats://host:4222,...).
	URLs string
	// Prefix starts every subject: nodes with the same prefix are one
	// cluster. (The server uses "imwasm." and its app key.)
	Prefix string
	Logger *slog.Logger
	// ReconnectWait is the pause between attempts to reach NATS again
	// (default 250 ms).
	ReconnectWait time.Duration
}

// Bus is a node's connection to the cluster.
type Bus struct {
	id     string
	prefix string
	node   bus.Node
	log    *slog.Logger
	nc     *nats.Conn
	in     chan *nats.Msg
	done   chan struct{}
	loop   sync.WaitGroup

	mu      sync.Mutex
	watched map[string]*watch
	dropped atomic.Bool // NATS dropped messages for this node since its inbox last drained
}

type watch struct {
	n     int
	sub   *nats.Subscription
	ready chan struct{} // closed once NATS confirmed the subscription (or gave up)
}

var _ bus.Bus = (*Bus)(nil)

// Open connects to NATS and starts handing what arrives to node. It fails
// if NATS cannot be reached now; once connected, it reconnects by itself.
func Open(ctx context.Context, opts Options, node bus.Node) (*Bus, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ReconnectWait <= 0 {
		opts.ReconnectWait = 250 * time.Millisecond
	}
	idb := make([]byte, 8)
	rand.Read(idb)
	b := &Bus{id: hex.EncodeToString(idb), prefix: opts.Prefix, node: node, log: opts.Logger,
		in: make(chan *nats.Msg, inbox), done: make(chan struct{}), watched: map[string]*watch{}}
	nc, err := nats.Connect(opts.URLs,
		nats.Name("imwasm node "+b.id),
		nats.NoEcho(), // this node's own traffic is handled here, not again from NATS
		nats.MaxReconnects(-1),
		nats.ReconnectWait(opts.ReconnectWait),
		nats.ReconnectJitter(50*time.Millisecond, 50*time.Millisecond),
		nats.Timeout(5*time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: this node closed it
				b.log.Warn("bus: lost NATS, reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) {
			b.log.Info("bus: NATS is back")
			b.node.Reconnected()
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if !errors.Is(err, nats.ErrSlowConsumer) {
				b.log.Warn("bus: NATS", "err", err)
				return
			}
			// Messages were dropped: the sessions sync once the node has
			// caught up (run), not now: NATS says so once a subscription
			// until one of its messages gets through again, so what it
			// drops after a sync made now would be told to no one.
			if !b.dropped.Swap(true) {
				b.log.Warn("bus: the node fell behind NATS; its sessions sync when it has caught up", "err", err)
			}
			// (Told late, after the inbox drained: nothing more may come
			// to make run see it.)
			if len(b.in) == 0 && b.dropped.Swap(false) {
				b.node.Reconnected()
			}
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", opts.URLs, err)
	}
	b.nc = nc
	for _, subj := range []string{b.prefix + ".all", b.prefix + ".n." + b.id} {
		if _, err := b.subscribe(subj); err != nil {
			nc.Close()
			return nil, err
		}
	}
	if err := b.flush(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("subscribe on NATS: %w", err)
	}
	b.loop.Add(1)
	go b.run()
	return b, nil
}

// flush waits until NATS has processed what this node sent (5 s at most
// unless ctx says sooner).
func (b *Bus) flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	return b.nc.FlushWithContext(ctx)
}

func (b *Bus) subscribe(subj string) (*nats.Subscription, error) {
	sub, err := b.nc.ChanSubscribe(subj, b.in)
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", subj, err)
	}
	return sub, nil
}

// run hands what arrives to the node, in arrival order, until Close.
func (b *Bus) run() {
	defer b.loop.Done()
	for {
		select {
		case <-b.done:
			return
		case m := <-b.in:
			b.handle(m.Data)
			if len(b.in) == 0 && b.dropped.Swap(false) {
				b.node.Reconnected() // caught up after dropping: every drop is behind this sync
			}
		}
	}
}

func (b *Bus) handle(data []byte) {
	if len(data) == 0 {
		return
	}
	switch data[0] {
	case kindDelivery:
		d, err := decodeDelivery(data[1:])
		if err != nil {
			b.log.Warn("bus: bad delivery", "err", err)
			return
		}
		b.node.Deliver(d)
	case kindEvent:
		b.node.Receive(data[1:])
	}
}

func (b *Bus) ID() string { return b.id }

func (b *Bus) userSubject(user string) string {
	// User ids may hold characters a subject may not ('.', '*', '>').
	return b.prefix + ".u." + base64.RawURLEncoding.EncodeToString([]byte(user))
}

func (b *Bus) roomSubject(room string) string {
	return b.prefix + ".r." + base64.RawURLEncoding.EncodeToString([]byte(room))
}

// Publish hands d to this node's sessions, then to the other nodes: one
// message per user when there are few, else one to every node.
func (b *Bus) Publish(_ context.Context, d *bus.Delivery) error {
	b.node.Deliver(d)
	if d.Room != "" {
		return b.nc.Publish(b.roomSubject(d.Room), encodeDelivery(d))
	}
	if len(d.Users) > manyUsers {
		return b.nc.Publish(b.prefix+".all", encodeDelivery(d))
	}
	var errs []error
	for _, u := range d.Users {
		one := bus.Delivery{Users: []string{u}, Except: d.Except, Frame: d.Frame}
		if err := b.nc.Publish(b.userSubject(u), encodeDelivery(&one)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (b *Bus) Tell(_ context.Context, user string, event []byte) error {
	return b.nc.Publish(b.userSubject(user), withKind(kindEvent, event))
}

func (b *Bus) Broadcast(_ context.Context, event []byte) error {
	return b.nc.Publish(b.prefix+".all", withKind(kindEvent, event))
}

func (b *Bus) Send(_ context.Context, node string, event []byte) error {
	return b.nc.Publish(b.prefix+".n."+node, withKind(kindEvent, event))
}

// Watch subscribes to user's subject on their first session here, and
// waits (a second at most) until the NATS server this node is connected
// to has the subscription: a message published through it after Watch
// returns reaches this node. (Through another server of a NATS cluster,
// the interest arrives a moment later.) It fails only when it could not
// subscribe; then Unwatch must not be called for it.
func (b *Bus) Watch(ctx context.Context, user string) error {
	return b.watch(ctx, b.userSubject(user))
}

// WatchRoom is Watch for a chat room's subject.
func (b *Bus) WatchRoom(ctx context.Context, room string) error {
	return b.watch(ctx, b.roomSubject(room))
}

func (b *Bus) watch(ctx context.Context, subj string) error {
	b.mu.Lock()
	w := b.watched[subj]
	if w != nil {
		// Another session's watch: returns once NATS has it, as that one
		// does (a message published before would reach neither).
		w.n++
		b.mu.Unlock()
		select {
		case <-w.ready:
		case <-ctx.Done():
		}
		return nil
	}
	sub, err := b.subscribe(subj)
	if err != nil {
		b.mu.Unlock()
		return err
	}
	w = &watch{n: 1, sub: sub, ready: make(chan struct{})}
	b.watched[subj] = w
	b.mu.Unlock()
	defer close(w.ready)
	if b.nc.Status() != nats.CONNECTED {
		return nil // NATS gets the subscription when it is back (and the node's sessions then sync)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := b.flush(ctx); err != nil {
		// Subscribed all the same: the watch holds.
		b.log.Warn("bus: NATS did not confirm a subscription", "err", err)
	}
	return nil
}

func (b *Bus) Unwatch(user string) { b.unwatch(b.userSubject(user)) }

// UnwatchRoom is Unwatch for a chat room's subject.
func (b *Bus) UnwatchRoom(room string) { b.unwatch(b.roomSubject(room)) }

func (b *Bus) unwatch(subj string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.watched[subj]
	if w == nil {
		return
	}
	if w.n--; w.n == 0 {
		delete(b.watched, subj)
		w.sub.Unsubscribe()
	}
}

// Err says why NATS cannot be used now, or nil.
func (b *Bus) Err() error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("NATS %s", st)
	}
	return nil
}

// Close disconnects and stops handing traffic to the node.
func (b *Bus) Close() error {
	b.nc.Close()
	close(b.done)
	b.loop.Wait()
	return nil
}

// The first byte of a message says what it holds.
const (
	kindDelivery = 'D'
	kindEvent    = 'E'
)

func withKind(kind byte, p []byte) []byte {
	return append([]byte{kind}, p...)
}

// A delivery on the wire: field 1, each user; 2, the session it skips; 3,
// the frame; 4, the chat room.
func encodeDelivery(d *bus.Delivery) []byte {
	b := make([]byte, 1, 16+len(d.Frame)+len(d.Except)+16*len(d.Users))
	b[0] = kindDelivery
	for _, u := range d.Users {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, u)
	}
	if d.Except != "" {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, d.Except)
	}
	if d.Room != "" {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, d.Room)
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	return protowire.AppendBytes(b, d.Frame)
}

func decodeDelivery(b []byte) (*bus.Delivery, error) {
	d := &bus.Delivery{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			return nil, errors.New("malformed delivery")
		}
		b = b[n:]
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, errors.New("malformed delivery")
		}
		b = b[n:]
		switch num {
		case 1:
			d.Users = append(d.Users, string(v))
		case 2:
			d.Except = string(v)
		case 3:
			d.Frame = v
		case 4:
			d.Room = string(v)
		}
	}
	return d, nil
}
