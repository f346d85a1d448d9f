package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/awsapi"
	"github.com/connectfed/connectfed/internal/yamlfile"
)

// FileConfig is the --config file (YAML or JSON; unknown fields are
// rejected).
type FileConfig struct {
	// DefaultAccount switches the development account 000000000000 with
	// root keys test/test on (the default on loopback) or off.
	DefaultAccount *bool           `yaml:"defaultAccount" json:"defaultAccount"`
	Accounts       []AccountConfig `yaml:"accounts" json:"accounts"`
	Tokens         TokenConfig     `yaml:"tokens" json:"tokens"`
	Throttle       ThrottleConfig  `yaml:"throttle" json:"throttle"`
	Faults         []awsapi.Fault  `yaml:"faults" json:"faults"`
}

// ThrottleConfig emulates API quotas: mode "aws" applies Connect's
// documented quotas; rates override or add per-operation buckets ("*" for
// every other operation).
type ThrottleConfig struct {
	Mode  string                 `yaml:"mode" json:"mode"`
	Rates map[string]awsapi.Rate `yaml:"rates" json:"rates"`
}

// AccountConfig declares one account and its root keys.
type AccountConfig struct {
	ID       string          `yaml:"id" json:"id"`
	Name     string          `yaml:"name" json:"name"`
	RootKeys []RootKeyConfig `yaml:"rootKeys" json:"rootKeys"`
}

// RootKeyConfig is one root access key pair.
type RootKeyConfig struct {
	AccessKeyID     string `yaml:"accessKeyId" json:"accessKeyId"`
	SecretAccessKey string `yaml:"secretAccessKey" json:"secretAccessKey"`
}

// TokenConfig sets federation token lifetimes (Go durations: "12h", "30m").
type TokenConfig struct {
	AccessTokenTTL  string `yaml:"accessTokenTTL" json:"accessTokenTTL"`
	RefreshTokenTTL string `yaml:"refreshTokenTTL" json:"refreshTokenTTL"`
}

var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	accessKeyRE = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// LoadConfig reads and validates a config file. Every problem is reported
// in one error, one per line, so a person fixes them in one go.
func LoadConfig(path string) (*FileConfig, error) {
	var cfg FileConfig
	errs, err := yamlfile.Decode("config", path, &cfg)
	if err != nil {
		return nil, err
	}
	if errs = append(errs, cfg.Validate()...); len(errs) > 0 {
		return nil, fmt.Errorf("config %s has %d problem(s):\n  %s", path, len(errs), strings.Join(errs, "\n  "))
	}
	return &cfg, nil
}

// Validate lists every problem in the config.
func (c *FileConfig) Validate() []string {
	var errs []string
	ids := map[string]bool{}
	keys := map[string]bool{}
	for i, a := range c.Accounts {
		where := fmt.Sprintf("accounts[%d]", i)
		switch {
		case !accountIDRE.MatchString(a.ID):
			errs = append(errs, fmt.Sprintf("%s.id %q: must be 12 digits", where, a.ID))
		case ids[a.ID]:
			errs = append(errs, fmt.Sprintf("%s.id %q: declared twice", where, a.ID))
		case a.ID == connectfed.DefaultAccountID:
			errs = append(errs, fmt.Sprintf("%s.id %q: is the development account; use defaultAccount instead", where, a.ID))
		}
		ids[a.ID] = true
		if len(a.RootKeys) == 0 {
			errs = append(errs, fmt.Sprintf("%s.rootKeys: at least one root key is required", where))
		}
		for j, k := range a.RootKeys {
			kw := fmt.Sprintf("%s.rootKeys[%d]", where, j)
			switch {
			case !accessKeyRE.MatchString(k.AccessKeyID):
				errs = append(errs, fmt.Sprintf("%s.accessKeyId %q: must be 16-128 of A-Z and 0-9", kw, k.AccessKeyID))
			case strings.HasPrefix(k.AccessKeyID, "ASIA"):
				errs = append(errs, fmt.Sprintf("%s.accessKeyId %q: ASIA ids are reserved for temporary credentials", kw, k.AccessKeyID))
			case keys[k.AccessKeyID]:
				errs = append(errs, fmt.Sprintf("%s.accessKeyId %q: declared twice", kw, k.AccessKeyID))
			}
			keys[k.AccessKeyID] = true
			if len(k.SecretAccessKey) < 16 {
				errs = append(errs, fmt.Sprintf("%s.secretAccessKey: must be at least 16 characters", kw))
			}
		}
	}
	switch c.Throttle.Mode {
	case "", "off", "aws":
	default:
		errs = append(errs, fmt.Sprintf("throttle.mode %q: want off or aws", c.Throttle.Mode))
	}
	for op, r := range c.Throttle.Rates {
		if r.PerSecond <= 0 || r.Burst < 1 {
			errs = append(errs, fmt.Sprintf("throttle.rates.%s: rate must be > 0 and burst >= 1", op))
		}
	}
	perAccount := map[string]int{}
	for i, f := range c.Faults {
		if !accountIDRE.MatchString(f.Account) {
			errs = append(errs, fmt.Sprintf("faults[%d].account %q: must be 12 digits", i, f.Account))
		}
		if f.Operation == "" {
			errs = append(errs, fmt.Sprintf("faults[%d].operation: required (an operation name or *)", i))
		}
		if f.ErrorCode == "" && f.LatencyMs == 0 {
			errs = append(errs, fmt.Sprintf("faults[%d]: needs errorCode, latencyMs or both", i))
		}
		if f.Probability < 0 || f.Probability > 1 {
			errs = append(errs, fmt.Sprintf("faults[%d].probability: must be between 0 and 1", i))
		}
		if f.Operation != "" {
			for _, p := range awsapi.ValidateFault(f) {
				errs = append(errs, fmt.Sprintf("faults[%d]: %s", i, p))
			}
		}
		perAccount[f.Account]++
		if perAccount[f.Account] == awsapi.MaxFaultsPerAccount+1 {
			errs = append(errs, fmt.Sprintf("faults: account %s has more than %d faults", f.Account, awsapi.MaxFaultsPerAccount))
		}
	}
	at, atErr := parseTTL(c.Tokens.AccessTokenTTL)
	if atErr != nil {
		errs = append(errs, "tokens.accessTokenTTL: "+atErr.Error())
	}
	rt, rtErr := parseTTL(c.Tokens.RefreshTokenTTL)
	if rtErr != nil {
		errs = append(errs, "tokens.refreshTokenTTL: "+rtErr.Error())
	}
	if atErr == nil && rtErr == nil && at > 0 && rt > 0 && at > rt {
		errs = append(errs, "tokens: accessTokenTTL must not exceed refreshTokenTTL")
	}
	return errs
}

func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 12h or 30m", s)
	}
	if d < time.Second || d > 30*24*time.Hour {
		return 0, fmt.Errorf("%q must be between 1s and 720h", s)
	}
	return d, nil
}
