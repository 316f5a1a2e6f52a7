package main

import (
	"fmt"
	"io"
	"os"

	"github.com/lienthong/lienthong/trust"
)

const importSynopsis = "lienthong trust import [--trust-dir DIR] FILE..."

// cmdTrustImport stores into the trust folder the pinned roots found in the
// files (PEM, DER, PKCS#7) and the CA certificates that chain to one, and
// lists what it refused (a missing or unreadable file is a refusal, not a
// crash). Exit status: 0 when this import kept a root, or kept any
// certificate into a folder that already held a root; 1 otherwise; 3 bad
// usage.
func cmdTrustImport(args []string, h host) int {
	fs := newFlagSet(h, "trust import", importSynopsis)
	dir := fs.String("trust-dir", "", "trust folder `DIR`")
	files, code, ok := parseFlags(fs, args, -1)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(h.Stderr, "trust import: no FILE given")
		fs.Usage()
		return exitUsage
	}
	f, ok := folder(h, *dir)
	if !ok {
		return exitUsage
	}
	before, err := f.Read()
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: reading the trust folder %s: %v\n", f.Dir, err)
		return exitFailure
	}
	var inputs []trust.Input
	var unreadable []trust.Refusal
	for _, name := range files {
		data, err := readBounded(name, trust.MaxBundleBytes)
		if err != nil {
			unreadable = append(unreadable, trust.Refusal{Source: name, Reason: err.Error()})
			continue
		}
		inputs = append(inputs, trust.Input{Name: name, Data: data})
	}
	res, err := f.Import(inputs)
	if res == nil {
		res = &trust.ImportResult{}
	}
	res.Refused = append(unreadable, res.Refused...)
	printResult(h.Stdout, f.Dir, res)
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: storing into the trust folder %s: %v\n", f.Dir, err)
		return exitFailure
	}
	// DESIGN.md: exit 0 when at least one root was kept, 1 otherwise (also
	// when only sub-CAs were added to a folder that already had roots: they
	// are stored, and the listing above says so).
	if len(res.Roots) > 0 {
		return exitOK
	}
	switch {
	case len(before.Roots) == 0:
		fmt.Fprintln(h.Stderr, "lienthong: no pinned official root was imported; the trust folder still holds none.")
	case len(res.Intermediates) > 0:
		fmt.Fprintln(h.Stderr, "lienthong: no pinned root in these files (the sub-CAs listed above were stored).")
	default:
		fmt.Fprintln(h.Stderr, "lienthong: nothing was imported.")
	}
	return exitFailure
}

// readBounded reads a whole file of at most max bytes.
func readBounded(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("is a directory")
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}
