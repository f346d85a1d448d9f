package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/connectfed/connectfed"
)

// benchValue is a typical stored document.
var benchValue = []byte(`{"id":"00000000-0000-0000-0000-000000000000","name":"benchmark user","created":"2031-07-09T23:59:58.123456789Z"}`)

// BenchGet measures reads on a store holding 10,000 records: a Get in its
// own View, Gets inside one open View, and a List of 100. Every backend's
// BenchmarkGet calls it, so the numbers compare like with like.
func BenchGet(b *testing.B, db connectfed.Store) {
	ctx := context.Background()
	const n = 10000
	if err := db.Update(ctx, func(tx connectfed.Tx) error {
		for i := range n {
			if err := tx.Create("user", "user/"+strconv.Itoa(i), benchValue); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "user/" + strconv.Itoa((i*7919)%n)
	}
	b.Run("View", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			key := keys[i%n]
			i++
			if err := db.View(ctx, func(tx connectfed.Tx) error {
				_, err := tx.Get("user", key)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("InView", func(b *testing.B) {
		b.ReportAllocs()
		if err := db.View(ctx, func(tx connectfed.Tx) error {
			i := 0
			for b.Loop() {
				if _, err := tx.Get("user", keys[i%n]); err != nil {
					return err
				}
				i++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("List100", func(b *testing.B) {
		b.ReportAllocs()
		if err := db.View(ctx, func(tx connectfed.Tx) error {
			for b.Loop() {
				es, err := tx.List("user", "user/1", "", 100)
				if err != nil {
					return err
				}
				if len(es) != 100 {
					return fmt.Errorf("List returned %d", len(es))
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	})
}
