package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// ChangeTags implements store.Store's ChangeTags. The user's version row
// is locked first: one user's changes from any node run one at a time.
func (d *DB) ChangeTags(ctx context.Context, user string, r *pb.TagRequest, time int64, entry func(uint32, uint64) *pb.Message) (*pb.TagsResult, *pb.Message, error) {
	var logged *pb.Message
	err := d.write(ctx, func(t *wtx) error {
		logged = nil
		if _, err := t.tx.Exec(ctx, `INSERT INTO tag_versions(user_id, version) VALUES ($1, 0) ON CONFLICT DO NOTHING`, user); err != nil {
			return fmt.Errorf("tags version of %s: %w", user, err)
		}
		var v uint64
		if err := t.tx.QueryRow(ctx, `SELECT version FROM tag_versions WHERE user_id = $1 FOR UPDATE`, user).Scan(&v); err != nil {
			return fmt.Errorf("tags version of %s: %w", user, err)
		}
		v++
		kinds, err := t.changeTags(ctx, user, r, time, v)
		if err != nil || kinds == 0 {
			return err
		}
		if _, err := t.tx.Exec(ctx, `UPDATE tag_versions SET version = $2 WHERE user_id = $1`, user, v); err != nil {
			return fmt.Errorf("tags version of %s: %w", user, err)
		}
		logged, err = t.appendLog(ctx, entry(kinds, v))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	tags, err := d.Tags(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	return tags, logged, nil
}

// changeTags applies r as change number v of user's tags and says what
// kinds of things changed (0: nothing).
func (t *wtx) changeTags(ctx context.Context, user string, r *pb.TagRequest, time int64, v uint64) (uint32, error) {
	exists := func(id string) error {
		var one int
		err := t.tx.QueryRow(ctx, `SELECT 1 FROM tags WHERE user_id = $1 AND tag_id = $2`, user, id).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("tag %q: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("tag %q: %w", id, err)
		}
		return nil
	}
	exec := func(what, q string, args ...any) (int64, error) {
		tag, err := t.tx.Exec(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		return tag.RowsAffected(), nil
	}
	changed := func(n int64, kinds uint32) uint32 {
		if n > 0 {
			return kinds
		}
		return 0
	}
	untag := func(id string, c *pb.Conversation) (int64, error) {
		return exec("untag", `DELETE FROM tag_convs WHERE user_id = $1 AND tag_id = $2 AND conv_type = $3 AND target = $4 AND channel = $5`,
			user, id, int32(c.Type), c.Target, c.Channel)
	}
	if r.Op == pb.TagOp_TAG_REMOVE_FROM_CONV {
		var n int64
		for _, id := range r.TagIds {
			if err := exists(id); err != nil {
				return 0, err
			}
			k, err := untag(id, r.Convs[0])
			if err != nil {
				return 0, err
			}
			n += k
		}
		return changed(n, contract.TagConversationsChanged), nil
	}
	if r.Op == pb.TagOp_TAG_ADD {
		var n int
		if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM tags WHERE user_id = $1`, user).Scan(&n); err != nil {
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
		_, err := exec("add tag", `INSERT INTO tags(user_id, tag_id, name, created) VALUES ($1, $2, $3, $4)`, user, r.TagId, r.TagName, time)
		return contract.TagsChanged, err
	}
	if err := exists(r.TagId); err != nil {
		return 0, err
	}
	switch r.Op {
	case pb.TagOp_TAG_UPDATE:
		n, err := exec("rename tag", `UPDATE tags SET name = $1 WHERE user_id = $2 AND tag_id = $3 AND name <> $1`, r.TagName, user, r.TagId)
		return changed(n, contract.TagsChanged), err
	case pb.TagOp_TAG_REMOVE:
		if _, err := exec("remove tag", `DELETE FROM tags WHERE user_id = $1 AND tag_id = $2`, user, r.TagId); err != nil {
			return 0, err
		}
		n, err := exec("remove tag", `DELETE FROM tag_convs WHERE user_id = $1 AND tag_id = $2`, user, r.TagId)
		return contract.TagsChanged | changed(n, contract.TagConversationsChanged), err
	case pb.TagOp_TAG_ADD_CONVS:
		var n int64
		for i, c := range r.Convs {
			k, err := exec("tag", `INSERT INTO tag_convs(user_id, tag_id, conv_type, target, channel, is_top, time, ord) VALUES ($1, $2, $3, $4, $5, false, $6, $7) ON CONFLICT DO NOTHING`,
				user, r.TagId, int32(c.Type), c.Target, c.Channel, time, int64(v<<10|uint64(i)))
			if err != nil {
				return 0, err
			}
			n += k
		}
		// A full tag drops the conversations added first (RongIMLib's rule).
		if _, err := exec("trim tag", `DELETE FROM tag_convs WHERE user_id = $1 AND tag_id = $2 AND ord < (
	SELECT ord FROM tag_convs WHERE user_id = $1 AND tag_id = $2 ORDER BY ord DESC LIMIT 1 OFFSET $3)`, user, r.TagId, contract.MaxTagConversations-1); err != nil {
			return 0, err
		}
		return changed(n, contract.TagConversationsChanged), nil
	case pb.TagOp_TAG_REMOVE_CONVS:
		var n int64
		for _, c := range r.Convs {
			k, err := untag(r.TagId, c)
			if err != nil {
				return 0, err
			}
			n += k
		}
		return changed(n, contract.TagConversationsChanged), nil
	case pb.TagOp_TAG_SET_TOP:
		c := r.Convs[0]
		var top bool
		err := t.tx.QueryRow(ctx, `SELECT is_top FROM tag_convs WHERE user_id = $1 AND tag_id = $2 AND conv_type = $3 AND target = $4 AND channel = $5`,
			user, r.TagId, int32(c.Type), c.Target, c.Channel).Scan(&top)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("tag %q: %w", r.TagId, store.ErrNotInTag)
		}
		if err != nil || top == r.IsTop {
			return 0, err
		}
		_, err = exec("pin in tag", `UPDATE tag_convs SET is_top = $1 WHERE user_id = $2 AND tag_id = $3 AND conv_type = $4 AND target = $5 AND channel = $6`,
			r.IsTop, user, r.TagId, int32(c.Type), c.Target, c.Channel)
		return contract.TagConversationsChanged, err
	}
	return 0, fmt.Errorf("tag operation %d: %w", r.Op, store.ErrNotFound)
}

// Tags implements store.Store's Tags: the version and the tags in one
// snapshot.
func (d *DB) Tags(ctx context.Context, user string) (*pb.TagsResult, error) {
	out := &pb.TagsResult{}
	err := d.read(ctx, func(tx pgx.Tx) error {
		var err error
		if out.Version, err = tagsVersion(ctx, tx, user); err != nil || out.Version == 0 {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT t.tag_id, t.name, t.created, c.conv_type, c.target, c.channel, c.is_top, c.time
FROM tags t LEFT JOIN tag_convs c ON c.user_id = t.user_id AND c.tag_id = t.tag_id
WHERE t.user_id = $1 ORDER BY t.created, t.tag_id, c.ord`, user)
		if err != nil {
			return fmt.Errorf("tags of %s: %w", user, err)
		}
		defer rows.Close()
		var tag *pb.Tag
		for rows.Next() {
			var id, name string
			var created int64
			var typ *int32
			var target, channel *string
			var top *bool
			var time *int64
			if err := rows.Scan(&id, &name, &created, &typ, &target, &channel, &top, &time); err != nil {
				return fmt.Errorf("tags of %s: %w", user, err)
			}
			if tag == nil || tag.Id != id {
				tag = &pb.Tag{Id: id, Name: name, Created: created}
				out.Tags = append(out.Tags, tag)
			}
			if typ != nil {
				tag.Convs = append(tag.Convs, &pb.TaggedConversation{
					Conv: &pb.Conversation{Type: pb.ConversationType(*typ), Target: *target, Channel: *channel}, IsTop: *top, Time: *time})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TagsVersion implements store.Store's TagsVersion.
func (d *DB) TagsVersion(ctx context.Context, user string) (uint64, error) {
	return tagsVersion(ctx, d.pool, user)
}

func tagsVersion(ctx context.Context, q querier, user string) (uint64, error) {
	var v uint64
	err := q.QueryRow(ctx, `SELECT version FROM tag_versions WHERE user_id = $1`, user).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("tags version of %s: %w", user, err)
	}
	return v, nil
}
