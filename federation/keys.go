package federation

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sort"
	"sync"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/seal"
)

var kindSigningKey = connectfed.RegisterKind("signingkey", "federation")

// signingKey is one MAC key of the ring. Its id is 8 random bytes (hex).
type signingKey struct {
	ID      string    `json:"id"`
	Sealed  string    `json:"sealed"`
	Created time.Time `json:"created"`
	key     []byte
	idBytes [8]byte
	macs    sync.Pool // of hash.Hash: HMAC-SHA256 states under key, reused

	aeadMu sync.Mutex
	aeads  map[string]cipher.AEAD // by purpose, see sealer
}

// mac appends HMAC-SHA256(key, msg) to dst.
func (k *signingKey) mac(dst, msg []byte) []byte {
	h, _ := k.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, k.key)
	}
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst)
	k.macs.Put(h)
	return dst
}

type keyRecord struct {
	ID      string    `json:"id"`
	Sealed  string    `json:"sealed"`
	Created time.Time `json:"created"`
}

// KeyRing holds the token MAC keys. The newest key signs; every key still
// in the ring verifies. Keys live in the store sealed under the master key,
// so every replica and every restart sees the same ring.
type KeyRing struct {
	store  connectfed.Store
	sealer *seal.Sealer
	now    func() time.Time
	// Rotate is how old the newest key may get before a new one is made;
	// Retain is how long a retired key keeps verifying (the longest token
	// lifetime).
	rotate, retain time.Duration

	mu   sync.RWMutex
	keys map[[8]byte]*signingKey
	cur  *signingKey

	reloadMu   sync.Mutex
	lastReload time.Time
	reloadErr  error // the last reload's failure, returned until the next may run
}

// minReload spaces out reloads triggered by unknown key ids, so a flood of
// forged tokens cannot turn into a flood of store reads.
const minReload = time.Second

// OpenKeyRing loads the ring, making the first key if there is none.
func OpenKeyRing(ctx context.Context, store connectfed.Store, sealer *seal.Sealer, now func() time.Time, rotate, retain time.Duration) (*KeyRing, error) {
	kr := &KeyRing{store: store, sealer: sealer, now: now, rotate: rotate, retain: retain}
	if err := kr.Maintain(ctx); err != nil {
		return nil, err
	}
	return kr, nil
}

// Maintain rotates and prunes the ring in one serializable transaction (so
// two replicas never both rotate: the second sees the first's new key), then
// reloads it. Run it periodically.
func (kr *KeyRing) Maintain(ctx context.Context) error {
	now := kr.now().UTC()
	err := kr.store.Update(ctx, func(tx connectfed.Tx) error {
		recs, err := connectfed.ListJSONValues[keyRecord](tx, kindSigningKey, "")
		if err != nil {
			return err
		}
		var newest time.Time
		for _, r := range recs {
			if r.Created.After(newest) {
				newest = r.Created
			}
		}
		for _, r := range recs {
			// A key stops signing when a newer one exists; it is dropped
			// once every token it signed has expired.
			if r.Created.Before(newest) && now.Sub(r.Created) > kr.rotate+kr.retain {
				if err := tx.Delete(kindSigningKey, r.ID); err != nil {
					return err
				}
			}
		}
		if len(recs) > 0 && now.Sub(newest) < kr.rotate {
			return nil
		}
		var id [8]byte
		rand.Read(id[:])
		key := make([]byte, 32)
		rand.Read(key)
		hexID := hex.EncodeToString(id[:])
		rec := keyRecord{ID: hexID, Sealed: kr.sealer.Seal(base64.StdEncoding.EncodeToString(key), "signingkey/"+hexID), Created: now}
		return connectfed.CreateJSON(tx, kindSigningKey, hexID, rec)
	})
	if err != nil {
		return fmt.Errorf("token key ring: %w", err)
	}
	return kr.load(ctx)
}

func (kr *KeyRing) load(ctx context.Context) error {
	var recs []keyRecord
	err := kr.store.View(ctx, func(tx connectfed.Tx) error {
		var err error
		recs, err = connectfed.ListJSONValues[keyRecord](tx, kindSigningKey, "")
		return err
	})
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errors.New("token key ring is empty")
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Created.Before(recs[j].Created) })
	keys := make(map[[8]byte]*signingKey, len(recs))
	var cur *signingKey
	for _, r := range recs {
		raw, err := kr.sealer.Open(r.Sealed, "signingkey/"+r.ID)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", r.ID, err)
		}
		key, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", r.ID, err)
		}
		k := &signingKey{ID: r.ID, Created: r.Created, key: key}
		idb, err := hex.DecodeString(r.ID)
		if err != nil || len(idb) != 8 {
			return fmt.Errorf("signing key id %q is malformed", r.ID)
		}
		copy(k.idBytes[:], idb)
		keys[k.idBytes] = k
		cur = k
	}
	kr.mu.Lock()
	kr.keys, kr.cur = keys, cur
	kr.mu.Unlock()
	return nil
}

