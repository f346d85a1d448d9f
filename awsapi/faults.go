package awsapi

import (
	"math/rand/v2"
	"strconv"
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

// Faults is the set of active faults.
type Faults struct {
	mu    sync.Mutex
	list  []*Fault
	rand  func() float64
	nextN int
}

// Add installs a fault and returns its id.
func (f *Faults) Add(ft Fault) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextN++
	ft.ID = "fault-" + strconv.Itoa(f.nextN)
	ft.Remaining = ft.Count
	f.list = append(f.list, &ft)
	return ft.ID
}

// Reset removes an account's faults.
func (f *Faults) Reset(account string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.list[:0]
	n := 0
	for _, ft := range f.list {
		if ft.Account == account {
			n++
			continue
		}
		kept = append(kept, ft)
	}
	f.list = kept
	return n
}

// List returns an account's faults.
func (f *Faults) List(account string) []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Fault
	for _, ft := range f.list {
		if ft.Account == account {
			out = append(out, *ft)
		}
	}
	return out
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
	for i := 0; i < len(f.list); i++ {
		ft := f.list[i]
		if ft.Account != account || (ft.Service != "" && ft.Service != service) || (ft.Operation != "*" && ft.Operation != op) {
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
				f.list = append(f.list[:i], f.list[i+1:]...)
				i--
			}
		}
	}
	f.mu.Unlock()
	if fired == nil {
		return nil, delay, nil
	}
	status := fired.StatusCode
	if status == 0 {
		if t, ok := connectfed.ParseErrorType(fired.ErrorCode); ok {
			status = t.Status()
		}
		if status == 0 {
			status = 400
		}
	}
	msg := fired.Message
	if msg == "" {
		msg = "Injected fault " + fired.ID + "."
	}
	return fired, delay, &injected{Type: fired.ErrorCode, Status: status, Message: msg}
}
