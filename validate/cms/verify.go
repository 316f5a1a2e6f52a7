// Package cms verifies CMS / PKCS #7 SignedData (RFC 5652, RFC 2315) as
// agencies send it — bare .p7s (detached) and .p7m (attached) files and the
// CMS that PDFs embed — and RFC 3161 time-stamp tokens.
//
// It is a front end: it reports what it found about each SignerInfo as a
// *signed.Signature (signer certificate, certificates, integrity, claimed
// signing time, timestamps) and decides no trust. Package validate runs
// path validation, revocation and the algorithm policy on the result; this
// package verifies SHA-1 and MD5 signatures like any other and only names
// the algorithms.
//
// Signatures are verified here, not with crypto/x509 or digitorus/pkcs7:
// crypto/x509 refuses SHA-1, and the Vietnamese SHA-1 CA generations sign
// until 2030.
package cms

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate/signed"
)

// Message codes of this package (signed.Message.Code), stable.
const (
	// CodeCertificateSkipped: a certificate of the CMS could not be
	// parsed (warning) or is not an X.509 certificate (info); it was left
	// out of Signature.Certificates.
	CodeCertificateSkipped = "CMS_CERTIFICATE_SKIPPED"
	// CodeSigningTimeUnreadable: the signing-time attribute could not be
	// read; ClaimedSigningTime is nil (warning).
	CodeSigningTimeUnreadable = "CMS_SIGNING_TIME_UNREADABLE"
	// CodeAlgorithmMismatch: the signatureAlgorithm names another hash
	// than the digestAlgorithm; the digestAlgorithm was used, as OpenSSL
	// does (warning).
	CodeAlgorithmMismatch = "CMS_SIGNATURE_ALGORITHM_MISMATCH"
)

// Message levels, the same strings as package validate's.
const (
	levelInfo    = "info"
	levelWarning = "warning"
)

// Content is the signed content of a detached signature: given as data
// segments, hashed in order without being concatenated (a PDF passes the
// two ByteRange slices of the file), or as a precomputed Digest made with
// DigestAlgorithm. Segments win when both are set. A nil *Content, or one
// with neither Segments nor Digest, means the content is absent; a non-nil
// empty Segments is an empty content.
//
// A precomputed digest can be checked only against a SignerInfo whose
// digestAlgorithm is DigestAlgorithm; for other signers the content
// counts as absent (NoSignedData).
type Content struct {
	Segments        [][]byte
	Digest          []byte
	DigestAlgorithm crypto.Hash
}

// Options bounds the work Verify does on hostile input. A zero field means
// its default; the size of the input itself is the caller's to bound.
type Options struct {
	// MaxSigners is the most SignerInfos accepted (default 16).
	MaxSigners int
	// MaxCertificates is the most CMS certificates accepted (default 64).
	MaxCertificates int
	// MaxAttributes is the most signed plus unsigned attributes of one
	// SignerInfo, and the most values of one attribute (default 64).
	MaxAttributes int
}

func (o Options) withDefaults() Options {
	if o.MaxSigners <= 0 {
		o.MaxSigners = 16
	}
	if o.MaxCertificates <= 0 {
		o.MaxCertificates = 64
	}
	if o.MaxAttributes <= 0 {
		o.MaxAttributes = 64
	}
	return o
}

