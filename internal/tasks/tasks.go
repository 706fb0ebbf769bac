// Package tasks tracks the goroutines and timers an owner starts (the
// server, a client engine), so that its Close can stop the timers and wait
// for the goroutines: nothing it started outlives it, and nothing uses what
// Close releases afterwards.
//
// Starting a goroutine costs one atomic operation and no allocation (the
// server starts writers on its send path); timers, which are rarer, take a
// lock.
package tasks

import (
	"sync"
	"sync/atomic"
	"time"
)

// stopped is set in Group.n once Stop was called; the bits below count
// the running tasks.
const stopped = 1 << 62

// Group is a set of tasks. The zero value is ready to use.
type Group struct {
	n atomic.Int64 // running tasks, plus stopped

	mu     sync.Mutex
	idle   chan struct{}            // closed when no task runs after Stop; made by Stop
	timers map[*time.Timer]struct{} // pending timers, stopped by Stop
}

// Add counts a task its caller is about to start, as in
//
//	if g.Add() { go t.loop() } // loop ends with defer g.Done()
//
// and reports false, counting nothing, once Stop was called.
func (g *Group) Add() bool {
	for {
		n := g.n.Load()
		if n&stopped != 0 {
			return false
		}
		if g.n.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Done ends a task counted by Add.
func (g *Group) Done() {
	if g.n.Add(-1) == stopped {
		close(g.idle) // the last task after Stop
	}
}

// Go runs f on a new goroutine as a task, or reports false once Stop was
// called.
func (g *Group) Go(f func()) bool {
	if !g.Add() {
		return false
	}
	go func() {
		defer g.Done()
		f()
	}()
	return true
}

// AfterFunc is time.AfterFunc whose f runs as a task: Stop stops the timer
// if it has not fired, Wait waits for an f that runs. It returns nil, and
// arms nothing, once Stop was called.
func (g *Group) AfterFunc(d time.Duration, f func()) *time.Timer {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n.Load()&stopped != 0 {
		return nil
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		g.mu.Lock() // after AfterFunc below has put t in timers
		delete(g.timers, t)
		g.mu.Unlock()
		if !g.Add() {
			return // fired as Stop ran
		}
		defer g.Done()
		f()
	})
	if g.timers == nil {
		g.timers = map[*time.Timer]struct{}{}
	}
	g.timers[t] = struct{}{}
	return t
}

// Stop refuses new tasks and stops the pending timers; tasks that run go
// on (see Wait). Calling it again does nothing.
func (g *Group) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.idle != nil {
		return
	}
	g.idle = make(chan struct{})
	if g.n.Or(stopped) == 0 {
		close(g.idle) // nothing runs: no Done will
	}
	for t := range g.timers {
		t.Stop()
	}
	clear(g.timers)
}

// Wait waits until no task runs; call it after Stop.
func (g *Group) Wait() {
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	if idle == nil {
		panic("tasks: Wait before Stop")
	}
	<-idle
}
