package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// People: a row per user who set a profile or setting, a row per side of
// a friendship, a row per friend request (one per direction), a row per
// blocked user. Changes load what they decide on inside the writer's
// transaction and write what differs.

// loadPerson reads user's row; found is false (and p zero) for a user
// who never set anything.
func loadPerson(r reader, user string) (p *store.Person, found bool, err error) {
	p = &store.Person{ID: user, Profile: &pb.UserProfile{UserId: user}}
	var body, quiet []byte
	err = r.QueryRow(`SELECT profile, visibility, add_permission, quiet_hours, updated FROM people WHERE user_id=?`, user).
		Scan(&body, &p.Visibility, &p.AddPermission, &quiet, &p.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("profile of %s: %w", user, err)
	}
	if err := store.SetPersonProfile(p, body); err != nil {
		return nil, false, err
	}
	if err := store.SetQuietHours(p, quiet); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

func (t *wtx) writePerson(p *store.Person) error {
	body, err := store.PersonProfileColumn(p)
	if err != nil {
		return err
	}
	quiet, err := store.QuietHoursColumn(p)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(`INSERT INTO people(user_id, profile, unique_id, visibility, add_permission, quiet_hours, updated) VALUES (?,?,?,?,?,?,?)
ON CONFLICT(user_id) DO UPDATE SET profile=excluded.profile, unique_id=excluded.unique_id, visibility=excluded.visibility,
add_permission=excluded.add_permission, quiet_hours=excluded.quiet_hours, updated=excluded.updated`,
		p.ID, body, p.Profile.UniqueId, p.Visibility, p.AddPermission, quiet, p.Updated)
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("uniqueId %q: %w", p.Profile.UniqueId, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("write profile of %s: %w", p.ID, err)
	}
	return nil
}

// ChangePerson implements store.Store.
func (d *DB) ChangePerson(ctx context.Context, user string, decide func(*store.Person) (*store.Person, []*pb.Message, error)) ([]*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		p, _, err := loadPerson(t.tx, user)
		if err != nil {
			return nil, err
		}
		after, logs, err := decide(p)
		if err != nil {
			return nil, err
		}
		if after != nil {
			after.ID = user
			if err := t.writePerson(after); err != nil {
				return nil, err
			}
		}
		return t.appendLogs(logs)
	})
	if err != nil {
		return nil, err
	}
	return v.([]*pb.Message), nil
}

func (t *wtx) appendLogs(logs []*pb.Message) ([]*pb.Message, error) {
	out := make([]*pb.Message, 0, len(logs))
	for _, e := range logs {
		m, err := t.appendLog(e)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func loadFriend(r reader, user, friend string) (*store.Friend, error) {
	var f store.Friend
	var ext string
	err := r.QueryRow(`SELECT remark, ext, added FROM friends WHERE user_id=? AND friend_id=?`, user, friend).Scan(&f.Remark, &ext, &f.Added)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("friend %s of %s: %w", friend, user, err)
	}
	if err := store.SetFriendExt(&f, ext); err != nil {
		return nil, fmt.Errorf("friend %s of %s: %w", friend, user, err)
	}
	return &f, nil
}

func loadRequest(r reader, from, to string) (*store.FriendRequest, error) {
	q := store.FriendRequest{From: from, To: to}
	err := r.QueryRow(`SELECT status, extra, time FROM friend_requests WHERE from_id=? AND to_id=?`, from, to).Scan(&q.Status, &q.Extra, &q.Time)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("friend request %s to %s: %w", from, to, err)
	}
	return &q, nil
}

func (t *wtx) loadPair(a, b string) (*store.Pair, error) {
	p := &store.Pair{}
	ids := [2]string{a, b}
	for i := range 2 {
		me, other := ids[i], ids[1-i]
		var err error
		if p.Person[i], _, err = loadPerson(t.tx, me); err != nil {
			return nil, err
		}
		if p.Friend[i], err = loadFriend(t.tx, me, other); err != nil {
			return nil, err
		}
		if p.Request[i], err = loadRequest(t.tx, me, other); err != nil {
			return nil, err
		}
		err = t.tx.QueryRow(`SELECT time FROM blacklist WHERE user_id=? AND blocked_id=?`, me, other).Scan(&p.Blocks[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("blacklist of %s: %w", me, err)
		}
		if err := t.tx.QueryRow(`SELECT count(*) FROM friends WHERE user_id=?`, me).Scan(&p.Friends[i]); err != nil {
			return nil, fmt.Errorf("friends of %s: %w", me, err)
		}
		if err := t.tx.QueryRow(`SELECT count(*) FROM blacklist WHERE user_id=?`, me).Scan(&p.Blocked[i]); err != nil {
			return nil, fmt.Errorf("blacklist of %s: %w", me, err)
		}
	}
	return p, nil
}

// ChangePair implements store.Store.
func (d *DB) ChangePair(ctx context.Context, a, b string, decide func(*store.Pair) (*store.Pair, []*pb.Message, error)) ([]*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		before, err := t.loadPair(a, b)
		if err != nil {
			return nil, err
		}
		after, logs, err := decide(before.Clone())
		if err != nil {
			return nil, err
		}
		if after != nil {
			if err := t.writePair([2]string{a, b}, before, after); err != nil {
				return nil, err
			}
		}
		return t.appendLogs(logs)
	})
	if err != nil {
		return nil, err
	}
	return v.([]*pb.Message), nil
}

