package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Ultra groups (store.UltraGroups), as the SQLite store keeps them. A
// member has a user_convs row of each channel they may use, written by
// these changes and never by a send: a message to a channel of 100,000
// members writes what a private message does. Rows of a member who leaves
// a channel end at its last message (end_seq), as a group's do, so their
// devices keep what they saw.
//
// Every change but a creation locks the group's row first, so that the
// changes to one group from any node run one at a time (a member count
// checked against its limit, a channel's list, stay as read). Ending rows
// locks the channels' heads too (convs, in id order as appends lock
// them): the rows end at the last message committed, with no append to
// the channel in flight.

// ChangeUltraGroup implements store.Store's ChangeUltraGroup.
func (d *DB) ChangeUltraGroup(ctx context.Context, c store.UltraChange) (store.UltraResult, error) {
	var res store.UltraResult
	err := d.write(ctx, func(t *wtx) error {
		var err error
		res, err = t.changeUltra(ctx, c)
		return err
	})
	if err != nil {
		return store.UltraResult{}, err
	}
	return res, nil
}

func (t *wtx) changeUltra(ctx context.Context, c store.UltraChange) (store.UltraResult, error) {
	var res store.UltraResult
	now := c.Now.UnixMilli()
	if c.Op == store.UltraCreate {
		// A creation of the same id on another node meanwhile is waited
		// for: then this one finds its row.
		tag, err := t.tx.Exec(ctx, `INSERT INTO ultra_groups(id, name, owner, created) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, c.Group, c.Name, c.Owner, now)
		if err != nil {
			return res, fmt.Errorf("create ultra group %s: %w", c.Group, err)
		}
		if tag.RowsAffected() == 0 {
			return res, fmt.Errorf("ultra group %s: %w", c.Group, store.ErrExists)
		}
		if err := t.insertUltraChannel(ctx, c.Group, "", false, now); err != nil {
			return res, err
		}
		c.Op, c.Users = store.UltraAddMembers, append([]string{c.Owner}, c.Users...)
	}
	g, err := loadUltraHead(ctx, t.tx, c.Group, true)
	if err != nil {
		return res, err
	}
	switch c.Op {
	case store.UltraDismiss:
		members, err := t.ultraMembers(ctx, c.Group)
		if err != nil {
			return res, err
		}
		if err := t.endUltraRows(ctx, c.Group, slices.Collect(maps.Keys(g.Channels)), members); err != nil {
			return res, err
		}
		for _, q := range []string{`DELETE FROM ultra_channel_users WHERE group_id = $1`, `DELETE FROM ultra_channels WHERE group_id = $1`,
			`DELETE FROM ultra_members WHERE group_id = $1`, `DELETE FROM ultra_groups WHERE id = $1`} {
			if _, err := t.tx.Exec(ctx, q, c.Group); err != nil {
				return res, fmt.Errorf("dismiss ultra group %s: %w", c.Group, err)
			}
		}
		return store.UltraResult{Changed: members}, nil
	case store.UltraAddMembers:
		var have int
		if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM ultra_members WHERE group_id = $1`, c.Group).Scan(&have); err != nil {
			return res, fmt.Errorf("members of %s: %w", c.Group, err)
		}
		for _, u := range c.Users {
			tag, err := t.tx.Exec(ctx, `INSERT INTO ultra_members(group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, c.Group, u)
			if err != nil {
				return res, fmt.Errorf("add %s to %s: %w", u, c.Group, err)
			}
			if tag.RowsAffected() == 0 {
				continue
			}
			if have++; c.MaxMembers > 0 && have > c.MaxMembers {
				return res, fmt.Errorf("ultra group %s: %d members: %w", c.Group, c.MaxMembers, store.ErrLimit)
			}
			res.Changed = append(res.Changed, u)
		}
		var public []string
		for _, ch := range g.Channels {
			if !ch.Private {
				public = append(public, ch.ID)
			}
		}
		if err := t.openUltraRows(ctx, c.Group, public, res.Changed); err != nil {
			return res, err
		}
	case store.UltraRemoveMembers:
		rows, err := t.tx.Query(ctx, `DELETE FROM ultra_members WHERE group_id = $1 AND user_id = ANY($2) RETURNING user_id`, c.Group, c.Users)
		if err != nil {
			return res, fmt.Errorf("remove members from %s: %w", c.Group, err)
		}
		removed, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return res, fmt.Errorf("remove members from %s: %w", c.Group, err)
		}
		if _, err := t.tx.Exec(ctx, `DELETE FROM ultra_channel_users WHERE group_id = $1 AND user_id = ANY($2)`, c.Group, c.Users); err != nil {
			return res, fmt.Errorf("remove members from %s: %w", c.Group, err)
		}
		res.Changed = inOrder(c.Users, removed)
		if err := t.endUltraRows(ctx, c.Group, slices.Collect(maps.Keys(g.Channels)), res.Changed); err != nil {
			return res, err
		}
	case store.UltraCreateChannel:
		if _, ok := g.Channels[c.Channel]; ok {
			return res, fmt.Errorf("channel %s of %s: %w", c.Channel, c.Group, store.ErrExists)
		}
		if c.MaxChannels > 0 && len(g.Channels)-1 >= c.MaxChannels {
			return res, fmt.Errorf("ultra group %s: %d channels: %w", c.Group, c.MaxChannels, store.ErrLimit)
		}
		if err := t.insertUltraChannel(ctx, c.Group, c.Channel, c.Private, now); err != nil {
			return res, err
		}
		if !c.Private {
			if res.Changed, err = t.openUltraRowsAll(ctx, c.Group, c.Channel); err != nil {
				return res, err
			}
		}
	case store.UltraDeleteChannel, store.UltraSetChannelPrivate, store.UltraAllowChannel, store.UltraDisallowChannel:
		ch, ok := g.Channels[c.Channel]
		if !ok || (c.Op == store.UltraDeleteChannel && c.Channel == "") {
			return res, fmt.Errorf("channel %q of %s: %w", c.Channel, c.Group, store.ErrNotFound)
		}
		if err := loadUltraAllowed(ctx, t.tx, c.Group, ch); err != nil {
			return res, err
		}
		if res.Changed, err = t.changeUltraChannel(ctx, c, ch); err != nil {
			return res, err
		}
	case store.UltraMute:
		for _, u := range c.Users {
			tag, err := t.tx.Exec(ctx, `UPDATE ultra_members SET muted_until = $1 WHERE group_id = $2 AND user_id = $3`, c.Until, c.Group, u)
			if err != nil {
				return res, fmt.Errorf("mute %s in %s: %w", u, c.Group, err)
			}
			if tag.RowsAffected() > 0 {
				res.Changed = append(res.Changed, u)
			}
		}
	case store.UltraMuteAll:
		if _, err := t.tx.Exec(ctx, `UPDATE ultra_groups SET muted_all = $1 WHERE id = $2`, c.All, c.Group); err != nil {
			return res, fmt.Errorf("mute all of %s: %w", c.Group, err)
		}
	default:
		return res, fmt.Errorf("ultra group change %d: unknown", c.Op)
	}
	return res, nil
}

// changeUltraChannel deletes ch, makes it private or public, or changes
// who may use it; it returns the members whose rows it opened or ended.
func (t *wtx) changeUltraChannel(ctx context.Context, c store.UltraChange, ch *store.UltraChannel) ([]string, error) {
	g := c.Group
	switch {
	case c.Op == store.UltraDeleteChannel:
		users, err := t.ultraChannelUsers(ctx, g, ch)
		if err != nil {
			return nil, err
		}
		if err := t.endUltraRows(ctx, g, []string{ch.ID}, users); err != nil {
			return nil, err
		}
		for _, q := range []string{`DELETE FROM ultra_channel_users WHERE group_id = $1 AND channel_id = $2`, `DELETE FROM ultra_channels WHERE group_id = $1 AND channel_id = $2`} {
			if _, err := t.tx.Exec(ctx, q, g, ch.ID); err != nil {
				return nil, fmt.Errorf("delete channel %s of %s: %w", ch.ID, g, err)
			}
		}
		return users, nil
	case c.Op == store.UltraSetChannelPrivate:
		if ch.Private == c.Private {
			return nil, nil
		}
		if _, err := t.tx.Exec(ctx, `UPDATE ultra_channels SET private = $1 WHERE group_id = $2 AND channel_id = $3`, c.Private, g, ch.ID); err != nil {
			return nil, fmt.Errorf("channel %s of %s: %w", ch.ID, g, err)
		}
		members, err := t.ultraMembers(ctx, g)
		if err != nil {
			return nil, err
		}
		var lost []string // members who are not on the channel's list
		for _, u := range members {
			if !ch.Allowed[u] {
				lost = append(lost, u)
			}
		}
		if c.Private {
			return lost, t.endUltraRows(ctx, g, []string{ch.ID}, lost)
		}
		_, err = t.openUltraRowsAll(ctx, g, ch.ID)
		return lost, err
	default:
		var changed []string
		for _, u := range c.Users {
			// Only a member goes on the list.
			q := `INSERT INTO ultra_channel_users(group_id, channel_id, user_id) SELECT $1, $2, $3
WHERE EXISTS (SELECT 1 FROM ultra_members WHERE group_id = $1 AND user_id = $3) ON CONFLICT DO NOTHING`
			if c.Op == store.UltraDisallowChannel {
				q = `DELETE FROM ultra_channel_users WHERE group_id = $1 AND channel_id = $2 AND user_id = $3`
			}
			tag, err := t.tx.Exec(ctx, q, g, ch.ID, u)
			if err != nil {
				return nil, fmt.Errorf("channel %s of %s: %s: %w", ch.ID, g, u, err)
			}
			if tag.RowsAffected() > 0 {
				changed = append(changed, u)
			}
		}
		if !ch.Private {
			return changed, nil // the list waits for the channel to be private
		}
		if c.Op == store.UltraDisallowChannel {
			return changed, t.endUltraRows(ctx, g, []string{ch.ID}, changed)
		}
		return changed, t.openUltraRows(ctx, g, []string{ch.ID}, changed)
	}
}

// insertUltraChannel makes a channel whose history starts after whatever
// its conversation holds (a channel of that id deleted before, a group of
// that id dismissed): a member sees this channel's messages, not those.
func (t *wtx) insertUltraChannel(ctx context.Context, group, channel string, private bool, now int64) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO ultra_channels(group_id, channel_id, private, created, base)
VALUES ($1, $2, $3, $4, COALESCE((SELECT last_seq FROM convs WHERE id = $5), 0) + 1)`,
		group, channel, private, now, store.UltraConvID(group, channel)); err != nil {
		return fmt.Errorf("create channel %q of %s: %w", channel, group, err)
	}
	return nil
}

// openUltraRows gives each of users a row of each of the channels from the
// channel's base, or opens their ended one (from the base at least: an
// older channel's row).
func (t *wtx) openUltraRows(ctx context.Context, group string, channels, users []string) error {
	if len(channels) == 0 || len(users) == 0 {
		return nil
	}
	// In key order, as appends take user_convs rows.
	rows, err := t.tx.Query(ctx, `INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
SELECT u, $5 || c.channel_id, $3, $4, c.base, 0, 0, 0 FROM unnest($1::text[]) AS u, ultra_channels c
WHERE c.group_id = $4 AND c.channel_id = ANY($2) ORDER BY u, $5 || c.channel_id
ON CONFLICT (user_id, conv_id) DO UPDATE SET end_seq = 0, start_seq = GREATEST(user_convs.start_seq, excluded.start_seq) RETURNING user_id, conv_id`,
		users, channels, int32(pb.ConversationType_ULTRA_GROUP), group, store.UltraConvID(group, ""))
	if err != nil {
		return fmt.Errorf("members' rows of %s: %w", group, err)
	}
	return t.touchReturned(rows, "members' rows of "+group)
}

// openUltraRowsAll gives every member a row of the channel, or opens
// their ended one; it returns the members.
func (t *wtx) openUltraRowsAll(ctx context.Context, group, channel string) ([]string, error) {
	convID := store.UltraConvID(group, channel)
	rows, err := t.tx.Query(ctx, `INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
SELECT m.user_id, $2, $3, $1, c.base, 0, 0, 0 FROM ultra_members m JOIN ultra_channels c ON c.group_id = m.group_id AND c.channel_id = $4
WHERE m.group_id = $1 ORDER BY m.user_id
ON CONFLICT (user_id, conv_id) DO UPDATE SET end_seq = 0, start_seq = GREATEST(user_convs.start_seq, excluded.start_seq) RETURNING user_id`,
		group, convID, int32(pb.ConversationType_ULTRA_GROUP), channel)
	if err != nil {
		return nil, fmt.Errorf("members' rows of %s: %w", convID, err)
	}
	members, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("members' rows of %s: %w", convID, err)
	}
	for _, u := range members {
		t.touchUserConv(u, convID)
	}
	return members, nil
}

// touchReturned notes the (user, conversation) rows rows returns as
// changed, for the transaction's stamp.
func (t *wtx) touchReturned(rows pgx.Rows, what string) error {
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var k [2]string
		err := r.Scan(&k[0], &k[1])
		return k, err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, k := range pairs {
		t.touchUserConv(k[0], k[1])
	}
	return nil
}

// endUltraRows ends users' rows of the channels at each one's last
// message (a channel with none: the rows go). The channels' heads are
// locked first, in id order as appends lock them, so that no message is
// being appended meanwhile: the rows end at the last one committed.
func (t *wtx) endUltraRows(ctx context.Context, group string, channels, users []string) error {
	if len(channels) == 0 || len(users) == 0 {
		return nil
	}
	convs := make([]string, len(channels))
	for i, ch := range channels {
		convs[i] = store.UltraConvID(group, ch)
	}
	rows, err := t.tx.Query(ctx, `SELECT id, last_seq FROM convs WHERE id = ANY($1) ORDER BY id FOR UPDATE`, convs)
	if err != nil {
		return fmt.Errorf("heads of %s: %w", group, err)
	}
	heads, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (convHead, error) {
		var h convHead
		err := r.Scan(&h.id, &h.last)
		return h, err
	})
	if err != nil {
		return fmt.Errorf("heads of %s: %w", group, err)
	}
	last := map[string]int64{} // none: no message yet
	for _, h := range heads {
		last[h.id] = h.last
	}
	for _, convID := range convs {
		if last[convID] == 0 {
			if _, err := t.tx.Exec(ctx, `DELETE FROM user_convs WHERE user_id = ANY($1) AND conv_id = $2`, users, convID); err != nil {
				return fmt.Errorf("end members' rows of %s: %w", convID, err)
			}
			continue
		}
		rows, err := t.tx.Query(ctx, `UPDATE user_convs SET end_seq = $1 WHERE user_id = ANY($2) AND conv_id = $3 AND end_seq = 0 RETURNING user_id, conv_id`,
			last[convID], users, convID)
		if err != nil {
			return fmt.Errorf("end members' rows of %s: %w", convID, err)
		}
		if err := t.touchReturned(rows, "end members' rows of "+convID); err != nil {
			return err
		}
	}
	return nil
}

