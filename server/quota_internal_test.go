package server

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestUploadQuotaReserve(t *testing.T) {
	const maxBytes = 100 << 10
	for _, c := range []struct {
		name          string
		stored        int64 // bytes of one file kept (-1: none)
		length, quota int64
		status        int // 0: admitted
		limit, charge int64
		byQuota       bool
	}{
		{"no quota, known length", -1, 10, 0, 0, maxBytes, 0, false},
		{"no quota, unknown length", -1, -1, 0, 0, maxBytes, 0, false},
		{"room past the max size", -1, 10, 1 << 30, 0, maxBytes, 10 + fileOverhead, false},
		{"room past the max size, unknown length", -1, -1, 1 << 30, 0, maxBytes, maxBytes + fileOverhead, false},
		{"room under the max size", -1, 10, 20 << 10, 0, 16 << 10, 10 + fileOverhead, true},
		{"unknown length holds all the room", -1, -1, 20 << 10, 0, 16 << 10, 20 << 10, true},
		{"exactly the room", 8 << 10, 4 << 10, 20 << 10, 0, 4 << 10, 8 << 10, true},
		{"one byte past the room", 8 << 10, 4<<10 + 1, 20 << 10, http.StatusRequestEntityTooLarge, 0, 0, false},
		{"an empty file when full", 16 << 10, 0, 20 << 10, http.StatusRequestEntityTooLarge, 0, 0, false},
		{"over the quota already (lowered)", 64 << 10, -1, 20 << 10, http.StatusRequestEntityTooLarge, 0, 0, false},
	} {
		q := newUploadQuota(prometheus.NewRegistry())
		if c.stored >= 0 {
			q.add("u", c.stored)
		}
		res, ae := q.reserve("u", c.length, maxBytes, c.quota, false)
		switch {
		case c.status != 0:
			if ae == nil || ae.status != c.status {
				t.Errorf("%s: admitted %+v, want %d", c.name, res, c.status)
			}
		case ae != nil:
			t.Errorf("%s: refused %v", c.name, ae)
		case res.limit != c.limit || res.charge != c.charge || res.byQuota != c.byQuota:
			t.Errorf("%s: limit %d, charge %d, by quota %v; want %d, %d, %v", c.name, res.limit, res.charge, res.byQuota, c.limit, c.charge, c.byQuota)
		default:
			q.done(res, false, 0)
			if len(q.reserved) != 0 || len(q.active) != 0 || q.inFlight != 0 {
				t.Errorf("%s: a finished upload left %v reserved, %v active, %d in flight", c.name, q.reserved, q.active, q.inFlight)
			}
		}
	}
	// At most three at once per uploader, then a slot again.
	q := newUploadQuota(prometheus.NewRegistry())
	var held []*reservation
	for range maxUploadsAtOnce {
		res, ae := q.reserve("u", 1, maxBytes, 0, false)
		if ae != nil {
			t.Fatal(ae)
		}
		held = append(held, res)
	}
	if _, ae := q.reserve("u", 1, maxBytes, 0, false); ae == nil || ae.status != http.StatusTooManyRequests {
		t.Fatalf("a fourth at once: %v", ae)
	}
	if _, ae := q.reserve("v", 1, maxBytes, 0, false); ae != nil {
		t.Fatalf("another uploader: %v", ae)
	}
	q.done(held[0], true, 1)
	if _, ae := q.reserve("u", 1, maxBytes, 0, false); ae != nil {
		t.Fatalf("after one finished: %v", ae)
	}
	q.remove("u", 1)
	if len(q.stored) != 0 || q.files != 0 || q.bytes != 0 {
		t.Fatalf("after removing the only file: %v, %d files, %d bytes", q.stored, q.files, q.bytes)
	}
}
