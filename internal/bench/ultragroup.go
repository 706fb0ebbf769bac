package bench

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/imwasm/imwasm/client"
)

// UltraResult is the ultragroup scenario's report: the same load measured
// with the group at 10,000 members and at 100,000 (the members beyond those
// online are offline), so that what a send costs is seen not to grow with
// the group.
type UltraResult struct {
	Channels int        `json:"channels"`
	Online   int        `json:"online"`
	Phases   []UltraRun `json:"phases"`
	// CPURatio is the server's CPU per send at the last size over that at
	// the first: 100,000 members over 10,000 by default (target ≤ 1.2).
	CPURatio float64 `json:"cpu_ratio"`
}

// UltraRun is one measurement at a group size.
type UltraRun struct {
	Members           int     `json:"members"`
	ServerCPUPerMsgUs float64 `json:"server_cpu_us_per_msg"`
	MsgsPerSec        float64 `json:"msgs_per_sec"` // deliveries per second
	P50Ms             float64 `json:"p50_ms"`
	P99Ms             float64 `json:"p99_ms"`
	Lost              int64   `json:"lost"`
	Acked             int64   `json:"acked"`
}

// runUltra connects the members online, fills the group to 10,000
// members, measures, fills it to 100,000 and measures again.
func (f *fleet) runUltra(ctx context.Context) (*Result, error) {
	m := f.cfg.Members
	users, err := f.addUsers(m)
	if err != nil {
		return nil, err
	}
	f.group = "bench-" + f.tag + "-u"
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.id
		ch := ""
		if c := i % UltraChannels; c > 0 {
			ch = fmt.Sprint("c", c)
		}
		u.to = client.Conversation{Type: client.UltraGroup, TargetID: f.group, ChannelID: ch}
	}
	if err := f.t.adminPost(ctx, "/v1/ultragroups", map[string]any{"id": f.group, "name": "imwasm bench", "ownerId": ids[0]}); err != nil {
		return nil, err
	}
	for c := 1; c < UltraChannels; c++ {
		if err := f.t.adminPost(ctx, "/v1/ultragroups/"+f.group+"/channels", map[string]any{"channelId": fmt.Sprint("c", c)}); err != nil {
			return nil, err
		}
	}
	members := 1
	fill := func(to int) error {
		start := time.Now()
		for members < to {
			n := min(maxUltraPerCall, to-members)
			batch := make([]string, 0, n)
			for i := range n {
				if k := members + i; k < len(ids) {
					batch = append(batch, ids[k])
				} else {
					batch = append(batch, fmt.Sprintf("bench-%s-off-%d", f.tag, k))
				}
			}
			if err := f.t.adminPost(ctx, "/v1/ultragroups/"+f.group+"/members", map[string]any{"userIds": batch}); err != nil {
				return err
			}
			members += n
		}
		f.progress("the ultra group has %d members (%.1fs)", members, time.Since(start).Seconds())
		return nil
	}
	sizes := f.cfg.UltraSizes
	if len(sizes) == 0 {
		sizes = []int{DefaultUltraMembers, MaxUltraMembers}
	}
	if err := fill(max(sizes[0], m)); err != nil {
		return nil, err
	}
	if err := f.connect(ctx, users); err != nil {
		return nil, err
	}
	s := f.cfg.Senders
	if s <= 0 {
		s = int(math.Ceil(f.cfg.Rate / groupSenderRate))
	}
	s = max(1, min(s, m))
	order := make([]*user, s)
	for i := range order {
		// Spread over the members, and over the channels (user k is in
		// channel k mod 10).
		order[i] = users[(i*m/s+i)%m]
	}
	p := plan{rate: f.cfg.Rate, senders: order, fanout: m - 1, clients: m, members: m, dur: f.cfg.Duration}
	ur := &UltraResult{Channels: UltraChannels, Online: m}
	var last *Result
	for _, size := range sizes {
		size = max(size, m)
		if err := fill(size); err != nil {
			return nil, err
		}
		r, err := f.measure(ctx, p)
		if err != nil {
			return nil, err
		}
		ur.Phases = append(ur.Phases, UltraRun{Members: size, ServerCPUPerMsgUs: r.ServerCPUPerMsgUs, MsgsPerSec: r.MsgsPerSec,
			P50Ms: r.P50Ms, P99Ms: r.P99Ms, Lost: r.Lost, Acked: r.Acked})
		f.progress("%d members: %.0f µs of server CPU per send, %.0f deliveries/s, p99 %.0f ms, lost %d",
			size, r.ServerCPUPerMsgUs, r.MsgsPerSec, r.P99Ms, r.Lost)
		last = r
	}
	if a, b := ur.Phases[0].ServerCPUPerMsgUs, ur.Phases[len(ur.Phases)-1].ServerCPUPerMsgUs; a > 0 {
		ur.CPURatio = num(b / a)
	}
	last.Members = ur.Phases[len(ur.Phases)-1].Members
	last.UltraGroup = ur
	return last, nil
}

// maxUltraPerCall is the admin API's limit of user ids per call.
const maxUltraPerCall = 1000