// convHead is a conversation's id and last sequence number.
type convHead struct {
	id   string
	last int64
}

// inOrder returns the users of want that are in got, in want's order,
// each once.
func inOrder(want, got []string) []string {
	in := make(map[string]bool, len(got))
	for _, u := range got {
		in[u] = true
	}
	var out []string
	for _, u := range want {
		if in[u] {
			out = append(out, u)
			delete(in, u)
		}
	}
	return out
}

func (t *wtx) ultraMembers(ctx context.Context, group string) ([]string, error) {
	return queryStrings(ctx, t.tx, "members of "+group, `SELECT user_id FROM ultra_members WHERE group_id = $1`, group)
}

// ultraChannelUsers lists the members who may use ch.
func (t *wtx) ultraChannelUsers(ctx context.Context, group string, ch *store.UltraChannel) ([]string, error) {
	if !ch.Private {
		return t.ultraMembers(ctx, group)
	}
	return slices.Sorted(maps.Keys(ch.Allowed)), nil
}

// queryStrings runs a query of one text column and collects it.
func queryStrings(ctx context.Context, q querier, what, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// loadUltraHead reads a group and its channels, without members or
// lists; with lock, the group's row stays locked until the transaction
// ends (ErrNotFound: no such group, or it was dismissed meanwhile).
func loadUltraHead(ctx context.Context, q querier, id string, lock bool) (*store.UltraGroup, error) {
	g := &store.UltraGroup{ID: id, Channels: map[string]*store.UltraChannel{}}
	sql := `SELECT name, owner, created, muted_all FROM ultra_groups WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	err := q.QueryRow(ctx, sql, id).Scan(&g.Name, &g.Owner, &g.Created, &g.MutedAll)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("ultra group %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ultra group %s: %w", id, err)
	}
	rows, err := q.Query(ctx, `SELECT channel_id, private, created FROM ultra_channels WHERE group_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("channels of %s: %w", id, err)
	}
	chs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.UltraChannel, error) {
		ch := &store.UltraChannel{}
		err := r.Scan(&ch.ID, &ch.Private, &ch.Created)
		return ch, err
	})
	if err != nil {
		return nil, fmt.Errorf("channels of %s: %w", id, err)
	}
	for _, ch := range chs {
		g.Channels[ch.ID] = ch
	}
	return g, nil
}

