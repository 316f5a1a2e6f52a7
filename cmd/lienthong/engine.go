package main

import (
	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/validate"
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

// newValidator builds the validation engine for cfg.
func newValidator(cfg *config.Config) (*validate.Validator, error) {
	engine, err := validate.NewEngine(engineOptions(cfg), validate.Deps{})
	if err != nil {
		return nil, err
	}
	return validate.NewValidator(engine, validate.ValidatorOptions{Revocation: validate.RevocationMode(cfg.Revocation.Mode)})
}
