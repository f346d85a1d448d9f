package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"
)

// TestSignOutNeedsTheFormToken: a sign-out post without the page's CSRF
// token is refused and the session survives; with it the session ends.
func TestSignOutNeedsTheFormToken(t *testing.T) {
	f := newFedFixture(t)
	tok := f.federate(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(*tok.SignInUrl)
	must(t, err)
	page := readAll(t, resp)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	signOut := f.srv.url + "/connect/" + f.instanceID + "/auth/sign-out"
	resp, err = client.PostForm(signOut, url.Values{"csrf": {"forged"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged sign-out: %d, want 403", resp.StatusCode)
	}
	resp, err = client.Get(f.srv.url + "/connect/" + f.instanceID + "/agent")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the session did not survive a forged sign-out: %d", resp.StatusCode)
	}
	resp, err = client.PostForm(signOut, url.Values{"csrf": {m[1]}})
	must(t, err)
	resp.Body.Close()
	resp, err = client.Get(f.srv.url + "/connect/" + f.instanceID + "/agent")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d, want 401", resp.StatusCode)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return string(b)
}
