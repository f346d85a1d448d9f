package awsapi

import "github.com/connectfed/connectfed"

// connectfed's own admin operations for test suites, signed for "connect"
// and authorized as connectfed:<Operation> on "*" (root may do all of
// them; an IAM principal needs a policy). Everything they do is scoped to
// the caller's account.

func (s *Server) adminAuthorize(c *call) error {
	c.target = "arn:aws:iam::" + c.principal.AccountID + ":root"
	return s.cfg.Identity.Authorize(c.ctx, c.principal, "connectfed:"+c.op, "*", nil)
}

// putFault: POST /connectfed/admin/faults {"Operation": "GetFederationToken",
// "ErrorCode": "InternalServiceException", "Count": 2, "Probability": 0.5,
// "LatencyMs": 200, "Service": "connect"}.
func (s *Server) putFault(c *call, _ []string) (any, error) {
	var in struct {
		Service, Operation, ErrorCode, Message *string
		StatusCode, Count, LatencyMs           *int
		Probability                            *float64
	}
	if err := decodeJSON(c.body, &in); err != nil {
		return nil, err
	}
	v := &violations{errType: connectfed.InvalidParameterException}
	v.required("operation", in.Operation != nil)
	f := Fault{Account: c.principal.AccountID, Operation: deref(in.Operation), Service: deref(in.Service),
		ErrorCode: deref(in.ErrorCode), Message: deref(in.Message)}
	if f.Service != "" {
		v.enum("service", f.Service, "connect", "sts", "iam")
	}
	if in.StatusCode != nil {
		if *in.StatusCode < 400 || *in.StatusCode > 599 {
			v.add("statusCode", "", true, "Member must be between 400 and 599")
		}
		f.StatusCode = *in.StatusCode
	}
	if in.Count != nil {
		if *in.Count < 0 {
			v.add("count", "", true, "Member must be greater than or equal to 0")
		}
		f.Count = *in.Count
	}
	if in.LatencyMs != nil {
		if *in.LatencyMs < 0 || *in.LatencyMs > 60000 {
			v.add("latencyMs", "", true, "Member must be between 0 and 60000")
		}
		f.LatencyMs = *in.LatencyMs
	}
	if in.Probability != nil {
		if *in.Probability < 0 || *in.Probability > 1 {
			v.add("probability", "", true, "Member must be between 0 and 1")
		}
		f.Probability = *in.Probability
	}
	v.list = append(v.list, ValidateFault(f)...)
	if f.ErrorCode == "" && f.LatencyMs == 0 {
		v.list = append(v.list, "A fault needs an ErrorCode, a LatencyMs, or both")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.adminAuthorize(c); err != nil {
		return nil, err
	}
	id := s.cfg.Faults.Add(f)
	if id == "" {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.ServiceQuotaExceededException,
			"The account already has its maximum of %d faults; delete some first.", MaxFaultsPerAccount)
	}
	s.log.Info("fault added", "request_id", c.id, "fault", id, "account", f.Account, "operation", f.Operation, "error", f.ErrorCode)
	return struct{ FaultId string }{id}, nil
}

func (s *Server) listFaults(c *call, _ []string) (any, error) {
	if err := s.adminAuthorize(c); err != nil {
		return nil, err
	}
	list := s.cfg.Faults.List(c.principal.AccountID)
	if list == nil {
		list = []Fault{}
	}
	return struct{ Faults []Fault }{list}, nil
}

func (s *Server) deleteFaults(c *call, _ []string) (any, error) {
	if err := s.adminAuthorize(c); err != nil {
		return nil, err
	}
	n := s.cfg.Faults.Reset(c.principal.AccountID)
	return struct{ Removed int }{n}, nil
}

// resetAccount: POST /connectfed/admin/reset wipes the caller's account
// back to empty: instances, users, IAM users, keys, roles, policies, STS
// sessions and faults. The account, its root keys and its audit trail stay.
func (s *Server) resetAccount(c *call, _ []string) (any, error) {
	if err := s.adminAuthorize(c); err != nil {
		return nil, err
	}
	// Two transactions, each package resetting what it owns: a failure
	// between them leaves a partial reset, which a retry completes.
	if err := s.cfg.Connect.ResetAccount(c.ctx, c.principal.AccountID); err != nil {
		return nil, err
	}
	if err := s.cfg.Identity.ResetAccount(c.ctx, c.principal.AccountID); err != nil {
		return nil, err
	}
	s.cfg.Faults.Reset(c.principal.AccountID)
	return struct{ AccountId string }{c.principal.AccountID}, nil
}

// applySeed: POST /connectfed/admin/seed with a --seed document (JSON)
// creates what it declares for the caller's account where missing, as
// --seed does at start (`connectfed seed FILE` sends it). The document may
// name only the caller's account.
func (s *Server) applySeed(c *call, _ []string) (any, error) {
	if s.cfg.Seed == nil {
		return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidRequestException, "This server does not apply seeds at run time.")
	}
	if err := s.adminAuthorize(c); err != nil {
		return nil, err
	}
	if err := s.cfg.Seed(c.ctx, c.principal.AccountID, c.body); err != nil {
		return nil, err
	}
	return struct{ AccountId string }{c.principal.AccountID}, nil
}
