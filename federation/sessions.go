package federation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/connectfed/connectfed"
)

// Record kinds for browser sign-in.
var (
	kindWebSession = connectfed.RegisterKind("websession", "federation") // key: sha256(session id), hex
	kindSignInUsed = connectfed.RegisterKind("signinused", "federation") // key: sha256(access token), hex
)

// WebSession is a signed-in browser. The store keys it by the hash of its
// id, so what is stored cannot be replayed as a cookie.
type WebSession struct {
	AccountID  string    `json:"accountId"`
	Region     string    `json:"region"`
	InstanceID string    `json:"instanceId"`
	UserID     string    `json:"userId"`
	Family     string    `json:"family"`
	Created    time.Time `json:"created"`
	Expires    time.Time `json:"expires"`
	// CSRF is the token the sign-out form must echo.
	CSRF string `json:"csrf"`
}

// ErrSignedOut says a browser session no longer exists: it was signed out
// (or removed after it expired). It is a kind of ErrRevoked.
var ErrSignedOut = fmt.Errorf("%w: the session was signed out", ErrRevoked)

// ErrSignInUsed says an access token already started a browser session.
var ErrSignInUsed = errors.New("this access token has already been used to sign in")

func hashHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// SignIn exchanges an access token for a browser session on the instance
// whose sign-in page was opened, lasting no longer than the token. Each
// access token starts at most one session: the sign-in URL carries the
// token, so a copy left in a history or a log cannot open a second
// session. A token for another instance is refused without being used up.
func (s *Service) SignIn(ctx context.Context, accessToken, instanceID string) (string, *WebSession, *Identity, error) {
	id, err := s.Validate(ctx, accessToken, KindAccess)
	if err != nil {
		return "", nil, nil, err
	}
	c := id.Claims
	if c.InstanceID != instanceID {
		return "", nil, nil, ErrWrongInstance
	}
	sid := randomToken()
	ws := &WebSession{
		AccountID: c.AccountID, Region: c.Region, InstanceID: c.InstanceID, UserID: c.UserID, Family: c.FamilyID(),
		Created: s.now(), Expires: c.Expires, CSRF: randomToken(),
	}
	err = s.Store.Update(ctx, func(tx connectfed.Tx) error {
		used := []byte(`{"expires":"` + c.Expires.Format(time.RFC3339) + `"}`)
		if err := connectfed.CreateExpiring(tx, kindSignInUsed, hashHex(accessToken), used, c.Expires); err != nil {
			if errors.Is(err, connectfed.ErrExists) {
				return ErrSignInUsed
			}
			return err
		}
		return connectfed.CreateJSONExpiring(tx, kindWebSession, hashHex(sid), ws, ws.Expires)
	})
	if err != nil {
		return "", nil, nil, err
	}
	return sid, ws, id, nil
}

// Session returns the live browser session for a cookie value: not expired,
// its token family not revoked, its user and instance still there.
func (s *Service) Session(ctx context.Context, sid string) (*WebSession, *Identity, error) {
	if sid == "" || len(sid) > 128 {
		return nil, nil, ErrMalformed
	}
	var ws WebSession
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		return connectfed.GetJSON(tx, kindWebSession, hashHex(sid), &ws)
	})
	if errors.Is(err, connectfed.ErrNotFound) {
		return nil, nil, ErrSignedOut
	}
	if err != nil {
		return nil, nil, err
	}
	if !s.now().Before(ws.Expires) {
		return nil, nil, ErrExpired
	}
	c := &Claims{Kind: KindAccess, Expires: ws.Expires, AccountID: ws.AccountID, Region: ws.Region, InstanceID: ws.InstanceID, UserID: ws.UserID}
	fam, err := hex.DecodeString(ws.Family)
	if err != nil || len(fam) != 16 {
		return nil, nil, ErrMalformed
	}
	copy(c.Family[:], fam)
	id, err := s.check(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	return &ws, id, nil
}

// SignOut ends a browser session. Ending one that is already gone is not
// an error.
func (s *Service) SignOut(ctx context.Context, sid string) error {
	return s.Store.Update(ctx, func(tx connectfed.Tx) error {
		err := tx.Delete(kindWebSession, hashHex(sid))
		if errors.Is(err, connectfed.ErrNotFound) {
			return nil
		}
		return err
	})
}
