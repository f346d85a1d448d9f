package identity

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/saml"
)

// Record kinds for identity providers.
var (
	kindSAMLProvider = connectfed.RegisterKind("samlprovider", "identity") // "<acct>/<name>"
	kindOIDCProvider = connectfed.RegisterKind("oidcprovider", "identity") // "<acct>/<host/path>"
)

// IAM quotas for OIDC providers.
const (
	MaxOIDCClientIDs   = 100
	MaxOIDCThumbprints = 5
)

// SAMLProvider is an IAM SAML identity provider: its IdP's metadata.
type SAMLProvider struct {
	AccountID  string    `json:"accountId"`
	Name       string    `json:"name"`
	UUID       string    `json:"uuid"`
	Metadata   string    `json:"metadata"`
	Created    time.Time `json:"created"`
	ValidUntil time.Time `json:"validUntil"`
}

// ARN returns the provider's ARN.
func (p *SAMLProvider) ARN() string {
	return "arn:aws:iam::" + p.AccountID + ":saml-provider/" + p.Name
}

// OIDCProvider is an IAM OpenID Connect identity provider.
type OIDCProvider struct {
	AccountID string `json:"accountId"`
	// URL is the issuer without its scheme, as IAM reports it
	// ("idp.example.com/path").
	URL string `json:"url"`
	// Scheme is "https", or "http" for a loopback issuer.
	Scheme      string    `json:"scheme"`
	ClientIDs   []string  `json:"clientIds"`
	Thumbprints []string  `json:"thumbprints"`
	Created     time.Time `json:"created"`
}

// ARN returns the provider's ARN.
func (p *OIDCProvider) ARN() string {
	return "arn:aws:iam::" + p.AccountID + ":oidc-provider/" + p.URL
}

// Issuer is the issuer URL tokens must carry in "iss".
func (p *OIDCProvider) Issuer() string { return p.Scheme + "://" + p.URL }

// samlValidity is how long a provider is valid when the metadata sets no
// validUntil (IAM reports a date about a century ahead).
const samlValidity = 100 * 365 * 24 * time.Hour

func invalidInput(format string, args ...any) error {
	return iamErr(connectfed.EINVALID, connectfed.InvalidInput, format, args...)
}

// checkSAMLMetadata validates a metadata document as IAM does.
func checkSAMLMetadata(doc string) (*saml.Metadata, error) {
	md, err := saml.ParseMetadata([]byte(doc))
	if err != nil {
		return nil, invalidInput("Could not parse metadata")
	}
	return md, nil
}

// CreateSAMLProvider creates a SAML provider from its IdP's metadata.
func (s *Service) CreateSAMLProvider(ctx context.Context, accountID, name, metadata string) (*SAMLProvider, error) {
	md, err := checkSAMLMetadata(metadata)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &SAMLProvider{AccountID: accountID, Name: name, UUID: awsID("", 26), Metadata: metadata, Created: now, ValidUntil: validUntil(md, now)}
	err = s.update(ctx, func(tx connectfed.Tx) error {
		err := connectfed.CreateJSON(tx, kindSAMLProvider, nameKey(accountID, name), p)
		if errors.Is(err, connectfed.ErrExists) {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "SAMLProvider named %s already exists", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func validUntil(md *saml.Metadata, now time.Time) time.Time {
	if !md.ValidUntil.IsZero() {
		return md.ValidUntil.UTC()
	}
	return now.Add(samlValidity)
}

// ParseSAMLProviderARN splits arn:aws:iam::ACCT:saml-provider/NAME.
func ParseSAMLProviderARN(arn string) (accountID, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", false
	}
	acct, res, ok := strings.Cut(rest, ":")
	name, found := strings.CutPrefix(res, "saml-provider/")
	if !ok || !found || len(acct) != 12 || name == "" || strings.Contains(name, "/") {
		return "", "", false
	}
	return acct, name, true
}

func noSuchSAMLProvider(arn string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "Manifest not found for arn %s", arn)
}

// GetSAMLProvider returns a SAML provider by ARN, or NoSuchEntity.
func (s *Service) GetSAMLProvider(ctx context.Context, arn string) (*SAMLProvider, error) {
	acct, name, ok := ParseSAMLProviderARN(arn)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	var p SAMLProvider
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return connectfed.GetJSON(tx, kindSAMLProvider, nameKey(acct, name), &p) })
	if errors.Is(err, connectfed.ErrNotFound) || err == nil && p.ARN() != arn {
		return nil, noSuchSAMLProvider(arn)
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ListSAMLProviders returns an account's SAML providers by name.
func (s *Service) ListSAMLProviders(ctx context.Context, accountID string) ([]SAMLProvider, error) {
	var out []SAMLProvider
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var err error
		out, err = connectfed.ListJSONValues[SAMLProvider](tx, kindSAMLProvider, accountID+"/")
		return err
	})
	return out, err
}

