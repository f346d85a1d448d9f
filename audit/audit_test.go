package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/connectfed/connectfed/audit"
	"github.com/connectfed/connectfed/sqlite"
)

func TestQueryPagesAndRanges(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := &audit.Recorder{Store: db, Log: slog.New(slog.DiscardHandler)}
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	// 700 records of account A in one flush (three chunks), interleaved
	// with B's; then 5 more of A in a second flush.
	for i := 0; i < 700; i++ {
		rec.Add(audit.Record{Time: base.Add(time.Duration(i) * time.Millisecond), AccountID: "A", Event: fmt.Sprint(i)})
		if i%7 == 0 {
			rec.Add(audit.Record{Time: base.Add(time.Duration(i) * time.Millisecond), AccountID: "B", Event: "b"})
		}
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 700; i < 705; i++ {
		rec.Add(audit.Record{Time: base.Add(time.Duration(i) * time.Millisecond), AccountID: "A", Event: fmt.Sprint(i)})
	}
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// All of A, in pages of 100: each event once, in order.
	var got []string
	cursor := ""
	pages := 0
	for {
		recs, next, err := audit.Query(ctx, db, "A", base, base.Add(time.Hour), cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range recs {
			if r.AccountID != "A" {
				t.Fatalf("foreign record %+v", r)
			}
			got = append(got, r.Event)
		}
		if next == "" {
			break
		}
		cursor = next
		if pages > 20 {
			t.Fatal("pagination does not end")
		}
	}
	if len(got) != 705 {
		t.Fatalf("got %d records, want 705", len(got))
	}
	for i, e := range got {
		if e != fmt.Sprint(i) {
			t.Fatalf("record %d is %s", i, e)
		}
	}
	// A time range in the middle of a chunk.
	recs, _, err := audit.Query(ctx, db, "A", base.Add(300*time.Millisecond), base.Add(310*time.Millisecond), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 10 || recs[0].Event != "300" || recs[9].Event != "309" {
		t.Errorf("range query: %d records %v", len(recs), recs)
	}
	// B sees only its own.
	recs, _, _ = audit.Query(ctx, db, "B", base, base.Add(time.Hour), "", 1000)
	if len(recs) != 100 {
		t.Errorf("B has %d records, want 100", len(recs))
	}
	if _, _, err := audit.Query(ctx, db, "A", base, base.Add(time.Hour), "B/x#1", 10); err == nil {
		t.Error("a cursor of another account was accepted")
	}
}

// The hand encoder must spell a record as encoding/json does.
func TestRecordEncodingMatchesEncodingJSON(t *testing.T) {
	for _, r := range []audit.Record{
		{Time: time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC), AccountID: "000000000000", Event: "token-issued"},
		{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), AccountID: "1", Event: "e", Caller: `a"b`, Target: "<t>",
			Instance: "i", Source: "127.0.0.1:1", RequestID: "r", Detail: "family=ü reason=x"},
	} {
		want, _ := json.Marshal(&r)
		if got := audit.EncodeForTest(&r); string(got) != string(want) {
			t.Errorf("encoded %s\nwant    %s", got, want)
		}
	}
}
