// Package keyrange holds the byte-string helpers the SQL stores share to
// turn a key prefix into a range scan.
package keyrange

// Successor returns the least string greater than every string that starts
// with prefix: the prefix with trailing 0xFF bytes dropped and its last byte
// incremented. There is none when the prefix is empty or all 0xFF. A scan
// for the prefix is then key >= prefix AND key < successor, which, unlike
// LIKE, gives no byte a meaning.
func Successor(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// Blob keeps a nil value from binding as SQL NULL, and turns the nil an
// empty value scans as back into an empty value.
func Blob(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}
