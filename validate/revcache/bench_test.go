package revcache_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/lienthong/lienthong/validate/revcache"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func BenchmarkCacheHit(b *testing.B) {
	c, err := revcache.New[*struct{ status int }](revcache.Options{}, fixedClock{t0})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	k := revcache.Key{Source: revcache.SourceOCSP, IssuerKeyHash: sha256.Sum256([]byte("CA")),
		Serial: "5d2f9a0c3b7e41a8e0f1c2d3b4a59687"}
	c.Set(k, &struct{ status int }{1}, t0.Add(time.Hour))
	fetch := func(context.Context) (*struct{ status int }, time.Time, error) {
		b.Fatal("fetched on a hit")
		return nil, time.Time{}, nil
	}
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, r := c.Get(k); r != revcache.Hit {
				b.Fatal(r)
			}
		}
	})
	b.Run("GetOrFetch", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			if _, r, err := c.GetOrFetch(ctx, k, fetch); r != revcache.Hit || err != nil {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("GetParallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Get(k)
			}
		})
	})
}
