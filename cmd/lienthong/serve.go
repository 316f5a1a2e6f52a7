package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/gateway"
	"github.com/lienthong/lienthong/trust"
)

const serveSynopsis = "lienthong serve [--config FILE] [--listen ADDR] [--metrics-listen ADDR] [--trust-dir DIR]"

// cmdServe runs the gateway until ctx is done (SIGINT, SIGTERM). A reload
// request (SIGHUP) rebuilds the trust store; if that fails the old store
// keeps serving. Logs are JSON on stderr. Exit status: 0 after a clean
// shutdown, 1 if serving failed, 2 if it could not start, 3 bad usage.
func cmdServe(ctx context.Context, args []string, h host) int {
	fs := newFlagSet(h, "serve", serveSynopsis)
	cfgPath := fs.String("config", "", "config `FILE` (YAML); without it, the built-in default trust")
	listen := fs.String("listen", "", "API address `ADDR` (host:port), overrides the config's listen")
	metricsListen := fs.String("metrics-listen", "", "/metrics address `ADDR`, overrides metrics_listen; \"\" serves /metrics on the API listener")
	dir := fs.String("trust-dir", "", "trust folder `DIR` of the built-in default")
	if _, code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	log := slog.New(slog.NewJSONHandler(h.Stderr, nil))

	var cfg *config.Config
	var load trust.Loader
	if *cfgPath != "" {
		var err error
		if cfg, err = config.Load(*cfgPath); err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
			return exitStartup
		}
		if *dir != "" {
			log.Warn("--trust-dir is ignored with --config: the config names the trust files")
		}
		load = configLoader(cfg)
	} else {
		cfg = config.Default()
		f, ok := folder(h, *dir)
		if !ok {
			return exitUsage
		}
		found, refused, err := ensureRoots(ctx, f, h.Client, log)
		if err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
			return exitStartup
		}
		if !found {
			fmt.Fprint(h.Stderr, noRootMessage(f.Dir, refused))
			return exitStartup
		}
		load = folderLoader(f, log)
	}
	if flagSet(fs, "listen") {
		cfg.Listen = *listen
	}
	if flagSet(fs, "metrics-listen") {
		cfg.MetricsListen = *metricsListen
	}
	if *cfgPath != "" {
		if err := cfg.Validate(); err != nil { // the overrides may be bad
			fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
			return exitStartup
		}
	}

	srv, holder, closeServer, err := buildServer(cfg, load, log)
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
		return exitStartup
	}
	defer closeServer()
	if err := srv.Listen(); err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
		return exitStartup
	}
	store := holder.Current()
	log.Info("lienthong listening", "version", version, "api", srv.Addr().String(), "metrics", srv.MetricsAddr().String(),
		"trust_store", store.Digest(), "domains", len(store.Domains()), "certificates", store.Len())
	if h.Listening != nil {
		h.Listening(srv.Addr(), srv.MetricsAddr())
	}
	stop := watchReloads(ctx, h, holder, log)
	defer stop()
	if err := srv.Run(ctx); err != nil {
		log.Error("gateway failed", "error", err)
		return exitFailure
	}
	return exitOK
}

// buildServer wires the trust holder, the validation engine (upstream
// fetcher, AIA source, revocation checker) and the gateway on a fresh
// registry. A trust store swap purges the revocation and AIA caches;
// closeServer stops their background work, after the gateway has stopped.
func buildServer(cfg *config.Config, load trust.Loader, log *slog.Logger) (srv *gateway.Server, holder *trust.Holder, closeServer func(), err error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, nil, nil, fmt.Errorf("registering runtime metrics: %w", err)
		}
	}
	holder, err = trust.NewHolder(load, trust.HolderDeps{Registerer: reg, Logger: log})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("trust store: %w", err)
	}
	val, err := newValidation(cfg, reg, log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("validation engine: %w", err)
	}
	holder.OnSwap(func(_, _ *trust.Store) { val.purge() })
	srv, err = gateway.New(gateway.Options{
		Listen:        cfg.Listen,
		MetricsListen: cfg.MetricsListen,
		MaxBodyBytes:  cfg.Limits.MaxBodyBytes,
		RequestBudget: cfg.Limits.RequestBudget.Duration,
	}, gateway.Deps{Trust: holder, Registerer: reg, Gatherer: reg, Logger: log, Clock: wallClock{}, Validator: gateway.EngineValidator{V: val.validator}})
	if err != nil {
		val.close()
		return nil, nil, nil, err
	}
	return srv, holder, val.close, nil
}

// watchReloads reloads the trust store on every request from h.Reload
// (SIGHUP) until ctx is done or the returned stop is called. Holder.Reload
// logs and counts a failure and keeps the old store.
func watchReloads(ctx context.Context, h host, holder *trust.Holder, log *slog.Logger) (stop func()) {
	if h.Reload == nil {
		return func() {}
	}
	sig, unsubscribe := h.Reload()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sig:
				log.Info("reloading the trust store", "signal", s.String())
				if err := holder.Reload(); err == nil {
					log.Info("trust store in service", "trust_store", holder.Current().Digest())
				}
			}
		}
	}()
	return func() {
		cancel()
		unsubscribe()
		<-done
	}
}