// Verify parses a CMS ContentInfo holding a SignedData, DER or BER,
// attached (the encapsulated content is verified, and must equal c when c
// is also given; an empty one next to c counts as absent) or detached (the
// content is c), and reports every
// SignerInfo, in order, as a *signed.Signature with ID "signer-1",
// "signer-2", ….
//
// It returns an error only when der is not a CMS SignedData at all, or
// exceeds opts (the caller answers 400). Problems inside a well-formed CMS
// become that signature's Integrity with a Problem: Malformed (broken
// SignerInfo, unknown algorithm, missing content-type or message-digest
// attribute), NoSigner (signer certificate not among the CMS
// certificates), BadSignature, HashMismatch, SignerMismatch (ESS
// signingCertificate(V2) names another certificate) or NoSignedData
// (detached without content). When several checks fail, the first of
// BadSignature, HashMismatch, SignerMismatch, NoSignedData is reported.
// A SignedData without SignerInfos (a certificates-only bundle) yields no
// signatures and no error.
//
// Each signature-timestamp unsigned attribute (RFC 3161 Appendix A)
// becomes a Timestamp of Kind "signature" over the signature value; a
// token that cannot be read is a Malformed Timestamp. Verify does not
// check trust, validity periods, key usages or the algorithm policy. The
// results may share memory with der and c: do not modify them.
func Verify(der []byte, c *Content, opts Options) (sigs []*signed.Signature, err error) {
	defer func() {
		if r := recover(); r != nil {
			sigs, err = nil, fmt.Errorf("cms: malformed input (recovered panic: %v)", r)
		}
	}()
	sd, err := parseSignedData(der, opts.withDefaults())
	if err != nil {
		return nil, err
	}
	cs := newContentSource(sd, c)
	out := make([]*signed.Signature, 0, len(sd.signers))
	for i := range sd.signers {
		out = append(out, sd.verifySigner(i, &sd.signers[i], cs, true))
	}
	return out, nil
}

// verifySigner checks one SignerInfo (RFC 5652 §5.4–5.6). withTimestamps
// is false for the signer of a timestamp token, whose own unsigned
// attributes are not followed (no recursion).
func (sd *signedData) verifySigner(i int, si *signerInfo, cs *contentSource, withTimestamps bool) (sig *signed.Signature) {
	sig = &signed.Signature{
		ID:           fmt.Sprintf("signer-%d", i+1),
		Certificates: slices.Clip(sd.certs),
		Messages:     slices.Clone(sd.messages),
	}
	defer func() {
		if r := recover(); r != nil {
			sig.Integrity, sig.Problem = signed.Malformed, fmt.Sprintf("malformed SignerInfo (recovered panic: %v)", r)
		}
	}()
	fail := func(in signed.Integrity, format string, args ...any) *signed.Signature {
		sig.Integrity, sig.Problem = in, fmt.Sprintf(format, args...)
		return sig
	}
	if si.err != nil {
		return fail(signed.Malformed, "%v", si.err)
	}
	h, err := hashAlgorithm(si.digestAlg)
	if err != nil {
		return fail(signed.Malformed, "%v", err)
	}
	sig.DigestAlgorithm = h
	sc, err := resolveScheme(h, si.sigAlg)
	if err != nil {
		return fail(signed.Malformed, "%v", err)
	}
	sig.SignatureAlgorithm = sc.x509Algorithm()
	if sc.named != 0 && sc.named != h {
		sig.Messages = append(sig.Messages, signed.Message{Level: levelWarning, Code: CodeAlgorithmMismatch,
			Text: fmt.Sprintf("the signature algorithm names %v but the digest algorithm is %v; %v was used", sc.named, h, h)})
	}
	var attrs signedAttrs
	if si.signedRaw != nil {
		if attrs, err = readSignedAttrs(si.signedAttr); err != nil {
			return fail(signed.Malformed, "%v", err)
		}
		if attrs.signingTime != nil {
			sig.ClaimedSigningTime = attrs.signingTime
		} else if attrs.signingTimeProblem != "" {
			sig.Messages = append(sig.Messages, signed.Message{Level: levelWarning, Code: CodeSigningTimeUnreadable,
				Text: attrs.signingTimeProblem})
		}
		if !attrs.contentType.Equal(sd.contentType) {
			return fail(signed.Malformed, "the content-type attribute %v differs from the eContentType %v", attrs.contentType, sd.contentType)
		}
	} else if !sd.contentType.Equal(oidData) {
		return fail(signed.Malformed, "no signed attributes over content type %v (RFC 5652 §5.3 requires them)", sd.contentType)
	}
	if withTimestamps {
		sig.Timestamps = timestampsOf(si)
	}
	cands := sd.candidates(si)
	if len(cands) == 0 {
		return fail(signed.NoSigner, "the signer certificate (%s) is not among the CMS certificates", describeSID(si))
	}
	for k, cert := range cands {
		in, problem := checkSignerInfo(si, sc, h, attrs, cert, cs)
		if k == 0 || in == signed.Intact {
			sig.Signer, sig.Integrity, sig.Problem = cert, in, problem
		}
		if in == signed.Intact {
			break
		}
	}
	return sig
}

