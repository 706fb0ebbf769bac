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

// Groups: the rows of server/store/grouprows.go. A change takes the
// group's advisory lock first (a group that does not exist yet has no row
// to lock), so changes to one group from any node run one at a time.

func loadGroup(ctx context.Context, q querier, groupID string) (*store.Group, error) {
	g := &store.Group{ID: groupID, Members: map[string]store.Member{}, Applications: map[store.AppKey]store.Application{}}
	var profile string
	err := q.QueryRow(ctx, `SELECT name, owner, dismissed, creator, created, profile, mute_all FROM groups WHERE id = $1`, groupID).
		Scan(&g.Name, &g.OwnerID, &g.Dismissed, &g.CreatorID, &g.Created, &profile, &g.MuteAll)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("group %s: %w", groupID, err)
	}
	if err := store.SetGroupProfile(g, profile); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT user_id, role, nickname, extra, joined, muted_until, own FROM group_members WHERE group_id = $1`, groupID)
	if err != nil {
		return nil, fmt.Errorf("group %s members: %w", groupID, err)
	}
	for rows.Next() {
		var u, own string
		var m store.Member
		var role int32
		if err := rows.Scan(&u, &role, &m.Nickname, &m.Extra, &m.Joined, &m.MutedUntil, &own); err != nil {
			rows.Close()
			return nil, fmt.Errorf("group %s members: %w", groupID, err)
		}
		m.Role = contract.GroupRole(role)
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
	rows, err = q.Query(ctx, `SELECT user_id, inviter, status, operator, reason, time FROM group_applications WHERE group_id = $1`, groupID)
	if err != nil {
		return nil, fmt.Errorf("group %s applications: %w", groupID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k store.AppKey
		var a store.Application
		var status int32
		if err := rows.Scan(&k.User, &k.Inviter, &status, &a.Operator, &a.Reason, &a.Time); err != nil {
			return nil, fmt.Errorf("group %s applications: %w", groupID, err)
		}
		a.Status = contract.ApplicationStatus(status)
		g.Applications[k] = a
	}
	return g, rows.Err()
}

// Group implements store.Store's Group.
func (d *DB) Group(ctx context.Context, groupID string) (g *store.Group, err error) {
	err = d.read(ctx, func(tx pgx.Tx) error {
		g, err = loadGroup(ctx, tx, groupID)
		return err
	})
	return g, err
}

// JoinedGroups implements store.Store's JoinedGroups.
func (d *DB) JoinedGroups(ctx context.Context, user string) (map[string]contract.GroupRole, error) {
	rows, err := d.pool.Query(ctx, `SELECT group_id, role FROM group_members WHERE user_id = $1`, user)
	if err != nil {
		return nil, fmt.Errorf("groups of %s: %w", user, err)
	}
	defer rows.Close()
	out := map[string]contract.GroupRole{}
	for rows.Next() {
		var id string
		var r int32
		if err := rows.Scan(&id, &r); err != nil {
			return nil, fmt.Errorf("groups of %s: %w", user, err)
		}
		out[id] = contract.GroupRole(r)
	}
	return out, rows.Err()
}

// GroupApplications implements store.Store's GroupApplications.
func (d *DB) GroupApplications(ctx context.Context, user string, before int64, limit int) ([]store.GroupApplication, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.pool.Query(ctx, `SELECT group_id, user_id, inviter, status, operator, reason, time FROM group_applications
WHERE time <= $2 AND (user_id = $1 OR inviter = $1 OR group_id IN (SELECT group_id FROM group_members WHERE user_id = $1 AND role >= $3))
ORDER BY time DESC, group_id, user_id, inviter LIMIT $4`, user, before, int32(contract.RoleManager), limit)
	if err != nil {
		return nil, fmt.Errorf("applications of %s: %w", user, err)
	}
	defer rows.Close()
	var out []store.GroupApplication
	for rows.Next() {
		var a store.GroupApplication
		var status int32
		if err := rows.Scan(&a.GroupID, &a.User, &a.Inviter, &status, &a.Operator, &a.Reason, &a.Time); err != nil {
			return nil, fmt.Errorf("applications of %s: %w", user, err)
		}
		a.Status = contract.ApplicationStatus(status)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ChangeGroup implements store.Store's ChangeGroup.
func (d *DB) ChangeGroup(ctx context.Context, groupID string, decide func(*store.Group) (*store.GroupChange, error)) (*store.GroupChanged, error) {
	var res *store.GroupChanged
	err := d.write(ctx, func(t *wtx) error {
		var err error
		res, err = t.changeGroup(ctx, groupID, decide)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (t *wtx) changeGroup(ctx context.Context, groupID string, decide func(*store.Group) (*store.GroupChange, error)) (*store.GroupChanged, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('group:' || $1, 0))`, groupID); err != nil {
		return nil, fmt.Errorf("lock group %s: %w", groupID, err)
	}
	before, err := loadGroup(ctx, t.tx, groupID)
	if errors.Is(err, store.ErrNotFound) {
		before = nil
	} else if err != nil {
		return nil, err
	}
	return store.ChangeGroupIn(groupID, before, decide, groupRows{ctx, t})
}

// groupRows is store.GroupRows in a transaction.
type groupRows struct {
	ctx context.Context
	t   *wtx
}

