package identity

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
)

// SessionKeys seals STS session tokens under the token key ring every
// replica shares (federation.KeyRing implements it).
type SessionKeys interface {
	// Seal encrypts and authenticates plaintext under the newest key and
	// returns a secret bound to the sealed value.
	Seal(purpose string, plaintext []byte) (sealed, derived []byte)
	// Open reverses Seal with any key still in the ring. A value that does
	// not open gives a nil plaintext and a nil error.
	Open(ctx context.Context, purpose string, sealed []byte) (plaintext, derived []byte, err error)
}

// A session token is self-contained: it carries the whole session (access
// key id, account, role name, unique id and path, session name, issue and
// expiry times, session policy, managed session policy ARNs, tags, transitive tag keys, source
// identity), sealed with AES-256-GCM under a key of the ring. The secret
// access key is not in it: it is derived from the sealed value's key id
// and nonce under the same ring key, so only the server can compute it.
// Issuing a session writes nothing; checking one reads only the role (its
// unique id must still be the session's, so deleting the role, or an
// account reset, refuses its sessions).
//
// Tokens made before this format (a random token and a stored session
// record) still resolve through the stored record until they expire.
const (
	// sessionTokenPrefix starts every self-contained token (AWS's own
	// session tokens start with these characters too).
	sessionTokenPrefix = "IQoJb3JpZ2luX2Vj"
	sessionPurpose     = "sts-session"
	sessionFormatRaw   = 1
	sessionFormatFlate = 2
	// compressAbove is the payload size from which it is DEFLATEd (a
	// session policy or many tags).
	compressAbove = 384
	// maxSessionPayload bounds a decompressed payload (a 2,048-character
	// policy and 50 tags fit well within it).
	maxSessionPayload = 64 << 10
	// maxSessionToken bounds the token text accepted for decoding.
	maxSessionToken = 16 << 10
)

func isSessionToken(tok string) bool { return strings.HasPrefix(tok, sessionTokenPrefix) }

// sessionSecret turns the derived bytes into a 40-character secret key.
func sessionSecret(derived []byte) string {
	return base64.StdEncoding.EncodeToString(derived[:30])
}

// sealSession makes the token and the secret for a new session.
func (s *Service) sealSession(sess *Session) (token, secret string, err error) {
	if s.Keys == nil {
		return "", "", errors.New("identity: no session key ring (Service.Keys)")
	}
	raw := encodeSession(sess)
	payload := make([]byte, 0, len(raw)+1)
	if len(raw) > compressAbove {
		var buf bytes.Buffer
		buf.WriteByte(sessionFormatFlate)
		w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
		w.Write(raw)
		w.Close()
		payload = buf.Bytes()
	} else {
		payload = append(append(payload, sessionFormatRaw), raw...)
	}
	sealed, derived := s.Keys.Seal(sessionPurpose, payload)
	return sessionTokenPrefix + base64.StdEncoding.EncodeToString(sealed), sessionSecret(derived), nil
}

// openSession returns the session a token carries and its secret key, or
// (nil, "", nil) for a token that does not open or that is not for
// accessKeyID. An error is an internal failure (the key ring could not be
// reloaded).
func (s *Service) openSession(ctx context.Context, accessKeyID, token string) (*Session, string, error) {
	if s.Keys == nil || len(token) > maxSessionToken || !isSessionToken(token) {
		return nil, "", nil
	}
	sealed, err := base64.StdEncoding.Strict().DecodeString(token[len(sessionTokenPrefix):])
	if err != nil {
		return nil, "", nil
	}
	payload, derived, err := s.Keys.Open(ctx, sessionPurpose, sealed)
	if err != nil {
		return nil, "", err
	}
	if len(payload) == 0 {
		return nil, "", nil
	}
	raw := payload[1:]
	switch payload[0] {
	case sessionFormatRaw:
	case sessionFormatFlate:
		r := flate.NewReader(bytes.NewReader(raw))
		raw, err = io.ReadAll(io.LimitReader(r, maxSessionPayload+1))
		if err != nil || len(raw) > maxSessionPayload {
			return nil, "", nil
		}
	default:
		return nil, "", nil
	}
	sess, ok := decodeSession(raw)
	if !ok || sess.AccessKeyID != accessKeyID {
		return nil, "", nil
	}
	return sess, sessionSecret(derived), nil
}

// encodeSession: a version byte, then each field length-prefixed (uvarint)
// or as a varint.
const sessionEncoding = 1

