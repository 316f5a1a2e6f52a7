package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type statusBody struct {
	Status string `json:"status"`
}

// healthz says the process is alive and serving HTTP; it checks nothing
// else, so that a slow upstream never gets the container restarted.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, statusBody{Status: "ok"})
}

// readyz says whether the gateway takes traffic: 503 unavailable before Run
// serves, after SetReady(false) and from the start of shutdown.
func (s *Server) readyz(c echo.Context) error {
	if !s.Ready() {
		msg := "not ready"
		if s.stopping.Load() {
			msg = "shutting down"
		}
		return &Error{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: msg}
	}
	return c.JSON(http.StatusOK, statusBody{Status: "ready"})
}
