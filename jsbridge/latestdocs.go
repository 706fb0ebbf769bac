//go:build js && wasm

package jsbridge

import (
	"bytes"
	"sync"

	"github.com/imwasm/imwasm/client"
)

// latestDocs keeps the JSON of the conversation list's latest messages,
// for the engine they came from, by the engine's LatestRev: most apps ask
// for the list on every event, and writing its 1,000 latest messages again
// (≈ 640 KB, each content checked as JSON) was half a list's time in
// Firefox and WebKit (BENCHMARKS.md, issue 19).
type latestDocs struct {
	mu      sync.Mutex
	eng     *client.Engine
	m       map[client.Conversation]latestDoc
	scratch []byte // where a text is written before its exact-size copy is kept
}

type latestDoc struct {
	rev uint64
	doc []byte
}

// maxLatestDocs bounds what is kept (a few pages' worth): past it, the
// cache starts again, so conversations long gone are not held.
const maxLatestDocs = 2 * client.MaxConversationPage

// list is list as JS values, each latest message written once per rev.
// Texts are kept only while eng is the bridge's (keep): a call that ends
// after its engine was retired keeps nothing of it.
func (d *latestDocs) list(eng *client.Engine, list []client.ConversationInfo, keep bool) []any {
	d.mu.Lock()
	defer d.mu.Unlock()
	if keep && d.eng != eng {
		d.eng, d.m = eng, nil
	}
	out := make([]any, len(list))
	for i, ci := range list {
		cv := conversationInfoJS(ci)
		out[i] = cv
		if !keep || ci.Latest == nil || ci.LatestRev == 0 {
			continue // written by AppendJSON, call by call
		}
		if kept, ok := d.m[ci.Conversation]; ok && kept.rev == ci.LatestRev {
			cv.latestDoc = kept.doc
			continue
		}
		var ok bool
		if d.scratch, ok = (*messageValue)(ci.Latest).AppendJSON(d.scratch[:0]); !ok {
			continue // written by the slow path, call by call
		}
		doc := bytes.Clone(d.scratch) // kept by the thousand: no spare capacity
		if d.m == nil || len(d.m) >= maxLatestDocs {
			d.m = make(map[client.Conversation]latestDoc, len(list))
		}
		d.m[ci.Conversation] = latestDoc{ci.LatestRev, doc}
		cv.latestDoc = doc
	}
	return out
}

// drop forgets what is kept (its engine is retired or closed: nothing of it
// is held past that).
func (d *latestDocs) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.eng, d.m, d.scratch = nil, nil, nil
}
