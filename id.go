package connectfed

import (
	"crypto/rand"
	"encoding/hex"
)

// NewUUID returns a random (version 4) UUID, the form Connect uses for
// instance, user and profile ids.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on the impossible)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
