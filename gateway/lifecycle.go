package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Listen binds the API listener and, when Options.MetricsListen is set, the
// metrics listener, so that address errors surface before serving and Addr
// can report a port picked by the system (":0"). Run calls it if the caller
// has not. Calling it twice is an error.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiLn != nil {
		return errors.New("gateway: already listening")
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("gateway: listening on %s: %w", s.opts.Listen, err)
	}
	if s.opts.MetricsListen != "" {
		mln, err := net.Listen("tcp", s.opts.MetricsListen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("gateway: listening for metrics on %s: %w", s.opts.MetricsListen, err)
		}
		s.metsLn = mln
	}
	s.apiLn = ln
	return nil
}

// Addr returns the API listener's address, or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiLn == nil {
		return nil
	}
	return s.apiLn.Addr()
}

// MetricsAddr returns the metrics listener's address: the API address when
// /metrics is served on the API listener, nil before Listen.
func (s *Server) MetricsAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.metsLn != nil:
		return s.metsLn.Addr()
	case s.apiLn != nil:
		return s.apiLn.Addr()
	}
	return nil
}

// Run serves until ctx is done, then marks the server not ready, stops
// accepting connections and waits for requests in flight for at most
// Options.ShutdownGrace before closing what is left. It returns nil after a
// shutdown caused by ctx, and the error otherwise (a listener that fails, or
// a shutdown that ran out of grace). Run may be called once.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	bound, started := s.apiLn != nil, s.started
	s.started = true
	s.mu.Unlock()
	if started {
		return errors.New("gateway: Run called twice")
	}
	if !bound {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	servers := []*http.Server{s.httpServer()}
	echos := []*echo.Echo{s.api}
	s.api.Listener = s.apiLn
	if s.metsLn != nil {
		s.mets.Listener = s.metsLn
		servers = append(servers, s.httpServer())
		echos = append(echos, s.mets)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- echos[i].StartServer(srv) }()
	}
	s.SetReady(true)
	s.log.Info("gateway serving", "listen", s.Addr().String(), "metrics", s.MetricsAddr().String())

	var runErr error
	pending := len(servers)
	select {
	case <-ctx.Done():
	case err := <-errc: // a listener died: shut the other one down too
		pending--
		runErr = fmt.Errorf("gateway: serving: %w", err)
	}
	s.stopping.Store(true)
	s.SetReady(false)
	s.log.Info("gateway shutting down", "grace", s.opts.ShutdownGrace.String())

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownGrace)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
			runErr = errors.Join(runErr, fmt.Errorf("gateway: shutdown: %w", err))
		}
	}
	for range pending {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			runErr = errors.Join(runErr, fmt.Errorf("gateway: serving: %w", err))
		}
	}
	s.log.Info("gateway stopped")
	return runErr
}

// httpServer returns an http.Server with the gateway's timeouts; echo's
// StartServer sets its Handler to the echo instance.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		MaxHeaderBytes:    1 << 20,
	}
}
