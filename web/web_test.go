package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/federation"
	"github.com/connectfed/connectfed/memory"
	"github.com/connectfed/connectfed/seal"
	"github.com/connectfed/connectfed/web"
)

type recorder struct {
	mu     sync.Mutex
	events []connectfed.Event
}

func (r *recorder) Emit(_ context.Context, e connectfed.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Name())
	}
	return out
}

type env struct {
	srv  *httptest.Server
	fed  *federation.Service
	user *connectfed.User
	inst *connectfed.Instance
	ev   *recorder
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, memory.New())
}

func newEnvOn(t *testing.T, store connectfed.Store) *env {
	t.Helper()
	ctx := t.Context()
	cs := &connect.Service{Store: store}
	sc := connect.Scope{AccountID: "111122223333", Region: "us-east-1"}
	inst, err := cs.CreateInstance(ctx, sc, connect.CreateInstanceInput{Alias: "web", IdentityManagementType: connectfed.IdentitySAML})
	must(t, err)
	sps, _, err := cs.ListSecurityProfiles(ctx, sc, inst.ID, "", 1)
	must(t, err)
	rps, _, err := cs.ListRoutingProfiles(ctx, sc, inst.ID, "", 1)
	must(t, err)
	u, err := cs.CreateUser(ctx, sc, inst.ID, connect.CreateUserInput{Username: "alice", SecurityProfileIDs: []string{sps[0].ID}, RoutingProfileID: rps[0].ID})
	must(t, err)
	sealer, _ := seal.NewSealer(make([]byte, 32))
	kr, err := federation.OpenKeyRing(ctx, store, sealer, time.Now, 24*time.Hour, 12*time.Hour)
	must(t, err)
	fed := &federation.Service{Store: store, Connect: cs, Keys: kr}
	ev := &recorder{}
	mux := http.NewServeMux()
	(&web.Handler{Fed: fed, Log: slog.New(slog.DiscardHandler), Events: ev}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fed.PublicURL = srv.URL
	return &env{srv: srv, fed: fed, user: u, inst: inst, ev: ev}
}

// post sends a JSON body and returns the status, the error type header and
// the decoded body.
func (e *env) post(t *testing.T, path, body string) (int, string, map[string]any) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
	must(t, err)
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out
}

func TestValidateAndRefresh(t *testing.T) {
	e := newEnv(t)
	tok := e.fed.Issue(e.user)

	st, _, out := e.post(t, "/connectfed/token/validate", `{"AccessToken":"`+tok.AccessToken+`"}`)
	if st != 200 || out["Active"] != true || out["UserId"] != e.user.ID || out["Username"] != "alice" || out["InstanceId"] != e.inst.ID {
		t.Errorf("validate: %d %v", st, out)
	}
	if exp, ok := out["Expiration"].(float64); !ok || int64(exp) != tok.AccessExpires.Unix() {
		t.Errorf("validate Expiration = %v, want %d", out["Expiration"], tok.AccessExpires.Unix())
	}
	for _, bad := range []string{"garbage", tok.RefreshToken} {
		if st, _, out := e.post(t, "/connectfed/token/validate", `{"AccessToken":"`+bad+`"}`); st != 200 || out["Active"] != false {
			t.Errorf("validate(%.10s…): %d %v, want 200 Active false", bad, st, out)
		}
	}
	for body, want := range map[string]string{"": "SerializationException", "[]": "SerializationException", `{"accesstoken":"x"}`: "SerializationException"} {
		if st, typ, _ := e.post(t, "/connectfed/token/validate", body); st != 400 || typ != want {
			t.Errorf("validate body %q: %d %s, want 400 %s", body, st, typ, want)
		}
	}

	st, _, out = e.post(t, "/connectfed/token/refresh", `{"RefreshToken":"`+tok.RefreshToken+`"}`)
	creds, _ := out["Credentials"].(map[string]any)
	if st != 200 || creds["AccessToken"] == "" || creds["RefreshToken"] == tok.RefreshToken {
		t.Fatalf("refresh: %d %v", st, out)
	}
	next, _ := creds["RefreshToken"].(string)
	// Reuse of the first refresh token revokes the family: the new one too.
	if st, typ, _ := e.post(t, "/connectfed/token/refresh", `{"RefreshToken":"`+tok.RefreshToken+`"}`); st != 401 || typ != "RefreshTokenReusedException" {
		t.Errorf("reuse: %d %s", st, typ)
	}
	if st, typ, _ := e.post(t, "/connectfed/token/refresh", `{"RefreshToken":"`+next+`"}`); st != 401 || typ != "RevokedTokenException" {
		t.Errorf("after reuse: %d %s", st, typ)
	}
	if st, typ, _ := e.post(t, "/connectfed/token/refresh", `{"RefreshToken":"x"}`); st != 401 || typ != "InvalidTokenException" {
		t.Errorf("garbage refresh: %d %s", st, typ)
	}
	if got := strings.Join(e.ev.kinds(), " "); got != "token-refreshed refresh-reuse-detected" {
		t.Errorf("events %q", got)
	}
}

