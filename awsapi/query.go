package awsapi

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/sigv4"
)

// The query protocol (STS, IAM): form-encoded parameters with Action and
// Version, XML responses and XML errors in the service's namespace.

var queryVersion = map[string]string{"sts": "2011-06-15", "iam": "2010-05-08"}

func queryNamespace(service string) string {
	if service == "iam" {
		return "https://iam.amazonaws.com/doc/2010-05-08/"
	}
	return "https://sts.amazonaws.com/doc/2011-06-15/"
}

var queryDefaultType = map[string]connectfed.ErrorType{
	connectfed.ENOTFOUND:     connectfed.NoSuchEntity,
	connectfed.ECONFLICT:     connectfed.EntityAlreadyExists,
	connectfed.EINVALID:      connectfed.ValidationError,
	connectfed.EUNAUTHORIZED: connectfed.InvalidClientTokenId,
	connectfed.EFORBIDDEN:    connectfed.AccessDenied,
	connectfed.ETHROTTLED:    connectfed.Throttling,
}

var sigv4Query = map[sigv4.Kind]connectfed.ErrorType{
	sigv4.KindMissing:           connectfed.MissingAuthenticationToken,
	sigv4.KindIncomplete:        connectfed.IncompleteSignature,
	sigv4.KindSignatureMismatch: connectfed.SignatureDoesNotMatch,
	sigv4.KindUnknownKey:        connectfed.InvalidClientTokenId,
	sigv4.KindInvalidToken:      connectfed.InvalidClientTokenId,
	sigv4.KindExpiredToken:      connectfed.ExpiredToken,
	sigv4.KindSkew:              connectfed.SignatureDoesNotMatch,
	sigv4.KindPresignExpired:    connectfed.AccessDenied,
}

// queryRename maps restJson1 names that domain errors may carry to their
// query-protocol spelling.
var queryRename = map[connectfed.ErrorType]connectfed.ErrorType{
	connectfed.AccessDeniedException:          connectfed.AccessDenied,
	connectfed.SerializationException:         connectfed.MalformedQueryString,
	connectfed.RequestEntityTooLargeException: connectfed.RequestEntityTooLarge,
	connectfed.ThrottlingException:            connectfed.Throttling,
	connectfed.RequestTimeoutException:        connectfed.RequestTimeout,
}

func resolveQuery(service string, err error) wireError {
	var ie *injected
	if errors.As(err, &ie) {
		return wireError{Type: ie.Type, Status: ie.Status, Message: ie.Message}
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		t := sigv4Query[se.Kind]
		msg := se.Message
		if se.Kind == sigv4.KindMissing {
			msg = "Request is missing Authentication Token"
		}
		return wireError{Type: t.String(), Status: t.QueryStatus(), Message: msg}
	}
	var e *connectfed.Error
	if errors.As(err, &e) && e.Code != connectfed.EINTERNAL && e.Code != connectfed.EUNAVAILABLE {
		t := e.Type
		if r, ok := queryRename[t]; ok {
			t = r
		}
		if t == connectfed.NoErrorType {
			t = queryDefaultType[e.Code]
		}
		status := t.QueryStatus()
		if status == 0 {
			status = 400
		}
		return wireError{Type: t.String(), Status: status, Message: e.Message}
	}
	internal := connectfed.ServiceFailure
	if service == "sts" {
		internal = connectfed.InternalFailure
	}
	if connectfed.ErrorCode(err) == connectfed.EUNAVAILABLE || errors.Is(err, connectfed.ErrUnavailable) {
		return wireError{Type: connectfed.ServiceUnavailable.String(), Status: connectfed.ServiceUnavailable.QueryStatus(), Message: "The service is temporarily unavailable. Try again later.", Internal: true}
	}
	return wireError{Type: internal.String(), Status: internal.QueryStatus(), Message: internalMessage, Internal: true}
}

type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestId string
}

func writeQueryError(c *call, we wireError) {
	e := xmlError{Xmlns: queryNamespace(c.service), RequestId: c.id}
	e.Error.Type = connectfed.FaultFor(we.Status)
	e.Error.Code = we.Type
	e.Error.Message = we.Message
	writeXML(c, we.Status, e)
}

