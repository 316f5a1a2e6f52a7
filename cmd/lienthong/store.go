package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/trust"
)

// startupFetchBudget bounds serve's start-up download of the official roots
// as a whole, so an address that swallows packets cannot hold start-up for
// every pin in turn.
const startupFetchBudget = 60 * time.Second

// configLoader builds the combined trust store from the config's domains:
// anchors, intermediates and cross-certificates read again on every call
// (the paths are absolute: config.Load resolved them), so a reload picks up
// changed files.
func configLoader(cfg *config.Config) trust.Loader {
	return func() (*trust.Store, error) {
		specs := make([]trust.DomainSpec, 0, len(cfg.Domains))
		for _, d := range cfg.Domains {
			h, err := trust.ParseHierarchy(d.Hierarchy)
			if err != nil {
				return nil, fmt.Errorf("domain %s: %w", d.Name, err)
			}
			anchors, err := trust.LoadFiles(d.Anchors)
			if err != nil {
				return nil, fmt.Errorf("domain %s anchors: %w", d.Name, err)
			}
			inter, err := trust.LoadFiles(d.Intermediates)
			if err != nil {
				return nil, fmt.Errorf("domain %s intermediates: %w", d.Name, err)
			}
			specs = append(specs, trust.DomainSpec{Name: d.Name, Hierarchy: h, Anchors: anchors,
				Intermediates: inter, Policies: d.Policies})
		}
		cross, err := trust.LoadFiles(cfg.CrossCertificates)
		if err != nil {
			return nil, fmt.Errorf("cross_certificates: %w", err)
		}
		return trust.New(specs, cross)
	}
}

// folderLoader builds the built-in default store from the trust folder:
// domains "public" and "government" of the pinned roots present, with the
// intermediates that chain to them. Files the folder holds but that do not
// verify are logged and left out.
func folderLoader(f trust.Folder, log *slog.Logger) trust.Loader {
	return func() (*trust.Store, error) {
		st, err := f.Read()
		if err != nil {
			return nil, fmt.Errorf("reading the trust folder %s: %w", f.Dir, err)
		}
		for _, r := range st.Ignored {
			log.Warn("trust folder entry ignored", "entry", r.String())
		}
		specs := st.DomainSpecs(f.Pins)
		if len(specs) == 0 {
			return nil, fmt.Errorf("the trust folder %s holds no pinned official root", f.Dir)
		}
		return trust.New(specs, nil)
	}
}

// ensureRoots makes sure the trust folder holds at least one pinned root,
// downloading them (as `trust fetch` does) when it holds none. It returns
// the download's refusals when that did not help, and an error only for a
// local failure.
func ensureRoots(ctx context.Context, f trust.Folder, client *http.Client, log *slog.Logger) (ok bool, refused []trust.Refusal, err error) {
	st, err := f.Read()
	if err != nil {
		return false, nil, fmt.Errorf("reading the trust folder %s: %w", f.Dir, err)
	}
	if len(st.Roots) > 0 {
		return true, nil, nil
	}
	log.Info("trust folder holds no pinned root; downloading the official roots", "trust_dir", f.Dir)
	fctx, cancel := context.WithTimeout(ctx, startupFetchBudget)
	defer cancel()
	res, err := f.Fetch(fctx, client)
	if err != nil {
		return false, nil, fmt.Errorf("storing into the trust folder %s: %w", f.Dir, err)
	}
	for _, k := range res.Roots {
		log.Info("official root downloaded", "pin", k.Name, "sha256", k.SHA256, "from", k.Source)
	}
	return len(res.Roots) > 0, res.Refused, nil
}

// noRootMessage tells the operator of an offline machine what to do.
func noRootMessage(dir string, refused []trust.Refusal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lienthong: no official root could be downloaded into the trust folder %s", dir)
	if len(refused) > 0 {
		b.WriteString(":\n")
		for i, r := range refused {
			if i == 5 {
				fmt.Fprintf(&b, "  ... and %d more\n", len(refused)-i)
				break
			}
			fmt.Fprintf(&b, "  %s\n", refusalLine(r))
		}
	} else {
		b.WriteString(".\n")
	}
	fmt.Fprintf(&b, "On a machine without access to rootca.gov.vn and ca.gov.vn, copy the root certificates\n"+
		"here and run `lienthong trust import FILE...` (with the same --trust-dir %s),\n"+
		"or run with `--config FILE` and your own trust domains.\n", dir)
	return b.String()
}
