package awsapi

import "sync"

// shares counts each account's requests in progress against a cap. An
// account with none has no entry, so the map holds only active accounts.
type shares struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func (s *shares) acquire(account string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == nil {
		s.n = map[string]int{}
	}
	if s.n[account] >= s.max {
		return false
	}
	s.n[account]++
	return true
}

func (s *shares) release(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[account] <= 1 {
		delete(s.n, account)
		return
	}
	s.n[account]--
}
