package awsapi

import (
	"encoding/xml"
	"testing"
)

// TestAssumeRoleXML: the hand encoding is exactly encoding/xml's output for
// the response struct AssumeRole used to marshal.
func TestAssumeRoleXML(t *testing.T) {
	type credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type assumedRoleUser struct {
		AssumedRoleId string
		Arn           string
	}
	for _, r := range []assumeRoleXML{
		{AccessKeyID: "ASIAABCDEFGHIJKLMNOP", Secret: "abc+/=", Token: "IQoJb3JpZ2luX2Vj+/AAA==", Expiration: "2026-01-01T00:00:00Z",
			AssumedRoleID: "AROAXYZ:alice", ARN: "arn:aws:sts::000000000000:assumed-role/R/alice", PackedPolicySize: -1},
		{AccessKeyID: "ASIA", Secret: "s", Token: "t", Expiration: "e", AssumedRoleID: "AROA:a&b<c>\"'", ARN: "arn:é\t\n\r\x01",
			PackedPolicySize: 42, SourceIdentity: "alice@example.com <&>"},
		{PackedPolicySize: 0},
	} {
		var packed *int
		if r.PackedPolicySize >= 0 {
			n := r.PackedPolicySize
			packed = &n
		}
		want, err := xml.Marshal(envelope{XMLName: xml.Name{Local: "AssumeRoleResponse"}, Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
			Result: struct {
				XMLName          xml.Name `xml:"AssumeRoleResult"`
				Credentials      credentials
				AssumedRoleUser  assumedRoleUser
				PackedPolicySize *int   `xml:",omitempty"`
				SourceIdentity   string `xml:",omitempty"`
			}{
				Credentials:      credentials{r.AccessKeyID, r.Secret, r.Token, r.Expiration},
				AssumedRoleUser:  assumedRoleUser{r.AssumedRoleID, r.ARN},
				PackedPolicySize: packed,
				SourceIdentity:   r.SourceIdentity,
			}, ResponseMetadata: responseMetadata{RequestId: "req-1"}})
		if err != nil {
			t.Fatal(err)
		}
		got := appendAssumeRoleXML(nil, "AssumeRole", "https://sts.amazonaws.com/doc/2011-06-15/", "req-1", r)
		if string(got) != string(want) {
			t.Errorf("hand encoding differs:\n got %s\nwant %s", got, want)
		}
	}
}
