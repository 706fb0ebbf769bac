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
	// CPURatio is the server's CPU per send at the largest size over that
	// at the smallest (each the mean of its runs): 100,000 members over
	// 10,000 by default (target ≤ 1.2).
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
// members and measures, to 100,000 and measures, back to 10,000 and
// measures again (Config.UltraSizes).
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
	// Member k is users[k] while k < m, then an offline id; the group
	// grows and shrinks at its end, so those online stay in it.
	member := func(k int) string {
		if k < len(ids) {
			return ids[k]
		}
		return fmt.Sprintf("bench-%s-off-%d", f.tag, k)
	}
	members := 1
	fill := func(to int) error {
		start := time.Now()
		for members != to {
			n := min(maxUltraPerCall, max(to-members, members-to))
			path, from := "/members", members
			if to < members {
				path, from = "/members/remove", members-n
			}
			batch := make([]string, n)
			for i := range batch {
				batch[i] = member(from + i)
			}
			if err := f.t.adminPost(ctx, "/v1/ultragroups/"+f.group+path, map[string]any{"userIds": batch}); err != nil {
				return err
			}
			if to < members {
				members -= n
			} else {
				members += n
			}
		}
		f.progress("the ultra group has %d members (%.1fs)", members, time.Since(start).Seconds())
		return nil
	}
	sizes := f.cfg.UltraSizes
	if len(sizes) == 0 {
		// Small, large, small again: the VM's speed drifts over minutes,
		// and the large size's run between two of the small one's compares
		// with their mean.
		sizes = []int{DefaultUltraMembers, MaxUltraMembers, DefaultUltraMembers}
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
	var largest *Result // the Result reported: the run at the largest size
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
		if largest == nil || size > largest.Members {
			largest, r.Members = r, size
		}
	}
	ur.CPURatio = cpuRatio(ur.Phases)
	largest.UltraGroup = ur
	return largest, nil
}

// cpuRatio is the mean CPU per send of the runs at the largest size over
// that of the runs at the smallest.
func cpuRatio(runs []UltraRun) float64 {
	lo, hi := runs[0].Members, runs[0].Members
	for _, r := range runs {
		lo, hi = min(lo, r.Members), max(hi, r.Members)
	}
	mean := func(size int) float64 {
		var sum float64
		var n int
		for _, r := range runs {
			if r.Members == size {
				sum += r.ServerCPUPerMsgUs
				n++
			}
		}
		return sum / float64(n)
	}
	if a := mean(lo); a > 0 {
		return num(mean(hi) / a)
	}
	return 0
}

// maxUltraPerCall is the admin API's limit of user ids per call.
const maxUltraPerCall = 1000
