package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Chat rooms (store.Chatrooms). Every change to a room locks its row
// first (a join, a leave, an entry change, a mute, its destruction), so
// that the changes to one room from any node run one at a time: whether
// a user or the room is left empty is then decided on rows no one else is
// changing. LeaveNode locks its rooms in id order, like everything that
// locks more than one.

// lockChatroom locks room's row until the transaction ends (ErrNotFound:
// no such room).
func (t *wtx) lockChatroom(ctx context.Context, room string) error {
	var one int
	err := t.tx.QueryRow(ctx, `SELECT 1 FROM chatrooms WHERE id = $1 FOR UPDATE`, room).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("chat room %s: %w", room, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("lock chat room %s: %w", room, err)
	}
	return nil
}

func loadChatroom(ctx context.Context, q querier, room string) (store.Chatroom, error) {
	c := store.Chatroom{ID: room}
	err := q.QueryRow(ctx, `SELECT created, muted_all, empty_since, members FROM chatrooms WHERE id = $1`, room).Scan(&c.Created, &c.MutedAll, &c.EmptySince, &c.Members)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Chatroom{}, fmt.Errorf("chat room %s: %w", room, store.ErrNotFound)
	}
	if err != nil {
		return store.Chatroom{}, fmt.Errorf("chat room %s: %w", room, err)
	}
	return c, nil
}

