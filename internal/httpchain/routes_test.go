package httpchain_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/connectfed/connectfed/internal/httpchain"
)

// CatchAllOnly never claims a request the mux would give another pattern
// (or redirect), for connectfed's own patterns.
func TestCatchAllOnlyAgreesWithTheMux(t *testing.T) {
	m := httpchain.NewRoutes()
	nop := func(http.ResponseWriter, *http.Request) {}
	for _, p := range []string{"GET /connect/{instance}/auth/sign-in", "POST /saml", "GET /saml/metadata",
		"POST /connectfed/token/refresh", "GET /connect/{instance}/ccp-v2/{$}", "GET /healthz", "GET /debug/pprof/"} {
		m.HandleFunc(p, nop)
	}
	if m.CatchAllOnly("/user/federate/x") {
		t.Fatal("CatchAllOnly before \"/\" is registered")
	}
	m.Handle("/", http.HandlerFunc(nop))
	claimed := 0
	for _, method := range []string{"GET", "POST", "PUT", "DELETE"} {
		for _, path := range []string{"/", "/user/federate/abc", "/users/i/u", "/instance", "/connectfed/token/revoke",
			"/connectfed/admin/faults", "/connect/i/auth/sign-in", "/connect", "/connect/", "/saml", "/saml/", "/samlx",
			"/healthz", "/healthz/", "/debug/pprof", "/debug", "/%63onnect/i/auth/sign-in", "/a%2F%2Fb", "/user/federate/a%2Fb",
			"/Connect/i/auth/sign-in", "/connectfed", "/x/y/z"} {
			r := httptest.NewRequest(method, path, nil)
			if !m.CatchAllOnly(r.URL.EscapedPath()) {
				continue
			}
			claimed++
			if _, pattern := m.Handler(r); pattern != "/" {
				t.Errorf("%s %s: CatchAllOnly, but the mux matches %q", method, path, pattern)
			}
		}
	}
	if claimed == 0 {
		t.Error("CatchAllOnly claimed nothing")
	}
	m.HandleFunc("GET /{x}/y", nop)
	if m.CatchAllOnly("/user/federate/x") {
		t.Error("CatchAllOnly with a wildcard first segment registered")
	}
}
