package server

import (
	"slices"
	"testing"
	"time"
)

// A before-send call takes the caller's job, then the oldest waiting for
// the same URL, up to its size; jobs whose sender left or whose time is up
// are dropped, and jobs for another URL wait for a call of their own.
func TestBeforeSendTake(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	job := func(name, url string, left bool) *beforeSendJob {
		j := &beforeSendJob{url: url, ev: &webhookEvent{ID: name}, deadline: now.Add(time.Second)}
		j.left.Store(left)
		return j
	}
	late := func(name, url string) *beforeSendJob {
		j := job(name, url, false)
		j.deadline = now
		return j
	}
	names := func(jobs []*beforeSendJob) []string {
		var out []string
		for _, j := range jobs {
			out = append(out, j.ev.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		first       *beforeSendJob
		waiting     []*beforeSendJob
		n           int
		took, stays []string
	}{
		{"the oldest first, up to n", nil,
			[]*beforeSendJob{job("a", "u1", false), job("b", "u1", false), job("c", "u1", false)}, 2,
			[]string{"a", "b"}, []string{"c"}},
		{"the caller's job, then the waiting", job("x", "u1", false),
			[]*beforeSendJob{job("a", "u1", false), job("b", "u1", false)}, 2,
			[]string{"x", "a"}, []string{"b"}},
		{"senders that left are dropped", nil,
			[]*beforeSendJob{job("a", "u1", true), job("b", "u1", false), job("c", "u1", true)}, 5,
			[]string{"b"}, nil},
		{"one URL per call, the others wait in order", nil,
			[]*beforeSendJob{job("a", "u1", false), job("b", "u2", false), job("c", "u1", false), job("d", "u2", false)}, 5,
			[]string{"a", "c"}, []string{"b", "d"}},
		{"the caller's URL decides", job("x", "u2", false),
			[]*beforeSendJob{job("a", "u1", false), job("b", "u2", false)}, 5,
			[]string{"x", "b"}, []string{"a"}},
		{"all left: nothing to call", nil,
			[]*beforeSendJob{job("a", "u1", true)}, 5,
			nil, nil},
		{"jobs whose time is up are dropped", nil,
			[]*beforeSendJob{late("a", "u1"), job("b", "u1", false), late("c", "u2")}, 5,
			[]string{"b"}, nil},
		{"a full call leaves the rest as it is", nil,
			[]*beforeSendJob{job("a", "u1", false), job("b", "u1", false), job("c", "u1", true), late("d", "u1")}, 2,
			[]string{"a", "b"}, []string{"c", "d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &beforeSendQueue{waiting: tc.waiting}
			took := names(q.takeLocked(tc.first, tc.n, now))
			if !slices.Equal(took, tc.took) || !slices.Equal(names(q.waiting), tc.stays) {
				t.Fatalf("took %v, left waiting %v; want %v and %v", took, names(q.waiting), tc.took, tc.stays)
			}
		})
	}
}
