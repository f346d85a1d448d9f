package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/connectfed/connectfed/audit"
)

// runAudit is `connectfed audit`: it reads the audit trail of one account
// straight from the store (the server may be running or not).
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connectfed audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	m := NewMain()
	m.Stderr = stderr
	fs.StringVar(&m.DataDir, "data-dir", envOr("data-dir", "connectfed-data"), "the server's data dir (embedded store) (env "+EnvName("data-dir")+")")
	fs.StringVar(&m.Store, "store", envOr("store", "sqlite"), "sqlite or a postgres:// URL (env "+EnvName("store")+")")
	account := fs.String("account", "000000000000", "account id")
	since := fs.Duration("since", 24*time.Hour, "how far back, when --from is not given")
	fromS := fs.String("from", "", "start time, RFC 3339 (inclusive)")
	toS := fs.String("to", "", "end time, RFC 3339 (exclusive; default now)")
	format := fs.String("format", "text", "text or json (one JSON object a line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	to := time.Now()
	from := to.Add(-*since)
	var err error
	if *fromS != "" {
		if from, err = time.Parse(time.RFC3339Nano, *fromS); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	if *toS != "" {
		if to, err = time.Parse(time.RFC3339Nano, *toS); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	if m.Store == "memory" {
		return errors.New("--store memory lives inside the server process: read its audit trail with the API (GET /connectfed/audit)")
	}
	m.log = slog.New(slog.NewTextHandler(stderr, nil))
	store, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if *format == "text" {
		fmt.Fprintln(tw, "TIME\tEVENT\tCALLER\tTARGET\tINSTANCE\tSOURCE\tREQUEST ID\tDETAIL")
	}
	after := ""
	for {
		recs, last, err := audit.Query(ctx, store, *account, from, to, after, 500)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if *format == "json" {
				b, _ := json.Marshal(r)
				fmt.Fprintln(stdout, string(b))
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339Nano), r.Event, r.Caller, r.Target, r.Instance, r.Source, r.RequestID, r.Detail)
		}
		if last == "" {
			break
		}
		after = last
	}
	return tw.Flush()
}

func envOr(flagName, def string) string {
	if v, ok := lookupEnv(EnvName(flagName)); ok {
		return v
	}
	return def
}
