package ccp

import "sync"

// Hub wakes the open CCPs of an instance when its agents or contacts
// change on this replica. (Changes made by other replicas are seen by the
// push loop's once-a-second check.)
type Hub struct {
	mu     sync.Mutex
	subs   map[string]map[chan struct{}]struct{}
	closed chan struct{}
}

// Close ends every open push stream (the server is shutting down; a
// graceful shutdown would otherwise wait for streams that never end). The
// pages reconnect to whatever serves next.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done():
	default:
		close(h.closed)
	}
}

// done is closed by Close. Call with h.mu held.
func (h *Hub) done() chan struct{} {
	if h.closed == nil {
		h.closed = make(chan struct{})
	}
	return h.closed
}

// Notify wakes every listener of an instance (key from agent.InstanceKey).
func (h *Hub) Notify(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[key] {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

// subscribe returns a channel woken on changes, one closed when the hub
// closes, and a function that ends the subscription.
func (h *Hub) subscribe(key string) (chan struct{}, <-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	closed := h.done()
	if h.subs == nil {
		h.subs = map[string]map[chan struct{}]struct{}{}
	}
	if h.subs[key] == nil {
		h.subs[key] = map[chan struct{}]struct{}{}
	}
	h.subs[key][ch] = struct{}{}
	h.mu.Unlock()
	return ch, closed, func() {
		h.mu.Lock()
		delete(h.subs[key], ch)
		if len(h.subs[key]) == 0 {
			delete(h.subs, key)
		}
		h.mu.Unlock()
	}
}
