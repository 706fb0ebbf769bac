package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/imwasm/imwasm/proto/codes"
	"github.com/imwasm/imwasm/server/files"
	"github.com/prometheus/client_golang/prometheus"
)

// Upload quotas: without them one token stored 301 MB in 2.5 s, kept
// forever by default, and a full disk stops SQLite and all messaging. Each
// uploader id (a user's, or an app-server token's subject) keeps at most
// the uploadQuotaBytes setting, and has at most maxUploadsAtOnce uploads
// in progress.

// maxUploadsAtOnce per uploader; one more is refused with 20607.
const maxUploadsAtOnce = 3

// fileOverhead is what each stored file counts beyond its bytes: its
// metadata takes a block of its own, so without it empty files would fill
// the disk (and its inodes) under any quota of bytes.
const fileOverhead = 4 << 10

// uploadQuota accounts for what each uploader keeps and is uploading.
type uploadQuota struct {
	mu       sync.Mutex
	stored   map[string]int64 // per uploader: bytes of files kept plus fileOverhead each
	reserved map[string]int64 // per uploader: what uploads in progress may still take
	active   map[string]int   // per uploader: uploads in progress
	files    int64            // files kept, for /metrics
	bytes    int64            // their bytes, for /metrics
	inFlight int              // uploads in progress, for /metrics
}

func newUploadQuota(reg prometheus.Registerer) *uploadQuota {
	q := &uploadQuota{stored: map[string]int64{}, reserved: map[string]int64{}, active: map[string]int{}}
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { q.mu.Lock(); defer q.mu.Unlock(); return f() }))
	}
	gauge("imwasm_uploads_in_progress", "Uploads being received.", func() float64 { return float64(q.inFlight) })
	gauge("imwasm_upload_files", "Uploaded files kept.", func() float64 { return float64(q.files) })
	gauge("imwasm_upload_bytes", "Bytes of the uploaded files kept.", func() float64 { return float64(q.bytes) })
	return q
}

// load counts the files fs keeps (at start, before any upload).
func (q *uploadQuota) load(ctx context.Context, fs files.FileStore) error {
	err := fs.Walk(ctx, func(m files.Meta) error {
		q.add(m.Uploader, m.Size)
		return nil
	})
	if err != nil {
		return fmt.Errorf("count the stored files: %w", err)
	}
	return nil
}

func (q *uploadQuota) add(user string, size int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(user, size)
}

func (q *uploadQuota) addLocked(user string, size int64) {
	q.stored[user] += size + fileOverhead
	q.files++
	q.bytes += size
}

// remove forgets a file deleted (by retention or an erasure).
func (q *uploadQuota) remove(user string, size int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stored[user] -= size + fileOverhead; q.stored[user] <= 0 {
		delete(q.stored, user)
	}
	q.files--
	q.bytes -= size
}

// reservation is an admitted upload's claim on its uploader's quota.
type reservation struct {
	user    string
	charge  int64 // taken from the quota while the upload runs
	limit   int64 // the largest body it may send
	byQuota bool  // limit is the quota's, not the largest upload's
}

// reserve admits an upload by user of length bytes (-1: unknown), at most
// maxBytes, under quota (0: none), and at most maxUploadsAtOnce at once
// unless unlimited (app-server tokens). While it runs it holds what it may
// take, its length or else all it could, so that uploads in parallel
// cannot pass the quota together.
func (q *uploadQuota) reserve(user string, length, maxBytes, quota int64, unlimited bool) (*reservation, *apiError) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.active[user] >= maxUploadsAtOnce && !unlimited {
		return nil, &apiError{http.StatusTooManyRequests, codes.RequestOverFrequency, fmt.Sprintf("at most %d uploads at once", maxUploadsAtOnce)}
	}
	res := &reservation{user: user, limit: maxBytes}
	if quota > 0 {
		room := quota - q.stored[user] - q.reserved[user] - fileOverhead // bytes the file itself may have
		if room < 0 || length > room {
			return nil, &apiError{http.StatusRequestEntityTooLarge, codes.FileSizeExceedLimit,
				fmt.Sprintf("the file would take its uploader past the upload quota of %d bytes (each file counts %d bytes more)", quota, fileOverhead)}
		}
		if room < maxBytes {
			res.limit, res.byQuota = room, true
		}
		res.charge = res.limit + fileOverhead
		if length >= 0 {
			res.charge = length + fileOverhead // the server reads no more than the announced length
		}
	}
	q.reserved[user] += res.charge
	q.active[user]++
	q.inFlight++
	return res, nil
}

// done ends an upload: stored says whether its file of size bytes was
// kept.
func (q *uploadQuota) done(res *reservation, stored bool, size int64) {
	q.mu.Lock()
	if q.reserved[res.user] -= res.charge; q.reserved[res.user] <= 0 {
		delete(q.reserved, res.user)
	}
	if q.active[res.user]--; q.active[res.user] <= 0 {
		delete(q.active, res.user)
	}
	q.inFlight--
	if stored { // in the same critical section: the file is never counted as neither
		q.addLocked(res.user, size)
	}
	q.mu.Unlock()
}
