package agent_test

import (
	"context"
	"testing"
	"time"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/connect"
	"github.com/connectfed/connectfed/internal/testutil"
	"github.com/connectfed/connectfed/memory"
)

type fixture struct {
	store   connectfed.Store
	svc     *agent.Service
	sc      connect.Scope
	inst    string
	clock   *testutil.Clock
	changed []string
}

// newFixture makes an instance with agents named by usernames, each with
// the given after contact work limit (seconds).
func newFixture(t *testing.T, acw int64, usernames ...string) (*fixture, []string) {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	clk := testutil.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	cs := &connect.Service{Store: store, Now: clk.Now}
	sc := connect.Scope{AccountID: "000000000000", Region: "us-east-1"}
	inst, err := cs.CreateInstance(ctx, sc, connect.CreateInstanceInput{Alias: "a", IdentityManagementType: connectfed.IdentitySAML})
	testutil.Must(t, err)
	rps, _, err := cs.ListRoutingProfiles(ctx, sc, inst.ID, "", 10)
	testutil.Must(t, err)
	f := &fixture{store: store, sc: sc, inst: inst.ID, clock: clk}
	f.svc = &agent.Service{Store: store, Now: clk.Now, RingTimeout: 10 * time.Second, Changed: func(k string) { f.changed = append(f.changed, k) }}
	var ids []string
	for _, name := range usernames {
		u, err := cs.CreateUser(ctx, sc, inst.ID, connect.CreateUserInput{Username: name, RoutingProfileID: rps[0].ID,
			PhoneConfig: connectfed.UserPhoneConfig{PhoneType: "SOFT_PHONE", AfterContactWorkTimeLimit: acw}})
		testutil.Must(t, err)
		ids = append(ids, u.ID)
		clk.Add(time.Second) // users created earlier have been idle longer
	}
	return f, ids
}

func (f *fixture) status(t *testing.T, name string) string {
	t.Helper()
	_, list, err := f.svc.ListStatuses(context.Background(), f.sc, f.inst)
	testutil.Must(t, err)
	for _, s := range list {
		if s.Name == name {
			return s.ID
		}
	}
	t.Fatalf("no status %s", name)
	return ""
}

// slots returns what GetCurrentUserData says of one agent: its status
// name and its contacts' agent states.
func (f *fixture) slots(t *testing.T, user string) (string, []string) {
	t.Helper()
	_, list, err := f.svc.CurrentUserData(context.Background(), f.sc, f.inst, agent.UserFilter{Agents: []string{user}})
	testutil.Must(t, err)
	var states []string
	for _, c := range list[0].Contacts {
		states = append(states, c.AgentState+":"+c.Contact.ID)
	}
	return list[0].Status.Name, states
}

func TestRoutingAndLifecycle(t *testing.T) {
	ctx := context.Background()
	f, users := newFixture(t, 5, "ann", "bob")
	ann, bob := users[0], users[1]
	avail := f.status(t, "Available")

	call := func() string {
		c, err := f.svc.StartContact(ctx, f.sc, f.inst, agent.ContactInput{Channel: "VOICE", InitiationMethod: "INBOUND",
			Customer: agent.Endpoint{Type: "TELEPHONE_NUMBER", Address: "+15550100"}})
		testutil.Must(t, err)
		return c.ID
	}

	// Nobody routable: the call waits.
	c1 := call()
	if _, s := f.slots(t, ann); len(s) != 0 {
		t.Fatalf("offline agent offered %v", s)
	}
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, bob, avail))
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, ann, avail))
	// bob became Available first, so he has been idle longest.
	if _, s := f.slots(t, bob); len(s) != 1 || s[0] != "CONNECTING:"+c1 {
		t.Fatalf("bob: %v", s)
	}
	if len(f.changed) == 0 || f.changed[len(f.changed)-1] != agent.InstanceKey(f.sc, f.inst) {
		t.Errorf("changes not announced: %v", f.changed)
	}

	// bob lets it ring: missed; it goes to ann; bob is MissedCallAgent
	// until he picks a status.
	f.clock.Add(10 * time.Second)
	if _, s := f.slots(t, bob); len(s) != 1 || s[0] != "MISSED:"+c1 {
		t.Fatalf("bob after ring timeout: %v", s)
	}
	if _, s := f.slots(t, ann); len(s) != 1 || s[0] != "CONNECTING:"+c1 {
		t.Fatalf("ann: %v", s)
	}
	testutil.Must(t, f.svc.Accept(ctx, f.sc, f.inst, ann, c1))
	if err := f.svc.Accept(ctx, f.sc, f.inst, bob, c1); err != agent.ErrNoContact {
		t.Errorf("bob accepting a call he missed: %v", err)
	}

	// A second call waits: ann is busy, bob has not picked a status.
	c2 := call()
	if _, s := f.slots(t, bob); len(s) != 1 {
		t.Fatalf("bob in missed state offered: %v", s)
	}
	// Busy ann picks Offline: it is her next status.
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, ann, f.status(t, "Offline")))
	testutil.Must(t, f.svc.Hangup(ctx, f.sc, f.inst, ann, c1))
	if st, s := f.slots(t, ann); st != "Available" || len(s) != 1 || s[0] != "ENDED:"+c1 {
		t.Fatalf("ann in after contact work: %s %v", st, s)
	}
	// After the 5 s of after contact work: her next status, Offline; c2 is
	// still waiting, and goes to bob once he is Available.
	f.clock.Add(5 * time.Second)
	if st, s := f.slots(t, ann); st != "Offline" || len(s) != 0 {
		t.Fatalf("ann after ACW: %s %v", st, s)
	}
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, bob, avail))
	if _, s := f.slots(t, bob); len(s) != 1 || s[0] != "CONNECTING:"+c2 {
		t.Fatalf("bob: %v", s)
	}
	// The caller hangs up while it rings: the agent is free at once.
	testutil.Must(t, f.svc.StopContact(ctx, f.sc, f.inst, c2, "CUSTOMER_DISCONNECT"))
	if st, s := f.slots(t, bob); st != "Available" || len(s) != 0 {
		t.Fatalf("bob after the caller hung up: %s %v", st, s)
	}
	err := f.svc.StopContact(ctx, f.sc, f.inst, c2, "API")
	testutil.WantType(t, err, connectfed.ContactNotFoundException)

	// The contact records tell the story.
	d, _, err := f.svc.DescribeContact(ctx, f.sc, f.inst, c1)
	testutil.Must(t, err)
	if d.AgentID != ann || d.ACWEnd.IsZero() || d.DisconnectReason != "AGENT_DISCONNECT" || len(d.Passed) != 1 || d.Passed[0] != bob {
		t.Errorf("c1: %+v", d)
	}
}

