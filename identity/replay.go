package identity

import (
	"context"
	"errors"
	"time"

	cs "github.com/crewjam/saml"

	"github.com/connectfed/connectfed"
)

var kindSAMLReplay = connectfed.RegisterKind("samlreplay", "identity") // "<assertion id>": until when it was acceptable

// ReplayCache records the SAML assertions the browser endpoint accepted, in
// the store, so that every replica refuses a second use. It implements
// crewjam/saml's AssertionReplayCache.
type ReplayCache struct {
	S   *Service
	Ctx context.Context
}

// SAMLReplayCache returns the store-backed replay cache for ctx.
func (s *Service) SAMLReplayCache(ctx context.Context) *ReplayCache {
	return &ReplayCache{S: s, Ctx: ctx}
}

type replayRecord struct {
	Until time.Time `json:"until"`
}

// Consume records id until expiresAt, or returns cs.ErrAssertionReplayed if
// it is recorded and not yet past. A record past its time is reused (an
// assertion ID reappearing after its expiry is refused anyway by its own
// validity).
func (c *ReplayCache) Consume(id string, expiresAt time.Time) error {
	if len(id) > 512 {
		id = id[:512]
	}
	now := c.S.now()
	return c.S.Store.Update(c.Ctx, func(tx connectfed.Tx) error {
		var rec replayRecord
		err := connectfed.GetJSON(tx, kindSAMLReplay, id, &rec)
		switch {
		case errors.Is(err, connectfed.ErrNotFound):
			return connectfed.CreateJSONExpiring(tx, kindSAMLReplay, id, replayRecord{Until: expiresAt.UTC()}, expiresAt)
		case err != nil:
			return err
		case now.Before(rec.Until):
			return cs.ErrAssertionReplayed
		}
		if err := connectfed.PutJSON(tx, kindSAMLReplay, id, replayRecord{Until: expiresAt.UTC()}); err != nil {
			return err
		}
		return connectfed.Reexpire(tx, kindSAMLReplay, id, rec.Until, expiresAt)
	})
}
