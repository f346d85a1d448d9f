package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// federate returns alice's GetFederationToken answer.
func (f *fedFixture) federate(t *testing.T) *connect.GetFederationTokenOutput {
	t.Helper()
	out, err := connect.NewFromConfig(f.assume(t, "alice", 3600)).GetFederationToken(context.Background(),
		&connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
	must(t, err)
	return out
}

func postJSON(t *testing.T, url string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: not JSON: %s", url, raw)
	}
	return resp.StatusCode, out, resp.Header
}

func (f *fedFixture) validate(t *testing.T, access string) map[string]any {
	t.Helper()
	status, out, _ := postJSON(t, f.srv.url+"/connectfed/token/validate", map[string]string{"AccessToken": access})
	if status != 200 {
		t.Fatalf("validate: status %d %v", status, out)
	}
	return out
}

func (f *fedFixture) refresh(t *testing.T, refresh string) (int, map[string]any, http.Header) {
	t.Helper()
	return postJSON(t, f.srv.url+"/connectfed/token/refresh", map[string]string{"RefreshToken": refresh})
}

func tokensOf(t *testing.T, out map[string]any) (access, refresh string) {
	t.Helper()
	c, ok := out["Credentials"].(map[string]any)
	if !ok {
		t.Fatalf("no Credentials in %v", out)
	}
	return c["AccessToken"].(string), c["RefreshToken"].(string)
}

func TestValidateAndRefresh(t *testing.T) {
	f := newFedFixture(t)
	tok := f.federate(t)
	access, refresh := *tok.Credentials.AccessToken, *tok.Credentials.RefreshToken

	v := f.validate(t, access)
	if v["Active"] != true || v["Username"] != "alice" || v["UserId"] != f.userID || v["InstanceId"] != f.instanceID ||
		v["AccountId"] != "000000000000" || v["InstanceAlias"] != "fed-test" || int64(v["Expiration"].(float64)) != tok.Credentials.AccessTokenExpiration.Unix() {
		t.Errorf("validate = %v", v)
	}
	// A refresh token is not an access token.
	if f.validate(t, refresh)["Active"] != false {
		t.Error("a refresh token validated as an access token")
	}
	// One altered character anywhere makes a token invalid.
	for _, i := range []int{0, len(access) / 2, len(access) - 1} {
		b := []byte(access)
		b[i] ^= 1
		if b[i] == '-' || b[i] == '_' || (b[i] >= '0' && b[i] <= '9') || (b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' && b[i] <= 'z') {
			if f.validate(t, string(b))["Active"] != false {
				t.Errorf("token altered at byte %d still validates", i)
			}
		}
	}

	// Rotation: a refresh gives new tokens, the old access token stays
	// valid until it expires, the new ones work.
	status, out, _ := f.refresh(t, refresh)
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, out)
	}
	access2, refresh2 := tokensOf(t, out)
	if access2 == access || refresh2 == refresh {
		t.Error("refresh did not rotate the tokens")
	}
	c := out["Credentials"].(map[string]any)
	if int64(c["RefreshTokenExpiration"].(float64)) != tok.Credentials.RefreshTokenExpiration.Unix() {
		t.Errorf("refresh moved the family's expiry: %v vs %v", c["RefreshTokenExpiration"], tok.Credentials.RefreshTokenExpiration.Unix())
	}
	if f.validate(t, access2)["Active"] != true {
		t.Error("refreshed access token does not validate")
	}
	status, out, _ = f.refresh(t, refresh2)
	if status != 200 {
		t.Fatalf("second refresh: %d %v", status, out)
	}
	access3, _ := tokensOf(t, out)

	// Reuse: presenting refresh2 again revokes the whole family.
	status, out, hdr := f.refresh(t, refresh2)
	if status != 401 || hdr.Get("X-Amzn-ErrorType") != "RefreshTokenReusedException" {
		t.Fatalf("reused refresh token: %d %v %v", status, out, hdr.Get("X-Amzn-ErrorType"))
	}
	for i, a := range []string{access, access2, access3} {
		if f.validate(t, a)["Active"] != false {
			t.Errorf("access token %d of a revoked family still validates", i+1)
		}
	}
	if status, _, _ := f.refresh(t, refresh); status != 401 {
		t.Errorf("first refresh token after family revocation: %d", status)
	}
	// Garbage is a clean 401.
	if status, _, hdr := f.refresh(t, "not-a-token"); status != 401 || hdr.Get("X-Amzn-ErrorType") != "InvalidTokenException" {
		t.Errorf("garbage refresh: %d %s", status, hdr.Get("X-Amzn-ErrorType"))
	}
}

