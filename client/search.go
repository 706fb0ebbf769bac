package client

import (
	"context"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/imwasm/imwasm/proto/codes"
)

// Search over the messages this device holds (RongIMLib's searchMessages
// and searchConversationByContent): a message matches when one of its
// type's searchable content properties (string values) contains the
// keyword, case folded. The built-in types' properties are RongIMLib's;
// a custom type's are the searchProps given to registerMessageType.

// builtinSearchProps are the searchable properties of RongIMLib's types.
var builtinSearchProps = map[string][]string{
	"RC:TxtMsg":       {"content"},
	"RC:FileMsg":      {"name"},
	"RC:ImgTextMsg":   {"title", "content"},
	"RC:ReferenceMsg": {"content"},
	"RC:LBSMsg":       {"poi"},
}

// SearchQuery is a search: Keyword (1-256 bytes) in the messages sent
// before Before (0: now), Count of them at most (1-100); Types limits the
// message types (none: all); Props adds custom types' searchable
// properties (object name: property names).
type SearchQuery struct {
	Keyword string
	Before  int64
	Count   int
	Types   []string
	Props   map[string][]string
}

func (q *SearchQuery) check() error {
	if q.Keyword == "" || len(q.Keyword) > 256 {
		return codes.New(codes.InvalidParameter, "keyword: 1-256 bytes")
	}
	if q.Count < 1 || q.Count > 100 {
		return codes.New(codes.InvalidParameterCount, "count: 1-100")
	}
	if q.Before < 0 {
		return codes.New(codes.InvalidParameter, "timestamp must not be negative")
	}
	return nil
}

// matches reports whether m is one q finds.
func (q *SearchQuery) matches(m *Message) bool {
	if len(q.Types) > 0 && !slices.Contains(q.Types, m.ObjectName) {
		return false
	}
	props := builtinSearchProps[m.ObjectName]
	if p, ok := q.Props[m.ObjectName]; ok && !strings.HasPrefix(m.ObjectName, "RC:") {
		props = p
	}
	if len(props) == 0 {
		return false
	}
	kw := strings.ToLower(q.Keyword)
	for _, v := range stringFields(m.Content, props) {
		if strings.Contains(strings.ToLower(v), kw) {
			return true
		}
	}
	return false
}

// SearchMessages implements searchMessages: the newest Count messages of
// c this device holds that match, sent before q.Before, and how many match
// in all.
func (e *Engine) SearchMessages(ctx context.Context, c Conversation, q SearchQuery) ([]*Message, int, error) {
	if err := e.closed(); err != nil {
		return nil, 0, err
	}
	if err := validConversation(c); err != nil {
		return nil, 0, err
	}
	if err := q.check(); err != nil {
		return nil, 0, err
	}
	var found []*Message
	total := 0
	err := e.eachHeld(ctx, c, q.Before, func(m *Message) bool {
		if q.matches(m) {
			total++
			if len(found) < q.Count {
				found = append(found, m)
			}
		}
		return true
	})
	return found, total, err
}

// SearchConversations implements searchConversationByContent: the
// conversations (of types; none: private and group) holding a message
// that matches, as the list has them, the most recent first.
func (e *Engine) SearchConversations(ctx context.Context, q SearchQuery, types []int32) ([]ConversationInfo, error) {
	q.Count = 1
	if err := e.closed(); err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	var out []ConversationInfo
	page := ConversationQuery{Count: MaxConversationPage, Types: types}
	for {
		list, err := e.ConversationsPage(ctx, page)
		if err != nil {
			return nil, err
		}
		for _, ci := range list {
			hit := false
			err := e.eachHeld(ctx, ci.Conversation, 0, func(m *Message) bool {
				hit = q.matches(m)
				return !hit
			})
			if err != nil {
				return nil, err
			}
			if hit {
				out = append(out, ci)
			}
		}
		// Every conversation, page by page (not the newest 1,000 only).
		if len(list) < MaxConversationPage || list[len(list)-1].ListTime == 0 {
			return out, nil
		}
		last := list[len(list)-1]
		page.StartTime, page.StartKey = last.ListTime, last.Key()
	}
}

