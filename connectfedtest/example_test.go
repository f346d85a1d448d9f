package connectfedtest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/connectfed/connectfed/connectfedtest"
)

// In a test, New starts a server for that test; Instance and Agent build
// the README's federation walkthrough (a SAML instance, a Connect user,
// the IAM role its backend assumes with the agent's username as session
// name), and the agent's credentials get its federation token.
func Example() {
	t := &testing.T{} // in a test: the test's own t
	srv := connectfedtest.New(t)
	defer srv.Close() // in a test: done by New at the end of the test
	inst := srv.Instance("my-contact-center")
	agent := srv.Agent(inst, "alice")

	out, err := agent.FederationToken(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*out.UserId == agent.UserID, strings.HasPrefix(*out.SignInUrl, srv.URL))
	// Output: true true
}
