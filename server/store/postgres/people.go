package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// People: the rows of server/store/pairrows.go. A change holds an
// advisory lock per user it concerns (taken in order, so two changes never
// wait on each other both ways): the counts a change decides on (friends,
// blocks) then hold across nodes.

// lockUsers takes the change locks of users, in order.
func (t *wtx) lockUsers(ctx context.Context, users ...string) error {
	users = slices.Clone(users)
	slices.Sort(users)
	for i, u := range users {
		if i > 0 && u == users[i-1] {
			continue
		}
		if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('person:' || $1, 0))`, u); err != nil {
			return fmt.Errorf("lock %s: %w", u, err)
		}
	}
	return nil
}

// loadPerson reads user's row; found is false (and p zero) for a user
// who never set anything.
func loadPerson(ctx context.Context, q querier, user string) (p *store.Person, found bool, err error) {
	p = &store.Person{ID: user, Profile: &pb.UserProfile{UserId: user}}
	var body, quiet []byte
	err = q.QueryRow(ctx, `SELECT profile, visibility, add_permission, quiet_hours, updated FROM people WHERE user_id = $1`, user).
		Scan(&body, &p.Visibility, &p.AddPermission, &quiet, &p.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
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

func (t *wtx) writePerson(ctx context.Context, p *store.Person) error {
	body, err := store.PersonProfileColumn(p)
	if err != nil {
		return err
	}
	quiet, err := store.QuietHoursColumn(p)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO people(user_id, profile, unique_id, visibility, add_permission, quiet_hours, updated) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (user_id) DO UPDATE SET profile = excluded.profile, unique_id = excluded.unique_id, visibility = excluded.visibility,
add_permission = excluded.add_permission, quiet_hours = excluded.quiet_hours, updated = excluded.updated`,
		p.ID, body, p.Profile.UniqueId, p.Visibility, p.AddPermission, quiet, p.Updated)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation: another's uniqueId
		return fmt.Errorf("uniqueId %q: %w", p.Profile.UniqueId, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("write profile of %s: %w", p.ID, err)
	}
	return nil
}

