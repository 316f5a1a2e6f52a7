// Package crl parses certificate revocation lists (RFC 5280 §5) into a
// compact, indexed form and determines a certificate's revocation status
// from a set of CRLs with the algorithm of RFC 5280 §6.3.3.
//
// The package does not fetch, cache or refresh CRLs: callers hand it DER
// bytes (downloaded, read from files, or from a cache) and the candidate
// signer certificates. It does not validate certification paths either: the
// path engine supplies a callback for CRL issuers outside the validated path
// (Check.VerifyCRLIssuer).
//
// Parse is built for very large CRLs: it walks the DER once with
// golang.org/x/crypto/cryptobyte, validates every entry, and indexes the
// serial numbers in an open-addressing hash table that points back into the
// DER, so a 1,000,000-entry CRL costs about 40 bytes of index per entry on
// top of its DER and no per-entry heap objects.
package crl

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // legacy DSA keys (NIST PKITS 4.1.4-4.1.6)
	"crypto/x509"
	encoding_asn1 "encoding/asn1"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"
)

// ErrMalformed is wrapped by Parse errors for CRLs that are not well-formed
// DER CertificateLists as profiled by RFC 5280 §5 (including malformed
// entries, which make the whole CRL unusable).
var ErrMalformed = errors.New("malformed CRL")

// ErrUnrecognizedCritical is wrapped by Parse errors for CRLs carrying a
// critical CRL extension (RFC 5280 §5.2) or a critical CRL entry extension
// (§5.3) that this package does not process. RFC 5280 forbids using such a
// CRL to determine a status, so Parse refuses it as a whole.
var ErrUnrecognizedCritical = errors.New("CRL has an unrecognized critical extension")

// Extension object identifiers, as DER contents (without tag and length),
// compared against the bytes in the CRL without decoding.
var (
	oidCRLNumber         = []byte{0x55, 0x1d, 0x14}                               // 2.5.29.20
	oidDeltaCRLIndicator = []byte{0x55, 0x1d, 0x1b}                               // 2.5.29.27
	oidIDP               = []byte{0x55, 0x1d, 0x1c}                               // 2.5.29.28
	oidAKI               = []byte{0x55, 0x1d, 0x23}                               // 2.5.29.35
	oidIssuerAltName     = []byte{0x55, 0x1d, 0x12}                               // 2.5.29.18
	oidFreshestCRL       = []byte{0x55, 0x1d, 0x2e}                               // 2.5.29.46
	oidExpiredCertsOnCRL = []byte{0x55, 0x1d, 0x3c}                               // 2.5.29.60
	oidAIA               = []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01} // 1.3.6.1.5.5.7.1.1
	oidReasonCode        = []byte{0x55, 0x1d, 0x15}                               // 2.5.29.21
	oidHoldInstruction   = []byte{0x55, 0x1d, 0x17}                               // 2.5.29.23
	oidInvalidityDate    = []byte{0x55, 0x1d, 0x18}                               // 2.5.29.24
	oidCertificateIssuer = []byte{0x55, 0x1d, 0x1d}                               // 2.5.29.29
)

// CRL is a parsed and indexed certificate revocation list (complete or
// delta). It is immutable after Parse and safe for concurrent use; the only
// internal mutation is a small cache of signature verification results,
// guarded by a mutex.
//
// A CRL keeps a reference to the DER given to Parse (entries and serial
// numbers are read from it on lookup), so that slice must not be modified
// afterwards. Accessors that return slices return views into it: do not
// modify them either. The zero CRL is not usable; obtain one from Parse.
type CRL struct {
	raw        []byte
	tbs        []byte
	sigAlg     x509.SignatureAlgorithm
	signature  []byte
	rawIssuer  []byte
	issuerKey  string // trust.CanonicalName(rawIssuer)
	thisUpdate time.Time
	nextUpdate time.Time // zero when absent

	number     *big.Int // CRL number (§5.2.3); nil when absent
	baseNumber *big.Int // BaseCRLNumber of a delta CRL (§5.2.4); nil for complete CRLs
	idp        *IssuingDistributionPoint
	idpRaw     []byte // extnValue of the IDP, compared byte for byte between complete and delta CRLs
	akiRaw     []byte // extnValue of the AKI
	aki        []byte // its keyIdentifier, nil when absent
	freshest   []byte // extnValue of freshestCRL (GeneralNames of delta CRL locations); nil when absent
	issuerAlt  []byte // extnValue of issuerAltName; nil when absent
	expiredOn  time.Time
	critical   []string // dotted OIDs of the critical CRL extensions (all recognized)

	entries
	sigMu    sync.Mutex
	sigCache map[string]error // keyed by the signer's RawSubjectPublicKeyInfo
}

