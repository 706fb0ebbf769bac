package sqlite

import (
	"context"
	"strings"
	"testing"
)

// Erasing a user finds their messages through an index, not by scanning
// every message while the writer waits.
func TestEraseUserQueryUsesAnIndex(t *testing.T) {
	d := open(t, "")
	rows, err := d.rdb.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT id, conv_id, seq, uid, sent_time FROM messages WHERE sender=? AND conv_id<>?`, "u", "u:u")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX") || strings.HasPrefix(p, "SCAN messages") {
		t.Fatalf("erase plan: %s", p)
	}
}
