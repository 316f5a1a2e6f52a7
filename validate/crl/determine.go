package crl

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// Status is a certificate's revocation status as determined from CRLs.
// The zero value is Undetermined.
type Status int

const (
	// Undetermined: the usable CRLs did not cover every revocation reason
	// (RFC 5280 §6.3.3 cert_status UNDETERMINED). Under hard-fail policy
	// the path is rejected.
	Undetermined Status = iota
	// Good: not listed (or removed from CRL by a delta CRL) on CRLs covering
	// all reasons (cert_status UNREVOKED with reasons_mask all-reasons).
	Good
	// Revoked: listed, including on hold (certificateHold), on a usable CRL.
	Revoked
)

// String returns "good", "revoked" or "undetermined".
func (s Status) String() string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	}
	return "undetermined"
}

// Check is the input of one certificate status determination
// (RFC 5280 §6.3.3). Cert, Issuer and Time are required.
type Check struct {
	// Cert is the certificate whose status is wanted.
	Cert *x509.Certificate
	// Issuer is the certificate that issued Cert in the validated path (or
	// the trust anchor). Its key is tried first for CRLs it issued: a
	// matching name, the cRLSign bit when it has a key usage extension, and
	// a verifying signature make it the CRL signer without further checks.
	Issuer *x509.Certificate
	// Time is the validation time: CRLs issued after it are not used, CRLs
	// whose nextUpdate is before it are stale, and entries whose revocation
	// date is after it do not count (see Determine).
	Time time.Time
	// CRLs are the candidate complete and delta CRLs, from any source and in
	// any order; those out of scope are ignored.
	CRLs []*CRL
	// CandidateSigners are other certificates that may have signed CRLs:
	// separate CRL-signing keys, self-issued key rollover certificates,
	// indirect CRL issuers (from the request, AIA, or a store). A candidate
	// is used only if its subject is the CRL issuer, it has cRLSign (when it
	// has a key usage extension), the CRL signature verifies with it, and
	// VerifyCRLIssuer accepts it (§6.3.3 (f)).
	CandidateSigners []*x509.Certificate
	// VerifyCRLIssuer validates a certification path for a candidate signer,
	// which must end at the trust anchor used for Cert's path (§6.3.3 (f)),
	// including the candidate's own revocation status. It returns nil when
	// the candidate is a valid CRL issuer. When nil, no candidate is
	// accepted and only Issuer can sign CRLs.
	//
	// The callback must guard against cycles (a CRL signer whose status
	// depends on a CRL it signed via another signer, and so on). The
	// simplest cycle is handled here: a candidate that is Cert itself (an
	// indirect CRL issuer covered by its own CRL, PKITS 4.14.30) is
	// accepted without calling VerifyCRLIssuer, since the caller is
	// validating Cert's path at that moment.
	VerifyCRLIssuer func(signer *x509.Certificate) error
}

// Result is the outcome of Determine. The zero Result is Undetermined.
type Result struct {
	Status Status
	// Entry is the entry that revoked the certificate; zero unless Revoked.
	Entry Entry
	// CRL is the complete CRL that decided: the one listing the certificate
	// (or whose delta did) when Revoked, the first one consulted when Good.
	CRL *CRL
	// Delta is the delta CRL used together with CRL, nil when none.
	Delta *CRL
	// Used lists every complete and delta CRL whose information was used.
	Used []*CRL
	// Reason explains the status for humans (logs, diagnostics).
	Reason string
	// Notes are remarks that did not change the status (a CRL without
	// nextUpdate, an entry dated after Time, a duplicate entry...).
	Notes []string
}

// certStatus values besides reason codes (§6.3.3 cert_status).
const unrevoked = -2

var oidFreshestCRL2 = asn1.ObjectIdentifier{2, 5, 29, 46}

