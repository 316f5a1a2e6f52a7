package crl

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"strings"

	"github.com/lienthong/lienthong/trust"
)

// Selection of the key that signed a CRL (RFC 5280 §6.3.3 (f), (g)).

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// canSignCRLs reports whether c may sign CRLs as far as its key usage
// extension goes: "If a key usage extension is present in the CRL issuer's
// certificate, verify that the cRLSign bit is set" (§6.3.3 (f)).
func canSignCRLs(c *x509.Certificate) bool {
	for _, ext := range c.Extensions {
		if ext.Id.Equal(oidExtKeyUsage) {
			return c.KeyUsage&x509.KeyUsageCRLSign != 0
		}
	}
	return true
}

// subjectKey returns the RFC 5280 §7.1 key of c's subject, cached for the
// Determine call.
func (d *determiner) subjectKey(c *x509.Certificate) string {
	k, ok := d.keys[c]
	if !ok {
		var err error
		if k, err = trust.CanonicalName(c.RawSubject); err != nil {
			k = "\x00unparsable:" + string(c.RawSubject)
		}
		d.keys[c] = k
	}
	return k
}

// issuerSigned checks whether the path issuer signed c: its subject is the
// CRL issuer, it has cRLSign if it has a key usage, and the signature
// verifies. It returns "" when it did, or why not.
func (d *determiner) issuerSigned(c *CRL) string {
	iss := d.ch.Issuer
	if d.subjectKey(iss) != c.issuerKey {
		return "not issued by the certificate's issuer in the path"
	}
	if !canSignCRLs(iss) {
		return "the issuer's key usage lacks cRLSign"
	}
	if err := c.CheckSignatureFrom(iss); err != nil {
		return "signature does not verify with the issuer's key (" + err.Error() + ")"
	}
	return ""
}

// signer returns the certificate whose key signed c and is accepted as the
// CRL issuer, or nil and why not ("" when the other pass handles c).
// Pass 0 considers only the path issuer; pass 1 only CandidateSigners, for
// CRLs the path issuer did not sign.
func (d *determiner) signer(c *CRL, pass int) (*x509.Certificate, string) {
	whyIssuer := d.issuerSigned(c)
	if pass == 0 {
		if whyIssuer == "" {
			return d.ch.Issuer, ""
		}
		return nil, ""
	}
	if whyIssuer == "" {
		return nil, "" // handled in pass 0
	}
	var why []string
	if d.subjectKey(d.ch.Issuer) == c.issuerKey {
		why = append(why, whyIssuer)
	}
	for _, cand := range d.ch.CandidateSigners {
		if cand == nil || cand == d.ch.Issuer || bytes.Equal(cand.Raw, d.ch.Issuer.Raw) ||
			d.subjectKey(cand) != c.issuerKey {
			continue
		}
		if !canSignCRLs(cand) {
			why = append(why, "candidate signer serial "+cand.SerialNumber.String()+" lacks cRLSign")
			continue
		}
		if c.CheckSignatureFrom(cand) != nil {
			continue
		}
		if bytes.Equal(cand.Raw, d.ch.Cert.Raw) {
			d.note("CRL signed by the certificate being checked (a CRL issuer covered by its own CRL); its path is the one being validated")
			return cand, ""
		}
		err, done := d.verified[cand]
		if !done {
			err = errNoVerifier
			if d.ch.VerifyCRLIssuer != nil {
				err = d.ch.VerifyCRLIssuer(cand)
			}
			d.verified[cand] = err
		}
		if err != nil {
			why = append(why, "CRL signer serial "+cand.SerialNumber.String()+" not validated: "+err.Error())
			continue
		}
		return cand, ""
	}
	if len(why) == 0 {
		why = append(why, "no certificate with a key that verifies the signature is named like the CRL issuer")
	}
	return nil, strings.Join(why, "; ")
}

type verifierError string

func (e verifierError) Error() string { return string(e) }

const errNoVerifier = verifierError("no VerifyCRLIssuer callback to validate a CRL signer outside the path")
