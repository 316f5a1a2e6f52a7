package validate

import (
	"crypto/x509"
	"fmt"

	"github.com/lienthong/lienthong/trust"
)

// checkProfile enforces, for ProfileStrict, the MUSTs RFC 5280 §4.2 places
// on conforming CAs that §6.1 path validation does not itself check. parent
// is c's issuer in the path (the anchor for the first certificate). The
// anchor is never checked: it is trusted as configured.
//
// One departure is tolerated with a warning instead of a failure:
// keyCertSign asserted in a certificate without basicConstraints cA
// (§4.2.1.9). Such a certificate can never act as an issuer (§6.1.4 (k)
// refuses it), so the slip has no effect on the path, and a real
// Vietnamese end-entity certificate has it (FPT-CA, 2019, issued to the
// General Department of Taxation). The returned warning is empty when there
// is nothing to say.
func checkProfile(c, parent *trust.Cert) (warning string, err error) {
	x := c.X509
	isCA := x.BasicConstraintsValid && x.IsCA
	selfSigned := c.SubjectKey == c.IssuerKey && c.KeyHash == parent.KeyHash
	bad := func(section, format string, args ...any) error {
		return fmt.Errorf("%w (RFC 5280 %s): %s", errProfile, section, fmt.Sprintf(format, args...))
	}
	if !selfSigned && len(x.AuthorityKeyId) == 0 {
		return "", bad("§4.2.1.1", "no authority key identifier")
	}
	if isCA {
		if len(x.SubjectKeyId) == 0 {
			return "", bad("§4.2.1.2", "CA certificate without subject key identifier")
		}
		if critical, _, _ := ext(x, oidExtBasicConstr); !critical {
			return "", bad("§4.2.1.9", "CA certificate whose basicConstraints is not critical")
		}
		if !hasExt(x, oidExtKeyUsage) {
			return "", bad("§4.2.1.3", "CA certificate without keyUsage")
		}
		if len(x.RawSubject) <= 2 { // an empty SEQUENCE
			return "", bad("§4.1.2.6", "CA certificate with an empty subject")
		}
	}
	if x.KeyUsage&x509.KeyUsageCertSign != 0 && !isCA {
		warning = "keyUsage asserts keyCertSign in a certificate that is not a CA certificate (RFC 5280 §4.2.1.9); it cannot issue certificates"
	}
	if (x.MaxPathLen > 0 || x.MaxPathLenZero) && (!isCA || x.KeyUsage&x509.KeyUsageCertSign == 0) {
		return "", bad("§4.2.1.9", "pathLenConstraint without cA and keyCertSign")
	}
	if critical, _, ok := ext(x, oidExtNameConstraints); ok {
		if !isCA {
			return "", bad("§4.2.1.10", "name constraints in an end-entity certificate")
		}
		if !critical {
			return "", bad("§4.2.1.10", "name constraints not marked critical")
		}
	}
	return warning, nil
}
