// Package seal encrypts the secrets the server must read back (secret
// access keys, session tokens, token signing keys) under a master key kept
// outside the store, and derives the server's other keys from it.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Sealer encrypts secrets that the server must be able to read back (SigV4
// needs the secret access key itself to recompute a signature) with
// AES-256-GCM under a master key kept outside the store. It also derives the
// other server keys (pagination tokens, ...) from the master key, so replicas
// that share the master key agree on them.
type Sealer struct {
	aead   cipher.AEAD
	master []byte
}

// NewSealer returns a Sealer for a 32-byte master key.
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, got %d", len(master))
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, master: append([]byte(nil), master...)}, nil
}

// Seal encrypts plaintext; context binds the ciphertext to its use (for
// example the access key id), so a sealed value cannot be moved to another
// record.
func (s *Sealer) Seal(plaintext, context string) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return base64.RawStdEncoding.EncodeToString(out)
}

// ErrWrongKey is Open's error for a value sealed under another master key
// (or altered).
var ErrWrongKey = errors.New("sealed value does not open with this master key")

// Open decrypts a value made by Seal with the same context.
func (s *Sealer) Open(sealed, context string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("sealed value is malformed")
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, b[:n], b[n:], []byte(context))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(pt), nil
}

// DeriveKey returns a 32-byte key for one purpose, derived from the master
// key with HMAC-SHA256.
func (s *Sealer) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, s.master)
	m.Write([]byte("github.com/connectfed/connectfed/" + purpose))
	return m.Sum(nil)
}

// LoadOrCreateMasterKey reads the master key file, creating it with a fresh
// random key (mode 0600) on first use.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := base64.StdEncoding.DecodeString(string(trimSpace(b)))
		if derr != nil || len(key) != 32 {
			return nil, fmt.Errorf("master key file %s: want 32 bytes in base64", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return key, nil
}

// ParseMasterKey decodes a base64 master key given by flag or environment.
func ParseMasterKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(string(trimSpace([]byte(s))))
	if err != nil || len(key) != 32 {
		return nil, errors.New("master key: want 32 bytes in base64 (openssl rand -base64 32)")
	}
	return key, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}
