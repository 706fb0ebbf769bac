// Package importgen writes synthetic exports in imwasm import's format
// (docs/migration.md), for the import's tests and benchmark: users,
// groups of ten, and messages spread over private and group conversations
// in time order across conversations, as a vendor's export lists them.
package importgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Spec says what to write.
type Spec struct {
	Prefix        string // before every id, so several exports do not meet
	Users         int
	Groups        int // of ten members; the first conversations
	Conversations int
	Messages      int
	Start         time.Time // the groups' creation; messages follow, 10 ms apart
}

// Write writes the export: users, groups, then messages.
func Write(w io.Writer, s Spec) error {
	if s.Users < 11 || s.Groups > s.Conversations || s.Conversations < 1 {
		return fmt.Errorf("importgen: need 11 users or more and groups ≤ conversations, got %+v", s)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	user := func(i int) string { return fmt.Sprintf("%su%05d", s.Prefix, i%s.Users) }
	group := func(g int) string { return fmt.Sprintf("%sg%04d", s.Prefix, g) }
	for i := range s.Users {
		if err := enc.Encode(map[string]any{"kind": "user", "userId": user(i), "name": "User " + user(i)}); err != nil {
			return err
		}
	}
	base := s.Start.UnixMilli()
	for g := range s.Groups {
		members := make([]string, 10)
		for k := range members {
			members[k] = user(g*10 + k)
		}
		if err := enc.Encode(map[string]any{"kind": "group", "groupId": group(g), "ownerId": members[0],
			"memberIds": members, "name": "Group " + group(g), "createTime": base}); err != nil {
			return err
		}
	}
	for i := range s.Messages {
		c := i % s.Conversations
		m := map[string]any{"kind": "message", "messageUId": fmt.Sprintf("%sEXP-%07d", s.Prefix, i), "sentTime": base + 1 + int64(i)*10,
			"objectName": "RC:TxtMsg", "content": map[string]any{"content": fmt.Sprintf("message %d", i)}}
		if c < s.Groups {
			m["conversationType"], m["targetId"], m["fromUserId"] = 3, group(c), user(c*10+i%10)
		} else {
			// Pair c: user c and one a little further on, a different
			// partner each time round the users, so pairs do not repeat.
			a, b := user(c), user(c+1+c/s.Users)
			if i%2 == 1 {
				a, b = b, a
			}
			m["conversationType"], m["targetId"], m["fromUserId"] = 1, b, a
		}
		if err := enc.Encode(m); err != nil {
			return err
		}
	}
	return bw.Flush()
}
