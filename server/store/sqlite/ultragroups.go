package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Ultra groups (store.UltraGroups). A member has a user_convs row of each
// channel they may use, written by these changes and never by a send: a
// message to a channel of 100,000 members writes what a private message
// does. Rows of a member who leaves a channel end at its last message
// (end_seq), as a group's do, so their devices keep what they saw.

// ChangeUltraGroup implements store.Store.
func (d *DB) ChangeUltraGroup(ctx context.Context, c store.UltraChange) (store.UltraResult, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.changeUltra(c) })
	if err != nil {
		return store.UltraResult{}, err
	}
	return v.(store.UltraResult), nil
}

func (t *wtx) changeUltra(c store.UltraChange) (store.UltraResult, error) {
	var res store.UltraResult
	now := c.Now.UnixMilli()
	if c.Op == store.UltraCreate {
		r, err := t.tx.Exec(`INSERT INTO ultra_groups(id, name, owner, created) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`, c.Group, c.Name, c.Owner, now)
		if err != nil {
			return res, fmt.Errorf("create ultra group %s: %w", c.Group, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return res, fmt.Errorf("ultra group %s: %w", c.Group, store.ErrExists)
		}
		if err := t.insertUltraChannel(c.Group, "", false, now); err != nil {
			return res, err
		}
		c.Op, c.Users = store.UltraAddMembers, append([]string{c.Owner}, c.Users...)
	}
	g, err := loadUltraHead(t.tx, c.Group)
	if err != nil {
		return res, err
	}
	t.version++
	switch c.Op {
	case store.UltraDismiss:
		members, err := t.ultraMembers(c.Group)
		if err != nil {
			return res, err
		}
		for _, ch := range g.Channels {
			if err := t.endUltraRows(c.Group, ch.ID, members); err != nil {
				return res, err
			}
		}
		for _, q := range []string{`DELETE FROM ultra_channel_users WHERE group_id=?`, `DELETE FROM ultra_channels WHERE group_id=?`,
			`DELETE FROM ultra_members WHERE group_id=?`, `DELETE FROM ultra_groups WHERE id=?`} {
			if _, err := t.tx.Exec(q, c.Group); err != nil {
				return res, fmt.Errorf("dismiss ultra group %s: %w", c.Group, err)
			}
		}
		return store.UltraResult{Changed: members}, nil
	case store.UltraAddMembers:
		var have int
		if err := t.tx.QueryRow(`SELECT count(*) FROM ultra_members WHERE group_id=?`, c.Group).Scan(&have); err != nil {
			return res, fmt.Errorf("members of %s: %w", c.Group, err)
		}
		for _, u := range c.Users {
			r, err := t.tx.Exec(`INSERT INTO ultra_members(group_id, user_id) VALUES (?,?) ON CONFLICT DO NOTHING`, c.Group, u)
			if err != nil {
				return res, fmt.Errorf("add %s to %s: %w", u, c.Group, err)
			}
			if n, _ := r.RowsAffected(); n == 0 {
				continue
			}
			if have++; c.MaxMembers > 0 && have > c.MaxMembers {
				return res, fmt.Errorf("ultra group %s: %d members: %w", c.Group, c.MaxMembers, store.ErrLimit)
			}
			for _, ch := range g.Channels {
				if !ch.Private {
					if err := t.openUltraRow(c.Group, ch.ID, u); err != nil {
						return res, err
					}
				}
			}
			res.Changed = append(res.Changed, u)
		}
	case store.UltraRemoveMembers:
		var gone []string
		for _, u := range c.Users {
			r, err := t.tx.Exec(`DELETE FROM ultra_members WHERE group_id=? AND user_id=?`, c.Group, u)
			if err != nil {
				return res, fmt.Errorf("remove %s from %s: %w", u, c.Group, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				gone = append(gone, u)
			}
			if _, err := t.tx.Exec(`DELETE FROM ultra_channel_users WHERE group_id=? AND user_id=?`, c.Group, u); err != nil {
				return res, fmt.Errorf("remove %s from %s: %w", u, c.Group, err)
			}
		}
		for _, ch := range g.Channels {
			if err := t.endUltraRows(c.Group, ch.ID, gone); err != nil {
				return res, err
			}
		}
		res.Changed = gone
	case store.UltraCreateChannel:
		if _, ok := g.Channels[c.Channel]; ok {
			return res, fmt.Errorf("channel %s of %s: %w", c.Channel, c.Group, store.ErrExists)
		}
		if c.MaxChannels > 0 && len(g.Channels)-1 >= c.MaxChannels {
			return res, fmt.Errorf("ultra group %s: %d channels: %w", c.Group, c.MaxChannels, store.ErrLimit)
		}
		if err := t.insertUltraChannel(c.Group, c.Channel, c.Private, now); err != nil {
			return res, err
		}
		if !c.Private {
			if res.Changed, err = t.ultraMembers(c.Group); err != nil {
				return res, err
			}
			if err := t.openUltraRowsAll(c.Group, c.Channel); err != nil {
				return res, err
			}
		}
	case store.UltraDeleteChannel, store.UltraSetChannelPrivate, store.UltraAllowChannel, store.UltraDisallowChannel:
		ch, ok := g.Channels[c.Channel]
		if !ok || (c.Op == store.UltraDeleteChannel && c.Channel == "") {
			return res, fmt.Errorf("channel %q of %s: %w", c.Channel, c.Group, store.ErrNotFound)
		}
		if err := loadUltraAllowed(t.tx, c.Group, ch); err != nil {
			return res, err
		}
		if res.Changed, err = t.changeUltraChannel(c, ch); err != nil {
			return res, err
		}
	case store.UltraMute:
		for _, u := range c.Users {
			r, err := t.tx.Exec(`UPDATE ultra_members SET muted_until=? WHERE group_id=? AND user_id=?`, c.Until, c.Group, u)
			if err != nil {
				return res, fmt.Errorf("mute %s in %s: %w", u, c.Group, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				res.Changed = append(res.Changed, u)
			}
		}
	case store.UltraMuteAll:
		if _, err := t.tx.Exec(`UPDATE ultra_groups SET muted_all=? WHERE id=?`, c.All, c.Group); err != nil {
			return res, fmt.Errorf("mute all of %s: %w", c.Group, err)
		}
	default:
		return res, fmt.Errorf("ultra group change %d: unknown", c.Op)
	}
	return res, nil
}

// changeUltraChannel deletes ch, makes it private or public, or changes
// who may use it; it returns the members whose rows it opened or ended.
func (t *wtx) changeUltraChannel(c store.UltraChange, ch *store.UltraChannel) ([]string, error) {
	g := c.Group
	switch {
	case c.Op == store.UltraDeleteChannel:
		users, err := t.ultraChannelUsers(g, ch)
		if err != nil {
			return nil, err
		}
		if err := t.endUltraRows(g, ch.ID, users); err != nil {
			return nil, err
		}
		for _, q := range []string{`DELETE FROM ultra_channel_users WHERE group_id=? AND channel_id=?`, `DELETE FROM ultra_channels WHERE group_id=? AND channel_id=?`} {
			if _, err := t.tx.Exec(q, g, ch.ID); err != nil {
				return nil, fmt.Errorf("delete channel %s of %s: %w", ch.ID, g, err)
			}
		}
		return users, nil
	case c.Op == store.UltraSetChannelPrivate:
		if ch.Private == c.Private {
			return nil, nil
		}
		if _, err := t.tx.Exec(`UPDATE ultra_channels SET private=? WHERE group_id=? AND channel_id=?`, c.Private, g, ch.ID); err != nil {
			return nil, fmt.Errorf("channel %s of %s: %w", ch.ID, g, err)
		}
		members, err := t.ultraMembers(g)
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
			return lost, t.endUltraRows(g, ch.ID, lost)
		}
		return lost, t.openUltraRowsAll(g, ch.ID)
	default:
		var changed []string
		for _, u := range c.Users {
			var q string
			if c.Op == store.UltraAllowChannel {
				q = `INSERT INTO ultra_channel_users(group_id, channel_id, user_id) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM ultra_members WHERE group_id=?1 AND user_id=?3) ON CONFLICT DO NOTHING`
			} else {
				q = `DELETE FROM ultra_channel_users WHERE group_id=?1 AND channel_id=?2 AND user_id=?3`
			}
			r, err := t.tx.Exec(q, g, ch.ID, u)
			if err != nil {
				return nil, fmt.Errorf("channel %s of %s: %s: %w", ch.ID, g, u, err)
			}
			if n, _ := r.RowsAffected(); n > 0 {
				changed = append(changed, u)
			}
		}
		if !ch.Private {
			return changed, nil // the list waits for the channel to be private
		}
		if c.Op == store.UltraDisallowChannel {
			return changed, t.endUltraRows(g, ch.ID, changed)
		}
		for _, u := range changed {
			if err := t.openUltraRow(g, ch.ID, u); err != nil {
				return nil, err
			}
		}
		return changed, nil
	}
}

// insertUltraChannel makes a channel whose history starts after whatever
// its conversation holds (a channel of that id deleted before, a group of
// that id dismissed): a member sees this channel's messages, not those.
func (t *wtx) insertUltraChannel(group, channel string, private bool, now int64) error {
	head, err := t.head(store.UltraConvID(group, channel))
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(`INSERT INTO ultra_channels(group_id, channel_id, private, created, base) VALUES (?,?,?,?,?)`,
		group, channel, private, now, head.lastSeq+1); err != nil {
		return fmt.Errorf("create channel %q of %s: %w", channel, group, err)
	}
	return nil
}

// openUltraRow gives user a row of the channel from its base, or opens
// their ended one (from the base at least: an older channel's row).
func (t *wtx) openUltraRow(group, channel, user string) error {
	if _, err := t.tx.Exec(`INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
SELECT ?3, ?4, ?5, ?1, base, 0, 0, ?6 FROM ultra_channels WHERE group_id=?1 AND channel_id=?2
ON CONFLICT DO UPDATE SET end_seq=0, start_seq=max(start_seq, excluded.start_seq), changed=excluded.changed`,
		group, channel, user, store.UltraConvID(group, channel), int32(pb.ConversationType_ULTRA_GROUP), t.version); err != nil {
		return fmt.Errorf("%s's row of %s/%s: %w", user, group, channel, err)
	}
	return nil
}

// openUltraRowsAll gives every member a row of the channel (as
// openUltraRow).
func (t *wtx) openUltraRowsAll(group, channel string) error {
	if _, err := t.tx.Exec(`INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
SELECT m.user_id, ?3, ?4, ?1, c.base, 0, 0, ?5 FROM ultra_members m JOIN ultra_channels c ON c.group_id=m.group_id AND c.channel_id=?2
WHERE m.group_id=?1
ON CONFLICT DO UPDATE SET end_seq=0, start_seq=max(start_seq, excluded.start_seq), changed=excluded.changed`,
		group, channel, store.UltraConvID(group, channel), int32(pb.ConversationType_ULTRA_GROUP), t.version); err != nil {
		return fmt.Errorf("members' rows of %s/%s: %w", group, channel, err)
	}
	return nil
}

// endUltraRows ends users' rows of the channel at its last message (a
// channel with none: the rows go).
func (t *wtx) endUltraRows(group, channel string, users []string) error {
	convID := store.UltraConvID(group, channel)
	head, err := t.head(convID)
	if err != nil {
		return err
	}
	for _, u := range users {
		var err error
		if head.lastSeq == 0 {
			_, err = t.tx.Exec(`DELETE FROM user_convs WHERE user_id=? AND conv_id=?`, u, convID)
		} else {
			_, err = t.tx.Exec(`UPDATE user_convs SET end_seq=?, changed=? WHERE user_id=? AND conv_id=? AND end_seq=0`, head.lastSeq, t.version, u, convID)
		}
		if err != nil {
			return fmt.Errorf("end %s's row of %s: %w", u, convID, err)
		}
	}
	return nil
}

func (t *wtx) ultraMembers(group string) ([]string, error) {
	rows, err := t.tx.Query(`SELECT user_id FROM ultra_members WHERE group_id=?`, group)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", group, err)
	}
	return scanStrings(rows, "members of "+group)
}

// ultraChannelUsers lists the members who may use ch.
func (t *wtx) ultraChannelUsers(group string, ch *store.UltraChannel) ([]string, error) {
	if !ch.Private {
		return t.ultraMembers(group)
	}
	var out []string
	for u := range ch.Allowed {
		out = append(out, u)
	}
	return out, nil
}

func scanStrings(rows *sql.Rows, what string) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// loadUltraHead reads a group and its channels, without members or lists.
func loadUltraHead(r reader, id string) (*store.UltraGroup, error) {
	g := &store.UltraGroup{ID: id, Channels: map[string]*store.UltraChannel{}}
	err := r.QueryRow(`SELECT name, owner, created, muted_all FROM ultra_groups WHERE id=?`, id).Scan(&g.Name, &g.Owner, &g.Created, &g.MutedAll)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ultra group %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ultra group %s: %w", id, err)
	}
	rows, err := r.Query(`SELECT channel_id, private, created FROM ultra_channels WHERE group_id=?`, id)
	if err != nil {
		return nil, fmt.Errorf("channels of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		ch := &store.UltraChannel{}
		if err := rows.Scan(&ch.ID, &ch.Private, &ch.Created); err != nil {
			return nil, fmt.Errorf("channels of %s: %w", id, err)
		}
		g.Channels[ch.ID] = ch
	}
	return g, rows.Err()
}

func loadUltraAllowed(r reader, group string, ch *store.UltraChannel) error {
	rows, err := r.Query(`SELECT user_id FROM ultra_channel_users WHERE group_id=? AND channel_id=?`, group, ch.ID)
	if err != nil {
		return fmt.Errorf("users of %s/%s: %w", group, ch.ID, err)
	}
	users, err := scanStrings(rows, "users of "+group+"/"+ch.ID)
	ch.Allowed = make(map[string]bool, len(users))
	for _, u := range users {
		ch.Allowed[u] = true
	}
	return err
}

// UltraGroup implements store.Store.
func (d *DB) UltraGroup(ctx context.Context, id string) (*store.UltraGroup, error) {
	r := poolReader{ctx, d}
	g, err := loadUltraHead(r, id)
	if err != nil {
		return nil, err
	}
	for _, ch := range g.Channels {
		if err := loadUltraAllowed(r, id, ch); err != nil {
			return nil, err
		}
	}
	rows, err := r.Query(`SELECT user_id, muted_until FROM ultra_members WHERE group_id=?`, id)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", id, err)
	}
	defer rows.Close()
	g.Members = map[string]int64{}
	for rows.Next() {
		var u string
		var until int64
		if err := rows.Scan(&u, &until); err != nil {
			return nil, fmt.Errorf("members of %s: %w", id, err)
		}
		g.Members[u] = until
	}
	return g, rows.Err()
}

// UltraGroupsOf implements store.Store.
func (d *DB) UltraGroupsOf(ctx context.Context, user string) ([]string, error) {
	rows, err := d.query(ctx, `SELECT group_id FROM ultra_members WHERE user_id=? ORDER BY group_id`, user)
	if err != nil {
		return nil, fmt.Errorf("ultra groups of %s: %w", user, err)
	}
	return scanStrings(rows, "ultra groups of "+user)
}

// ListUltraGroups implements store.Store.
func (d *DB) ListUltraGroups(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := d.query(ctx, `SELECT id FROM ultra_groups WHERE id>? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list ultra groups: %w", err)
	}
	return scanStrings(rows, "list ultra groups")
}
