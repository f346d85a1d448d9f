package awsapi

import (
	"errors"
	"net/http"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/sigv4"
)

// restDefaultType names the Connect error for a domain code when the error
// does not name its own type.
var restDefaultType = map[string]connectfed.ErrorType{
	connectfed.ENOTFOUND:     connectfed.ResourceNotFoundException,
	connectfed.ECONFLICT:     connectfed.DuplicateResourceException,
	connectfed.EINVALID:      connectfed.InvalidRequestException,
	connectfed.EUNAUTHORIZED: connectfed.UnrecognizedClientException,
	connectfed.EFORBIDDEN:    connectfed.AccessDeniedException,
	connectfed.ETHROTTLED:    connectfed.ThrottlingException,
	connectfed.EUNAVAILABLE:  connectfed.InternalServiceException,
	connectfed.EINTERNAL:     connectfed.InternalServiceException,
}

// sigv4Rest names the restJson1 error for each SigV4 failure.
var sigv4Rest = map[sigv4.Kind]connectfed.ErrorType{
	sigv4.KindMissing:           connectfed.MissingAuthenticationTokenException,
	sigv4.KindIncomplete:        connectfed.IncompleteSignatureException,
	sigv4.KindSignatureMismatch: connectfed.InvalidSignatureException,
	sigv4.KindUnknownKey:        connectfed.UnrecognizedClientException,
	sigv4.KindInvalidToken:      connectfed.UnrecognizedClientException,
	sigv4.KindExpiredToken:      connectfed.ExpiredTokenException,
	sigv4.KindSkew:              connectfed.InvalidSignatureException,
	sigv4.KindPresignExpired:    connectfed.AccessDeniedException,
}

// wireError is an error resolved to what the client sees. Type is a
// string because an injected fault may name any error.
type wireError struct {
	Type     string
	Status   int
	Message  string
	Internal bool // detail goes to the log only
}

const internalMessage = "Request processing failed because of an error or failure with the service."

// resolveRest turns any error into the restJson1 error the client sees.
func resolveRest(err error) wireError {
	var ie *injected
	if errors.As(err, &ie) {
		return wireError{Type: ie.Type, Status: ie.Status, Message: ie.Message}
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		t := sigv4Rest[se.Kind]
		return wireError{Type: t.String(), Status: t.Status(), Message: se.Message}
	}
	var e *connectfed.Error
	if errors.As(err, &e) {
		t := e.Type
		if t == connectfed.NoErrorType {
			t = restDefaultType[e.Code]
		}
		status := t.Status()
		if status == 0 {
			status = 400
		}
		switch e.Code {
		case connectfed.EUNAVAILABLE:
			return wireError{Type: connectfed.InternalServiceException.String(), Status: http.StatusServiceUnavailable, Message: "The service is temporarily unavailable. Try again later.", Internal: true}
		case connectfed.EINTERNAL:
			return wireError{Type: connectfed.InternalServiceException.String(), Status: connectfed.InternalServiceException.Status(), Message: internalMessage, Internal: true}
		}
		return wireError{Type: t.String(), Status: status, Message: e.Message}
	}
	if errors.Is(err, connectfed.ErrUnavailable) {
		return wireError{Type: connectfed.InternalServiceException.String(), Status: http.StatusServiceUnavailable, Message: "The service is temporarily unavailable. Try again later.", Internal: true}
	}
	return wireError{Type: connectfed.InternalServiceException.String(), Status: connectfed.InternalServiceException.Status(), Message: internalMessage, Internal: true}
}
