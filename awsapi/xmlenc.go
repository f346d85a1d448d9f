package awsapi

import (
	"encoding/xml"
	"strconv"
)

// encodedXML is a query-protocol response already encoded (without the
// XML declaration): writeXML sends it as it is. The hot STS responses are
// encoded by hand; TestAssumeRoleXML checks they are byte for byte what
// encoding/xml makes of the response structs.
type encodedXML []byte

// assumeRoleXML is an AssumeRole answer.
type assumeRoleXML struct {
	AccessKeyID, Secret, Token, Expiration string
	AssumedRoleID, ARN                     string
	PackedPolicySize                       int // -1: absent
	SourceIdentity                         string
}

func appendElem(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendEscaped escapes text as encoding/xml's EscapeText does.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<', '>', '&', '\'', '"', '\t', '\n', '\r':
			return appendEscapedSlow(b, s)
		default:
			if c >= 0x80 || c < 0x20 {
				return appendEscapedSlow(b, s)
			}
		}
	}
	return append(b, s...)
}

type byteWriter struct{ b []byte }

func (w *byteWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func appendEscapedSlow(b []byte, s string) []byte {
	w := &byteWriter{b: b}
	xml.EscapeText(w, []byte(s))
	return w.b
}

// appendAssumeRoleXML encodes respond(c, result) for AssumeRole.
func appendAssumeRoleXML(b []byte, op, ns, requestID string, r assumeRoleXML) []byte {
	b = append(b, '<')
	b = append(b, op...)
	b = append(b, `Response xmlns="`...)
	b = appendEscaped(b, ns)
	b = append(b, `"><AssumeRoleResult><Credentials>`...)
	b = appendElem(b, "AccessKeyId", r.AccessKeyID)
	b = appendElem(b, "SecretAccessKey", r.Secret)
	b = appendElem(b, "SessionToken", r.Token)
	b = appendElem(b, "Expiration", r.Expiration)
	b = append(b, "</Credentials><AssumedRoleUser>"...)
	b = appendElem(b, "AssumedRoleId", r.AssumedRoleID)
	b = appendElem(b, "Arn", r.ARN)
	b = append(b, "</AssumedRoleUser>"...)
	if r.PackedPolicySize >= 0 {
		b = appendElem(b, "PackedPolicySize", strconv.Itoa(r.PackedPolicySize))
	}
	if r.SourceIdentity != "" {
		b = appendElem(b, "SourceIdentity", r.SourceIdentity)
	}
	b = append(b, "</AssumeRoleResult><ResponseMetadata>"...)
	b = appendElem(b, "RequestId", requestID)
	b = append(b, "</ResponseMetadata></"...)
	b = append(b, op...)
	return append(b, "Response>"...)
}
