package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/connectfed/connectfed/internal/testenv"
)

// The versions of amazon-connect-streams the CCP is proven against,
// pinned by e2e/ccp/package-lock.json: the latest 2.x and an older 2.x.
var streamsVersions = []struct{ version, pkg string }{
	{"2.28.2", "streams-latest"},
	{"2.18.7", "streams-older"},
}

// streamsBundle returns the path of the library's release bundle, or
// skips (fails in CI) when the npm dependencies are not installed.
func streamsBundle(t *testing.T, pkg string) string {
	t.Helper()
	p := filepath.Join("..", "..", "e2e", "ccp", "node_modules", pkg, "release", "connect-streams.js")
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, "amazon-connect-streams is not installed: run `npm ci --prefix e2e/ccp` (make js-deps) for the CCP browser tests")
	}
	return p
}

// hostPage is a custom agent desktop: it loads the unmodified library,
// embeds connectfed's CCP with initCCP and signs the agent in inside the
// frame by posting GetFederationToken's credentials (loginPopup: false).
// Everything the library reports lands in window.cfLog.
var hostPage = template.Must(template.New("host").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>agent desktop</title></head>
<body>
<div id="ccp" style="width:420px;height:560px"></div>
<form id="signin" method="POST" target="Amazon Connect CCP" action="{{.SignIn}}">
<input type="hidden" name="credentials" value="{{.Credentials}}">
<input type="hidden" name="destination" value="/ccp-v2">
</form>
<script src="/streams.js"></script>
<script src="/task.js"></script>
<script>
var cfLog = window.cfLog = [];
function log(s) { cfLog.push(s); }
connect.core.initCCP(document.getElementById("ccp"), {
  ccpUrl: {{.CCPURL}}, ccpLoadTimeout: {{.LoadTimeout}},
  loginPopup: {{if .LoginURL}}true, loginUrl: {{.LoginURL}}, loginPopupAutoClose: true{{else}}false{{end}},
  softphone: { allowFramedSoftphone: false }
});
// Sign in inside the frame once its first page (no session yet) has
// loaded; posting earlier races the frame's own first navigation.
if ({{.SignInFrame}}) {
  var frame = document.querySelector('iframe[name="Amazon Connect CCP"]');
  frame.addEventListener("load", function once() {
    frame.removeEventListener("load", once);
    document.getElementById("signin").submit();
  });
}
connect.core.onInitialized(function () { log("initialized"); });
connect.core.onAuthFail(function () { log("auth_fail"); });
connect.core.onIframeRetriesExhausted(function () { log("retries_exhausted"); });
connect.core.getEventBus().subscribe(connect.EventType.TERMINATED, function () { log("terminated"); });
connect.agent(function (agent) {
  window.cfAgent = agent;
  log("agent:" + agent.getName() + "|" + agent.getRoutingProfile().name + "|" + agent.getConfiguration().username);
  agent.onRoutable(function () { log("routable"); });
  agent.onNotRoutable(function () { log("not_routable"); });
  agent.onOffline(function () { log("offline"); });
  agent.onStateChange(function (e) { log("state:" + e.newState); });
  agent.onAfterCallWork(function () { log("agent_acw"); });
});
connect.contact(function (c) {
  var attrs = c.getAttributes(), keys = Object.keys(attrs).sort();
  log("contact:" + c.getType() + "|" + keys.map(function (k) { return k + "=" + attrs[k].value; }).join(","));
  window.cfContact = c;
  c.onIncoming(function () { log("incoming"); });
  c.onConnecting(function () { log("connecting"); });
  c.onAccepted(function () { log("accepted"); });
  c.onConnected(function () { log("connected"); });
  c.onMissed(function () { log("missed"); });
  c.onACW(function () { log("acw"); });
  c.onEnded(function () { log("ended"); });
  c.onDestroy(function () { log("destroyed"); });
});
window.cfSetState = function (name) {
  var s = window.cfAgent.getAgentStates().filter(function (x) { return x.name === name; })[0];
  window.cfAgent.setState(s, { success: function () { log("set:" + name); }, failure: function (e) { log("set_failed:" + e); } });
};
window.cfAccept = function () {
  window.cfContact.accept({ success: function () { log("accept_ok"); }, failure: function (e) { log("accept_failed:" + JSON.stringify(e)); } });
};
window.cfHangUp = function () {
  window.cfContact.getAgentConnection().destroy({ success: function () { log("hangup_ok"); }, failure: function (e) { log("hangup_failed:" + JSON.stringify(e)); } });
};
window.cfClear = function () {
  window.cfContact.clear({ success: function () { log("clear_ok"); }, failure: function (e) { log("clear_failed:" + JSON.stringify(e)); } });
};
</script>
</body></html>`))

// hostServer serves the host page and the library from a different site
// than connectfed: http://localhost:<port> (connectfed is on 127.0.0.1).
func hostServer(t *testing.T, bundle string, page func() []byte) string {
	t.Helper()
	return hostServerOn(t, "localhost", bundle, page)
}

// hostServerOn is hostServer under another host name.
func hostServerOn(t *testing.T, host, bundle string, page func() []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/streams.js":
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, bundle)
		case "/task.js":
			w.Header().Set("Content-Type", "text/javascript")
			http.ServeFile(w, r, filepath.Join(filepath.Dir(bundle), "..", "..", "amazon-connect-taskjs", "dist", "amazon-connect-task.js"))
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page())
		default:
			http.NotFound(w, r)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://%s:%d", host, ln.Addr().(*net.TCPAddr).Port)
}

func renderHost(t *testing.T, srvURL, instanceID string, creds any, signIn bool, loadTimeout int) []byte {
	t.Helper()
	return renderHostLogin(t, srvURL, instanceID, creds, signIn, loadTimeout, "")
}

// renderHostLogin is renderHost with the library's popup sign-in
// (loginPopup: true, loginUrl) when loginURL is set.
func renderHostLogin(t *testing.T, srvURL, instanceID string, creds any, signIn bool, loadTimeout int, loginURL string) []byte {
	t.Helper()
	cb, _ := json.Marshal(creds)
	var b strings.Builder
	must(t, hostPage.Execute(&b, map[string]any{
		"SignIn": srvURL + "/connect/" + instanceID + "/auth/sign-in", "Credentials": string(cb),
		"CCPURL": srvURL + "/connect/" + instanceID + "/ccp-v2", "SignInFrame": signIn, "LoadTimeout": loadTimeout,
		"LoginURL": loginURL,
	}))
	return []byte(b.String())
}

// pageLog reads the host page's log.
func pageLog(ctx context.Context) []string {
	var out []string
	chromedp.Run(ctx, chromedp.Evaluate(`window.cfLog || []`, &out))
	return out
}

// waitLog waits until the log has an entry starting with want, after the
// first `from` entries; it returns the index of that entry.
func waitLog(t *testing.T, ctx context.Context, from int, want string, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		l := pageLog(ctx)
		for i := from; i < len(l); i++ {
			if strings.HasPrefix(l[i], want) {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %q; page log: %q", within, want, l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runJS(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	must(t, chromedp.Run(ctx, chromedp.Evaluate(js, nil)))
}

func TestCCPWithStreams(t *testing.T) {
	requireTool(t, "chromium")
	for i, v := range streamsVersions {
		t.Run(v.version, func(t *testing.T) {
			bundle := streamsBundle(t, v.pkg)
			testCCP(t, bundle, i == 0)
		})
	}
}

// consoleTo logs the page's exceptions and console errors to the test.
func consoleTo(t *testing.T, ctx context.Context) {
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			t.Logf("page exception: %s", e.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || testing.Verbose() && os.Getenv("CCP_DEBUG") != "" {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				t.Logf("console.%s: %s", e.Type, strings.Join(parts, " "))
			}
		}
	})
}

func testCCP(t *testing.T, bundle string, expire bool) {
	ctx := browser(t)
	consoleTo(t, ctx)
	f := newFedFixture(t, "--ring-timeout", "3s", "--access-token-ttl", "1m")
	bg := context.Background()
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	inst := aws.String(f.instanceID)
	_, err := cc.UpdateUserIdentityInfo(bg, &connect.UpdateUserIdentityInfoInput{InstanceId: inst, UserId: aws.String(f.userID),
		IdentityInfo: &ctypes.UserIdentityInfo{FirstName: aws.String("Alice"), LastName: aws.String("Agent")}})
	must(t, err)
	_, err = cc.UpdateUserPhoneConfig(bg, &connect.UpdateUserPhoneConfigInput{InstanceId: inst, UserId: aws.String(f.userID),
		PhoneConfig: &ctypes.UserPhoneConfig{PhoneType: ctypes.PhoneTypeSoftPhone, AfterContactWorkTimeLimit: 2}})
	must(t, err)

	var page []byte
	host := hostServer(t, bundle, func() []byte { return page })
	_, err = cc.AssociateApprovedOrigin(bg, &connect.AssociateApprovedOriginInput{InstanceId: inst, Origin: aws.String(host)})
	must(t, err)
	tok := f.federate(t)
	c := tok.Credentials
	creds := map[string]any{"AccessToken": *c.AccessToken, "AccessTokenExpiration": c.AccessTokenExpiration.Unix(),
		"RefreshToken": *c.RefreshToken, "RefreshTokenExpiration": c.RefreshTokenExpiration.Unix()}
	page = renderHost(t, f.srv.url, f.instanceID, creds, true, 5000)

	must(t, chromedp.Run(ctx, chromedp.Navigate(host)))
	waitLog(t, ctx, 0, "initialized", 20*time.Second)
	i := waitLog(t, ctx, 0, "agent:", 10*time.Second)
	if got := pageLog(ctx)[i]; got != "agent:Alice Agent|Basic Routing Profile|alice" {
		t.Errorf("connect.agent: %q", got)
	}

	// setState(Available) in the page → routable, and the backend sees it.
	n := len(pageLog(ctx))
	runJS(t, ctx, `cfSetState("Available")`)
	waitLog(t, ctx, n, "routable", 5*time.Second)
	if ud := userData(t, cc, f.instanceID, f.userID); *ud.Status.StatusName != "Available" {
		t.Errorf("backend after setState: %s", *ud.Status.StatusName)
	}

	// PutUserStatus from the backend reaches the open page (pushed).
	n = len(pageLog(ctx))
	start := time.Now()
	_, err = cc.PutUserStatus(bg, &connect.PutUserStatusInput{InstanceId: inst, UserId: aws.String(f.userID), AgentStatusId: aws.String(statusID(t, cc, f.instanceID, "Offline"))})
	must(t, err)
	waitLog(t, ctx, n, "offline", 5*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("PutUserStatus took %s to reach the CCP (want under 1s)", d)
	} else {
		t.Logf("PutUserStatus reached the page in %s", d.Round(time.Millisecond))
	}
	n = len(pageLog(ctx))
	runJS(t, ctx, `cfSetState("Available")`)
	waitLog(t, ctx, n, "routable", 5*time.Second)

	// A task with attributes: offered → accept → connected → end → ACW →
	// ended; after the user's 2 s of after contact work it goes away.
	n = len(pageLog(ctx))
	flow := inboundFlow(t, cc, f.instanceID)
	_, err = cc.StartTaskContact(bg, &connect.StartTaskContactInput{InstanceId: inst, ContactFlowId: aws.String(flow),
		Name: aws.String("Follow up"), Attributes: map[string]string{"customer": "ana", "tier": "gold"}})
	must(t, err)
	i = waitLog(t, ctx, n, "contact:", 5*time.Second)
	if got := pageLog(ctx)[i]; got != "contact:task|customer=ana,tier=gold" {
		t.Errorf("connect.contact: %q", got)
	}
	waitLog(t, ctx, n, "incoming", 5*time.Second)
	runJS(t, ctx, `cfAccept()`)
	waitLog(t, ctx, n, "accept_ok", 5*time.Second)
	waitLog(t, ctx, n, "accepted", 5*time.Second)
	waitLog(t, ctx, n, "connected", 5*time.Second)
	runJS(t, ctx, `cfHangUp()`)
	a := waitLog(t, ctx, n, "acw", 5*time.Second)
	e := waitLog(t, ctx, n, "ended", 5*time.Second)
	waitLog(t, ctx, n, "agent_acw", 5*time.Second)
	if e < a-1 {
		t.Errorf("ended before acw: %q", pageLog(ctx)[n:])
	}
	waitLog(t, ctx, n, "destroyed", 6*time.Second)
	waitLog(t, ctx, a, "routable", 5*time.Second)

	// A simulated inbound call: the caller hangs up (StopContact); the
	// agent closes the contact itself.
	n = len(pageLog(ctx))
	body, _ := json.Marshal(map[string]any{"InstanceId": f.instanceID, "CustomerPhoneNumber": "+15550100", "UserId": f.userID, "Attributes": map[string]string{"reason": "billing"}})
	res := do(t, signedRequest(t, f.srv, "POST", "/connectfed/contacts/voice", "connect", body, map[string]string{"Content-Type": "application/json"}))
	if res.status != 200 {
		t.Fatalf("voice: %d %s", res.status, res.body)
	}
	var voice struct{ ContactId string }
	must(t, json.Unmarshal([]byte(res.body), &voice))
	i = waitLog(t, ctx, n, "contact:", 5*time.Second)
	if got := pageLog(ctx)[i]; got != "contact:voice|reason=billing" {
		t.Errorf("voice contact: %q", got)
	}
	waitLog(t, ctx, n, "connecting", 5*time.Second)
	runJS(t, ctx, `cfAccept()`)
	waitLog(t, ctx, n, "connected", 5*time.Second)
	if ud := userData(t, cc, f.instanceID, f.userID); len(ud.Contacts) != 1 || ud.Contacts[0].AgentContactState != ctypes.ContactStateConnected {
		t.Errorf("backend sees: %+v", ud.Contacts)
	}
	_, err = cc.StopContact(bg, &connect.StopContactInput{InstanceId: inst, ContactId: aws.String(voice.ContactId)})
	must(t, err)
	waitLog(t, ctx, n, "acw", 5*time.Second)
	waitLog(t, ctx, n, "ended", 5*time.Second)
	runJS(t, ctx, `cfClear()`)
	waitLog(t, ctx, n, "clear_ok", 5*time.Second)
	waitLog(t, ctx, n, "destroyed", 5*time.Second)

	// A chat (no chat media: the contact carries no messages, and the
	// library needs no chat session for it).
	n = len(pageLog(ctx))
	_, err = cc.StartChatContact(bg, &connect.StartChatContactInput{InstanceId: inst, ContactFlowId: aws.String(flow),
		ParticipantDetails: &ctypes.ParticipantDetails{DisplayName: aws.String("Ana")}, Attributes: map[string]string{"topic": "refund"}})
	must(t, err)
	i = waitLog(t, ctx, n, "contact:", 5*time.Second)
	if got := pageLog(ctx)[i]; got != "contact:chat|topic=refund" {
		t.Errorf("chat contact: %q", got)
	}
	waitLog(t, ctx, n, "incoming", 5*time.Second)
	runJS(t, ctx, `cfAccept()`)
	waitLog(t, ctx, n, "connected", 5*time.Second)
	runJS(t, ctx, `cfHangUp()`)
	waitLog(t, ctx, n, "ended", 5*time.Second)
	runJS(t, ctx, `cfClear()`)
	waitLog(t, ctx, n, "destroyed", 5*time.Second)

	// A call nobody answers within --ring-timeout is missed.
	n = len(pageLog(ctx))
	res = do(t, signedRequest(t, f.srv, "POST", "/connectfed/contacts/voice", "connect", []byte(`{"InstanceId":"`+f.instanceID+`","CustomerPhoneNumber":"+15550101"}`), map[string]string{"Content-Type": "application/json"}))
	if res.status != 200 {
		t.Fatalf("voice: %d %s", res.status, res.body)
	}
	waitLog(t, ctx, n, "connecting", 5*time.Second)
	waitLog(t, ctx, n, "missed", 6*time.Second)
	waitLog(t, ctx, n, "state:MissedCallAgent", 2*time.Second)

	if expire {
		// The access token (and so the session) expires: auth_fail.
		n = len(pageLog(ctx))
		f.clock.Set(61 * time.Second)
		waitLog(t, ctx, n, "auth_fail", 5*time.Second)
	} else {
		// The token family is revoked: auth_fail too.
		n = len(pageLog(ctx))
		body, _ := json.Marshal(map[string]string{"Token": *c.RefreshToken})
		res := do(t, signedRequest(t, f.srv, "POST", "/connectfed/token/revoke", "connect", body, map[string]string{"Content-Type": "application/json"}))
		if res.status != 200 {
			t.Fatalf("revoke: %d %s", res.status, res.body)
		}
		waitLog(t, ctx, n, "auth_fail", 5*time.Second)
	}
	if l := pageLog(ctx); slices.Contains(l, "retries_exhausted") {
		t.Errorf("retries exhausted: %q", l)
	}
}

// TestCCPNotApprovedOrigin: a page whose origin is not approved cannot
// frame the CCP; the library reports its iframe retries exhausted.
func TestCCPNotApprovedOrigin(t *testing.T) {
	requireTool(t, "chromium")
	bundle := streamsBundle(t, streamsVersions[0].pkg)
	ctx := browser(t)
	f := newFedFixture(t)
	var page []byte
	host := hostServer(t, bundle, func() []byte { return page })
	tok := f.federate(t)
	c := tok.Credentials
	creds := map[string]any{"AccessToken": *c.AccessToken, "AccessTokenExpiration": c.AccessTokenExpiration.Unix(),
		"RefreshToken": *c.RefreshToken, "RefreshTokenExpiration": c.RefreshTokenExpiration.Unix()}
	page = renderHost(t, f.srv.url, f.instanceID, creds, true, 500)
	must(t, chromedp.Run(ctx, chromedp.Navigate(host)))
	waitLog(t, ctx, 0, "retries_exhausted", 20*time.Second)
	if l := pageLog(ctx); slices.Contains(l, "initialized") {
		t.Errorf("a non-approved origin initialized the CCP: %q", l)
	}
	resp, err := http.Get(f.srv.url + "/connect/" + f.instanceID + "/ccp-v2")
	must(t, err)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, host) {
		t.Errorf("CSP: %s", csp)
	}
}

// TestCCPLoginPopup: the library's own path. With no session the CCP never
// acknowledges, so the library opens loginUrl (here the token's SignInUrl)
// in a popup and reloads its frame until the CCP answers. The desktop is
// on the same site as connectfed (127.0.0.1, another port), where the
// popup's first-party cookie reaches the frame.
func TestCCPLoginPopup(t *testing.T) {
	requireTool(t, "chromium")
	bundle := streamsBundle(t, streamsVersions[0].pkg)
	ctx := browser(t)
	consoleTo(t, ctx)
	f := newFedFixture(t)
	var page []byte
	host := hostServerOn(t, "127.0.0.1", bundle, func() []byte { return page })
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	_, err := cc.AssociateApprovedOrigin(context.Background(), &connect.AssociateApprovedOriginInput{InstanceId: aws.String(f.instanceID), Origin: aws.String(host)})
	must(t, err)
	tok := f.federate(t)
	page = renderHostLogin(t, f.srv.url, f.instanceID, map[string]any{}, false, 2000, *tok.SignInUrl)
	must(t, chromedp.Run(ctx, chromedp.Navigate(host)))
	waitLog(t, ctx, 0, "initialized", 30*time.Second)
	waitLog(t, ctx, 0, "agent:alice|Basic Routing Profile|alice", 10*time.Second)
}

// TestAgentDesktopExample runs examples/agent-desktop as its README says
// (connectfed with examples/seed.yaml, then `npm start`) and takes a
// simulated call in it.
func TestAgentDesktopExample(t *testing.T) {
	requireTool(t, "chromium")
	node := requireTool(t, "node")
	dir := filepath.Join("..", "..", "examples", "agent-desktop")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "amazon-connect-streams")); err != nil {
		testenv.Missing(t, "the agent desktop example's npm dependencies are not installed: run `npm ci --prefix examples/agent-desktop` (make js-deps)")
	}
	srv := startServer(t, "", "--seed", filepath.Join("..", "..", "examples", "seed.yaml"))
	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CONNECTFED_URL="+srv.url, "PORT=0")
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "agent desktop on "); ok {
				line <- strings.Fields(u)[0]
			}
		}
	}()
	var desk string
	select {
	case desk = <-line:
	case <-time.After(15 * time.Second):
		t.Fatal("the example did not start")
	}

	ctx := browser(t)
	consoleTo(t, ctx)
	logOf := func() []string {
		var out []string
		chromedp.Run(ctx, chromedp.Evaluate(`window.desktopLog || []`, &out))
		return out
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !slices.ContainsFunc(logOf(), func(s string) bool { return strings.HasPrefix(s, want) }) {
			if time.Now().After(deadline) {
				t.Fatalf("waited for %q; desktop log: %q", want, logOf())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	must(t, chromedp.Run(ctx, chromedp.Navigate(desk)))
	wait("initialized")
	wait("agent Alice Agent")
	must(t, chromedp.Run(ctx, chromedp.Click("#available", chromedp.ByQuery)))
	wait("state Available")
	var out, errb strings.Builder
	if err := run(context.Background(), []string{"call", "--endpoint-url", srv.url, "--instance-id", "11111111-2222-4333-8444-555555555555", "--attribute", "reason=billing"}, &out, &errb); err != nil {
		t.Fatalf("connectfed call: %v %s", err, errb.String())
	}
	wait("contact voice reason=billing")
	must(t, chromedp.Run(ctx, chromedp.Click("#accept", chromedp.ByQuery)))
	wait("connected")
	must(t, chromedp.Run(ctx, chromedp.Click("#hangup", chromedp.ByQuery)))
	wait("after contact work")
	must(t, chromedp.Run(ctx, chromedp.Click("#clear", chromedp.ByQuery)))
	wait("closed")
}

// TestCCPStandalone: the CCP is usable by itself in a browser tab: sign in
// with a SignInUrl, open the CCP, go Available, accept a call, end it and
// close it with the page's own controls.
func TestCCPStandalone(t *testing.T) {
	ctx := browser(t)
	consoleTo(t, ctx)
	f := newFedFixture(t)
	tok := f.federate(t)
	ccpURL := f.srv.url + "/connect/" + f.instanceID + "/ccp-v2"
	text := func(sel string) string {
		var s string
		must(t, chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery)))
		return s
	}
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var s string
			chromedp.Run(ctx, chromedp.Evaluate(`(document.querySelector(`+strconvQuote(sel)+`)||{}).textContent||""`, &s))
			if strings.Contains(s, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s shows %q, want %q", sel, s, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	must(t, chromedp.Run(ctx, chromedp.Navigate(*tok.SignInUrl), chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.Navigate(ccpURL), chromedp.WaitVisible("#agent-state", chromedp.ByQuery)))
	if got := text("#agent-username"); got != "alice" {
		t.Errorf("agent: %q", got)
	}
	waitText("#agent-state", "Offline")
	waitText("#routing-profile", "Basic Routing Profile")
	must(t, chromedp.Run(ctx, chromedp.SetValue("#state-select", "", chromedp.ByQuery)))
	must(t, chromedp.Run(ctx, chromedp.Evaluate(`(function(){var s=document.getElementById("state-select");
		s.value=[].filter.call(s.options,function(o){return o.textContent==="Available"})[0].value;
		s.dispatchEvent(new Event("change"));})()`, nil)))
	waitText("#agent-state", "Available")
	res := do(t, signedRequest(t, f.srv, "POST", "/connectfed/contacts/voice", "connect",
		[]byte(`{"InstanceId":"`+f.instanceID+`","CustomerPhoneNumber":"+15550100","Attributes":{"reason":"billing"}}`), map[string]string{"Content-Type": "application/json"}))
	if res.status != 200 {
		t.Fatalf("voice: %d %s", res.status, res.body)
	}
	waitText("#contacts", "connecting")
	waitText("#contacts", "billing")
	waitText("#agent-state", "PendingBusy")
	must(t, chromedp.Run(ctx, chromedp.Click("#contacts .accept", chromedp.ByQuery)))
	waitText("#contacts", "connected")
	waitText("#agent-state", "Busy")
	var shot []byte
	must(t, chromedp.Run(ctx, chromedp.FullScreenshot(&shot, 100)))
	must(t, os.WriteFile(artifact(t, "ccp.png"), shot, 0o644))
	must(t, chromedp.Run(ctx, chromedp.Click("#contacts .end", chromedp.ByQuery)))
	waitText("#agent-state", "AfterCallWork")
	must(t, chromedp.Run(ctx, chromedp.Click("#contacts .clear", chromedp.ByQuery)))
	waitText("#no-contacts", "No contacts")
	waitText("#agent-state", "Available")
	must(t, chromedp.Run(ctx, chromedp.Click("#sign-out", chromedp.ByQuery)))
	waitText("#link-status", "signed out")
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
