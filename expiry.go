package connectfed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expiry is part of the store contract, as dex's GarbageCollect is: an
// entry created with CreateExpiring may be deleted by GarbageCollect once
// its expiry has passed; until it is, it reads like any other entry (the
// domain code that wrote it still checks the expiry in its value). The
// expiry index is itself entries of KindExpiry, keyed
// "<expiry, 19-digit Unix nanoseconds>/<kind>/<key>", so it works on every
// backend with no schema of its own and GarbageCollect reads it in expiry
// order. An expiring entry given a later lifetime in place must say so
// with Reexpire (else its earlier index entry deletes it early); most
// callers use fresh random or per-generation keys and never do.

// KindExpiry is the kind of the expiry index.
var KindExpiry = RegisterKind("expiry", "connectfed")

// gcBatch is how many expired entries one GarbageCollect transaction
// deletes.
const gcBatch = 256

func expiryKey(expires time.Time, kind, key string) string {
	n := expires.UnixNano()
	if n < 0 {
		n = 0
	}
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", 19-len(s)) + s + "/" + kind + "/" + key
}

// CreateExpiring is Tx.Create for an entry that GarbageCollect deletes
// once expires has passed.
func CreateExpiring(tx Tx, kind, key string, value []byte, expires time.Time) error {
	if err := tx.Create(kind, key, value); err != nil {
		return err
	}
	err := tx.Create(KindExpiry, expiryKey(expires, kind, key), []byte{})
	if errors.Is(err, ErrExists) {
		return nil
	}
	return err
}

// CreateJSONExpiring is CreateJSON for an entry that GarbageCollect
// deletes once expires has passed.
func CreateJSONExpiring(tx Tx, kind, key string, v any, expires time.Time) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	return CreateExpiring(tx, kind, key, b, expires)
}

// Reexpire moves an entry's expiry from old to expires (for an entry that
// is replaced in place with a new lifetime): the index entry of old goes,
// so it cannot delete the entry early.
func Reexpire(tx Tx, kind, key string, old, expires time.Time) error {
	if err := tx.Delete(KindExpiry, expiryKey(old, kind, key)); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	err := tx.Create(KindExpiry, expiryKey(expires, kind, key), []byte{})
	if errors.Is(err, ErrExists) {
		return nil
	}
	return err
}

// GarbageCollect deletes every entry whose expiry is at or before now,
// with its index entry, in transactions of at most gcBatch entries, and
// returns how many entries it deleted (an entry its owner already deleted
// is not counted). It stops at ctx's end; what it deleted stays deleted.
func GarbageCollect(ctx context.Context, s Store, now time.Time) (int, error) {
	limit := expiryKey(now, "", "")
	limit = limit[:19] + "0" // every key of an expiry <= now sorts below
	total := 0
	for {
		n, more := 0, false
		err := s.Update(ctx, func(tx Tx) error {
			n, more = 0, false
			entries, err := tx.List(KindExpiry, "", "", gcBatch)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if e.Key >= limit {
					return nil
				}
				var kind, key string
				if len(e.Key) > 20 {
					kind, key, _ = strings.Cut(e.Key[20:], "/")
				}
				if err := tx.Delete(KindExpiry, e.Key); err != nil {
					return err
				}
				if kind == "" {
					continue
				}
				switch err := tx.Delete(kind, key); {
				case err == nil:
					n++
				case !errors.Is(err, ErrNotFound):
					return err
				}
			}
			more = len(entries) == gcBatch
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if !more {
			return total, nil
		}
	}
}