// TestRefreshRace: two refreshes racing with the same token: exactly one
// wins, and the family is revoked.
func TestRefreshRace(t *testing.T) {
	f := newFedFixture(t)
	for round := 0; round < 5; round++ {
		tok := f.federate(t)
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		accesses := make([]string, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, out, _ := f.refresh(t, *tok.Credentials.RefreshToken)
				statuses[i] = st
				if st == 200 {
					accesses[i], _ = tokensOf(t, out)
				}
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for i, st := range statuses {
			if st == 200 {
				wins++
				if f.validate(t, accesses[i])["Active"] != false {
					t.Errorf("round %d: the winner's token survived the family's revocation", round)
				}
			} else if st != 401 {
				t.Errorf("round %d: loser got %d", round, st)
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d refreshes won, want exactly 1 (%v)", round, wins, statuses)
		}
	}
}

func TestRevocation(t *testing.T) {
	ctx := context.Background()
	f := newFedFixture(t)
	root := f.srv.awsConfig("test", "test", "")
	cc := connect.NewFromConfig(root)

	t.Run("DeleteUser", func(t *testing.T) {
		tok := f.federate(t)
		_, err := cc.DeleteUser(ctx, &connect.DeleteUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(f.userID)})
		must(t, err)
		if f.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
			t.Error("token survived DeleteUser")
		}
		if st, _, _ := f.refresh(t, *tok.Credentials.RefreshToken); st != 401 {
			t.Errorf("refresh after DeleteUser: %d", st)
		}
		// A new user with the same name is someone else: old tokens stay dead.
		f.userID = createAgent(t, cc, f.instanceID, "alice", f.agentSP, f.routingID)
		if f.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
			t.Error("token revived by a new user of the same name")
		}
	})

	t.Run("revoke endpoint", func(t *testing.T) {
		tok := f.federate(t)
		revoke := func(cfgKey, cfgSecret, token string) wireResult {
			body, _ := json.Marshal(map[string]string{"Token": token})
			req := signedRequestAs(t, f.srv, cfgKey, cfgSecret, "POST", "/connectfed/token/revoke", body)
			return do(t, req)
		}
		// A user without connect:RevokeFederationToken is refused.
		ic := iam.NewFromConfig(root)
		_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("auditor")})
		must(t, err)
		k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("auditor")})
		must(t, err)
		res := revoke(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, *tok.Credentials.AccessToken)
		if res.status != 403 || res.errType != "AccessDeniedException" {
			t.Errorf("unauthorized revoke: %d %s %s", res.status, res.errType, res.body)
		}
		if f.validate(t, *tok.Credentials.AccessToken)["Active"] != true {
			t.Fatal("a refused revoke revoked")
		}
		// Another account cannot revoke it, and learns nothing.
		res = revoke("AKIAOTHERACCOUNT0001", "other-account-secret-key-000001", *tok.Credentials.AccessToken)
		if res.status != 400 || res.errType != "InvalidParameterException" {
			t.Errorf("foreign revoke: %d %s", res.status, res.errType)
		}
		res = revoke("test", "test", *tok.Credentials.RefreshToken)
		if res.status != 200 {
			t.Fatalf("revoke: %d %s", res.status, res.body)
		}
		if f.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
			t.Error("revoked family's access token still validates")
		}
		res = revoke("test", "test", "garbage-token-garbage-token-garbage-token-garbage")
		if res.status != 400 {
			t.Errorf("garbage revoke: %d", res.status)
		}
	})

	t.Run("DeleteInstance", func(t *testing.T) {
		tok := f.federate(t)
		_, err := cc.DeleteInstance(ctx, &connect.DeleteInstanceInput{InstanceId: aws.String(f.instanceID)})
		must(t, err)
		if f.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
			t.Error("token survived DeleteInstance")
		}
		var rnf *ctypes.ResourceNotFoundException
		_, err = cc.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(f.instanceID)})
		if !errors.As(err, &rnf) {
			t.Errorf("instance still there: %v", err)
		}
	})
}

func TestTokenExpiryAndRestart(t *testing.T) {
	f := newFedFixture(t)
	tok := f.federate(t)
	// Tokens issued before a restart keep working after it.
	dir := f.srv.dataDir
	f.srv.stop()
	f.srv = startServerClock(t, dir, f.clock.Now)
	if f.validate(t, *tok.Credentials.AccessToken)["Active"] != true {
		t.Fatal("access token did not survive a restart")
	}
	// Past the access token's expiry (the validate endpoint is not SigV4,
	// so the clock may jump): the access token is dead, the refresh token
	// still works, until its own expiry.
	f.clock.Set(61 * time.Minute)
	if f.validate(t, *tok.Credentials.AccessToken)["Active"] != false {
		t.Error("expired access token validates")
	}
	st, out, _ := f.refresh(t, *tok.Credentials.RefreshToken)
	if st != 200 {
		t.Fatalf("refresh with live refresh token: %d %v", st, out)
	}
	access, refresh := tokensOf(t, out)
	f.clock.Set(12*time.Hour + time.Minute)
	if f.validate(t, access)["Active"] != false {
		t.Error("access token outlived its family's refresh expiry")
	}
	if st, _, hdr := f.refresh(t, refresh); st != 401 || hdr.Get("X-Amzn-ErrorType") != "ExpiredTokenException" {
		t.Errorf("expired refresh: %d %s", st, hdr.Get("X-Amzn-ErrorType"))
	}
}

func signedRequestAs(t *testing.T, srv *server, key, secret, method, path string, body []byte) *http.Request {
	t.Helper()
	return signRequest(t, srv, key, secret, method, path, "connect", body, nil)
}

// tryRefresh is refresh without t: it may fail when the server is killed.
func tryRefresh(ctx context.Context, base, refresh string) (int, map[string]any, error) {
	b, _ := json.Marshal(map[string]string{"RefreshToken": refresh})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/connectfed/token/refresh", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, out, nil
}

func tokensFromBody(out map[string]any) (access, refresh string) {
	c, _ := out["Credentials"].(map[string]any)
	access, _ = c["AccessToken"].(string)
	refresh, _ = c["RefreshToken"].(string)
	return access, refresh
}
