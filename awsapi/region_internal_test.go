package awsapi

import (
	"net/http"
	"regexp"
	"testing"
	"time"
)

// The form validRegion checks, as a regular expression.
var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+){1,2}-[0-9]$`)

var regionCases = []string{"us-east-1", "eu-west-3", "us-gov-west-1", "cn-north-1", "ap-southeast-2", "",
	"u", "us", "us-1", "us-east", "us-east-", "us-east-12", "us-east-a", "usa-east-1", "US-east-1", "us-East-1",
	"us--east-1", "us-east--1", "us-a-b-1", "us-a-b-c-1", "us-east-1-", "-us-east-1", "us-east-1\n", "us_east-1", "ü-east-1"}

func TestValidRegionIsTheRegexp(t *testing.T) {
	for _, s := range regionCases {
		if got, want := validRegion(s), regionRE.MatchString(s); got != want {
			t.Errorf("validRegion(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzValidRegion(f *testing.F) {
	for _, s := range regionCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validRegion(s), regionRE.MatchString(s); got != want {
			t.Fatalf("validRegion(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

func TestHTTPDate(t *testing.T) {
	base := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	for _, d := range []time.Duration{0, 300 * time.Millisecond, time.Second, 1500 * time.Millisecond, -time.Hour, 0} {
		tm := base.Add(d).In(time.FixedZone("x", 3600))
		if got, want := httpDate(tm), tm.UTC().Format(http.TimeFormat); got != want {
			t.Errorf("httpDate(%v) = %q, want %q", tm, got, want)
		}
	}
}
