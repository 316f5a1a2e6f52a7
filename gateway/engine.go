package gateway

import (
	"context"
	"errors"
	"net/http"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// EngineValidator answers POST /v1/validate with lienthong's own
// validation engine (package validate).
type EngineValidator struct {
	V *validate.Validator
}

var _ Validator = EngineValidator{}

// ValidateCertificate validates a certificate alone and reports it as one
// entry with ID "certificate".
func (e EngineValidator) ValidateCertificate(ctx context.Context, store *trust.Store, req CertificateRequest) (Outcome, error) {
	rep := e.V.ValidateCertificate(ctx, store, validate.CertificateRequest{
		Certificate:   req.Certificate,
		Intermediates: req.Intermediates,
		Time:          req.ValidationTime,
		Purpose:       validate.Purpose(req.Purpose),
	})
	return outcome(rep), nil
}

// ValidateDocument validates every signature of doc. A body that is not
// of its format at all (validate.ErrMalformedDocument) is 400
// malformed_document; a well-formed document without a signature is a
// report (TOTAL_FAILED/FORMAT_FAILURE).
func (e EngineValidator) ValidateDocument(ctx context.Context, store *trust.Store, doc validate.Document) (Outcome, error) {
	rep, err := e.V.ValidateDocument(ctx, store, doc)
	if errors.Is(err, validate.ErrMalformedDocument) {
		return Outcome{}, &Error{Status: http.StatusBadRequest, Code: "malformed_document", Message: oneLine(err.Error()), Err: err}
	}
	if err != nil {
		return Outcome{}, err
	}
	return outcome(rep), nil
}

// outcome labels a report for the metrics: its top-level indication and
// the domain of its first signature ("" for none).
func outcome(rep *validate.Report) Outcome {
	out := Outcome{Report: rep, Indication: string(rep.Indication), Format: rep.Format}
	if len(rep.Signatures) > 0 {
		out.Domain = rep.Signatures[0].Domain
	}
	return out
}
