package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
)

// How the stores keep a group: one row for the group, its profile's texts
// and permission settings as one JSON column read and written whole; one
// row per member, their own settings likewise; one per application. A
// change reads the whole group, lets the caller decide, and writes the
// difference. The encodings and the difference are the same in every
// store, so they are here.

// groupProfile is the JSON of a group row's profile column.
type groupProfile struct {
	Portrait     string               `json:"portrait,omitempty"`
	Introduction string               `json:"introduction,omitempty"`
	Notice       string               `json:"notice,omitempty"`
	Ext          map[string]string    `json:"ext,omitempty"`
	Policy       contract.GroupPolicy `json:"policy"`
}

// memberOwn is the JSON of a member row's own column.
type memberOwn struct {
	Remark  string           `json:"remark,omitempty"`
	Follows map[string]int64 `json:"follows,omitempty"`
}

// GroupProfileColumn encodes g's profile column.
func GroupProfileColumn(g *Group) (string, error) {
	b, err := json.Marshal(groupProfile{g.Portrait, g.Introduction, g.Notice, g.Ext, g.Policy})
	if err != nil {
		return "", fmt.Errorf("group %s profile: %w", g.ID, err)
	}
	return string(b), nil
}

// SetGroupProfile decodes a profile column into g ("" leaves it be).
func SetGroupProfile(g *Group, column string) error {
	if column == "" {
		return nil
	}
	var p groupProfile
	if err := json.Unmarshal([]byte(column), &p); err != nil {
		return fmt.Errorf("group %s profile: %w", g.ID, err)
	}
	g.Portrait, g.Introduction, g.Notice, g.Ext, g.Policy = p.Portrait, p.Introduction, p.Notice, p.Ext, p.Policy
	return nil
}

// MemberOwnColumn encodes m's own column ("" when there is nothing).
func MemberOwnColumn(m Member) (string, error) {
	if m.Remark == "" && len(m.Follows) == 0 {
		return "", nil
	}
	b, err := json.Marshal(memberOwn{m.Remark, m.Follows})
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// SetMemberOwn decodes an own column into m ("" leaves it be).
func SetMemberOwn(m *Member, column string) error {
	if column == "" {
		return nil
	}
	var o memberOwn
	if err := json.Unmarshal([]byte(column), &o); err != nil {
		return err
	}
	m.Remark, m.Follows = o.Remark, o.Follows
	return nil
}

// GroupRowChanged reports whether after's group row differs from
// before's (nil: a new group).
func GroupRowChanged(before, after *Group) bool {
	return before == nil || before.Name != after.Name || before.OwnerID != after.OwnerID || before.Dismissed != after.Dismissed ||
		before.MuteAll != after.MuteAll || before.Portrait != after.Portrait || before.Introduction != after.Introduction ||
		before.Notice != after.Notice || !maps.Equal(before.Ext, after.Ext) || before.Policy != after.Policy
}

// MemberEqual reports whether two member rows are the same.
func MemberEqual(a, b Member) bool {
	return a.Role == b.Role && a.Nickname == b.Nickname && a.Extra == b.Extra && a.Joined == b.Joined &&
		a.MutedUntil == b.MutedUntil && a.Remark == b.Remark && maps.Equal(a.Follows, b.Follows)
}

// MembersMoving lists who joins (in after, not a member before) and who
// leaves (a member before, not in after) with a change of a group.
func MembersMoving(before, after *Group) (joins, leaves []string) {
	for u := range after.Members {
		if before == nil || before.Members[u].Role == contract.RoleNone {
			joins = append(joins, u)
		}
	}
	if before != nil {
		for u := range before.Members {
			if _, ok := after.Members[u]; !ok {
				leaves = append(leaves, u)
			}
		}
	}
	// In order: a store that locks each joining user (JoinedCount) takes
	// the locks in one order, which two changes cannot deadlock on.
	slices.Sort(joins)
	slices.Sort(leaves)
	return joins, leaves
}

// GroupRows is what a store does for a change of a group, inside the
// change's transaction (ChangeGroupIn).
type GroupRows interface {
	// JoinedCount is how many groups user is a member of.
	JoinedCount(user string) (int, error)
	// WriteGroup writes after's group row (GroupRowChanged says whether).
	WriteGroup(before, after *Group) error
	// AppendNotification stores a group's notification.
	AppendNotification(groupID string, ntf *pb.Message, imported bool) (*pb.Message, error)
	// WriteMembers writes the member rows that changed; those joining see
	// the group from ntfSeq on, those leaving up to it.
	WriteMembers(before, after *Group, joins, leaves []string, ntfSeq uint64) error
	// WriteApplications writes the applications that changed.
	WriteApplications(before, after *Group) error
	// AppendLog appends an entry to its user's log.
	AppendLog(entry *pb.Message) (*pb.Message, error)
}

// ChangeGroupIn is Store.ChangeGroup's rule over a store's rows: decide
// sees a copy of before (nil: no such group); what it returns is checked
// (members join or leave only with a notification, within MaxJoined) and
// written through rows.
func ChangeGroupIn(groupID string, before *Group, decide func(*Group) (*GroupChange, error), rows GroupRows) (*GroupChanged, error) {
	var view *Group
	if before != nil {
		view = before.Clone()
	}
	c, err := decide(view)
	if err != nil {
		return nil, err
	}
	res := &GroupChanged{Before: before, After: before}
	if c.Group != nil {
		after := c.Group
		after.ID = groupID
		res.After = after
		joins, leaves := MembersMoving(before, after)
		if (len(joins) > 0 || len(leaves) > 0) && c.Ntf == nil {
			return nil, fmt.Errorf("change group %s: members join or leave without a notification", groupID)
		}
		if c.MaxJoined > 0 {
			for _, u := range joins {
				n, err := rows.JoinedCount(u)
				if err != nil {
					return nil, fmt.Errorf("groups of %s: %w", u, err)
				}
				if n >= c.MaxJoined {
					return nil, fmt.Errorf("%s joining %s: %w", u, groupID, ErrTooManyGroups)
				}
			}
		}
		if err := rows.WriteGroup(before, after); err != nil {
			return nil, err
		}
		var ntfSeq uint64
		if c.Ntf != nil {
			if res.Ntf, err = rows.AppendNotification(groupID, c.Ntf, c.Imported); err != nil {
				return nil, err
			}
			ntfSeq = res.Ntf.Seq
		}
		if err := rows.WriteMembers(before, after, joins, leaves, ntfSeq); err != nil {
			return nil, err
		}
		if err := rows.WriteApplications(before, after); err != nil {
			return nil, err
		}
	} else if c.Ntf != nil {
		if res.Ntf, err = rows.AppendNotification(groupID, c.Ntf, c.Imported); err != nil {
			return nil, err
		}
	}
	for _, e := range c.Logs {
		m, err := rows.AppendLog(e)
		if err != nil {
			return nil, err
		}
		res.Logs = append(res.Logs, m)
	}
	return res, nil
}
