package awsapi

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// aws:SourceIp and aws:SecureTransport: X-Forwarded-* count only from
// trusted proxies, read from the right.
func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		name, peer, xff, proto string
		tls                    bool
		trusted                []netip.Prefix
		ip                     string
		secure                 bool
	}{
		{"no proxies configured: the peer", "127.0.0.1:5000", "203.0.113.9", "https", false, nil, "127.0.0.1", false},
		{"untrusted peer: headers ignored", "198.51.100.7:5000", "203.0.113.9", "https", false, trusted, "198.51.100.7", false},
		{"trusted peer: the client it reports", "127.0.0.1:5000", "203.0.113.9", "https", false, trusted, "203.0.113.9", true},
		{"spoofed left entries are skipped", "127.0.0.1:5000", "192.0.2.1, 203.0.113.9, 10.1.2.3", "http", false, trusted, "203.0.113.9", false},
		{"all hops trusted: the leftmost", "127.0.0.1:5000", "10.9.9.9, 10.1.1.1", "", false, trusted, "10.9.9.9", false},
		{"garbage stops the walk", "127.0.0.1:5000", "203.0.113.9, not-an-ip", "", false, trusted, "127.0.0.1", false},
		{"IPv4-mapped IPv6 peer", "[::ffff:127.0.0.1]:5000", "", "", false, nil, "127.0.0.1", false},
		{"IPv6 client", "127.0.0.1:5000", "2001:db8::1", "", false, trusted, "2001:db8::1", false},
		{"TLS without proxies", "127.0.0.1:5000", "", "", true, nil, "127.0.0.1", true},
		{"last X-Forwarded-Proto wins", "127.0.0.1:5000", "203.0.113.9", "https, http", true, trusted, "203.0.113.9", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if tc.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		if tc.tls {
			r.TLS = &tls.ConnectionState{}
		} else {
			r.TLS = nil
		}
		ip, secure := clientAddr(r, tc.trusted)
		if ip != tc.ip || secure != tc.secure {
			t.Errorf("%s: %s %v, want %s %v", tc.name, ip, secure, tc.ip, tc.secure)
		}
	}
}
