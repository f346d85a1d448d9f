package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/connectfed/connectfed/postgres"
	"github.com/connectfed/connectfed/sqlite"
)

// acked is everything the server said succeeded.
type acked struct {
	mu          sync.Mutex
	users       map[string]string // user id -> username
	instances   []string
	iamUsers    []string
	access      []string // access tokens from GetFederationToken and refresh
	usedRefresh []string // refresh tokens whose refresh was acknowledged
}

func (a *acked) add(fn func()) {
	a.mu.Lock()
	fn()
	a.mu.Unlock()
}

// TestCrashDurability kills the real binary with SIGKILL at random moments
// while writers run, 20 times, restarting it on the same data; every
// acknowledged write must be there, every issued token must validate, no
// half-made instance may be visible, and the store's integrity check must
// pass.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	dir := t.TempDir()
	p := startBinary(t, dir)
	f := &fedFixture{srv: &server{t: t, url: p.url}, clock: &clock{}}
	f.setup(t)
	ack := &acked{users: map[string]string{f.userID: "alice"}, instances: []string{f.instanceID}}
	rounds := 20
	for round := 0; round < rounds; round++ {
		if round > 0 {
			p = startBinary(t, dir)
			f.srv = &server{t: t, url: p.url}
		}
		sess := f.assume(t, "alice", 3600) // before the load: it must succeed
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				crashWriter(ctx, f, sess, ack, round, w)
			}()
		}
		time.Sleep(time.Duration(50+rand.IntN(300)) * time.Millisecond)
		p.cmd.Process.Kill() // SIGKILL
		<-p.done
		cancel()
		wg.Wait()
	}

	p = startBinary(t, dir)
	f.srv = &server{t: t, url: p.url}
	ctx := context.Background()
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	t.Logf("acknowledged: %d users, %d instances, %d IAM users, %d tokens", len(ack.users), len(ack.instances), len(ack.iamUsers), len(ack.access))
	if len(ack.users) < 2*rounds || len(ack.access) < rounds {
		t.Errorf("too little was acknowledged to prove anything: %d users, %d tokens", len(ack.users), len(ack.access))
	}
	for id, name := range ack.users {
		du, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: aws.String(id)})
		if err != nil || *du.User.Username != name {
			t.Errorf("acknowledged user %s (%s) lost: %v", name, id, err)
		}
	}
	for _, id := range ack.instances {
		sps, err := cc.ListSecurityProfiles(ctx, &connect.ListSecurityProfilesInput{InstanceId: aws.String(id)})
		if err != nil || len(sps.SecurityProfileSummaryList) != 4 {
			t.Errorf("acknowledged instance %s lost or half-made: %v", id, err)
		}
	}
	for _, name := range ack.iamUsers {
		if _, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}); err != nil {
			t.Errorf("acknowledged IAM user %s lost: %v", name, err)
		}
	}
	for i, tok := range ack.access {
		if f.validate(t, tok)["Active"] != true {
			t.Errorf("acknowledged token %d no longer validates", i)
		}
	}
	// Nothing half-written: every instance listed is whole, every user
	// listed is describable.
	li, err := cc.ListInstances(ctx, &connect.ListInstancesInput{})
	must(t, err)
	for _, in := range li.InstanceSummaryList {
		rps, err := cc.ListRoutingProfiles(ctx, &connect.ListRoutingProfilesInput{InstanceId: in.Id})
		if err != nil || len(rps.RoutingProfileSummaryList) != 1 {
			t.Errorf("instance %s is half-made: %v", *in.Id, err)
		}
	}
	pg := connect.NewListUsersPaginator(cc, &connect.ListUsersInput{InstanceId: aws.String(f.instanceID)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		must(t, err)
		for _, u := range page.UserSummaryList {
			if _, err := cc.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(f.instanceID), UserId: u.Id}); err != nil {
				t.Errorf("listed user %s is not describable: %v", *u.Username, err)
			}
		}
	}
	// A refresh the client was told succeeded stays spent: its refresh
	// token is refused (as reuse) after the crashes.
	if len(ack.usedRefresh) > 0 {
		if st, _, _ := f.refresh(t, ack.usedRefresh[0]); st != http.StatusUnauthorized {
			t.Errorf("an acknowledged refresh's token was accepted again after a crash: %d", st)
		}
	}
	p.cmd.Process.Signal(os.Interrupt)
	<-p.done
	storeCheck(t, dir)
}

// storeCheck runs the store's own integrity check.
func storeCheck(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	if args := e2eStoreArgs(t, dir); args != nil {
		db, err := postgres.Open(ctx, args[1])
		must(t, err)
		defer db.Close()
		must(t, db.Check(ctx))
		return
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "connectfed.db"))
	must(t, err)
	defer db.Close()
	must(t, db.Check(ctx))
}

func crashWriter(ctx context.Context, f *fedFixture, sess aws.Config, ack *acked, round, w int) {
	cc := connect.NewFromConfig(f.config("test", "test", ""))
	ic := iam.NewFromConfig(f.config("test", "test", ""))
	fc := connect.NewFromConfig(sess)
	for i := 0; ctx.Err() == nil; i++ {
		name := fmt.Sprintf("r%dw%di%d", round, w, i)
		switch i % 5 {
		case 0, 1:
			out, err := cc.CreateUser(ctx, &connect.CreateUserInput{InstanceId: aws.String(f.instanceID), Username: aws.String(name),
				SecurityProfileIds: []string{f.agentSP}, RoutingProfileId: aws.String(f.routingID)})
			if err == nil {
				ack.add(func() { ack.users[*out.UserId] = name })
			}
		case 2:
			out, err := cc.CreateInstance(ctx, &connect.CreateInstanceInput{IdentityManagementType: "SAML", InstanceAlias: aws.String(strings.ReplaceAll(name, "i", "x")),
				InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
			if err == nil {
				ack.add(func() { ack.instances = append(ack.instances, *out.Id) })
			}
		case 3:
			if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err == nil {
				ack.add(func() { ack.iamUsers = append(ack.iamUsers, name) })
			}
		case 4:
			out, err := fc.GetFederationToken(ctx, &connect.GetFederationTokenInput{InstanceId: aws.String(f.instanceID)})
			if err != nil {
				continue
			}
			ack.add(func() { ack.access = append(ack.access, *out.Credentials.AccessToken) })
			st, body, err := tryRefresh(ctx, f.srv.url, *out.Credentials.RefreshToken)
			if err == nil && st == 200 {
				access, _ := tokensFromBody(body)
				ack.add(func() {
					ack.access = append(ack.access, access)
					ack.usedRefresh = append(ack.usedRefresh, *out.Credentials.RefreshToken)
				})
			}
		}
	}
}
