package client

import (
	"context"
	"sync"
)

// latestCache keeps each conversation's latest held message, so that the
// conversation list (asked for on every event by most apps) reads the
// store once per conversation, not on every call: over 1,000 conversations
// that was 1,000 IndexedDB transactions, ≈ 1.2 s in Chromium
// (BENCHMARKS.md). Every write of the engine goes through Engine.apply,
// which forgets what it touched.
type latestCache struct {
	mu   sync.Mutex
	m    map[string]latestEntry
	gen  uint64 // counts forgets: a read that overlapped one is not kept
	revs uint64 // the last rev given to an entry
}

type latestEntry struct {
	m    *Message // nil: the device holds none
	rev  uint64   // see ConversationInfo.LatestRev
	read *Message // m read by the watermark (seen), made when first needed
}

// get is k's cached message (shared, never changed: a list of 1,000
// cloned each one, a third of its allocations), its rev and whether there
// is one, else the generation a read from the store starts in (for put).
func (c *latestCache) get(k string) (m *Message, rev uint64, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	en, ok := c.m[k]
	return en.m, en.rev, ok, c.gen
}

// put keeps m for k unless a write forgot anything since gen (the read
// may have seen the store before it), and says m's rev (0: not kept).
func (c *latestCache) put(k string, m *Message, gen uint64) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return 0
	}
	if c.m == nil {
		c.m = map[string]latestEntry{}
	}
	if m != nil {
		m = m.Clone()
	}
	c.revs++
	c.m[k] = latestEntry{m: m, rev: c.revs}
	return c.revs
}

// seen is m, k's latest message with its rev, as a list shows it to a user
// whose read watermark is readSeq (ConversationInfo.setLatest), with the
// rev that names that: 2×rev, or 2×rev+1 for m read by the watermark, a
// copy kept beside m so that a list of read conversations does not copy
// each on every call.
func (c *latestCache) seen(k string, m *Message, rev, readSeq uint64) (*Message, uint64) {
	if m.IsRead || !readByWatermark(m, readSeq) {
		return m, 2 * rev
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	en, ok := c.m[k]
	if rev == 0 || !ok || en.rev != rev {
		return m.ReadCopy(), 0 // not kept, or since replaced
	}
	if en.read == nil {
		en.read = m.ReadCopy()
		c.m[k] = en
	}
	return en.read, 2*rev + 1
}

// forget drops what b changes: its messages' conversations, its clears',
// and everything when it deletes by server id (their conversations are
// not known here).
func (c *latestCache) forget(b *Batch) {
	if len(b.Messages) == 0 && len(b.Clears) == 0 && len(b.DeleteUIDs) == 0 {
		return // cursors and meta only: no read of messages overlapped a change
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(b.DeleteUIDs) > 0 {
		clear(c.m)
		return
	}
	for _, m := range b.Messages {
		delete(c.m, m.Key())
	}
	for _, cl := range b.Clears {
		delete(c.m, cl.Key())
	}
}

// apply is Store.Apply for every write of the engine.
func (e *Engine) apply(ctx context.Context, b *Batch) error {
	e.deleted.note(b.DeleteUIDs)
	e.latest.forget(b) // before: a list read from now on is not kept...
	err := e.cfg.Store.Apply(ctx, b)
	e.latest.forget(b) // ...nor one that ran while the store changed
	return err
}

// latestOf is c's latest held message (nil: none), from the cache or the
// store.
func (e *Engine) latestOf(ctx context.Context, c Conversation) (*Message, error) {
	m, _, err := e.latestByKey(ctx, c.Key(), c)
	return m, err
}

// latestByKey is latestOf for a caller that has c's key already, with the
// message's rev (ConversationInfo.LatestRev).
func (e *Engine) latestByKey(ctx context.Context, k string, c Conversation) (*Message, uint64, error) {
	m, rev, ok, gen := e.latest.get(k)
	if ok {
		return m, rev, nil
	}
	page, err := e.cfg.Store.History(ctx, c, 0, 1, false)
	if err != nil {
		return nil, 0, err
	}
	if len(page) == 1 {
		m = page[0]
	}
	return m, e.latest.put(k, m, gen), nil
}

// prefetched is a latest message a page read ahead, with its rev (0: not
// kept, a write overlapped the read).
type prefetched struct {
	m   *Message
	rev uint64
}

// prefetchLatest reads the latest messages of convs (keys: their keys)
// that the cache lacks with one LatestReader read, when the store is one,
// and keeps them. It returns what it read, kept or not, by key, as
// latestByKey returns a read a write overlapped; nil when it read nothing
// (an error is left for the caller's own read of that conversation).
func (e *Engine) prefetchLatest(ctx context.Context, keys []string, convs []Conversation) map[string]prefetched {
	lr, ok := e.cfg.Store.(LatestReader)
	if !ok {
		return nil
	}
	var missing []int
	var gen uint64
	for i, k := range keys {
		if _, _, ok, g := e.latest.get(k); !ok {
			if len(missing) == 0 {
				gen = g // a forget after this one keeps none of the read
			}
			missing = append(missing, i)
		}
	}
	if len(missing) < 2 {
		return nil
	}
	want := make([]Conversation, len(missing))
	for j, i := range missing {
		want[j] = convs[i]
	}
	got, err := lr.Latest(ctx, want)
	if err != nil || len(got) != len(want) {
		return nil
	}
	out := make(map[string]prefetched, len(missing))
	for j, i := range missing {
		out[keys[i]] = prefetched{got[j], e.latest.put(keys[i], got[j], gen)}
	}
	return out
}
