package identity

// UnknownKeys is the number of entries the unknown-key cache holds.
func UnknownKeys(s *Service) int { return s.unknown.Len() }

// KeyLookupsWaiting is the number of lookups queued for a store read.
func KeyLookupsWaiting(s *Service) int64 { return s.keyLookupsWaiting.Load() }
