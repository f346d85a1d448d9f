package connectfed

import (
	"errors"
	"fmt"
)

// Error codes: a small set that every layer understands. The wire packages map
// each code (and, where set, Error.Type) to the status and error name of the
// protocol they speak.
const (
	ENOTFOUND     = "not_found"    // the thing does not exist (or is not visible to the caller)
	ECONFLICT     = "conflict"     // the thing already exists, or its state forbids the change
	EINVALID      = "invalid"      // the request is malformed or breaks a constraint
	EUNAUTHORIZED = "unauthorized" // the caller could not be authenticated
	EFORBIDDEN    = "forbidden"    // the caller is known but not allowed
	ETHROTTLED    = "throttled"    // too many requests
	EUNAVAILABLE  = "unavailable"  // a dependency (the database) is unreachable
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is the one error type of the domain. Code is one of the E* constants.
// Type, when set, is the exact AWS error name the wire layer must use (for
// example UserNotFoundException where the generic code would say
// ResourceNotFoundException; see errortype.go). Message is shown to the client as is, so it must
// never carry internal detail or secrets.
type Error struct {
	Code    string
	Type    ErrorType
	Message string
}

func (e *Error) Error() string {
	if e.Type != NoErrorType {
		return fmt.Sprintf("%s (%s): %s", e.Type, e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// TypedErrorf returns an *Error that names its exact AWS error type.
func TypedErrorf(code string, typ ErrorType, format string, args ...any) *Error {
	return &Error{Code: code, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EINTERNAL otherwise; nil gives "".
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Sentinel store errors. Every Store backend returns these (possibly wrapped),
// never a driver's own error for these conditions.
var (
	ErrNotFound    = &Error{Code: ENOTFOUND, Message: "not found"}
	ErrExists      = &Error{Code: ECONFLICT, Message: "already exists"}
	ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: "store unavailable"}
)