// Parse parses a DER-encoded CertificateList (RFC 5280 §5.1) and indexes its
// entries. It checks structure only: the signature, the issuer and the
// validity are checked by Determine (or CheckSignatureFrom). Parse keeps a
// reference to der and does not copy it; der must not be modified afterwards.
//
// Parse refuses, as a whole, a CRL that is malformed anywhere (including any
// single entry), that has an unrecognized critical CRL or entry extension
// (errors wrap ErrMalformed or ErrUnrecognizedCritical), or whose signature
// algorithm identifiers in the TBS and outer structure differ (§5.1.1.2).
// Recognized CRL extensions: CRL number, delta CRL indicator, issuing
// distribution point, authority key identifier, issuer alternative name,
// freshest CRL, authority information access and expiredCertsOnCRL (X.509);
// entry extensions: reason code, hold instruction code, invalidity date and
// certificate issuer. A CRL v1 (version absent) is accepted.
//
// Serial numbers listed more than once for the same certificate issuer are
// indexed once, keeping the first entry; Duplicates reports how many were
// dropped. Entry serial numbers must be minimally encoded INTEGERs, the same
// rule crypto/x509 applies to certificates, so that every lookup key has one
// encoding.
func Parse(der []byte) (*CRL, error) {
	if len(der) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: larger than 4 GiB", ErrMalformed)
	}
	c := &CRL{raw: der}
	input := cryptobyte.String(der)
	var certList, tbsElem, outerAlg cryptobyte.String
	if !input.ReadASN1(&certList, asn1.SEQUENCE) || !input.Empty() {
		return nil, malformed("not a single DER SEQUENCE")
	}
	if !certList.ReadASN1Element(&tbsElem, asn1.SEQUENCE) ||
		!certList.ReadASN1Element(&outerAlg, asn1.SEQUENCE) {
		return nil, malformed("CertificateList structure")
	}
	var sig encoding_asn1.BitString
	if !certList.ReadASN1BitString(&sig) || sig.BitLength%8 != 0 || !certList.Empty() {
		return nil, malformed("signature value")
	}
	c.tbs, c.signature = tbsElem, sig.Bytes

	var tbs cryptobyte.String
	if !tbsElem.ReadASN1(&tbs, asn1.SEQUENCE) {
		return nil, malformed("TBSCertList")
	}
	if tbs.PeekASN1Tag(asn1.INTEGER) {
		var v int64
		if !tbs.ReadASN1Integer(&v) || v != 1 {
			return nil, malformed("version is not v2")
		}
	}
	var innerAlg, issuer cryptobyte.String
	if !tbs.ReadASN1Element(&innerAlg, asn1.SEQUENCE) {
		return nil, malformed("TBS signature algorithm")
	}
	if !bytes.Equal(innerAlg, outerAlg) {
		return nil, malformed("signature algorithm in TBSCertList differs from the outer one (RFC 5280 §5.1.1.2)")
	}
	c.sigAlg = signatureAlgorithm(innerAlg)
	if !tbs.ReadASN1Element(&issuer, asn1.SEQUENCE) {
		return nil, malformed("issuer")
	}
	c.rawIssuer = issuer
	key, err := trust.CanonicalName(issuer)
	if err != nil {
		return nil, malformed("issuer name: " + err.Error())
	}
	c.issuerKey = key
	t, ok := readTime(&tbs)
	if !ok {
		return nil, malformed("thisUpdate")
	}
	c.thisUpdate = time.Unix(t, 0).UTC()
	if tbs.PeekASN1Tag(asn1.UTCTime) || tbs.PeekASN1Tag(asn1.GeneralizedTime) {
		if t, ok = readTime(&tbs); !ok {
			return nil, malformed("nextUpdate")
		}
		c.nextUpdate = time.Unix(t, 0).UTC()
	}
	var revoked cryptobyte.String
	if tbs.PeekASN1Tag(asn1.SEQUENCE) && !tbs.ReadASN1(&revoked, asn1.SEQUENCE) {
		return nil, malformed("revokedCertificates")
	}
	if tbs.PeekASN1Tag(asn1.Tag(0).Constructed().ContextSpecific()) {
		var wrapper, exts cryptobyte.String
		if !tbs.ReadASN1(&wrapper, asn1.Tag(0).Constructed().ContextSpecific()) ||
			!wrapper.ReadASN1(&exts, asn1.SEQUENCE) || !wrapper.Empty() {
			return nil, malformed("crlExtensions")
		}
		if err := c.parseExtensions(exts); err != nil {
			return nil, err
		}
	}
	if !tbs.Empty() {
		return nil, malformed("trailing data in TBSCertList")
	}
	if err := c.parseEntries(revoked); err != nil {
		return nil, err
	}
	return c, nil
}

