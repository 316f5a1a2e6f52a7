package validate

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"
)

// weakness is where an algorithm stands in the dated algorithm policy. It
// is decided here only, for certificates, CRLs, OCSP answers, signatures
// and time-stamp tokens alike.
type weakness int

const (
	notWeak  weakness = iota
	weakSHA1          // accepted before algorithms.sha1_until, with a warning
	weakMD5           // MD5, MD4, MD2: refused (certificates: unless AllowMD5)
)

// weaknessOf classifies a digest and/or a signature algorithm (either may
// be zero); the weaker of the two wins.
func weaknessOf(h crypto.Hash, alg x509.SignatureAlgorithm) weakness {
	switch {
	case h == crypto.MD5 || h == crypto.MD4 || alg == x509.MD5WithRSA || alg == x509.MD2WithRSA:
		return weakMD5
	case h == crypto.SHA1 || alg == x509.SHA1WithRSA || alg == x509.ECDSAWithSHA1 || alg == x509.DSAWithSHA1:
		return weakSHA1
	}
	return notWeak
}

// algNotes counts the legacy algorithms accepted in one path, for the
// warnings of the result.
type algNotes struct {
	sha1, md5 int
}

// checkSignatureAlgorithm is the algorithm policy for child's signature,
// made with signer's key, at validation time t:
//
//   - SHA-1 (RSA, ECDSA, DSA) is accepted only before Options.SHA1Until,
//     with a SHA1_CERTIFICATE_SIGNATURE warning: the Vietnamese
//     government G1 and MIC 2008 CA generations are SHA-1 until 2030;
//   - MD5 only when the domain allows it (AllowMD5), with a warning;
//   - MD2 and algorithms crypto/x509 does not know are refused;
//   - the signer's RSA modulus must have at least MinRSABits.
//
// It does not verify the signature (the builder does, through the cache).
func (e *Engine) checkSignatureAlgorithm(child, signer *x509.Certificate, t time.Time, dc *domainConfig, notes *algNotes) error {
	alg := child.SignatureAlgorithm
	switch w := weaknessOf(0, alg); {
	case alg == x509.MD2WithRSA || alg == x509.UnknownSignatureAlgorithm:
		return fmt.Errorf("%w: unsupported signature algorithm %v", errAlgorithm, alg)
	case w == weakSHA1:
		if !t.Before(e.sha1Until) {
			return fmt.Errorf("%w: SHA-1 signature (%v) at or after the SHA-1 cut-off %s", errAlgorithm, alg,
				e.sha1Until.UTC().Format(time.RFC3339))
		}
		notes.sha1++
	case w == weakMD5:
		if !dc.allowMD5 {
			return fmt.Errorf("%w: MD5 signature", errAlgorithm)
		}
		notes.md5++
	}
	if err := checkKey(signer.PublicKey, dc); err != nil {
		return fmt.Errorf("issuer key: %w", err)
	}
	return nil
}

// checkKey refuses RSA keys shorter than the domain's MinRSABits.
func checkKey(pub any, dc *domainConfig) error {
	if k, ok := pub.(*rsa.PublicKey); ok {
		if bits := k.N.BitLen(); bits < dc.minRSA {
			return fmt.Errorf("%w: RSA key of %d bits, below the minimum of %d", errAlgorithm, bits, dc.minRSA)
		}
	}
	return nil
}

// algMessages turns the notes of a validated path into warnings.
func (e *Engine) algMessages(n algNotes) []Message {
	var out []Message
	if n.sha1 > 0 {
		out = append(out, Message{Level: LevelWarning, Code: CodeSHA1CertificateSignature,
			Text: fmt.Sprintf("%d certificate(s) of the chain are signed with SHA-1, accepted until %s",
				n.sha1, e.sha1Until.UTC().Format(time.RFC3339))})
	}
	if n.md5 > 0 {
		out = append(out, Message{Level: LevelWarning, Code: CodeMD5CertificateSignature,
			Text: fmt.Sprintf("%d certificate(s) of the chain are signed with MD5, accepted because the trust domain allows it", n.md5)})
	}
	return out
}
