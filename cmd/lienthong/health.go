package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// cmdHealth GETs a health URL and exits 0 on a 2xx answer, 1 otherwise. It
// is the container's HEALTHCHECK: the image has no curl.
func cmdHealth(ctx context.Context, args []string, h host) int {
	fs := newFlagSet(h, "health", "lienthong health [--url URL] [--timeout DURATION]")
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "`URL` to GET")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after `DURATION`")
	if _, code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong health: %v\n", err)
		return exitUsage
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong health: unhealthy: %v\n", err)
		return exitFailure
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(h.Stderr, "lienthong health: unhealthy: %s answered %s\n", *url, resp.Status)
		return exitFailure
	}
	fmt.Fprintf(h.Stdout, "healthy: %s\n", resp.Status)
	return exitOK
}