// parseExtensions reads the crlExtensions (RFC 5280 §5.2).
func (c *CRL) parseExtensions(exts cryptobyte.String) error {
	seen := map[string]bool{}
	for !exts.Empty() {
		var ext, oid, val cryptobyte.String
		var critical bool
		if !exts.ReadASN1(&ext, asn1.SEQUENCE) ||
			!ext.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) ||
			!readCritical(&ext, &critical) ||
			!ext.ReadASN1(&val, asn1.OCTET_STRING) || !ext.Empty() {
			return malformed("CRL extension")
		}
		if seen[string(oid)] {
			return malformed("duplicate CRL extension " + oidString(oid))
		}
		seen[string(oid)] = true
		var ok bool
		switch {
		case bytes.Equal(oid, oidCRLNumber):
			c.number, ok = readNonNegative(val)
		case bytes.Equal(oid, oidDeltaCRLIndicator):
			c.baseNumber, ok = readNonNegative(val)
		case bytes.Equal(oid, oidIDP):
			c.idpRaw = val
			c.idp, ok = parseIDP(val, c.rawIssuer)
		case bytes.Equal(oid, oidAKI):
			c.akiRaw = val
			c.aki, ok = parseAKI(val)
		case bytes.Equal(oid, oidIssuerAltName):
			c.issuerAlt = val
			_, ok = parseGeneralNames(val)
		case bytes.Equal(oid, oidFreshestCRL):
			c.freshest = val
			ok = true
		case bytes.Equal(oid, oidExpiredCertsOnCRL):
			var t int64
			t, ok = readTime(&val)
			ok = ok && val.Empty()
			c.expiredOn = time.Unix(t, 0).UTC()
		case bytes.Equal(oid, oidAIA):
			ok = true
		default:
			if critical {
				return fmt.Errorf("%w: CRL extension %s (RFC 5280 §5.2)", ErrUnrecognizedCritical, oidString(oid))
			}
			continue
		}
		if !ok {
			return malformed("CRL extension " + oidString(oid))
		}
		if critical {
			c.critical = append(c.critical, oidString(oid))
		}
	}
	return nil
}

// readNonNegative reads an OCTET STRING's content holding one non-negative
// INTEGER of at most 20 octets (CRLNumber, BaseCRLNumber; RFC 5280 §5.2.3).
func readNonNegative(val cryptobyte.String) (*big.Int, bool) {
	n := new(big.Int)
	if !val.ReadASN1Integer(n) || !val.Empty() || n.Sign() < 0 || n.BitLen() > 160 {
		return nil, false
	}
	return n, true
}

// parseAKI returns the keyIdentifier of an AuthorityKeyIdentifier
// (RFC 5280 §4.2.1.1), nil when it has none.
func parseAKI(val cryptobyte.String) ([]byte, bool) {
	var seq cryptobyte.String
	if !val.ReadASN1(&seq, asn1.SEQUENCE) || !val.Empty() {
		return nil, false
	}
	var id cryptobyte.String // [0] IMPLICIT KeyIdentifier
	var present bool
	if !seq.ReadOptionalASN1(&id, &present, asn1.Tag(0).ContextSpecific()) {
		return nil, false
	}
	if !present {
		return nil, true
	}
	return id, true
}

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// oidString renders DER object identifier contents in dotted form.
func oidString(der []byte) string {
	var oid encoding_asn1.ObjectIdentifier
	full := cryptobyte.String(append([]byte{0x06, byte(len(der))}, der...))
	if len(der) > 127 || !full.ReadASN1ObjectIdentifier(&oid) {
		return fmt.Sprintf("%x", der)
	}
	return oid.String()
}

// Raw returns the DER of the whole CRL, as given to Parse.
func (c *CRL) Raw() []byte { return c.raw }

