package connectfed

import "context"

// Store is the persistence boundary. It is a transactional, ordered key-value
// store of JSON documents grouped by kind: every backend (SQLite, PostgreSQL)
// implements exactly these semantics, and storetest.Run proves it. Keeping the
// interface this small is what lets several replicas share one database with
// no per-type schema to migrate, while the domain packages keep their typed
// records (see records.go).
//
// Durability: when Update returns nil, the change is on stable storage.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot. Writes inside it fail.
	View(ctx context.Context, fn func(Tx) error) error

	// Update runs fn in a read-write transaction that is serializable with
	// every other Update: no lost updates, no write skew. If fn returns an
	// error nothing it wrote is kept and that error is returned. A backend may
	// run fn more than once (to retry a serialization conflict), so fn must
	// not have effects outside the transaction.
	//
	// Errors: whatever fn returns; ErrUnavailable (wrapped) when the database
	// cannot be reached; other errors are internal.
	Update(ctx context.Context, fn func(Tx) error) error

	// Health is a cheap probe for a readiness check: nil when the store
	// answers a read now. Errors: ErrUnavailable (wrapped) when it cannot be
	// reached or is closed; ctx's error when ctx ends first.
	Health(ctx context.Context) error

	// Close releases the backend's resources. Every later call fails with
	// ErrUnavailable (wrapped).
	Close() error
}

// Tx is one transaction. Keys are compared as byte strings; List returns them
// in ascending byte order. Kinds are short lower-case names ("user",
// "instance"); a key is at most 1024 bytes and a value at most 1 MiB.
type Tx interface {
	// Get returns the value stored under (kind, key), or ErrNotFound.
	Get(kind, key string) ([]byte, error)

	// Create stores a new value, or returns ErrExists if the key is taken.
	Create(kind, key string, value []byte) error

	// Put replaces an existing value, or returns ErrNotFound.
	Put(kind, key string, value []byte) error

	// Delete removes a value, or returns ErrNotFound.
	Delete(kind, key string) error

	// List returns up to limit entries of kind whose key starts with prefix
	// and is strictly greater than after (after "" means from the start),
	// ascending by key. limit <= 0 means no limit.
	List(kind, prefix, after string, limit int) ([]Entry, error)

	// DeletePrefix removes every entry of kind whose key starts with prefix
	// and returns how many it removed. An empty prefix is refused with an
	// EINVALID error, so a bug cannot wipe a whole kind.
	DeletePrefix(kind, prefix string) (int, error)
}

// Entry is one key and its value.
type Entry struct {
	Key   string
	Value []byte
}