func TestSignInOnceAndSignOut(t *testing.T) {
	e := newEnv(t)
	tok := e.fed.Issue(e.user)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signIn := e.fed.SignInURL(e.inst.ID, tok.AccessToken)

	resp, err := browser.Get(signIn)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/connect/"+e.inst.ID+"/agent" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	page := func() (int, string) {
		resp, err := browser.Get(e.srv.URL + "/connect/" + e.inst.ID + "/agent")
		must(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st, body := page()
	if st != 200 || !strings.Contains(body, "alice") {
		t.Fatalf("agent page: %d", st)
	}

	// The link signs in one browser only.
	resp, err = http.Get(signIn)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("second use of the link: %d, want 403", resp.StatusCode)
	}

	// A foreign destination is not followed.
	tok2 := e.fed.Issue(e.user)
	form := url.Values{"credentials": {`{"AccessToken":"` + tok2.AccessToken + `"}`}, "destination": {"https://evil.example/"}}
	resp, err = (&http.Client{CheckRedirect: browser.CheckRedirect}).PostForm(e.srv.URL+"/connect/"+e.inst.ID+"/auth/sign-in", form)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/connect/"+e.inst.ID+"/agent" {
		t.Errorf("sign-in form with a foreign destination: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Sign-out needs the page's CSRF token.
	signOut := e.srv.URL + "/connect/" + e.inst.ID + "/auth/sign-out"
	resp, err = browser.PostForm(signOut, url.Values{"csrf": {"wrong"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("sign-out with a wrong CSRF token: %d", resp.StatusCode)
	}
	i := strings.Index(body, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("the agent page has no CSRF field")
	}
	csrf := body[i+len(`name="csrf" value="`):]
	csrf = csrf[:strings.IndexByte(csrf, '"')]
	resp, err = browser.PostForm(signOut, url.Values{"csrf": {csrf}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("sign-out: %d", resp.StatusCode)
	}
	if st, _ := page(); st != 401 {
		t.Errorf("agent page after sign-out: %d, want 401", st)
	}
	if got := strings.Join(e.ev.kinds(), " "); got != "sign-in sign-in sign-out" {
		t.Errorf("events %q", got)
	}
}

// failingStore fails every transaction with err while err is set.
type failingStore struct {
	connectfed.Store
	mu  sync.Mutex
	err error
}

func (f *failingStore) fail(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *failingStore) failure() error { f.mu.Lock(); defer f.mu.Unlock(); return f.err }

func (f *failingStore) View(ctx context.Context, fn func(connectfed.Tx) error) error {
	if err := f.failure(); err != nil {
		return err
	}
	return f.Store.View(ctx, fn)
}

func (f *failingStore) Update(ctx context.Context, fn func(connectfed.Tx) error) error {
	if err := f.failure(); err != nil {
		return err
	}
	return f.Store.Update(ctx, fn)
}

// TestTokenEndpointStatusesAreHonest: a store outage is 503 (worth a
// retry), an internal error 500; neither is reported as a bad token.
func TestTokenEndpointStatusesAreHonest(t *testing.T) {
	fs := &failingStore{Store: memory.New()}
	e := newEnvOn(t, fs)
	tok := e.fed.Issue(e.user)
	for _, c := range []struct {
		err    error
		status int
	}{
		{fmt.Errorf("query: %w", connectfed.ErrUnavailable), 503},
		{errors.New("decode revokedfamily: unexpected end of JSON input"), 500},
	} {
		fs.fail(c.err)
		for _, call := range []struct{ path, body string }{
			{"/connectfed/token/validate", `{"AccessToken":"` + tok.AccessToken + `"}`},
			{"/connectfed/token/refresh", `{"RefreshToken":"` + tok.RefreshToken + `"}`},
		} {
			if st, typ, out := e.post(t, call.path, call.body); st != c.status || typ != "InternalServiceException" {
				t.Errorf("%s with %v: %d %s %v, want %d InternalServiceException", call.path, c.err, st, typ, out, c.status)
			}
		}
		resp, err := http.Get(e.fed.SignInURL(e.inst.ID, tok.AccessToken))
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("sign-in with %v: %d, want %d", c.err, resp.StatusCode, c.status)
		}
	}
	fs.fail(nil)
	if st, _, out := e.post(t, "/connectfed/token/validate", `{"AccessToken":"`+tok.AccessToken+`"}`); st != 200 || out["Active"] != true {
		t.Errorf("after the outage: %d %v", st, out)
	}
}
