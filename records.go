package connectfed

import (
	"encoding/json"
	"fmt"
)

// GetJSON reads (kind, key) into v. It returns ErrNotFound when absent.
func GetJSON(tx Tx, kind, key string, v any) error {
	b, err := tx.Get(kind, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s %q: %w", kind, key, err)
	}
	return nil
}

// CreateJSON stores v under a new key. It returns ErrExists when taken.
func CreateJSON(tx Tx, kind, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	return tx.Create(kind, key, b)
}

// PutJSON replaces the value under an existing key. It returns ErrNotFound
// when absent.
func PutJSON(tx Tx, kind, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", kind, err)
	}
	return tx.Put(kind, key, b)
}

// ListJSON lists entries like Tx.List and decodes each value from JSON into
// a T.
// It returns the key of the last entry read, for use as the next cursor.
func ListJSON[T any](tx Tx, kind, prefix, after string, limit int) ([]T, string, error) {
	entries, err := tx.List(kind, prefix, after, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(entries))
	last := ""
	for _, e := range entries {
		var v T
		if err := json.Unmarshal(e.Value, &v); err != nil {
			return nil, "", fmt.Errorf("decode %s %q: %w", kind, e.Key, err)
		}
		out = append(out, v)
		last = e.Key
	}
	return out, last, nil
}

// ListJSONValues decodes every entry of kind under prefix.
func ListJSONValues[T any](tx Tx, kind, prefix string) ([]T, error) {
	out, _, err := ListJSON[T](tx, kind, prefix, "", 0)
	return out, err
}
