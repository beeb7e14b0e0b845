package upstream

// Micro-benchmark of the token cache (issue 7): every upstream request asks
// it for a token, so a hit must cost next to nothing, also when many
// clients ask at once.

import (
	"context"
	"errors"
	"testing"
	"time"
)

// cachedTokens is a token cache that already holds a live token for scope
// and fails the benchmark if it ever fetches.
func cachedTokens(b *testing.B, scope string) *tokens {
	b.Helper()
	fetch := func(context.Context, challenge, string) (token, error) {
		return token{}, errors.New("benchmark: token fetched on a cache hit")
	}
	ping := func(context.Context) (*challenge, error) {
		return nil, errors.New("benchmark: ping on a cache hit")
	}
	t := newTokens(fetch, ping)
	t.realm = &challenge{scheme: "bearer", params: map[string]string{"realm": "https://auth.example/token"}}
	t.pinged = true
	t.byScope[scope] = token{value: "live", renewAt: time.Now().Add(time.Hour)}
	return t
}

func BenchmarkTokenCacheHit(b *testing.B) {
	const scope = "repository:library/alpine:pull"
	t := cachedTokens(b, scope)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if v, err := t.get(ctx, scope); err != nil || v != "live" {
			b.Fatalf("get = %q, %v", v, err)
		}
	}
}

// BenchmarkTokenCacheHitParallel is the same hit from every core at once,
// where the cache's one mutex is what could limit it.
func BenchmarkTokenCacheHitParallel(b *testing.B) {
	const scope = "repository:library/alpine:pull"
	t := cachedTokens(b, scope)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if v, err := t.get(ctx, scope); err != nil || v != "live" {
				b.Errorf("get = %q, %v", v, err)
				return
			}
		}
	})
}
