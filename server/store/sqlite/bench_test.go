package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imwasm/imwasm/server/store"
)

// BenchmarkAppend measures the store alone: many producers (as many
// connections would be) appending to 1,000 private conversations.
func BenchmarkAppend(b *testing.B) {
	d, err := Open(context.Background(), filepath.Join(b.TempDir(), "im.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	var n atomic.Int64
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			from, to := fmt.Sprint("u", i%1000), fmt.Sprint("v", i%1000)
			// Client ids shaped as the SDK makes them: time, then random.
			cid := strconv.FormatInt(time.Now().UnixMilli(), 36) + "-" + strconv.FormatUint(rand.Uint64(), 36)
			if _, _, err := d.Append(context.Background(), store.PrivateConvID(from, to), msg(from, to, cid)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
