package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
)

// ccpSession signs a browser in inside a frame (as an agent desktop does)
// and returns its cookie and the CCP page's CSRF token.
func ccpSession(t *testing.T, f *fedFixture) (*http.Cookie, string, *connect.GetFederationTokenOutput) {
	t.Helper()
	tok := f.federate(t)
	c := tok.Credentials
	creds, _ := json.Marshal(map[string]any{"AccessToken": *c.AccessToken, "AccessTokenExpiration": c.AccessTokenExpiration.Unix(),
		"RefreshToken": *c.RefreshToken, "RefreshTokenExpiration": c.RefreshTokenExpiration.Unix()})
	req, _ := http.NewRequest("POST", f.srv.url+"/connect/"+f.instanceID+"/auth/sign-in",
		strings.NewReader(url.Values{"credentials": {string(creds)}, "destination": {"/ccp-v2"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Dest", "iframe")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/connect/"+f.instanceID+"/ccp-v2" {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookie := sessionCookie(resp)
	if cookie == nil || !cookie.Partitioned || !cookie.Secure || cookie.SameSite != http.SameSiteNoneMode || !cookie.HttpOnly {
		t.Fatalf("an in-frame sign-in wants a partitioned SameSite=None Secure HttpOnly cookie: %+v", resp.Header["Set-Cookie"])
	}
	page := ccpGet(t, f, "/ccp-v2", cookie)
	m := regexp.MustCompile(`data-csrf="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("CCP page without CSRF token:\n%s", page)
	}
	return cookie, m[1], tok
}

func ccpGet(t *testing.T, f *fedFixture, path string, cookie *http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.url+"/connect/"+f.instanceID+path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// ccpEvents opens the CCP's push stream and returns its events.
func ccpEvents(t *testing.T, f *fedFixture, cookie *http.Cookie) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.url+"/connect/"+f.instanceID+"/ccp-v2/events", nil)
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan string, 16)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				ch <- ev
			}
		}
	}()
	return ch
}

func nextEvent(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %q", want)
			}
			if ev == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %q event", want)
		}
	}
}

func ccpAPI(t *testing.T, f *fedFixture, cookie *http.Cookie, csrf string, hdr map[string]string, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.url+"/connect/"+f.instanceID+"/ccp-v2/api", strings.NewReader(body))
	req.AddCookie(cookie)
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-Connectfed-CSRF", csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestCCPSessionEnd: revoking the token family sends auth_fail on the
// push stream; signing out sends terminated; the API needs the session's
// CSRF token and refuses cross-site requests.
func TestCCPSessionEnd(t *testing.T) {
	f := newFedFixture(t)
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	_, err := cc.AssociateApprovedOrigin(context.Background(), &connect.AssociateApprovedOriginInput{
		InstanceId: aws.String(f.instanceID), Origin: aws.String("http://localhost:3000")})
	must(t, err)

	// Without a session: a page that says so, framable only by the
	// approved origins, with no script (it never acknowledges).
	req, _ := http.NewRequest("GET", f.srv.url+"/connect/"+f.instanceID+"/ccp-v2", nil)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); resp.StatusCode != 401 || !strings.Contains(csp, "frame-ancestors 'self' http://localhost:3000") ||
		strings.Contains(string(b), "<script") {
		t.Errorf("no session: %d %s\n%s", resp.StatusCode, csp, b)
	}
	// Other pages keep frame-ancestors 'none'.
	resp, err = http.Get(f.srv.url + "/connect/" + f.instanceID + "/agent")
	must(t, err)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") && resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("agent page framable: %q", csp)
	}

	cookie, csrf, tok := ccpSession(t, f)
	if st, out := ccpAPI(t, f, cookie, "", nil, `{"method":"getAgentSnapshot"}`); st != 403 {
		t.Errorf("API without CSRF token: %d %v", st, out)
	}
	if st, out := ccpAPI(t, f, cookie, csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}, `{"method":"getAgentSnapshot"}`); st != 403 {
		t.Errorf("cross-site API call: %d %v", st, out)
	}
	st, out := ccpAPI(t, f, cookie, csrf, nil, `{"method":"getAgentConfiguration"}`)
	if cfg, _ := out["data"].(map[string]any)["configuration"].(map[string]any); st != 200 || cfg["username"] != "alice" {
		t.Errorf("getAgentConfiguration: %d %v", st, out)
	}
	st, out = ccpAPI(t, f, cookie, csrf, nil, `{"method":"holdConnection","params":{"contactId":"x"}}`)
	if e, _ := out["err"].(map[string]any); st != 200 || e["type"] != "UnsupportedOperation" {
		t.Errorf("holdConnection: %d %v", st, out)
	}
	st, out = ccpAPI(t, f, cookie, csrf, nil, `{"method":"sendClientLogs","params":[]}`)
	if st != 200 || out["err"] != nil {
		t.Errorf("sendClientLogs: %d %v", st, out)
	}

	// updateAgentConfiguration saves the phone settings on the user.
	st, out = ccpAPI(t, f, cookie, csrf, nil, `{"method":"updateAgentConfiguration","params":{"configuration":{"softphoneAutoAccept":true}}}`)
	if st != 200 || out["err"] != nil {
		t.Errorf("updateAgentConfiguration: %d %v", st, out)
	}
	du, err := cc.DescribeUser(context.Background(), &connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
	must(t, err)
	if !du.User.PhoneConfig.AutoAccept {
		t.Errorf("AutoAccept not saved: %+v", du.User.PhoneConfig)
	}
	st, out = ccpAPI(t, f, cookie, csrf, nil, `{"method":"acceptContact","params":{"contactId":"nope"}}`)
	if e, _ := out["err"].(map[string]any); st != 200 || e["type"] != "ContactNotFoundException" {
		t.Errorf("acceptContact of an unknown contact: %d %v", st, out)
	}

	events := ccpEvents(t, f, cookie)
	nextEvent(t, events, "agent")
	body, _ := json.Marshal(map[string]string{"Token": *tok.Credentials.RefreshToken})
	if res := do(t, signedRequest(t, f.srv, "POST", "/connectfed/token/revoke", "connect", body, map[string]string{"Content-Type": "application/json"})); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	nextEvent(t, events, "auth_fail")
	if st, out := ccpAPI(t, f, cookie, csrf, nil, `{"method":"getAgentSnapshot"}`); st != 401 || out["err"].(map[string]any)["type"] != "auth_fail" {
		t.Errorf("API after revocation: %d %v", st, out)
	}

	// Sign-out from the CCP: terminated.
	cookie, csrf, _ = ccpSession(t, f)
	events = ccpEvents(t, f, cookie)
	nextEvent(t, events, "agent")
	req, _ = http.NewRequest("POST", f.srv.url+"/connect/"+f.instanceID+"/ccp-v2/sign-out", nil)
	req.AddCookie(cookie)
	req.Header.Set("X-Connectfed-CSRF", csrf)
	resp, err = http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	nextEvent(t, events, "terminated")
}