// Determine runs RFC 5280 §6.3.3 for ch.Cert with use-deltas set: for each
// distribution point of the certificate, then for the default distribution
// point (the certificate issuer), it processes the candidate complete CRLs,
// newest first, each with the newest applicable delta CRL, until all
// reasons are covered or the certificate is found listed.
//
// Departures from, and readings of, the RFC:
//   - A complete CRL whose thisUpdate is after Time is not used. One whose
//     nextUpdate is before Time is used only with a current delta CRL
//     (§6.3.3 (a)(1)(i)); one without nextUpdate is used, with a note.
//   - A delta CRL applies to a complete CRL when issuer, issuing
//     distribution point and authority key identifier are the same, its
//     BaseCRLNumber is <= the complete CRL's number and its own CRL number
//     is greater (§5.2.4); it must be current and signed by the same key.
//   - An entry whose revocation date is after Time is treated as not
//     listed: the certificate was not revoked at Time, which is what
//     validation at a past time (ETSI EN 319 102-1 proof of existence)
//     asks. Result.Notes records it. Validation at the current time never
//     meets this case except with a CA's clock skew.
//   - certificateHold counts as Revoked (Entry.Reason tells); a
//     removeFromCRL entry (on the delta, or wrongly on a complete CRL)
//     makes the certificate not listed (§6.3.3 (i)-(k)).
//   - CRLs signed with the path issuer's key are tried before those needing
//     another signer, so that VerifyCRLIssuer is called only when needed.
//
// Determine does not check Cert's signature, validity or path (the path
// engine does), and reports Undetermined, never an error, when CRLs are
// missing, out of scope, stale or unverifiable; Result.Reason says why.
func Determine(ch Check) Result {
	if ch.Cert == nil || ch.Issuer == nil || ch.Cert.SerialNumber == nil {
		return Result{Reason: "no certificate or issuer given"}
	}
	if ch.Time.IsZero() {
		return Result{Reason: "no validation time given"}
	}
	d := &determiner{ch: ch, keys: map[*x509.Certificate]string{}, verified: map[*x509.Certificate]error{}}
	var err error
	if d.certIssuerKey, err = trust.CanonicalName(ch.Cert.RawIssuer); err != nil {
		return Result{Reason: "certificate issuer name: " + err.Error()}
	}
	d.serial = appendSerial(nil, ch.Cert.SerialNumber)
	dps, err := certDPs(ch.Cert)
	if err != nil {
		return Result{Reason: err.Error()}
	}
	for _, ext := range ch.Cert.Extensions {
		d.certFreshest = d.certFreshest || ext.Id.Equal(oidFreshestCRL2)
	}
	var completes []*CRL
	for _, c := range ch.CRLs {
		switch {
		case c == nil:
		case c.IsDelta():
			d.deltas = append(d.deltas, c)
		default:
			completes = append(completes, c)
		}
	}
	slices.SortStableFunc(completes, func(a, b *CRL) int { return b.thisUpdate.Compare(a.thisUpdate) })
	slices.SortStableFunc(d.deltas, func(a, b *CRL) int { return cmpNumber(b.number, a.number) })

	for i := range dps {
		for pass := 0; pass < 2; pass++ {
			for _, c := range completes {
				if d.mask == AllReasons || d.res.Status == Revoked {
					return d.finish()
				}
				d.process(&dps[i], c, pass)
			}
		}
	}
	return d.finish()
}

// determiner holds the state of one Determine call.
type determiner struct {
	ch            Check
	certIssuerKey string
	serial        []byte // DER INTEGER contents of Cert's serial number
	certFreshest  bool
	deltas        []*CRL // newest (highest CRL number) first
	keys          map[*x509.Certificate]string
	verified      map[*x509.Certificate]error

	mask    ReasonFlags // reasons_mask
	res     Result
	skipped []string
}

// process runs §6.3.3 (a)-(l) for one distribution point and one complete
// CRL. Pass 0 accepts only the path issuer as signer, pass 1 only others.
func (d *determiner) process(dp *dpoint, c *CRL, pass int) {
	// (b) scope of the complete CRL.
	if why := dp.inScope(c, d.ch.Cert, d.certIssuerKey); why != "" {
		switch {
		case pass == 0:
		case why == whyForeign || why == whyForeignDP:
			// another CA's CRL: normal with a shared pool, not worth a message
		default:
			d.skip(c, why)
		}
		return
	}
	// (d), (e): the CRL must add reasons.
	interim := dp.interimReasons(c)
	if interim&^d.mask == 0 {
		return
	}
	// (a) currency of the complete CRL.
	if c.thisUpdate.After(d.ch.Time) {
		if pass == 1 {
			d.skip(c, "issued after the validation time")
		}
		return
	}
	stale := !c.nextUpdate.IsZero() && c.nextUpdate.Before(d.ch.Time)
	// (f), (g) CRL issuer and signature.
	signer, why := d.signer(c, pass)
	if signer == nil {
		if why != "" {
			d.skip(c, why)
		}
		return
	}
	// (c), (h) delta CRL.
	delta := d.delta(c, signer)
	if stale && (delta == nil || !(d.certFreshest || c.freshest != nil)) {
		d.skip(c, "nextUpdate "+c.nextUpdate.Format(time.RFC3339)+" is before the validation time and no current delta CRL applies")
		return
	}
	if c.nextUpdate.IsZero() {
		d.note("CRL of " + trust.DN(c.rawIssuer) + " has no nextUpdate")
	}
	if c.dups > 0 {
		d.note(fmt.Sprintf("CRL of %s lists %d serial numbers more than once (first entry used)", trust.DN(c.rawIssuer), c.dups))
	}
	for _, u := range []*CRL{c, delta} {
		if u != nil && !slices.Contains(d.res.Used, u) {
			d.res.Used = append(d.res.Used, u)
		}
	}
	if d.res.CRL == nil {
		d.res.CRL, d.res.Delta = c, delta
	}
	// (i)-(k) look the certificate up, delta first.
	status, entry, from := unrevoked, Entry{}, (*CRL)(nil)
	for _, l := range []*CRL{delta, c} {
		if l == nil || status != unrevoked {
			continue
		}
		if e, ok := d.lookup(l); ok {
			status, entry, from = e.Reason, e, l
			if status == ReasonAbsent {
				status = ReasonUnspecified
			}
		}
	}
	if status == ReasonRemoveFromCRL {
		d.note(fmt.Sprintf("serial %s removed from CRL (removeFromCRL) by %s", d.ch.Cert.SerialNumber, describe(from)))
		status = unrevoked
	}
	if status != unrevoked {
		d.res.Status, d.res.Entry, d.res.CRL, d.res.Delta = Revoked, entry, c, delta
		d.res.Reason = fmt.Sprintf("revoked on %s (reason %s) according to %s", entry.RevocationTime.Format(time.RFC3339), ReasonName(entry.Reason), describe(from))
	}
	// (l)
	d.mask |= interim
}

