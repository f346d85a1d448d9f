package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestSameAssembly keeps connectfedtest's server in step with this
// program's: every service, handler and setting the program's
// buildServices and routes build (composite literals of package types, with
// their fields, and the mux's routes) must be built by connectfedtest's
// start too, except what it leaves out on purpose (request limits, quotas,
// TLS and credential policy: a test server on loopback has none).
func TestSameAssembly(t *testing.T) {
	omitted := map[string]bool{
		"awsapi.Config.MaxInFlight": true, "awsapi.Config.MaxPerAccount": true, "awsapi.Config.BodyTimeout": true,
		"awsapi.Config.Throttle": true, "awsapi.Config.TrustedProxies": true, "awsapi.Config.Refused": true,
		"web.Handler.SecureCookies": true, "identity.Service.ExplainDenials": true, "agent.Service.RingTimeout": true,
		"audit.Recorder.Retention": true, "httpchain.Chain": true,
		"route GET /debug/pprof/": true, "route GET /debug/pprof/profile": true, "route GET /debug/pprof/trace": true, "route GET /debug/pprof/symbol": true,
	}
	prog := assembly(t, "main.go", "buildServices", "routes")
	test := assembly(t, "../../connectfedtest/connectfedtest.go", "start")
	var missing []string
	for k := range prog {
		typ := k // "pkg.Type" of "pkg.Type.Field"
		if parts := strings.SplitN(k, ".", 3); len(parts) == 3 && !strings.HasPrefix(k, "route ") {
			typ = parts[0] + "." + parts[1]
		}
		if !test[k] && !omitted[k] && !omitted[typ] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("connectfedtest does not build what connectfed serve does (add it to connectfedtest.start, or to omitted here with a reason): %s",
			strings.Join(missing, ", "))
	}
	if len(prog) < 20 {
		t.Fatalf("found only %d parts in main.go: %v", len(prog), prog)
	}
}

// assembly lists, in the named functions of file, each composite literal
// of a package's type ("awsapi.Config") and each of its fields
// ("awsapi.Config.Store"), and each mux route ("route GET /healthz").
func assembly(t *testing.T, file string, funcs ...string) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, fn := range funcs {
		want[fn] = true
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || !want[fd.Name.Name] {
			continue
		}
		delete(want, fd.Name.Name)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				sel, ok := n.Type.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				typ := pkg.Name + "." + sel.Sel.Name
				out[typ] = true
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							out[typ+"."+id.Name] = true
						}
					}
				}
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") || len(n.Args) == 0 {
					return true
				}
				if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					pattern, _ := strconv.Unquote(lit.Value)
					out["route "+pattern] = true
				}
			}
			return true
		})
	}
	if len(want) > 0 {
		t.Fatalf("%s has no function %v", file, want)
	}
	return out
}
