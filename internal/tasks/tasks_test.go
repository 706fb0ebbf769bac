package tasks

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitWaitsForRunningTasks(t *testing.T) {
	var g Group
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	var finished atomic.Int32
	for range 2 {
		if !g.Go(func() { started <- struct{}{}; <-release; finished.Add(1) }) {
			t.Fatal("Go refused before Stop")
		}
	}
	<-started
	<-started
	g.Stop()
	if g.Go(func() { t.Error("a task started after Stop ran") }) || g.Add() {
		t.Fatal("Stop did not refuse new tasks")
	}
	waited := make(chan int32)
	go func() { g.Wait(); waited <- finished.Load() }()
	close(release)
	if n := <-waited; n != 2 {
		t.Fatalf("Wait returned with %d of 2 tasks finished", n)
	}
	g.Stop() // again: nothing happens
	g.Wait()
}

func TestStopWithNothingRunning(t *testing.T) {
	var g Group
	g.Stop()
	g.Wait()
}

func TestTimers(t *testing.T) {
	t.Run("a pending timer is stopped", func(t *testing.T) {
		var g Group
		if g.AfterFunc(time.Hour, func() { t.Error("a stopped timer fired") }) == nil {
			t.Fatal("AfterFunc refused before Stop")
		}
		g.Stop()
		g.Wait()
		if len(g.timers) != 0 {
			t.Fatalf("%d timers kept after Stop", len(g.timers))
		}
		if g.AfterFunc(0, func() { t.Error("a timer armed after Stop fired") }) != nil {
			t.Fatal("AfterFunc armed a timer after Stop")
		}
	})
	t.Run("a firing timer is waited for", func(t *testing.T) {
		var g Group
		running, release := make(chan struct{}), make(chan struct{})
		var finished atomic.Bool
		g.AfterFunc(0, func() { close(running); <-release; finished.Store(true) })
		<-running
		g.Stop()
		go close(release)
		g.Wait()
		if !finished.Load() {
			t.Fatal("Wait returned while a timer's function ran")
		}
	})
	t.Run("a fired timer leaves the set", func(t *testing.T) {
		var g Group
		done := make(chan struct{})
		g.AfterFunc(0, func() { close(done) })
		<-done
		g.Stop()
		g.Wait()
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.timers) != 0 {
			t.Fatalf("%d timers kept", len(g.timers))
		}
	})
}
