package awsapi

import (
	"errors"
	"net/http"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/sigv4"
)

// restStatus is the HTTP status of each error shape this server sends on
// restJson1 (Connect), from the Connect model where it models the shape.
var restStatus = map[string]int{
	"InvalidRequestException":             400,
	"InvalidParameterException":           400,
	"SerializationException":              400,
	"IncompleteSignatureException":        400,
	"ResourceNotFoundException":           404,
	"UserNotFoundException":               404,
	"UnknownOperationException":           404,
	"MethodNotAllowedException":           405,
	"DuplicateResourceException":          409,
	"ResourceConflictException":           409,
	"ServiceQuotaExceededException":       402,
	"AccessDeniedException":               403,
	"MissingAuthenticationTokenException": 403,
	"InvalidSignatureException":           403,
	"UnrecognizedClientException":         403,
	"ExpiredTokenException":               403,
	"RequestEntityTooLargeException":      413,
	"ThrottlingException":                 429,
	"LimitExceededException":              429,
	"InternalServiceException":            500,
}

// restDefaultType names the Connect error for a domain code when the error
// does not name its own type.
var restDefaultType = map[string]string{
	connectfed.ENOTFOUND:     "ResourceNotFoundException",
	connectfed.ECONFLICT:     "DuplicateResourceException",
	connectfed.EINVALID:      "InvalidRequestException",
	connectfed.EUNAUTHORIZED: "UnrecognizedClientException",
	connectfed.EFORBIDDEN:    "AccessDeniedException",
	connectfed.ETHROTTLED:    "ThrottlingException",
	connectfed.EUNAVAILABLE:  "InternalServiceException",
	connectfed.EINTERNAL:     "InternalServiceException",
}

// sigv4Rest names the restJson1 error for each SigV4 failure.
var sigv4Rest = map[sigv4.Kind]string{
	sigv4.KindMissing:           "MissingAuthenticationTokenException",
	sigv4.KindIncomplete:        "IncompleteSignatureException",
	sigv4.KindSignatureMismatch: "InvalidSignatureException",
	sigv4.KindUnknownKey:        "UnrecognizedClientException",
	sigv4.KindInvalidToken:      "UnrecognizedClientException",
	sigv4.KindExpiredToken:      "ExpiredTokenException",
	sigv4.KindSkew:              "InvalidSignatureException",
	sigv4.KindPresignExpired:    "AccessDeniedException",
}

// wireError is an error resolved to what the client sees.
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
		return wireError{Type: t, Status: restStatus[t], Message: se.Message}
	}
	var e *connectfed.Error
	if errors.As(err, &e) {
		t := e.Type
		if t == "" {
			t = restDefaultType[e.Code]
		}
		status, ok := restStatus[t]
		if !ok {
			status = 400
		}
		switch e.Code {
		case connectfed.EUNAVAILABLE:
			return wireError{Type: "InternalServiceException", Status: http.StatusServiceUnavailable, Message: "The service is temporarily unavailable. Try again later.", Internal: true}
		case connectfed.EINTERNAL:
			return wireError{Type: "InternalServiceException", Status: 500, Message: internalMessage, Internal: true}
		}
		return wireError{Type: t, Status: status, Message: e.Message}
	}
	if errors.Is(err, connectfed.ErrUnavailable) {
		return wireError{Type: "InternalServiceException", Status: http.StatusServiceUnavailable, Message: "The service is temporarily unavailable. Try again later.", Internal: true}
	}
	return wireError{Type: "InternalServiceException", Status: 500, Message: internalMessage, Internal: true}
}
