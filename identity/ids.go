package identity

import (
	"crypto/rand"
	"encoding/base64"
)

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// awsID returns prefix followed by n random characters of AWS's id
// alphabet (upper-case base32), the shape of AIDA…, AROA…, AKIA…, ASIA….
func awsID(prefix string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	out := make([]byte, 0, len(prefix)+n)
	out = append(out, prefix...)
	for _, c := range b {
		out = append(out, base32Alphabet[c&31])
	}
	return string(out)
}

// newSecret returns a 40-character secret access key.
func newSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
