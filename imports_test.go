package connectfed_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRootImportsOnlyStandardLibrary keeps the root package the
// vocabulary: standard library only, and nothing of the wire or the
// database.
func TestRootImportsOnlyStandardLibrary(t *testing.T) {
	forbidden := map[string]bool{"net/http": true, "database/sql": true, "os/exec": true}
	files, _ := filepath.Glob("*.go")
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first := strings.SplitN(path, "/", 2)[0]
			if strings.Contains(first, ".") {
				t.Errorf("%s imports %s: the root package may use only the standard library", f, path)
			}
			if forbidden[path] {
				t.Errorf("%s imports %s: the root package must not know the wire or the database", f, path)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no root package files found")
	}
}
