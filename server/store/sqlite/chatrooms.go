package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Chat rooms (store.Chatrooms): changes run in the writer like every other
// write, reads on the read pool. A room's history is ordinary messages
// (store.ChatroomConvID), appended through Append.

// chatroomConvs selects the chat rooms' histories ("r:..."; ';' follows
// ':') as a range, which the indexes led by conv_id serve. It is also the
// WHERE of the partial index user_hidden_chatroom, which SQLite uses only
// for a query that repeats it.
const chatroomConvs = `conv_id >= 'r:' AND conv_id < 'r;'`

func loadChatroom(r reader, room string) (store.Chatroom, error) {
	c := store.Chatroom{ID: room}
	err := r.QueryRow(`SELECT created, muted_all, empty_since, members FROM chatrooms WHERE id=?1`, room).Scan(&c.Created, &c.MutedAll, &c.EmptySince, &c.Members)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Chatroom{}, fmt.Errorf("chat room %s: %w", room, store.ErrNotFound)
	}
	if err != nil {
		return store.Chatroom{}, fmt.Errorf("chat room %s: %w", room, err)
	}
	return c, nil
}

// loadChatroomEntries returns room's entries by key.
func loadChatroomEntries(r reader, room string) ([]*pb.ChatroomEntry, error) {
	rows, err := r.Query(`SELECT key, value, owner, time, auto_delete FROM chatroom_entries WHERE room=? ORDER BY key`, room)
	if err != nil {
		return nil, fmt.Errorf("entries of chat room %s: %w", room, err)
	}
	defer rows.Close()
	var out []*pb.ChatroomEntry
	for rows.Next() {
		e := &pb.ChatroomEntry{}
		if err := rows.Scan(&e.Key, &e.Value, &e.Owner, &e.Time, &e.AutoDelete); err != nil {
			return nil, fmt.Errorf("entries of chat room %s: %w", room, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entries of chat room %s: %w", room, err)
	}
	return out, nil
}

// CreateChatroom implements store.Store.
func (d *DB) CreateChatroom(ctx context.Context, room string, now time.Time) (store.Chatroom, bool, error) {
	type res struct {
		c       store.Chatroom
		created bool
	}
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		// Empty since its creation: a room no one joins goes like one left.
		r, err := t.tx.Exec(`INSERT INTO chatrooms(id, created, muted_all, empty_since) VALUES (?1, ?2, 0, ?2) ON CONFLICT DO NOTHING`, room, now.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("create chat room %s: %w", room, err)
		}
		n, _ := r.RowsAffected()
		c, err := loadChatroom(t.tx, room)
		return res{c, n > 0}, err
	})
	if err != nil {
		return store.Chatroom{}, false, err
	}
	r := v.(res)
	return r.c, r.created, nil
}

// Chatroom implements store.Store.
func (d *DB) Chatroom(ctx context.Context, room string) (store.Chatroom, error) {
	return loadChatroom(poolReader{ctx, d}, room)
}

