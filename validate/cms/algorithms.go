package cms

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"

	_ "crypto/md5"  // registers crypto.MD5: verified here, refused or not by the validator's policy
	_ "crypto/sha1" // registers crypto.SHA1: the SHA-1 CA generations sign until 2030
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Object identifiers of RFC 5652, RFC 5035, RFC 3161 and the algorithm
// RFCs (RFC 3370, RFC 4055, RFC 5754, RFC 5758, RFC 8419).
var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

	oidAttrContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigest        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidAttrSigningCertificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidAttrSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidAttrTimestamp            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}

	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDSA           = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// sigKind is the public-key algorithm of a signature.
type sigKind int

const (
	kindRSA sigKind = iota + 1 // RSASSA-PKCS1-v1_5
	kindPSS                    // RSASSA-PSS
	kindECDSA
	kindDSA
	kindEd25519
)

// signatureOIDs are the signatureAlgorithm values a SignerInfo may carry:
// the bare key algorithms (rsaEncryption, id-ecPublicKey, id-dsa), whose
// hash is the SignerInfo's digestAlgorithm, and the combined ones, which
// also name a hash.
var signatureOIDs = []struct {
	oid   asn1.ObjectIdentifier
	kind  sigKind
	named crypto.Hash
}{
	{oidRSAEncryption, kindRSA, 0},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}, kindRSA, crypto.MD5},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}, kindRSA, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 29}, kindRSA, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, kindRSA, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, kindRSA, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, kindRSA, crypto.SHA512},
	{oidRSAPSS, kindPSS, 0},
	{oidECPublicKey, kindECDSA, 0},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}, kindECDSA, crypto.SHA1},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, kindECDSA, crypto.SHA256},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, kindECDSA, crypto.SHA384},
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, kindECDSA, crypto.SHA512},
	{oidDSA, kindDSA, 0},
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 3}, kindDSA, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 2}, kindDSA, crypto.SHA256},
	{oidEd25519, kindEd25519, 0},
}

// algorithmIdentifier is an X.509 AlgorithmIdentifier; params is the DER
// of the parameters element, nil when absent.
type algorithmIdentifier struct {
	oid    asn1.ObjectIdentifier
	params []byte
}

// readAlgorithmIdentifier reads an AlgorithmIdentifier SEQUENCE.
func readAlgorithmIdentifier(s *cryptobyte.String, out *algorithmIdentifier) bool {
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&out.oid) {
		return false
	}
	out.params = nil
	if !seq.Empty() {
		var p cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1Element(&p, &tag) || !seq.Empty() {
			return false
		}
		out.params = p
	}
	return true
}

// absentOrNull reports whether the parameters are absent or NULL, the two
// encodings RFC 5754 §2 allows for hash algorithm identifiers.
func (a algorithmIdentifier) absentOrNull() bool {
	return a.params == nil || (len(a.params) == 2 && a.params[0] == 0x05 && a.params[1] == 0)
}

// hashAlgorithm maps a digest AlgorithmIdentifier to its crypto.Hash.
func hashAlgorithm(a algorithmIdentifier) (crypto.Hash, error) {
	if h := trust.HashOf(a.oid); h != 0 {
		if !a.absentOrNull() {
			return 0, fmt.Errorf("digest algorithm %v has unexpected parameters", a.oid)
		}
		return h, nil
	}
	return 0, fmt.Errorf("unsupported digest algorithm %v", a.oid)
}

// scheme is how a SignerInfo's signature value is verified.
type scheme struct {
	kind sigKind
	// hash is the hash the signature is computed with: the SignerInfo's
	// digestAlgorithm (RFC 5652 §5.5, and what OpenSSL does); 0 for
	// Ed25519, which hashes the message itself.
	hash crypto.Hash
	// named is the hash named by a combined signatureAlgorithm such as
	// sha256WithRSAEncryption, 0 when it names none.
	named crypto.Hash
	// saltLength is the RSASSA-PSS salt length from the parameters.
	saltLength int
}

// resolveScheme combines the SignerInfo's digest algorithm and signature
// algorithm. An unknown or unsupported algorithm is an error, reported as
// Malformed.
func resolveScheme(digest crypto.Hash, sigAlg algorithmIdentifier) (scheme, error) {
	for _, s := range signatureOIDs {
		if !s.oid.Equal(sigAlg.oid) {
			continue
		}
		sc := scheme{kind: s.kind, hash: digest, named: s.named}
		switch s.kind {
		case kindPSS:
			h, salt, err := parsePSSParams(sigAlg.params)
			if err != nil {
				return scheme{}, err
			}
			// RFC 4056 §3: the PSS hash is the SignerInfo's digest
			// algorithm; without signed attributes only hash(content)
			// is at hand, so a different one could not be checked.
			if h != digest {
				return scheme{}, fmt.Errorf("RSASSA-PSS hash %v differs from the digest algorithm %v (RFC 4056 §3)", h, digest)
			}
			sc.named, sc.saltLength = h, salt
		case kindEd25519:
			sc.hash = 0
		}
		return sc, nil
	}
	return scheme{}, fmt.Errorf("unsupported signature algorithm %v", sigAlg.oid)
}

