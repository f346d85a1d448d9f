package memory

import "strings"

// The committed state is a persistent treap ordered by (kind, key): a write
// copies the O(log n) nodes on its path and shares the rest, so a
// transaction's snapshot is just a root pointer, a commit is storing one,
// and List walks keys in order without sorting. Priorities are a seeded
// hash of the key, so the tree's shape does not depend on insertion order
// and a caller cannot choose keys that unbalance it without the seed.

type rkey struct{ kind, key string }

func compare(a, b rkey) int {
	if c := strings.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

// node is immutable once it is reachable from a committed root.
type node struct {
	k    rkey
	v    []byte
	prio uint64
	// ver identifies the write that set v; it survives path copying, so two
	// roots hold the same version of k when their nodes for k have one ver.
	ver         uint64
	left, right *node
}

func get(n *node, k rkey) *node {
	for n != nil {
		switch c := compare(k, n.k); {
		case c < 0:
			n = n.left
		case c > 0:
			n = n.right
		default:
			return n
		}
	}
	return nil
}

// insert returns a root with k set to v; n is not modified.
func insert(n *node, k rkey, v []byte, prio, ver uint64) *node {
	if n == nil {
		return &node{k: k, v: v, prio: prio, ver: ver}
	}
	m := *n
	switch c := compare(k, n.k); {
	case c == 0:
		m.v, m.ver = v, ver
	case c < 0:
		m.left = insert(n.left, k, v, prio, ver)
		if m.left.prio > m.prio { // rotate right; both nodes are fresh copies
			l := m.left
			m.left, l.right = l.right, &m
			return l
		}
	default:
		m.right = insert(n.right, k, v, prio, ver)
		if m.right.prio > m.prio { // rotate left
			r := m.right
			m.right, r.left = r.left, &m
			return r
		}
	}
	return &m
}

// remove returns a root without k; n is not modified.
func remove(n *node, k rkey) *node {
	if n == nil {
		return nil
	}
	switch c := compare(k, n.k); {
	case c < 0:
		m := *n
		m.left = remove(n.left, k)
		return &m
	case c > 0:
		m := *n
		m.right = remove(n.right, k)
		return &m
	}
	return merge(n.left, n.right)
}

// merge joins two trees whose keys are all less in a than in b.
func merge(a, b *node) *node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.prio > b.prio:
		m := *a
		m.right = merge(a.right, b)
		return &m
	}
	m := *b
	m.left = merge(a, b.left)
	return &m
}

// ascend calls fn on every node from `from` on (inclusive when incl) in
// ascending order, until fn returns false.
func ascend(n *node, from rkey, incl bool, fn func(*node) bool) bool {
	if n == nil {
		return true
	}
	if c := compare(n.k, from); c > 0 || c == 0 && incl {
		if !ascend(n.left, from, incl, fn) || !fn(n) {
			return false
		}
	}
	return ascend(n.right, from, incl, fn)
}
