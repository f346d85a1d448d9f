package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
)

// ceilingServer is the hidden subcommand "ceiling-server": a bare net/http
// server that reads each request's body and answers 200 with a fixed JSON
// body (a real GetFederationToken response captured from connectfed), so the
// `ceiling` scenario measures what the machine, net/http and the load
// generator can do with no authentication, authorization or storage at all.
// It does not verify signatures.
func ceilingServer(args []string) error {
	fs := flag.NewFlagSet("ceiling-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	bodyFile := fs.String("body", "", "file holding the response body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	size := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hdr := w.Header()
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Content-Length", size)
		w.WriteHeader(200)
		w.Write(body)
	})
	fmt.Fprintf(os.Stderr, "ceiling-server listening on %s, %d-byte body\n", *listen, len(body))
	return http.ListenAndServe(*listen, h)
}