func (t *wtx) writePair(ids [2]string, before, after *store.Pair) error {
	for _, w := range store.PairWrites(ids, before, after) {
		var err error
		switch w.Row {
		case store.PersonRow:
			err = t.writePerson(w.Person)
		case store.FriendRow:
			if w.Friend == nil {
				_, err = t.tx.Exec(`DELETE FROM friends WHERE user_id=? AND friend_id=?`, w.Me, w.Other)
			} else {
				_, err = t.tx.Exec(`INSERT INTO friends(user_id, friend_id, remark, ext, added) VALUES (?,?,?,?,?)
ON CONFLICT DO UPDATE SET remark=excluded.remark, ext=excluded.ext, added=excluded.added`, w.Me, w.Other, w.Friend.Remark, store.FriendExtColumn(w.Friend), w.Friend.Added)
			}
		case store.RequestRow:
			if w.Request == nil {
				_, err = t.tx.Exec(`DELETE FROM friend_requests WHERE from_id=? AND to_id=?`, w.Me, w.Other)
			} else {
				_, err = t.tx.Exec(`INSERT INTO friend_requests(from_id, to_id, status, extra, time) VALUES (?,?,?,?,?)
ON CONFLICT DO UPDATE SET status=excluded.status, extra=excluded.extra, time=excluded.time`, w.Me, w.Other, w.Request.Status, w.Request.Extra, w.Request.Time)
			}
		case store.BlockRow:
			if w.Block == 0 {
				_, err = t.tx.Exec(`DELETE FROM blacklist WHERE user_id=? AND blocked_id=?`, w.Me, w.Other)
			} else {
				_, err = t.tx.Exec(`INSERT INTO blacklist(user_id, blocked_id, time) VALUES (?,?,?) ON CONFLICT DO UPDATE SET time=excluded.time`, w.Me, w.Other, w.Block)
			}
		}
		if err != nil {
			return fmt.Errorf("write %s's side with %s: %w", w.Me, w.Other, err)
		}
	}
	return nil
}

// People implements store.Store.
func (d *DB) People(ctx context.Context, users []string) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(users))
	r := poolReader{ctx, d}
	for _, u := range users {
		p, found, err := loadPerson(r, u)
		if err != nil {
			return nil, err
		}
		if found {
			out[u] = p
		}
	}
	return out, nil
}

// PersonByUniqueID implements store.Store.
func (d *DB) PersonByUniqueID(ctx context.Context, uniqueID string) (*store.Person, error) {
	var user string
	err := d.queryRow(ctx, `SELECT user_id FROM people WHERE unique_id=?`, uniqueID).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("uniqueId %q: %w", uniqueID, err)
	}
	p, _, err := loadPerson(poolReader{ctx, d}, user)
	return p, err
}

// Friends implements store.Store.
func (d *DB) Friends(ctx context.Context, user string) (map[string]store.Friend, error) {
	rows, err := d.query(ctx, `SELECT friend_id, remark, ext, added FROM friends WHERE user_id=?`, user)
	if err != nil {
		return nil, fmt.Errorf("friends of %s: %w", user, err)
	}
	defer rows.Close()
	out := map[string]store.Friend{}
	for rows.Next() {
		var id, ext string
		var f store.Friend
		if err := rows.Scan(&id, &f.Remark, &ext, &f.Added); err != nil {
			return nil, fmt.Errorf("friends of %s: %w", user, err)
		}
		if err := store.SetFriendExt(&f, ext); err != nil {
			return nil, fmt.Errorf("friend %s of %s: %w", id, user, err)
		}
		out[id] = f
	}
	return out, rows.Err()
}