// sessionEncodingUser is sessionEncoding followed by the kind, user name
// and user id of a GetSessionToken session.
const sessionEncodingUser = 2

func encodeSession(s *Session) []byte {
	b := make([]byte, 0, 160+len(s.Policy))
	version := byte(sessionEncoding)
	if s.Kind != "" {
		version = sessionEncodingUser
	}
	b = append(b, version)
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	str(s.AccessKeyID)
	str(s.AccountID)
	str(s.RoleName)
	str(s.RoleID)
	str(s.RolePath)
	str(s.SessionName)
	b = binary.AppendVarint(b, s.Created.UnixNano())
	b = binary.AppendVarint(b, s.Expires.UnixNano())
	str(s.Policy)
	b = binary.AppendUvarint(b, uint64(len(s.PolicyARNs)))
	for _, arn := range s.PolicyARNs {
		str(arn)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Tags)))
	for _, t := range s.Tags {
		str(t.Key)
		str(t.Value)
	}
	b = binary.AppendUvarint(b, uint64(len(s.TransitiveTagKeys)))
	for _, k := range s.TransitiveTagKeys {
		str(k)
	}
	str(s.SourceIdentity)
	if version == sessionEncodingUser {
		str(s.Kind)
		str(s.UserName)
		str(s.UserID)
	}
	return b
}

func decodeSession(b []byte) (*Session, bool) {
	if len(b) < 1 || b[0] != sessionEncoding && b[0] != sessionEncodingUser {
		return nil, false
	}
	version := b[0]
	b = b[1:]
	bad := false
	str := func() string {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			bad = true
			return ""
		}
		v := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return v
	}
	num := func() int64 {
		v, k := binary.Varint(b)
		if k <= 0 {
			bad = true
			return 0
		}
		b = b[k:]
		return v
	}
	count := func() int {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > MaxSessionTags {
			bad = true
			return 0
		}
		b = b[k:]
		return int(n)
	}
	s := &Session{}
	s.AccessKeyID, s.AccountID, s.RoleName, s.RoleID, s.RolePath, s.SessionName = str(), str(), str(), str(), str(), str()
	s.Created = time.Unix(0, num()).UTC()
	s.Expires = time.Unix(0, num()).UTC()
	s.Policy = str()
	if n := count(); n > 0 {
		s.PolicyARNs = make([]string, 0, n)
		for i := 0; i < n && !bad; i++ {
			s.PolicyARNs = append(s.PolicyARNs, str())
		}
	}
	if n := count(); n > 0 {
		s.Tags = make([]connectfed.SessionTag, 0, n)
		for i := 0; i < n && !bad; i++ {
			s.Tags = append(s.Tags, connectfed.SessionTag{Key: str(), Value: str()})
		}
	}
	if n := count(); n > 0 {
		s.TransitiveTagKeys = make([]string, 0, n)
		for i := 0; i < n && !bad; i++ {
			s.TransitiveTagKeys = append(s.TransitiveTagKeys, str())
		}
	}
	s.SourceIdentity = str()
	if version == sessionEncodingUser {
		s.Kind, s.UserName, s.UserID = str(), str(), str()
		bad = bad || s.Kind == ""
	}
	if bad || len(b) != 0 {
		return nil, false
	}
	return s, true
}

// sessionCredential resolves a self-contained session token: the token
// opens, is for this access key id, and its role still exists with the
// same unique id. Expiry is the SigV4 verifier's check (Credential.Expires).
func (s *Service) sessionCredential(ctx context.Context, accessKeyID, token string) (*Credential, error) {
	sess, secret, err := s.openSession(ctx, accessKeyID, token)
	if err != nil || sess == nil {
		return nil, err
	}
	if sess.Kind != "" {
		var p *connectfed.Principal
		err := s.Store.View(ctx, func(tx connectfed.Tx) (err error) {
			p, _, err = userSessionPrincipal(tx, sess)
			return err
		})
		if err != nil || p == nil {
			return nil, err
		}
		return &Credential{Secret: secret, SessionToken: token, Expires: sess.Expires, Principal: p}, nil
	}
	role, err := s.role(ctx, sess.AccountID, sess.RoleName)
	if connectfed.ErrorCode(err) == connectfed.ENOTFOUND || err == nil && role.ID != sess.RoleID {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := sess.Principal()
	p.Tags = role.Tags
	return &Credential{Secret: secret, SessionToken: token, Expires: sess.Expires, Principal: p}, nil
}
