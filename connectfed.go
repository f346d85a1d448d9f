// Package connectfed holds the vocabulary of the connectfed server: the
// accounts, identities and Amazon Connect resources it keeps, the Store they
// live in, and the one Error type every layer speaks. It imports only the
// standard library; each subpackage adapts one dependency (SigV4, SQLite,
// the AWS wire protocols) and meets the others through these types.
package connectfed

import "time"

// DefaultAccountID and the DefaultAccessKey/DefaultSecretKey pair form the
// development account that works out of the box on loopback.
const (
	DefaultAccountID = "000000000000"
	DefaultAccessKey = "test"
	DefaultSecretKey = "test"
	DefaultRegion    = "us-east-1"
)

// Account is an AWS account emulated by the server.
type Account struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
}

// PrincipalType tells what kind of identity signed a request.
type PrincipalType string

const (
	PrincipalRoot        PrincipalType = "Account"
	PrincipalUser        PrincipalType = "User"
	PrincipalAssumedRole PrincipalType = "AssumedRole"
)

// Principal is an authenticated caller: who signed the request.
type Principal struct {
	Type      PrincipalType
	AccountID string
	// ARN is the caller's ARN as STS GetCallerIdentity reports it.
	ARN string
	// UserID is aws:userid: the account id for root, the AIDA… id for an IAM
	// user, "AROA…:<session>" for an assumed-role session.
	UserID string
	// Name is aws:username for an IAM user, the role session name for an
	// assumed role, and empty for root.
	Name string
	// RoleName, RolePath ("/" or "/a/b/") and RoleID are set for
	// assumed-role sessions.
	RoleName string
	RolePath string
	RoleID   string
	// AccessKeyID is the key that signed the request.
	AccessKeyID string
	// Session describes temporary credentials (nil for long-term keys).
	Session *SessionInfo
	// Tags are the IAM tags of the user, or of a session's role: the
	// principal's aws:PrincipalTag keys (session tags win).
	Tags []SessionTag
}

// SessionInfo is what a role session carries besides its role: when it was
// issued, its session policy, session tags and source identity.
type SessionInfo struct {
	Issued time.Time
	// Policy is the inline session policy document ("" for none).
	Policy string
	// PolicyARNs are the managed session policies (PolicyArns).
	PolicyARNs []string
	// Tags are the session tags, transitive ones included; TransitiveTagKeys
	// names those passed on to a chained session.
	Tags              []SessionTag
	TransitiveTagKeys []string
	SourceIdentity    string
}

// SessionTag is one session tag.
type SessionTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// IsRoot reports whether the principal is an account's root identity.
func (p *Principal) IsRoot() bool { return p.Type == PrincipalRoot }