// FriendRequests implements store.Store.
func (d *DB) FriendRequests(ctx context.Context, user string, before int64, limit int) ([]store.FriendRequest, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.query(ctx, `SELECT from_id, to_id, status, extra, time FROM friend_requests
WHERE (from_id=?1 OR to_id=?1) AND time <= ?2 ORDER BY time DESC, from_id, to_id LIMIT ?3`, user, before, limit)
	if err != nil {
		return nil, fmt.Errorf("friend requests of %s: %w", user, err)
	}
	defer rows.Close()
	var out []store.FriendRequest
	for rows.Next() {
		var q store.FriendRequest
		if err := rows.Scan(&q.From, &q.To, &q.Status, &q.Extra, &q.Time); err != nil {
			return nil, fmt.Errorf("friend requests of %s: %w", user, err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// Blacklist implements store.Store.
func (d *DB) Blacklist(ctx context.Context, user string) (map[string]int64, error) {
	rows, err := d.query(ctx, `SELECT blocked_id, time FROM blacklist WHERE user_id=?`, user)
	if err != nil {
		return nil, fmt.Errorf("blacklist of %s: %w", user, err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var t int64
		if err := rows.Scan(&id, &t); err != nil {
			return nil, fmt.Errorf("blacklist of %s: %w", user, err)
		}
		out[id] = t
	}
	return out, rows.Err()
}

func scanSubscriptions(rows *sql.Rows) ([]store.Subscription, error) {
	defer rows.Close()
	var out []store.Subscription
	for rows.Next() {
		var s store.Subscription
		if err := rows.Scan(&s.Subscriber, &s.Target, &s.Type, &s.Time, &s.Expiry); err != nil {
			return nil, fmt.Errorf("subscriptions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const sqlSubscriptionCols = `subscriber, target, type, time, expiry`

// Subscribe implements store.Store.
func (d *DB) Subscribe(ctx context.Context, subscriber string, typ int32, targets []string, now, expiry int64, maxMine, maxTheirs int,
	entry func([]store.Subscription) *pb.Message) ([]string, *pb.Message, error) {
	type out struct {
		full   []string
		stored *pb.Message
	}
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		// The subscriber's expired rows go first: they count for nothing
		// and would otherwise stay.
		if _, err := t.tx.Exec(`DELETE FROM subscriptions WHERE subscriber=? AND time + expiry*1000 <= ?`, subscriber, now); err != nil {
			return nil, fmt.Errorf("expired subscriptions of %s: %w", subscriber, err)
		}
		rows, err := t.tx.Query(`SELECT `+sqlSubscriptionCols+` FROM subscriptions WHERE subscriber=?`, subscriber)
		if err != nil {
			return nil, fmt.Errorf("subscriptions of %s: %w", subscriber, err)
		}
		mine, err := scanSubscriptions(rows)
		if err != nil {
			return nil, err
		}
		made, full, err := store.PlanSubscriptions(subscriber, mine, typ, targets, now, expiry, maxMine, maxTheirs, func(target string) (n int, err error) {
			err = t.tx.QueryRow(`SELECT count(DISTINCT subscriber) FROM subscriptions WHERE target=? AND subscriber<>? AND time + expiry*1000 > ?`, target, subscriber, now).Scan(&n)
			return n, err
		})
		if err != nil {
			return nil, err
		}
		o := out{full: full}
		for _, s := range made {
			if _, err := t.tx.Exec(`INSERT INTO subscriptions(`+sqlSubscriptionCols+`) VALUES (?,?,?,?,?)
ON CONFLICT DO UPDATE SET time=excluded.time, expiry=excluded.expiry`, s.Subscriber, s.Target, s.Type, s.Time, s.Expiry); err != nil {
				return nil, fmt.Errorf("subscribe: %w", err)
			}
		}
		if len(made) > 0 && entry != nil {
			if o.stored, err = t.appendLog(entry(made)); err != nil {
				return nil, err
			}
		}
		return o, nil
	})
	if err != nil {
		return nil, nil, err
	}
	o := v.(out)
	return o.full, o.stored, nil
}

// Unsubscribe implements store.Store.
func (d *DB) Unsubscribe(ctx context.Context, subscriber string, typ int32, targets []string, entry func([]store.Subscription) *pb.Message) (*pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		var ended []store.Subscription
		for _, target := range targets {
			res, err := t.tx.Exec(`DELETE FROM subscriptions WHERE subscriber=? AND type=? AND target=?`, subscriber, typ, target)
			if err != nil {
				return nil, fmt.Errorf("unsubscribe: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				ended = append(ended, store.Subscription{Subscriber: subscriber, Target: target, Type: typ})
			}
		}
		if len(ended) == 0 || entry == nil {
			return (*pb.Message)(nil), nil
		}
		return t.appendLog(entry(ended))
	})
	if err != nil {
		return nil, err
	}
	return v.(*pb.Message), nil
}

// Subscriptions implements store.Store.
func (d *DB) Subscriptions(ctx context.Context, subscriber string) ([]store.Subscription, error) {
	rows, err := d.query(ctx, `SELECT `+sqlSubscriptionCols+` FROM subscriptions WHERE subscriber=?`, subscriber)
	if err != nil {
		return nil, fmt.Errorf("subscriptions of %s: %w", subscriber, err)
	}
	return scanSubscriptions(rows)
}

// Subscribers implements store.Store.
func (d *DB) Subscribers(ctx context.Context, target string) ([]store.Subscription, error) {
	rows, err := d.query(ctx, `SELECT `+sqlSubscriptionCols+` FROM subscriptions WHERE target=?`, target)
	if err != nil {
		return nil, fmt.Errorf("subscribers of %s: %w", target, err)
	}
	return scanSubscriptions(rows)
}
