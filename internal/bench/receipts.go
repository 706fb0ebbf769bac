package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/imwasm/imwasm/client"
)

// The receipts scenario (BENCHMARKS.md): one group of Members users, all online.
// In each round the first member sends a message and asks for read
// receipts (sendReadReceiptRequest); every other member answers at a
// random moment within one second of seeing the request. The sender's
// engine counts the receipt frames it is given (each one becomes one
// MESSAGE_RECEIPT_RESPONSE_V5) and the time from the request until it saw
// the final count; the counts must be exact.

// DefaultReceiptRounds is how many requests the receipts scenario makes.
const DefaultReceiptRounds = 5

// ReceiptsResult is the receipts scenario's report.
type ReceiptsResult struct {
	Scenario string `json:"scenario"`
	Members  int    `json:"members"`
	Rounds   int    `json:"rounds"`
	// Frames: the most receipt frames the sender got in one round
	// (target ≤ 20); FramesPerRound: each round's.
	Frames         int   `json:"frames"`
	FramesPerRound []int `json:"frames_per_round"`
	// Exact: every round's final count equals the members who answered,
	// each responder was reported once, and the server's count agrees.
	Exact   bool      `json:"exact"`
	FinalMs []float64 `json:"final_ms"` // request → sender sees the final count, per round
	P50Ms   float64   `json:"p50_ms"`
	P99Ms   float64   `json:"p99_ms"`
	// StealCores: CPU the hypervisor took meanwhile (see Result).
	StealCores float64 `json:"steal_cores"`
}

// receiptRound is what the sender's listener records in one round.
type receiptRound struct {
	mu         sync.Mutex
	uid        string
	want       int
	frames     int
	responders map[string]int
	last       int // highest read count seen
	asked      time.Time
	final      time.Duration
	done       chan struct{}
}

func (r *receiptRound) onEvent(ev client.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.uid == "" || ev.Receipt == nil {
		return
	}
	switch ev.Kind {
	case client.EventReceiptResponse:
		for _, u := range ev.Receipt.MessageUIDs {
			if u == r.uid {
				r.responders[ev.Receipt.UserID]++
			}
		}
	case client.EventReceiptResponseV5:
		for _, c := range ev.Receipt.Counts {
			if c.MessageUID != r.uid {
				continue
			}
			r.frames++
			r.last = max(r.last, c.ReadCount)
			if c.ReadCount == r.want && r.final == 0 {
				r.final = time.Since(r.asked)
				close(r.done)
			}
		}
	}
}

func runReceipts(ctx context.Context, cfg *Config, f *fleet) (*ReceiptsResult, error) {
	if _, err := f.setupGroup(ctx, 1); err != nil {
		return nil, err
	}
	g := client.Conversation{Type: client.Group, TargetID: f.group}
	sender, members := f.users[0], f.users[1:]
	rounds := cfg.Rounds
	if rounds <= 0 {
		rounds = DefaultReceiptRounds
	}
	res := &ReceiptsResult{Scenario: "receipts", Members: cfg.Members, Rounds: rounds, Exact: true}
	for i := range rounds {
		r := &receiptRound{want: len(members), responders: map[string]int{}, done: make(chan struct{})}
		f.receipts.Store(r)
		m := &client.Message{Conversation: g, ObjectName: "RC:TxtMsg", Content: []byte(fmt.Sprintf(`{"content":"receipts round %d"}`, i)), IsPersisted: true, IsCounted: true}
		sent, err := sender.eng.SendMessage(ctx, m, client.SendOptions{})
		if err != nil {
			return nil, fmt.Errorf("round %d: send: %w", i, err)
		}
		r.mu.Lock()
		r.uid, r.asked = sent.MessageUID, time.Now()
		r.mu.Unlock()
		if err := sender.eng.RequestReceipts(ctx, g, sent.MessageUID); err != nil {
			return nil, fmt.Errorf("round %d: request: %w", i, err)
		}
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		time.Sleep(300 * time.Millisecond) // frames after the final count would still count
		r.mu.Lock()
		res.FramesPerRound = append(res.FramesPerRound, r.frames)
		res.Frames = max(res.Frames, r.frames)
		exact := r.last == r.want && len(r.responders) == r.want
		for _, n := range r.responders {
			exact = exact && n == 1
		}
		final := r.final
		r.mu.Unlock()
		infos, err := sender.eng.ReceiptCounts(ctx, g, []string{sent.MessageUID})
		exact = exact && err == nil && len(infos) == 1 && infos[0].ReadCount == r.want && infos[0].TotalCount == r.want
		res.Exact = res.Exact && exact
		if final == 0 {
			final = 30 * time.Second // never saw it: counted as the timeout
		}
		res.FinalMs = append(res.FinalMs, float64(final.Microseconds())/1000)
		f.progress("round %d: %d receipt frames, final count after %v, exact=%v", i, r.frames, final.Round(time.Millisecond), exact)
	}
	f.receipts.Store(nil)
	sorted := append([]float64(nil), res.FinalMs...)
	sort.Float64s(sorted)
	res.P50Ms = sorted[len(sorted)/2]
	res.P99Ms = sorted[min(len(sorted)-1, int(float64(len(sorted))*0.99))]
	return res, nil
}

// answerRequest is a member's reaction to a receipt request: answer it at
// a random moment within a second.
func (u *user) answerRequest(ev client.Event) {
	c, uid := ev.Receipt.Conversation, ev.Receipt.MessageUID
	time.AfterFunc(rand.N(time.Second), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := u.eng.RespondReceipts(ctx, c, []string{uid}); err != nil {
			u.f.progress("%s: answer receipt request: %v", u.id, err)
		}
	})
}
