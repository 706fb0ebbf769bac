package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// Setting implements store.Store's Setting (nil: not set).
func (d *DB) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := d.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// PutSetting implements store.Store's PutSetting.
func (d *DB) PutSetting(ctx context.Context, key string, value []byte) error {
	if _, err := d.pool.Exec(ctx, `INSERT INTO settings(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// MergeSetting implements store.Store's MergeSetting: the row is made
// first, then locked while the fields are merged.
func (d *DB) MergeSetting(ctx context.Context, key string, fields map[string]json.RawMessage) error {
	err := d.write(ctx, func(t *wtx) error {
		if _, err := t.tx.Exec(ctx, `INSERT INTO settings(key, value) VALUES ($1, '{}') ON CONFLICT DO NOTHING`, key); err != nil {
			return err
		}
		var prev []byte
		if err := t.tx.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1 FOR UPDATE`, key).Scan(&prev); err != nil {
			return err
		}
		b, err := store.MergeJSON(prev, fields)
		if err != nil {
			return err
		}
		_, err = t.tx.Exec(ctx, `UPDATE settings SET value = $2 WHERE key = $1`, key, b)
		return err
	})
	if err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

// DeleteSettings implements store.Store's DeleteSettings.
func (d *DB) DeleteSettings(ctx context.Context, keys []string) error {
	if _, err := d.pool.Exec(ctx, `DELETE FROM settings WHERE key = ANY($1)`, keys); err != nil {
		return fmt.Errorf("delete settings: %w", err)
	}
	return nil
}

// SetSettings implements store.Store's SetSettings. Each row is locked
// while change decides on it: settings changed from two nodes at once
// (a pin and a mute) both hold.
func (d *DB) SetSettings(ctx context.Context, user string, convs []*pb.Conversation, time int64, change func(*pb.ConversationSettings, uint64), entry func(*pb.Conversation, *pb.ConversationSettings) *pb.Message) ([]*pb.Message, error) {
	var stored []*pb.Message
	err := d.write(ctx, func(t *wtx) error {
		stored = nil
		for _, c := range convs {
			k := settingsKey{user: user, typ: int32(c.Type), target: c.Target, channel: c.Channel}
			if _, err := t.tx.Exec(ctx, `INSERT INTO conv_settings(user_id, conv_type, target, channel, is_top, level, time, changed) VALUES ($1, $2, $3, $4, false, 0, 0, 0)
ON CONFLICT DO NOTHING`, k.user, k.typ, k.target, k.channel); err != nil {
				return fmt.Errorf("settings of %s: %w", c.Target, err)
			}
			set := &pb.ConversationSettings{}
			if err := t.tx.QueryRow(ctx, `SELECT is_top, level, removed_seq, dnd_until FROM conv_settings WHERE user_id = $1 AND conv_type = $2 AND target = $3 AND channel = $4 FOR UPDATE`,
				k.user, k.typ, k.target, k.channel).Scan(&set.IsTop, &set.NotificationLevel, &set.RemovedSeq, &set.DndUntil); err != nil {
				return fmt.Errorf("settings of %s: %w", c.Target, err)
			}
			var last uint64
			err := t.tx.QueryRow(ctx, `SELECT last_seq FROM convs WHERE id = $1`, store.ConvID(user, c)).Scan(&last)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("settings of %s: last message: %w", c.Target, err)
			}
			change(set, last)
			set.Time = time
			if _, err := t.tx.Exec(ctx, `UPDATE conv_settings SET is_top = $5, level = $6, time = $7, removed_seq = $8, dnd_until = $9
WHERE user_id = $1 AND conv_type = $2 AND target = $3 AND channel = $4`,
				k.user, k.typ, k.target, k.channel, set.IsTop, set.NotificationLevel, set.Time, set.RemovedSeq, set.DndUntil); err != nil {
				return fmt.Errorf("store settings of %s: %w", c.Target, err)
			}
			t.touchSettings(k)
			m, err := t.appendLog(ctx, entry(c, set))
			if err != nil {
				return err
			}
			stored = append(stored, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return stored, nil
}

// Access implements store.Store's Access.
func (d *DB) Access(ctx context.Context, user string) (store.Access, error) {
	var valid, blocked int64
	err := d.pool.QueryRow(ctx, `SELECT tokens_valid_after, blocked_until FROM users WHERE id = $1`, user).Scan(&valid, &blocked)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Access{}, nil
	}
	if err != nil {
		return store.Access{}, fmt.Errorf("access of %s: %w", user, err)
	}
	return store.AccessFrom(valid, blocked), nil
}

// BlockUser implements store.Store's BlockUser (zero until: unblock).
func (d *DB) BlockUser(ctx context.Context, user string, until time.Time) error {
	var ms int64
	if !until.IsZero() {
		ms = until.UnixMilli()
	}
	if _, err := d.pool.Exec(ctx, `INSERT INTO users(id, blocked_until) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET blocked_until = excluded.blocked_until`, user, ms); err != nil {
		return fmt.Errorf("block %s: %w", user, err)
	}
	return nil
}

// RevokeTokens implements store.Store's RevokeTokens (never moves back).
func (d *DB) RevokeTokens(ctx context.Context, user string, before time.Time) error {
	if _, err := d.pool.Exec(ctx, `INSERT INTO users(id, tokens_valid_after) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET tokens_valid_after = GREATEST(users.tokens_valid_after, excluded.tokens_valid_after)`, user, before.UnixMilli()); err != nil {
		return fmt.Errorf("revoke tokens of %s: %w", user, err)
	}
	return nil
}
