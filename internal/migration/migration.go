// Package migration reads a store's embedded, ordered schema migrations.
// Each backend applies them in its own dialect and transaction.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one NNNN_description.sql file.
type Migration struct {
	Version int
	Name    string // file name, for messages and schema_migrations
	SQL     string
}

// Load reads NNNN_*.sql files from the root of fsys and returns them
// ordered by version. Versions must be 1, 2, 3... with no gaps or
// duplicates, so a misnamed file fails every Open instead of being skipped.
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		digits, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(digits)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_description.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: path.Base(name), SQL: string(body)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: version %d, want %d (versions must run 1, 2, 3... without gaps or duplicates)", m.Name, m.Version, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations found")
	}
	return ms, nil
}
