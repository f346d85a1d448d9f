package sigv4

// Kind classifies a verification failure. Protocol layers map a Kind to the
// AWS error name and HTTP status of the protocol they speak; Error.Message
// already carries the AWS-style text for the client.
type Kind int

const (
	// KindMissing: the request carries no SigV4 authentication at all
	// (MissingAuthenticationTokenException, 403).
	KindMissing Kind = iota + 1
	// KindIncomplete: the authentication is present but malformed
	// (IncompleteSignatureException, 400).
	KindIncomplete
	// KindSignatureMismatch: the signature does not verify, a signed part of
	// the request is absent, or the scope does not match the request
	// (InvalidSignatureException, 403).
	KindSignatureMismatch
	// KindUnknownKey: the access key id is not known
	// (UnrecognizedClientException, 403).
	KindUnknownKey
	// KindInvalidToken: the session token is missing, unexpected or wrong
	// (UnrecognizedClientException, 403).
	KindInvalidToken
	// KindExpiredToken: the temporary credentials have expired
	// (ExpiredTokenException, 403).
	KindExpiredToken
	// KindSkew: the signing time is more than MaxSkew away from now
	// (InvalidSignatureException, 403, "Signature expired: ..." or
	// "Signature not yet current: ...").
	KindSkew
	// KindPresignExpired: a presigned URL is past X-Amz-Date + X-Amz-Expires
	// (403, "Request has expired").
	KindPresignExpired
)

var kindNames = [...]string{
	KindMissing:           "Missing",
	KindIncomplete:        "Incomplete",
	KindSignatureMismatch: "SignatureMismatch",
	KindUnknownKey:        "UnknownKey",
	KindInvalidToken:      "InvalidToken",
	KindExpiredToken:      "ExpiredToken",
	KindSkew:              "Skew",
	KindPresignExpired:    "PresignExpired",
}

// String returns the short name of the kind ("Missing", "SignatureMismatch", ...).
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Unknown"
}

// Error is the error Verify and Scope return for every client-caused failure.
// Message is AWS-style text that is safe to show to the client: it never
// contains the secret key, the expected session token or the expected
// signature (it may echo what the client itself sent, as AWS does).
type Error struct {
	Kind    Kind
	Message string
	// Detail says more, for the server's debug log only (never sent to
	// the client): for a signature mismatch, the string to sign the server
	// computed, to compare with the client's (`aws --debug` prints it).
	// It holds no secret.
	Detail string
}

func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

// Fixed client-facing messages (AWS wording).
const (
	MsgMissing           = "Missing Authentication Token"
	MsgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	MsgInvalidToken      = "The security token included in the request is invalid."
	MsgExpiredToken      = "The security token included in the request is expired"
	MsgPresignExpired    = "Request has expired"
	// MsgPayloadHashMismatch is used (with KindSignatureMismatch) when the
	// X-Amz-Content-Sha256 header is neither UNSIGNED-PAYLOAD nor the SHA-256
	// of the body (S3 wording).
	MsgPayloadHashMismatch = "The provided 'x-amz-content-sha256' header does not match what was computed."
	// MsgDoubleAuth is used (with KindIncomplete) when both the Authorization
	// header and the presigned query parameters are present (S3 wording).
	MsgDoubleAuth = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	// MsgHostNotSigned is used (with KindIncomplete) when SignedHeaders lacks host.
	MsgHostNotSigned = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
)

func newErr(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

func incomplete(msg string) *Error { return &Error{Kind: KindIncomplete, Message: msg} }
