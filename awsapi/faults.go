package awsapi

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectfed/connectfed"
)

// Fault makes calls fail or slow down, for people testing their own retry
// and error handling. It applies to one account's calls of one operation
// ("*" for all) of one service ("" for all).
type Fault struct {
	ID          string  `json:"FaultId" yaml:"-"`
	Account     string  `json:"AccountId" yaml:"account"`
	Service     string  `json:"Service,omitempty" yaml:"service"`
	Operation   string  `json:"Operation" yaml:"operation"`
	ErrorCode   string  `json:"ErrorCode,omitempty" yaml:"errorCode"`
	StatusCode  int     `json:"StatusCode,omitempty" yaml:"statusCode"`
	Message     string  `json:"Message,omitempty" yaml:"message"`
	Count       int     `json:"Count,omitempty" yaml:"count"`             // fail the next Count calls (0: no count limit)
	Probability float64 `json:"Probability,omitempty" yaml:"probability"` // fail with this probability (0: always, within Count)
	LatencyMs   int     `json:"LatencyMs,omitempty" yaml:"latencyMs"`     // add this delay
	Remaining   int     `json:"Remaining,omitempty" yaml:"-"`
}

// MaxFaultsPerAccount caps an account's active faults; PutFault past it is
// ServiceQuotaExceededException.
const MaxFaultsPerAccount = 100

// maxFaultMessage caps a fault's Message (it is sent in every response the
// fault makes).
const maxFaultMessage = 1024

// Faults is the set of active faults, per account: looking up one
// account's faults costs the same whatever other accounts installed.
type Faults struct {
	mu    sync.Mutex
	by    map[string][]*Fault
	rand  func() float64
	nextN int
}

// Add installs a fault and returns its id, or "" when the account already
// has MaxFaultsPerAccount faults. The fault must have passed ValidateFault.
func (f *Faults) Add(ft Fault) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.by[ft.Account]) >= MaxFaultsPerAccount {
		return ""
	}
	if f.by == nil {
		f.by = map[string][]*Fault{}
	}
	f.nextN++
	ft.ID = "fault-" + strconv.Itoa(f.nextN)
	ft.Remaining = ft.Count
	f.by[ft.Account] = append(f.by[ft.Account], &ft)
	return ft.ID
}

// Reset removes an account's faults.
func (f *Faults) Reset(account string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.by[account])
	delete(f.by, account)
	return n
}

// List returns an account's faults.
func (f *Faults) List(account string) []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Fault
	for _, ft := range f.by[account] {
		out = append(out, *ft)
	}
	return out
}

// commonErrors are the errors any AWS operation may return (AWS's "Common
// Errors" of the Connect, STS and IAM API references, in both protocols'
// spellings), with their status.
var commonErrors = map[string]int{
	"AccessDeniedException":               403,
	"AccessDenied":                        403,
	"ExpiredTokenException":               403,
	"ExpiredToken":                        403,
	"IncompleteSignature":                 400,
	"IncompleteSignatureException":        400,
	"InternalFailure":                     500,
	"InternalServiceException":            500,
	"ServiceFailure":                      500,
	"InvalidAction":                       400,
	"InvalidClientTokenId":                403,
	"UnrecognizedClientException":         403,
	"InvalidSignatureException":           403,
	"SignatureDoesNotMatch":               403,
	"MissingAuthenticationToken":          403,
	"MissingAuthenticationTokenException": 403,
	"NotAuthorized":                       400,
	"OptInRequired":                       403,
	"RequestExpired":                      400,
	"ServiceUnavailable":                  503,
	"ServiceUnavailableException":         503,
	"ThrottlingException":                 429,
	"Throttling":                          400,
	"ValidationError":                     400,
	"ValidationException":                 400,
}

// faultStatus is the AWS status of an error a fault may name.
func faultStatus(code string) int {
	if t, ok := connectfed.ParseErrorType(code); ok && t.Status() != 0 {
		return t.Status()
	}
	if s, ok := commonErrors[code]; ok {
		return s
	}
	if s, ok := modelledStatus[code]; ok {
		return s
	}
	return 400
}