// RawTBS returns the DER of the TBSCertList, the signed part.
func (c *CRL) RawTBS() []byte { return c.tbs }

// Signature returns the signature value and SignatureAlgorithm the
// algorithm (x509.UnknownSignatureAlgorithm when not one crypto/x509 names).
func (c *CRL) Signature() []byte { return c.signature }

// SignatureAlgorithm returns the CRL's signature algorithm.
func (c *CRL) SignatureAlgorithm() x509.SignatureAlgorithm { return c.sigAlg }

// RawIssuer returns the DER of the CRL issuer Name.
func (c *CRL) RawIssuer() []byte { return c.rawIssuer }

// IssuerKey returns the RFC 5280 §7.1 comparison key of the issuer name
// (trust.CanonicalName); two CRLs have the same issuer when their keys match.
func (c *CRL) IssuerKey() string { return c.issuerKey }

// ThisUpdate returns the thisUpdate time.
func (c *CRL) ThisUpdate() time.Time { return c.thisUpdate }

// NextUpdate returns the nextUpdate time, the zero Time when the CRL has
// none (RFC 5280 requires it; such a CRL is used but Determine notes it).
func (c *CRL) NextUpdate() time.Time { return c.nextUpdate }

// Number returns the CRL number (RFC 5280 §5.2.3), nil when absent. The
// caller must not modify it.
func (c *CRL) Number() *big.Int { return c.number }

// IsDelta reports whether the CRL is a delta CRL (has a delta CRL indicator).
func (c *CRL) IsDelta() bool { return c.baseNumber != nil }

// BaseNumber returns the BaseCRLNumber of a delta CRL (RFC 5280 §5.2.4), nil
// for a complete CRL. The caller must not modify it.
func (c *CRL) BaseNumber() *big.Int { return c.baseNumber }

// IDP returns the issuing distribution point extension (RFC 5280 §5.2.5),
// nil when absent. The caller must not modify it.
func (c *CRL) IDP() *IssuingDistributionPoint { return c.idp }

// AuthorityKeyID returns the keyIdentifier of the authority key identifier
// extension, nil when absent.
func (c *CRL) AuthorityKeyID() []byte { return c.aki }

// FreshestCRL returns the DER (CRLDistributionPoints) of the freshest CRL
// extension (RFC 5280 §5.2.6), where delta CRLs are published; nil when
// absent.
func (c *CRL) FreshestCRL() []byte { return c.freshest }

// IssuerAltName returns the DER (GeneralNames) of the issuer alternative
// name extension, nil when absent.
func (c *CRL) IssuerAltName() []byte { return c.issuerAlt }

// ExpiredCertsOnCRL returns the X.509 expiredCertsOnCRL time, zero when
// absent: the CRL keeps entries of certificates that expired after it.
func (c *CRL) ExpiredCertsOnCRL() time.Time { return c.expiredOn }

// CriticalExtensions returns the dotted OIDs of the CRL's critical
// extensions (all of them recognized, or Parse would have failed).
func (c *CRL) CriticalExtensions() []string { return c.critical }

// CheckSignatureFrom verifies the CRL's signature with signer's public key,
// accepting the legacy algorithms trust.CheckSignatureWith accepts (SHA-1,
// DSA). It is the cryptographic check only: it does not look at signer's
// name, key usage or validity (Determine does). Results are cached per
// public key, so a large CRL is hashed once per signer, not once per lookup.
func (c *CRL) CheckSignatureFrom(signer *x509.Certificate) error {
	key := string(signer.RawSubjectPublicKeyInfo)
	if k, ok := signer.PublicKey.(*dsa.PublicKey); ok {
		// Parameters may be inherited from the issuer (RFC 3279 §2.3.2), so
		// the same SubjectPublicKeyInfo can stand for different keys.
		key += "\x00" + k.P.String() + "," + k.Q.String() + "," + k.G.String()
	}
	c.sigMu.Lock()
	err, ok := c.sigCache[key]
	c.sigMu.Unlock()
	if ok {
		return err
	}
	err = trust.CheckSignatureWith(signer.PublicKey, c.sigAlg, c.tbs, c.signature)
	c.sigMu.Lock()
	if c.sigCache == nil || len(c.sigCache) >= 16 {
		c.sigCache = make(map[string]error)
	}
	c.sigCache[key] = err
	c.sigMu.Unlock()
	return err
}