// ListChatrooms implements store.Store.
func (d *DB) ListChatrooms(ctx context.Context, after string, limit int) ([]store.Chatroom, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := d.query(ctx, `SELECT id, created, muted_all, empty_since, members
FROM chatrooms WHERE id>? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list chat rooms: %w", err)
	}
	defer rows.Close()
	var out []store.Chatroom
	for rows.Next() {
		var c store.Chatroom
		if err := rows.Scan(&c.ID, &c.Created, &c.MutedAll, &c.EmptySince, &c.Members); err != nil {
			return nil, fmt.Errorf("list chat rooms: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list chat rooms: %w", err)
	}
	return out, nil
}

// DestroyChatroom implements store.Store.
func (d *DB) DestroyChatroom(ctx context.Context, room string, emptyBefore time.Time) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) { return nil, t.destroyChatroom(room, emptyBefore) })
	return err
}

func (t *wtx) destroyChatroom(room string, emptyBefore time.Time) error {
	q, before := `DELETE FROM chatrooms WHERE id=?1`, int64(0)
	if !emptyBefore.IsZero() {
		q, before = q+` AND members=0 AND empty_since>0 AND empty_since<?2`, emptyBefore.UnixMilli()
	}
	res, err := t.tx.Exec(q, room, before)
	if err != nil {
		return fmt.Errorf("destroy chat room %s: %w", room, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := loadChatroom(t.tx, room); err == nil {
			return fmt.Errorf("destroy chat room %s: not empty: %w", room, store.ErrExists)
		}
		return fmt.Errorf("destroy chat room %s: %w", room, store.ErrNotFound)
	}
	for _, q := range []string{
		`DELETE FROM chatroom_members WHERE room=?`,
		`DELETE FROM chatroom_entries WHERE room=?`,
		`DELETE FROM chatroom_mutes WHERE room=?`,
	} {
		if _, err := t.tx.Exec(q, room); err != nil {
			return fmt.Errorf("destroy chat room %s: %w", room, err)
		}
	}
	// The history and what hangs on it, so that a room of the same id
	// starts over from seq 1.
	conv := store.ChatroomConvID(room)
	for _, q := range []string{
		// sent_convs is led by the sender: its senders come from its messages.
		`DELETE FROM sent_convs WHERE conv_id=?1 AND sender IN (SELECT sender FROM messages WHERE conv_id=?1)`,
		`DELETE FROM mentions WHERE conv_id=?`,
		`DELETE FROM user_hidden WHERE ` + chatroomConvs + ` AND conv_id=?`,
		`DELETE FROM receipt_readers WHERE conv_id=?`,
		`DELETE FROM receipt_counts WHERE conv_id=?`,
		`DELETE FROM messages WHERE conv_id=?`,
		`DELETE FROM convs WHERE id=?`,
	} {
		if _, err := t.tx.Exec(q, conv); err != nil {
			return fmt.Errorf("destroy chat room %s: history: %w", room, err)
		}
	}
	// The writer's cached head and known rows would outlive the rows
	// (eraseUser clears them the same way).
	delete(t.convs, conv)
	clear(t.known)
	return nil
}

// JoinChatroom implements store.Store.
func (d *DB) JoinChatroom(ctx context.Context, room, user, node string, now time.Time) (int64, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		res, err := t.tx.Exec(`UPDATE chatrooms SET empty_since=0 WHERE id=?`, room)
		if err != nil {
			return nil, fmt.Errorf("join chat room %s: %w", room, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, fmt.Errorf("join chat room %s: %w", room, store.ErrNotFound)
		}
		var had int
		if err := t.tx.QueryRow(`SELECT EXISTS (SELECT 1 FROM chatroom_members WHERE room=? AND user_id=?)`, room, user).Scan(&had); err != nil {
			return nil, fmt.Errorf("join chat room %s: %w", room, err)
		}
		if _, err := t.tx.Exec(`INSERT INTO chatroom_members(room, user_id, node, joined) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`,
			room, user, node, now.UnixMilli()); err != nil {
			return nil, fmt.Errorf("join chat room %s: %w", room, err)
		}
		if had == 0 {
			if _, err := t.tx.Exec(`UPDATE chatrooms SET members=members+1 WHERE id=?`, room); err != nil {
				return nil, fmt.Errorf("join chat room %s: %w", room, err)
			}
		}
		var joined int64
		// joined+0: the primary key finds the user's few rows; MIN over
		// the (room, joined) index walked the whole room (measured: 1 ms
		// a join at 10,000 members).
		if err := t.tx.QueryRow(`SELECT MIN(joined+0) FROM chatroom_members WHERE room=? AND user_id=?`, room, user).Scan(&joined); err != nil {
			return nil, fmt.Errorf("join chat room %s: %w", room, err)
		}
		return joined, nil
	})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// LeaveChatroom implements store.Store.
func (d *DB) LeaveChatroom(ctx context.Context, room, user, node string, now time.Time) ([]*pb.ChatroomEntry, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.leaveChatroom(room, user, node, now.UnixMilli()) })
	if err != nil {
		return nil, err
	}
	return v.([]*pb.ChatroomEntry), nil
}

// leaveChatroom removes user's row of node in room, then what goes with
// the user's last row and with the room's.
func (t *wtx) leaveChatroom(room, user, node string, now int64) ([]*pb.ChatroomEntry, error) {
	res, err := t.tx.Exec(`DELETE FROM chatroom_members WHERE room=? AND user_id=? AND node=?`, room, user, node)
	if err != nil {
		return nil, fmt.Errorf("leave chat room %s: %w", room, err)
	}
	var one int
	err = t.tx.QueryRow(`SELECT 1 FROM chatroom_members WHERE room=? AND user_id=? LIMIT 1`, room, user).Scan(&one)
	if err == nil {
		return nil, nil // still in on another node: the room is not empty either
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("leave chat room %s: %w", room, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		if _, err := t.tx.Exec(`UPDATE chatrooms SET members=members-1 WHERE id=? AND members>0`, room); err != nil {
			return nil, fmt.Errorf("leave chat room %s: %w", room, err)
		}
	}
	removed, err := loadChatroomEntriesOf(t.tx, room, user)
	if err != nil {
		return nil, err
	}
	if len(removed) > 0 {
		if _, err := t.tx.Exec(`DELETE FROM chatroom_entries WHERE room=? AND owner=? AND auto_delete<>0`, room, user); err != nil {
			return nil, fmt.Errorf("leave chat room %s: entries: %w", room, err)
		}
	}
	for _, e := range removed {
		e.Removed, e.Time = true, now
	}
	// empty_since=0: a room empty already keeps the time it became so.
	if _, err := t.tx.Exec(`UPDATE chatrooms SET empty_since=?1 WHERE id=?2 AND empty_since=0
AND NOT EXISTS (SELECT 1 FROM chatroom_members WHERE room=?2)`, now, room); err != nil {
		return nil, fmt.Errorf("leave chat room %s: %w", room, err)
	}
	return removed, nil
}

// loadChatroomEntriesOf returns the entries user set in room with
// auto_delete, by key.
func loadChatroomEntriesOf(r reader, room, user string) ([]*pb.ChatroomEntry, error) {
	rows, err := r.Query(`SELECT key, value, owner, time FROM chatroom_entries WHERE room=? AND owner=? AND auto_delete<>0 ORDER BY key`, room, user)
	if err != nil {
		return nil, fmt.Errorf("entries of %s in chat room %s: %w", user, room, err)
	}
	defer rows.Close()
	var out []*pb.ChatroomEntry
	for rows.Next() {
		e := &pb.ChatroomEntry{AutoDelete: true}
		if err := rows.Scan(&e.Key, &e.Value, &e.Owner, &e.Time); err != nil {
			return nil, fmt.Errorf("entries of %s in chat room %s: %w", user, room, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("entries of %s in chat room %s: %w", user, room, err)
	}
	return out, nil
}

// LeaveNode implements store.Store.
func (d *DB) LeaveNode(ctx context.Context, node string, now time.Time) (map[string][]*pb.ChatroomEntry, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		rows, err := t.tx.Query(`SELECT room, user_id FROM chatroom_members WHERE node=? ORDER BY room, user_id`, node)
		if err != nil {
			return nil, fmt.Errorf("leave node %s: %w", node, err)
		}
		var rowsOf [][2]string
		for rows.Next() {
			var r [2]string
			if err := rows.Scan(&r[0], &r[1]); err != nil {
				rows.Close()
				return nil, fmt.Errorf("leave node %s: %w", node, err)
			}
			rowsOf = append(rowsOf, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("leave node %s: %w", node, err)
		}
		out := map[string][]*pb.ChatroomEntry{}
		for _, r := range rowsOf {
			removed, err := t.leaveChatroom(r[0], r[1], node, now.UnixMilli())
			if err != nil {
				return nil, err
			}
			if len(removed) > 0 {
				out[r[0]] = append(out[r[0]], removed...)
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string][]*pb.ChatroomEntry), nil
}

// ChatroomNodes implements store.Store.
func (d *DB) ChatroomNodes(ctx context.Context) (map[string]int64, error) {
	rows, err := d.query(ctx, `SELECT node, MAX(joined) FROM chatroom_members GROUP BY node`)
	if err != nil {
		return nil, fmt.Errorf("chat room nodes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var node string
		var latest int64
		if err := rows.Scan(&node, &latest); err != nil {
			return nil, fmt.Errorf("chat room nodes: %w", err)
		}
		out[node] = latest
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat room nodes: %w", err)
	}
	return out, nil
}

// sqlChatroomMembers lists each member of a room once, at their earliest
// row (ties: the least node), in the order of the (room, joined) index so
// that a page stops early; it ends in the ORDER BY.
const sqlChatroomMembers = `SELECT user_id, joined FROM chatroom_members m WHERE room=?1 AND NOT EXISTS (
	SELECT 1 FROM chatroom_members o WHERE o.room=?1 AND o.user_id=m.user_id AND (o.joined<m.joined OR o.joined=m.joined AND o.node<m.node))
ORDER BY `

// ChatroomMembers implements store.Store.
func (d *DB) ChatroomMembers(ctx context.Context, room string, offset, limit int, latest bool) (int, []store.ChatroomMember, error) {
	var total int
	if err := d.queryRow(ctx, `SELECT count(DISTINCT user_id) FROM chatroom_members WHERE room=?`, room).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("members of chat room %s: %w", room, err)
	}
	if limit <= 0 || total == 0 {
		return total, nil, nil
	}
	order := `joined, user_id LIMIT ?2 OFFSET ?3`
	if latest {
		order = `joined DESC, user_id DESC LIMIT ?2 OFFSET ?3`
	}
	rows, err := d.query(ctx, sqlChatroomMembers+order, room, limit, max(offset, 0))
	if err != nil {
		return 0, nil, fmt.Errorf("members of chat room %s: %w", room, err)
	}
	defer rows.Close()
	var out []store.ChatroomMember
	for rows.Next() {
		var m store.ChatroomMember
		if err := rows.Scan(&m.User, &m.Joined); err != nil {
			return 0, nil, fmt.Errorf("members of chat room %s: %w", room, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("members of chat room %s: %w", room, err)
	}
	return total, out, nil
}

// EmptyChatrooms implements store.Store.
func (d *DB) EmptyChatrooms(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := d.query(ctx, `SELECT id FROM chatrooms WHERE empty_since>0 AND empty_since<? ORDER BY id`, before.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("empty chat rooms: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("empty chat rooms: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("empty chat rooms: %w", err)
	}
	return out, nil
}

// ChangeChatroomEntries implements store.Store.
func (d *DB) ChangeChatroomEntries(ctx context.Context, room string, decide func(map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error)) ([]*pb.ChatroomEntry, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.changeChatroomEntries(room, decide) })
	if err != nil {
		return nil, err
	}
	return v.([]*pb.ChatroomEntry), nil
}

func (t *wtx) changeChatroomEntries(room string, decide func(map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error)) ([]*pb.ChatroomEntry, error) {
	if err := t.chatroomExists(room); err != nil {
		return nil, fmt.Errorf("change entries: %w", err)
	}
	list, err := loadChatroomEntries(t.tx, room)
	if err != nil {
		return nil, err
	}
	current := make(map[string]*pb.ChatroomEntry, len(list))
	for _, e := range list {
		current[e.Key] = e
	}
	changes, err := decide(current)
	if err != nil {
		return nil, err // nothing written yet
	}
	for _, e := range changes {
		if e.Removed {
			if _, err := t.tx.Exec(`DELETE FROM chatroom_entries WHERE room=? AND key=?`, room, e.Key); err != nil {
				return nil, fmt.Errorf("remove entry %s of chat room %s: %w", e.Key, room, err)
			}
			continue
		}
		if _, err := t.tx.Exec(`INSERT INTO chatroom_entries(room, key, value, owner, time, auto_delete) VALUES (?,?,?,?,?,?)
ON CONFLICT(room, key) DO UPDATE SET value=excluded.value, owner=excluded.owner, time=excluded.time, auto_delete=excluded.auto_delete`,
			room, e.Key, e.Value, e.Owner, e.Time, e.AutoDelete); err != nil {
			return nil, fmt.Errorf("set entry %s of chat room %s: %w", e.Key, room, err)
		}
	}
	return changes, nil
}

// chatroomExists answers ErrNotFound when room does not exist.
func (t *wtx) chatroomExists(room string) error {
	var one int
	err := t.tx.QueryRow(`SELECT 1 FROM chatrooms WHERE id=?`, room).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("chat room %s: %w", room, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("chat room %s: %w", room, err)
	}
	return nil
}

// ChatroomEntries implements store.Store.
func (d *DB) ChatroomEntries(ctx context.Context, room string) ([]*pb.ChatroomEntry, error) {
	return loadChatroomEntries(poolReader{ctx, d}, room)
}

// MuteChatroom implements store.Store.
func (d *DB) MuteChatroom(ctx context.Context, room string, users []string, until int64, all *bool) error {
	_, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		if all != nil {
			res, err := t.tx.Exec(`UPDATE chatrooms SET muted_all=? WHERE id=?`, *all, room)
			if err != nil {
				return nil, fmt.Errorf("mute chat room %s: %w", room, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil, fmt.Errorf("mute chat room %s: %w", room, store.ErrNotFound)
			}
		} else if err := t.chatroomExists(room); err != nil {
			return nil, fmt.Errorf("mute: %w", err)
		}
		for _, u := range users {
			var err error
			if until > 0 {
				_, err = t.tx.Exec(`INSERT INTO chatroom_mutes(room, user_id, until) VALUES (?,?,?) ON CONFLICT(room, user_id) DO UPDATE SET until=excluded.until`, room, u, until)
			} else {
				_, err = t.tx.Exec(`DELETE FROM chatroom_mutes WHERE room=? AND user_id=?`, room, u)
			}
			if err != nil {
				return nil, fmt.Errorf("mute %s in chat room %s: %w", u, room, err)
			}
		}
		return nil, nil
	})
	return err
}

// ChatroomMutes implements store.Store.
func (d *DB) ChatroomMutes(ctx context.Context, room string, now time.Time) (map[string]int64, error) {
	rows, err := d.query(ctx, `SELECT user_id, until FROM chatroom_mutes WHERE room=? AND until>?`, room, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("mutes of chat room %s: %w", room, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var u string
		var until int64
		if err := rows.Scan(&u, &until); err != nil {
			return nil, fmt.Errorf("mutes of chat room %s: %w", room, err)
		}
		out[u] = until
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mutes of chat room %s: %w", room, err)
	}
	return out, nil
}

// DeleteChatroomHistoryBefore implements store.Store: DeleteBefore
// (deleteBefore) over the chat rooms' histories alone.
func (d *DB) DeleteChatroomHistoryBefore(ctx context.Context, t time.Time) (int64, error) {
	v, err := d.submit(ctx, true, func(w *wtx) (any, error) { return w.deleteChatroomHistoryBefore(t.UnixMilli()) })
	if err != nil {
		return 0, fmt.Errorf("chat room retention: %w", err)
	}
	return v.(int64), nil
}

func (t *wtx) deleteChatroomHistoryBefore(before int64) (int64, error) {
	// The rooms' new first sequence numbers, before their rows go.
	if _, err := t.tx.Exec(`UPDATE convs SET first_seq = COALESCE(
	(SELECT MIN(m.seq) FROM messages m WHERE m.conv_id = convs.id AND m.sent_time >= ?1), convs.last_seq + 1)
WHERE id >= 'r:' AND id < 'r;' AND first_seq <= (SELECT MAX(m.seq) FROM messages m WHERE m.conv_id = convs.id AND m.sent_time < ?1)`, before); err != nil {
		return 0, fmt.Errorf("move chat room history starts: %w", err)
	}
	if _, err := t.tx.Exec(`DELETE FROM user_hidden WHERE `+chatroomConvs+` AND EXISTS (
	SELECT 1 FROM messages m WHERE m.conv_id = user_hidden.conv_id AND m.seq = user_hidden.seq AND m.sent_time < ?)`, before); err != nil {
		return 0, fmt.Errorf("drop chat room hidden marks: %w", err)
	}
	if _, err := t.tx.Exec(`DELETE FROM mentions WHERE `+chatroomConvs+` AND EXISTS (
	SELECT 1 FROM messages m WHERE m.conv_id = mentions.conv_id AND m.seq = mentions.seq AND m.sent_time < ?)`, before); err != nil {
		return 0, fmt.Errorf("drop chat room mentions: %w", err)
	}
	res, err := t.tx.Exec(`DELETE FROM messages WHERE `+chatroomConvs+` AND sent_time < ?`, before)
	if err != nil {
		return 0, fmt.Errorf("delete chat room messages: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
