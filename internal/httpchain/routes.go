package httpchain

import (
	"net/http"
	"strings"
)

// Routes is a ServeMux that also keeps the first path segment of every
// pattern registered on it, so that CatchAllOnly can tell, without asking
// the mux (which cleans the path and allocates on every call), that a
// request can match nothing but the catch-all pattern "/".
type Routes struct {
	*http.ServeMux
	first map[string]bool
	root  bool // "/" is registered
	// askMux: a pattern with a host or a wildcard first segment, which a
	// first segment cannot rule out.
	askMux bool
}

// NewRoutes returns an empty Routes.
func NewRoutes() *Routes {
	return &Routes{ServeMux: http.NewServeMux(), first: map[string]bool{}}
}

// Handle registers h for pattern.
func (m *Routes) Handle(pattern string, h http.Handler) {
	m.note(pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers h for pattern.
func (m *Routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.note(pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

func (m *Routes) note(pattern string) {
	p := pattern
	if i := strings.IndexAny(p, " \t"); i >= 0 { // "METHOD /path"
		p = strings.TrimLeft(p[i:], " \t")
	}
	if !strings.HasPrefix(p, "/") { // a host pattern
		m.askMux = true
		return
	}
	if p == "/" {
		m.root = true
		return
	}
	seg, _, _ := strings.Cut(p[1:], "/")
	if seg == "" || strings.Contains(seg, "{") {
		m.askMux = true
		return
	}
	m.first[seg] = true
}

// CatchAllOnly reports whether a request for escapedPath, a path in clean
// form (no empty, "." or ".." segment), matches only the pattern "/": its
// first segment starts no other pattern. A segment with an escape is left
// to the mux, which matches segments unescaped.
func (m *Routes) CatchAllOnly(escapedPath string) bool {
	if !m.root || m.askMux || !strings.HasPrefix(escapedPath, "/") {
		return false
	}
	seg, _, _ := strings.Cut(escapedPath[1:], "/")
	return !strings.Contains(seg, "%") && !m.first[seg]
}