func writeXML(c *call, status int, v any) {
	b, ok := v.(encodedXML)
	if !ok {
		var err error
		if b, err = xml.Marshal(v); err != nil {
			panic(err) // our own response types always encode
		}
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(xml.Header)+len(b)))
	c.w.WriteHeader(status)
	c.w.Write([]byte(xml.Header))
	c.w.Write(b)
	if status == http.StatusOK {
		tap(c, []byte(xml.Header), b)
	}
}

// queryParams reads the parameters of a query-protocol request: the form
// body of a POST, or the URL query of a GET. A parameter given twice is
// refused, since AWS would take one and the client may mean the other.
func queryParams(c *call) (url.Values, error) {
	raw := c.r.URL.RawQuery
	if c.r.Method == http.MethodPost {
		raw = string(c.body)
	} else if c.r.Method != http.MethodGet {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidAction, "The query protocol accepts only GET and POST, not %s.", c.r.Method)
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.MalformedQueryString, "The request parameters could not be parsed.")
	}
	if c.r.Method == http.MethodPost {
		// Presigned query auth parameters live in the URL; drop them from
		// the operation's view.
		for k := range vals {
			if strings.HasPrefix(k, "X-Amz-") {
				delete(vals, k)
			}
		}
	}
	for k, v := range vals {
		if len(v) > 1 {
			return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.MalformedQueryString, "The parameter %s is given more than once.", k)
		}
	}
	return vals, nil
}

type queryOp func(s *Server, c *call, p url.Values) (any, error)

var stsOps = map[string]queryOp{
	"AssumeRole":        (*Server).assumeRole,
	"GetCallerIdentity": (*Server).getCallerIdentity,
	"GetSessionToken":   (*Server).getSessionToken,
	"GetAccessKeyInfo":  (*Server).getAccessKeyInfo,
}

