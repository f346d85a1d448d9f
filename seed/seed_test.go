package seed_test

import (
	"errors"
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
	"github.com/connectfed/connectfed/seed"
)

// A seed sent to POST /connectfed/admin/seed holds its access keys to what
// --config demands of root keys: an id of 16-128 of A-Z and 0-9 (so one
// SigV4 can name) and a secret of at least 16 characters. Anything else is
// the document's fault, and nothing is imported.
func TestSeedAccessKeysChecked(t *testing.T) {
	sealer, err := seal.NewSealer(make([]byte, 32))
	testutil.Must(t, err)
	store := memory.New()
	ids := &identity.Service{Store: store, Sealer: sealer}
	const acct = connectfed.DefaultAccountID
	testutil.Must(t, ids.EnsureAccount(t.Context(), connectfed.Account{ID: acct}, nil))
	apply := seed.API(ids, &connect.Service{Store: store})
	for _, k := range []string{
		`{"accessKeyId": "", "secretAccessKey": "0123456789abcdef"}`,
		`{"accessKeyId": "AKIA/../EXAMPLE0001", "secretAccessKey": "0123456789abcdef"}`,
		`{"accessKeyId": "akiaexample00000001", "secretAccessKey": "0123456789abcdef"}`,
		`{"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": ""}`,
		`{"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": "short"}`,
	} {
		err := apply(t.Context(), acct, []byte(`{"accounts": [{"iamUsers": [{"name": "ci", "accessKeys": [`+k+`]}]}]}`))
		var e *connectfed.Error
		if !errors.As(err, &e) || e.Type != connectfed.InvalidParameterException {
			t.Errorf("seed key %s: %v", k, err)
		}
	}
	three := `{"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": "0123456789abcdef"}, {"accessKeyId": "AKIAEXAMPLE000000002", "secretAccessKey": "0123456789abcdef"}, {"accessKeyId": "AKIAEXAMPLE000000003", "secretAccessKey": "0123456789abcdef"}`
	if err := apply(t.Context(), acct, []byte(`{"accounts": [{"iamUsers": [{"name": "ci", "accessKeys": [`+three+`]}]}]}`)); err == nil {
		t.Error("a user seeded with three access keys (IAM allows two)")
	}
	if keys, err := ids.ListAccessKeys(t.Context(), acct, "ci"); err == nil && len(keys) > 0 {
		t.Errorf("refused keys were imported: %+v", keys)
	}
	testutil.Must(t, apply(t.Context(), acct, []byte(`{"accounts": [{"iamUsers": [{"name": "ci", "accessKeys": [{"accessKeyId": "AKIAEXAMPLE000000001", "secretAccessKey": "0123456789abcdef"}]}]}]}`)))
}
