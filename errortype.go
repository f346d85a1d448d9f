package connectfed

// ErrorType is an AWS error name: the error shape a client's SDK matches
// on (the X-Amzn-ErrorType of restJson1, the Error/Code of the query
// protocol). Every name the server sends is a constant below, spelled as AWS
// spells it, and each has one row in errorTypes with its HTTP status; being
// an integer type, a string literal (or a typo of a name) does not compile
// where an ErrorType is expected.
//
// The zero value, NoErrorType, means the error names no type and the wire
// layer picks the protocol's default for the Error's Code.
type ErrorType uint8

// The error names. Connect (restJson1) names end in "Exception"; IAM and STS
// (query protocol) names do not. The token endpoints of the web package use
// the last group.
const (
	NoErrorType ErrorType = iota

	// Connect (restJson1), statuses from the Connect model.
	AccessDeniedException
	ContactNotFoundException
	DuplicateResourceException
	ExpiredTokenException
	IncompleteSignatureException
	InternalServiceException
	InvalidParameterException
	InvalidRequestException
	InvalidSignatureException
	LimitExceededException
	MethodNotAllowedException
	MissingAuthenticationTokenException
	RequestEntityTooLargeException
	RequestTimeoutException
	ResourceConflictException
	ResourceInUseException
	ResourceNotFoundException
	SerializationException
	ServiceQuotaExceededException
	ThrottlingException
	UnknownOperationException
	UnrecognizedClientException
	UserNotFoundException

	// IAM and STS (query protocol).
	AccessDenied
	DeleteConflict
	EntityAlreadyExists
	ExpiredToken
	IncompleteSignature
	InternalFailure
	InvalidAction
	InvalidClientTokenId
	InvalidInput
	InvalidParameterValue
	LimitExceeded
	MalformedPolicyDocument
	MalformedQueryString
	MissingAction
	MissingAuthenticationToken
	MissingParameter
	NoSuchEntity
	PackedPolicyTooLarge
	RequestEntityTooLarge
	RequestTimeout
	ServiceFailure
	ServiceUnavailable
	SignatureDoesNotMatch
	Throttling
	ValidationError

	// IAM identity providers and the federated STS calls.
	IDPCommunicationError
	IDPRejectedClaim
	InvalidIdentityToken
	OpenIdIdpCommunicationError

	// connectfed's token endpoints (restJson1 style, 401 like OAuth).
	InvalidTokenException
	RefreshTokenReusedException
	RevokedTokenException

	numErrorTypes
)

