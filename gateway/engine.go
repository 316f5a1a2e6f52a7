package gateway

import (
	"context"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// EngineValidator answers POST /v1/validate with lienthong's own
// validation engine (package validate).
type EngineValidator struct {
	V *validate.Validator
}

var _ CertificateValidator = EngineValidator{}

// ValidateCertificate validates a certificate alone and reports it as one
// entry with ID "certificate".
func (e EngineValidator) ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) (Outcome, error) {
	rep := e.V.ValidateCertificate(ctx, store, validate.CertificateRequest{
		Certificate:   req.Certificate,
		Intermediates: req.Intermediates,
		Time:          req.ValidationTime,
		Purpose:       validate.Purpose(req.Purpose),
	})
	out := Outcome{Report: rep, Indication: string(rep.Indication)}
	if len(rep.Signatures) > 0 {
		out.Domain = rep.Signatures[0].Domain
	}
	return out, nil
}