// JoinedCount counts under the user's lock of their groups: two joins of
// one user to two groups at once (on two nodes) would each count the same
// groups and both pass the limit. (Taken after the group's lock, joining
// users in order: store.MembersMoving.)
func (r groupRows) JoinedCount(user string) (n int, err error) {
	if _, err := r.t.tx.Exec(r.ctx, `SELECT pg_advisory_xact_lock(hashtextextended('joined:' || $1, 0))`, user); err != nil {
		return 0, fmt.Errorf("lock %s's groups: %w", user, err)
	}
	err = r.t.tx.QueryRow(r.ctx, `SELECT count(*) FROM group_members WHERE user_id = $1`, user).Scan(&n)
	return n, err
}
func (r groupRows) WriteGroup(before, after *store.Group) error {
	return r.t.writeGroupRow(r.ctx, before, after)
}
func (r groupRows) AppendNotification(groupID string, ntf *pb.Message, imported bool) (*pb.Message, error) {
	return r.t.appendNtf(r.ctx, groupID, ntf, imported)
}
func (r groupRows) WriteMembers(before, after *store.Group, joins, leaves []string, ntfSeq uint64) error {
	return r.t.writeMembers(r.ctx, before, after, joins, leaves, ntfSeq)
}
func (r groupRows) WriteApplications(before, after *store.Group) error {
	return r.t.writeApplications(r.ctx, before, after)
}
func (r groupRows) AppendLog(e *pb.Message) (*pb.Message, error) { return r.t.appendLog(r.ctx, e) }

func (t *wtx) appendNtf(ctx context.Context, groupID string, ntf *pb.Message, imported bool) (*pb.Message, error) {
	m, dup, err := t.put(ctx, store.GroupConvID(groupID), ntf, imported)
	if errors.Is(err, errResent) || dup {
		return nil, fmt.Errorf("notification %s: %w", ntf.GetClientMsgId(), store.ErrExists)
	}
	return m, err
}

func (t *wtx) writeGroupRow(ctx context.Context, before, after *store.Group) error {
	if !store.GroupRowChanged(before, after) {
		return nil
	}
	p, err := store.GroupProfileColumn(after)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO groups(id, name, owner, dismissed, creator, created, profile, mute_all) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner = excluded.owner, dismissed = excluded.dismissed, profile = excluded.profile, mute_all = excluded.mute_all`,
		after.ID, after.Name, after.OwnerID, after.Dismissed, after.CreatorID, after.Created, p, after.MuteAll)
	if err != nil {
		return fmt.Errorf("write group %s: %w", after.ID, err)
	}
	return nil
}

// writeMembers writes the members that changed; those joining see the
// group from the notification at ntfSeq on, those leaving up to it.
func (t *wtx) writeMembers(ctx context.Context, before, after *store.Group, joins, leaves []string, ntfSeq uint64) error {
	convID := store.GroupConvID(after.ID)
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
		if _, err := t.tx.Exec(ctx, `INSERT INTO group_members(group_id, user_id, role, nickname, extra, joined, muted_until, own) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role, nickname = excluded.nickname, extra = excluded.extra, joined = excluded.joined, muted_until = excluded.muted_until, own = excluded.own`,
			after.ID, u, int32(m.Role), m.Nickname, m.Extra, m.Joined, m.MutedUntil, own); err != nil {
			return fmt.Errorf("write member %s of %s: %w", u, after.ID, err)
		}
	}
	for _, u := range joins {
		if _, err := t.tx.Exec(ctx, `INSERT INTO user_convs(user_id, conv_id, conv_type, target, start_seq, end_seq, read_seq, changed)
VALUES ($1, $2, $3, $4, $5, 0, 0, 0) ON CONFLICT (user_id, conv_id) DO UPDATE SET start_seq = excluded.start_seq, end_seq = 0`,
			u, convID, int32(pb.ConversationType_GROUP), after.ID, ntfSeq); err != nil {
			return fmt.Errorf("member conversation %s: %w", u, err)
		}
		t.touchUserConv(u, convID)
	}
	for _, u := range leaves {
		if _, err := t.tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, after.ID, u); err != nil {
			return fmt.Errorf("remove member %s: %w", u, err)
		}
		if _, err := t.tx.Exec(ctx, `UPDATE user_convs SET end_seq = $1 WHERE user_id = $2 AND conv_id = $3`, ntfSeq, u, convID); err != nil {
			return fmt.Errorf("member conversation %s: %w", u, err)
		}
		t.touchUserConv(u, convID)
	}
	return nil
}

func (t *wtx) writeApplications(ctx context.Context, before, after *store.Group) error {
	for k, a := range after.Applications {
		if before != nil {
			if old, ok := before.Applications[k]; ok && old == a {
				continue
			}
		}
		if _, err := t.tx.Exec(ctx, `INSERT INTO group_applications(group_id, user_id, inviter, status, operator, reason, time) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (group_id, user_id, inviter) DO UPDATE SET status = excluded.status, operator = excluded.operator, reason = excluded.reason, time = excluded.time`,
			after.ID, k.User, k.Inviter, int32(a.Status), a.Operator, a.Reason, a.Time); err != nil {
			return fmt.Errorf("write application of %s to %s: %w", k.User, after.ID, err)
		}
	}
	if before == nil {
		return nil
	}
	for k := range before.Applications {
		if _, ok := after.Applications[k]; !ok {
			if _, err := t.tx.Exec(ctx, `DELETE FROM group_applications WHERE group_id = $1 AND user_id = $2 AND inviter = $3`, after.ID, k.User, k.Inviter); err != nil {
				return fmt.Errorf("delete application of %s to %s: %w", k.User, after.ID, err)
			}
		}
	}
	return nil
}
