package awsapi

import (
	"github.com/connectfed/connectfed"
	"strconv"
	"time"

	"github.com/connectfed/connectfed/audit"
)

// listAuditEvents is connectfed's own operation GET /connectfed/audit
// (signed for "connect", authorized as connect:ListAuditEvents on "*"): the
// caller's account's audit trail, oldest first, with query parameters
// startTime and endTime (epoch seconds or RFC 3339; default the last 24
// hours), maxResults (1-1000, default 100) and nextToken.
func (s *Server) listAuditEvents(c *call, _ []string) (any, error) {
	v := &violations{errType: connectfed.InvalidParameterException}
	q := c.r.URL.Query()
	now := s.cfg.Now()
	from := parseTimeParam(v, "startTime", q.Get("startTime"), now.Add(-24*time.Hour))
	to := parseTimeParam(v, "endTime", q.Get("endTime"), now.Add(time.Second))
	limit := queryInt(c, "maxResults", 100, 1, 1000, v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.authorize(c, "*", nil); err != nil {
		return nil, err
	}
	listing := "ListAuditEvents/" + c.principal.AccountID + "/" + from.Format(time.RFC3339Nano) + "/" + to.Format(time.RFC3339Nano)
	after, err := s.pager.cursor(listing, q.Get("nextToken"), connectfed.InvalidRequestException)
	if err != nil {
		return nil, err
	}
	recs, last, err := audit.Query(c.ctx, s.cfg.Store, c.principal.AccountID, from, to, after, limit)
	if err != nil {
		return nil, err
	}
	type event struct {
		Time          epoch
		AccountId     string
		Event         string
		Caller        string `json:",omitempty"`
		Target        string `json:",omitempty"`
		InstanceId    string `json:",omitempty"`
		SourceAddress string `json:",omitempty"`
		RequestId     string `json:",omitempty"`
		Detail        string `json:",omitempty"`
	}
	out := struct {
		AuditEvents []event
		NextToken   string `json:",omitempty"`
	}{AuditEvents: make([]event, 0, len(recs)), NextToken: s.pager.token(listing, last)}
	for _, r := range recs {
		out.AuditEvents = append(out.AuditEvents, event{epoch(r.Time), r.AccountID, r.Event, r.Caller, r.Target, r.Instance, r.Source, r.RequestID, r.Detail})
	}
	return out, nil
}

func parseTimeParam(v *violations, name, raw string, def time.Time) time.Time {
	if raw == "" {
		return def
	}
	if n, err := strconv.ParseFloat(raw, 64); err == nil && n >= 0 && n < 1e11 {
		return time.UnixMilli(int64(n * 1000)).UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
		return t.UTC()
	}
	v.add(name, raw, false, "Member must be epoch seconds or an RFC 3339 time")
	return def
}