// errorTypes is the one table of error names and their HTTP status.
var errorTypes = [numErrorTypes]struct {
	name   string
	status int
}{
	NoErrorType: {"", 0},

	AccessDeniedException:               {"AccessDeniedException", 403},
	ContactNotFoundException:            {"ContactNotFoundException", 410},
	DuplicateResourceException:          {"DuplicateResourceException", 409},
	ExpiredTokenException:               {"ExpiredTokenException", 403},
	IncompleteSignatureException:        {"IncompleteSignatureException", 400},
	InternalServiceException:            {"InternalServiceException", 500},
	InvalidParameterException:           {"InvalidParameterException", 400},
	InvalidRequestException:             {"InvalidRequestException", 400},
	InvalidSignatureException:           {"InvalidSignatureException", 403},
	LimitExceededException:              {"LimitExceededException", 429},
	MethodNotAllowedException:           {"MethodNotAllowedException", 405},
	MissingAuthenticationTokenException: {"MissingAuthenticationTokenException", 403},
	RequestEntityTooLargeException:      {"RequestEntityTooLargeException", 413},
	RequestTimeoutException:             {"RequestTimeoutException", 408},
	ResourceConflictException:           {"ResourceConflictException", 409},
	ResourceInUseException:              {"ResourceInUseException", 409},
	ResourceNotFoundException:           {"ResourceNotFoundException", 404},
	SerializationException:              {"SerializationException", 400},
	ServiceQuotaExceededException:       {"ServiceQuotaExceededException", 402},
	ThrottlingException:                 {"ThrottlingException", 429},
	UnknownOperationException:           {"UnknownOperationException", 404},
	UnrecognizedClientException:         {"UnrecognizedClientException", 403},
	UserNotFoundException:               {"UserNotFoundException", 404},

	AccessDenied:               {"AccessDenied", 403},
	DeleteConflict:             {"DeleteConflict", 409},
	EntityAlreadyExists:        {"EntityAlreadyExists", 409},
	ExpiredToken:               {"ExpiredToken", 403},
	IncompleteSignature:        {"IncompleteSignature", 400},
	InternalFailure:            {"InternalFailure", 500},
	InvalidAction:              {"InvalidAction", 400},
	InvalidClientTokenId:       {"InvalidClientTokenId", 403},
	InvalidInput:               {"InvalidInput", 400},
	InvalidParameterValue:      {"InvalidParameterValue", 400},
	LimitExceeded:              {"LimitExceeded", 409},
	MalformedPolicyDocument:    {"MalformedPolicyDocument", 400},
	MalformedQueryString:       {"MalformedQueryString", 400},
	MissingAction:              {"MissingAction", 400},
	MissingAuthenticationToken: {"MissingAuthenticationToken", 403},
	MissingParameter:           {"MissingParameter", 400},
	NoSuchEntity:               {"NoSuchEntity", 404},
	PackedPolicyTooLarge:       {"PackedPolicyTooLarge", 400},
	RequestEntityTooLarge:      {"RequestEntityTooLarge", 413},
	RequestTimeout:             {"RequestTimeout", 408},
	ServiceFailure:             {"ServiceFailure", 500},
	ServiceUnavailable:         {"ServiceUnavailable", 503},
	SignatureDoesNotMatch:      {"SignatureDoesNotMatch", 403},
	Throttling:                 {"Throttling", 400},
	ValidationError:            {"ValidationError", 400},

	IDPCommunicationError:       {"IDPCommunicationError", 400},
	IDPRejectedClaim:            {"IDPRejectedClaim", 403},
	InvalidIdentityToken:        {"InvalidIdentityToken", 400},
	OpenIdIdpCommunicationError: {"OpenIdIdpCommunicationError", 400},

	InvalidTokenException:       {"InvalidTokenException", 401},
	RefreshTokenReusedException: {"RefreshTokenReusedException", 401},
	RevokedTokenException:       {"RevokedTokenException", 401},
}

// queryStatus is the status in the query protocol (STS, IAM) of the names
// whose model there gives another status than the table.
var queryStatus = map[ErrorType]int{
	ExpiredTokenException: 400, // STS's model; Connect answers an expired token 403
}

// String is the name as AWS spells it ("" for NoErrorType).
func (t ErrorType) String() string {
	if t >= numErrorTypes {
		return ""
	}
	return errorTypes[t].name
}

// Status is the HTTP status the error is sent with (0 for NoErrorType).
func (t ErrorType) Status() int {
	if t >= numErrorTypes {
		return 0
	}
	return errorTypes[t].status
}

// QueryStatus is the HTTP status the error is sent with in the query
// protocol (STS, IAM): Status, unless that protocol's model says otherwise.
func (t ErrorType) QueryStatus() int {
	if s, ok := queryStatus[t]; ok {
		return s
	}
	return t.Status()
}

// Fault is the query protocol's Error/Type for the error: FaultFor its
// query status.
func (t ErrorType) Fault() string { return FaultFor(t.QueryStatus()) }

// FaultFor is the query protocol's Error/Type for an HTTP status: "Receiver"
// for a server-side (5xx) error, "Sender" otherwise.
func FaultFor(status int) string {
	if status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// ParseErrorType returns the ErrorType named name, if the table has it.
func ParseErrorType(name string) (ErrorType, bool) {
	for t := NoErrorType + 1; t < numErrorTypes; t++ {
		if errorTypes[t].name == name {
			return t, true
		}
	}
	return NoErrorType, false
}