// ValidateFault checks what a fault names against AWS's models: the
// service is connect, sts, iam or empty (any); the operation is "*" or an
// operation of that service (any of them when it is empty), or one of
// connectfed's own; the error code is one the operation's model lists
// (for "*", any operation of the service) or one of AWS's common errors.
// So every error code that can reach a response or /metrics comes from a
// fixed set. It returns one message per problem.
func ValidateFault(f Fault) []string {
	var probs []string
	services := []string{"connect", "sts", "iam"}
	switch f.Service {
	case "":
	case "connect", "sts", "iam":
		services = []string{f.Service}
	default:
		return []string{"service must be connect, sts, iam or empty (every service)"}
	}
	opKnown := f.Operation == "*"
	codeKnown := f.ErrorCode == ""
	if _, ok := commonErrors[f.ErrorCode]; ok {
		codeKnown = true
	}
	for _, svc := range services {
		ops := modelledErrors[svc]
		if f.Operation == "*" {
			if !codeKnown {
				for _, errs := range ops {
					if hasWord(errs, f.ErrorCode) {
						codeKnown = true
						break
					}
				}
			}
			continue
		}
		if errs, ok := ops[f.Operation]; ok {
			opKnown = true
			codeKnown = codeKnown || hasWord(errs, f.ErrorCode)
		}
	}
	if !opKnown && f.Service != "sts" && f.Service != "iam" {
		opKnown = restOps[f.Operation]
	}
	switch {
	case f.Operation == "":
		probs = append(probs, "operation is required (an operation name or *)")
	case !opKnown:
		probs = append(probs, fmt.Sprintf("operation %q is not an operation of %s", truncate(f.Operation, 64), strings.Join(services, ", ")))
	case !codeKnown:
		probs = append(probs, fmt.Sprintf("errorCode %q is neither an error AWS models for %s nor one of AWS's common errors", truncate(f.ErrorCode, 64), f.Operation))
	}
	if len(f.Message) > maxFaultMessage {
		probs = append(probs, fmt.Sprintf("message must be at most %d characters", maxFaultMessage))
	}
	return probs
}

// restOps are the operations the restJson1 routes serve (connectfed's own
// among them), filled in init to avoid an initialization cycle.
var restOps = map[string]bool{}

func init() {
	for _, rt := range connectRoutes {
		restOps[rt.op] = true
	}
}

// hasWord reports whether the space-separated list holds w.
func hasWord(list, w string) bool {
	for len(list) > 0 {
		i := strings.IndexByte(list, ' ')
		if i < 0 {
			return list == w
		}
		if list[:i] == w {
			return true
		}
		list = list[i+1:]
	}
	return false
}

// injected is an error a fault makes.
type injected struct {
	Type    string
	Status  int
	Message string
}

func (e *injected) Error() string { return "injected " + e.Type + ": " + e.Message }

// apply runs the faults that match a call: it returns the sum of their
// latencies (for the caller to sleep) and the error of the first error
// fault that fires.
func (f *Faults) apply(account, service, op string) (fired *Fault, delay time.Duration, err error) {
	f.mu.Lock()
	list := f.by[account]
	for i := 0; i < len(list); i++ {
		ft := list[i]
		if (ft.Service != "" && ft.Service != service) || (ft.Operation != "*" && ft.Operation != op) {
			continue
		}
		if ft.Probability > 0 {
			r := rand.Float64
			if f.rand != nil {
				r = f.rand
			}
			if r() >= ft.Probability {
				continue
			}
		}
		delay += time.Duration(ft.LatencyMs) * time.Millisecond
		if ft.ErrorCode != "" && fired == nil {
			cp := *ft
			fired = &cp
		}
		if ft.Count > 0 {
			ft.Remaining--
			if ft.Remaining <= 0 {
				list = append(list[:i], list[i+1:]...)
				i--
			}
		}
	}
	if len(list) == 0 {
		delete(f.by, account)
	} else {
		f.by[account] = list
	}
	f.mu.Unlock()
	if fired == nil {
		return nil, delay, nil
	}
	status := fired.StatusCode
	if status == 0 {
		status = faultStatus(fired.ErrorCode)
	}
	msg := fired.Message
	if msg == "" {
		msg = "Injected fault " + fired.ID + "."
	}
	return fired, delay, &injected{Type: fired.ErrorCode, Status: status, Message: msg}
}