// eachHeld calls fn for each message of c this device holds placed before
// before (0: all), newest first, until fn says stop. A page goes on from
// where the last one ended (a message's place: its sent time, or its
// received time while it has none, as Store.History places it), asking
// again for the messages of that time and skipping those given: none is
// read twice or missed, however many share a time (a page then grows),
// and a send without an answer yet (sent time 0) is no "from the newest".
func (e *Engine) eachHeld(ctx context.Context, c Conversation, before int64, fn func(*Message) bool) error {
	size, at := 100, int64(-1) // at: the place the pages so far ended at
	given := map[int64]bool{}  // the messages given at that place
	for {
		from := before
		if at >= 0 {
			from = at + 1 // at and before: the messages at it again
		}
		page, err := e.cfg.Store.History(ctx, c, from, size, false)
		if err != nil {
			return codes.Wrap(codes.Timeout, "read messages", err)
		}
		fresh := 0
		for _, m := range page {
			if given[m.MessageID] {
				continue
			}
			fresh++
			if !fn(m) {
				return nil
			}
		}
		if len(page) < size {
			return nil
		}
		if fresh == 0 { // a page of one place, given already: a larger one
			size *= 2
			continue
		}
		if last := placeOf(page[len(page)-1]); last != at {
			at, given = last, map[int64]bool{}
		}
		for _, m := range page {
			if placeOf(m) == at {
				given[m.MessageID] = true
			}
		}
	}
}

// placeOf is where Store.History places m: its sent time, or its received
// time while it has none (a send not answered yet).
func placeOf(m *Message) int64 {
	if m.SentTime != 0 {
		return m.SentTime
	}
	return m.ReceivedTime
}

// stringFields returns the string values of the top-level properties keys
// of the JSON object content (a message's content), in the order they
// appear; anything else, or text that is not an object, yields nothing.
// A small scanner: the engine links no JSON library (the wasm's size).
func stringFields(content []byte, keys []string) []string {
	s := &scan{b: content}
	s.space()
	if !s.byte('{') {
		return nil
	}
	var out []string
	for {
		s.space()
		if s.byte('}') {
			return out
		}
		key, ok := s.str()
		if !ok {
			return out
		}
		s.space()
		if !s.byte(':') {
			return out
		}
		s.space()
		if s.peek() == '"' && slices.Contains(keys, key) {
			v, ok := s.str()
			if !ok {
				return out
			}
			out = append(out, v)
		} else if !s.skip() {
			return out
		}
		s.space()
		if !s.byte(',') {
			return out
		}
	}
}

type scan struct {
	b []byte
	i int
}

func (s *scan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scan) byte(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *scan) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// str reads a string, its escapes decoded.
func (s *scan) str() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	var sb strings.Builder
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		switch {
		case c == '"':
			return sb.String(), true
		case c >= utf8.RuneSelf:
			// A UTF-8 sequence, each invalid byte U+FFFD (as encoding/json).
			r, size := utf8.DecodeRune(s.b[s.i-1:])
			if r == utf8.RuneError && size == 1 {
				sb.WriteRune(utf8.RuneError)
			} else {
				sb.Write(s.b[s.i-1 : s.i-1+size])
				s.i += size - 1
			}
		case c != '\\':
			sb.WriteByte(c)
		case s.i >= len(s.b):
			return "", false
		default:
			e := s.b[s.i]
			s.i++
			switch e {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					// A pair, or U+FFFD for a half (as encoding/json).
					if r < 0xdc00 && s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
						save := s.i
						s.i += 2
						r2, ok := s.hex4()
						if ok && r2 >= 0xdc00 && r2 <= 0xdfff {
							sb.WriteRune(utf16.DecodeRune(r, r2))
							continue
						}
						s.i = save // the next escape stands alone
					}
					r = utf8.RuneError
				}
				sb.WriteRune(r)
			default: // \" \\ \/
				sb.WriteByte(e)
			}
		}
	}
	return "", false
}

func (s *scan) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

// skip passes over one value of any kind.
func (s *scan) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{' || c == '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default: // a number, true, false, null
		start := s.i
		for s.i < len(s.b) && !strings.ContainsRune(",}] \t\n\r", rune(s.b[s.i])) {
			s.i++
		}
		return s.i > start
	}
}
