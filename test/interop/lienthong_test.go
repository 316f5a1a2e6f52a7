package interop

import (
	"context"
	"testing"
	"time"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

// farFuture accepts SHA-1 at any time of the test: the corpus holds SHA-1
// signatures that the tools accept, and the comparison is about integrity
// and trust, not about the dated algorithm policy.
var farFuture = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// lienthong is the verifier under test: the engine with revocation off, as
// the tools run here check no revocation either (pdfsig -no-ocsp; openssl
// and xmlsec1 are given no CRL).
type lienthong struct {
	v     *validate.Validator
	store *trust.Store
}

func newLienthong(t *testing.T, store *trust.Store) *lienthong {
	t.Helper()
	engine, err := validate.NewEngine(validate.Options{SHA1Until: farFuture}, validate.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.NewValidator(engine, validate.ValidatorOptions{Revocation: validate.RevocationOff})
	if err != nil {
		t.Fatal(err)
	}
	return &lienthong{v: v, store: store}
}

// validate runs lienthong on one document at the given time.
func (l *lienthong) validate(ctx context.Context, in input, at time.Time) (*validate.Report, error) {
	return l.v.ValidateDocument(ctx, l.store, validate.Document{
		Format: in.format, Data: in.data, Signature: in.signature, Time: at,
	})
}
