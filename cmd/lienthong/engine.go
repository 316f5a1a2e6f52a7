package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/validate"
	"github.com/lienthong/lienthong/validate/fetch"
)

// engineOptions translates the config into the path engine's options.
func engineOptions(cfg *config.Config) validate.Options {
	opts := validate.Options{
		SHA1Until:     cfg.Algorithms.SHA1Until.Time,
		MaxDepth:      cfg.Limits.MaxChainDepth,
		MaxCandidates: cfg.Limits.MaxPathCandidates,
		Domains:       map[string]validate.DomainOptions{},
	}
	for _, d := range cfg.Domains {
		opts.Domains[d.Name] = domainOptions(d)
	}
	return opts
}

func domainOptions(d config.Domain) validate.DomainOptions {
	return validate.DomainOptions{
		Policy: validate.PolicySettings{
			InitialPolicySet:     d.InitialPolicySet,
			ExplicitPolicy:       d.InitialExplicitPolicy,
			PolicyMappingInhibit: d.InitialPolicyMappingInhibit,
			InhibitAnyPolicy:     d.InitialInhibitAnyPolicy,
		},
		ExtKeyUsages: d.ExtendedKeyUsages,
		MinRSABits:   d.MinRSABits,
		AllowMD5:     d.AllowMD5,
		Profile:      validate.Profile(d.Profile),
	}
}

// wallClock is the real clock. Only cmd reads it: every library takes a
// Clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// validation is the validation engine of a running gateway and what must
// be purged on a trust store reload and closed on shutdown.
type validation struct {
	validator *validate.Validator
	checker   *validate.RevocationChecker
	aia       *validate.AIASource
	fetcher   *fetch.HTTPFetcher
}

// purge drops the revocation answers and fetched intermediates: they were
// gathered for chains of the old trust store.
func (v *validation) purge() {
	v.checker.Purge()
	v.aia.Purge()
}

// close stops background refreshes and fetches in flight.
func (v *validation) close() {
	v.checker.Close()
	v.aia.Close()
	v.fetcher.CloseIdleConnections()
}

// fetchOptions translates fetch.* into the upstream fetcher's options.
// max_redirects 0 follows none (the fetcher reads 0 as its default).
func fetchOptions(cfg *config.Config) fetch.Options {
	f := cfg.Fetch
	return fetch.Options{
		Timeout:              f.Timeout.Duration,
		AllowPrivateNetworks: f.AllowPrivateNetworks,
		AllowHosts:           f.AllowHosts,
		MaxRedirects:         f.MaxRedirects,
		NoRedirects:          f.MaxRedirects == 0,
		PerHostConcurrency:   f.PerHostConcurrency,
		MaxOCSPBytes:         f.MaxOCSPBytes,
		MaxCRLBytes:          f.MaxCRLBytes,
	}
}

// revocationOptions translates revocation.* into the checker's options.
func revocationOptions(cfg *config.Config) validate.RevocationOptions {
	r := cfg.Revocation
	return validate.RevocationOptions{
		Prefer:          r.Prefer,
		URLRewrites:     r.URLRewrites,
		ClockSkew:       r.ClockSkew.Duration,
		CacheMaxEntries: r.CacheMaxEntries,
		MaxCacheTTL:     r.MaxCacheTTL.Duration,
		DefaultTTL:      r.DefaultTTL.Duration,
		SHA1Until:       cfg.Algorithms.SHA1Until.Time,
	}
}

// newValidation builds the upstream fetcher, the AIA issuer source, the
// path engine, the revocation checker and the validator for cfg, with
// their metrics on reg and the real clock.
func newValidation(cfg *config.Config, reg prometheus.Registerer, log *slog.Logger) (*validation, error) {
	v := &validation{}
	var err error
	if v.fetcher, err = fetch.New(fetchOptions(cfg), fetch.Deps{Registerer: reg, Logger: log, Now: time.Now}); err != nil {
		return nil, fmt.Errorf("upstream fetcher: %w", err)
	}
	clk := wallClock{}
	if v.aia, err = validate.NewAIASource(validate.AIAOptions{
		URLRewrites: cfg.Revocation.URLRewrites,
		MaxEntries:  cfg.Fetch.AIACacheEntries,
	}, validate.AIADeps{Fetcher: v.fetcher, Clock: clk, Logger: log}); err != nil {
		return nil, err
	}
	engine, err := validate.NewEngine(engineOptions(cfg), validate.Deps{Issuers: v.aia})
	if err != nil {
		v.aia.Close()
		return nil, err
	}
	if v.checker, err = validate.NewRevocationChecker(revocationOptions(cfg), validate.RevocationDeps{
		Fetcher: v.fetcher, Clock: clk, Registerer: reg, Logger: log,
	}); err != nil {
		v.aia.Close()
		return nil, err
	}
	if v.validator, err = validate.NewValidator(engine, validate.ValidatorOptions{
		Revocation: validate.RevocationMode(cfg.Revocation.Mode),
		Checker:    v.checker,
	}); err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}
