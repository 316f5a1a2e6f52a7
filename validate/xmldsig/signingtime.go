package xmldsig

import (
	"strings"
	"time"

	"github.com/lienthong/lienthong/validate/signed"
)

// Message codes this file adds to a signature.
const (
	// CodeSigningTimeZoneAssumed: the claimed signing time had no zone and
	// was read as Vietnam time (UTC+7).
	CodeSigningTimeZoneAssumed = "SIGNING_TIME_ZONE_ASSUMED"
	// CodeSigningTimeNotSigned: a SigningTime element is present but no
	// reference of the signature covers it, so anyone could have written
	// it; it is ignored.
	CodeSigningTimeNotSigned = "SIGNING_TIME_NOT_SIGNED"
	// CodeSigningTimeInvalid: the covered SigningTime is not a date and
	// time this package reads; it is ignored.
	CodeSigningTimeInvalid = "SIGNING_TIME_INVALID"
)

// vietnamTime is Asia/Ho_Chi_Minh, which has been UTC+7 without daylight
// saving since 1975: a fixed zone, so no tzdata is needed.
func vietnamTime() *time.Location { return time.FixedZone("UTC+7", 7*60*60) }

// signingTime finds the signing time the signer claims: the first element
// named SigningTime (any namespace: the SignatureProperty of Vietnamese
// e-invoices and tax documents, which is often in no namespace, and
// XAdES's SignedSignatureProperties/SigningTime) inside the Signature
// element sig, not inside a nested signature, and covered by one of refs.
// An uncovered SigningTime is not the signer's claim and is only mentioned
// in a message. A time without zone is read as UTC+7 and kept as written.
func signingTime(sig *node, refs []*reference, s *signed.Signature) {
	var found, uncovered *node
	var walk func(n *node)
	walk = func(n *node) {
		for _, ch := range n.children {
			if found != nil {
				return
			}
			if ch.kind != elementNode || (ch.ns == dsigNS && ch.local == "Signature") {
				continue
			}
			if ch.local == "SigningTime" {
				if coveredByAny(refs, ch) {
					found = ch
					return
				}
				if uncovered == nil {
					uncovered = ch
				}
				continue
			}
			walk(ch)
		}
	}
	walk(sig)
	if found == nil {
		if uncovered != nil {
			s.Messages = append(s.Messages, signed.Message{Level: "warning", Code: CodeSigningTimeNotSigned,
				Text: "a SigningTime element is not covered by any reference of the signature and was ignored"})
		}
		return
	}
	text, err := textContent(found)
	raw := strings.TrimSpace(text)
	t, zoned, ok := parseSigningTime(raw)
	if err != nil || !ok {
		s.Messages = append(s.Messages, signed.Message{Level: "warning", Code: CodeSigningTimeInvalid,
			Text: "the SigningTime element does not hold a date and time and was ignored"})
		return
	}
	s.ClaimedSigningTime = &t
	if !zoned {
		s.ClaimedSigningTimeText = raw
		s.Messages = append(s.Messages, signed.Message{Level: "info", Code: CodeSigningTimeZoneAssumed,
			Text: "the claimed signing time " + raw + " has no time zone; it was read as Vietnam time (UTC+7)"})
	}
}

func coveredByAny(refs []*reference, n *node) bool {
	for _, r := range refs {
		if r.covers(n) {
			return true
		}
	}
	return false
}

// parseSigningTime reads an xsd:dateTime as Vietnamese software writes it:
// with a zone (RFC 3339), or without one ("2022-01-04T10:20:30", also
// with a space for the T), then taken as UTC+7. Fractional seconds are
// accepted in every form.
func parseSigningTime(s string) (t time.Time, zoned, ok bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, vietnamTime()); err == nil {
			return t, false, true
		}
	}
	return time.Time{}, false, false
}