func (kr *KeyRing) current() *signingKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.cur
}

func (kr *KeyRing) lookup(id [8]byte) *signingKey {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return kr.keys[id]
}

// lookupOrReload finds a key, reloading the ring once if the id is unknown:
// another replica may have just rotated. It returns (nil, nil) for a key
// the ring does not have, and the store's error when the ring could not be
// reloaded (an outage is not an invalid token); within minReload of a
// failed reload it returns that failure again rather than asking the store.
func (kr *KeyRing) lookupOrReload(ctx context.Context, id [8]byte) (*signingKey, error) {
	if k := kr.lookup(id); k != nil {
		return k, nil
	}
	kr.reloadMu.Lock()
	defer kr.reloadMu.Unlock()
	if k := kr.lookup(id); k != nil {
		return k, nil
	}
	now := kr.now()
	if now.Sub(kr.lastReload) < minReload && now.Sub(kr.lastReload) >= 0 {
		return nil, kr.reloadErr
	}
	kr.lastReload = now
	kr.reloadErr = nil
	if err := kr.load(ctx); err != nil {
		kr.reloadErr = fmt.Errorf("reload the token key ring: %w", err)
		return nil, kr.reloadErr
	}
	return kr.lookup(id), nil
}

// Size is the number of keys in the ring.
func (kr *KeyRing) Size() int {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	return len(kr.keys)
}

// Sealing values other than federation tokens (STS session tokens) under
// the same ring: each purpose gets its own AES-256-GCM key and its own
// derivation key, both HMAC-SHA256(ring key, label) so one purpose's values
// never open as another's and never collide with the token MACs.

// sealOverhead is what Seal adds to a plaintext: key id, nonce, GCM tag.
const sealOverhead = 8 + 12 + 16

func (k *signingKey) sealer(purpose string) cipher.AEAD {
	k.aeadMu.Lock()
	defer k.aeadMu.Unlock()
	if a, ok := k.aeads[purpose]; ok {
		return a
	}
	block, err := aes.NewCipher(k.derive("seal/"+purpose, nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	if k.aeads == nil {
		k.aeads = map[string]cipher.AEAD{}
	}
	k.aeads[purpose] = a
	return a
}

// derive is HMAC-SHA256(key, label 0x00 msg).
func (k *signingKey) derive(label string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write(msg)
	return m.Sum(nil)
}

// Seal encrypts and authenticates plaintext for purpose under the newest
// key of the ring. The result is key id (8 bytes) | nonce (12) |
// ciphertext and tag; the key id is authenticated too. derived is a
// 32-byte secret bound to this sealed value (HMAC of its key id and nonce
// under the same ring key), which Open returns again: what the holder of
// the sealed value cannot compute (the secret key of an STS session).
func (kr *KeyRing) Seal(purpose string, plaintext []byte) (sealed, derived []byte) {
	k := kr.current()
	out := make([]byte, 20, len(plaintext)+sealOverhead)
	copy(out, k.idBytes[:])
	rand.Read(out[8:20])
	derived = k.derive("derive/"+purpose, out[:20])
	return k.sealer(purpose).Seal(out, out[8:20], plaintext, out[:8]), derived
}

// Open checks and decrypts a value made by Seal for purpose, by any key
// still in the ring (reloading the ring once for a key id it does not
// know, as token validation does). A value that does not open (malformed,
// altered, sealed for another purpose or under a key the ring no longer
// has) gives nil plaintext and a nil error; an error is the store's, when
// the ring could not be reloaded.
func (kr *KeyRing) Open(ctx context.Context, purpose string, sealed []byte) (plaintext, derived []byte, err error) {
	if len(sealed) < sealOverhead {
		return nil, nil, nil
	}
	var kid [8]byte
	copy(kid[:], sealed[:8])
	k, err := kr.lookupOrReload(ctx, kid)
	if err != nil {
		return nil, nil, err
	}
	if k == nil {
		return nil, nil, nil
	}
	plaintext, err = k.sealer(purpose).Open(nil, sealed[8:20], sealed[20:], sealed[:8])
	if err != nil || plaintext == nil {
		return nil, nil, nil
	}
	return plaintext, k.derive("derive/"+purpose, sealed[:20]), nil
}

// maxSTSSession is the longest STS session the ring's keys seal (a role's
// MaxSessionDuration is at most 12 hours).
const maxSTSSession = 12 * time.Hour

// Retention is how long a retired key must keep verifying: the longest of
// the refresh token lifetime and the longest STS session.
func Retention(refreshTTL time.Duration) time.Duration {
	return max(refreshTTL, maxSTSSession)
}
