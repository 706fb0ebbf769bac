package server

import (
	"context"
	"fmt"
	"testing"
)

type blacklists map[string]map[string]int64

func (b blacklists) Blacklist(_ context.Context, user string) (map[string]int64, error) {
	return b[user], nil
}

// The blacklist check every private send makes, once the recipient's list
// is cached (BENCHMARKS.md, issue 21).
func BenchmarkBlockCheck(b *testing.B) {
	lists := blacklists{}
	for i := range 2000 {
		if i%10 == 0 {
			lists[fmt.Sprint("u", i)] = map[string]int64{"x": 1}
		}
	}
	c := &blockCache{store: lists, lists: map[string]map[string]int64{}}
	ctx := context.Background()
	for i := range 2000 {
		c.blocks(ctx, fmt.Sprint("u", i), "y")
	}
	users := make([]string, 2000)
	for i := range users {
		users[i] = fmt.Sprint("u", i)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if blocked, _ := c.blocks(ctx, users[i%len(users)], "y"); blocked {
				b.Fatal("blocked")
			}
			i++
		}
	})
}

func TestBlockCacheFollowsChanges(t *testing.T) {
	lists := blacklists{"a": {"b": 1}}
	c := &blockCache{store: lists, lists: map[string]map[string]int64{}}
	ctx := context.Background()
	if blocked, _ := c.blocks(ctx, "a", "b"); !blocked {
		t.Fatal("a does not block b")
	}
	if blocked, _ := c.blocks(ctx, "b", "a"); blocked {
		t.Fatal("b blocks a")
	}
	lists["a"] = nil
	if blocked, _ := c.blocks(ctx, "a", "b"); !blocked {
		t.Fatal("the cached list was not used")
	}
	c.invalidate("a")
	if blocked, _ := c.blocks(ctx, "a", "b"); blocked {
		t.Fatal("an invalidated list was kept")
	}
}