func TestStatuses(t *testing.T) {
	ctx := context.Background()
	f, users := newFixture(t, 0, "ann")
	_, list, err := f.svc.ListStatuses(ctx, f.sc, f.inst)
	testutil.Must(t, err)
	if len(list) != 2 || list[0].Name != "Available" || list[0].Type != agent.TypeRoutable || list[1].Type != agent.TypeOffline {
		t.Fatalf("defaults: %+v", list)
	}
	name, state := "Lunch", agent.Enabled
	lunch, err := f.svc.CreateStatus(ctx, f.sc, f.inst, agent.StatusInput{Name: &name, State: &state})
	testutil.Must(t, err)
	_, err = f.svc.CreateStatus(ctx, f.sc, f.inst, agent.StatusInput{Name: &name, State: &state})
	testutil.WantType(t, err, connectfed.DuplicateResourceException)
	// The defaults keep their ids once stored.
	_, after, err := f.svc.ListStatuses(ctx, f.sc, f.inst)
	testutil.Must(t, err)
	if len(after) != 3 || after[0].ID != list[0].ID || after[1].ID != list[1].ID {
		t.Errorf("after create: %+v", after)
	}
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, users[0], lunch.ID))
	disabled := agent.Disabled
	testutil.Must(t, f.svc.UpdateStatus(ctx, f.sc, f.inst, lunch.ID, agent.StatusInput{State: &disabled}))
	err = f.svc.SetUserStatus(ctx, f.sc, f.inst, users[0], lunch.ID)
	testutil.WantType(t, err, connectfed.InvalidRequestException)
	err = f.svc.UpdateStatus(ctx, f.sc, f.inst, list[1].ID, agent.StatusInput{State: &disabled})
	testutil.WantType(t, err, connectfed.InvalidRequestException)
}

func TestOrigins(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:3000/": "http://localhost:3000", "HTTPS://Agents.Example.com:443": "https://agents.example.com",
		"https://a.example:8443": "https://a.example:8443",
	} {
		if got, ok := agent.NormalizeOrigin(in); !ok || got != want {
			t.Errorf("NormalizeOrigin(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"localhost:3000", "ftp://x", "https://x/path", "https://u@x", "https://x?q", "*", "https://*.example.com", "javascript:alert(1)", "https://x 'unsafe-inline'"} {
		if got, ok := agent.NormalizeOrigin(bad); ok {
			t.Errorf("NormalizeOrigin(%q) accepted as %q", bad, got)
		}
	}
}

// TestAutoAccept: an agent whose phone config auto-accepts is connected as
// soon as a contact is routed to it.
func TestAutoAccept(t *testing.T) {
	ctx := context.Background()
	f, users := newFixture(t, 0, "ann")
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, users[0], f.status(t, "Available")))
	// The fixture's users do not auto-accept; this one is changed to.
	cs := &connect.Service{Store: f.store, Now: f.clock.Now}
	u, err := cs.GetUser(ctx, f.sc, f.inst, users[0])
	testutil.Must(t, err)
	pc := u.PhoneConfig
	pc.AutoAccept = true
	testutil.Must(t, cs.UpdateUser(ctx, f.sc, f.inst, users[0], connect.UserChange{PhoneConfig: &pc}))
	c, err := f.svc.StartContact(ctx, f.sc, f.inst, agent.ContactInput{Channel: "TASK", InitiationMethod: "API"})
	testutil.Must(t, err)
	if _, s := f.slots(t, users[0]); len(s) != 1 || s[0] != "CONNECTED:"+c.ID {
		t.Fatalf("auto-accepted: %v", s)
	}
	// After contact work without a limit lasts until the agent closes it.
	testutil.Must(t, f.svc.Hangup(ctx, f.sc, f.inst, users[0], c.ID))
	f.clock.Add(time.Hour)
	if _, s := f.slots(t, users[0]); len(s) != 1 || s[0] != "ENDED:"+c.ID {
		t.Fatalf("after an hour of unlimited ACW: %v", s)
	}
	testutil.Must(t, f.svc.Clear(ctx, f.sc, f.inst, users[0], c.ID))
	if st, s := f.slots(t, users[0]); st != "Available" || len(s) != 0 {
		t.Fatalf("closed: %s %v", st, s)
	}
}
