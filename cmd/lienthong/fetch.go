package main

import (
	"context"
	"fmt"
	"io"

	"github.com/lienthong/lienthong/trust"
)

const fetchSynopsis = "lienthong trust fetch [--trust-dir DIR]"

// cmdTrustFetch downloads the pinned official roots into the trust folder,
// keeping only certificates whose SHA-256 matches a pin, and prints what it
// kept and refused. Exit status: 0 when at least one root was kept or the
// folder already holds one, 1 otherwise, 3 bad usage.
func cmdTrustFetch(ctx context.Context, args []string, h host) int {
	fs := newFlagSet(h, "trust fetch", fetchSynopsis)
	dir := fs.String("trust-dir", "", "trust folder `DIR`")
	if _, code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	f, ok := folder(h, *dir)
	if !ok {
		return exitUsage
	}
	res, err := f.Fetch(ctx, h.Client)
	if res != nil {
		printResult(h.Stdout, f.Dir, res)
	}
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: storing into the trust folder %s: %v\n", f.Dir, err)
		return exitFailure
	}
	if len(res.Roots) > 0 {
		return exitOK
	}
	if st, err := f.Read(); err == nil && len(st.Roots) > 0 {
		fmt.Fprintf(h.Stdout, "Nothing downloaded, but the trust folder already holds %d pinned roots.\n", len(st.Roots))
		return exitOK
	}
	fmt.Fprint(h.Stderr, noRootMessage(f.Dir, nil))
	return exitFailure
}

// printResult lists what an import or fetch kept and refused.
func printResult(w io.Writer, dir string, res *trust.ImportResult) {
	fmt.Fprintf(w, "trust folder %s\n", dir)
	fmt.Fprintf(w, "\nKept roots (%d):\n", len(res.Roots))
	for _, k := range res.Roots {
		fmt.Fprintf(w, "  %-16s %s  sha256 %s  from %s\n", k.Name, k.Subject, k.SHA256, k.Source)
	}
	fmt.Fprintf(w, "\nKept intermediates (%d):\n", len(res.Intermediates))
	for _, k := range res.Intermediates {
		fmt.Fprintf(w, "  %s  sha256 %s  from %s\n", k.Subject, k.SHA256, k.Source)
	}
	fmt.Fprintf(w, "\nRefused (%d):\n", len(res.Refused))
	for _, r := range res.Refused {
		fmt.Fprintf(w, "  %s\n", refusalLine(r))
	}
}
