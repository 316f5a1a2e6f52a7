package validate

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	_ "crypto/md5" // the hashes tried must be linked in
	"crypto/rsa"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/validate/signed"
)

// RawSignature is a bare signature value with its signer's certificate and
// the signed data, as customs envelopes and remote or mobile signing
// services produce them (format raw).
type RawSignature struct {
	// Value is the signature value: RSA PKCS #1 v1.5 or RSASSA-PSS,
	// ECDSA as an ASN.1 SEQUENCE {r, s} or as r||s, or Ed25519.
	Value []byte
	// Certificate is the signer's certificate; nil is NoSigner.
	Certificate *x509.Certificate
	// Data is the signed data; nil means absent (Digest is used).
	Data []byte
	// Digest is the digest of the signed data, when Data is not given;
	// with both, Data must hash to it.
	Digest *Digest
}

// rawHashes are the digest algorithms tried, in order, when only the data
// is given: the hash of a bare signature value is not written anywhere
// but inside an RSA PKCS #1 v1.5 signature (which VerifyPKCS1v15 checks,
// so trying several cannot confuse them). MD5 is tried for PKCS #1 v1.5
// only, so that an MD5 signature is recognised, and refused by the
// algorithm policy, rather than reported as a bad signature.
var rawHashes = []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512, crypto.SHA1}

// VerifyRaw checks a bare signature value and reports it as a
// *signed.Signature with ID "signature", so that the rest of validation
// is shared with the other formats. The digest is Digest's (its algorithm
// SHA-1, SHA-256, SHA-384 or SHA-512) or, with Data, the hash of Data with
// SHA-256, SHA-384, SHA-512 or SHA-1, the first under which the signature
// verifies. RSA signatures are tried as PKCS #1 v1.5, then as RSASSA-PSS
// with any salt length; ECDSA signatures as ASN.1, then as r||s; Ed25519
// signatures are over Data itself (a digest is not enough). A value that
// verifies under no scheme is BadSignature (SIG_CRYPTO_FAILURE); no
// certificate is NoSigner; neither Data nor Digest is NoSignedData.
//
// VerifyRaw checks the mathematics only: no trust, validity or algorithm
// policy (DigestAlgorithm and SignatureAlgorithm say what verified).
func VerifyRaw(r RawSignature) *signed.Signature {
	s := &signed.Signature{ID: "signature", Signer: r.Certificate}
	fail := func(in signed.Integrity, format string, args ...any) *signed.Signature {
		s.Integrity, s.Problem = in, fmt.Sprintf(format, args...)
		return s
	}
	if r.Certificate == nil {
		return fail(signed.NoSigner, "no signer certificate was given with the signature value")
	}
	s.Certificates = []*x509.Certificate{r.Certificate}
	if len(r.Value) == 0 {
		return fail(signed.Malformed, "the signature value is empty")
	}
	if r.Data == nil && r.Digest == nil {
		return fail(signed.NoSignedData, "neither the signed document nor its digest was given")
	}
	d := &rawDigests{data: r.Data}
	candidates := rawHashes
	if r.Digest != nil {
		h := r.Digest.Algorithm
		if !h.Available() || len(r.Digest.Value) != h.Size() {
			return fail(signed.Malformed, "the digest given is not a %v digest (%d bytes)", h, len(r.Digest.Value))
		}
		if r.Data != nil && !bytes.Equal(d.sum(h), r.Digest.Value) {
			return fail(signed.HashMismatch, "the document given does not hash to the %v digest given", h)
		}
		d.given, d.givenHash = r.Digest.Value, h
		candidates = []crypto.Hash{h}
	}
	var tried []string
	switch pub := r.Certificate.PublicKey.(type) {
	case *rsa.PublicKey:
		pkcs1 := candidates
		if r.Digest == nil {
			pkcs1 = append(append([]crypto.Hash(nil), candidates...), crypto.MD5)
		}
		for _, h := range pkcs1 {
			if rsa.VerifyPKCS1v15(pub, h, d.sum(h), r.Value) == nil {
				return intactRaw(s, h, rsaAlgorithm(h, false), "RSA PKCS #1 v1.5")
			}
		}
		for _, h := range candidates {
			if rsa.VerifyPSS(pub, h, d.sum(h), r.Value, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil {
				return intactRaw(s, h, rsaAlgorithm(h, true), "RSASSA-PSS")
			}
		}
		tried = append(tried, "RSA PKCS #1 v1.5", "RSASSA-PSS")
	case *ecdsa.PublicKey:
		rs, asn1Form := ecdsaValue(pub, r.Value)
		if rs == nil {
			return fail(signed.Malformed, "the signature value is neither an ASN.1 ECDSA signature nor r||s for the certificate's curve")
		}
		form := "r||s"
		if asn1Form {
			form = "ASN.1"
		}
		for _, h := range candidates {
			if ecdsa.VerifyASN1(pub, d.sum(h), rs) {
				return intactRaw(s, h, ecdsaAlgorithm(h), "ECDSA ("+form+")")
			}
		}
		tried = append(tried, "ECDSA ("+form+")")
	case ed25519.PublicKey:
		if r.Data == nil {
			return fail(signed.NoSignedData, "an Ed25519 signature is over the document itself, which was given only as a digest")
		}
		if ed25519.Verify(pub, r.Data, r.Value) {
			s.Integrity, s.DigestAlgorithm, s.SignatureAlgorithm = signed.Intact, crypto.SHA512, x509.PureEd25519
			s.Messages = append(s.Messages, signed.Message{Level: LevelInfo, Code: CodeRawScheme, Text: "the signature value verifies as Ed25519"})
			return s
		}
		return fail(signed.BadSignature, "the signature value does not verify as Ed25519 with the certificate's key")
	default:
		return fail(signed.Malformed, "the certificate's key (%T) is not RSA, ECDSA or Ed25519", pub)
	}
	names := make([]string, len(candidates))
	for i, h := range candidates {
		names[i] = h.String()
	}
	return fail(signed.BadSignature, "the signature value does not verify with the certificate's key as %s with %s",
		strings.Join(tried, " or "), strings.Join(names, ", "))
}

func intactRaw(s *signed.Signature, h crypto.Hash, alg x509.SignatureAlgorithm, scheme string) *signed.Signature {
	s.Integrity, s.DigestAlgorithm, s.SignatureAlgorithm = signed.Intact, h, alg
	s.Messages = append(s.Messages, signed.Message{Level: LevelInfo, Code: CodeRawScheme,
		Text: fmt.Sprintf("the signature value verifies as %s with %v", scheme, h)})
	return s
}

// rawDigests hashes the data at most once per algorithm.
type rawDigests struct {
	data      []byte
	given     []byte
	givenHash crypto.Hash
	sums      map[crypto.Hash][]byte
}

func (d *rawDigests) sum(h crypto.Hash) []byte {
	if d.given != nil && h == d.givenHash {
		return d.given
	}
	if s, ok := d.sums[h]; ok {
		return s
	}
	hh := h.New()
	hh.Write(d.data)
	s := hh.Sum(nil)
	if d.sums == nil {
		d.sums = map[crypto.Hash][]byte{}
	}
	d.sums[h] = s
	return s
}

// ecdsaValue returns the ASN.1 form of an ECDSA signature value given as
// ASN.1 or as r||s (each half the size of the curve order), and whether
// it was ASN.1; nil when it is neither.
func ecdsaValue(pub *ecdsa.PublicKey, v []byte) ([]byte, bool) {
	in := cryptobyte.String(v)
	var seq cryptobyte.String
	r, s := new(big.Int), new(big.Int)
	if in.ReadASN1(&seq, cbasn1.SEQUENCE) && in.Empty() && seq.ReadASN1Integer(r) && seq.ReadASN1Integer(s) && seq.Empty() {
		return v, true
	}
	n := (pub.Curve.Params().N.BitLen() + 7) / 8
	if len(v) != 2*n {
		return nil, false
	}
	r.SetBytes(v[:n])
	s.SetBytes(v[n:])
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, false
	}
	return out, false
}