// parsePSSParams reads RSASSA-PSS-params (RFC 4055 §3.1, explicit tags);
// absent parameters mean the defaults: SHA-1, MGF1 with SHA-1, salt 20.
// Go's rsa.VerifyPSS uses the signature hash for MGF1, so another MGF1
// hash is unsupported.
func parsePSSParams(der []byte) (crypto.Hash, int, error) {
	h, mgf, salt, trailer := crypto.SHA1, crypto.SHA1, int64(20), int64(1)
	malformed := errors.New("malformed RSASSA-PSS parameters")
	if der != nil {
		in := cryptobyte.String(der)
		var seq cryptobyte.String
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
			return 0, 0, malformed
		}
		var hashSeq, mgfSeq cryptobyte.String
		var hasHash, hasMGF bool
		if !seq.ReadOptionalASN1(&hashSeq, &hasHash, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
			!seq.ReadOptionalASN1(&mgfSeq, &hasMGF, cbasn1.Tag(1).Constructed().ContextSpecific()) ||
			!seq.ReadOptionalASN1Integer(&salt, cbasn1.Tag(2).Constructed().ContextSpecific(), int64(20)) ||
			!seq.ReadOptionalASN1Integer(&trailer, cbasn1.Tag(3).Constructed().ContextSpecific(), int64(1)) ||
			!seq.Empty() {
			return 0, 0, malformed
		}
		var err error
		if hasHash {
			var ai algorithmIdentifier
			if !readAlgorithmIdentifier(&hashSeq, &ai) || !hashSeq.Empty() {
				return 0, 0, malformed
			}
			if h, err = hashAlgorithm(ai); err != nil {
				return 0, 0, fmt.Errorf("RSASSA-PSS: %w", err)
			}
		}
		if hasMGF {
			var ai, inner algorithmIdentifier
			if !readAlgorithmIdentifier(&mgfSeq, &ai) || !mgfSeq.Empty() || !ai.oid.Equal(oidMGF1) {
				return 0, 0, errors.New("RSASSA-PSS: unsupported mask generation function")
			}
			p := cryptobyte.String(ai.params)
			if !readAlgorithmIdentifier(&p, &inner) || !p.Empty() {
				return 0, 0, malformed
			}
			if mgf, err = hashAlgorithm(inner); err != nil {
				return 0, 0, fmt.Errorf("RSASSA-PSS MGF1: %w", err)
			}
		}
	}
	if mgf != h {
		return 0, 0, fmt.Errorf("RSASSA-PSS with MGF1 hash %v and signature hash %v is not supported", mgf, h)
	}
	if trailer != 1 {
		return 0, 0, fmt.Errorf("RSASSA-PSS trailer field %d is not 1 (RFC 4055 §3.1)", trailer)
	}
	if salt < 0 || salt > 1024 {
		return 0, 0, fmt.Errorf("RSASSA-PSS salt length %d out of range", salt)
	}
	return h, int(salt), nil
}

// x509Algorithm names the scheme as crypto/x509 does, for the validator's
// dated algorithm policy. Combinations x509 has no name for (RSASSA-PSS
// with SHA-1, DSA with SHA-384) are UnknownSignatureAlgorithm.
func (s scheme) x509Algorithm() x509.SignatureAlgorithm {
	type key struct {
		k sigKind
		h crypto.Hash
	}
	switch (key{s.kind, s.hash}) {
	case key{kindRSA, crypto.MD5}:
		return x509.MD5WithRSA
	case key{kindRSA, crypto.SHA1}:
		return x509.SHA1WithRSA
	case key{kindRSA, crypto.SHA256}:
		return x509.SHA256WithRSA
	case key{kindRSA, crypto.SHA384}:
		return x509.SHA384WithRSA
	case key{kindRSA, crypto.SHA512}:
		return x509.SHA512WithRSA
	case key{kindPSS, crypto.SHA256}:
		return x509.SHA256WithRSAPSS
	case key{kindPSS, crypto.SHA384}:
		return x509.SHA384WithRSAPSS
	case key{kindPSS, crypto.SHA512}:
		return x509.SHA512WithRSAPSS
	case key{kindECDSA, crypto.SHA1}:
		return x509.ECDSAWithSHA1
	case key{kindECDSA, crypto.SHA256}:
		return x509.ECDSAWithSHA256
	case key{kindECDSA, crypto.SHA384}:
		return x509.ECDSAWithSHA384
	case key{kindECDSA, crypto.SHA512}:
		return x509.ECDSAWithSHA512
	case key{kindDSA, crypto.SHA1}:
		return x509.DSAWithSHA1
	case key{kindDSA, crypto.SHA256}:
		return x509.DSAWithSHA256
	}
	if s.kind == kindEd25519 {
		return x509.PureEd25519
	}
	return x509.UnknownSignatureAlgorithm
}

// verify checks sig with pub: over digest (s.hash of the signed message)
// for RSA, ECDSA and DSA, over msg itself for Ed25519 (msg nil when the
// message is not at hand, for example a precomputed content digest). The
// PSS salt length is the one of the parameters (0 means any, for Go).
func (s scheme) verify(pub any, digest, msg, sig []byte) error {
	return trust.VerifyDigest(pub, cmsSchemes[s.kind], s.hash, digest, msg, sig, s.saltLength)
}

// cmsSchemes maps this package's kinds to the trust primitive's schemes.
var cmsSchemes = map[sigKind]trust.Scheme{
	kindRSA: trust.SchemePKCS1v15, kindPSS: trust.SchemePSS, kindECDSA: trust.SchemeECDSA,
	kindDSA: trust.SchemeDSA, kindEd25519: trust.SchemeEd25519,
}
