package main

import (
	"context"
	"log/slog"
	"sort"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
)

// publishedKeys are the access keys whose secrets are published in this
// repository (README, examples): anyone can sign with them, so they are
// refused whenever the server listens beyond loopback, exactly like the
// development root key test/test. TestPublishedKeysListed keeps the list
// complete.
var publishedKeys = map[string]string{
	connectfed.DefaultAccessKey: "the development root key test/test",
	"AKIASEEDAGENTBACKEND":      "examples/seed.yaml",
	"AKIATEAMAROOT0000001":      "README.md (configuration example)",
}

// credentialPolicy says which credentials the server refuses, decided once
// at start from where it listens and whether the development account is on.
type credentialPolicy struct {
	// offLoopback refuses the published keys.
	offLoopback bool
	// devOff refuses every credential of the development account
	// (defaultAccount: false): its IAM users' keys and STS sessions too,
	// not just its root key.
	devOff bool
}

func (p credentialPolicy) refused(accessKeyID, accountID string) bool {
	if p.devOff && accountID == connectfed.DefaultAccountID {
		return true
	}
	_, published := publishedKeys[accessKeyID]
	return p.offLoopback && published
}

// report logs at start which accounts and keys are refused, and why: the
// published keys are named only when the store holds them.
func (p credentialPolicy) report(ctx context.Context, log *slog.Logger, ids *identity.Service) {
	if p.devOff {
		log.Warn("account disabled: every credential of it is refused", "account", connectfed.DefaultAccountID,
			"reason", "the development account is off (defaultAccount: false)")
	}
	if !p.offLoopback {
		return
	}
	keys := make([]string, 0, len(publishedKeys))
	for k := range publishedKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		where := publishedKeys[key]
		c, err := ids.Credential(ctx, key)
		if err != nil || c == nil {
			continue
		}
		log.Warn("access key disabled", "access_key", key, "account", c.Principal.AccountID,
			"reason", "its secret is published in "+where+"; published keys are refused off loopback")
	}
}