// Instance is an Amazon Connect instance.
type Instance struct {
	AccountID              string            `json:"accountId"`
	Region                 string            `json:"region"`
	ID                     string            `json:"id"`
	Alias                  string            `json:"alias,omitempty"`
	IdentityManagementType string            `json:"identityManagementType"`
	DirectoryID            string            `json:"directoryId,omitempty"`
	InboundCallsEnabled    bool              `json:"inboundCallsEnabled"`
	OutboundCallsEnabled   bool              `json:"outboundCallsEnabled"`
	Status                 string            `json:"status"`
	Created                time.Time         `json:"created"`
	Tags                   map[string]string `json:"tags,omitempty"`
	// Attributes are the instance attributes UpdateInstanceAttribute set
	// (InstanceAttributeType -> "true"/"false" or a value); the others have
	// their defaults.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// ARN returns the instance's ARN.
func (i *Instance) ARN() string {
	return "arn:aws:connect:" + i.Region + ":" + i.AccountID + ":instance/" + i.ID
}

// Instance statuses and identity management types, as in the Connect model.
const (
	InstanceActive = "ACTIVE"

	IdentitySAML              = "SAML"
	IdentityConnectManaged    = "CONNECT_MANAGED"
	IdentityExistingDirectory = "EXISTING_DIRECTORY"
)

// UserIdentityInfo is a Connect user's name and contact details.
type UserIdentityInfo struct {
	FirstName      string `json:"FirstName,omitempty"`
	LastName       string `json:"LastName,omitempty"`
	Email          string `json:"Email,omitempty"`
	SecondaryEmail string `json:"SecondaryEmail,omitempty"`
	Mobile         string `json:"Mobile,omitempty"`
}

// UserPhoneConfig is a Connect user's phone settings.
type UserPhoneConfig struct {
	PhoneType                 string `json:"PhoneType"`
	AutoAccept                bool   `json:"AutoAccept"`
	AfterContactWorkTimeLimit int64  `json:"AfterContactWorkTimeLimit"`
	DeskPhoneNumber           string `json:"DeskPhoneNumber,omitempty"`
	PersistentConnection      *bool  `json:"PersistentConnection,omitempty"`
}

// User is an Amazon Connect user (an agent).
type User struct {
	AccountID          string            `json:"accountId"`
	Region             string            `json:"region"`
	InstanceID         string            `json:"instanceId"`
	ID                 string            `json:"id"`
	Username           string            `json:"username"`
	IdentityInfo       *UserIdentityInfo `json:"identityInfo,omitempty"`
	PhoneConfig        UserPhoneConfig   `json:"phoneConfig"`
	DirectoryUserID    string            `json:"directoryUserId,omitempty"`
	SecurityProfileIDs []string          `json:"securityProfileIds"`
	RoutingProfileID   string            `json:"routingProfileId"`
	HierarchyGroupID   string            `json:"hierarchyGroupId,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	// PasswordHash is set only for CONNECT_MANAGED instances; the password
	// itself is never kept.
	PasswordHash string    `json:"passwordHash,omitempty"`
	LastModified time.Time `json:"lastModified"`
}

// ARN returns the user's ARN in the agent form Connect uses.
func (u *User) ARN() string {
	return "arn:aws:connect:" + u.Region + ":" + u.AccountID + ":instance/" + u.InstanceID + "/agent/" + u.ID
}

// SecurityProfile is a named set of Connect permissions.
type SecurityProfile struct {
	ID                       string            `json:"id"`
	Name                     string            `json:"name"`
	Description              string            `json:"description,omitempty"`
	Permissions              []string          `json:"permissions,omitempty"`
	AllowedAccessControlTags map[string]string `json:"allowedAccessControlTags,omitempty"`
	TagRestrictedResources   []string          `json:"tagRestrictedResources,omitempty"`
	Tags                     map[string]string `json:"tags,omitempty"`
	LastModified             time.Time         `json:"lastModified"`
}

// RoutingProfile routes contacts to agents from queues.
type RoutingProfile struct {
	ID                     string               `json:"id"`
	Name                   string               `json:"name"`
	Description            string               `json:"description,omitempty"`
	DefaultQueueID         string               `json:"defaultQueueId"`
	MediaConcurrencies     []MediaConcurrency   `json:"mediaConcurrencies,omitempty"`
	Queues                 []RoutingQueueConfig `json:"queues,omitempty"`
	AgentAvailabilityTimer string               `json:"agentAvailabilityTimer,omitempty"`
	IsDefault              bool                 `json:"isDefault,omitempty"`
	Tags                   map[string]string    `json:"tags,omitempty"`
	LastModified           time.Time            `json:"lastModified"`
}

// MediaConcurrency is how many contacts of a channel an agent handles at
// once.
type MediaConcurrency struct {
	Channel      string `json:"channel"`
	Concurrency  int    `json:"concurrency"`
	CrossChannel string `json:"crossChannel,omitempty"` // BehaviorType
}

// RoutingQueueConfig is one queue and channel a routing profile takes
// contacts from.
type RoutingQueueConfig struct {
	QueueID  string `json:"queueId"`
	Channel  string `json:"channel"`
	Priority int    `json:"priority"`
	Delay    int    `json:"delay"`
}

// Queue holds contacts waiting for an agent.
type Queue struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	Description        string            `json:"description,omitempty"`
	HoursOfOperationID string            `json:"hoursOfOperationId,omitempty"`
	MaxContacts        *int64            `json:"maxContacts,omitempty"`
	Status             string            `json:"status,omitempty"` // "" is ENABLED
	OutboundCaller     *OutboundCaller   `json:"outboundCaller,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	LastModified       time.Time         `json:"lastModified"`
}

// OutboundCaller is a queue's OutboundCallerConfig.
type OutboundCaller struct {
	IDName     string `json:"idName,omitempty"`
	IDNumberID string `json:"idNumberId,omitempty"`
	FlowID     string `json:"flowId,omitempty"`
}
