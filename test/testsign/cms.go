// Package testsign makes signed documents for tests, benchmarks and the
// demo: CMS SignedData (attached and detached, RFC 5652), RFC 3161
// time-stamp tokens, PDFs with signature fields in incremental updates,
// XML documents with enveloped XML signatures shaped like Vietnamese
// e-invoices, and bare signature values. Signers are certificates and keys
// of test/testpki (or any crypto.Signer).
//
// Everything is written with small, explicit encoders so that the
// documents are the same on every run when the keys are deterministic
// (Ed25519, RSA PKCS #1 v1.5) and the times are given: nothing here reads
// the clock. Nothing here is safe to use outside tests.
package testsign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	_ "crypto/md5" // Sum over every hash the encoders offer
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers used by the encoders.
var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTimestampAttr = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidTSAPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
)

var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.MD5:    {1, 2, 840, 113549, 2, 5},
	crypto.SHA1:   {1, 3, 14, 3, 2, 26},
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

var ecdsaOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA1:   {1, 2, 840, 10045, 4, 1},
	crypto.SHA256: {1, 2, 840, 10045, 4, 3, 2},
	crypto.SHA384: {1, 2, 840, 10045, 4, 3, 3},
	crypto.SHA512: {1, 2, 840, 10045, 4, 3, 4},
}

// DigestAlgorithmOID returns the object identifier of digest algorithm
// h (MD5, SHA-1 or SHA-2), or nil.
func DigestAlgorithmOID(h crypto.Hash) asn1.ObjectIdentifier { return hashOIDs[h] }

// ECDSASignatureOID returns the object identifier of ecdsa-with-h
// (SHA-1 or SHA-2), or nil.
func ECDSASignatureOID(h crypto.Hash) asn1.ObjectIdentifier { return ecdsaOIDs[h] }

// Signer is one SignerInfo of a CMS.
type Signer struct {
	// Cert and Key are the signer's certificate and private key
	// (RSA, ECDSA or Ed25519).
	Cert *x509.Certificate
	Key  crypto.Signer
	// Hash is the digest algorithm; zero means SHA-512 for Ed25519
	// (RFC 8419) and SHA-256 otherwise. SHA-1 and MD5 are accepted, for
	// tests of the algorithm policy.
	Hash crypto.Hash
	// PSS signs with RSASSA-PSS (salt length = hash length).
	PSS bool
	// SigningTime, when set, adds the signing-time attribute.
	SigningTime *time.Time
	// NoESS leaves out the ESS signingCertificateV2 attribute.
	NoESS bool
	// Timestamp, when set, is called with the signature value and
	// returns a TimeStampToken over it, added as the signature-timestamp
	// unsigned attribute (RFC 3161 Appendix A).
	Timestamp func(signatureValue []byte) ([]byte, error)
	// Tamper changes one bit of the signature value after signing.
	Tamper bool
}

// CMS describes a ContentInfo holding a SignedData.
type CMS struct {
	// Content is the signed content.
	Content []byte
	// Detached leaves the content out (a .p7s); otherwise it is
	// encapsulated (a .p7m).
	Detached bool
	// Certificates are put in the SignedData's certificates field.
	Certificates []*x509.Certificate
	Signers      []Signer
	// ContentType is the eContentType; nil means id-data.
	ContentType asn1.ObjectIdentifier
}

