package identity_test

import (
	"strings"
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/testutil"
)

func tags(kv ...string) []connectfed.SessionTag {
	var out []connectfed.SessionTag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, connectfed.SessionTag{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// PrepareSession applies STS's checks to every AssumeRole* request.
func TestPrepareSession(t *testing.T) {
	okPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"}]}`
	chain := &connectfed.SessionInfo{Tags: tags("team", "blue", "cc", "42"), TransitiveTagKeys: []string{"team"}, SourceIdentity: "alice"}
	many := make([]string, 0, 102)
	for i := 0; i < 51; i++ {
		many = append(many, "k"+strings.Repeat("x", i), "v")
	}
	for _, tc := range []struct {
		name      string
		spec      identity.SessionSpec
		inherited *connectfed.SessionInfo
		errType   connectfed.ErrorType
	}{
		{"nothing", identity.SessionSpec{}, nil, connectfed.NoErrorType},
		{"policy", identity.SessionSpec{Policy: okPolicy}, nil, connectfed.NoErrorType},
		{"malformed policy", identity.SessionSpec{Policy: `{"Statement":[]}`}, nil, connectfed.MalformedPolicyDocument},
		{"policy with a principal", identity.SessionSpec{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`}, nil, connectfed.MalformedPolicyDocument},
		{"policy of 2049 characters", identity.SessionSpec{Policy: okPolicy[:len(okPolicy)-1] + strings.Repeat(" ", 2049-len(okPolicy)) + "}"}, nil, connectfed.ValidationError},
		{"policy of 2048 characters", identity.SessionSpec{Policy: okPolicy[:len(okPolicy)-1] + strings.Repeat(" ", 2048-len(okPolicy)) + "}"}, nil, connectfed.NoErrorType},
		{"policy ARN that names no policy", identity.SessionSpec{PolicyARNs: []string{"arn:aws:iam::aws:role/ReadOnlyAccess"}}, nil, connectfed.MalformedPolicyDocument},
		{"policy ARN", identity.SessionSpec{PolicyARNs: []string{"arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess"}}, nil, connectfed.NoErrorType},
		{"duplicate tag keys", identity.SessionSpec{Tags: tags("Team", "a", "team", "b")}, nil, connectfed.InvalidParameterValue},
		{"transitive key not a tag", identity.SessionSpec{Tags: tags("team", "a"), TransitiveTagKeys: []string{"cc"}}, nil, connectfed.InvalidParameterValue},
		{"transitive key in another case", identity.SessionSpec{Tags: tags("team", "a"), TransitiveTagKeys: []string{"TEAM"}}, nil, connectfed.NoErrorType},
		{"51 tags", identity.SessionSpec{Tags: tags(many...)}, nil, connectfed.ValidationError},
		{"source identity aws:", identity.SessionSpec{SourceIdentity: "aws:x"}, nil, connectfed.ValidationError},
		{"chain keeps transitive tags and source identity", identity.SessionSpec{Tags: tags("cc", "7")}, chain, connectfed.NoErrorType},
		{"chain cannot set an inherited transitive tag", identity.SessionSpec{Tags: tags("Team", "red")}, chain, connectfed.InvalidParameterValue},
		{"chain cannot change the source identity", identity.SessionSpec{SourceIdentity: "mallory"}, chain, connectfed.AccessDenied},
		{"chain may repeat the source identity", identity.SessionSpec{SourceIdentity: "alice"}, chain, connectfed.NoErrorType},
		{"50 tags of random text do not pack", identity.SessionSpec{Tags: func() []connectfed.SessionTag {
			var ts []connectfed.SessionTag
			for i := 0; i < 50; i++ {
				ts = append(ts, connectfed.SessionTag{Key: strings.Repeat(string(rune('a'+i%26)), 60) + string(rune('A'+i/26)), Value: newSecretish(i)})
			}
			return ts
		}()}, nil, connectfed.PackedPolicyTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := identity.PrepareSession(tc.spec, tc.inherited)
			if tc.errType != connectfed.NoErrorType {
				testutil.WantType(t, err, tc.errType)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			hasInput := tc.spec.Policy != "" || len(tc.spec.PolicyARNs) > 0 || len(plan.Tags) > 0
			if hasInput != (plan.PackedPolicySize >= 0) || plan.PackedPolicySize > 100 {
				t.Errorf("PackedPolicySize = %d", plan.PackedPolicySize)
			}
		})
	}
	plan, err := identity.PrepareSession(identity.SessionSpec{Tags: tags("cc", "7")}, chain)
	if err != nil || len(plan.Tags) != 2 || plan.Tags[1] != (connectfed.SessionTag{Key: "team", Value: "blue"}) ||
		len(plan.TransitiveTagKeys) != 1 || plan.SourceIdentity != "alice" {
		t.Errorf("chained plan = %+v, %v", plan, err)
	}
}

// newSecretish is 200 characters that compress badly.
func newSecretish(seed int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 200)
	x := uint32(seed*2654435761 + 12345)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%uint32(len(alphabet))]
	}
	return string(b)
}