// checkSignerInfo runs the cryptographic checks of si with cert as the
// signer: the signature, the message digest, the ESS binding.
func checkSignerInfo(si *signerInfo, sc scheme, h crypto.Hash, attrs signedAttrs, cert *x509.Certificate, cs *contentSource) (signed.Integrity, string) {
	if si.signedRaw == nil {
		// RFC 5652 §5.4: without signed attributes the signature is over
		// the content digest itself.
		if cs.conflict != "" {
			return signed.HashMismatch, cs.conflict
		}
		sum, err := cs.sum(h)
		if err != nil {
			return signed.NoSignedData, err.Error()
		}
		msg := cs.message()
		if sc.kind == kindEd25519 && msg == nil {
			return signed.NoSignedData, "an Ed25519 signature without signed attributes is over the content itself, which was given only as a digest"
		}
		if err := sc.verify(cert.PublicKey, sum, msg, si.signature); err != nil {
			return signed.BadSignature, fmt.Sprintf("the signature does not verify over the content (%v); without signed attributes a changed content and a bad signature cannot be told apart", err)
		}
		return signed.Intact, ""
	}
	// RFC 5652 §5.4: the signature is over the DER of the signed
	// attributes as a SET OF (tag 0x31 instead of [0] IMPLICIT), taken
	// as received and never re-encoded: signers that did not sort the
	// SET still verify, and nothing we parse can alter what is hashed.
	var digest, msg []byte
	if sc.kind == kindEd25519 {
		msg = append([]byte{0x31}, si.signedRaw[1:]...)
	} else {
		hh := sc.hash.New()
		hh.Write([]byte{0x31})
		hh.Write(si.signedRaw[1:])
		digest = hh.Sum(nil)
	}
	if err := sc.verify(cert.PublicKey, digest, msg, si.signature); err != nil {
		return signed.BadSignature, fmt.Sprintf("the signature over the signed attributes does not verify: %v", err)
	}
	if cs.conflict != "" {
		return signed.HashMismatch, cs.conflict
	}
	sum, absent := cs.sum(h)
	if absent == nil && !bytes.Equal(sum, attrs.messageDigest) {
		return signed.HashMismatch, fmt.Sprintf("the message-digest attribute differs from the %v of the content", h)
	}
	if problem, err := checkSigningCertificates(attrs, cert); err != nil {
		return signed.Malformed, err.Error()
	} else if problem != "" {
		return signed.SignerMismatch, problem
	}
	if absent != nil {
		return signed.NoSignedData, absent.Error()
	}
	return signed.Intact, ""
}

// candidates returns the CMS certificates the SignerIdentifier names
// (RFC 5652 §5.3): by issuer name (RFC 5280 §7.1 comparison) and exact
// serial, or by subject key identifier; for a certificate without that
// extension, the SHA-1 of its public key (RFC 5280 §4.2.1.2 method 1).
func (sd *signedData) candidates(si *signerInfo) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range sd.certs {
		var ok bool
		if si.sidSKI != nil {
			ski := c.SubjectKeyId
			if len(ski) == 0 {
				ski = keyHash(c)
			}
			ok = len(ski) > 0 && bytes.Equal(ski, si.sidSKI)
		} else {
			ok = c.SerialNumber != nil && c.SerialNumber.Cmp(si.sidSerial) == 0 && trust.SameName(si.sidIssuer, c.RawIssuer)
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// keyHash is the SHA-1 of the subjectPublicKey bits of c, nil when they
// cannot be read.
func keyHash(c *x509.Certificate) []byte {
	spki := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var seq cryptobyte.String
	var bits []byte
	if !spki.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.SkipASN1(cbasn1.SEQUENCE) || !seq.ReadASN1BitStringAsBytes(&bits) {
		return nil
	}
	sum := sha1.Sum(bits)
	return sum[:]
}

// describeSID says which certificate a SignerIdentifier names.
func describeSID(si *signerInfo) string {
	if si.sidSKI != nil {
		return "subject key identifier " + hex.EncodeToString(si.sidSKI)
	}
	return fmt.Sprintf("serial %x issued by %s", si.sidSerial, trust.DN(si.sidIssuer))
}
