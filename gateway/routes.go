package gateway

import "github.com/labstack/echo/v4"

// registerRoutes is the whole HTTP surface of DESIGN.md ("HTTP API"). metrics
// is api itself when /metrics is served on the API listener.
func (s *Server) registerRoutes(api, metrics *echo.Echo) {
	api.GET("/healthz", s.healthz)       // liveness: 200 {"status":"ok"} while the process serves
	api.GET("/readyz", s.readyz)         // readiness: 503 before Run serves and once shutdown begins
	api.GET("/v1/trust", s.trustStore)   // the combined trust store: digest and anchors
	api.POST("/v1/validate", s.validate) // the one validate endpoint (501 until a validator is wired)
	metrics.GET("/metrics", s.serveMetrics())
}
