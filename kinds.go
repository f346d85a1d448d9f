package connectfed

import (
	"fmt"
	"maps"
	"sync"
)

// The registry of record kinds. Every package that stores records declares
// each kind it owns with RegisterKind, next to the code that keeps it:
//
//	var kindUser = connectfed.RegisterKind("iamuser", "identity")
//
// so two packages cannot come to store under one kind: the second
// registration panics when the program starts (and in every test that links
// both). Kinds lists them all.
var kindRegistry struct {
	mu     sync.Mutex
	owners map[string]string
}

// RegisterKind reserves kind for the package owner and returns kind. A kind
// is 1 to 32 lower-case ASCII letters; an invalid or already registered kind
// panics, as a programming error.
func RegisterKind(kind, owner string) string {
	if len(kind) == 0 || len(kind) > 32 {
		panic(fmt.Sprintf("connectfed: record kind %q: want 1 to 32 lower-case letters", kind))
	}
	for i := 0; i < len(kind); i++ {
		if kind[i] < 'a' || kind[i] > 'z' {
			panic(fmt.Sprintf("connectfed: record kind %q: want 1 to 32 lower-case letters", kind))
		}
	}
	r := &kindRegistry
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.owners[kind]; ok {
		panic(fmt.Sprintf("connectfed: record kind %q registered by %s and again by %s", kind, prev, owner))
	}
	if r.owners == nil {
		r.owners = map[string]string{}
	}
	r.owners[kind] = owner
	return kind
}

// Kinds returns every registered kind with its owner.
func Kinds() map[string]string {
	r := &kindRegistry
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.owners)
}
