package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/imwasm/imwasm/internal/bench"
)

// hiddenBenchFlags are for profiling the bench itself; bench -h leaves them out.
var hiddenBenchFlags = map[string]bool{"cpuprofile": true, "memprofile": true, "server-env": true}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "[--scenario p2p|group|idle|receipts|presence|chatroom|ultragroup] [flags]", stderr)
	fs.Usage = func() { benchUsage(fs) }
	scenario := fs.String("scenario", "p2p", "p2p (paired users), group (one group, fan-out), idle (server memory per connection) receipts (every member of a group answers read-receipt requests) presence (users subscribed to others' online status; some connect and disconnect) chatroom (one chat room, its members all in it, fan-out; the server's memory per member) or ultragroup (one ultra group of 10 channels, its members online sending; the server's CPU per send at 10,000 and 100,000 members)")
	url := fs.String("url", "", "bench a running server at http://host:port, or a cluster's nodes, comma-separated (users spread over them in turn) (default: start one; idle always starts its own process)")
	appKey := fs.String("app-key", "", "with --url: the server's app key (env "+envName("app-key")+")")
	appSecret := fs.String("app-secret", "", "with --url: the server's app secret, to mint tokens (env "+envName("app-secret")+")")
	serverPID := fs.String("server-pid", "", "with --url: the server's process id (idle reads its memory; the CPU per message is read from it), or every node's, comma-separated")
	serverProcess := fs.Bool("server-process", true, "p2p/group: run the server in its own process, so the load generator's garbage collection and scheduling do not count as the server's (false: in this process)")
	clients := fs.Int("clients", 0, fmt.Sprintf("simulated users: p2p (default %d, in pairs), idle (default %d) and presence (default %d)", bench.DefaultP2PClients, bench.DefaultIdleClients, bench.DefaultPresenceClients))
	rate := fs.Float64("rate", 0, fmt.Sprintf("offered messages per second in total (default p2p %d, group %d, chatroom %d, ultragroup %d); presence: status changes per second (default %d)", bench.DefaultP2PRate, bench.DefaultGroupRate, bench.DefaultChatroomRate, bench.DefaultUltraRate, bench.DefaultPresenceRate))
	duration := fs.Duration("duration", bench.DefaultDuration, "length of the timed window")
	members := fs.Int("members", 0, fmt.Sprintf("group and receipts: members, all online (default %d); chatroom: members in the room (default %d); ultragroup: members online (default %d)", bench.DefaultMembers, bench.DefaultChatroomMembers, bench.DefaultUltraOnline))
	rounds := fs.Int("rounds", bench.DefaultReceiptRounds, "receipts: how many read-receipt requests")
	senders := fs.Int("senders", 0, fmt.Sprintf("group: how many members send (default rate/4, under the 5/s limit); chatroom: default %d", bench.DefaultChatroomSenders))
	jsonOut := fs.Bool("json", false, "print one JSON object on stdout instead of the summary")
	findCap := fs.Bool("find-capacity", false, "search for the highest rate that keeps p99 within target (p2p 50ms, group 100ms, chatroom 200ms) with nothing lost")
	rateLimit := fs.Bool("rate-limit", true, "keep the server's and SDK's 5 msg/s per user limit (false turns both off)")
	warmUp := fs.Duration("warm-up", 2*time.Second, "load offered before the timed window and not counted (0: none)")
	settle := fs.Duration("settle", 5*time.Second, "idle: how long the connections idle before the server's memory is read")
	store := fs.String("store", "lean", "the simulated clients' local store: lean (keeps only own sends and cursors: the load generator's garbage stays small) or mem (client/memstore, keeps every message)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	webhook := fs.Bool("webhook", false, "turn the server's events webhook on (every stored message's event posted from the outbox), answered at once by a backend")
	beforeSend := fs.Duration("before-send", 0, "p2p/group/chatroom/ultragroup: turn the server's before-send webhook on, answered by a backend that passes each message after this long (e.g. 1ms; 0: off)")
	backendInProcess := fs.Bool("backend-in-process", false, "run the webhooks' backend in this process (false: in a process of its own, as an app's backend is)")
	serveBackend := fs.String("serve-backend", "", "only run a webhook's backend (before-send: answering after --before-send; webhook: the events one) on a loopback port, printing its URL, until stopped: what the bench starts in its own process")
	clientGOGC := fs.Int("client-gogc", 0, "GC percent of this process while the server runs in another (--server-process, --url): 0 turns its collector off under a memory limit (a quarter of RAM, at most 8 GiB) so its pauses do not count as server latency; -1 leaves it; ignored in-process or when GOGC is set")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of this process to the file")
	memprofile := fs.String("memprofile", "", "write a heap profile of this process to the file at the end")
	var serverEnv stringList
	fs.Var(&serverEnv, "server-env", "NAME=VALUE for the server process (repeatable), e.g. GODEBUG=gctrace=1")
	if _, err := parseFlags(fs, args, "app-key", "app-secret"); err != nil {
		return err
	}
	switch *serveBackend {
	case "":
	case "before-send", "webhook":
		log := stderr
		if *quiet {
			log = io.Discard
		}
		return bench.ServeBackend(ctx, stdout, log, *serveBackend == "before-send", *beforeSend)
	default:
		return usagef("--serve-backend must be before-send or webhook, got %q", *serveBackend)
	}
	var pids []int
	for _, p := range strings.Split(*serverPID, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			return usagef("--server-pid must be process ids, comma-separated, got %q", *serverPID)
		}
		pids = append(pids, pid)
	}
	cfg := bench.Config{
		Scenario: *scenario, URL: *url, AppKey: *appKey, AppSecret: *appSecret, ServerPIDs: pids,
		ServerProcess: *serverProcess, Clients: *clients, Rate: *rate, Duration: *duration,
		Members: *members, Rounds: *rounds, Senders: *senders, RateLimit: *rateLimit, Settle: *settle, FindCapacity: *findCap,
		ServerEnv: serverEnv, ClientGOGC: *clientGOGC, WarmUp: *warmUp, Store: *store, BeforeSend: *beforeSend, Webhook: *webhook,
		BackendInProcess: *backendInProcess,
	}
	if len(pids) > 0 {
		cfg.ServerPID = pids[0]
	}
	if *warmUp == 0 {
		cfg.WarmUp = -1 // none; bench.Config's zero means the default
	}
	switch cfg.Scenario {
	case "p2p", "group", "idle", "receipts", "presence", "chatroom", "ultragroup":
	default:
		return usagef("--scenario must be p2p, group, idle, receipts, presence, chatroom or ultragroup, got %q", cfg.Scenario)
	}
	if *url == "" {
		// A server of our own gets fresh credentials.
		cfg.AppKey, cfg.AppSecret = "", ""
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if !cfg.RateLimit {
		fmt.Fprintln(stderr, "rate limit OFF: the server and the SDK send limits are disabled (SendRate -1)")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Run(ctx, cfg)
	if *memprofile != "" {
		if f, ferr := os.Create(*memprofile); ferr == nil {
			// The profile shows what was allocated up to the last
			// collection, and the load generator's collector is off.
			runtime.GC()
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	if err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		if res.Receipts != nil {
			return enc.Encode(res.Receipts)
		}
		if res.Presence != nil {
			return enc.Encode(res.Presence)
		}
		return enc.Encode(res)
	}
	printBench(stdout, res)
	return nil
}

func benchUsage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprint(out, "Usage: imwasm bench [--scenario p2p|group|idle|receipts|presence|chatroom|ultragroup] [flags]\n\n"+
		"Drives a server with simulated users on the real client engine over WebSockets and\n"+
		"reports delivered messages per second and send-to-receive latency (open-loop load),\n"+
		"for idle the server's memory per connection, or for receipts the receipt frames a sender\n"+
		"gets and how soon it sees the final count, or for presence how soon subscribers hear of\n"+
		"a user going online or offline.\n\nFlags:\n")
	visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	visible.SetOutput(out)
	fs.VisitAll(func(f *flag.Flag) {
		if !hiddenBenchFlags[f.Name] {
			visible.Var(f.Value, f.Name, f.Usage)
			visible.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	visible.PrintDefaults()
}

func printBench(w io.Writer, r *bench.Result) {
	if p := r.Presence; p != nil {
		fmt.Fprintf(w, "imwasm bench presence: %d users each subscribed to %d others, %d of them connecting and disconnecting\n", p.Users, p.Subscriptions, p.Flappers)
		fmt.Fprintf(w, "status changes      %d in %.0fs (%.1f/s), %d failed\n", p.Changes, p.Seconds, p.ChangesPerSec, p.Failed)
		fmt.Fprintf(w, "pushes to subscribers %d (%.0f frames/s)\n", p.Deliveries, p.FramesPerSec)
		fmt.Fprintf(w, "change -> subscriber  p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms (%d over 1 s)\n", p.P50Ms, p.P90Ms, p.P99Ms, p.MaxMs, p.Late)
		verdict(w, p.P99Ms <= 1000, "p99 ≤ 1 s")
		return
	}
	if rr := r.Receipts; rr != nil {
		fmt.Fprintf(w, "imwasm bench receipts: %d members all online, %d requests, each answered by every member within 1s\n", rr.Members, rr.Rounds)
		fmt.Fprintf(w, "receipt frames to the sender  %d at most per request (%v)\n", rr.Frames, rr.FramesPerRound)
		fmt.Fprintf(w, "final count exact             %v\n", rr.Exact)
		fmt.Fprintf(w, "request -> final count seen   p50 %.0f ms, p99 %.0f ms\n", rr.P50Ms, rr.P99Ms)
		return
	}
	limit := "on (5 msg/s per user)"
	if !r.RateLimit {
		limit = "OFF"
	}
	if r.Scenario == "idle" {
		fmt.Fprintf(w, "imwasm bench idle: server in its own process, %d connections, rate limit %s\n", r.Clients, limit)
		fmt.Fprintf(w, "server VmRSS   %.1f MB before, %.1f MB after %gs idle (%d sessions on the server)\n",
			float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.Seconds, r.ServerSessions)
		fmt.Fprintf(w, "per connection %.1f KB (%.0f bytes)\n", r.ServerBytesPerConn/1024, r.ServerBytesPerConn)
		if r.Lost > 0 {
			fmt.Fprintf(w, "not connected  %d\n", r.Lost)
		}
		verdict(w, r.ServerBytesPerConn <= 16*1024, "≤ 16 KB per idle connection")
		return
	}
	fmt.Fprintf(w, "imwasm bench %s: %s server, %d clients (%s store), rate limit %s\n", r.Scenario, r.Server, r.Clients, r.Store, limit)
	if r.Capacity != nil {
		fmt.Fprintf(w, "capacity search (p99 ≤ %gms, nothing lost):\n", r.Capacity.TargetP99Ms)
		for _, s := range r.Capacity.Steps {
			mark := "missed"
			if s.OK {
				mark = "ok"
			}
			if s.OtherCPU >= 0.1 {
				mark += fmt.Sprintf(" (disturbed: other processes used %.2f cores)", s.OtherCPU)
			}
			fmt.Fprintf(w, "  %8.0f msg/s offered  %9.0f delivered/s  p50 %7.1fms  p99 %7.1fms  lost %d  errors %d  late sends %d  %s\n",
				s.Rate, s.MsgsPerSec, s.P50Ms, s.P99Ms, s.Lost, s.Errors, s.LateSends, mark)
		}
		if r.Capacity.Rate > 0 {
			fmt.Fprintf(w, "capacity       %.0f msg/s offered; that run:\n", r.Capacity.Rate)
		} else {
			fmt.Fprintln(w, "capacity       no rate met the target; the first run:")
		}
	}
	fmt.Fprintf(w, "offered        %.0f msg/s from %d senders for %gs: %d sends, %d acknowledged, %d issued late (max lag %.1fms)\n",
		r.OfferedRate, r.Senders, r.Seconds, r.Sent, r.Acked, r.LateSends, r.MaxSendLagMs)
	fmt.Fprintf(w, "delivered      %d of %d expected (%d per message), lost %d\n", r.Messages, r.Expected, r.Fanout, r.Lost)
	fmt.Fprintf(w, "throughput     %.0f deliveries/s\n", r.MsgsPerSec)
	fmt.Fprintf(w, "latency        p50 %.1fms  p90 %.1fms  p99 %.1fms  p99.9 %.1fms  max %.1fms  mean %.1fms\n",
		r.P50Ms, r.P90Ms, r.P99Ms, r.P999Ms, r.MaxMs, r.MeanMs)
	if r.BenchGOGC < 0 {
		fmt.Fprintf(w, "bench GC       off, %d MiB memory limit (server process untouched)\n", r.BenchMemLimit>>20)
	} else if r.BenchGOGC > 0 {
		fmt.Fprintf(w, "bench GOGC     %d (server process untouched)\n", r.BenchGOGC)
	}
	if r.ServerCPUCores > 0 {
		fmt.Fprintf(w, "cpu            server %.2f cores (%.0fµs per message), bench %.2f cores\n", r.ServerCPUCores, r.ServerCPUPerMsgUs, r.BenchCPUCores)
	} else if r.BenchCPUCores > 0 {
		fmt.Fprintf(w, "cpu            %.2f cores (server and bench together)\n", r.BenchCPUCores)
	}
	if r.OtherCPUCores >= 0.1 {
		fmt.Fprintf(w, "WARNING        other processes used %.2f cores meanwhile: the numbers are disturbed\n", r.OtherCPUCores)
	}
	if r.StealCores >= 0.05 {
		fmt.Fprintf(w, "WARNING        the hypervisor took %.2f cores (steal): the numbers are disturbed\n", r.StealCores)
	}
	if len(r.Frames) > 0 {
		fmt.Fprint(w, "client frames ")
		for _, k := range bench.SortedErrors(r.Frames) {
			fmt.Fprintf(w, " %s %d", k, r.Frames[k])
		}
		fmt.Fprintln(w)
	}
	if len(r.Errors) == 0 {
		fmt.Fprintln(w, "send errors    none")
	} else {
		fmt.Fprint(w, "send errors   ")
		for _, c := range bench.SortedErrors(r.Errors) {
			fmt.Fprintf(w, " %s %s: %d", c, bench.ErrorName(c), r.Errors[c])
		}
		fmt.Fprintln(w)
	}
	if r.Capacity != nil {
		return
	}
	switch r.Scenario {
	case "p2p":
		verdict(w, r.MsgsPerSec >= 10000 && r.P99Ms <= 50 && r.Lost == 0, "≥ 10,000 msg/s delivered, p99 ≤ 50 ms, nothing lost")
	case "group":
		verdict(w, r.MsgsPerSec >= 100000 && r.P99Ms <= 100 && r.Lost == 0, "≥ 100,000 deliveries/s, p99 ≤ 100 ms, nothing lost")
	case "chatroom":
		if r.RSSAfter > 0 {
			fmt.Fprintf(w, "server memory  VmRSS %.1f MB before the members connected, %.1f MB after the run: %.1f KB per member\n",
				float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.ServerBytesPerConn/1024)
		}
		verdict(w, r.MsgsPerSec >= 100000 && r.P99Ms <= 200 && r.Lost == 0, "≥ 100,000 deliveries/s, p99 ≤ 200 ms, nothing lost")
		if r.RSSAfter > 0 {
			verdict(w, r.ServerBytesPerConn <= 16*1024, "≤ 16 KB of server memory per member")
		}
	case "ultragroup":
		if u := r.UltraGroup; u != nil {
			for _, p := range u.Phases {
				fmt.Fprintf(w, "%7d members  %.0f µs of server CPU per send, %.0f deliveries/s, p50 %.0f ms, p99 %.0f ms, lost %d\n",
					p.Members, p.ServerCPUPerMsgUs, p.MsgsPerSec, p.P50Ms, p.P99Ms, p.Lost)
			}
			verdict(w, u.CPURatio > 0 && u.CPURatio <= 1.2, fmt.Sprintf("server CPU per send at 100,000 members ≤ 1.2 × at 10,000 (%.2f)", u.CPURatio))
		}
	}
}

func verdict(w io.Writer, ok bool, what string) {
	v := "MISSED"
	if ok {
		v = "met"
	}
	fmt.Fprintf(w, "target (BENCHMARKS.md) %s: %s\n", what, v)
}
