package trust

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Pin is one official root certificate that the binary trusts by its
// SHA-256 fingerprint. The certificate itself is not shipped: `lienthong
// trust fetch` downloads it from URLs (where its operator publishes it) and
// `lienthong trust import` takes it from a file; both keep a certificate only
// if its fingerprint equals SHA256.
type Pin struct {
	Name      string    // short file name in the trust folder, e.g. "vnrca256"
	Subject   string    // subject common name, for people
	Hierarchy Hierarchy // which built-in domain it anchors
	SHA256    string    // lower-case hex SHA-256 of the DER certificate
	URLs      []string  // official addresses, tried in order
	Note      string    // validity and algorithm, for people
}

// Fingerprint returns the pin's fingerprint as bytes, or an error when
// SHA256 is not 64 hex digits (a custom pin table with a typo).
func (p Pin) Fingerprint() (Fingerprint, error) {
	var f Fingerprint
	b, err := hex.DecodeString(p.SHA256)
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("pin %q: SHA-256 %q is not 64 hex digits", p.Name, p.SHA256)
	}
	copy(f[:], b)
	return f, nil
}

// Pins is the built-in table of the official roots of both hierarchies.
// Facts (fingerprints, addresses) come from the certificates themselves and
// from the AIA caIssuers fields of the CAs they issued; the tests check every
// pin against the real certificates in ../shared/testdata/vn-real.
//
// The public hierarchy is run by the National Electronic Authentication
// Centre (NEAC, Vietnam National Root CA); the government-dedicated one by the
// Government Cipher Committee (Ban Cơ yếu Chính phủ).
var Pins = []Pin{
	{Name: "vnrca256", Subject: "Vietnam National Root CA", Hierarchy: Public,
		SHA256: "bac8bf609ab420a8ee1780d74f4de5c7f7184959d2a7375b0a75e4c29f0908e7",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca256.p7b"},
		Note:   "2014-04-15 to 2039-04-15, RSA-4096, SHA-256"},
	{Name: "vnrca-g3", Subject: "Vietnam National Root CA G3", Hierarchy: Public,
		SHA256: "7b3269e7d79aebbfae5095f45bbb7074771e690cb7df02b441062b12f7690ece",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca-g3.p7b"},
		Note:   "2024-06-20 to 2049-06-20, RSA-4096, SHA-256 (address by the pattern of its siblings)"},
	{Name: "vnrca-ema", Subject: "VIETNAM NATIONAL ROOT CA - EMA", Hierarchy: Public,
		SHA256: "0d765aedfe7b12c7d11c7b5737507f24db22f8afe24be140eb5801cb0853a8f9",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca-ema.p7b"},
		Note:   "2026-05-07 to 2051-05-01, RSA-4096, SHA-256"},
	{Name: "vnrca-rs", Subject: "VIETNAM NATIONAL ROOT CA - RS", Hierarchy: Public,
		SHA256: "12afeba2545f6fc0f31ec130f31bf2d16184a2b5b7cebcb43cfd1ba35dd4ea46",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca-rs.p7b"},
		Note:   "2025-11-25 to 2050-11-19, RSA-4096, SHA-256 (remote signing)"},
	{Name: "vnrca-mobilepki", Subject: "VIETNAM NATIONAL ROOT CA - MOBILEPKI", Hierarchy: Public,
		SHA256: "c75535d65c0ff7480a3d6f393d56da5f7c92ddcc071f4e9166c3f8d660ef836c",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca-mobilepki.p7b"},
		Note:   "2025-11-25 to 2050-11-19, RSA-4096, SHA-256"},
	{Name: "vnrca-tsa", Subject: "VIETNAM NATIONAL ROOT CA - TSA", Hierarchy: Public,
		SHA256: "d343b3c5132f7d1676c3560025aefef036fceec073c33f18e075b3a21c8f8552",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca-tsa.p7b"},
		Note:   "2025-11-25 to 2050-11-19, RSA-4096, SHA-256 (time-stamping)"},
	{Name: "vnrca-usbtoken", Subject: "VIETNAM NATIONAL ROOT CA - USBTOKEN", Hierarchy: Public,
		SHA256: "41803135f13a6359866e7e6f76dafd598d496836944a52dd1fad66b3bf2ee63b",
		URLs:   []string{"https://rootca.gov.vn/crt/vnrca-usbtoken.p7b"},
		Note:   "2025-11-25 to 2050-11-19, RSA-4096, SHA-256"},
	{Name: "micnrca", Subject: "MIC National Root CA", Hierarchy: Public,
		SHA256: "ca918d635bb130bec97639e6aabf7edbc4eb1310f8058b9419f467ae0230ad8c",
		URLs:   []string{"http://public.rootca.gov.vn/crt/micnrca.crt"},
		Note:   "2008-05-16 to 2040-05-16, RSA-2048, SHA-1 (legacy)"},
	{Name: "vgca-rootca-g1", Subject: "Co quan chung thuc so chuyen dung Chinh phu (RootCA)", Hierarchy: Government,
		SHA256: "f7bc89054cec7f12730d7b8cd3eb7955b163835087e5eb873edfb584763b3f90",
		URLs:   []string{"http://ca.gov.vn/pki/pub/cert/rootca.crt"},
		Note:   "2010-03-10 to 2030-03-05, RSA-2048, SHA-1 (G1)"},
	{Name: "vgca-rootca-g2", Subject: "RootCA chuyên dùng Chính phủ G2", Hierarchy: Government,
		SHA256: "f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8",
		URLs:   []string{"http://ca.gov.vn/pki/pub/crt/rootcag2.crt", "http://ca.dcs.vn/pki/pub/crt/rootcag2.crt"},
		Note:   "2018-08-22 to 2048-08-14, RSA-4096, SHA-256 (G2)"},
}

// PinFor returns the pin with fingerprint fp, if any.
func PinFor(pins []Pin, fp Fingerprint) (Pin, bool) {
	h := fp.Hex()
	for _, p := range pins {
		if strings.EqualFold(p.SHA256, h) {
			return p, true
		}
	}
	return Pin{}, false
}
