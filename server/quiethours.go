package server

import (
	"context"
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // quiet hours name IANA zones; a server's machine may have no zone database

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/proto/contract"
	pb "github.com/imwasm/imwasm/proto/litepb"
	"github.com/imwasm/imwasm/server/store"
)

// quietZone resolves quiet hours' timezone: "" and "UTC" are UTC, an
// offset "+08:00" / "-05:30" a fixed zone, anything else an IANA name
// ("Asia/Shanghai").
func quietZone(name string) (*time.Location, error) {
	switch {
	case name == "" || name == "UTC":
		return time.UTC, nil
	case len(name) == 6 && (name[0] == '+' || name[0] == '-') && name[3] == ':':
		h, err1 := strconv.Atoi(name[1:3])
		m, err2 := strconv.Atoi(name[4:6])
		if err1 != nil || err2 != nil || h > 14 || m > 59 {
			break
		}
		off := h*3600 + m*60
		if name[0] == '-' {
			off = -off
		}
		return time.FixedZone(name, off), nil
	default:
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	return nil, codes.New(codes.InvalidParameter, fmt.Sprintf("timezone %q: not UTC, an offset like +08:00 or an IANA name like Asia/Shanghai", name))
}

// quietHoursRequest runs setNotificationQuietHoursWithSetting,
// removeNotificationQuietHoursSetting, getNotificationQuietHoursSetting and
// setDoNotDisturb for user.
func (s *Server) quietHoursRequest(ctx context.Context, user string, r *pb.PeopleRequest) (*pb.PeopleResult, error) {
	switch r.Op {
	case pb.PeopleOp_QUIET_HOURS_GET:
		q, err := s.quietOf(ctx, user)
		return &pb.PeopleResult{QuietHours: q}, err
	case pb.PeopleOp_QUIET_HOURS_SET:
		return &pb.PeopleResult{}, s.setQuietHours(ctx, user, r.QuietHours)
	case pb.PeopleOp_DND_SET:
		until, err := s.setDoNotDisturb(ctx, user, r.DurationMs)
		return &pb.PeopleResult{QuietHours: &pb.QuietHours{Until: until}}, err
	}
	return &pb.PeopleResult{}, s.setQuietHours(ctx, user, nil)
}

// quietOf is user's quiet hours and do-not-disturb (nil: neither set; a
// do-not-disturb that has ended is left out).
func (s *Server) quietOf(ctx context.Context, user string) (*pb.QuietHours, error) {
	ps, err := s.store.People(ctx, []string{user})
	if err != nil {
		return nil, fmt.Errorf("quiet hours of %s: %w", user, err)
	}
	p := ps[user]
	if p == nil || p.QuietHours == nil {
		return nil, nil
	}
	q := *p.QuietHours
	if q.Until <= s.cfg.Now().UnixMilli() {
		q.Until = 0
	}
	if q.SpanMinutes == 0 && q.Until == 0 {
		return nil, nil
	}
	return &q, nil
}

// quietHoursOf is user's daily quiet hours alone (nil: none set), as
// RongCloud's routes answer them.
func (s *Server) quietHoursOf(ctx context.Context, user string) (*pb.QuietHours, error) {
	q, err := s.quietOf(ctx, user)
	if err != nil || q == nil || q.SpanMinutes == 0 {
		return nil, err
	}
	return &pb.QuietHours{StartTime: q.StartTime, SpanMinutes: q.SpanMinutes, Level: q.Level, Timezone: q.Timezone}, nil
}

// setQuietHours keeps q as user's quiet hours (nil removes them), checked
// as the SDK checks them and with a zone this server knows: the client's
// calls and the vendors' server routes set them through here. A
// do-not-disturb of a set length stays as it was.
func (s *Server) setQuietHours(ctx context.Context, user string, q *pb.QuietHours) error {
	if q != nil {
		if err := contract.CheckQuietHours(q); err != nil {
			return err
		}
		if _, err := quietZone(q.Timezone); err != nil {
			return err
		}
		q = &pb.QuietHours{StartTime: q.StartTime, SpanMinutes: q.SpanMinutes, Level: q.Level, Timezone: q.Timezone}
	}
	return s.changeQuiet(ctx, user, func(old *pb.QuietHours) *pb.QuietHours {
		if q == nil {
			return &pb.QuietHours{Until: old.Until}
		}
		q.Until = old.Until
		return q
	})
}

// setDoNotDisturb keeps user from pushes for ms from now (0 ends it),
// beside their daily quiet hours; it answers when it ends (server ms; 0
// for none).
func (s *Server) setDoNotDisturb(ctx context.Context, user string, ms int64) (int64, error) {
	if err := contract.CheckDndDuration(ms); err != nil {
		return 0, err
	}
	var until int64
	if ms > 0 {
		until = s.cfg.Now().UnixMilli() + ms
	}
	return until, s.changeQuiet(ctx, user, func(old *pb.QuietHours) *pb.QuietHours {
		q := *old
		q.Until = until
		return &q
	})
}

// changeQuiet stores what change makes of user's quiet hours (an empty
// one when none are set); an empty result removes them.
func (s *Server) changeQuiet(ctx context.Context, user string, change func(*pb.QuietHours) *pb.QuietHours) error {
	now := s.cfg.Now().UnixMilli()
	_, err := s.store.ChangePerson(ctx, user, func(p *store.Person) (*store.Person, []*pb.Message, error) {
		old := &pb.QuietHours{}
		if p.QuietHours != nil {
			old = p.QuietHours
		}
		q := change(old)
		if q.Until <= now {
			q.Until = 0 // ended: not kept
		}
		if q.SpanMinutes == 0 && q.Until == 0 {
			q = nil
		}
		if q == nil && p.QuietHours == nil {
			return nil, nil, nil // nothing to remove: no row for a user never seen
		}
		// Updated is left: it dates the profile, and a user whose profile
		// was never set is not registered (NIM's and Easemob's routes, the import).
		p.QuietHours = q
		return p, nil, nil
	})
	if err != nil {
		return fmt.Errorf("quiet hours of %s: %w", user, err)
	}
	return nil
}

// quietLevel is the level user's quiet hours impose on a push of a
// message sent at t (ms): none before their do-not-disturb ends, their
// level while the daily window is open (it outranks the conversations' own
// levels, as RongCloud's does), else 0 (the conversations' levels decide).
func quietLevel(p *store.Person, t int64) int32 {
	if p == nil || p.QuietHours == nil {
		return contract.QuietLevelDefault
	}
	if t < p.QuietHours.Until {
		return contract.QuietLevelBlocked
	}
	if p.QuietHours.Level == contract.QuietLevelDefault {
		return contract.QuietLevelDefault
	}
	loc, err := quietZone(p.QuietHours.Timezone)
	if err != nil {
		loc = time.UTC // checked when set; a zone database that lost it falls back to UTC
	}
	if !contract.InQuietHours(p.QuietHours, time.UnixMilli(t), loc) {
		return contract.QuietLevelDefault
	}
	return p.QuietHours.Level
}