// loadChatroomEntries returns room's entries by key, bytewise as SQLite
// orders them (the database's collation may differ).
func loadChatroomEntries(ctx context.Context, q querier, room string) ([]*pb.ChatroomEntry, error) {
	rows, err := q.Query(ctx, `SELECT key, value, owner, time, auto_delete FROM chatroom_entries WHERE room = $1 ORDER BY key COLLATE "C"`, room)
	if err != nil {
		return nil, fmt.Errorf("entries of chat room %s: %w", room, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*pb.ChatroomEntry, error) {
		e := &pb.ChatroomEntry{}
		err := r.Scan(&e.Key, &e.Value, &e.Owner, &e.Time, &e.AutoDelete)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("entries of chat room %s: %w", room, err)
	}
	return out, nil
}

// CreateChatroom implements store.Store's CreateChatroom.
func (d *DB) CreateChatroom(ctx context.Context, room string, now time.Time) (c store.Chatroom, created bool, err error) {
	err = d.write(ctx, func(t *wtx) error {
		// Empty since its creation: a room no one joins goes like one left.
		// A room created at once by another node is waited for, then read.
		tag, err := t.tx.Exec(ctx, `INSERT INTO chatrooms(id, created, muted_all, empty_since) VALUES ($1, $2, false, $2) ON CONFLICT (id) DO NOTHING`,
			room, now.UnixMilli())
		if err != nil {
			return fmt.Errorf("create chat room %s: %w", room, err)
		}
		created = tag.RowsAffected() > 0
		c, err = loadChatroom(ctx, t.tx, room)
		return err
	})
	if err != nil {
		return store.Chatroom{}, false, err
	}
	return c, created, nil
}

// Chatroom implements store.Store's Chatroom.
func (d *DB) Chatroom(ctx context.Context, room string) (store.Chatroom, error) {
	c, err := loadChatroom(ctx, d.pool, room)
	return c, unavailable(err)
}

// ListChatrooms implements store.Store's ListChatrooms.
func (d *DB) ListChatrooms(ctx context.Context, after string, limit int) ([]store.Chatroom, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := d.pool.Query(ctx, `SELECT id, created, muted_all, empty_since, members
FROM chatrooms WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, unavailable(fmt.Errorf("list chat rooms: %w", err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Chatroom, error) {
		var c store.Chatroom
		err := r.Scan(&c.ID, &c.Created, &c.MutedAll, &c.EmptySince, &c.Members)
		return c, err
	})
	if err != nil {
		return nil, unavailable(fmt.Errorf("list chat rooms: %w", err))
	}
	return out, nil
}

// DestroyChatroom implements store.Store's DestroyChatroom.
func (d *DB) DestroyChatroom(ctx context.Context, room string, emptyBefore time.Time) error {
	return d.write(ctx, func(t *wtx) error {
		q, before := `DELETE FROM chatrooms WHERE id = $1`, int64(0)
		if !emptyBefore.IsZero() {
			q, before = q+` AND members = 0 AND empty_since > 0 AND empty_since < $2`, emptyBefore.UnixMilli()
		} else {
			q += ` AND $2::bigint = 0`
		}
		tag, err := t.tx.Exec(ctx, q, room, before)
		if err != nil {
			return fmt.Errorf("destroy chat room %s: %w", room, err)
		}
		if tag.RowsAffected() == 0 {
			if _, err := loadChatroom(ctx, t.tx, room); err == nil {
				return fmt.Errorf("destroy chat room %s: not empty: %w", room, store.ErrExists)
			}
			return fmt.Errorf("destroy chat room %s: %w", room, store.ErrNotFound)
		}
		for _, q := range []string{
			`DELETE FROM chatroom_members WHERE room = $1`,
			`DELETE FROM chatroom_entries WHERE room = $1`,
			`DELETE FROM chatroom_mutes WHERE room = $1`,
		} {
			if _, err := t.tx.Exec(ctx, q, room); err != nil {
				return fmt.Errorf("destroy chat room %s: %w", room, err)
			}
		}
		// The history and what hangs on it, so that a room of the same id
		// starts over from seq 1. The head first (as EraseUser does a
		// log's): an append in flight holds it, and its message then goes
		// with the rest.
		conv := store.ChatroomConvID(room)
		for _, q := range []string{
			`DELETE FROM convs WHERE id = $1`,
			// sent_convs is led by the sender: its senders come from its messages.
			`DELETE FROM sent_convs WHERE conv_id = $1 AND sender IN (SELECT sender FROM messages WHERE conv_id = $1)`,
			`DELETE FROM mentions WHERE conv_id = $1`,
			`DELETE FROM user_hidden WHERE conv_id LIKE 'r:%' AND conv_id = $1`, // the partial index user_hidden_chatroom
			`DELETE FROM receipt_readers WHERE conv_id = $1`,
			`DELETE FROM receipt_counts WHERE conv_id = $1`,
			// Events not yet sent carry the messages' bodies (outbox.go).
			`DELETE FROM outbox o USING messages m WHERE m.conv_id = $1 AND o.event_id IN ('msg.' || m.uid, 'stored.' || m.uid)`,
			`DELETE FROM messages WHERE conv_id = $1`,
		} {
			if _, err := t.tx.Exec(ctx, q, conv); err != nil {
				return fmt.Errorf("destroy chat room %s: history: %w", room, err)
			}
		}
		return nil
	})
}

// JoinChatroom implements store.Store's JoinChatroom.
func (d *DB) JoinChatroom(ctx context.Context, room, user, node string, now time.Time) (joined int64, err error) {
	err = d.write(ctx, func(t *wtx) error {
		// Takes the room's lock, as lockChatroom would.
		tag, err := t.tx.Exec(ctx, `UPDATE chatrooms SET empty_since = 0 WHERE id = $1`, room)
		if err != nil {
			return fmt.Errorf("join chat room %s: %w", room, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("join chat room %s: %w", room, store.ErrNotFound)
		}
		var had bool
		if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM chatroom_members WHERE room = $1 AND user_id = $2)`, room, user).Scan(&had); err != nil {
			return fmt.Errorf("join chat room %s: %w", room, err)
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO chatroom_members(room, user_id, node, joined) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			room, user, node, now.UnixMilli()); err != nil {
			return fmt.Errorf("join chat room %s: %w", room, err)
		}
		if !had {
			if _, err := t.tx.Exec(ctx, `UPDATE chatrooms SET members = members + 1 WHERE id = $1`, room); err != nil {
				return fmt.Errorf("join chat room %s: %w", room, err)
			}
		}
		if err := t.tx.QueryRow(ctx, `SELECT min(joined) FROM chatroom_members WHERE room = $1 AND user_id = $2`, room, user).Scan(&joined); err != nil {
			return fmt.Errorf("join chat room %s: %w", room, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return joined, nil
}

// LeaveChatroom implements store.Store's LeaveChatroom.
func (d *DB) LeaveChatroom(ctx context.Context, room, user, node string, now time.Time) (removed []*pb.ChatroomEntry, err error) {
	err = d.write(ctx, func(t *wtx) error {
		removed = nil
		if err := t.lockChatroom(ctx, room); errors.Is(err, store.ErrNotFound) {
			return nil // no room, no rows
		} else if err != nil {
			return err
		}
		tag, err := t.tx.Exec(ctx, `DELETE FROM chatroom_members WHERE room = $1 AND user_id = $2 AND node = $3`, room, user, node)
		if err != nil {
			return fmt.Errorf("leave chat room %s: %w", room, err)
		}
		var left []string // users whose row went
		if tag.RowsAffected() > 0 {
			left = []string{user}
		}
		if removed, err = t.afterLeaving(ctx, room, []string{user}, left, now.UnixMilli()); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// afterLeaving removes, with room locked and some of users' rows gone,
// the auto_delete entries of those users who are in it no more (returned,
// Removed set), and marks the room empty if it now is.
func (t *wtx) afterLeaving(ctx context.Context, room string, users, left []string, now int64) ([]*pb.ChatroomEntry, error) {
	// The room's count loses those of left with no row any more.
	if len(left) > 0 {
		if _, err := t.tx.Exec(ctx, `UPDATE chatrooms SET members = greatest(members - (SELECT count(DISTINCT u) FROM unnest($2::text[]) u
WHERE NOT EXISTS (SELECT 1 FROM chatroom_members m WHERE m.room = $1 AND m.user_id = u)), 0) WHERE id = $1`, room, left); err != nil {
			return nil, fmt.Errorf("leave chat room %s: %w", room, err)
		}
	}
	rows, err := t.tx.Query(ctx, `DELETE FROM chatroom_entries e WHERE room = $1 AND auto_delete AND owner = ANY($2)
AND NOT EXISTS (SELECT 1 FROM chatroom_members m WHERE m.room = e.room AND m.user_id = e.owner)
RETURNING key, value, owner`, room, users)
	if err != nil {
		return nil, fmt.Errorf("leave chat room %s: entries: %w", room, err)
	}
	removed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*pb.ChatroomEntry, error) {
		e := &pb.ChatroomEntry{AutoDelete: true, Removed: true, Time: now}
		err := r.Scan(&e.Key, &e.Value, &e.Owner)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("leave chat room %s: entries: %w", room, err)
	}
	slices.SortFunc(removed, func(a, b *pb.ChatroomEntry) int { return cmp.Compare(a.Key, b.Key) })
	// empty_since = 0: a room empty already keeps the time it became so.
	if _, err := t.tx.Exec(ctx, `UPDATE chatrooms SET empty_since = $1 WHERE id = $2 AND empty_since = 0
AND NOT EXISTS (SELECT 1 FROM chatroom_members WHERE room = $2)`, now, room); err != nil {
		return nil, fmt.Errorf("leave chat room %s: %w", room, err)
	}
	return removed, nil
}

// LeaveNode implements store.Store's LeaveNode.
func (d *DB) LeaveNode(ctx context.Context, node string, now time.Time) (removed map[string][]*pb.ChatroomEntry, err error) {
	err = d.write(ctx, func(t *wtx) error {
		removed = map[string][]*pb.ChatroomEntry{}
		rows, err := t.tx.Query(ctx, `SELECT DISTINCT room FROM chatroom_members WHERE node = $1`, node)
		if err != nil {
			return fmt.Errorf("leave node %s: %w", node, err)
		}
		rooms, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("leave node %s: %w", node, err)
		}
		slices.Sort(rooms) // the lock order
		for _, room := range rooms {
			if err := t.lockChatroom(ctx, room); errors.Is(err, store.ErrNotFound) {
				continue // destroyed meanwhile, its rows with it
			} else if err != nil {
				return err
			}
			rows, err := t.tx.Query(ctx, `DELETE FROM chatroom_members WHERE room = $1 AND node = $2 RETURNING user_id`, room, node)
			if err != nil {
				return fmt.Errorf("leave node %s: chat room %s: %w", node, room, err)
			}
			users, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("leave node %s: chat room %s: %w", node, room, err)
			}
			if len(users) == 0 {
				continue
			}
			gone, err := t.afterLeaving(ctx, room, users, users, now.UnixMilli())
			if err != nil {
				return err
			}
			if len(gone) > 0 {
				removed[room] = gone
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// ChatroomNodes implements store.Store's ChatroomNodes.
func (d *DB) ChatroomNodes(ctx context.Context) (map[string]int64, error) {
	rows, err := d.pool.Query(ctx, `SELECT node, max(joined) FROM chatroom_members GROUP BY node`)
	if err != nil {
		return nil, unavailable(fmt.Errorf("chat room nodes: %w", err))
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
		return nil, unavailable(fmt.Errorf("chat room nodes: %w", err))
	}
	return out, nil
}

// sqlChatroomMembers lists each member of a room once, at their earliest
// row (ties: the least node), in the order of the (room, joined, user_id)
// index so that a page stops early; it ends in the ORDER BY.
const sqlChatroomMembers = `SELECT user_id, joined FROM chatroom_members m WHERE room = $1 AND NOT EXISTS (
	SELECT 1 FROM chatroom_members o WHERE o.room = $1 AND o.user_id = m.user_id AND (o.joined < m.joined OR o.joined = m.joined AND o.node < m.node))
ORDER BY `

// ChatroomMembers implements store.Store's ChatroomMembers: the count and
// the page from one snapshot.
func (d *DB) ChatroomMembers(ctx context.Context, room string, offset, limit int, latest bool) (total int, members []store.ChatroomMember, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(DISTINCT user_id) FROM chatroom_members WHERE room = $1`, room).Scan(&total); err != nil {
			return fmt.Errorf("members of chat room %s: %w", room, err)
		}
		if limit <= 0 || total == 0 {
			return nil
		}
		order := `joined, user_id LIMIT $2 OFFSET $3`
		if latest {
			order = `joined DESC, user_id DESC LIMIT $2 OFFSET $3`
		}
		rows, err := tx.Query(ctx, sqlChatroomMembers+order, room, limit, max(offset, 0))
		if err != nil {
			return fmt.Errorf("members of chat room %s: %w", room, err)
		}
		members, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ChatroomMember, error) {
			var m store.ChatroomMember
			err := r.Scan(&m.User, &m.Joined)
			return m, err
		})
		if err != nil {
			return fmt.Errorf("members of chat room %s: %w", room, err)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return total, members, nil
}

// EmptyChatrooms implements store.Store's EmptyChatrooms.
func (d *DB) EmptyChatrooms(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := d.pool.Query(ctx, `SELECT id FROM chatrooms WHERE empty_since > 0 AND empty_since < $1 ORDER BY id`, before.UnixMilli())
	if err != nil {
		return nil, unavailable(fmt.Errorf("empty chat rooms: %w", err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, unavailable(fmt.Errorf("empty chat rooms: %w", err))
	}
	return out, nil
}

// ChangeChatroomEntries implements store.Store's ChangeChatroomEntries.
func (d *DB) ChangeChatroomEntries(ctx context.Context, room string, decide func(map[string]*pb.ChatroomEntry) ([]*pb.ChatroomEntry, error)) (changes []*pb.ChatroomEntry, err error) {
	err = d.write(ctx, func(t *wtx) error {
		changes = nil
		if err := t.lockChatroom(ctx, room); err != nil {
			return fmt.Errorf("change entries: %w", err)
		}
		list, err := loadChatroomEntries(ctx, t.tx, room)
		if err != nil {
			return err
		}
		current := make(map[string]*pb.ChatroomEntry, len(list))
		for _, e := range list {
			current[e.Key] = e
		}
		decided, err := decide(current)
		if err != nil {
			return err // nothing written yet; the rollback ends the transaction
		}
		for _, e := range decided {
			if e.Removed {
				if _, err := t.tx.Exec(ctx, `DELETE FROM chatroom_entries WHERE room = $1 AND key = $2`, room, e.Key); err != nil {
					return fmt.Errorf("remove entry %s of chat room %s: %w", e.Key, room, err)
				}
				continue
			}
			if _, err := t.tx.Exec(ctx, `INSERT INTO chatroom_entries(room, key, value, owner, time, auto_delete) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (room, key) DO UPDATE SET value = excluded.value, owner = excluded.owner, time = excluded.time, auto_delete = excluded.auto_delete`,
				room, e.Key, e.Value, e.Owner, e.Time, e.AutoDelete); err != nil {
				return fmt.Errorf("set entry %s of chat room %s: %w", e.Key, room, err)
			}
		}
		changes = decided
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changes, nil
}

// ChatroomEntries implements store.Store's ChatroomEntries.
func (d *DB) ChatroomEntries(ctx context.Context, room string) ([]*pb.ChatroomEntry, error) {
	list, err := loadChatroomEntries(ctx, d.pool, room)
	return list, unavailable(err)
}

// MuteChatroom implements store.Store's MuteChatroom.
func (d *DB) MuteChatroom(ctx context.Context, room string, users []string, until int64, all *bool) error {
	return d.write(ctx, func(t *wtx) error {
		if err := t.lockChatroom(ctx, room); err != nil {
			return fmt.Errorf("mute: %w", err)
		}
		if all != nil {
			if _, err := t.tx.Exec(ctx, `UPDATE chatrooms SET muted_all = $1 WHERE id = $2`, *all, room); err != nil {
				return fmt.Errorf("mute chat room %s: %w", room, err)
			}
		}
		if len(users) == 0 {
			return nil
		}
		var err error
		if until > 0 {
			// DISTINCT: one upsert may not change a row twice.
			_, err = t.tx.Exec(ctx, `INSERT INTO chatroom_mutes(room, user_id, until) SELECT DISTINCT $1::text, u, $3::bigint FROM unnest($2::text[]) AS u
ON CONFLICT (room, user_id) DO UPDATE SET until = excluded.until`, room, users, until)
		} else {
			_, err = t.tx.Exec(ctx, `DELETE FROM chatroom_mutes WHERE room = $1 AND user_id = ANY($2)`, room, users)
		}
		if err != nil {
			return fmt.Errorf("mute users in chat room %s: %w", room, err)
		}
		return nil
	})
}

// ChatroomMutes implements store.Store's ChatroomMutes.
func (d *DB) ChatroomMutes(ctx context.Context, room string, now time.Time) (map[string]int64, error) {
	rows, err := d.pool.Query(ctx, `SELECT user_id, until FROM chatroom_mutes WHERE room = $1 AND until > $2`, room, now.UnixMilli())
	if err != nil {
		return nil, unavailable(fmt.Errorf("mutes of chat room %s: %w", room, err))
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
		return nil, unavailable(fmt.Errorf("mutes of chat room %s: %w", room, err))
	}
	return out, nil
}

// DeleteChatroomHistoryBefore implements store.Store's
// DeleteChatroomHistoryBefore: DeleteBefore over the chat rooms' histories
// alone (see there).
func (d *DB) DeleteChatroomHistoryBefore(ctx context.Context, t time.Time) (int64, error) {
	before := t.UnixMilli()
	var n int64
	err := d.write(ctx, func(w *wtx) error {
		if _, err := w.tx.Exec(ctx, `UPDATE convs SET first_seq = o.last_old + 1
FROM (SELECT conv_id, max(seq) AS last_old FROM messages WHERE conv_id LIKE 'r:%' AND sent_time < $1 GROUP BY conv_id) o
WHERE convs.id = o.conv_id AND convs.first_seq <= o.last_old`, before); err != nil {
			return fmt.Errorf("move chat room history starts: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM user_hidden h USING messages m
WHERE h.conv_id LIKE 'r:%' AND m.conv_id = h.conv_id AND m.seq = h.seq AND m.sent_time < $1`, before); err != nil {
			return fmt.Errorf("drop chat room hidden marks: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM mentions n USING messages m
WHERE n.conv_id LIKE 'r:%' AND m.conv_id = n.conv_id AND m.seq = n.seq AND m.sent_time < $1`, before); err != nil {
			return fmt.Errorf("drop chat room mentions: %w", err)
		}
		tag, err := w.tx.Exec(ctx, `DELETE FROM messages WHERE conv_id LIKE 'r:%' AND sent_time < $1`, before)
		if err != nil {
			return fmt.Errorf("delete chat room messages: %w", err)
		}
		n = tag.RowsAffected()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("chat room retention: %w", err)
	}
	return n, nil
}
