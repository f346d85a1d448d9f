package awsapi

import (
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/sigv4"
)

// TestExpiredTokenStatusByProtocol: one name, two statuses: STS models
// ExpiredTokenException 400 (an expired SAML assertion or ID token), while
// Connect answers a request signed with an expired session 403.
func TestExpiredTokenStatusByProtocol(t *testing.T) {
	we := resolveQuery("sts", connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ExpiredTokenException, "Token expired"))
	if we.Type != "ExpiredTokenException" || we.Status != 400 {
		t.Errorf("STS: %s %d, want ExpiredTokenException 400", we.Type, we.Status)
	}
	we = resolveRest(&sigv4.Error{Kind: sigv4.KindExpiredToken, Message: "expired"})
	if we.Type != "ExpiredTokenException" || we.Status != 403 {
		t.Errorf("Connect: %s %d, want ExpiredTokenException 403", we.Type, we.Status)
	}
	we = resolveQuery("sts", &sigv4.Error{Kind: sigv4.KindExpiredToken, Message: "expired"})
	if we.Type != "ExpiredToken" || we.Status != 403 {
		t.Errorf("STS, expired session: %s %d, want ExpiredToken 403", we.Type, we.Status)
	}
}

// TestErrorTableAgreesWithTheModels: every name of the error table that an
// AWS model (modelledStatus, generated from botocore) defines has the
// model's status in one of the protocols.
func TestErrorTableAgreesWithTheModels(t *testing.T) {
	checked := 0
	for et := connectfed.ErrorType(1); et.String() != ""; et++ {
		ms, ok := modelledStatus[et.String()]
		if !ok {
			continue
		}
		checked++
		if et.Status() != ms && et.QueryStatus() != ms {
			t.Errorf("%s: table %d (query %d), model %d", et, et.Status(), et.QueryStatus(), ms)
		}
	}
	if checked < 20 {
		t.Errorf("only %d names checked against the models", checked)
	}
}
