package client

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

func TestStringFields(t *testing.T) {
	for _, c := range []struct {
		content string
		keys    []string
		want    []string
	}{
		{`{"content":"Hello"}`, []string{"content"}, []string{"Hello"}},
		{` { "a" : 1 , "content" : "x\"y\\z\u00e9\ud83d\ude00\n" } `, []string{"content"}, []string{"x\"y\\zé😀\n"}},
		{`{"extra":{"content":"nested"},"list":["content"],"content":"top"}`, []string{"content"}, []string{"top"}},
		{`{"title":"T","content":"C","n":null,"b":true}`, []string{"content", "title"}, []string{"T", "C"}},
		{`{"content":5}`, []string{"content"}, nil},
		{`["content","x"]`, []string{"content"}, nil},
		{`{"content":"unterminated`, []string{"content"}, nil},
		{`{"a":"x"`, []string{"a"}, []string{"x"}},
		{``, []string{"a"}, nil},
		{"{\"content\":\"a\xccb\xe4\xb8\xadc\"}", []string{"content"}, []string{"a\ufffdb中c"}}, // invalid UTF-8: U+FFFD, as encoding/json
	} {
		if got := stringFields([]byte(c.content), c.keys); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.content, got, c.want)
		}
	}
}

func TestSearchMatches(t *testing.T) {
	q := SearchQuery{Keyword: "HeLLo", Props: map[string][]string{"app:Card": {"title"}, "RC:TxtMsg": {"other"}}}
	for _, c := range []struct {
		name, content string
		want          bool
	}{
		{"RC:TxtMsg", `{"content":"say hello there"}`, true},
		{"RC:TxtMsg", `{"other":"hello"}`, false}, // a built-in type keeps RongIMLib's properties
		{"RC:FileMsg", `{"name":"hello.pdf"}`, true},
		{"RC:ImgMsg", `{"content":"hello"}`, false},
		{"app:Card", `{"title":"Hello card"}`, true},
		{"app:Card", `{"body":"hello"}`, false},
		{"app:Other", `{"title":"hello"}`, false},
	} {
		if got := q.matches(&Message{ObjectName: c.name, Content: []byte(c.content)}); got != c.want {
			t.Errorf("%s %s: %v", c.name, c.content, got)
		}
	}
	q.Types = []string{"RC:FileMsg"}
	if q.matches(&Message{ObjectName: "RC:TxtMsg", Content: []byte(`{"content":"hello"}`)}) {
		t.Error("a type left out by Types matched")
	}
}

// FuzzStringFields: never a panic, and on valid JSON objects the values
// encoding/json finds for a key are among those found.
func FuzzStringFields(f *testing.F) {
	for _, s := range []string{`{"content":"a\u00e9"}`, `{"a":{"content":"b"},"content":"c"}`, `{"content":"\ud800"}`, `[1]`, `{"x":[{"y":"]"}],"content":"}"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := stringFields(b, []string{"content"})
		var m map[string]any
		if !json.Valid(b) || json.Unmarshal(b, &m) != nil {
			return
		}
		if v, ok := m["content"].(string); ok && !slices.Contains(got, v) {
			t.Fatalf("%s: encoding/json has %q, stringFields %q", b, v, got)
		}
	})
}

// searchConversationByContent looks at every conversation, past the
// newest 1,000 (a page of the list) too.
func TestSearchConversationsPastAPage(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(nil)
	const n = MaxConversationPage + 2
	var ws []*pb.Message
	for i := range n {
		w := from(Conversation{Type: Private, TargetID: fmt.Sprintf("p%04d", i)}, 1)
		w.SentTime += int64(i) // p0000 the oldest
		ws = append(ws, w)
	}
	c.push(ws...)
	for got := 0; got < n; {
		got += len(h.messages())
	}
	found, err := h.e.SearchConversations(context.Background(), SearchQuery{Keyword: "p0000-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].TargetID != "p0000" {
		t.Fatalf("found %d conversations, want the oldest one (p0000)", len(found))
	}
}