func loadUltraAllowed(ctx context.Context, q querier, group string, ch *store.UltraChannel) error {
	users, err := queryStrings(ctx, q, "users of "+group+"/"+ch.ID,
		`SELECT user_id FROM ultra_channel_users WHERE group_id = $1 AND channel_id = $2`, group, ch.ID)
	if err != nil {
		return err
	}
	ch.Allowed = make(map[string]bool, len(users))
	for _, u := range users {
		ch.Allowed[u] = true
	}
	return nil
}

// UltraGroup implements store.Store's UltraGroup: the group, its channels
// and members from one snapshot.
func (d *DB) UltraGroup(ctx context.Context, id string) (g *store.UltraGroup, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		if g, err = loadUltraHead(ctx, tx, id, false); err != nil {
			return err
		}
		for _, ch := range g.Channels {
			if err := loadUltraAllowed(ctx, tx, id, ch); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT user_id, muted_until FROM ultra_members WHERE group_id = $1`, id)
		if err != nil {
			return fmt.Errorf("members of %s: %w", id, err)
		}
		g.Members = map[string]int64{}
		var u string
		var until int64
		_, err = pgx.ForEachRow(rows, []any{&u, &until}, func() error {
			g.Members[u] = until
			return nil
		})
		if err != nil {
			return fmt.Errorf("members of %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// UltraGroupsOf implements store.Store's UltraGroupsOf, bytewise ordered
// as SQLite orders them (the database's collation may differ).
func (d *DB) UltraGroupsOf(ctx context.Context, user string) ([]string, error) {
	out, err := queryStrings(ctx, d.pool, "ultra groups of "+user, `SELECT group_id FROM ultra_members WHERE user_id = $1 ORDER BY group_id COLLATE "C"`, user)
	return out, unavailable(err)
}

// ListUltraGroups implements store.Store's ListUltraGroups.
func (d *DB) ListUltraGroups(ctx context.Context, after string, limit int) ([]string, error) {
	if limit <= 0 {
		return nil, nil
	}
	out, err := queryStrings(ctx, d.pool, "list ultra groups", `SELECT id FROM ultra_groups WHERE id > $1 COLLATE "C" ORDER BY id COLLATE "C" LIMIT $2`, after, limit)
	return out, unavailable(err)
}
