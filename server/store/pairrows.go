package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	pb "github.com/imwasm/imwasm/proto/litepb"
)

// How the stores keep people: a row per user who set a profile or setting
// (the profile encoded whole), a row per side of a friendship (its ext as
// JSON), a row per friend request (one per direction), a row per blocked
// user. A change of two users loads their Pair, lets the caller decide,
// and writes the rows PairWrites lists.

// PersonProfileColumn encodes p's profile column (the profile without its
// field mask, which says what a request changes, not what is kept).
func PersonProfileColumn(p *Person) ([]byte, error) {
	prof := *p.Profile
	prof.Fields = 0
	b, err := prof.Marshal()
	if err != nil {
		return nil, fmt.Errorf("profile of %s: %w", p.ID, err)
	}
	return b, nil
}

// QuietHoursColumn encodes p's quiet_hours column (empty: none).
func QuietHoursColumn(p *Person) ([]byte, error) {
	if p.QuietHours == nil {
		return []byte{}, nil
	}
	b, err := p.QuietHours.Marshal()
	if err != nil {
		return nil, fmt.Errorf("quiet hours of %s: %w", p.ID, err)
	}
	return b, nil
}

// SetQuietHours decodes a quiet_hours column into p.
func SetQuietHours(p *Person, column []byte) error {
	if len(column) == 0 {
		p.QuietHours = nil
		return nil
	}
	p.QuietHours = &pb.QuietHours{}
	if err := p.QuietHours.Unmarshal(column); err != nil {
		return fmt.Errorf("quiet hours of %s: %w", p.ID, err)
	}
	return nil
}

// SetPersonProfile decodes a profile column into p.
func SetPersonProfile(p *Person, column []byte) error {
	if p.Profile == nil {
		p.Profile = &pb.UserProfile{}
	}
	if err := p.Profile.Unmarshal(column); err != nil {
		return fmt.Errorf("profile of %s: %w", p.ID, err)
	}
	p.Profile.UserId = p.ID
	return nil
}

// FriendExtColumn encodes a friend's ext column ("" when empty).
func FriendExtColumn(f *Friend) string {
	if len(f.Ext) == 0 {
		return ""
	}
	b, _ := json.Marshal(f.Ext) // a map of strings always encodes
	return string(b)
}

// SetFriendExt decodes an ext column into f ("" leaves it be).
func SetFriendExt(f *Friend, column string) error {
	if column == "" {
		return nil
	}
	return json.Unmarshal([]byte(column), &f.Ext)
}

// PairRow is the kind of row a PairWrite writes.
type PairRow int

const (
	PersonRow  PairRow = iota // Person: write Me's person row
	FriendRow                 // Friend: Other in Me's friend list (nil: remove)
	RequestRow                // Request: Me's request to Other (nil: remove)
	BlockRow                  // Block: since when Me blocks Other (0: unblock)
)

// PairWrite is one row a change of a pair writes.
type PairWrite struct {
	Row       PairRow
	Me, Other string
	Person    *Person
	Friend    *Friend
	Request   *FriendRequest
	Block     int64
}

// PairWrites lists the rows that differ between before and after, a
// change of the pair of ids.
func PairWrites(ids [2]string, before, after *Pair) []PairWrite {
	var out []PairWrite
	for i := range 2 {
		me, other := ids[i], ids[1-i]
		w := PairWrite{Me: me, Other: other}
		if b, a := before.Person[i], after.Person[i]; a != nil && (b.Visibility != a.Visibility || b.AddPermission != a.AddPermission || b.Updated != a.Updated) {
			w := w
			w.Row, w.Person = PersonRow, a
			out = append(out, w)
		}
		if b, a := before.Friend[i], after.Friend[i]; (a == nil) != (b == nil) || a != nil && (b.Remark != a.Remark || b.Added != a.Added || !maps.Equal(b.Ext, a.Ext)) {
			w := w
			w.Row, w.Friend = FriendRow, a
			out = append(out, w)
		}
		if b, a := before.Request[i], after.Request[i]; (a == nil) != (b == nil) || a != nil && *a != *b {
			w := w
			w.Row, w.Request = RequestRow, a
			out = append(out, w)
		}
		if b, a := before.Blocks[i], after.Blocks[i]; a != b {
			w := w
			w.Row, w.Block = BlockRow, a
			out = append(out, w)
		}
	}
	return out
}

// AccessFrom is a user's Access from a store's columns (unix ms; 0: none).
func AccessFrom(tokensValidAfter, blockedUntil int64) Access {
	var a Access
	if tokensValidAfter != 0 {
		a.TokensValidAfter = time.UnixMilli(tokensValidAfter)
	}
	if blockedUntil != 0 {
		a.BlockedUntil = time.UnixMilli(blockedUntil)
	}
	return a
}

// PlanSubscriptions is Store.Subscribe's rule: given the subscriber's
// subscriptions (expired ones removed), which to make or renew, and which
// targets are full (maxTheirs live subscribers besides this one, counted
// by othersOf); ErrQuota when the subscriber would hold more than maxMine.
func PlanSubscriptions(subscriber string, mine []Subscription, typ int32, targets []string, now, expiry int64, maxMine, maxTheirs int,
	othersOf func(target string) (int, error)) (made []Subscription, full []string, err error) {
	type key struct {
		typ    int32
		target string
	}
	live := map[key]bool{}
	for _, s := range mine {
		if s.Live(now) {
			live[key{s.Type, s.Target}] = true
		}
	}
	for _, target := range targets {
		if !live[key{typ, target}] {
			n, err := othersOf(target)
			if err != nil {
				return nil, nil, fmt.Errorf("subscribers of %s: %w", target, err)
			}
			if n >= maxTheirs {
				full = append(full, target)
				continue
			}
			live[key{typ, target}] = true
		}
		made = append(made, Subscription{Subscriber: subscriber, Target: target, Type: typ, Time: now, Expiry: expiry})
	}
	if len(live) > maxMine {
		return nil, nil, fmt.Errorf("%s subscribing: %w", subscriber, ErrQuota)
	}
	return made, full, nil
}
