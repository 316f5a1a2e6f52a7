package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"
)

// signedAttrs is what a SignerInfo's signed attributes say (RFC 5652 §11,
// RFC 5035).
type signedAttrs struct {
	contentType   asn1.ObjectIdentifier
	messageDigest []byte
	// signingTime is the signer's claim, nil when absent or unreadable
	// (signingTimeProblem then says why, for a warning).
	signingTime        *time.Time
	signingTimeProblem string
	// essV1 and essV2 are the values of the ESS signingCertificate and
	// signingCertificateV2 attributes.
	essV1, essV2 []cryptobyte.String
}

// readSignedAttrs extracts the attributes the verification needs. RFC 5652
// §11.1–11.3: content-type and message-digest are required, and those two
// and signing-time must each occur once with a single value; breaking that
// is an error (Malformed). An unreadable signing-time is only a warning:
// it is a claim that proves nothing, and old signers wrote odd times.
func readSignedAttrs(attrs []attribute) (signedAttrs, error) {
	var out signedAttrs
	var seenCT, seenMD, seenST bool
	for _, a := range attrs {
		switch {
		case a.oid.Equal(oidAttrContentType):
			if seenCT || len(a.values) != 1 {
				return out, errors.New("content-type attribute must occur once with one value (RFC 5652 §11.1)")
			}
			seenCT = true
			v := a.values[0]
			if !v.ReadASN1ObjectIdentifier(&out.contentType) || !v.Empty() {
				return out, errors.New("malformed content-type attribute")
			}
		case a.oid.Equal(oidAttrMessageDigest):
			if seenMD || len(a.values) != 1 {
				return out, errors.New("message-digest attribute must occur once with one value (RFC 5652 §11.2)")
			}
			seenMD = true
			v := a.values[0]
			if !v.ReadASN1Bytes(&out.messageDigest, cbasn1.OCTET_STRING) || !v.Empty() {
				return out, errors.New("malformed message-digest attribute")
			}
		case a.oid.Equal(oidAttrSigningTime):
			if seenST || len(a.values) != 1 {
				return out, errors.New("signing-time attribute must occur once with one value (RFC 5652 §11.3)")
			}
			seenST = true
			if t, ok := readTime(a.values[0]); ok {
				out.signingTime = &t
			} else {
				out.signingTimeProblem = "the signing-time attribute is neither a valid UTCTime nor a valid GeneralizedTime and was ignored"
			}
		case a.oid.Equal(oidAttrSigningCertificate):
			out.essV1 = append(out.essV1, a.values...)
		case a.oid.Equal(oidAttrSigningCertificateV2):
			out.essV2 = append(out.essV2, a.values...)
		}
	}
	if !seenCT || !seenMD {
		return out, errors.New("signed attributes lack content-type or message-digest (RFC 5652 §5.3)")
	}
	return out, nil
}

// readTime reads a whole UTCTime or GeneralizedTime value.
func readTime(v cryptobyte.String) (time.Time, bool) {
	var t time.Time
	var ok bool
	switch {
	case v.PeekASN1Tag(cbasn1.UTCTime):
		ok = v.ReadASN1UTCTime(&t)
	case v.PeekASN1Tag(cbasn1.GeneralizedTime):
		ok = readGeneralizedTime(&v, &t)
	}
	return t.UTC(), ok && v.Empty()
}

// readGeneralizedTime reads a GeneralizedTime with optional fractional
// seconds (RFC 3161 §2.4.2 genTime; cryptobyte's reader refuses them).
// DER wants "Z"; an explicit offset is accepted and applied.
func readGeneralizedTime(s *cryptobyte.String, out *time.Time) bool {
	var raw cryptobyte.String
	if !s.ReadASN1(&raw, cbasn1.GeneralizedTime) || len(raw) < 15 || len(raw) > 40 {
		return false
	}
	t, err := time.Parse("20060102150405.999999999Z0700", string(raw))
	if err != nil {
		return false
	}
	*out = t.UTC()
	return true
}

