package gateway

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lienthong/lienthong/trust"
)

// TrustResponse is the body of GET /v1/trust (DESIGN.md "Other routes").
type TrustResponse struct {
	// Digest is the store digest, "sha256:<hex>", the same value that
	// reports carry as trust_store.
	Digest string `json:"digest"`
	// Anchors lists the trust anchors, in domain order then store order.
	// Intermediates and cross-certificates are not listed.
	Anchors []TrustAnchor `json:"anchors"`
}

// TrustAnchor is one anchor of TrustResponse. Times are RFC 3339 in UTC.
type TrustAnchor struct {
	Domain    string `json:"domain"`
	Hierarchy string `json:"hierarchy"`
	Subject   string `json:"subject"`
	SHA256    string `json:"sha256"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`
}

// NewTrustResponse describes store. It reads store only, so one call sees
// one consistent store.
func NewTrustResponse(store *trust.Store) TrustResponse {
	out := TrustResponse{Digest: store.Digest(), Anchors: []TrustAnchor{}}
	for _, d := range store.Domains() {
		for _, a := range d.Anchors {
			out.Anchors = append(out.Anchors, TrustAnchor{
				Domain:    d.Name,
				Hierarchy: string(d.Hierarchy),
				Subject:   a.SubjectDN,
				SHA256:    a.SHA256.Hex(),
				NotBefore: a.X509.NotBefore.UTC().Format(time.RFC3339),
				NotAfter:  a.X509.NotAfter.UTC().Format(time.RFC3339),
			})
		}
	}
	return out
}

// trustStore is GET /v1/trust. It reads the Holder once per request.
func (s *Server) trustStore(c echo.Context) error {
	return c.JSON(http.StatusOK, NewTrustResponse(s.deps.Trust.Current()))
}
