// Package seed is the --seed document: the IAM users (with access keys the
// test suite chooses), roles, policies, identity providers, Connect
// instances and users an account starts from, created where missing, so
// applying it again changes nothing. `connectfed serve --seed FILE`,
// `connectfed seed FILE` and connectfedtest's Seed apply it.
package seed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/identity"
	"github.com/connectfed/connectfed/internal/strictjson"
	"github.com/connectfed/connectfed/internal/yamlfile"
)

// File is --seed: the state a test suite starts from, created at start
// where it is missing (so restarting with the same seed changes nothing).
type File struct {
	Accounts []Account `yaml:"accounts" json:"accounts"`
}

// Account is one account's IAM and Connect state. The account must be
// the development account or one declared in --config.
type Account struct {
	ID        string     `yaml:"id" json:"id"`
	Region    string     `yaml:"region" json:"region"` // default us-east-1
	Users     []IAMUser  `yaml:"iamUsers" json:"iamUsers"`
	Roles     []Role     `yaml:"roles" json:"roles"`
	Instances []Instance `yaml:"instances" json:"instances"`
	// SAMLProviders and OIDCProviders are IAM identity providers.
	SAMLProviders []SAMLProvider `yaml:"samlProviders" json:"samlProviders"`
	OIDCProviders []OIDCProvider `yaml:"oidcProviders" json:"oidcProviders"`
}

// SAMLProvider is an IAM SAML provider: its IdP's metadata, inline or
// from a file (relative paths are relative to the seed file).
type SAMLProvider struct {
	Name         string `yaml:"name" json:"name"`
	Metadata     string `yaml:"metadata" json:"metadata"`
	MetadataFile string `yaml:"metadataFile" json:"metadataFile"`
}

// OIDCProvider is an IAM OpenID Connect provider.
type OIDCProvider struct {
	URL         string   `yaml:"url" json:"url"`
	ClientIDs   []string `yaml:"clientIds" json:"clientIds"`
	Thumbprints []string `yaml:"thumbprints" json:"thumbprints"`
}

// IAMUser is an IAM user with known access keys and inline policies.
type IAMUser struct {
	Name       string      `yaml:"name" json:"name"`
	AccessKeys []AccessKey `yaml:"accessKeys" json:"accessKeys"`
	Policies   []Policy    `yaml:"policies" json:"policies"`
}

// MaxAccessKeys is how many access keys a seeded user may declare (IAM's
// quota of two per user).
const MaxAccessKeys = 2

// accessKeyRE is what --config demands of root keys' ids too: one SigV4
// can name.
var accessKeyRE = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// AccessKey is an access key pair the seed chooses.
type AccessKey struct {
	AccessKeyID     string `yaml:"accessKeyId" json:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey" json:"secretAccessKey"`
}

// Policy is an inline policy; Document is a JSON string or a YAML map.
type Policy struct {
	Name     string `yaml:"name" json:"name"`
	Document any    `yaml:"document" json:"document"`
}

// Role is a role with its trust policy and inline policies.
type Role struct {
	Name               string   `yaml:"name" json:"name"`
	TrustPolicy        any      `yaml:"trustPolicy" json:"trustPolicy"`
	MaxSessionDuration int      `yaml:"maxSessionDuration" json:"maxSessionDuration"`
	Policies           []Policy `yaml:"policies" json:"policies"`
}

// Instance is a Connect instance and its users.
type Instance struct {
	ID                     string        `yaml:"id" json:"id"`
	Alias                  string        `yaml:"alias" json:"alias"`
	IdentityManagementType string        `yaml:"identityManagementType" json:"identityManagementType"`
	Users                  []ConnectUser `yaml:"users" json:"users"`
}

// ConnectUser is a Connect user; profiles are named.
type ConnectUser struct {
	ID               string   `yaml:"id" json:"id"`
	Username         string   `yaml:"username" json:"username"`
	Password         string   `yaml:"password" json:"password"`
	FirstName        string   `yaml:"firstName" json:"firstName"`
	LastName         string   `yaml:"lastName" json:"lastName"`
	Email            string   `yaml:"email" json:"email"`
	SecurityProfiles []string `yaml:"securityProfiles" json:"securityProfiles"`
	RoutingProfile   string   `yaml:"routingProfile" json:"routingProfile"`
}

// Parse reads a seed document (YAML or JSON) given as text. Metadata files
// are relative to the working directory.
func Parse(doc []byte) (*File, error) {
	var sf File
	errs, err := yamlfile.DecodeBytes("seed", "document", doc, &sf)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("seed document has %d problem(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
	return &sf, readMetadataFiles(&sf, ".")
}

// Load reads a seed file (YAML or JSON; unknown fields rejected, every
// problem reported at once). Metadata files are read, relative to the seed
// file.
func Load(path string) (*File, error) {
	var sf File
	errs, err := yamlfile.Decode("seed", path, &sf)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("seed %s has %d problem(s):\n  %s", path, len(errs), strings.Join(errs, "\n  "))
	}
	return &sf, readMetadataFiles(&sf, filepath.Dir(path))
}

