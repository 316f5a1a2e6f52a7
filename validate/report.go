package validate

import (
	"crypto/x509"
	"encoding/hex"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// Report is the answer of one validation, in the JSON shape of DESIGN.md
// ("HTTP API"): the worst indication over its signatures, the format, the
// validation time (UTC) and the digest of the trust store used.
//
// Two fields are additions to DESIGN.md: SubIndication, the
// sub-indication of the first signature whose indication is the worst
// (omitted when TOTAL_PASSED; FORMAT_FAILURE for a document without any
// signature), and Messages, remarks about the document as a whole (such
// as NO_SIGNATURE), omitted when there are none.
type Report struct {
	Indication     Indication        `json:"indication"`
	SubIndication  SubIndication     `json:"sub_indication,omitempty"`
	Format         string            `json:"format"`
	ValidationTime time.Time         `json:"validation_time"`
	TrustStore     string            `json:"trust_store"`
	Signatures     []SignatureReport `json:"signatures"`
	Messages       []Message         `json:"messages,omitempty"`
}

// Formats of a Report (DESIGN.md "Precise points").
const (
	FormatPDF         = "pdf"
	FormatXML         = "xml"
	FormatCMS         = "cms"
	FormatRaw         = "raw"
	FormatCertificate = "certificate"
)

// SignatureReport is the verdict on one signature, or on a certificate
// validated alone (ID "certificate"). Revocation and Messages are never
// null in JSON; SigningTime and Timestamp are null when absent.
type SignatureReport struct {
	ID            string            `json:"id"`
	Indication    Indication        `json:"indication"`
	SubIndication SubIndication     `json:"sub_indication,omitempty"`
	Domain        string            `json:"domain,omitempty"`
	Hierarchy     string            `json:"hierarchy,omitempty"`
	Signer        *Signer           `json:"signer,omitempty"`
	Chain         []ChainEntry      `json:"chain"`
	Revocation    []RevocationEntry `json:"revocation"`
	SigningTime   *time.Time        `json:"signing_time"`
	Timestamp     *TimestampReport  `json:"timestamp"`
	Coverage      string            `json:"coverage,omitempty"`
	Messages      []Message         `json:"messages"`
}

// TimestampReport is the RFC 3161 timestamp a signature entry relies on
// (the earliest that validated, else the first found), or, for a PDF
// document timestamp entry, that timestamp itself. GenTime is the token's
// genTime (nil when the token could not be read); TSA the certificate that
// signed it (nil when unknown); Indication, SubIndication and Domain the
// verdict on the token: its integrity, then the TSA's certification path
// validated for timestamping at the validation time. Only a TOTAL_PASSED
// timestamp is a proof of existence.
type TimestampReport struct {
	GenTime       *time.Time    `json:"gen_time"`
	TSA           *ChainEntry   `json:"tsa"`
	Indication    Indication    `json:"indication"`
	SubIndication SubIndication `json:"sub_indication,omitempty"`
	Domain        string        `json:"domain,omitempty"`
}

// Signer describes the signing certificate. Identifiers are the Vietnamese
// identifiers parsed from the subject's UID attributes (see Identifiers).
type Signer struct {
	Subject      string            `json:"subject"`
	CommonName   string            `json:"common_name,omitempty"`
	Organization string            `json:"organization,omitempty"`
	Identifiers  map[string]string `json:"identifiers"`
	Serial       string            `json:"serial"`
	SHA256       string            `json:"sha256"`
	NotBefore    time.Time         `json:"not_before"`
	NotAfter     time.Time         `json:"not_after"`
}

// ChainEntry is one certificate of a validated chain (leaf first, anchor
// last).
type ChainEntry struct {
	Subject string `json:"subject"`
	SHA256  string `json:"sha256"`
}

// RevocationEntry is the revocation evidence for one certificate of the
// chain (anchor excluded), per DESIGN.md "Precise points": Source is "ocsp"
// or "crl"; Status is "good", "revoked", "unknown" or "unavailable".
type RevocationEntry struct {
	SHA256         string     `json:"sha256"`
	Source         string     `json:"source"`
	Status         string     `json:"status"`
	URL            string     `json:"url,omitempty"`
	ThisUpdate     *time.Time `json:"this_update,omitempty"`
	NextUpdate     *time.Time `json:"next_update,omitempty"`
	ProducedAt     *time.Time `json:"produced_at,omitempty"`
	Cached         bool       `json:"cached"`
	AgeSeconds     *float64   `json:"age_seconds,omitempty"`
	RevocationTime *time.Time `json:"revocation_time,omitempty"`
	Reason         string     `json:"reason,omitempty"`
}

// NewSigner describes c for a report.
func NewSigner(c *x509.Certificate) *Signer {
	s := &Signer{
		Subject:     trust.DN(c.RawSubject),
		CommonName:  c.Subject.CommonName,
		Identifiers: Identifiers(c.Subject),
		Serial:      hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore:   c.NotBefore.UTC(),
		NotAfter:    c.NotAfter.UTC(),
	}
	if c.SerialNumber.Sign() < 0 {
		s.Serial = "-" + s.Serial
	}
	if len(c.Subject.Organization) > 0 {
		s.Organization = c.Subject.Organization[0]
	}
	fp := trust.Fingerprint(sha256Sum(c.Raw))
	s.SHA256 = fp.Hex()
	return s
}

// NewChain lists a path's certificates for a report.
func NewChain(chain []*trust.Cert) []ChainEntry {
	out := make([]ChainEntry, len(chain))
	for i, c := range chain {
		dn := c.SubjectDN
		if dn == "" { // a Cert built by hand rather than by trust.NewCert
			dn = trust.DN(c.X509.RawSubject)
		}
		out[i] = ChainEntry{Subject: dn, SHA256: c.SHA256.Hex()}
	}
	return out
}

// severity orders indications for "worst over signatures":
// TOTAL_FAILED > INDETERMINATE > TOTAL_PASSED.
func severity(i Indication) int {
	switch i {
	case TotalPassed:
		return 0
	case Indeterminate:
		return 1
	}
	return 2 // TOTAL_FAILED, and fail closed on an unset or unknown indication
}

// worstOf returns the worst indication of sigs and the sub-indication of
// the first signature that has it ("" when TOTAL_PASSED); for no
// signature, TOTAL_FAILED/FORMAT_FAILURE.
func worstOf(sigs []SignatureReport) (Indication, SubIndication) {
	if len(sigs) == 0 {
		return TotalFailed, FormatFailure
	}
	w := Worst(sigs)
	if w == TotalPassed {
		return w, ""
	}
	for _, s := range sigs {
		if s.Indication == w {
			return w, s.SubIndication
		}
	}
	return w, ""
}

// Worst returns the worst indication of the reports (TOTAL_FAILED for none:
// a document without any signature proves nothing).
func Worst(sigs []SignatureReport) Indication {
	if len(sigs) == 0 {
		return TotalFailed
	}
	w := TotalPassed
	for _, s := range sigs {
		if severity(s.Indication) > severity(w) {
			w = s.Indication
			if w != Indeterminate {
				w = TotalFailed // an unset or unknown indication counts as failed
			}
		}
	}
	return w
}
