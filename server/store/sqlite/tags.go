package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// ChangeTags implements store.Store.
func (d *DB) ChangeTags(ctx context.Context, user string, r *pb.TagRequest, time int64, entry func(uint32, uint64) *pb.Message) (*pb.TagsResult, *pb.Message, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) {
		kinds, err := t.changeTags(user, r, time)
		if err != nil || kinds == 0 {
			return nil, err
		}
		t.version++
		if _, err := t.tx.Exec(`INSERT INTO tag_versions(user_id, version) VALUES (?,?) ON CONFLICT(user_id) DO UPDATE SET version=excluded.version`, user, t.version); err != nil {
			return nil, fmt.Errorf("tags version of %s: %w", user, err)
		}
		return t.appendLog(entry(kinds, t.version))
	})
	if err != nil {
		return nil, nil, err
	}
	tags, err := d.Tags(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	m, _ := v.(*pb.Message)
	return tags, m, nil
}

// changeTags applies r and says what kinds of things changed (0: nothing).
func (t *wtx) changeTags(user string, r *pb.TagRequest, time int64) (uint32, error) {
	exists := func(id string) error {
		var one int
		err := t.tx.QueryRow(`SELECT 1 FROM tags WHERE user_id=? AND tag_id=?`, user, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tag %q: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("tag %q: %w", id, err)
		}
		return nil
	}
	exec := func(what, q string, args ...any) (int64, error) {
		res, err := t.tx.Exec(q, args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		n, _ := res.RowsAffected()
		return n, nil
	}
	changed := func(n int64, kinds uint32) uint32 {
		if n > 0 {
			return kinds
		}
		return 0
	}
	if r.Op == pb.TagOp_TAG_REMOVE_FROM_CONV {
		var n int64
		c := r.Convs[0]
		for _, id := range r.TagIds {
			if err := exists(id); err != nil {
				return 0, err
			}
			k, err := exec("untag", `DELETE FROM tag_convs WHERE user_id=? AND tag_id=? AND conv_type=? AND target=? AND channel=?`,
				user, id, int32(c.Type), c.Target, c.Channel)
			if err != nil {
				return 0, err
			}
			n += k
		}
		return changed(n, contract.TagConversationsChanged), nil
	}
	if r.Op == pb.TagOp_TAG_ADD {
		var n int
		if err := t.tx.QueryRow(`SELECT count(*) FROM tags WHERE user_id=?`, user).Scan(&n); err != nil {
			return 0, fmt.Errorf("count tags: %w", err)
		}
		if err := exists(r.TagId); err == nil {
			return 0, fmt.Errorf("tag %q: %w", r.TagId, store.ErrExists)
		} else if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
		if n >= contract.MaxTags {
			return 0, fmt.Errorf("tag %q: %w", r.TagId, store.ErrQuota)
		}
		_, err := exec("add tag", `INSERT INTO tags(user_id, tag_id, name, created) VALUES (?,?,?,?)`, user, r.TagId, r.TagName, time)
		return contract.TagsChanged, err
	}
	if err := exists(r.TagId); err != nil {
		return 0, err
	}
	switch r.Op {
	case pb.TagOp_TAG_UPDATE:
		n, err := exec("rename tag", `UPDATE tags SET name=? WHERE user_id=? AND tag_id=? AND name<>?`, r.TagName, user, r.TagId, r.TagName)
		return changed(n, contract.TagsChanged), err
	case pb.TagOp_TAG_REMOVE:
		if _, err := exec("remove tag", `DELETE FROM tags WHERE user_id=? AND tag_id=?`, user, r.TagId); err != nil {
			return 0, err
		}
		n, err := exec("remove tag", `DELETE FROM tag_convs WHERE user_id=? AND tag_id=?`, user, r.TagId)
		return contract.TagsChanged | changed(n, contract.TagConversationsChanged), err
	case pb.TagOp_TAG_ADD_CONVS:
		var n int64
		for i, c := range r.Convs {
			k, err := exec("tag", `INSERT INTO tag_convs(user_id, tag_id, conv_type, target, channel, is_top, time, ord) VALUES (?,?,?,?,?,0,?,?) ON CONFLICT DO NOTHING`,
				user, r.TagId, int32(c.Type), c.Target, c.Channel, time, (t.version+1)<<10|uint64(i))
			if err != nil {
				return 0, err
			}
			n += k
		}
		// A full tag drops the conversations added first (RongIMLib's rule).
		if _, err := exec("trim tag", `DELETE FROM tag_convs WHERE user_id=?1 AND tag_id=?2 AND ord < (
	SELECT ord FROM tag_convs WHERE user_id=?1 AND tag_id=?2 ORDER BY ord DESC LIMIT 1 OFFSET ?3)`, user, r.TagId, contract.MaxTagConversations-1); err != nil {
			return 0, err
		}
		return changed(n, contract.TagConversationsChanged), nil
	case pb.TagOp_TAG_REMOVE_CONVS:
		var n int64
		for _, c := range r.Convs {
			k, err := exec("untag", `DELETE FROM tag_convs WHERE user_id=? AND tag_id=? AND conv_type=? AND target=? AND channel=?`,
				user, r.TagId, int32(c.Type), c.Target, c.Channel)
			if err != nil {
				return 0, err
			}
			n += k
		}
		return changed(n, contract.TagConversationsChanged), nil
	case pb.TagOp_TAG_SET_TOP:
		c := r.Convs[0]
		var top bool
		err := t.tx.QueryRow(`SELECT is_top FROM tag_convs WHERE user_id=? AND tag_id=? AND conv_type=? AND target=? AND channel=?`,
			user, r.TagId, int32(c.Type), c.Target, c.Channel).Scan(&top)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("tag %q: %w", r.TagId, store.ErrNotInTag)
		}
		if err != nil || top == r.IsTop {
			return 0, err
		}
		_, err = exec("pin in tag", `UPDATE tag_convs SET is_top=? WHERE user_id=? AND tag_id=? AND conv_type=? AND target=? AND channel=?`,
			r.IsTop, user, r.TagId, int32(c.Type), c.Target, c.Channel)
		return contract.TagConversationsChanged, err
	}
	return 0, fmt.Errorf("tag operation %d: %w", r.Op, store.ErrNotFound)
}