// UpdateSAMLProvider replaces a provider's metadata.
func (s *Service) UpdateSAMLProvider(ctx context.Context, arn, metadata string) (*SAMLProvider, error) {
	md, err := checkSAMLMetadata(metadata)
	if err != nil {
		return nil, err
	}
	acct, name, ok := ParseSAMLProviderARN(arn)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	var p SAMLProvider
	err = s.update(ctx, func(tx connectfed.Tx) error {
		err := connectfed.GetJSON(tx, kindSAMLProvider, nameKey(acct, name), &p)
		if errors.Is(err, connectfed.ErrNotFound) || err == nil && p.ARN() != arn {
			return noSuchSAMLProvider(arn)
		}
		if err != nil {
			return err
		}
		p.Metadata, p.ValidUntil = metadata, validUntil(md, s.now())
		return connectfed.PutJSON(tx, kindSAMLProvider, nameKey(acct, name), &p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// DeleteSAMLProvider deletes a SAML provider.
func (s *Service) DeleteSAMLProvider(ctx context.Context, arn string) error {
	acct, name, ok := ParseSAMLProviderARN(arn)
	if !ok {
		return invalidInput("ARN %s is not valid.", arn)
	}
	return s.update(ctx, func(tx connectfed.Tx) error {
		var p SAMLProvider
		err := connectfed.GetJSON(tx, kindSAMLProvider, nameKey(acct, name), &p)
		if errors.Is(err, connectfed.ErrNotFound) || err == nil && p.ARN() != arn {
			return noSuchSAMLProvider(arn)
		}
		if err != nil {
			return err
		}
		return tx.Delete(kindSAMLProvider, nameKey(acct, name))
	})
}

// NormalizeIssuer checks an OIDC provider URL and splits it into scheme
// and the scheme-less form IAM keeps. IAM requires https; connectfed also
// takes http for a loopback host (127.0.0.0/8, ::1, localhost), so a local
// IdP works without TLS. No query, fragment or user info; the port is kept.
func NormalizeIssuer(raw string) (scheme, rest string, err error) {
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", invalidInput("Invalid Open ID Connect Provider URL")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopbackHost(u.Hostname()) {
			return "", "", invalidInput("The URL must begin with https://, or http:// for a loopback address")
		}
	default:
		return "", "", invalidInput("The URL must begin with https://")
	}
	rest = strings.ToLower(u.Host) + strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme, rest, nil
}

// IsLoopbackHost reports whether host is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func oidcKey(accountID, url string) string { return accountID + "/" + url }

// ParseOIDCProviderARN splits arn:aws:iam::ACCT:oidc-provider/HOST/PATH.
func ParseOIDCProviderARN(arn string) (accountID, url string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", false
	}
	acct, res, ok := strings.Cut(rest, ":")
	url, found := strings.CutPrefix(res, "oidc-provider/")
	if !ok || !found || len(acct) != 12 || url == "" {
		return "", "", false
	}
	return acct, url, true
}

func noSuchOIDCProvider(arn string) error {
	return iamErr(connectfed.ENOTFOUND, connectfed.NoSuchEntity, "OpenIDConnect Provider not found for arn %s", arn)
}

// CreateOpenIDConnectProvider creates an OIDC provider.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, accountID, rawURL string, clientIDs, thumbprints []string) (*OIDCProvider, error) {
	scheme, u, err := NormalizeIssuer(rawURL)
	if err != nil {
		return nil, err
	}
	if len(clientIDs) > MaxOIDCClientIDs {
		return nil, iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", MaxOIDCClientIDs)
	}
	if len(thumbprints) > MaxOIDCThumbprints {
		return nil, iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: %d", MaxOIDCThumbprints)
	}
	p := &OIDCProvider{AccountID: accountID, URL: u, Scheme: scheme, ClientIDs: dedupe(clientIDs), Thumbprints: dedupe(lower(thumbprints)), Created: s.now()}
	err = s.update(ctx, func(tx connectfed.Tx) error {
		err := connectfed.CreateJSON(tx, kindOIDCProvider, oidcKey(accountID, u), p)
		if errors.Is(err, connectfed.ErrExists) {
			return iamErr(connectfed.ECONFLICT, connectfed.EntityAlreadyExists, "Provider with url %s already exists.", p.Issuer())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func dedupe(v []string) []string {
	out := make([]string, 0, len(v))
	for _, s := range v {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func lower(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.ToLower(s)
	}
	return out
}

// GetOpenIDConnectProvider returns an OIDC provider by ARN.
func (s *Service) GetOpenIDConnectProvider(ctx context.Context, arn string) (*OIDCProvider, error) {
	acct, u, ok := ParseOIDCProviderARN(arn)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", arn)
	}
	var p OIDCProvider
	err := s.Store.View(ctx, func(tx connectfed.Tx) error { return connectfed.GetJSON(tx, kindOIDCProvider, oidcKey(acct, u), &p) })
	if errors.Is(err, connectfed.ErrNotFound) {
		return nil, noSuchOIDCProvider(arn)
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ListOpenIDConnectProviders returns an account's OIDC providers.
func (s *Service) ListOpenIDConnectProviders(ctx context.Context, accountID string) ([]OIDCProvider, error) {
	var out []OIDCProvider
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var err error
		out, err = connectfed.ListJSONValues[OIDCProvider](tx, kindOIDCProvider, accountID+"/")
		return err
	})
	return out, err
}

// UpdateOpenIDConnectProvider changes an OIDC provider with fn.
func (s *Service) UpdateOpenIDConnectProvider(ctx context.Context, arn string, fn func(p *OIDCProvider) error) error {
	acct, u, ok := ParseOIDCProviderARN(arn)
	if !ok {
		return invalidInput("ARN %s is not valid.", arn)
	}
	return s.update(ctx, func(tx connectfed.Tx) error {
		var p OIDCProvider
		err := connectfed.GetJSON(tx, kindOIDCProvider, oidcKey(acct, u), &p)
		if errors.Is(err, connectfed.ErrNotFound) {
			return noSuchOIDCProvider(arn)
		}
		if err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
		return connectfed.PutJSON(tx, kindOIDCProvider, oidcKey(acct, u), &p)
	})
}

// AddClientID adds an audience to an OIDC provider (adding one it has is
// not an error, as in IAM).
func (s *Service) AddClientID(ctx context.Context, arn, clientID string) error {
	return s.UpdateOpenIDConnectProvider(ctx, arn, func(p *OIDCProvider) error {
		if slices.Contains(p.ClientIDs, clientID) {
			return nil
		}
		if len(p.ClientIDs) >= MaxOIDCClientIDs {
			return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", MaxOIDCClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, clientID)
		return nil
	})
}

// RemoveClientID removes an audience (removing one it lacks is not an
// error, as in IAM).
func (s *Service) RemoveClientID(ctx context.Context, arn, clientID string) error {
	return s.UpdateOpenIDConnectProvider(ctx, arn, func(p *OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(c string) bool { return c == clientID })
		return nil
	})
}

// UpdateThumbprints replaces the thumbprint list.
func (s *Service) UpdateThumbprints(ctx context.Context, arn string, thumbprints []string) error {
	if len(thumbprints) > MaxOIDCThumbprints {
		return iamErr(connectfed.ECONFLICT, connectfed.LimitExceeded, "Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: %d", MaxOIDCThumbprints)
	}
	return s.UpdateOpenIDConnectProvider(ctx, arn, func(p *OIDCProvider) error {
		p.Thumbprints = dedupe(lower(thumbprints))
		return nil
	})
}

// DeleteOpenIDConnectProvider deletes an OIDC provider.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, arn string) error {
	acct, u, ok := ParseOIDCProviderARN(arn)
	if !ok {
		return invalidInput("ARN %s is not valid.", arn)
	}
	return s.update(ctx, func(tx connectfed.Tx) error {
		err := tx.Delete(kindOIDCProvider, oidcKey(acct, u))
		if errors.Is(err, connectfed.ErrNotFound) {
			return noSuchOIDCProvider(arn)
		}
		return err
	})
}