var iamOps = map[string]queryOp{
	"CreateUser":       (*Server).iamCreateUser,
	"GetUser":          (*Server).iamGetUser,
	"DeleteUser":       (*Server).iamDeleteUser,
	"CreateAccessKey":  (*Server).iamCreateAccessKey,
	"ListAccessKeys":   (*Server).iamListAccessKeys,
	"DeleteAccessKey":  (*Server).iamDeleteAccessKey,
	"CreateRole":       (*Server).iamCreateRole,
	"GetRole":          (*Server).iamGetRole,
	"DeleteRole":       (*Server).iamDeleteRole,
	"PutUserPolicy":    (*Server).iamPutUserPolicy,
	"PutRolePolicy":    (*Server).iamPutRolePolicy,
	"DeleteUserPolicy": (*Server).iamDeleteUserPolicy,
	"DeleteRolePolicy": (*Server).iamDeleteRolePolicy,

	"ListUsers":              (*Server).iamListUsers,
	"ListRoles":              (*Server).iamListRoles,
	"GetUserPolicy":          (*Server).iamGetUserPolicy,
	"GetRolePolicy":          (*Server).iamGetRolePolicy,
	"ListUserPolicies":       (*Server).iamListUserPolicies,
	"ListRolePolicies":       (*Server).iamListRolePolicies,
	"UpdateAssumeRolePolicy": (*Server).iamUpdateAssumeRolePolicy,
	"UpdateRole":             (*Server).iamUpdateRole,

	"CreatePolicy":             (*Server).iamCreatePolicy,
	"GetPolicy":                (*Server).iamGetPolicy,
	"DeletePolicy":             (*Server).iamDeletePolicy,
	"CreatePolicyVersion":      (*Server).iamCreatePolicyVersion,
	"GetPolicyVersion":         (*Server).iamGetPolicyVersion,
	"ListPolicyVersions":       (*Server).iamListPolicyVersions,
	"DeletePolicyVersion":      (*Server).iamDeletePolicyVersion,
	"SetDefaultPolicyVersion":  (*Server).iamSetDefaultPolicyVersion,
	"ListPolicies":             (*Server).iamListPolicies,
	"AttachRolePolicy":         (*Server).iamAttachRolePolicy,
	"DetachRolePolicy":         (*Server).iamDetachRolePolicy,
	"AttachUserPolicy":         (*Server).iamAttachUserPolicy,
	"DetachUserPolicy":         (*Server).iamDetachUserPolicy,
	"ListAttachedRolePolicies": (*Server).iamListAttachedRolePolicies,
	"ListAttachedUserPolicies": (*Server).iamListAttachedUserPolicies,
	"ListEntitiesForPolicy":    (*Server).iamListEntitiesForPolicy,

	"CreateGroup":               (*Server).iamCreateGroup,
	"GetGroup":                  (*Server).iamGetGroup,
	"DeleteGroup":               (*Server).iamDeleteGroup,
	"ListGroups":                (*Server).iamListGroups,
	"AddUserToGroup":            (*Server).iamAddUserToGroup,
	"RemoveUserFromGroup":       (*Server).iamRemoveUserFromGroup,
	"ListGroupsForUser":         (*Server).iamListGroupsForUser,
	"PutGroupPolicy":            (*Server).iamPutGroupPolicy,
	"GetGroupPolicy":            (*Server).iamGetGroupPolicy,
	"DeleteGroupPolicy":         (*Server).iamDeleteGroupPolicy,
	"ListGroupPolicies":         (*Server).iamListGroupPolicies,
	"AttachGroupPolicy":         (*Server).iamAttachGroupPolicy,
	"DetachGroupPolicy":         (*Server).iamDetachGroupPolicy,
	"ListAttachedGroupPolicies": (*Server).iamListAttachedGroupPolicies,

	"TagUser":      (*Server).iamTagUser,
	"UntagUser":    (*Server).iamUntagUser,
	"ListUserTags": (*Server).iamListUserTags,
	"TagRole":      (*Server).iamTagRole,
	"UntagRole":    (*Server).iamUntagRole,
	"ListRoleTags": (*Server).iamListRoleTags,

	"SimulatePrincipalPolicy": (*Server).iamSimulatePrincipalPolicy,
	"SimulateCustomPolicy":    (*Server).iamSimulateCustomPolicy,

	"CreateSAMLProvider":                      (*Server).iamCreateSAMLProvider,
	"GetSAMLProvider":                         (*Server).iamGetSAMLProvider,
	"ListSAMLProviders":                       (*Server).iamListSAMLProviders,
	"UpdateSAMLProvider":                      (*Server).iamUpdateSAMLProvider,
	"DeleteSAMLProvider":                      (*Server).iamDeleteSAMLProvider,
	"CreateOpenIDConnectProvider":             (*Server).iamCreateOpenIDConnectProvider,
	"GetOpenIDConnectProvider":                (*Server).iamGetOpenIDConnectProvider,
	"ListOpenIDConnectProviders":              (*Server).iamListOpenIDConnectProviders,
	"DeleteOpenIDConnectProvider":             (*Server).iamDeleteOpenIDConnectProvider,
	"AddClientIDToOpenIDConnectProvider":      (*Server).iamAddClientIDToOpenIDConnectProvider,
	"RemoveClientIDFromOpenIDConnectProvider": (*Server).iamRemoveClientIDFromOpenIDConnectProvider,
	"UpdateOpenIDConnectProviderThumbprint":   (*Server).iamUpdateOpenIDConnectProviderThumbprint,
}

// serveQuery serves STS and IAM.
func (s *Server) serveQuery(c *call) {
	p, err := queryParams(c)
	if err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	action := p.Get("Action")
	if action == "" {
		s.writeError(c, protoQuery, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.MissingAction, "Missing Action"))
		return
	}
	version := p.Get("Version")
	if version == "" {
		s.writeError(c, protoQuery, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.MissingParameter, "The request must contain the parameter Version."))
		return
	}
	ops := stsOps
	if c.service == "iam" {
		ops = iamOps
	}
	op, ok := ops[action]
	if !ok || version != queryVersion[c.service] {
		s.writeError(c, protoQuery, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidAction,
			"Could not find operation %s for version %s", truncate(action, 64), truncate(version, 32)))
		return
	}
	c.op = action
	if err := s.gate(c); err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	out, err := op(s, c, p)
	if err != nil {
		s.writeError(c, protoQuery, err)
		return
	}
	writeXML(c, http.StatusOK, out)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// responseMetadata closes every query-protocol response.
type responseMetadata struct {
	RequestId string
}

// isoTime is a timestamp as the query protocol sends it.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