// Build returns the DER of the ContentInfo.
func (c CMS) Build() ([]byte, error) {
	ct := c.ContentType
	if ct == nil {
		ct = oidData
	}
	var infos [][]byte
	var hashes []crypto.Hash
	for i, s := range c.Signers {
		if s.Cert == nil || s.Key == nil {
			return nil, fmt.Errorf("testsign: signer %d has no certificate or key", i+1)
		}
		h := s.hash()
		if !slices.Contains(hashes, h) {
			hashes = append(hashes, h)
		}
		si, err := s.build(ct, c.Content)
		if err != nil {
			return nil, fmt.Errorf("testsign: signer %d: %w", i+1, err)
		}
		infos = append(infos, si)
	}
	version := int64(1)
	if !ct.Equal(oidData) {
		version = 3
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(version)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					for _, h := range sortedAlgs(hashes) {
						b.AddBytes(h)
					}
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(ct)
					if !c.Detached {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1OctetString(c.Content)
						})
					}
				})
				if len(c.Certificates) > 0 {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						for _, cert := range c.Certificates {
							b.AddBytes(cert.Raw)
						}
					})
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					for _, si := range infos {
						b.AddBytes(si)
					}
				})
			})
		})
	})
	return b.Bytes()
}

// sortedAlgs returns the DER AlgorithmIdentifiers of hs in DER SET OF
// order.
func sortedAlgs(hs []crypto.Hash) [][]byte {
	var out [][]byte
	for _, h := range hs {
		var b cryptobyte.Builder
		addAlg(&b, hashOIDs[h], true)
		out = append(out, b.BytesOrPanic())
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

func (s Signer) hash() crypto.Hash {
	if s.Hash != 0 {
		return s.Hash
	}
	if _, ok := s.Key.Public().(ed25519.PublicKey); ok {
		return crypto.SHA512
	}
	return crypto.SHA256
}

// build returns the DER of one SignerInfo over content of type ct.
func (s Signer) build(ct asn1.ObjectIdentifier, content []byte) ([]byte, error) {
	h := s.hash()
	if hashOIDs[h] == nil {
		return nil, fmt.Errorf("unsupported hash %v", h)
	}
	attrs := [][]byte{
		attribute(oidContentType, der(func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(ct) })),
		attribute(oidMessageDigest, der(func(b *cryptobyte.Builder) { b.AddASN1OctetString(Sum(h, content)) })),
	}
	if s.SigningTime != nil {
		attrs = append(attrs, attribute(oidSigningTime, der(func(b *cryptobyte.Builder) {
			b.AddASN1UTCTime(s.SigningTime.UTC())
		})))
	}
	if !s.NoESS {
		attrs = append(attrs, attribute(oidSigningCertV2, essCertIDv2(s.Cert)))
	}
	slices.SortFunc(attrs, bytes.Compare)
	signedSet := der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			for _, a := range attrs {
				b.AddBytes(a)
			}
		})
	})
	sig, err := signBytes(s.Key, h, s.PSS, signedSet)
	if err != nil {
		return nil, err
	}
	if s.Tamper {
		sig[len(sig)/2] ^= 0x01
	}
	var unsigned [][]byte
	if s.Timestamp != nil {
		tok, err := s.Timestamp(sig)
		if err != nil {
			return nil, fmt.Errorf("timestamp: %w", err)
		}
		unsigned = append(unsigned, attribute(oidTimestampAttr, tok))
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(s.Cert.RawIssuer)
			b.AddASN1BigInt(s.Cert.SerialNumber)
		})
		addAlg(b, hashOIDs[h], true)
		b.AddBytes(append([]byte{0xa0}, signedSet[1:]...)) // [0] IMPLICIT
		switch k := s.Key.Public().(type) {
		case *rsa.PublicKey:
			if s.PSS {
				addPSSAlg(b, h)
			} else {
				addAlg(b, oidRSAEncryption, true)
			}
		case *ecdsa.PublicKey:
			addAlg(b, ecdsaOIDs[h], false)
		case ed25519.PublicKey:
			addAlg(b, oidEd25519, false)
		default:
			b.SetError(fmt.Errorf("unsupported key %T", k))
		}
		b.AddASN1OctetString(sig)
		if len(unsigned) > 0 {
			b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				for _, a := range unsigned {
					b.AddBytes(a)
				}
			})
		}
	})
	return b.Bytes()
}

