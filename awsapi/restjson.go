package awsapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/connectfed/connectfed/internal/jsonenc"
)

// epoch is a timestamp as restJson1 sends it in bodies.
type epoch = jsonenc.Epoch

// restRoute is one Connect operation: a method and a path pattern whose
// "{}" segments are labels.
type restRoute struct {
	method  string
	pattern []string
	op      string
	handle  func(s *Server, c *call, labels []string) (any, error)
}

func splitPattern(p string) []string { return strings.Split(strings.TrimPrefix(p, "/"), "/") }

// matchRest finds the route for a request. Labels are split on the escaped
// path and then unescaped, so an encoded "/" (%2F) stays inside its label.
// It returns the route, its labels, and whether the path matched some route
// under another method.
func matchRest(routes []restRoute, method, escapedPath string) (*restRoute, []string, bool) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, sg := range segs {
		// No route has an empty, "." or ".." segment; such a path names
		// nothing (and a label must be percent-encoded to hold them).
		if sg == "" || sg == "." || sg == ".." {
			if escapedPath != "/" {
				return nil, nil, false
			}
		}
	}
	pathMatched := false
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		var labels []string
		ok := true
		for j, p := range rt.pattern {
			if p == "{}" {
				v, err := url.PathUnescape(segs[j])
				if err != nil {
					ok = false
					break
				}
				labels = append(labels, v)
				continue
			}
			if p != segs[j] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if rt.method != method {
			pathMatched = true
			continue
		}
		return rt, labels, true
	}
	return nil, nil, pathMatched
}

func writeRestError(c *call, we wireError) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", we.Type)
	c.w.WriteHeader(we.Status)
	b, _ := json.Marshal(struct {
		Message string `json:"Message"`
	}{we.Message})
	c.w.Write(b)
}

// pooledJSON is a response body already encoded (on hot paths) into a
// buffer from jsonBufs, which writeRestJSON puts back once it is written.
// As an interface value it costs no allocation (it is one pointer).
type pooledJSON struct{ b *[]byte }

var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// getJSONBuf returns an empty buffer for a pooledJSON.
func getJSONBuf() *[]byte {
	b := jsonBufs.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func writeRestJSON(c *call, v any) {
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	if v == nil {
		h.Set("Content-Length", "0")
		c.w.WriteHeader(http.StatusOK)
		tap(c)
		return
	}
	var b []byte
	if p, ok := v.(pooledJSON); ok {
		b = *p.b
		if cap(b) <= 64<<10 {
			defer jsonBufs.Put(p.b) // Write copies; tap copies
		}
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			panic(err) // our own response types always encode
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(b)
	tap(c, b)
}

// queryInt reads an integer query parameter; absent gives def.
func queryInt(c *call, name string, def, min, max int, v *violations) int {
	q := c.r.URL.Query()
	if !q.Has(name) {
		return def
	}
	raw := q.Get(name)
	n, err := strconv.Atoi(raw)
	if err != nil {
		v.add(name, raw, false, "Member must be an integer")
		return def
	}
	if n < min {
		v.add(name, raw, false, "Member must have value greater than or equal to "+strconv.Itoa(min))
	}
	if n > max {
		v.add(name, raw, false, "Member must have value less than or equal to "+strconv.Itoa(max))
	}
	return n
}
