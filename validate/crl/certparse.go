package crl

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// placeholderOID replaces the CRL distribution points OID (2.5.29.31,
// DER 55 1d 1f) while crypto/x509 parses a certificate it would refuse.
// It has the same encoded length, so no length in the DER changes.
var (
	placeholderOIDDER = []byte{0x2a, 0x03, 0x04} // 1.2.3.4
	placeholderOID    = asn1.ObjectIdentifier{1, 2, 3, 4}
	crldpOIDDER       = []byte{0x55, 0x1d, 0x1f}
)

// ParseCertificate parses a DER certificate with x509.ParseCertificate and,
// when crypto/x509 refuses its CRL distribution points extension, parses
// it anyway. crypto/x509 only reads fullName URIs and fails on
// distribution points named by nameRelativeToCRLIssuer (RFC 5280
// §4.2.1.13), which NIST PKITS 4.14.4-4.14.6 and 4.14.29 use.
//
// The fallback parses a copy in which that extension's OID is hidden, then
// restores the original DER (Raw, RawTBSCertificate: the signature is
// over the original bytes) and the extension in Extensions, where
// DistributionPoints and Determine read it. CRLDistributionPoints gets the
// fullName URIs. Any other parse error is returned unchanged.
func ParseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err == nil || !strings.Contains(err.Error(), "CRL distribution point") {
		return c, err
	}
	off, tbs, ok := crldpOIDOffset(der)
	if !ok {
		return nil, err
	}
	patched := slices.Clone(der)
	copy(patched[off:], placeholderOIDDER)
	c, err2 := x509.ParseCertificate(patched)
	if err2 != nil {
		return nil, err
	}
	c.Raw = der
	c.RawTBSCertificate = tbs
	c.UnhandledCriticalExtensions = slices.DeleteFunc(c.UnhandledCriticalExtensions, placeholderOID.Equal)
	for i := range c.Extensions {
		if c.Extensions[i].Id.Equal(placeholderOID) {
			c.Extensions[i].Id = asn1.ObjectIdentifier{2, 5, 29, 31}
		}
	}
	dps, derr := DistributionPoints(c)
	if derr != nil {
		return nil, fmt.Errorf("%w (and %v)", err, derr)
	}
	for _, dp := range dps {
		c.CRLDistributionPoints = append(c.CRLDistributionPoints, dp.URIs()...)
	}
	return c, nil
}

// crldpOIDOffset finds the CRL distribution points extension's OID in a
// certificate and returns its offset in der and the TBSCertificate DER.
func crldpOIDOffset(der []byte) (int, []byte, bool) {
	in := cryptobyte.String(der)
	var cert, tbsFull, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1Element(&tbsFull, cbasn1.SEQUENCE) {
		return 0, nil, false
	}
	tbsCopy := tbsFull
	if !tbsCopy.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return 0, nil, false
	}
	var exts cryptobyte.String
	for !tbs.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !tbs.ReadAnyASN1(&el, &tag) {
			return 0, nil, false
		}
		if tag == cbasn1.Tag(3).Constructed().ContextSpecific() {
			if !el.ReadASN1(&exts, cbasn1.SEQUENCE) {
				return 0, nil, false
			}
		}
	}
	for !exts.Empty() {
		var ext, oid cryptobyte.String
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
			return 0, nil, false
		}
		if string(oid) == string(crldpOIDDER) {
			return cap(der) - cap(oid), tbsFull, true
		}
	}
	return 0, nil, false
}
