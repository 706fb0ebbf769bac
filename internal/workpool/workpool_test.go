package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolReusesAndRetiresWorkers(t *testing.T) {
	p := New(200*time.Millisecond, nil)
	base := runtime.NumGoroutine()
	ids := make(chan int64, 100)
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		p.Run(func() { defer wg.Done(); ids <- goid() })
		time.Sleep(time.Millisecond) // the previous task is done: its worker is idle
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) > 3 {
		t.Errorf("100 sequential tasks ran on %d goroutines; idle workers should take them", len(seen))
	}
	// Concurrent tasks each get a worker.
	release := make(chan struct{})
	var started sync.WaitGroup
	for i := 0; i < 10; i++ {
		started.Add(1)
		p.Run(func() { started.Done(); <-release })
	}
	started.Wait() // would hang if a task waited for a busy worker
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines left after the idle time, %d before", n, base)
	}
	// Closing done retires idle workers at once.
	done := make(chan struct{})
	p = New(time.Hour, done)
	for i := 0; i < 3; i++ {
		p.Run(func() {})
	}
	time.Sleep(10 * time.Millisecond)
	close(done)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline.Add(5*time.Second)) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines left after done, %d before", n, base)
	}
}

// goid identifies the calling goroutine (from its stack header).
func goid() int64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	var id int64
	for _, c := range buf[len("goroutine "):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

func TestWaitWaitsForWorkers(t *testing.T) {
	done := make(chan struct{})
	p := New(time.Hour, done)
	release := make(chan struct{})
	var finished atomic.Int32
	for range 3 {
		p.Run(func() { <-release; finished.Add(1) })
	}
	close(done)
	close(release)
	p.Wait() // the idle timeout is an hour: only done ends them
	if n := finished.Load(); n != 3 {
		t.Fatalf("Wait returned with %d of 3 tasks finished", n)
	}
}
