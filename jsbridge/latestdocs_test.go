//go:build js && wasm

package jsbridge

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/imwasm/imwasm/client"
	"github.com/imwasm/imwasm/jsbridge/jsonenc"
)

// latestDocs writes a latest message once per (engine, rev): a kept rev
// reuses its text, a new rev, rev 0 or another engine writes it again, and
// what is kept stays bounded.
func TestLatestDocs(t *testing.T) {
	engA, engB := new(client.Engine), new(client.Engine)
	bob := client.Conversation{Type: client.Private, TargetID: "bob"}
	info := func(text string, rev uint64) client.ConversationInfo {
		m := &client.Message{Conversation: bob, ObjectName: "RC:TxtMsg", Content: fmt.Appendf(nil, `{"content":%q}`, text)}
		return client.ConversationInfo{Conversation: bob, Latest: m, LatestRev: rev}
	}
	var d latestDocs
	for _, step := range []struct {
		name string
		eng  *client.Engine
		ci   client.ConversationInfo
		want string // the latest message's content.content in the JSON
	}{
		{"first", engA, info("one", 1), "one"},
		// The engine says rev 1 is unchanged: the kept text is the answer
		// (a message changed under an old rev is the engine's bug, not a
		// case; here it shows the text was not written again).
		{"same rev", engA, info("changed", 1), "one"},
		{"new rev", engA, info("two", 2), "two"},
		{"rev 0 is never kept", engA, info("three", 0), "three"},
		{"rev 2 still kept after a rev 0", engA, info("x", 2), "two"},
		{"another engine's rev 2", engB, info("four", 2), "four"},
	} {
		out := d.list(step.eng, []client.ConversationInfo{step.ci}, true)
		doc, ok := jsonenc.Append(nil, out)
		if !ok {
			t.Fatalf("%s: not written", step.name)
		}
		if direct, _ := jsonenc.Append(nil, []any{conversationInfoJS(step.ci)}); step.name == "first" && string(direct) != string(doc) {
			t.Errorf("kept text %s, written directly %s", doc, direct)
		}
		var got []struct {
			TargetID      string `json:"targetId"`
			LatestMessage struct {
				Content struct{ Content string }
			} `json:"latestMessage"`
		}
		if err := json.Unmarshal(doc, &got); err != nil {
			t.Fatalf("%s: %v in %s", step.name, err, doc)
		}
		if len(got) != 1 || got[0].TargetID != "bob" || got[0].LatestMessage.Content.Content != step.want {
			t.Errorf("%s: %s, want latest content %q", step.name, doc, step.want)
		}
	}
	// A retired engine's call (keep false) writes its texts and keeps none.
	if doc, _ := jsonenc.Append(nil, d.list(engA, []client.ConversationInfo{info("late", 2)}, false)); !strings.Contains(string(doc), `"late"`) {
		t.Errorf("a retired engine's list: %s", doc)
	}
	if d.eng != engB || d.m[bob].rev != 2 || !strings.Contains(string(d.m[bob].doc), `"four"`) {
		t.Errorf("a retired engine's list changed what is kept: %v, %s", d.eng == engA, d.m[bob].doc)
	}
	// Bounded: a list past the bound starts the cache again.
	many := make([]client.ConversationInfo, maxLatestDocs+10)
	for i := range many {
		c := client.Conversation{Type: client.Private, TargetID: fmt.Sprint("peer", i)}
		many[i] = client.ConversationInfo{Conversation: c, Latest: &client.Message{Conversation: c}, LatestRev: uint64(100 + i)}
	}
	d.list(engB, many, true)
	if n := len(d.m); n == 0 || n > maxLatestDocs {
		t.Errorf("%d texts kept after a list of %d, bound %d", n, len(many), maxLatestDocs)
	}
}
