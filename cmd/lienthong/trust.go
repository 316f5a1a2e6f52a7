package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/trust"
)

const trustSynopsis = "lienthong trust [--config FILE] [--trust-dir DIR]"

// cmdTrust lists the trust store. With --config: every certificate of the
// combined store (anchors, intermediates, cross-certificates) with domain,
// hierarchy, role, subject, SHA-256 and validity; exit 2 if the config or a
// file it names is bad. Without: the pinned official roots, each present or
// missing in the trust folder, and the intermediates found there.
func cmdTrust(args []string, h host) int {
	fs := newFlagSet(h, "trust", trustSynopsis+"\n       lienthong trust fetch|import ...")
	cfgPath := fs.String("config", "", "config `FILE` (YAML): list its combined trust store")
	dir := fs.String("trust-dir", "", "trust folder `DIR` of the built-in default")
	if _, code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
			return exitStartup
		}
		store, err := configLoader(cfg)()
		if err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: trust store: %v\n", err)
			return exitStartup
		}
		printStore(h.Stdout, store)
		return exitOK
	}
	f, ok := folder(h, *dir)
	if !ok {
		return exitUsage
	}
	st, err := f.Read()
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: reading the trust folder %s: %v\n", f.Dir, err)
		return exitFailure
	}
	printPins(h.Stdout, f, st)
	return exitOK
}

func validity(c *x509.Certificate) string {
	return c.NotBefore.UTC().Format("2006-01-02") + " → " + c.NotAfter.UTC().Format("2006-01-02")
}

// printStore writes the combined store as a table, domain by domain, anchors
// before intermediates, then the cross-certificates.
func printStore(w io.Writer, s *trust.Store) {
	fmt.Fprintf(w, "trust store %s: %d domains, %d certificates\n\n", s.Digest(), len(s.Domains()), s.Len())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tHIERARCHY\tROLE\tSUBJECT\tSHA-256\tVALIDITY")
	row := func(domain, hierarchy string, c *trust.Cert) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", domain, hierarchy, c.Role, c.SubjectDN, c.SHA256.Hex(), validity(c.X509))
	}
	for _, d := range s.Domains() {
		for _, c := range d.Anchors {
			row(d.Name, string(d.Hierarchy), c)
		}
		for _, c := range d.Intermediates {
			row(d.Name, string(d.Hierarchy), c)
		}
	}
	for _, c := range s.CrossCertificates() {
		row("-", "-", c)
	}
	tw.Flush()
}

// printPins writes the pins table of the built-in default.
func printPins(w io.Writer, f trust.Folder, st *trust.FolderState) {
	fmt.Fprintf(w, "trust folder %s\n\n", f.Dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PIN\tHIERARCHY\tSUBJECT\tSHA-256\tSTATUS\tVALIDITY")
	present := 0
	for _, p := range f.Pins {
		status, valid := "missing", p.Note
		if c, ok := st.Roots[p.Name]; ok {
			status, valid = "present", validity(c)
			present++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Hierarchy, p.Subject, p.SHA256, status, valid)
	}
	tw.Flush()

	fmt.Fprintf(w, "\n%d of %d pinned roots present.\n", present, len(f.Pins))
	counts := map[trust.Hierarchy]int{}
	for _, sp := range st.DomainSpecs(f.Pins) {
		counts[sp.Hierarchy] += len(sp.Intermediates)
	}
	fmt.Fprintf(w, "intermediates: %d (public %d, government %d)\n",
		len(st.Intermediates), counts[trust.Public], counts[trust.Government])
	for _, r := range st.Ignored {
		fmt.Fprintf(w, "ignored: %s\n", oneLine(r.String()))
	}
	if present == 0 {
		fmt.Fprintln(w, "\nNo official root yet: run `lienthong trust fetch`, or on a machine without access to\n"+
			"rootca.gov.vn and ca.gov.vn, `lienthong trust import FILE...` with the root certificates.")
	}
}
