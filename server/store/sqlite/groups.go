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

// Groups: the rows of server/store/grouprows.go; a change reads the whole
// group inside the writer's transaction, lets the caller decide on it,
// and writes the difference.

// reader is what loading a group needs: the writer's connection or the
// read pool.
type reader interface {
	QueryRow(q string, args ...any) row
	Query(q string, args ...any) (*sql.Rows, error)
}

// poolReader reads through the read pool with ctx.
type poolReader struct {
	ctx context.Context
	d   *DB
}

func (r poolReader) QueryRow(q string, args ...any) row { return r.d.queryRow(r.ctx, q, args...) }
func (r poolReader) Query(q string, args ...any) (*sql.Rows, error) {
	return r.d.query(r.ctx, q, args...)
}

func loadGroup(r reader, groupID string) (*store.Group, error) {
	g := &store.Group{ID: groupID, Members: map[string]store.Member{}, Applications: map[store.AppKey]store.Application{}}
	var dismissed, muteAll int
	var profile string
	err := r.QueryRow(`SELECT name, owner, dismissed, creator, created, profile, mute_all FROM groups WHERE id=?`, groupID).
		Scan(&g.Name, &g.OwnerID, &dismissed, &g.CreatorID, &g.Created, &profile, &muteAll)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", groupID, err)
	}
	g.Dismissed, g.MuteAll = dismissed != 0, muteAll != 0
	if err := store.SetGroupProfile(g, profile); err != nil {
		return nil, err
	}
	rows, err := r.Query(`SELECT user_id, role, nickname, extra, joined, muted_until, own FROM group_members WHERE group_id=?`, groupID)
	if err != nil {
		return nil, fmt.Errorf("group %s members: %w", groupID, err)
	}
	for rows.Next() {
		var u, own string
		var m store.Member
		if err := rows.Scan(&u, &m.Role, &m.Nickname, &m.Extra, &m.Joined, &m.MutedUntil, &own); err != nil {
			rows.Close()
			return nil, fmt.Errorf("group %s members: %w", groupID, err)
		}
		if err := store.SetMemberOwn(&m, own); err != nil {
			rows.Close()
			return nil, fmt.Errorf("group %s member %s: %w", groupID, u, err)
		}
		g.Members[u] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("group %s members: %w", groupID, err)
	}
	rows, err = r.Query(`SELECT user_id, inviter, status, operator, reason, time FROM group_applications WHERE group_id=?`, groupID)
	if err != nil {
		return nil, fmt.Errorf("group %s applications: %w", groupID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k store.AppKey
		var a store.Application
		if err := rows.Scan(&k.User, &k.Inviter, &a.Status, &a.Operator, &a.Reason, &a.Time); err != nil {
			return nil, fmt.Errorf("group %s applications: %w", groupID, err)
		}
		g.Applications[k] = a
	}
	return g, rows.Err()
}

// Group implements store.Store.
func (d *DB) Group(ctx context.Context, groupID string) (*store.Group, error) {
	return loadGroup(poolReader{ctx, d}, groupID)
}

// JoinedGroups implements store.Store.
func (d *DB) JoinedGroups(ctx context.Context, user string) (map[string]contract.GroupRole, error) {
	rows, err := d.query(ctx, `SELECT group_id, role FROM group_members WHERE user_id=?`, user)
	if err != nil {
		return nil, fmt.Errorf("groups of %s: %w", user, err)
	}
	defer rows.Close()
	out := map[string]contract.GroupRole{}
	for rows.Next() {
		var id string
		var r contract.GroupRole
		if err := rows.Scan(&id, &r); err != nil {
			return nil, fmt.Errorf("groups of %s: %w", user, err)
		}
		out[id] = r
	}
	return out, rows.Err()
}

