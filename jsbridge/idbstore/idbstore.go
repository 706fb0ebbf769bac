//go:build js && wasm

// Package idbstore is the engine's Store on IndexedDB: what a browser
// device keeps (client/memstore is the one in memory). One database per
// app key and user; the browser tabs of that user are sessions of one
// device and share it. Every Apply is one readwrite transaction, every read
// one readonly transaction: requests are issued together and the
// transaction's completion is awaited once, never one request at a time.
// It touches JavaScript only through safejs, and every callback it hands
// IndexedDB goes through jsfunc's recover.
//
// Schema (version 1): existing databases open with it unchanged, so a
// change needs a new version and an upgrade step.
//
//	messages  key id (autoIncrement); record {id, uid?, cid?, ck, t, st, b}
//	          indexes uid (unique), cid, hist [ck, t, id], st (sentStatus)
//	convs     key k (conversation key); record {k, b}
//	meta      out-of-line keys; string values
//
// b is the record's bytes (client.EncodeMessage / EncodeConversation:
// protobuf). ck is Conversation.Key(), t the history time (sent, or
// received while sending).
package idbstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/hack-pad/safejs"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsfunc"
	"github.com/imwasm/imwasm/jsbridge/jsonenc"
)

const idbVersion = 1

// Store implements client.Store.
type Store struct {
	ready   chan struct{} // closed once the open is over: db or openErr set
	openErr error
	gone    chan struct{} // closed by Close, or when another tab took the database (lost)

	mu     sync.Mutex
	db     safejs.Value
	closed bool
	lost   bool // another tab's upgrade or delete closed db
}

// errLost is every operation's error once another tab has taken the
// database from this one.
var errLost = errors.New("indexeddb: another tab upgraded or deleted the device database (a newer SDK, or a logout): reload the page")

// openTimeout bounds an open (another tab may block it, see open).
const openTimeout = 10 * time.Second

// Start begins opening (creating or upgrading) the database name and
// returns at once, so that a cold start opens the database while it does
// other things (connecting); the store's operations wait for the open and
// fail with its error.
func Start(name string) *Store { return startWithin(name, openTimeout) }

func startWithin(name string, timeout time.Duration) *Store {
	s := &Store{ready: make(chan struct{}), gone: make(chan struct{})}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		db, err := open(ctx, name, s.takenByAnotherTab)
		cancel()
		// ready closes under mu: a Close either sees it closed (and
		// closes db) or sees it open (and the close below is this one).
		s.mu.Lock()
		defer s.mu.Unlock()
		defer close(s.ready)
		s.openErr = err
		if err != nil {
			return
		}
		if s.closed || s.lost {
			db.Call("close")
			return
		}
		s.db = db
	}()
	return s
}

// takenByAnotherTab runs on db's versionchange: a newer version opened in
// another tab, or the database deleted there. This tab closes it so the
// other is not blocked, and the store does nothing more (Failed; Gone
// closes, so that its owner retires it).
func (s *Store) takenByAnotherTab(db safejs.Value) {
	db.Call("close")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lost || s.closed {
		return
	}
	s.lost = true
	close(s.gone)
}

// Open opens the database name and returns once it is open.
func Open(ctx context.Context, name string) (*Store, error) {
	s := Start(name)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Failed reports a store that will never work again: its open is over
// and failed, or another tab took the database (the caller makes another
// store to try again).
func (s *Store) Failed() bool {
	s.mu.Lock()
	lost := s.lost
	s.mu.Unlock()
	if lost {
		return true
	}
	select {
	case <-s.ready:
		return s.openErr != nil
	default:
		return false
	}
}

// Gone is closed when the store will do nothing more: Close, or another
// tab took the database (then Failed).
func (s *Store) Gone() <-chan struct{} { return s.gone }

// wait waits for the open; its error is the open's.
func (s *Store) wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err // a cancelled operation does nothing, open or not
	}
	select {
	case <-s.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.openErr != nil {
		return fmt.Errorf("open the device database: %w", s.openErr)
	}
	return nil
}

var _ client.Store = (*Store)(nil)

// callbacks collects the js.Funcs of one operation, released together. A
// panic in one of them fails the operation with an error (fail; nil: it
// is only logged).
type callbacks struct {
	fs   []safejs.Func
	fail func(error)
	// requestError, when set, sees a failed request first (req, its error
	// event) and reports whether it handled it: it then called the event's
	// preventDefault, and the transaction goes on. One handler on the
	// transaction, rather than one per request, since every callback is a
	// JS→Go call and a finalizer.
	requestError func(req, ev safejs.Value) bool
}

