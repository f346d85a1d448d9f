package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's; .ci/run installs it).
func browser(t *testing.T) context.Context {
	t.Helper()
	path := requireTool(t, "chromium")
	// Chromium's helpers may still write to the profile for a moment after
	// the browser exits, so the profile is not a t.TempDir (whose cleanup
	// fails on that); it is removed best-effort.
	profile, err := os.MkdirTemp("", "connectfed-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1100, 760),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifact is where tests leave files for people to look at (gitignored).
func artifact(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

func TestBrowserSignIn(t *testing.T) {
	ctx := browser(t)
	f := newFedFixture(t)
	tok := f.federate(t)

	var username, alias, instanceID string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(*tok.SignInUrl),
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.Text("#username", &username, chromedp.ByQuery),
		chromedp.Text("#instance-alias", &alias, chromedp.ByQuery),
		chromedp.Text("#instance-id", &instanceID, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if username != "alice" || alias != "fed-test" || instanceID != f.instanceID {
		t.Errorf("signed-in page shows %q %q %q", username, alias, instanceID)
	}
	if err := os.WriteFile(artifact(t, "signed-in.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	// The URL no longer carries the token.
	var loc string
	must(t, chromedp.Run(ctx, chromedp.Location(&loc)))
	if strings.Contains(loc, "token=") || !strings.HasSuffix(loc, "/connect/"+f.instanceID+"/agent") {
		t.Errorf("landed on %s", loc)
	}
	var cookies []*network.Cookie
	must(t, chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	})))
	if len(cookies) != 1 || !cookies[0].HTTPOnly || cookies[0].SameSite != network.CookieSameSiteLax || cookies[0].Secure ||
		cookies[0].Expires > float64(tok.Credentials.AccessTokenExpiration.Unix()+1) {
		for _, c := range cookies {
			t.Logf("cookie %s httpOnly=%v sameSite=%v secure=%v expires=%v", c.Name, c.HTTPOnly, c.SameSite, c.Secure, c.Expires)
		}
		t.Errorf("want one HttpOnly, SameSite=Lax session cookie expiring with the access token (%d)", tok.Credentials.AccessTokenExpiration.Unix())
	}

	// Sign out; the session is gone, also for a request that still carries
	// the old cookie.
	var title string
	must(t, chromedp.Run(ctx,
		chromedp.Click("#sign-out", chromedp.ByQuery),
		chromedp.WaitVisible("#message-title", chromedp.ByQuery),
		chromedp.Text("#message-title", &title, chromedp.ByQuery),
	))
	if title != "Signed out" {
		t.Errorf("after sign-out: %q", title)
	}
	req, _ := http.NewRequest("GET", f.srv.url+"/connect/"+f.instanceID+"/agent", nil)
	req.AddCookie(&http.Cookie{Name: cookies[0].Name, Value: cookies[0].Value})
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("old cookie after sign-out: %d, want 401", resp.StatusCode)
	}
	must(t, chromedp.Run(ctx,
		chromedp.Navigate(f.srv.url+"/connect/"+f.instanceID+"/agent"),
		chromedp.WaitVisible("#message-title", chromedp.ByQuery),
		chromedp.Text("#message-title", &title, chromedp.ByQuery),
	))
	if title != "You are not signed in" {
		t.Errorf("agent page after sign-out: %q", title)
	}

	// The same SignInUrl does not open a second session.
	var msg string
	must(t, chromedp.Run(ctx,
		chromedp.Navigate(*tok.SignInUrl),
		chromedp.WaitVisible("#message", chromedp.ByQuery),
		chromedp.Text("#message", &msg, chromedp.ByQuery),
	))
	if !strings.Contains(msg, "already been used") {
		t.Errorf("second use of SignInUrl: %q", msg)
	}
	if st := httpStatus(t, *tok.SignInUrl); st != 403 {
		t.Errorf("second use status %d, want 403", st)
	}
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	must(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestBrowserFormPost: a custom agent page on another origin posts the
// credentials form to <instance URL>/auth/sign-in, as real ones do.
func TestBrowserFormPost(t *testing.T) {
	ctx := browser(t)
	f := newFedFixture(t)

	page := func(tok map[string]any, destination string) string {
		creds, _ := json.Marshal(tok)
		return fmt.Sprintf(`<!doctype html><html><body><form id="f" method="post" action="%s/connect/%s/auth/sign-in">
<input type="hidden" name="credentials" value="%s"><input type="hidden" name="destination" value="%s"></form>
<script>document.getElementById('f').submit()</script></body></html>`, f.srv.url, f.instanceID, html.EscapeString(string(creds)), html.EscapeString(destination))
	}
	var current string
	custom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, current)
	}))
	defer custom.Close()

	for _, dest := range []string{"/ccp-v2", "https://evil.example/steal", "//evil.example/x", "/connect/" + f.instanceID + "/../../evil"} {
		tok := f.federate(t)
		c := tok.Credentials
		current = page(map[string]any{"AccessToken": *c.AccessToken, "AccessTokenExpiration": c.AccessTokenExpiration.UnixMilli(),
			"RefreshToken": *c.RefreshToken, "RefreshTokenExpiration": c.RefreshTokenExpiration.UnixMilli()}, dest)
		var username, loc string
		want, sel := f.srv.url+"/connect/"+f.instanceID+"/agent", "#username"
		if dest == "/ccp-v2" {
			want, sel = f.srv.url+"/connect/"+f.instanceID+"/ccp-v2", "#agent-username"
		}
		err := chromedp.Run(ctx,
			chromedp.Navigate(custom.URL),
			chromedp.WaitVisible(sel, chromedp.ByQuery),
			chromedp.Text(sel, &username, chromedp.ByQuery),
			chromedp.Location(&loc),
		)
		if err != nil {
			t.Fatalf("destination %q: %v", dest, err)
		}
		if username != "alice" || loc != want {
			t.Errorf("destination %q: landed on %s as %q", dest, loc, username)
		}
	}

	// A bad token never makes a session: a clear page with 401.
	current = page(map[string]any{"AccessToken": "forged-token-forged-token-forged-token-forged-token"}, "/ccp-v2")
	var title string
	must(t, chromedp.Run(ctx, chromedp.Navigate(custom.URL),
		chromedp.WaitVisible("#message-title", chromedp.ByQuery),
		chromedp.Text("#message-title", &title, chromedp.ByQuery)))
	if title != "Sign-in failed" {
		t.Errorf("forged token: %q", title)
	}
	if st := httpStatus(t, f.srv.url+"/connect/"+f.instanceID+"/auth/sign-in?token=forged-token-forged-token-forged-token-forged-token"); st != 401 {
		t.Errorf("forged token status %d", st)
	}
}