// lookup finds Cert on l; entries dated after the validation time do not
// count (see Determine).
func (d *determiner) lookup(l *CRL) (Entry, bool) {
	idx, ok := l.issuerByKey[d.certIssuerKey]
	if !ok {
		return Entry{}, false
	}
	i, ok := l.find(idx, d.serial)
	if !ok {
		return Entry{}, false
	}
	e := l.entryAt(i)
	if e.RevocationTime.After(d.ch.Time) {
		d.note(fmt.Sprintf("%s lists serial %s as revoked on %s (reason %s), after the validation time %s: not revoked at that time",
			describe(l), d.ch.Cert.SerialNumber, e.RevocationTime.Format(time.RFC3339), ReasonName(e.Reason), d.ch.Time.Format(time.RFC3339)))
		return Entry{}, false
	}
	return e, true
}

// delta returns the newest delta CRL applicable to the complete CRL c
// (§5.2.4, §6.3.3 (c), (h)), nil when none.
func (d *determiner) delta(c *CRL, signer *x509.Certificate) *CRL {
	if c.number == nil {
		return nil
	}
	for _, dl := range d.deltas {
		if dl.issuerKey != c.issuerKey || string(dl.idpRaw) != string(c.idpRaw) ||
			string(dl.akiRaw) != string(c.akiRaw) || dl.number == nil ||
			dl.baseNumber.Cmp(c.number) > 0 || dl.number.Cmp(c.number) <= 0 {
			continue
		}
		if dl.thisUpdate.After(d.ch.Time) || (!dl.nextUpdate.IsZero() && dl.nextUpdate.Before(d.ch.Time)) {
			d.skip(dl, "delta CRL is not current at the validation time")
			continue
		}
		if err := dl.CheckSignatureFrom(signer); err != nil {
			d.skip(dl, "delta CRL signature does not verify with the complete CRL's signer: "+err.Error())
			continue
		}
		return dl
	}
	return nil
}

func (d *determiner) finish() Result {
	r := d.res
	switch {
	case r.Status == Revoked:
	case d.mask == AllReasons:
		r.Status = Good
		r.Reason = fmt.Sprintf("not revoked according to %d CRL(s), first %s", len(r.Used), describe(r.CRL))
	default:
		if d.res.CRL == nil {
			for _, dl := range d.deltas {
				if dl.issuerKey == d.certIssuerKey {
					d.skip(dl, "a delta CRL gives no status without an applicable complete CRL (RFC 5280 §5.2.4)")
				}
			}
		}
		r.Status, r.CRL, r.Delta = Undetermined, nil, nil
		var b strings.Builder
		switch {
		case d.mask == 0 && len(d.skipped) == 0:
			fmt.Fprintf(&b, "none of the %d CRL(s) is issued by the certificate's issuer or by a cRLIssuer of its distribution points", len(d.ch.CRLs))
		case d.mask == 0:
			b.WriteString("no usable CRL covers the certificate")
		default:
			fmt.Fprintf(&b, "usable CRLs cover only reasons %s", d.mask)
		}
		if len(d.skipped) > 0 {
			b.WriteString(": ")
			b.WriteString(strings.Join(d.skipped, "; "))
		}
		r.Reason = b.String()
	}
	return r
}

// skip records why a CRL could not be used (bounded, deduplicated).
func (d *determiner) skip(c *CRL, why string) {
	s := describe(c) + ": " + why
	if len(d.skipped) < 8 && !slices.Contains(d.skipped, s) {
		d.skipped = append(d.skipped, s)
	}
}

func (d *determiner) note(s string) {
	if len(d.res.Notes) < 8 && !slices.Contains(d.res.Notes, s) {
		d.res.Notes = append(d.res.Notes, s)
	}
}

func cmpNumber(a, b *big.Int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Cmp(b)
}