// GroupApplications implements store.Store.
func (d *DB) GroupApplications(ctx context.Context, user string, before int64, limit int) ([]store.GroupApplication, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.query(ctx, `SELECT group_id, user_id, inviter, status, operator, reason, time FROM group_applications
WHERE time <= ?2 AND (user_id=?1 OR inviter=?1 OR group_id IN (SELECT group_id FROM group_members WHERE user_id=?1 AND role>=?3))
ORDER BY time DESC, group_id, user_id, inviter LIMIT ?4`, user, before, int(contract.RoleManager), limit)
	if err != nil {
		return nil, fmt.Errorf("applications of %s: %w", user, err)
	}
	defer rows.Close()
	var out []store.GroupApplication
	for rows.Next() {
		var a store.GroupApplication
		if err := rows.Scan(&a.GroupID, &a.User, &a.Inviter, &a.Status, &a.Operator, &a.Reason, &a.Time); err != nil {
			return nil, fmt.Errorf("applications of %s: %w", user, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ChangeGroup implements store.Store.
func (d *DB) ChangeGroup(ctx context.Context, groupID string, decide func(*store.Group) (*store.GroupChange, error)) (*store.GroupChanged, error) {
	v, err := d.submit(ctx, true, func(t *wtx) (any, error) { return t.changeGroup(groupID, decide) })
	if err != nil {
		return nil, err
	}
	return v.(*store.GroupChanged), nil
}

func (t *wtx) changeGroup(groupID string, decide func(*store.Group) (*store.GroupChange, error)) (*store.GroupChanged, error) {
	before, err := loadGroup(t.tx, groupID)
	if errors.Is(err, store.ErrNotFound) {
		before = nil
	} else if err != nil {
		return nil, err
	}
	return store.ChangeGroupIn(groupID, before, decide, groupRows{t})
}

// groupRows is store.GroupRows in a writer's transaction.
type groupRows struct{ t *wtx }

func (r groupRows) JoinedCount(user string) (n int, err error) {
	err = r.t.tx.QueryRow(`SELECT count(*) FROM group_members WHERE user_id=?`, user).Scan(&n)
	return n, err
}
func (r groupRows) WriteGroup(before, after *store.Group) error {
	return r.t.writeGroupRow(before, after)
}
func (r groupRows) AppendNotification(groupID string, ntf *pb.Message, imported bool) (*pb.Message, error) {
	return r.t.appendNtf(groupID, ntf, imported)
}
func (r groupRows) WriteMembers(before, after *store.Group, joins, leaves []string, ntfSeq uint64) error {
	return r.t.writeMembers(before, after, joins, leaves, ntfSeq)
}
func (r groupRows) WriteApplications(before, after *store.Group) error {
	return r.t.writeApplications(before, after)
}
func (r groupRows) AppendLog(e *pb.Message) (*pb.Message, error) { return r.t.appendLog(e) }

func (t *wtx) appendNtf(groupID string, ntf *pb.Message, imported bool) (*pb.Message, error) {
	r, err := t.put(store.GroupConvID(groupID), ntf, imported)
	if err != nil {
		return nil, err
	}
	if r.dup {
		return nil, fmt.Errorf("notification %s: %w", ntf.GetClientMsgId(), store.ErrExists)
	}
	return r.msg, nil
}

func (t *wtx) writeGroupRow(before, after *store.Group) error {
	if !store.GroupRowChanged(before, after) {
		return nil
	}
	p, err := store.GroupProfileColumn(after)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(`INSERT INTO groups(id, name, owner, dismissed, creator, created, profile, mute_all) VALUES (?,?,?,?,?,?,?,?)
ON CONFLICT DO UPDATE SET name=excluded.name, owner=excluded.owner, dismissed=excluded.dismissed, profile=excluded.profile, mute_all=excluded.mute_all`,
		after.ID, after.Name, after.OwnerID, boolInt(after.Dismissed), after.CreatorID, after.Created, p, boolInt(after.MuteAll))
	if err != nil {
		return fmt.Errorf("write group %s: %w", after.ID, err)
	}
	return nil
}

// writeMembers writes the members that changed; those joining see the
// group from the notification at ntfSeq on, those leaving up to it.
func (t *wtx) writeMembers(before, after *store.Group, joins, leaves []string, ntfSeq uint64) error {
	convID := store.GroupConvID(after.ID)
	if len(joins) > 0 || len(leaves) > 0 {
		t.version++
	}
	for u, m := range after.Members {
		if before != nil {
			if old, ok := before.Members[u]; ok && store.MemberEqual(old, m) {
				continue
			}
		}
		own, err := store.MemberOwnColumn(m)
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(`INSERT INTO group_members(group_id, user_id, role, nickname, extra, joined, muted_until, own) VALUES (?,?,?,?,?,?,?,?)
ON CONFLICT DO UPDATE SET role=excluded.role, nickname=excluded.nickname, extra=excluded.extra, joined=excluded.joined, muted_until=excluded.muted_until, own=excluded.own`,
			after.ID, u, int(m.Role), m.Nickname, m.Extra, m.Joined, m.MutedUntil, own); err != nil {
			return fmt.Errorf("write member %s of %s: %w", u, after.ID, err)
		}
	}
	for _, u := range joins {
		if _, err := t.tx.Exec(`INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
VALUES (?,?,?,?,?,0,0,?) ON CONFLICT DO UPDATE SET start_seq=excluded.start_seq, end_seq=0, changed=excluded.changed`,
			u, convID, int32(pb.ConversationType_GROUP), after.ID, ntfSeq, t.version); err != nil {
			return fmt.Errorf("member conversation %s: %w", u, err)
		}
	}
	for _, u := range leaves {
		if _, err := t.tx.Exec(`DELETE FROM group_members WHERE group_id=? AND user_id=?`, after.ID, u); err != nil {
			return fmt.Errorf("remove member %s: %w", u, err)
		}
		if _, err := t.tx.Exec(`UPDATE user_convs SET end_seq=?, changed=? WHERE user_id=? AND conv_id=?`, ntfSeq, t.version, u, convID); err != nil {
			return fmt.Errorf("member conversation %s: %w", u, err)
		}
	}
	return nil
}

func (t *wtx) writeApplications(before, after *store.Group) error {
	for k, a := range after.Applications {
		if before != nil {
			if old, ok := before.Applications[k]; ok && old == a {
				continue
			}
		}
		if _, err := t.tx.Exec(`INSERT INTO group_applications(group_id, user_id, inviter, status, operator, reason, time) VALUES (?,?,?,?,?,?,?)
ON CONFLICT DO UPDATE SET status=excluded.status, operator=excluded.operator, reason=excluded.reason, time=excluded.time`,
			after.ID, k.User, k.Inviter, int32(a.Status), a.Operator, a.Reason, a.Time); err != nil {
			return fmt.Errorf("write application of %s to %s: %w", k.User, after.ID, err)
		}
	}
	if before == nil {
		return nil
	}
	for k := range before.Applications {
		if _, ok := after.Applications[k]; !ok {
			if _, err := t.tx.Exec(`DELETE FROM group_applications WHERE group_id=? AND user_id=? AND inviter=?`, after.ID, k.User, k.Inviter); err != nil {
				return fmt.Errorf("delete application of %s to %s: %w", k.User, after.ID, err)
			}
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