func rsaAlgorithm(h crypto.Hash, pss bool) x509.SignatureAlgorithm {
	switch {
	case pss && h == crypto.SHA256:
		return x509.SHA256WithRSAPSS
	case pss && h == crypto.SHA384:
		return x509.SHA384WithRSAPSS
	case pss && h == crypto.SHA512:
		return x509.SHA512WithRSAPSS
	case pss:
		return x509.UnknownSignatureAlgorithm // SHA-1 PSS: DigestAlgorithm says SHA-1
	case h == crypto.SHA1:
		return x509.SHA1WithRSA
	case h == crypto.SHA256:
		return x509.SHA256WithRSA
	case h == crypto.SHA384:
		return x509.SHA384WithRSA
	case h == crypto.SHA512:
		return x509.SHA512WithRSA
	case h == crypto.MD5:
		return x509.MD5WithRSA
	}
	return x509.UnknownSignatureAlgorithm
}

func ecdsaAlgorithm(h crypto.Hash) x509.SignatureAlgorithm {
	switch h {
	case crypto.SHA1:
		return x509.ECDSAWithSHA1
	case crypto.SHA256:
		return x509.ECDSAWithSHA256
	case crypto.SHA384:
		return x509.ECDSAWithSHA384
	case crypto.SHA512:
		return x509.ECDSAWithSHA512
	}
	return x509.UnknownSignatureAlgorithm
}
