package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/connectfed/connectfed"
)

// pager makes pagination tokens opaque and tamper-evident: a token is the
// last key read plus a MAC over it and the listing it belongs to (operation,
// account, region, parent), so a forged token or one from another listing or
// account is refused instead of reading elsewhere.
type pager struct {
	key []byte
}

const pageMACLen = 16

func (p pager) mac(listing, last string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(listing))
	m.Write([]byte{0})
	m.Write([]byte(last))
	return m.Sum(nil)[:pageMACLen]
}

// token returns the NextToken for a page that ended at last ("" = no more).
func (p pager) token(listing, last string) string {
	if last == "" {
		return ""
	}
	b := append(p.mac(listing, last), last...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cursor checks a NextToken and returns the key to continue after.
func (p pager) cursor(listing, token string, errType connectfed.ErrorType) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err == nil && len(b) > pageMACLen {
		last := string(b[pageMACLen:])
		if hmac.Equal(b[:pageMACLen], p.mac(listing, last)) {
			return last, nil
		}
	}
	return "", connectfed.TypedErrorf(connectfed.EINVALID, errType, "The nextToken is not valid.")
}
