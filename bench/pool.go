package bench

import "time"

// pool runs each job at once on an idle worker, or on a new goroutine when
// every worker is busy: it never queues, so the schedule stays open-loop.
// Workers are reused (their stacks have grown already) and leave after
// idling for a while.
type pool struct{ work chan func() }

func newPool() *pool { return &pool{work: make(chan func())} }

const workerIdle = 2 * time.Second

func (p *pool) do(fn func()) {
	select {
	case p.work <- fn:
	default:
		go p.worker(fn)
	}
}

func (p *pool) worker(fn func()) {
	fn()
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		select {
		case fn := <-p.work:
			fn()
			t.Reset(workerIdle)
		case <-t.C:
			return
		}
	}
}
