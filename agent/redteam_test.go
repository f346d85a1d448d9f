package agent_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/agent"
	"github.com/connectfed/connectfed/internal/testutil"
)

// An agent's CCP may change the attributes of its own contacts only, not
// those of a contact ringing or talking to another agent of the instance.
func TestAgentAttributesOnlyOwnContacts(t *testing.T) {
	ctx := context.Background()
	f, users := newFixture(t, 5, "ann", "bob")
	ann, bob := users[0], users[1]
	testutil.Must(t, f.svc.SetUserStatus(ctx, f.sc, f.inst, ann, f.status(t, "Available")))
	c, err := f.svc.StartContact(ctx, f.sc, f.inst, agent.ContactInput{Channel: "VOICE", InitiationMethod: "INBOUND",
		Attributes: map[string]string{"account": "1234"}})
	testutil.Must(t, err)
	if _, s := f.slots(t, ann); len(s) != 1 {
		t.Fatalf("ann not offered the contact: %v", s)
	}
	if err := f.svc.UpdateAgentAttributes(ctx, f.sc, f.inst, bob, c.ID, map[string]string{"account": "9999"}); !errors.Is(err, agent.ErrNoContact) {
		t.Fatalf("bob changed ann's contact: %v", err)
	}
	testutil.Must(t, f.svc.UpdateAgentAttributes(ctx, f.sc, f.inst, ann, c.ID, map[string]string{"note": "vip"}))
	attrs, err := f.svc.Attributes(ctx, f.sc, f.inst, c.ID)
	testutil.Must(t, err)
	if attrs["account"] != "1234" || attrs["note"] != "vip" {
		t.Fatalf("attributes %v", attrs)
	}
}

// Merging attributes cannot grow a contact past Connect's 32 KB total:
// each update is small, their sum is refused.
func TestAttributesTotalCapped(t *testing.T) {
	ctx := context.Background()
	f, _ := newFixture(t, 5)
	c, err := f.svc.StartContact(ctx, f.sc, f.inst, agent.ContactInput{Channel: "TASK", InitiationMethod: "API"})
	testutil.Must(t, err)
	big := strings.Repeat("x", 10000)
	for _, k := range []string{"a", "b", "c"} {
		testutil.Must(t, f.svc.UpdateAttributes(ctx, f.sc, f.inst, c.ID, map[string]string{k: big}))
	}
	err = f.svc.UpdateAttributes(ctx, f.sc, f.inst, c.ID, map[string]string{"d": big})
	if errType(err) != connectfed.InvalidParameterException {
		t.Fatalf("fourth 10000-character attribute: %v", err)
	}
	attrs, err := f.svc.Attributes(ctx, f.sc, f.inst, c.ID)
	testutil.Must(t, err)
	if len(attrs) != 3 {
		t.Fatalf("a refused update changed the contact: %d attributes", len(attrs))
	}
	// Replacing or removing keeps within the cap.
	testutil.Must(t, f.svc.UpdateAttributes(ctx, f.sc, f.inst, c.ID, map[string]string{"a": "", "d": big}))
}

// An instance's live contacts are capped: without it every change to the
// instance reads a list that grows without end.
func TestLiveContactsCapped(t *testing.T) {
	ctx := context.Background()
	f, _ := newFixture(t, 5)
	for i := 0; i < agent.MaxLiveContacts; i++ {
		_, err := f.svc.StartContact(ctx, f.sc, f.inst, agent.ContactInput{Channel: "TASK", InitiationMethod: "API"})
		testutil.Must(t, err)
	}
	_, err := f.svc.StartContact(ctx, f.sc, f.inst, agent.ContactInput{Channel: "TASK", InitiationMethod: "API"})
	if errType(err) != connectfed.LimitExceededException {
		t.Fatalf("contact past the cap: %v", err)
	}
}

func errType(err error) connectfed.ErrorType {
	var e *connectfed.Error
	if errors.As(err, &e) {
		return e.Type
	}
	return connectfed.NoErrorType
}
