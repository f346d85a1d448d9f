package identity

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
)

// GetSessionToken sessions: temporary credentials of an IAM user or of
// root, acting as that identity. As on AWS, without MFA (connectfed has
// none) they cannot call IAM, and of STS only AssumeRole and
// GetCallerIdentity.

// Session kinds beside a role session ("").
const (
	sessionOfUser = "user"
	sessionOfRoot = "root"
)

// Limits of GetSessionToken's DurationSeconds.
const (
	MinSessionTokenSeconds     = 900
	MaxSessionTokenSeconds     = 129600
	DefaultSessionTokenSeconds = 43200
	MaxRootSessionTokenSeconds = 3600
)

// GetSessionToken makes temporary credentials for an IAM user or root
// (durationSeconds already within the model's 900–129600; root's are cut
// to an hour, as on AWS). A role session may not call it (AccessDenied).
func (s *Service) GetSessionToken(ctx context.Context, caller *connectfed.Principal, durationSeconds int) (*AssumedRole, error) {
	if caller.Session != nil {
		s.explainDenial(ctx, caller, "sts:GetSessionToken", "*", "temporary credentials cannot call GetSessionToken")
		return nil, iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	now := s.now()
	sess := &Session{AccountID: caller.AccountID, AccessKeyID: awsID("ASIA", 16), Created: now}
	switch caller.Type {
	case connectfed.PrincipalUser:
		sess.Kind, sess.UserName, sess.UserID = sessionOfUser, caller.Name, caller.UserID
	case connectfed.PrincipalRoot:
		sess.Kind = sessionOfRoot
		durationSeconds = min(durationSeconds, MaxRootSessionTokenSeconds)
	default:
		return nil, iamErr(connectfed.EFORBIDDEN, connectfed.AccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	sess.Expires = now.Add(time.Duration(durationSeconds) * time.Second)
	// Self-contained like a role session: nothing is written.
	token, secret, err := s.sealSession(sess)
	if err != nil {
		return nil, err
	}
	return &AssumedRole{Session: sess, Secret: secret, Token: token, PackedPolicySize: -1}, nil
}

// userSessionPrincipal is the principal of a GetSessionToken session: the
// user (still existing, with the same id) or root, with session info.
// ok is false when the user is gone.
func userSessionPrincipal(tx connectfed.Tx, sess *Session) (*connectfed.Principal, bool, error) {
	info := &connectfed.SessionInfo{Issued: sess.Created}
	if sess.Kind == sessionOfRoot {
		p := RootPrincipal(sess.AccountID, sess.AccessKeyID)
		p.Session = info
		return p, true, nil
	}
	var u User
	err := getUser(tx, sess.AccountID, sess.UserName, &u)
	if connectfed.ErrorCode(err) == connectfed.ENOTFOUND || err == nil && u.ID != sess.UserID {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &connectfed.Principal{Type: connectfed.PrincipalUser, AccountID: u.AccountID, ARN: u.ARN(), UserID: u.ID, Name: u.Name,
		AccessKeyID: sess.AccessKeyID, Session: info, Tags: u.Tags}, true, nil
}

// sessionTokenRefusal is why a GetSessionToken session may not perform
// action ("" when it may).
func sessionTokenRefusal(p *connectfed.Principal, action string) string {
	if p.Session == nil || p.Type == connectfed.PrincipalAssumedRole {
		return ""
	}
	a := strings.ToLower(action)
	switch {
	case strings.HasPrefix(a, "iam:"):
		return "GetSessionToken credentials without MFA cannot call IAM"
	case strings.HasPrefix(a, "sts:") && a != "sts:assumerole" && a != "sts:getcalleridentity":
		return "GetSessionToken credentials cannot call STS except AssumeRole and GetCallerIdentity"
	}
	return ""
}

// AccessKeyAccount is the account an access key id belongs to (a root or
// IAM user key, or a stored session of an earlier version), for
// GetAccessKeyInfo; an unknown id is ErrNotFound. Temporary key ids are
// no longer recorded (sessions are self-contained), so they are unknown.
func (s *Service) AccessKeyAccount(ctx context.Context, accessKeyID string) (string, error) {
	var acct string
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var rec struct {
			AccountID string `json:"accountId"`
		}
		for _, kind := range []string{kindRootKey, kindAccessKey, kindSession} {
			err := connectfed.GetJSON(tx, kind, accessKeyID, &rec)
			if err == nil {
				acct = rec.AccountID
				return nil
			}
			if !errors.Is(err, connectfed.ErrNotFound) {
				return err
			}
		}
		return connectfed.ErrNotFound
	})
	return acct, err
}
