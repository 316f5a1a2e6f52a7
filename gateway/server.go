// Package gateway is lienthong's HTTP front: the echo server that answers
// the routes of DESIGN.md ("HTTP API"), maps every error to the one error
// shape {"error":{"code","message"}}, bounds request bodies, exports the
// gateway's Prometheus metrics and runs the listeners with their own
// timeouts and a graceful shutdown.
//
// The gateway does not validate anything itself: POST /v1/validate hands a
// decoded request (a certificate alone, or a PDF, XML, CMS or raw signed
// document) to a Validator (the validation engine, wired in by cmd), and every request reads the trust store once from a trust.Holder so
// that a reload never mixes two stores inside one answer.
package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/trust"
)

// Defaults applied by New to the zero values of Options.
const (
	DefaultMaxBodyBytes      = 32 << 20
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownGrace     = 15 * time.Second
	// DefaultWriteSlack is added to RequestBudget to make the default
	// WriteTimeout: the answer must still be writable once the budget is spent.
	DefaultWriteSlack = 30 * time.Second
)

// Options are the gateway's settings. Listen is required; a zero duration or
// MaxBodyBytes means its default, and an empty MetricsListen means /metrics
// on the API listener.
type Options struct {
	// Listen is the API address, host:port ("127.0.0.1:0" picks a port).
	// Required.
	Listen string
	// MetricsListen is the address of the /metrics listener; "" serves
	// /metrics on the API listener instead.
	MetricsListen string
	// MaxBodyBytes caps request bodies; larger is 413 body_too_large.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequestBudget is the deadline put on the context handed to the
	// validator; 0 means no deadline beyond the client's.
	RequestBudget time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// http.Server timeouts (echo sets none). Zero means the Default*
	// constants; WriteTimeout defaults to RequestBudget + DefaultWriteSlack.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownGrace bounds the graceful shutdown once Run's context is done;
	// connections still open after it are closed. 0 means
	// DefaultShutdownGrace.
	ShutdownGrace time.Duration
}

// Clock gives the current time; it decides the default validation time and
// the "in the future" check. Tests pass a fixed clock.
type Clock interface {
	Now() time.Time
}

// Deps are the gateway's collaborators.
type Deps struct {
	// Trust serves the current trust store. Required.
	Trust *trust.Holder
	// Registerer receives the gateway's metrics. Required: the gateway never
	// uses the default Prometheus registry.
	Registerer prometheus.Registerer
	// Gatherer is what GET /metrics exposes. Required.
	Gatherer prometheus.Gatherer
	// Logger receives request errors and lifecycle events; nil discards.
	Logger *slog.Logger
	// Validator answers POST /v1/validate; nil makes that route answer 501
	// not_implemented.
	Validator Validator
	// Clock is the time source (default validation time, durations);
	// required: only cmd picks the real clock.
	Clock Clock
}

// Server is the gateway: an API echo instance and, when MetricsListen is
// set, a second one for /metrics. Build it with New; the zero value is not
// usable. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	deps    Deps
	log     *slog.Logger
	clock   Clock
	api     *echo.Echo
	mets    *echo.Echo // == api when MetricsListen is ""
	metrics *metrics
	routes  map[string]bool // registered route paths, the only route labels

	ready    atomic.Bool
	stopping atomic.Bool

	mu      sync.Mutex // guards the listeners below
	apiLn   net.Listener
	metsLn  net.Listener
	started bool
}

// New checks opts and deps, applies the defaults, registers the gateway's
// metrics with deps.Registerer and builds the routes. It does not listen:
// call Listen or Run. The server starts not ready (GET /readyz is 503) until
// Run is serving or SetReady(true) is called.
func New(opts Options, deps Deps) (*Server, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	switch {
	case deps.Trust == nil:
		return nil, errors.New("gateway: Deps.Trust is required")
	case deps.Clock == nil:
		return nil, errors.New("gateway: Deps.Clock is required")
	case deps.Registerer == nil || deps.Gatherer == nil:
		return nil, errors.New("gateway: Deps.Registerer and Deps.Gatherer are required (the default registry is never used)")
	}
	s := &Server{opts: opts.withDefaults(), deps: deps, log: deps.Logger, clock: deps.Clock, routes: map[string]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.api = s.newEcho()
	s.mets = s.api
	if s.opts.MetricsListen != "" {
		s.mets = s.newEcho()
	}
	s.registerRoutes(s.api, s.mets)
	for _, r := range s.api.Routes() {
		s.routes[r.Path] = true
	}
	m, err := newMetrics(deps.Registerer, s.routeLabels(), deps.Trust)
	if err != nil {
		return nil, fmt.Errorf("gateway: registering metrics: %w", err)
	}
	s.metrics = m
	s.api.Use(s.observe) // outermost: sees the final status, panics included
	s.api.Use(s.recoverPanic)
	s.api.Use(bodyLimit(s.opts.MaxBodyBytes))
	if s.mets != s.api {
		s.mets.Use(s.recoverPanic)
	}
	return s, nil
}

func (o Options) check() error {
	if o.Listen == "" {
		return errors.New("gateway: Options.Listen is required")
	}
	if o.MaxBodyBytes < 0 {
		return fmt.Errorf("gateway: MaxBodyBytes %d must not be negative", o.MaxBodyBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"RequestBudget", o.RequestBudget}, {"ReadHeaderTimeout", o.ReadHeaderTimeout},
		{"ReadTimeout", o.ReadTimeout}, {"WriteTimeout", o.WriteTimeout},
		{"IdleTimeout", o.IdleTimeout}, {"ShutdownGrace", o.ShutdownGrace},
	} {
		if d.v < 0 {
			return fmt.Errorf("gateway: %s %s must not be negative", d.name, d.v)
		}
	}
	if o.WriteTimeout > 0 && o.RequestBudget > 0 && o.WriteTimeout <= o.RequestBudget {
		return fmt.Errorf("gateway: WriteTimeout %s must exceed RequestBudget %s", o.WriteTimeout, o.RequestBudget)
	}
	return nil
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.WriteTimeout, o.RequestBudget+DefaultWriteSlack)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.ShutdownGrace, DefaultShutdownGrace)
	return o
}

// newEcho returns an echo instance with no banner, the gateway's error
// handler, and echo's own loggers sent to the slog logger.
func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Logger.SetOutput(slogWriter{s.log})
	e.StdLogger = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	return e
}

// Handler returns the API router, for tests (e.ServeHTTP) and for callers
// that run their own http.Server.
func (s *Server) Handler() http.Handler { return s.api }

// MetricsHandler returns the router that serves GET /metrics: the API router
// itself when Options.MetricsListen is "".
func (s *Server) MetricsHandler() http.Handler { return s.mets }

// SetReady sets what GET /readyz answers. Once Run has begun shutting down,
// the server stays not ready whatever SetReady says.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Ready reports whether GET /readyz currently answers 200.
func (s *Server) Ready() bool { return s.ready.Load() && !s.stopping.Load() }

// slogWriter turns echo's own log lines (gommon logger) into slog records.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("echo", "line", string(p))
	return len(p), nil
}
