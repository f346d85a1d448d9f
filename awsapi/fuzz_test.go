package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/internal/strictjson"
)

// fuzzShape has a member of every type restJson1 inputs use.
type fuzzShape struct {
	S  *string
	B  *bool
	I  *int64
	N  *int
	F  *float64
	L  []string
	LI []int64
	M  map[string]string
	O  *struct {
		S *string
		I *int
		L []string
	}
	Tags map[string]string
}

// jsonShape walks a JSON document with its own recursive descent (not the
// explicit stack decodeJSON uses) and reports its nesting depth, whether
// some object repeats a key, and whether the top level is an object.
func jsonShape(body []byte) (depth int, dupKey, object bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value func(level int) error
	value = func(level int) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		depth = max(depth, level)
		switch d {
		case '{':
			keys := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				ks, _ := k.(string)
				if keys[ks] {
					dupKey = true
				}
				keys[ks] = true
				if err := value(level + 1); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := value(level + 1); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	}
	trimmed := bytes.TrimSpace(body)
	object = len(trimmed) > 0 && trimmed[0] == '{'
	if err := value(1); err != nil {
		return 0, false, false, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, false, false, errors.New("data after the value")
	}
	return depth, dupKey, object, nil
}

// FuzzDecodeJSON: decodeJSON never panics; what it accepts, encoding/json
// accepts too and decodes the same; an accepted body is valid UTF-8, one
// object, without repeated keys, at most strictjson.MaxDepth deep; what it
// refuses is a SerializationException; and every body that meets those
// rules and that encoding/json decodes is accepted.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `{"S":"x","B":true,"I":42,"N":-1,"F":1.5,"L":["a"],"LI":[1,2],"M":{"k":"v"},"O":{"S":"y","I":3,"L":[]},"Tags":{"a":"b"}}`,
		`{"S":"a","S":"b"}`, `{"O":{"S":"a","S":"b"}}`, `{"M":{"k":"1","k":"2"}}`, `{"S":1}`, `{"B":"true"}`, `{"I":9223372036854775808}`,
		`{"I":1.5}`, `{"I":1e400}`, `{"F":NaN}`, `{"L":"x"}`, `{"M":[]}`, `[]`, `"s"`, `1`, `null`, `{}x`, `{}{}`, `{"S":"\ud800"}`,
		"{\"S\":\"\xff\"}", "\ufeff{}", `{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"unknown":{"deep":[1,{"x":null}]}}`, `{"S":null,"L":null,"M":null}`, `{"s":"lower","S":"upper"}`, `{"S":"a"`, `{"S" "a"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got fuzzShape
		err := decodeJSON(body, &got)
		blank := len(bytes.TrimSpace(body)) == 0
		var want fuzzShape
		stdErr := json.Unmarshal(body, &want)
		depth, dup, object, shapeErr := jsonShape(body)
		if err != nil {
			var e *connectfed.Error
			if !errors.As(err, &e) || e.Type != connectfed.SerializationException || e.Code != connectfed.EINVALID || e.Message == "" {
				t.Fatalf("decodeJSON(%q) = %#v, want a SerializationException", body, err)
			}
			if !blank && stdErr == nil && shapeErr == nil && utf8.Valid(body) && object && !dup && depth <= strictjson.MaxDepth &&
				!strings.Contains(e.Message, "member names are case-sensitive") {
				t.Fatalf("decodeJSON refused %q (%v), which breaks none of its rules and encoding/json accepts", body, err)
			}
			return
		}
		if blank {
			if !reflect.DeepEqual(got, fuzzShape{}) {
				t.Fatalf("a blank body set members: %+v", got)
			}
			return
		}
		if stdErr != nil {
			t.Fatalf("decodeJSON accepted %q, encoding/json refuses it: %v", body, stdErr)
		}
		if shapeErr != nil || !utf8.Valid(body) || !object || dup || depth > strictjson.MaxDepth {
			t.Fatalf("decodeJSON accepted %q: shape err %v, valid UTF-8 %v, object %v, duplicate key %v, depth %d",
				body, shapeErr, utf8.Valid(body), object, dup, depth)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeJSON and encoding/json disagree on %q:\n %+v\n %+v", body, got, want)
		}
	})
}

// TestDecodeJSONMemberNamesAreCaseSensitive: AWS matches member names
// exactly; a member spelled in another case is an unknown member (ignored),
// and so cannot be a second spelling of a member the body already has.
func TestDecodeJSONMemberNamesAreCaseSensitive(t *testing.T) {
	for _, body := range []string{`{"Username":"alice","username":"admin"}`, `{"username":"x"}`, `{"O":{"s":"x"}}`, `{"L":[{"x":1}],"M":{"k":{"S":"y","i":1}}}`} {
		var in struct {
			Username *string
			O        *struct{ S string }
			M        map[string]struct {
				S string
				I int
			}
		}
		err := decodeJSON([]byte(body), &in)
		var e *connectfed.Error
		if !errors.As(err, &e) || e.Type != connectfed.SerializationException || !strings.Contains(e.Message, "case-sensitive") {
			t.Errorf("%s: %v, want SerializationException naming case", body, err)
		}
	}
	// Exact names, and unknown members, are fine.
	var ok struct{ Username *string }
	if err := decodeJSON([]byte(`{"Username":"alice","Other":1}`), &ok); err != nil || *ok.Username != "alice" {
		t.Errorf("exact names: %v", err)
	}
}

// FuzzQueryParams: the query-protocol parameter parsing never panics; what
// it accepts is what url.ParseQuery reads from the form body (POST) or the
// URL query (GET), every parameter once, without the presigning X-Amz-*
// parameters of a POST; other methods are refused.
func FuzzQueryParams(f *testing.F) {
	f.Add(uint8(0), "", []byte("Action=GetCallerIdentity&Version=2011-06-15"))
	f.Add(uint8(1), "Action=GetUser&Version=2010-05-08&UserName=a", []byte(nil))
	f.Add(uint8(0), "X-Amz-Signature=00", []byte("Action=AssumeRole&X-Amz-Date=1&RoleArn=arn%3Aaws"))
	f.Add(uint8(0), "", []byte("Action=A&Action=B"))
	f.Add(uint8(1), "a=%zz", []byte(nil))
	f.Add(uint8(0), "", []byte("a=1;b=2"))
	f.Add(uint8(2), "Action=GetUser", []byte("Action=GetUser"))
	f.Add(uint8(0), "", []byte("=&&=x&%00=%FF&+=+"))
	f.Fuzz(func(t *testing.T, m uint8, rawQuery string, body []byte) {
		method := []string{http.MethodPost, http.MethodGet, http.MethodPut, "DELETE", "get", ""}[int(m)%6]
		r := &http.Request{Method: method, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
		c := &call{r: r, body: body}
		vals, err := queryParams(c)
		if method != http.MethodPost && method != http.MethodGet {
			if err == nil {
				t.Fatalf("method %q accepted", method)
			}
		}
		raw := rawQuery
		if method == http.MethodPost {
			raw = string(body)
		}
		if err != nil {
			var e *connectfed.Error
			if !errors.As(err, &e) || e.Code != connectfed.EINVALID || (e.Type != connectfed.MalformedQueryString && e.Type != connectfed.InvalidAction) {
				t.Fatalf("queryParams error %#v", err)
			}
			return
		}
		want, perr := url.ParseQuery(raw)
		if perr != nil {
			t.Fatalf("queryParams accepted %q, which url.ParseQuery refuses: %v", raw, perr)
		}
		for k, v := range want {
			if method == http.MethodPost && strings.HasPrefix(k, "X-Amz-") {
				if _, ok := vals[k]; ok {
					t.Fatalf("presigning parameter %q of a POST reached the operation", k)
				}
				continue
			}
			if len(v) != 1 {
				t.Fatalf("parameter %q given %d times was accepted", k, len(v))
			}
			if got := vals[k]; len(got) != 1 || got[0] != v[0] {
				t.Fatalf("parameter %q = %q, want %q", k, got, v)
			}
		}
		for k := range vals {
			if _, ok := want[k]; !ok {
				t.Fatalf("parameter %q appeared from nowhere", k)
			}
		}
	})
}

// FuzzMatchRest: route matching on any escaped path never panics; a match
// has one label per "{}" of its pattern, each the unescaping of exactly one
// path segment (so a label holds a "/" only where the client escaped it as
// %2F), every literal segment equal; and the answer (route, or "another
// method matches", or nothing) is what a plain reading of the table gives,
// where a path with an empty, "." or ".." segment matches nothing.
func FuzzMatchRest(f *testing.F) {
	for _, s := range []string{
		"/instance", "/instance/", "/instance/abc", "/instance/a%2Fb", "/instance/a%2fb%2F..%2F", "/users/i/u/identity-info",
		"/users/i/u/x", "/users-summary/%00", "/instance/%", "/instance/%zz", "//instance", "/users/../instance", "", "/",
		"/user/federate/arn:aws:connect:us-east-1:000000000000:instance%2Fabc", "/connectfed/token/revoke", "/instance/%252F",
	} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
	}
	methods := []string{"GET", "PUT", "POST", "DELETE", "PATCH", "get", ""}
	f.Fuzz(func(t *testing.T, m uint8, escapedPath string) {
		method := methods[int(m)%len(methods)]
		rt, labels, pathMatched := matchRest(connectRoutes, method, escapedPath)
		segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
		// The plain reading: the first route (in table order) whose
		// pattern fits the segments and whose method is this one.
		dotOrEmpty := false
		for _, sg := range segs {
			dotOrEmpty = dotOrEmpty || sg == "" || sg == "." || sg == ".."
		}
		fits := func(r *restRoute) bool {
			// A path with an empty, "." or ".." segment names no route.
			if len(r.pattern) != len(segs) || dotOrEmpty && escapedPath != "/" {
				return false
			}
			for j, p := range r.pattern {
				if p == "{}" {
					if _, err := url.PathUnescape(segs[j]); err != nil {
						return false
					}
				} else if p != segs[j] {
					return false
				}
			}
			return true
		}
		var want *restRoute
		other := false
		for i := range connectRoutes {
			r := &connectRoutes[i]
			if !fits(r) {
				continue
			}
			if r.method == method {
				want = r
				break
			}
			other = true
		}
		if rt != want {
			t.Fatalf("matchRest(%q, %q) = %v, want %v", method, escapedPath, rt, want)
		}
		if rt == nil {
			if labels != nil || pathMatched != other {
				t.Fatalf("matchRest(%q, %q): no route, labels %q, pathMatched %v (want %v)", method, escapedPath, labels, pathMatched, other)
			}
			return
		}
		var li int
		for j, p := range rt.pattern {
			if p != "{}" {
				continue
			}
			if li >= len(labels) {
				t.Fatalf("too few labels %q for %v", labels, rt.pattern)
			}
			seg := segs[j]
			if strings.Count(labels[li], "/") != strings.Count(strings.ToUpper(seg), "%2F") {
				t.Fatalf("label %q of segment %q has an unescaped split", labels[li], seg)
			}
			if want, _ := url.PathUnescape(seg); labels[li] != want {
				t.Fatalf("label %q, want %q", labels[li], want)
			}
			li++
		}
		if li != len(labels) {
			t.Fatalf("%d labels for %d placeholders", len(labels), li)
		}
	})
}