// checkSigningCertificates checks that the ESS signingCertificate(V2)
// attributes, when present, name cert: RFC 5035 §5.4 says the first
// ESSCertID identifies the signer's certificate, by the hash of its DER
// and, when issuerSerial is present, by issuer and serial number.
// It returns (mismatch, nil) when an attribute names another certificate,
// and an error when one cannot be read or uses an unknown hash.
func checkSigningCertificates(a signedAttrs, cert *x509.Certificate) (string, error) {
	for _, v := range a.essV1 {
		if p, err := checkESSCertID(v, false, cert); p != "" || err != nil {
			return p, err
		}
	}
	for _, v := range a.essV2 {
		if p, err := checkESSCertID(v, true, cert); p != "" || err != nil {
			return p, err
		}
	}
	return "", nil
}

// checkESSCertID checks the first ESSCertID (SHA-1, RFC 2634 §5.4) or
// ESSCertIDv2 (hash defaulting to SHA-256, RFC 5035 §3) of one
// SigningCertificate(V2) value against cert.
func checkESSCertID(v cryptobyte.String, v2 bool, cert *x509.Certificate) (string, error) {
	name := "signingCertificate"
	if v2 {
		name = "signingCertificateV2"
	}
	malformed := fmt.Errorf("malformed ESS %s attribute", name)
	var sc, certIDs, id cryptobyte.String
	if !v.ReadASN1(&sc, cbasn1.SEQUENCE) || !v.Empty() ||
		!sc.ReadASN1(&certIDs, cbasn1.SEQUENCE) || !certIDs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return "", malformed
	}
	h := crypto.SHA1
	if v2 {
		h = crypto.SHA256
		if id.PeekASN1Tag(cbasn1.SEQUENCE) {
			var ai algorithmIdentifier
			if !readAlgorithmIdentifier(&id, &ai) {
				return "", malformed
			}
			var err error
			if h, err = hashAlgorithm(ai); err != nil {
				return "", fmt.Errorf("ESS %s: %w", name, err)
			}
		}
	}
	var certHash []byte
	if !id.ReadASN1Bytes(&certHash, cbasn1.OCTET_STRING) {
		return "", malformed
	}
	hh := h.New()
	hh.Write(cert.Raw)
	if !bytes.Equal(hh.Sum(nil), certHash) {
		return fmt.Sprintf("the ESS %s attribute names another certificate than the signer's (its %v hash differs)", name, h), nil
	}
	if id.Empty() {
		return "", nil
	}
	var issuerSerial, names cryptobyte.String
	serial := new(big.Int)
	if !id.ReadASN1(&issuerSerial, cbasn1.SEQUENCE) || !id.Empty() ||
		!issuerSerial.ReadASN1(&names, cbasn1.SEQUENCE) || !issuerSerial.ReadASN1Integer(serial) ||
		!issuerSerial.Empty() {
		return "", malformed
	}
	if serial.Cmp(cert.SerialNumber) != 0 {
		return fmt.Sprintf("the ESS %s attribute names another serial number than the signer certificate's", name), nil
	}
	// GeneralNames: only directoryName ([4] EXPLICIT Name) can name an
	// issuer; other forms are not compared.
	dirs, matched := 0, false
	for !names.Empty() {
		var gn cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&gn, &tag) {
			return "", malformed
		}
		if tag != cbasn1.Tag(4).Constructed().ContextSpecific() {
			continue
		}
		var dn cryptobyte.String
		if !gn.ReadASN1Element(&dn, cbasn1.SEQUENCE) || !gn.Empty() {
			return "", malformed
		}
		dirs++
		matched = matched || trust.SameName(dn, cert.RawIssuer)
	}
	if dirs > 0 && !matched {
		return fmt.Sprintf("the ESS %s attribute names another issuer than the signer certificate's", name), nil
	}
	return "", nil
}