// readMetadataFiles reads the SAML providers' metadata files, relative to dir.
func readMetadataFiles(sf *File, dir string) error {
	for ai := range sf.Accounts {
		for pi := range sf.Accounts[ai].SAMLProviders {
			sp := &sf.Accounts[ai].SAMLProviders[pi]
			if sp.MetadataFile == "" {
				continue
			}
			if sp.Metadata != "" {
				return fmt.Errorf("seed accounts[%d].samlProviders[%d] %s: give metadata or metadataFile, not both", ai, pi, sp.Name)
			}
			f := sp.MetadataFile
			if !filepath.IsAbs(f) {
				f = filepath.Join(dir, f)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("seed accounts[%d].samlProviders[%d] %s: %w", ai, pi, sp.Name, err)
			}
			sp.Metadata, sp.MetadataFile = string(b), ""
		}
	}
	return nil
}

// policyText turns a seed policy (JSON string or YAML map) into JSON.
func policyText(doc any) (string, error) {
	if s, ok := doc.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// Apply creates what the seed declares and is missing, in the accounts
// known names (others are an error). Every problem
// names where in the seed it is.
func Apply(ctx context.Context, sf *File, ids *identity.Service, cs *connect.Service, known map[string]bool) error {
	for ai, a := range sf.Accounts {
		where := fmt.Sprintf("seed accounts[%d]", ai)
		if !known[a.ID] {
			return fmt.Errorf("%s: account %q is neither the development account nor declared in --config", where, a.ID)
		}
		region := a.Region
		if region == "" {
			region = connectfed.DefaultRegion
		}
		for ui, u := range a.Users {
			w := fmt.Sprintf("%s.iamUsers[%d] %s", where, ui, u.Name)
			if _, err := ids.CreateUser(ctx, a.ID, u.Name, "/"); err != nil && connectfed.ErrorCode(err) != connectfed.ECONFLICT {
				return fmt.Errorf("%s: %w", w, err)
			}
			if len(u.AccessKeys) > MaxAccessKeys {
				return fmt.Errorf("%s: at most %d access keys per user (IAM's quota)", w, MaxAccessKeys)
			}
			for _, k := range u.AccessKeys {
				if !accessKeyRE.MatchString(k.AccessKeyID) {
					return fmt.Errorf("%s accessKeyId %q: must be 16-128 of A-Z and 0-9", w, truncate(k.AccessKeyID, 140))
				}
				if len(k.SecretAccessKey) < 16 {
					return fmt.Errorf("%s access key %s: secretAccessKey must be at least 16 characters", w, k.AccessKeyID)
				}
				if err := ids.ImportAccessKey(ctx, a.ID, u.Name, k.AccessKeyID, k.SecretAccessKey); err != nil {
					return fmt.Errorf("%s access key %s: %w", w, k.AccessKeyID, err)
				}
			}
			for _, p := range u.Policies {
				doc, err := policyText(p.Document)
				if err == nil {
					err = ids.PutPolicy(ctx, a.ID, "user", u.Name, p.Name, doc)
				}
				if err != nil {
					return fmt.Errorf("%s policy %s: %w", w, p.Name, err)
				}
			}
		}
		for ri, r := range a.Roles {
			w := fmt.Sprintf("%s.roles[%d] %s", where, ri, r.Name)
			trust, err := policyText(r.TrustPolicy)
			if err != nil {
				return fmt.Errorf("%s trust policy: %w", w, err)
			}
			maxSession := r.MaxSessionDuration
			if maxSession == 0 {
				maxSession = 3600
			}
			if _, err := ids.CreateRole(ctx, a.ID, r.Name, "/", "", trust, maxSession); err != nil && connectfed.ErrorCode(err) != connectfed.ECONFLICT {
				return fmt.Errorf("%s: %w", w, err)
			}
			for _, p := range r.Policies {
				doc, err := policyText(p.Document)
				if err == nil {
					err = ids.PutPolicy(ctx, a.ID, "role", r.Name, p.Name, doc)
				}
				if err != nil {
					return fmt.Errorf("%s policy %s: %w", w, p.Name, err)
				}
			}
		}
		for pi, sp := range a.SAMLProviders {
			w := fmt.Sprintf("%s.samlProviders[%d] %s", where, pi, sp.Name)
			if _, err := ids.CreateSAMLProvider(ctx, a.ID, sp.Name, sp.Metadata); err != nil && connectfed.ErrorCode(err) != connectfed.ECONFLICT {
				return fmt.Errorf("%s: %w", w, err)
			}
		}
		for pi, op := range a.OIDCProviders {
			w := fmt.Sprintf("%s.oidcProviders[%d] %s", where, pi, op.URL)
			if _, err := ids.CreateOpenIDConnectProvider(ctx, a.ID, op.URL, op.ClientIDs, op.Thumbprints); err != nil && connectfed.ErrorCode(err) != connectfed.ECONFLICT {
				return fmt.Errorf("%s: %w", w, err)
			}
		}
		sc := connect.Scope{AccountID: a.ID, Region: region}
		for ii, in := range a.Instances {
			w := fmt.Sprintf("%s.instances[%d] %s", where, ii, in.Alias)
			if in.Alias == "" {
				return fmt.Errorf("%s: alias is required", w)
			}
			imt := in.IdentityManagementType
			if imt == "" {
				imt = connectfed.IdentitySAML
			}
			id, err := cs.InstanceByAlias(ctx, sc, in.Alias)
			if errors.Is(err, connectfed.ErrNotFound) {
				inst, cerr := cs.CreateInstance(ctx, sc, connect.CreateInstanceInput{ID: in.ID, Alias: in.Alias, IdentityManagementType: imt,
					InboundCallsEnabled: true, OutboundCallsEnabled: true})
				if cerr != nil {
					return fmt.Errorf("%s: %w", w, cerr)
				}
				id, err = inst.ID, nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", w, err)
			}
			if err := seedUsers(ctx, cs, sc, id, in.Users); err != nil {
				return fmt.Errorf("%s: %w", w, err)
			}
		}
	}
	return nil
}

func seedUsers(ctx context.Context, cs *connect.Service, sc connect.Scope, instanceID string, users []ConnectUser) error {
	if len(users) == 0 {
		return nil
	}
	sps, _, err := cs.ListSecurityProfiles(ctx, sc, instanceID, "", 1000)
	if err != nil {
		return err
	}
	rps, _, err := cs.ListRoutingProfiles(ctx, sc, instanceID, "", 1000)
	if err != nil {
		return err
	}
	spByName, rpByName := map[string]string{}, map[string]string{}
	for _, p := range sps {
		spByName[p.Name] = p.ID
	}
	for _, p := range rps {
		rpByName[p.Name] = p.ID
	}
	for ui, u := range users {
		if _, _, err := cs.FindUser(ctx, sc, instanceID, u.Username); err == nil {
			continue
		}
		names := u.SecurityProfiles
		if len(names) == 0 {
			names = []string{"Agent"}
		}
		var spIDs []string
		for _, n := range names {
			if spByName[n] == "" {
				return fmt.Errorf("users[%d] %s: no security profile named %q", ui, u.Username, n)
			}
			spIDs = append(spIDs, spByName[n])
		}
		rp := u.RoutingProfile
		if rp == "" {
			rp = connect.DefaultRoutingProfile
		}
		if rpByName[rp] == "" {
			return fmt.Errorf("users[%d] %s: no routing profile named %q", ui, u.Username, rp)
		}
		var info *connectfed.UserIdentityInfo
		if u.FirstName != "" || u.LastName != "" || u.Email != "" {
			info = &connectfed.UserIdentityInfo{FirstName: u.FirstName, LastName: u.LastName, Email: u.Email}
		}
		if _, err := cs.CreateUser(ctx, sc, instanceID, connect.CreateUserInput{ID: u.ID, Username: u.Username, Password: u.Password,
			IdentityInfo: info, PhoneConfig: connectfed.UserPhoneConfig{PhoneType: "SOFT_PHONE"},
			SecurityProfileIDs: spIDs, RoutingProfileID: rpByName[rp]}); err != nil {
			return fmt.Errorf("users[%d] %s: %w", ui, u.Username, err)
		}
	}
	return nil
}

// API applies a seed document sent to POST /connectfed/admin/seed
// (by `connectfed seed FILE`) to the caller's account: the document may
// name that account only (an entry without an id means it).
func API(ids *identity.Service, cs *connect.Service) func(ctx context.Context, accountID string, doc []byte) error {
	return func(ctx context.Context, accountID string, doc []byte) error {
		var sf File
		if err := strictjson.Decode(doc, &sf); err != nil {
			return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.SerializationException, "%s", err.Error())
		}
		for i := range sf.Accounts {
			switch sf.Accounts[i].ID {
			case "":
				sf.Accounts[i].ID = accountID
			case accountID:
			default:
				return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException,
					"The seed names account %s; a call seeds only the caller's account (%s).", sf.Accounts[i].ID, accountID)
			}
		}
		err := Apply(ctx, &sf, ids, cs, map[string]bool{accountID: true})
		if err != nil && !errors.Is(err, connectfed.ErrUnavailable) {
			// A missing profile, an empty alias, an invalid name: the
			// document's fault, told with where in it.
			return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidParameterException, "%s", err.Error())
		}
		return err
	}
}