// ChangePerson implements store.Store's ChangePerson.
func (d *DB) ChangePerson(ctx context.Context, user string, decide func(*store.Person) (*store.Person, []*pb.Message, error)) ([]*pb.Message, error) {
	var stored []*pb.Message
	err := d.write(ctx, func(t *wtx) error {
		if err := t.lockUsers(ctx, user); err != nil {
			return err
		}
		p, _, err := loadPerson(ctx, t.tx, user)
		if err != nil {
			return err
		}
		after, logs, err := decide(p)
		if err != nil {
			return err
		}
		if after != nil {
			after.ID = user
			if err := t.writePerson(ctx, after); err != nil {
				return err
			}
		}
		stored, err = t.appendLogs(ctx, logs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

func (t *wtx) appendLogs(ctx context.Context, logs []*pb.Message) ([]*pb.Message, error) {
	out := make([]*pb.Message, 0, len(logs))
	for _, e := range logs {
		m, err := t.appendLog(ctx, e)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func loadFriend(ctx context.Context, q querier, user, friend string) (*store.Friend, error) {
	var f store.Friend
	var ext string
	err := q.QueryRow(ctx, `SELECT remark, ext, added FROM friends WHERE user_id = $1 AND friend_id = $2`, user, friend).Scan(&f.Remark, &ext, &f.Added)
	if errors.Is(err, pgx.ErrNoRows) {
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

func loadRequest(ctx context.Context, q querier, from, to string) (*store.FriendRequest, error) {
	r := store.FriendRequest{From: from, To: to}
	err := q.QueryRow(ctx, `SELECT status, extra, time FROM friend_requests WHERE from_id = $1 AND to_id = $2`, from, to).Scan(&r.Status, &r.Extra, &r.Time)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("friend request %s to %s: %w", from, to, err)
	}
	return &r, nil
}

func (t *wtx) loadPair(ctx context.Context, a, b string) (*store.Pair, error) {
	p := &store.Pair{}
	ids := [2]string{a, b}
	for i := range 2 {
		me, other := ids[i], ids[1-i]
		var err error
		if p.Person[i], _, err = loadPerson(ctx, t.tx, me); err != nil {
			return nil, err
		}
		if p.Friend[i], err = loadFriend(ctx, t.tx, me, other); err != nil {
			return nil, err
		}
		if p.Request[i], err = loadRequest(ctx, t.tx, me, other); err != nil {
			return nil, err
		}
		err = t.tx.QueryRow(ctx, `SELECT time FROM blacklist WHERE user_id = $1 AND blocked_id = $2`, me, other).Scan(&p.Blocks[i])
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("blacklist of %s: %w", me, err)
		}
		if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM friends WHERE user_id = $1`, me).Scan(&p.Friends[i]); err != nil {
			return nil, fmt.Errorf("friends of %s: %w", me, err)
		}
		if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM blacklist WHERE user_id = $1`, me).Scan(&p.Blocked[i]); err != nil {
			return nil, fmt.Errorf("blacklist of %s: %w", me, err)
		}
	}
	return p, nil
}

// ChangePair implements store.Store's ChangePair.
func (d *DB) ChangePair(ctx context.Context, a, b string, decide func(*store.Pair) (*store.Pair, []*pb.Message, error)) ([]*pb.Message, error) {
	var stored []*pb.Message
	err := d.write(ctx, func(t *wtx) error {
		if err := t.lockUsers(ctx, a, b); err != nil {
			return err
		}
		before, err := t.loadPair(ctx, a, b)
		if err != nil {
			return err
		}
		after, logs, err := decide(before.Clone())
		if err != nil {
			return err
		}
		if after != nil {
			if err := t.writePair(ctx, [2]string{a, b}, before, after); err != nil {
				return err
			}
		}
		stored, err = t.appendLogs(ctx, logs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

func (t *wtx) writePair(ctx context.Context, ids [2]string, before, after *store.Pair) error {
	for _, w := range store.PairWrites(ids, before, after) {
		var err error
		switch w.Row {
		case store.PersonRow:
			err = t.writePerson(ctx, w.Person)
		case store.FriendRow:
			if w.Friend == nil {
				_, err = t.tx.Exec(ctx, `DELETE FROM friends WHERE user_id = $1 AND friend_id = $2`, w.Me, w.Other)
			} else {
				_, err = t.tx.Exec(ctx, `INSERT INTO friends(user_id, friend_id, remark, ext, added) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, friend_id) DO UPDATE SET remark = excluded.remark, ext = excluded.ext, added = excluded.added`,
					w.Me, w.Other, w.Friend.Remark, store.FriendExtColumn(w.Friend), w.Friend.Added)
			}
		case store.RequestRow:
			if w.Request == nil {
				_, err = t.tx.Exec(ctx, `DELETE FROM friend_requests WHERE from_id = $1 AND to_id = $2`, w.Me, w.Other)
			} else {
				_, err = t.tx.Exec(ctx, `INSERT INTO friend_requests(from_id, to_id, status, extra, time) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (from_id, to_id) DO UPDATE SET status = excluded.status, extra = excluded.extra, time = excluded.time`,
					w.Me, w.Other, w.Request.Status, w.Request.Extra, w.Request.Time)
			}
		case store.BlockRow:
			if w.Block == 0 {
				_, err = t.tx.Exec(ctx, `DELETE FROM blacklist WHERE user_id = $1 AND blocked_id = $2`, w.Me, w.Other)
			} else {
				_, err = t.tx.Exec(ctx, `INSERT INTO blacklist(user_id, blocked_id, time) VALUES ($1, $2, $3)
ON CONFLICT (user_id, blocked_id) DO UPDATE SET time = excluded.time`, w.Me, w.Other, w.Block)
			}
		}
		if err != nil {
			return fmt.Errorf("write %s's side with %s: %w", w.Me, w.Other, err)
		}
	}
	return nil
}

// People implements store.Store's People: those who set something.
func (d *DB) People(ctx context.Context, users []string) (map[string]*store.Person, error) {
	out := make(map[string]*store.Person, len(users))
	for _, u := range users {
		p, found, err := loadPerson(ctx, d.pool, u)
		if err != nil {
			return nil, err
		}
		if found {
			out[u] = p
		}
	}
	return out, nil
}

// PersonByUniqueID implements store.Store's PersonByUniqueID.
func (d *DB) PersonByUniqueID(ctx context.Context, uniqueID string) (*store.Person, error) {
	var user string
	err := d.pool.QueryRow(ctx, `SELECT user_id FROM people WHERE unique_id = $1`, uniqueID).Scan(&user)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("uniqueId %q: %w", uniqueID, err)
	}
	p, _, err := loadPerson(ctx, d.pool, user)
	return p, err
}

// Friends implements store.Store's Friends.
func (d *DB) Friends(ctx context.Context, user string) (map[string]store.Friend, error) {
	rows, err := d.pool.Query(ctx, `SELECT friend_id, remark, ext, added FROM friends WHERE user_id = $1`, user)
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

// FriendRequests implements store.Store's FriendRequests.
func (d *DB) FriendRequests(ctx context.Context, user string, before int64, limit int) ([]store.FriendRequest, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.pool.Query(ctx, `SELECT from_id, to_id, status, extra, time FROM friend_requests
WHERE (from_id = $1 OR to_id = $1) AND time <= $2 ORDER BY time DESC, from_id, to_id LIMIT $3`, user, before, limit)
	if err != nil {
		return nil, fmt.Errorf("friend requests of %s: %w", user, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FriendRequest, error) {
		var q store.FriendRequest
		err := r.Scan(&q.From, &q.To, &q.Status, &q.Extra, &q.Time)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("friend requests of %s: %w", user, err)
	}
	return out, nil
}

// Blacklist implements store.Store's Blacklist.
func (d *DB) Blacklist(ctx context.Context, user string) (map[string]int64, error) {
	rows, err := d.pool.Query(ctx, `SELECT blocked_id, time FROM blacklist WHERE user_id = $1`, user)
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

const sqlSubscriptionCols = `subscriber, target, type, time, expiry`

func subscriptions(ctx context.Context, q querier, where string, arg string) ([]store.Subscription, error) {
	rows, err := q.Query(ctx, `SELECT `+sqlSubscriptionCols+` FROM subscriptions WHERE `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Subscription, error) {
		var s store.Subscription
		err := r.Scan(&s.Subscriber, &s.Target, &s.Type, &s.Time, &s.Expiry)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	return out, nil
}

// Subscribe implements store.Store's Subscribe. The subscriber's lock and
// each target's (in order) hold the two limits across nodes.
func (d *DB) Subscribe(ctx context.Context, subscriber string, typ int32, targets []string, now, expiry int64, maxMine, maxTheirs int,
	entry func([]store.Subscription) *pb.Message) ([]string, *pb.Message, error) {
	var full []string
	var stored *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		full, stored = nil, nil
		if err := t.lockUsers(ctx, subscriber); err != nil {
			return err
		}
		sorted := slices.Clone(targets)
		slices.Sort(sorted)
		for _, target := range slices.Compact(sorted) {
			if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('subscribed:' || $1, 0))`, target); err != nil {
				return fmt.Errorf("lock subscribers of %s: %w", target, err)
			}
		}
		// The subscriber's expired rows go first: they count for nothing
		// and would otherwise stay.
		if _, err := t.tx.Exec(ctx, `DELETE FROM subscriptions WHERE subscriber = $1 AND time + expiry*1000 <= $2`, subscriber, now); err != nil {
			return fmt.Errorf("expired subscriptions of %s: %w", subscriber, err)
		}
		mine, err := subscriptions(ctx, t.tx, `subscriber = $1`, subscriber)
		if err != nil {
			return err
		}
		var made []store.Subscription
		made, full, err = store.PlanSubscriptions(subscriber, mine, typ, targets, now, expiry, maxMine, maxTheirs, func(target string) (n int, err error) {
			err = t.tx.QueryRow(ctx, `SELECT count(DISTINCT subscriber) FROM subscriptions WHERE target = $1 AND subscriber <> $2 AND time + expiry*1000 > $3`, target, subscriber, now).Scan(&n)
			return n, err
		})
		if err != nil {
			return err
		}
		for _, s := range made {
			if _, err := t.tx.Exec(ctx, `INSERT INTO subscriptions(`+sqlSubscriptionCols+`) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (subscriber, type, target) DO UPDATE SET time = excluded.time, expiry = excluded.expiry`, s.Subscriber, s.Target, s.Type, s.Time, s.Expiry); err != nil {
				return fmt.Errorf("subscribe: %w", err)
			}
		}
		if len(made) > 0 && entry != nil {
			if stored, err = t.appendLog(ctx, entry(made)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return full, stored, nil
}

// Unsubscribe implements store.Store's Unsubscribe.
func (d *DB) Unsubscribe(ctx context.Context, subscriber string, typ int32, targets []string, entry func([]store.Subscription) *pb.Message) (*pb.Message, error) {
	var stored *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		stored = nil
		var ended []store.Subscription
		for _, target := range targets {
			tag, err := t.tx.Exec(ctx, `DELETE FROM subscriptions WHERE subscriber = $1 AND type = $2 AND target = $3`, subscriber, typ, target)
			if err != nil {
				return fmt.Errorf("unsubscribe: %w", err)
			}
			if tag.RowsAffected() > 0 {
				ended = append(ended, store.Subscription{Subscriber: subscriber, Target: target, Type: typ})
			}
		}
		if len(ended) == 0 || entry == nil {
			return nil
		}
		var err error
		stored, err = t.appendLog(ctx, entry(ended))
		return err
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// Subscriptions implements store.Store's Subscriptions.
func (d *DB) Subscriptions(ctx context.Context, subscriber string) ([]store.Subscription, error) {
	return subscriptions(ctx, d.pool, `subscriber = $1`, subscriber)
}

// Subscribers implements store.Store's Subscribers.
func (d *DB) Subscribers(ctx context.Context, target string) ([]store.Subscription, error) {
	return subscriptions(ctx, d.pool, `target = $1`, target)
}