// signBytes signs msg as CMS signers do: the hash of msg with RSA PKCS #1
// v1.5, RSASSA-PSS or ECDSA (ASN.1), or msg itself with Ed25519.
func signBytes(key crypto.Signer, h crypto.Hash, pss bool, msg []byte) ([]byte, error) {
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		return key.Sign(nil, msg, crypto.Hash(0))
	}
	digest := Sum(h, msg)
	var opts crypto.SignerOpts = h
	if pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	return key.Sign(rand.Reader, digest, opts)
}

// Sum returns the h digest of the concatenation of parts.
func Sum(h crypto.Hash, parts ...[]byte) []byte {
	hh := h.New()
	for _, p := range parts {
		hh.Write(p)
	}
	return hh.Sum(nil)
}

func der(f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return b.BytesOrPanic()
}

// attribute returns the DER of an Attribute with one value.
func attribute(oid asn1.ObjectIdentifier, value []byte) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(value) })
		})
	})
}

func addAlg(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

// addPSSAlg writes RSASSA-PSS with MGF1 over h and a salt of h's size.
func addPSSAlg(b *cryptobyte.Builder, h crypto.Hash) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidRSAPSS)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { addAlg(b, hashOIDs[h], true) })
			b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(oidMGF1)
					addAlg(b, hashOIDs[h], true)
				})
			})
			b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(int64(h.Size())) })
		})
	})
}

// essCertIDv2 is a SigningCertificateV2 value naming cert by its SHA-256
// (the default hash, left implicit) and issuer and serial (RFC 5035).
func essCertIDv2(cert *x509.Certificate) []byte {
	return der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1OctetString(Sum(crypto.SHA256, cert.Raw))
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddBytes(cert.RawIssuer)
							})
						})
						b.AddASN1BigInt(cert.SerialNumber)
					})
				})
			})
		})
	})
}

// TSA is a time-stamping authority: its certificate (with the critical
// id-kp-timeStamping extended key usage of RFC 3161 §2.3, see
// TimestampingCertOption), its key and the certificates put in its tokens
// (the TSA's own is always included).
type TSA struct {
	Cert         *x509.Certificate
	Key          crypto.Signer
	Certificates []*x509.Certificate
	// Hash is the imprint and signer digest algorithm; zero means SHA-256.
	Hash crypto.Hash
	// SignerHash, when set, is the token signature's digest algorithm
	// instead of Hash (to test the two apart).
	SignerHash crypto.Hash
}

// Token returns an RFC 3161 TimeStampToken (RFC 3161 §2.4.2) with
// genTime at over the concatenation of data.
func (t TSA) Token(at time.Time, data ...[]byte) ([]byte, error) {
	if t.Cert == nil || t.Key == nil {
		return nil, errors.New("testsign: TSA without certificate or key")
	}
	h := t.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	info := der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			b.AddASN1ObjectIdentifier(oidTSAPolicy)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addAlg(b, hashOIDs[h], true)
				b.AddASN1OctetString(Sum(h, data...))
			})
			b.AddASN1BigInt(big.NewInt(at.UnixNano()))
			b.AddASN1GeneralizedTime(at.UTC().Truncate(time.Second))
		})
	})
	certs := append([]*x509.Certificate{t.Cert}, t.Certificates...)
	st := at
	sh := h
	if t.SignerHash != 0 {
		sh = t.SignerHash
	}
	return CMS{
		Content:      info,
		ContentType:  oidTSTInfo,
		Certificates: certs,
		Signers:      []Signer{{Cert: t.Cert, Key: t.Key, Hash: sh, SigningTime: &st}},
	}.Build()
}

// SignatureTimestamp returns a Signer.Timestamp function: a token of t at
// the given time over the signature value.
func (t TSA) SignatureTimestamp(at time.Time) func([]byte) ([]byte, error) {
	return func(sig []byte) ([]byte, error) { return t.Token(at, sig) }
}
