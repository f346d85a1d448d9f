package connectfed

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestErrorTypeTable: every constant has a row whose name is spelled as the
// constant (so the name cannot drift from the identifier the compiler
// checks), names are unique, and statuses are 4xx or 5xx.
func TestErrorTypeTable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errortype.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	idents := map[string]bool{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					idents[n.Name] = true
				}
			}
		}
	}
	seen := map[string]ErrorType{}
	for et := NoErrorType + 1; et < numErrorTypes; et++ {
		name, status := et.String(), et.Status()
		if !idents[name] {
			t.Errorf("ErrorType %d is named %q, which is not its constant's name", et, name)
		}
		if status < 400 || status > 599 {
			t.Errorf("%s: status %d", name, status)
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("ErrorType %d and %d are both %q", prev, et, name)
		}
		seen[name] = et
	}
	if len(seen) != len(idents)-2 { // NoErrorType and numErrorTypes have no row
		t.Errorf("%d rows for %d constants", len(seen), len(idents)-2)
	}
	if NoErrorType.String() != "" || numErrorTypes.String() != "" {
		t.Error("NoErrorType and out-of-range values must have no name")
	}
	if ExpiredTokenException.Status() != 403 || ExpiredTokenException.QueryStatus() != 400 || NoSuchEntity.QueryStatus() != 404 {
		t.Error("QueryStatus: want the query model's status where it differs, Status otherwise")
	}
	if ServiceFailure.Fault() != "Receiver" || NoSuchEntity.Fault() != "Sender" {
		t.Error("Fault: want Receiver for 5xx, Sender otherwise")
	}
}
