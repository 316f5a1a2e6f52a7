package crl

import (
	"crypto/x509"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// DER helpers shared by the CRL and entry parsers: times, signature
// algorithm identifiers and INTEGER encodings.

// readTime reads a UTCTime or GeneralizedTime (RFC 5280 §5.1.2.4) and returns
// it as Unix seconds. The two encodings RFC 5280 mandates
// (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ) are decoded by hand, since a large CRL has
// one per entry and time.Parse would dominate the parse; any other form goes
// through cryptobyte, which accepts what crypto/x509 accepts.
func readTime(s *cryptobyte.String) (int64, bool) {
	save := *s
	var body cryptobyte.String
	var tag asn1.Tag
	if !s.ReadAnyASN1(&body, &tag) {
		return 0, false
	}
	switch tag {
	case asn1.UTCTime:
		if len(body) == 13 && body[12] == 'Z' {
			if t, ok := civil(body[:12], false); ok {
				return t, true
			}
			return 0, false
		}
		var t time.Time
		if !save.ReadASN1UTCTime(&t) {
			return 0, false
		}
		*s = save
		return t.Unix(), true
	case asn1.GeneralizedTime:
		if len(body) == 15 && body[14] == 'Z' {
			if t, ok := civil(body[:14], true); ok {
				return t, true
			}
			return 0, false
		}
		var t time.Time
		if !save.ReadASN1GeneralizedTime(&t) {
			return 0, false
		}
		*s = save
		return t.Unix(), true
	}
	return 0, false
}

// civil decodes [YY]YYMMDDHHMMSS digits (UTC) to Unix seconds, validating
// every field. A two-digit year YY means 19YY when YY >= 50, else 20YY
// (RFC 5280 §4.1.2.5.1).
func civil(b []byte, fourDigitYear bool) (int64, bool) {
	var d [14]int
	for i, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d[i] = int(c - '0')
	}
	var year int
	i := 0
	if fourDigitYear {
		year = d[0]*1000 + d[1]*100 + d[2]*10 + d[3]
		i = 4
	} else {
		year = d[0]*10 + d[1]
		if year >= 50 {
			year += 1900
		} else {
			year += 2000
		}
		i = 2
	}
	month := d[i]*10 + d[i+1]
	day := d[i+2]*10 + d[i+3]
	hour := d[i+4]*10 + d[i+5]
	minute := d[i+6]*10 + d[i+7]
	sec := d[i+8]*10 + d[i+9]
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	return daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// minimalInteger reports whether b is the content of a DER INTEGER: not
// empty and without a redundant leading 0x00 or 0xff octet.
func minimalInteger(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if len(b) > 1 && ((b[0] == 0 && b[1]&0x80 == 0) || (b[0] == 0xff && b[1]&0x80 != 0)) {
		return false
	}
	return true
}

// Signature algorithm OIDs (DER contents) mapped to crypto/x509's names.
var sigAlgs = map[string]x509.SignatureAlgorithm{
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04": x509.MD5WithRSA,
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05": x509.SHA1WithRSA,
	"\x2b\x0e\x03\x02\x1d":                 x509.SHA1WithRSA, // 1.3.14.3.2.29 (OIW)
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b": x509.SHA256WithRSA,
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c": x509.SHA384WithRSA,
	"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d": x509.SHA512WithRSA,
	"\x2a\x86\x48\xce\x3d\x04\x01":         x509.ECDSAWithSHA1,
	"\x2a\x86\x48\xce\x3d\x04\x03\x02":     x509.ECDSAWithSHA256,
	"\x2a\x86\x48\xce\x3d\x04\x03\x03":     x509.ECDSAWithSHA384,
	"\x2a\x86\x48\xce\x3d\x04\x03\x04":     x509.ECDSAWithSHA512,
	"\x2b\x65\x70":                         x509.PureEd25519,
	"\x2a\x86\x48\xce\x38\x04\x03":         x509.DSAWithSHA1,
	"\x60\x86\x48\x01\x65\x03\x04\x03\x02": x509.DSAWithSHA256,
}

var (
	oidRSAPSS = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"
	pssHashes = map[string]x509.SignatureAlgorithm{
		"\x60\x86\x48\x01\x65\x03\x04\x02\x01": x509.SHA256WithRSAPSS,
		"\x60\x86\x48\x01\x65\x03\x04\x02\x02": x509.SHA384WithRSAPSS,
		"\x60\x86\x48\x01\x65\x03\x04\x02\x03": x509.SHA512WithRSAPSS,
	}
)

// signatureAlgorithm maps a DER AlgorithmIdentifier to crypto/x509's
// SignatureAlgorithm; x509.UnknownSignatureAlgorithm when it is none of them
// (the signature then never verifies). For RSASSA-PSS only the hash is read;
// the mask generation function and salt length are left to the verifier.
func signatureAlgorithm(ai cryptobyte.String) x509.SignatureAlgorithm {
	var seq, oid cryptobyte.String
	if !ai.ReadASN1(&seq, asn1.SEQUENCE) || !seq.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return x509.UnknownSignatureAlgorithm
	}
	if alg, ok := sigAlgs[string(oid)]; ok {
		return alg
	}
	if string(oid) != oidRSAPSS {
		return x509.UnknownSignatureAlgorithm
	}
	var params, hashWrap, hashAI, hashOID cryptobyte.String
	if !seq.ReadASN1(&params, asn1.SEQUENCE) ||
		!params.ReadASN1(&hashWrap, asn1.Tag(0).Constructed().ContextSpecific()) ||
		!hashWrap.ReadASN1(&hashAI, asn1.SEQUENCE) ||
		!hashAI.ReadASN1(&hashOID, asn1.OBJECT_IDENTIFIER) {
		return x509.UnknownSignatureAlgorithm // SHA-1 default: not supported
	}
	if alg, ok := pssHashes[string(hashOID)]; ok {
		return alg
	}
	return x509.UnknownSignatureAlgorithm
}

// readCritical reads the optional critical BOOLEAN of an Extension
// (DEFAULT FALSE). cryptobyte's ReadOptionalASN1Boolean is for explicitly
// tagged booleans, which this is not.
func readCritical(s *cryptobyte.String, out *bool) bool {
	*out = false
	if !s.PeekASN1Tag(asn1.BOOLEAN) {
		return true
	}
	return s.ReadASN1Boolean(out)
}
