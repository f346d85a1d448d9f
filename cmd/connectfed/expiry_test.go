package main

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
)

// expiringKinds are the kinds whose entries carry an expiry. STS sessions
// are not stored (their tokens carry them); those stored by an earlier
// version ("stssession") expire the same way.
var expiringKinds = []string{"websession", "signinused", "refreshused", "revokedfamily", "audit", connectfed.KindExpiry}

func countKinds(t *testing.T, s connectfed.Store, kinds ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := s.View(context.Background(), func(tx connectfed.Tx) error {
		for _, k := range kinds {
			es, err := tx.List(k, "", "", 0)
			if err != nil {
				return err
			}
			out[k] = len(es)
		}
		return nil
	})
	must(t, err)
	return out
}

// TestExpiredRowsGoAway is the CI-sized version of the expiry soak: every
// kind of entry that carries an expiry (used sign-in and refresh tokens,
// browser sessions, revoked families, audit records past
// --audit-retention) is deleted by the periodic sweep once it has expired,
// and nothing else is.
func TestExpiredRowsGoAway(t *testing.T) {
	f := newFedFixture(t, "--gc-interval", "100ms", "--audit-retention", "1h")
	tok := f.federate(t) // a token family
	_, refresh := *tok.Credentials.AccessToken, *tok.Credentials.RefreshToken
	if status, _, _ := f.refresh(t, refresh); status != 200 {
		t.Fatalf("refresh: %d", status)
	}
	f.refresh(t, refresh) // reuse: the family is revoked
	tok = f.federate(t)
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(*tok.SignInUrl) // a used sign-in token and a browser session
	must(t, err)
	resp.Body.Close()
	must(t, f.srv.m.audit.Flush(context.Background()))

	before := countKinds(t, f.srv.m.store, expiringKinds...)
	for _, k := range expiringKinds {
		if before[k] == 0 {
			t.Fatalf("no %s entry to expire: %v", k, before)
		}
	}
	stable := []string{"instance", "user", "iamuser", "iamrole", "accesskey", "account", "rootkey"}
	stableBefore := countKinds(t, f.srv.m.store, stable...)

	// Still valid: the sweep keeps everything.
	time.Sleep(300 * time.Millisecond)
	if now := countKinds(t, f.srv.m.store, expiringKinds...); now["websession"] != before["websession"] {
		t.Fatalf("the sweep deleted entries that have not expired: %v, before %v", now, before)
	}

	// Past every expiry (refresh tokens: 12h; audit retention: 1h).
	f.clock.Set(13 * time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	var after map[string]int
	for {
		after = countKinds(t, f.srv.m.store, expiringKinds...)
		left := 0
		for _, n := range after {
			left += n
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, k := range expiringKinds {
		if after[k] != 0 {
			t.Errorf("%d %s entries left after they expired (before: %d)", after[k], k, before[k])
		}
	}
	if got := countKinds(t, f.srv.m.store, stable...); len(got) != len(stableBefore) {
		t.Errorf("kinds without expiry changed: %v, before %v", got, stableBefore)
	} else {
		for k, n := range stableBefore {
			if got[k] != n {
				t.Errorf("%s: %d entries, before %d: the sweep deleted what does not expire", k, got[k], n)
			}
		}
	}
	if _, body := get(t, f.srv.url+"/metrics"); !strings.Contains(body, "connectfed_expired_deleted_total ") || strings.Contains(body, "connectfed_expired_deleted_total 0\n") {
		t.Errorf("/metrics does not count the deleted entries")
	}
	t.Logf("expired and deleted: %v", before)
}