func (c *callbacks) on(target safejs.Value, event string, fn func(ev safejs.Value)) error {
	f, err := jsfunc.FuncOf(nil, "indexeddb "+event, func(args []safejs.Value) any {
		ev := safejs.Undefined()
		if len(args) > 0 {
			ev = args[0]
		}
		fn(ev)
		return nil
	}, func(err error) any {
		if c.fail != nil {
			c.fail(err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.fs = append(c.fs, f)
	return target.Set(event, f.Value())
}

func (c *callbacks) release() {
	for _, f := range c.fs {
		f.Release()
	}
	c.fs = nil
}

// open opens (creating or upgrading) the database name; taken runs on its
// versionchange (see takenByAnotherTab).
func open(ctx context.Context, name string, taken func(db safejs.Value)) (safejs.Value, error) {
	factory, err := safejs.Global().Get("indexedDB")
	if err != nil || absent(factory) {
		return safejs.Undefined(), errors.New("indexedDB is not available")
	}
	req, err := factory.Call("open", name, idbVersion)
	if err != nil {
		return safejs.Undefined(), fmt.Errorf("open %s: %w", name, err)
	}
	done := make(chan error, 1)
	// The first result counts. A callback never blocks: it runs on
	// JavaScript's event loop (an upgrade's error is followed by onerror).
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	cb := callbacks{fail: finish}
	// abandoned: the open timed out, but its request goes on when the tab
	// blocking it lets go. Its callbacks stay until it is over, so that
	// the upgrade still makes the stores (a database left at version 1
	// with none would fail every later open's transactions), and the
	// connection it then opens is closed.
	abandoned := false
	defer func() {
		if !abandoned {
			cb.release()
		}
	}()
	abandon := func() {
		db, _ := req.Get("result")
		db.Call("close")
		cb.release()
	}
	blocked := make(chan struct{}, 1)
	err = errors.Join(
		cb.on(req, "onupgradeneeded", func(ev safejs.Value) {
			db, _ := req.Get("result")
			old, _ := ev.Get("oldVersion")
			v, _ := old.Int()
			if err := upgrade(db, v); err != nil {
				finish(err)
			}
		}),
		cb.on(req, "onsuccess", func(safejs.Value) {
			if abandoned {
				abandon()
				return
			}
			finish(nil)
		}),
		cb.on(req, "onerror", func(safejs.Value) {
			if abandoned {
				cb.release()
				return
			}
			finish(requestError(req, "open "+name))
		}),
		// Another tab still has an older version open: it is told to close
		// (versionchange) and the open goes on when it has.
		cb.on(req, "onblocked", func(safejs.Value) {
			select {
			case blocked <- struct{}{}:
			default:
			}
		}),
	)
	if err != nil {
		return safejs.Undefined(), err
	}
	select {
	case err := <-done:
		if err != nil {
			return safejs.Undefined(), err
		}
	case <-ctx.Done():
		select {
		case err := <-done: // over meanwhile: nothing is left pending
			if err == nil {
				abandon()
			}
		default:
			abandoned = true
		}
		return safejs.Undefined(), fmt.Errorf("open %s: %w", name, ctx.Err())
	}
	db, err := req.Get("result")
	if err != nil {
		return safejs.Undefined(), err
	}
	var vc callbacks
	vc.on(db, "onversionchange", func(safejs.Value) { taken(db) })
	return db, nil
}

// absent reports undefined or null.
func absent(v safejs.Value) bool { return v.IsUndefined() || v.IsNull() }

func upgrade(db safejs.Value, from int) error {
	if from < 1 {
		msgs, err := db.Call("createObjectStore", "messages", map[string]any{"keyPath": "id", "autoIncrement": true})
		if err != nil {
			return fmt.Errorf("create messages: %w", err)
		}
		for _, ix := range []struct {
			name   string
			path   any
			unique bool
		}{
			{"uid", "uid", true}, {"cid", "cid", false}, {"hist", []any{"ck", "t", "id"}, false}, {"st", "st", false},
		} {
			if _, err := msgs.Call("createIndex", ix.name, ix.path, map[string]any{"unique": ix.unique}); err != nil {
				return fmt.Errorf("create index %s: %w", ix.name, err)
			}
		}
		if _, err := db.Call("createObjectStore", "convs", map[string]any{"keyPath": "k"}); err != nil {
			return fmt.Errorf("create convs: %w", err)
		}
		if _, err := db.Call("createObjectStore", "meta"); err != nil {
			return fmt.Errorf("create meta: %w", err)
		}
	}
	return nil
}

// isConstraintError tells whether req failed on a unique index.
func isConstraintError(req safejs.Value) bool {
	e, err := req.Get("error")
	if err != nil || absent(e) {
		return false
	}
	name, err := e.Get("name")
	if err != nil {
		return false
	}
	s, _ := name.String()
	return s == "ConstraintError"
}

func requestError(req safejs.Value, what string) error {
	e, err := req.Get("error")
	if err == nil && !absent(e) {
		if msg, err := e.Get("message"); err == nil {
			s, _ := msg.String()
			return fmt.Errorf("%s: %s", what, s)
		}
	}
	return errors.New(what + " failed")
}

// tx runs fn in one transaction over stores and waits for it to complete.
// fn issues requests; their callbacks may issue more (the transaction stays
// open while any is pending).
func (s *Store) tx(ctx context.Context, mode string, stores []any, fn func(tx safejs.Value, cb *callbacks) error) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	db, closed, lost := s.db, s.closed, s.lost
	s.mu.Unlock()
	if lost {
		return errLost
	}
	if closed {
		return errors.New("indexeddb: the store is closed")
	}
	tx, err := db.Call("transaction", stores, mode)
	if err != nil {
		return fmt.Errorf("indexeddb transaction: %w", err)
	}
	done := make(chan error, 1)
	finish := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	// A request's error is followed by the transaction's abort; returning
	// (and releasing the callbacks) only then keeps the other requests'
	// abort events from calling released functions.
	var firstErr error
	cb := callbacks{fail: func(err error) {
		// A callback panicked: nothing of the transaction is kept, and it
		// fails with err once aborted (at once if it is over already).
		if firstErr == nil {
			firstErr = err
		}
		if _, aerr := tx.Call("abort"); aerr != nil {
			finish(firstErr)
		}
	}}
	defer cb.release()
	err = errors.Join(
		cb.on(tx, "oncomplete", func(safejs.Value) { finish(nil) }),
		cb.on(tx, "onerror", func(ev safejs.Value) {
			if firstErr != nil {
				return
			}
			req, err := ev.Get("target") // the failed request: tx.error is not set yet
			if err != nil || absent(req) {
				req = tx
			} else if cb.requestError != nil && cb.requestError(req, ev) {
				return
			}
			firstErr = requestError(req, "indexeddb transaction")
		}),
		cb.on(tx, "onabort", func(safejs.Value) {
			if firstErr == nil {
				firstErr = requestError(tx, "indexeddb transaction aborted")
			}
			finish(firstErr)
		}),
	)
	if err != nil {
		return err
	}
	if err := fn(tx, &cb); err != nil {
		tx.Call("abort")
		<-done
		return err
	}
	return <-done
}

// bytesJS copies b into a new Uint8Array.
func bytesJS(b []byte) (safejs.Value, error) {
	u8, err := safejs.Global().Get("Uint8Array")
	if err != nil {
		return safejs.Undefined(), err
	}
	arr, err := u8.New(len(b))
	if err != nil {
		return safejs.Undefined(), err
	}
	_, err = safejs.CopyBytesToJS(arr, b)
	return arr, err
}

// bytesGo copies a Uint8Array record field out.
func bytesGo(rec safejs.Value, key string) ([]byte, error) {
	v, err := rec.Get(key)
	if err != nil {
		return nil, err
	}
	n, err := v.Length()
	if err != nil {
		return nil, fmt.Errorf("stored record: %w", err)
	}
	b := make([]byte, n)
	_, err = safejs.CopyBytesToGo(b, v)
	return b, err
}

// recordFields are a message record's fields but b.
func recordFields(m *client.Message) map[string]any {
	t := m.SentTime
	if t == 0 {
		t = m.ReceivedTime
	}
	r := map[string]any{"ck": m.Key(), "t": t, "st": int(m.SentStatus)}
	if m.MessageID != 0 {
		r["id"] = m.MessageID
	}
	if m.MessageUID != "" {
		r["uid"] = m.MessageUID
	}
	if m.Direction == client.DirectionSend && m.ClientMsgID != "" {
		r["cid"] = m.ClientMsgID
	}
	return r
}

// messageRecords builds the records of ms in JS with few calls across: the
// fields of all as one JSON text, parsed once, and each one's bytes a copy
// out of one Uint8Array (a copy: a view would store the whole buffer). Per
// record that is 3 calls rather than one per field, and 2 finalized Go
// references rather than 3 (BENCHMARKS.md, offline sync).
func messageRecords(ms []*client.Message) ([]safejs.Value, []map[string]any, error) {
	fields := make([]map[string]any, len(ms))
	list := make([]any, len(ms))
	var all []byte
	ends := make([]int, len(ms))
	for i, m := range ms {
		enc, err := client.EncodeMessage(m)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, enc...)
		ends[i] = len(all)
		fields[i] = recordFields(m)
		list[i] = fields[i]
	}
	if len(ms) == 0 {
		return nil, nil, nil
	}
	doc, ok := jsonenc.Append(nil, list)
	if !ok {
		return nil, nil, errors.New("message records: not JSON")
	}
	j, err := safejs.Global().Get("JSON")
	if err != nil {
		return nil, nil, err
	}
	arr, err := j.Call("parse", string(doc))
	if err != nil {
		return nil, nil, fmt.Errorf("message records: %w", err)
	}
	bytes, err := bytesJS(all)
	if err != nil {
		return nil, nil, err
	}
	recs := make([]safejs.Value, len(ms))
	start := 0
	for i, end := range ends {
		if recs[i], err = arr.Index(i); err != nil {
			return nil, nil, err
		}
		b, err := bytes.Call("slice", start, end)
		if err != nil {
			return nil, nil, err
		}
		if err := recs[i].Set("b", b); err != nil {
			return nil, nil, err
		}
		start = end
	}
	return recs, fields, nil
}

func messageFrom(rec safejs.Value) (*client.Message, error) {
	if absent(rec) {
		return nil, nil
	}
	b, err := bytesGo(rec, "b")
	if err != nil {
		return nil, err
	}
	m, err := client.DecodeMessage(b)
	if err != nil {
		return nil, err
	}
	id, err := rec.Get("id")
	if err == nil {
		f, _ := id.Float()
		m.MessageID = int64(f)
	}
	return m, nil
}

func objectStore(tx safejs.Value, name string) (safejs.Value, error) {
	return tx.Call("objectStore", name)
}

// Apply implements client.Store: one readwrite transaction.
func (s *Store) Apply(ctx context.Context, b *client.Batch) error {
	if b == nil {
		return nil
	}
	// The puts go in two rounds: the records held already, then the new
	// ones, so that a server id a held record gives up in this batch is
	// free when a new record takes it. The same new *Message twice is put
	// once. order[k] is the batch index of the k-th put.
	order := make([]int, 0, len(b.Messages))
	firstOf := make(map[*client.Message]int)
	for i, m := range b.Messages {
		if m == nil {
			return fmt.Errorf("put message %d: nil", i)
		}
		if m.MessageID != 0 {
			order = append(order, i)
		}
	}
	for i, m := range b.Messages {
		if _, seen := firstOf[m]; m.MessageID == 0 && !seen {
			firstOf[m] = i
			order = append(order, i)
		}
	}
	ordered := make([]*client.Message, len(order))
	for k, i := range order {
		ordered[k] = b.Messages[i]
	}
	records, fields, err := messageRecords(ordered)
	if err != nil {
		return err
	}
	// The server ids the held records of this batch keep: a new record
	// taking one of them is this batch's conflict, not another tab's copy.
	kept := make(map[string]bool)
	for _, f := range fields {
		if uid, ok := f["uid"].(string); ok {
			if _, held := f["id"]; held {
				kept[uid] = true
			}
		}
	}
	ids := make([]int64, len(records))
	setID := func(i int, k safejs.Value) {
		f, _ := k.Float()
		ids[i] = int64(f)
	}
	// Each put's key is read from its request once the transaction is
	// complete (a request keeps its result), not in a callback per put.
	reqs := make([]safejs.Value, len(records))
	err = s.tx(ctx, "readwrite", []any{"messages", "convs", "meta"}, func(tx safejs.Value, cb *callbacks) error {
		msgs, err := objectStore(tx, "messages")
		if err != nil {
			return err
		}
		byUID, err := msgs.Call("index", "uid")
		if err != nil {
			return err
		}
		for i, r := range records {
			if reqs[i], err = msgs.Call("put", r); err != nil {
				return fmt.Errorf("put message: %w", err)
			}
		}
		// Another tab of this device may have stored one of the new
		// messages since this batch looked (the uid index is unique). That
		// is not this batch's failure: the request's error would abort the
		// whole transaction, this tab's other messages and cursors with
		// it, and when the other tab's batch met the same fate a message
		// was in neither. Keep the transaction and take the stored
		// record's id. The stored copy stays as that tab wrote it (a
		// change this batch made to the new message, a recall say, arrives
		// at that tab too).
		cb.requestError = func(req, ev safejs.Value) bool {
			if !isConstraintError(req) {
				return false // aborts the transaction, as before
			}
			i := slices.IndexFunc(reqs, req.Equal)
			uid, isNew := "", false
			if i >= 0 {
				uid, isNew = fields[i]["uid"].(string)
				_, hasID := fields[i]["id"]
				isNew = isNew && !hasID && !kept[uid]
			}
			if !isNew {
				return false
			}
			ev.Call("preventDefault")
			ev.Call("stopPropagation")
			reqs[i] = safejs.Undefined()
			get, err := byUID.Call("getKey", uid)
			if err != nil {
				return true // the transaction ends without this id: Apply fails below
			}
			cb.on(get, "onsuccess", func(safejs.Value) {
				k, _ := get.Get("result")
				if absent(k) { // no one's after all: nothing of the batch is kept
					cb.fail(fmt.Errorf("put message %s: the server id is taken, and by no record", uid))
					return
				}
				setID(i, k)
			})
			return true
		}
		if err := s.deletes(msgs, cb, b); err != nil {
			return err
		}
		convs, err := objectStore(tx, "convs")
		if err != nil {
			return err
		}
		for _, st := range b.Conversations {
			if err := putConversation(convs, cb, st); err != nil {
				return err
			}
		}
		meta, err := objectStore(tx, "meta")
		if err != nil {
			return err
		}
		for k, v := range b.Meta {
			if v == nil {
				_, err = meta.Call("delete", k)
			} else {
				// Bytes, not a string: a JS string would turn what is not
				// UTF-8 (the tags' protobuf) into U+FFFD.
				var arr safejs.Value
				if arr, err = bytesJS(v); err == nil {
					_, err = meta.Call("put", arr, k)
				}
			}
			if err != nil {
				return fmt.Errorf("meta %s: %w", k, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, req := range reqs {
		if !req.IsUndefined() {
			k, err := req.Get("result")
			if err != nil {
				return fmt.Errorf("put message: %w", err)
			}
			setID(i, k)
		}
		if ids[i] == 0 {
			return errors.New("put message: no key")
		}
	}
	for k, i := range order {
		b.Messages[i].MessageID = ids[k]
	}
	for _, m := range b.Messages { // the same new *Message again
		if m.MessageID == 0 {
			m.MessageID = b.Messages[firstOf[m]].MessageID
		}
	}
	return nil
}

// putConversation merges st into the stored cursor: two tabs of a device
// write the same records, and a cursor must never move back.
func putConversation(convs safejs.Value, cb *callbacks, st *client.ConversationState) error {
	k := st.Key()
	req, err := convs.Call("get", k)
	if err != nil {
		return err
	}
	cp := *st
	return cb.on(req, "onsuccess", func(safejs.Value) {
		if old, _ := req.Get("result"); !absent(old) {
			if b, err := bytesGo(old, "b"); err == nil {
				if prev, err := client.DecodeConversation(b); err == nil {
					if prev.ReadSeq > cp.ReadSeq {
						// The counts go with the watermark they were counted
						// against: another tab's read is newer. What this tab
						// holds past the other's messages adds at most its
						// own count of them (an estimate, till a recount).
						more := 0
						if cp.Contiguous > prev.Contiguous {
							more = int(min(uint64(cp.Unread), cp.Contiguous-prev.Contiguous))
						}
						mentions := min(cp.Mentions, more)
						cp.Unread, cp.Mentions = prev.Unread+more, prev.Mentions+mentions
						cp.Mentioned, cp.ServerCounts = prev.Mentioned || mentions > 0, prev.ServerCounts
					}
					cp.Contiguous = max(cp.Contiguous, prev.Contiguous)
					cp.LastSeq = max(cp.LastSeq, prev.LastSeq)
					cp.MessageSeq = max(cp.MessageSeq, prev.MessageSeq)
					cp.ReadSeq = max(cp.ReadSeq, prev.ReadSeq)
					cp.StartSeq = max(cp.StartSeq, prev.StartSeq)
					cp.LastTime = max(cp.LastTime, prev.LastTime)
					if prev.DraftTime > cp.DraftTime { // saved in another tab since this one looked
						cp.Draft, cp.DraftTime = prev.Draft, prev.DraftTime
					}
					if prev.SettingsTime > cp.SettingsTime {
						cp.Settings = prev.Settings // another tab's newer change
					}
				}
			}
		}
		if b, err := client.EncodeConversation(&cp); err == nil {
			if arr, err := bytesJS(b); err == nil {
				convs.Call("put", map[string]any{"k": k, "b": safejs.Unsafe(arr)})
			}
		}
	})
}

// deletes removes b.DeleteUIDs and b.Clears inside the transaction.
func (s *Store) deletes(msgs safejs.Value, cb *callbacks, b *client.Batch) error {
	if len(b.DeleteUIDs)+len(b.Clears) == 0 {
		return nil
	}
	byUID, err := msgs.Call("index", "uid")
	if err != nil {
		return err
	}
	for _, u := range b.DeleteUIDs {
		req, err := byUID.Call("getKey", u)
		if err != nil {
			return err
		}
		if err := cb.on(req, "onsuccess", func(safejs.Value) {
			if k, _ := req.Get("result"); !absent(k) {
				msgs.Call("delete", k)
			}
		}); err != nil {
			return err
		}
	}
	hist, err := msgs.Call("index", "hist")
	if err != nil {
		return err
	}
	keyRange, err := safejs.Global().Get("IDBKeyRange")
	if err != nil {
		return err
	}
	for _, cl := range b.Clears {
		rng, err := keyRange.Call("bound", []any{cl.Key()}, []any{cl.Key(), cl.Before, math.Inf(1)})
		if err != nil {
			return err
		}
		req, err := hist.Call("openKeyCursor", rng)
		if err != nil {
			return err
		}
		if err := cb.on(req, "onsuccess", func(safejs.Value) {
			cur, _ := req.Get("result")
			if absent(cur) {
				return
			}
			pk, _ := cur.Get("primaryKey")
			msgs.Call("delete", pk)
			cur.Call("continue")
		}); err != nil {
			return err
		}
	}
	return nil
}

// getMany issues one get per key on source (a store or an index) and
// returns the results in order.
func (s *Store) getMany(ctx context.Context, index string, keys []any) ([]*client.Message, error) {
	reqs := make([]safejs.Value, len(keys))
	err := s.tx(ctx, "readonly", []any{"messages"}, func(tx safejs.Value, cb *callbacks) error {
		src, err := objectStore(tx, "messages")
		if err != nil {
			return err
		}
		if index != "" {
			if src, err = src.Call("index", index); err != nil {
				return err
			}
		}
		return getEach(src, keys, reqs)
	})
	if err != nil {
		return nil, err
	}
	return results(reqs)
}

// getEach issues one get per key. Their results are read once the
// transaction is complete (a request keeps its result), not in a callback
// per get.
func getEach(src safejs.Value, keys []any, reqs []safejs.Value) error {
	for i, k := range keys {
		var err error
		if reqs[i], err = src.Call("get", k); err != nil {
			return err
		}
	}
	return nil
}

// results decodes the records of completed get requests.
func results(reqs []safejs.Value) ([]*client.Message, error) {
	out := make([]*client.Message, len(reqs))
	for i, req := range reqs {
		if req.IsUndefined() {
			continue
		}
		rec, err := req.Get("result")
		if err != nil {
			return nil, err
		}
		if out[i], err = messageFrom(rec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MessagesByID implements client.Store.
func (s *Store) MessagesByID(ctx context.Context, ids []int64) ([]*client.Message, error) {
	keys := make([]any, len(ids))
	for i, id := range ids {
		keys[i] = id
	}
	return s.getMany(ctx, "", keys)
}

// MessagesByUID implements client.Store.
//
// A sync asks for hundreds of UIDs at once, mostly of messages not held,
// and a get costs the engine a request each (in Chromium, 500 of them took
// ≈ 50 ms of a 420 ms offline sync). The server's UIDs sort by time, so a
// batch's UIDs span a narrow range of the index: one getAll over that
// range, with a limit, finds the held ones. Only when the range holds more
// records than the limit (UIDs that do not sort by time, a recall of an old
// message) does it fall back to one get per UID, in the same transaction.
func (s *Store) MessagesByUID(ctx context.Context, uids []string) ([]*client.Message, error) {
	keys := make([]any, len(uids))
	for i, u := range uids {
		keys[i] = u
	}
	lo, hi, ok := asciiRange(uids)
	if !ok || len(uids) < 8 {
		return s.getMany(ctx, "uid", keys)
	}
	limit := 2*len(uids) + 16
	reqs := make([]safejs.Value, len(uids))
	var found []*client.Message // in uids' order; nil: not held
	var decodeErr error
	err := s.tx(ctx, "readonly", []any{"messages"}, func(tx safejs.Value, cb *callbacks) error {
		msgs, err := objectStore(tx, "messages")
		if err != nil {
			return err
		}
		byUID, err := msgs.Call("index", "uid")
		if err != nil {
			return err
		}
		keyRange, err := safejs.Global().Get("IDBKeyRange")
		if err != nil {
			return err
		}
		rng, err := keyRange.Call("bound", lo, hi)
		if err != nil {
			return err
		}
		all, err := byUID.Call("getAll", rng, limit)
		if err != nil {
			return err
		}
		return cb.on(all, "onsuccess", func(safejs.Value) {
			recs, _ := all.Get("result")
			n, err := recs.Length()
			if err != nil || n >= limit {
				if err := getEach(byUID, keys, reqs); err != nil {
					decodeErr = err // a get not issued: nothing of the answer holds
					tx.Call("abort")
				}
				return
			}
			found, decodeErr = matchUIDs(recs, n, uids)
		})
	})
	if err != nil {
		return nil, err
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	if found != nil {
		return found, nil
	}
	return results(reqs)
}

// asciiRange is the least and greatest of uids, when all are ASCII: byte
// order is then IndexedDB's order (UTF-16 code units) too.
func asciiRange(uids []string) (lo, hi string, ok bool) {
	for i, u := range uids {
		for j := 0; j < len(u); j++ {
			if u[j] >= 0x80 {
				return "", "", false
			}
		}
		if i == 0 || u < lo {
			lo = u
		}
		if i == 0 || u > hi {
			hi = u
		}
	}
	return lo, hi, len(uids) > 0
}

// matchUIDs decodes the records among recs (n of them) whose uid is asked
// for, in uids' order.
func matchUIDs(recs safejs.Value, n int, uids []string) ([]*client.Message, error) {
	found := make([]*client.Message, len(uids))
	if n == 0 {
		return found, nil
	}
	at := make(map[string][]int, len(uids))
	for i, u := range uids {
		at[u] = append(at[u], i)
	}
	for j := 0; j < n; j++ {
		rec, err := recs.Index(j)
		if err != nil {
			return nil, err
		}
		v, err := rec.Get("uid")
		if err != nil {
			return nil, err
		}
		u, _ := v.String()
		for _, i := range at[u] { // each its own copy, as from a get
			if found[i], err = messageFrom(rec); err != nil {
				return nil, err
			}
		}
	}
	return found, nil
}

// MessageByClientID implements client.Store: the latest record of that send.
func (s *Store) MessageByClientID(ctx context.Context, cid string) (*client.Message, error) {
	var found *client.Message
	err := s.cursor(ctx, "cid", cid, "prev", func(m *client.Message) bool {
		found = m
		return false
	})
	return found, err
}

// cursor walks index over rng in direction, calling fn until it says stop.
func (s *Store) cursor(ctx context.Context, index string, rng any, direction string, fn func(*client.Message) bool) error {
	var decodeErr error
	err := s.tx(ctx, "readonly", []any{"messages"}, func(tx safejs.Value, cb *callbacks) error {
		msgs, err := objectStore(tx, "messages")
		if err != nil {
			return err
		}
		ix, err := msgs.Call("index", index)
		if err != nil {
			return err
		}
		req, err := ix.Call("openCursor", rng, direction)
		if err != nil {
			return err
		}
		return cb.on(req, "onsuccess", func(safejs.Value) {
			cur, _ := req.Get("result")
			if absent(cur) {
				return
			}
			v, _ := cur.Get("value")
			m, err := messageFrom(v)
			if err != nil {
				decodeErr = err
				return
			}
			if fn(m) {
				cur.Call("continue")
			}
		})
	})
	if err == nil {
		err = decodeErr
	}
	return err
}

// History implements client.Store.
func (s *Store) History(ctx context.Context, conv client.Conversation, t int64, count int, forward bool) ([]*client.Message, error) {
	out := []*client.Message{}
	if count <= 0 {
		return out, nil
	}
	keyRange, err := safejs.Global().Get("IDBKeyRange")
	if err != nil {
		return nil, err
	}
	k := conv.Key()
	lower, upper := []any{k}, []any{k, math.Inf(1)}
	lowerOpen, upperOpen := false, false
	switch {
	case forward && t != 0:
		lower, lowerOpen = []any{k, t, math.Inf(1)}, true
	case !forward && t != 0:
		upper, upperOpen = []any{k, t}, true
	}
	rng, err := keyRange.Call("bound", lower, upper, lowerOpen, upperOpen)
	if err != nil {
		return nil, err
	}
	dir := "prev"
	if forward {
		dir = "next"
	}
	err = s.cursor(ctx, "hist", rng, dir, func(m *client.Message) bool {
		out = append(out, m)
		return len(out) < count
	})
	return out, err
}

// Latest implements client.LatestReader: one transaction, a cursor from
// the newest end of each conversation's history, read once the transaction
// is complete (a request keeps its result) rather than in a callback each.
// The first list of 1,000 conversations after a start read them with one
// History each, ≈ 1 ms apiece (BENCHMARKS.md, issue 19).
func (s *Store) Latest(ctx context.Context, convs []client.Conversation) ([]*client.Message, error) {
	if len(convs) == 0 {
		return []*client.Message{}, nil
	}
	keyRange, err := safejs.Global().Get("IDBKeyRange")
	if err != nil {
		return nil, err
	}
	reqs := make([]safejs.Value, len(convs))
	err = s.tx(ctx, "readonly", []any{"messages"}, func(tx safejs.Value, cb *callbacks) error {
		msgs, err := objectStore(tx, "messages")
		if err != nil {
			return err
		}
		hist, err := msgs.Call("index", "hist")
		if err != nil {
			return err
		}
		for i, c := range convs {
			k := c.Key()
			rng, err := keyRange.Call("bound", []any{k}, []any{k, math.Inf(1)})
			if err != nil {
				return err
			}
			if reqs[i], err = hist.Call("openCursor", rng, "prev"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*client.Message, len(convs))
	for i, req := range reqs {
		cur, err := req.Get("result")
		if err != nil {
			return nil, err
		}
		if absent(cur) {
			continue // none held
		}
		v, err := cur.Get("value")
		if err != nil {
			return nil, err
		}
		if out[i], err = messageFrom(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Conversations implements client.Store.
func (s *Store) Conversations(ctx context.Context) ([]*client.ConversationState, error) {
	var out []*client.ConversationState
	var decodeErr error
	err := s.tx(ctx, "readonly", []any{"convs"}, func(tx safejs.Value, cb *callbacks) error {
		convs, err := objectStore(tx, "convs")
		if err != nil {
			return err
		}
		req, err := convs.Call("getAll")
		if err != nil {
			return err
		}
		return cb.on(req, "onsuccess", func(safejs.Value) {
			all, _ := req.Get("result")
			n, _ := all.Length()
			for i := 0; i < n; i++ {
				rec, _ := all.Index(i)
				b, err := bytesGo(rec, "b")
				if err == nil {
					var st *client.ConversationState
					if st, err = client.DecodeConversation(b); err == nil {
						out = append(out, st)
					}
				}
				if err != nil {
					decodeErr = err
				}
			}
		})
	})
	if err == nil {
		err = decodeErr
	}
	return out, err
}

// Meta implements client.Store.
func (s *Store) Meta(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	err := s.tx(ctx, "readonly", []any{"meta"}, func(tx safejs.Value, cb *callbacks) error {
		meta, err := objectStore(tx, "meta")
		if err != nil {
			return err
		}
		req, err := meta.Call("get", key)
		if err != nil {
			return err
		}
		return cb.on(req, "onsuccess", func(safejs.Value) {
			switch v, _ := req.Get("result"); v.Type() {
			case safejs.TypeString: // written by an SDK before bytes were (ASCII values read right)
				s, _ := v.String()
				out = []byte(s)
			case safejs.TypeObject:
				out, _ = bytesGo(req, "result")
			}
		})
	})
	return out, err
}

// Pending implements client.Store: messages still SENDING.
func (s *Store) Pending(ctx context.Context) ([]*client.Message, error) {
	var out []*client.Message
	err := s.cursor(ctx, "st", client.StatusSending, "next", func(m *client.Message) bool {
		out = append(out, m)
		return true
	})
	return out, err
}

// Close closes the database.
// Close closes the database, or has it closed once its open is over (Close
// never waits: it is called from JavaScript's event loop, which the open
// needs).
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if !s.lost {
		close(s.gone)
	}
	select {
	case <-s.ready:
		if s.openErr == nil && !s.lost {
			s.db.Call("close")
		}
	default: // Start's goroutine closes it
	}
}
