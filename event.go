package connectfed

import "context"

// EventKind is what happened. Every kind is a constant here, so emitters
// and the sink agree by the compiler, not by spelling.
type EventKind uint8

const (
	// EventWrite is a state-changing API call that succeeded; Event.Op
	// names the operation.
	EventWrite EventKind = iota + 1
	// EventTokenIssued: GetFederationToken issued a token family.
	EventTokenIssued
	// EventTokenRefreshed: a refresh token was exchanged.
	EventTokenRefreshed
	// EventTokenRevoked: a token family was revoked through the API.
	EventTokenRevoked
	// EventRefreshReuse: a used refresh token came back; its family was
	// revoked.
	EventRefreshReuse
	// EventSignIn and EventSignOut: a browser session began or ended.
	EventSignIn
	EventSignOut
)

var eventNames = [...]string{
	EventWrite:          "write",
	EventTokenIssued:    "token-issued",
	EventTokenRefreshed: "token-refreshed",
	EventTokenRevoked:   "token-revoked",
	EventRefreshReuse:   "refresh-reuse-detected",
	EventSignIn:         "sign-in",
	EventSignOut:        "sign-out",
}

// String is the kind's name in the audit trail and the log.
func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return ""
}

// Event is one thing the audit trail, the metrics and the log hear about.
// Fields that do not apply stay empty.
type Event struct {
	Kind      EventKind
	Op        string // EventWrite: the operation, e.g. "CreateUser"
	RequestID string
	AccountID string
	Caller    string // the caller's ARN
	Target    string // the resource acted on, or the Connect user id
	Instance  string // the Connect instance id
	Family    string // the token family id
	Source    string // the client's address
}

// Name is the event's name: the operation of a write, else the kind's.
func (e *Event) Name() string {
	if e.Kind == EventWrite {
		return e.Op
	}
	return e.Kind.String()
}

// EventSink receives events. Emit must not block on slow work: it runs on
// the request's path.
type EventSink interface {
	Emit(ctx context.Context, e Event)
}

// NopSink drops every event.
type NopSink struct{}

// Emit implements EventSink.
func (NopSink) Emit(context.Context, Event) {}
