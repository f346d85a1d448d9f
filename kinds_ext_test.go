package connectfed_test

import (
	"testing"

	"github.com/connectfed/connectfed"
	_ "github.com/connectfed/connectfed/agent"
	_ "github.com/connectfed/connectfed/audit"
	_ "github.com/connectfed/connectfed/connect"
	_ "github.com/connectfed/connectfed/federation"
	_ "github.com/connectfed/connectfed/identity"
)

// TestRecordKinds: linking every package that stores records registers
// their kinds without a clash (a clash panics before this runs), and each
// kind this test knows is owned by the package that keeps it.
func TestRecordKinds(t *testing.T) {
	kinds := connectfed.Kinds()
	for owner, ks := range map[string][]string{
		"identity":   {"account", "rootkey", "iamuser", "iamrole", "accesskey", "userkey", "inlinepolicy", "stssession", "samlprovider", "oidcprovider", "samlreplay"},
		"connect":    {"instance", "instancealias", "secprofile", "routingprofile", "queue", "user", "username", "hours", "hierarchygroup", "hierarchystruct"},
		"federation": {"revokedfamily", "refreshused", "signingkey", "websession", "signinused"},
		"audit":      {"audit"},
		"agent":      {"agentstatus", "agentstate", "approvedorigin", "contact", "livecontact", "contactflowtags"},
	} {
		for _, k := range ks {
			if kinds[k] != owner {
				t.Errorf("kind %q is owned by %q, want %q", k, kinds[k], owner)
			}
		}
	}
}
