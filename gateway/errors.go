package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"

	"github.com/labstack/echo/v4"
)

// Error is an error the gateway answers with its own status and code: the
// body is {"error":{"code":Code,"message":Message}}. Err, when set, is logged
// and never sent. A validator may return an *Error (wrapped or not) for a
// problem of the caller's request; any other error is a 500 internal_error
// whose detail goes only to the logs.
type Error struct {
	Status  int    // HTTP status, 4xx or 5xx
	Code    string // stable snake_case code, e.g. "malformed_document"
	Message string // for people; may change
	Err     error  // cause, for the logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// errorBody is the one error shape of DESIGN.md.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusCode names the statuses echo and net/http produce on their own; ""
// for the others, which become 500 internal_error.
func statusCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestTimeout:
		return "request_timeout"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusNotImplemented:
		return "not_implemented"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusGatewayTimeout:
		return "timeout"
	}
	return ""
}

// classify maps any error to the answer the caller gets. errors.As (not a
// type assertion, as echo's default handler does) finds wrapped errors.
func (s *Server) classify(err error) *Error {
	var ge *Error
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ge):
		if ge.Status < 400 || ge.Status > 599 || ge.Code == "" {
			return &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error", Err: err}
		}
		return ge
	case errors.As(err, &mbe):
		return errBodyTooLarge(mbe.Limit)
	case errors.As(err, &he):
		code := statusCode(he.Code)
		if code == "" {
			return &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error", Err: err}
		}
		msg := http.StatusText(he.Code)
		if m, isString := he.Message.(string); isString && m != "" && he.Code < 500 {
			msg = m
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			return errBodyTooLarge(s.opts.MaxBodyBytes)
		}
		return &Error{Status: he.Code, Code: code, Message: msg, Err: he.Internal}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "the request took longer than its time budget", Err: err}
	case errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Code: "canceled", Message: "the request was canceled", Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error", Err: err}
}

func errBodyTooLarge(limit int64) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
}

// handleError is the e.HTTPErrorHandler of both echo instances: every error
// becomes {"error":{"code","message"}}. 5xx detail is logged, never sent.
func (s *Server) handleError(err error, c echo.Context) {
	ge := s.classify(err)
	req := c.Request()
	attrs := []any{"method", req.Method, "path", req.URL.Path, "status", ge.Status, "code", ge.Code, "error", err}
	switch {
	case ge.Status >= 500 && ge.Code != "not_implemented":
		s.log.Error("request failed", attrs...)
	default:
		s.log.Debug("request refused", attrs...)
	}
	if c.Response().Committed {
		return
	}
	var werr error
	if req.Method == http.MethodHead {
		werr = c.NoContent(ge.Status)
	} else {
		werr = c.JSON(ge.Status, errorBody{errorDetail{Code: ge.Code, Message: ge.Message}})
	}
	if werr != nil {
		s.log.Debug("writing error answer", "error", werr)
	}
}

// bodyLimit refuses bodies over limit with 413: at once when Content-Length
// says so, else when the handler reads past it (http.MaxBytesReader's
// *http.MaxBytesError, which classify maps to body_too_large). Unlike echo's
// BodyLimit it takes a byte count and cannot panic on a bad size string.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return errBodyTooLarge(limit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			}
			return next(c)
		}
	}
}

// recoverPanic turns a panic in a handler into a logged 500 internal_error,
// as echo's middleware.Recover does. (echo's middleware package is not used:
// it pulls golang.org/x/time into the build for its rate limiter.)
// http.ErrAbortHandler is re-raised: net/http uses it to abort a response.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			stack := make([]byte, 8<<10)
			stack = stack[:runtime.Stack(stack, false)]
			s.log.Error("panic in handler", "method", c.Request().Method, "path", c.Request().URL.Path,
				"panic", fmt.Sprint(r), "stack", string(stack))
			err = &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "internal error",
				Err: fmt.Errorf("panic: %v", r)}
		}()
		return next(c)
	}
}