// Tags implements store.Store. The version is read first: rows newer
// than it only make a device ask again later.
func (d *DB) Tags(ctx context.Context, user string) (*pb.TagsResult, error) {
	out := &pb.TagsResult{}
	var err error
	if out.Version, err = d.TagsVersion(ctx, user); err != nil || out.Version == 0 {
		return out, err
	}
	rows, err := d.query(ctx, `SELECT t.tag_id, t.name, t.created, c.conv_type, c.target, c.channel, c.is_top, c.time
FROM tags t LEFT JOIN tag_convs c ON c.user_id = t.user_id AND c.tag_id = t.tag_id
WHERE t.user_id = ? ORDER BY t.created, t.tag_id, c.ord`, user)
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", user, err)
	}
	defer rows.Close()
	var tag *pb.Tag
	for rows.Next() {
		var id, name string
		var created int64
		var typ sql.NullInt32
		var target, channel sql.NullString
		var top sql.NullBool
		var time sql.NullInt64
		if err := rows.Scan(&id, &name, &created, &typ, &target, &channel, &top, &time); err != nil {
			return nil, fmt.Errorf("tags of %s: %w", user, err)
		}
		if tag == nil || tag.Id != id {
			tag = &pb.Tag{Id: id, Name: name, Created: created}
			out.Tags = append(out.Tags, tag)
		}
		if typ.Valid {
			tag.Convs = append(tag.Convs, &pb.TaggedConversation{
				Conv: &pb.Conversation{Type: pb.ConversationType(typ.Int32), Target: target.String, Channel: channel.String}, IsTop: top.Bool, Time: time.Int64})
		}
	}
	return out, rows.Err()
}

// TagsVersion implements store.Store.
func (d *DB) TagsVersion(ctx context.Context, user string) (uint64, error) {
	var v uint64
	err := d.queryRow(ctx, `SELECT version FROM tag_versions WHERE user_id=?`, user).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("tags version of %s: %w", user, err)
	}
	return v, nil
}
