package cms_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/test/testpki"
	"github.com/lienthong/lienthong/test/testsign"
)

// A small CMS SignedData builder for tests (RFC 5652), written with
// cryptobyte so that each test can break exactly one thing. digitorus/pkcs7
// cannot sign with RSASSA-PSS, by subject key identifier, without
// signingTime = time.Now() or with wrong attributes.

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCert   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTimestampAttr = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECDSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidTSAPolicy     = asn1.ObjectIdentifier{1, 2, 3, 4, 1}
)

// attr is an Attribute with the DER of its values.
type attr struct {
	oid    asn1.ObjectIdentifier
	values [][]byte
}

// signerSpec describes one SignerInfo.
type signerSpec struct {
	cert *x509.Certificate
	key  crypto.Signer
	hash crypto.Hash // digestAlgorithm; default SHA-256
	pss  bool
	// pssSalt is the salt length used (default the hash size);
	// pssDeclared the one written in the parameters (default pssSalt).
	pssSalt, pssDeclared int
	// unsorted keeps the signed attributes out of DER SET OF order, as
	// some signers do: the signature is over the bytes as sent.
	unsorted bool
	// sigOID overrides the signatureAlgorithm (rsaEncryption or
	// ecdsa-with-<hash> by default); digestOID the digestAlgorithm.
	sigOID, digestOID asn1.ObjectIdentifier
	noAttrs           bool
	useSKI            bool
	ski               []byte // the subjectKeyIdentifier used; default cert.SubjectKeyId
	signingTime       *time.Time
	// essV1 / essV2 add ESS signingCertificate(V2) naming that cert;
	// essV2Hash is the V2 hash (SHA-256, the default, is left implicit).
	essV1, essV2   *x509.Certificate
	essV2Hash      crypto.Hash
	contentType    asn1.ObjectIdentifier // content-type attribute; default eContentType
	noDigestAttr   bool
	digestOverride []byte
	extraSigned    []attr
	// unsigned builds unsigned attributes from the signature value.
	unsigned  func(sig []byte) []attr
	tamperSig bool
}

// cmsSpec describes a ContentInfo(SignedData).
type cmsSpec struct {
	content      []byte
	detached     bool
	eContentType asn1.ObjectIdentifier // default id-data
	// rawContent encodes the content directly in [0], as PKCS #7 allows
	// for non-data types, instead of in an OCTET STRING: it must be one
	// DER element, and content must be its value octets.
	rawContent []byte
	certs      [][]byte
	signers    []signerSpec
}

func ders(certs ...*x509.Certificate) [][]byte {
	var out [][]byte
	for _, c := range certs {
		out = append(out, c.Raw)
	}
	return out
}

// cryptobyteBuilder keeps test tables short.
type cryptobyteBuilder = cryptobyte.Builder

func addOID(b *cryptobyte.Builder, oid asn1.ObjectIdentifier) { b.AddASN1ObjectIdentifier(oid) }

func addAlg(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addOID(b, oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

func mustBytes(tb testing.TB, b *cryptobyte.Builder) []byte {
	tb.Helper()
	out, err := b.Bytes()
	if err != nil {
		tb.Fatalf("building DER: %v", err)
	}
	return out
}

// encodeAttr returns the DER of an Attribute.
func encodeAttr(tb testing.TB, a attr) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		addOID(b, a.oid)
		b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
			for _, v := range a.values {
				b.AddBytes(v)
			}
		})
	})
	return mustBytes(tb, &b)
}

func der(tb testing.TB, f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return mustBytes(tb, &b)
}

// essAttr builds a signingCertificate (v2 false, SHA-1) or
// signingCertificateV2 value naming cert.
func essAttr(tb testing.TB, cert *x509.Certificate, v2 bool, h crypto.Hash) attr {
	if !v2 {
		h = crypto.SHA1
	} else if h == 0 {
		h = crypto.SHA256
	}
	v := der(tb, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					if v2 && h != crypto.SHA256 {
						addAlg(b, testsign.DigestAlgorithmOID(h), true)
					}
					b.AddASN1OctetString(testsign.Sum(h, cert.Raw))
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
	oid := oidSigningCert
	if v2 {
		oid = oidSigningCertV2
	}
	return attr{oid, [][]byte{v}}
}

// signerInfo builds one SignerInfo over content of type ct.
func (s signerSpec) build(tb testing.TB, ct asn1.ObjectIdentifier, content []byte) []byte {
	tb.Helper()
	h := s.hash
	if h == 0 {
		h = crypto.SHA256
	}
	digest := testsign.Sum(h, content)
	var signedSet []byte
	if !s.noAttrs {
		attrs := []attr{}
		cta := ct
		if s.contentType != nil {
			cta = s.contentType
		}
		attrs = append(attrs, attr{oidContentType, [][]byte{der(tb, func(b *cryptobyte.Builder) { addOID(b, cta) })}})
		if !s.noDigestAttr {
			md := digest
			if s.digestOverride != nil {
				md = s.digestOverride
			}
			attrs = append(attrs, attr{oidMessageDigest, [][]byte{der(tb, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md) })}})
		}
		if s.signingTime != nil {
			attrs = append(attrs, attr{oidSigningTime, [][]byte{der(tb, func(b *cryptobyte.Builder) { b.AddASN1UTCTime(*s.signingTime) })}})
		}
		if s.essV1 != nil {
			attrs = append(attrs, essAttr(tb, s.essV1, false, 0))
		}
		if s.essV2 != nil {
			attrs = append(attrs, essAttr(tb, s.essV2, true, s.essV2Hash))
		}
		attrs = append(attrs, s.extraSigned...)
		var enc [][]byte
		for _, a := range attrs {
			enc = append(enc, encodeAttr(tb, a))
		}
		slices.SortFunc(enc, bytes.Compare) // DER SET OF order
		if s.unsorted {
			slices.Reverse(enc)
		}
		signedSet = der(tb, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
				for _, e := range enc {
					b.AddBytes(e)
				}
			})
		})
	}
	toSign := digest
	if signedSet != nil {
		toSign = testsign.Sum(h, signedSet)
	}
	salt := s.pssSalt
	if salt == 0 {
		salt = h.Size()
	}
	declared := s.pssDeclared
	if declared == 0 {
		declared = salt
	}
	var opts crypto.SignerOpts = h
	_, isEd := s.key.Public().(ed25519.PublicKey)
	switch {
	case s.pss:
		opts = &rsa.PSSOptions{SaltLength: salt, Hash: h}
	case isEd: // RFC 8419: pure Ed25519 over the message itself
		opts, toSign = crypto.Hash(0), content
		if signedSet != nil {
			toSign = signedSet
		}
	}
	sig, err := s.key.Sign(rand.Reader, toSign, opts)
	if err != nil {
		tb.Fatalf("signing: %v", err)
	}
	if s.tamperSig {
		sig[len(sig)/2] ^= 0x01
	}
	var unsigned []attr
	if s.unsigned != nil {
		unsigned = s.unsigned(sig)
	}
	return der(tb, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if s.useSKI {
				b.AddASN1Int64(3)
				ski := s.ski
				if ski == nil {
					ski = s.cert.SubjectKeyId
				}
				b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(ski) })
			} else {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddBytes(s.cert.RawIssuer)
					b.AddASN1BigInt(s.cert.SerialNumber)
				})
			}
			dOID := testsign.DigestAlgorithmOID(h)
			if s.digestOID != nil {
				dOID = s.digestOID
			}
			addAlg(b, dOID, true)
			if signedSet != nil {
				b.AddBytes(append([]byte{0xa0}, signedSet[1:]...))
			}
			switch {
			case s.sigOID != nil:
				addAlg(b, s.sigOID, false)
			case s.pss:
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					addOID(b, oidRSAPSS)
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { addAlg(b, testsign.DigestAlgorithmOID(h), true) })
						b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								addOID(b, oidMGF1)
								addAlg(b, testsign.DigestAlgorithmOID(h), true)
							})
						})
						b.AddASN1(cbasn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(int64(declared)) })
					})
				})
			default:
				if _, ok := s.key.Public().(*ecdsa.PublicKey); ok {
					addAlg(b, testsign.ECDSASignatureOID(h), false)
				} else if isEd {
					addAlg(b, oidEd25519, false)
				} else {
					addAlg(b, oidRSAEncryption, true)
				}
			}
			b.AddASN1OctetString(sig)
			if len(unsigned) > 0 {
				b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, a := range unsigned {
						b.AddBytes(encodeAttr(tb, a))
					}
				})
			}
		})
	})
}

// buildCMS returns the DER of a ContentInfo(SignedData).
func buildCMS(tb testing.TB, spec cmsSpec) []byte {
	tb.Helper()
	ct := spec.eContentType
	if ct == nil {
		ct = oidData
	}
	var sis [][]byte
	for _, s := range spec.signers {
		sis = append(sis, s.build(tb, ct, spec.content))
	}
	return der(tb, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addOID(b, oidSignedData)
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(3)
					b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
						addAlg(b, testsign.DigestAlgorithmOID(crypto.SHA256), true)
					})
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						addOID(b, ct)
						if !spec.detached {
							b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								if spec.rawContent != nil {
									b.AddBytes(spec.rawContent)
								} else {
									b.AddASN1OctetString(spec.content)
								}
							})
						}
					})
					if len(spec.certs) > 0 {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							for _, c := range spec.certs {
								b.AddBytes(c)
							}
						})
					}
					b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
						for _, si := range sis {
							b.AddBytes(si)
						}
					})
				})
			})
		})
	})
}

// tstSpec describes a TimeStampToken.
type tstSpec struct {
	tsa       *testpki.Leaf
	hash      crypto.Hash // imprint hash; default SHA-256
	imprint   []byte      // the hashed message
	genTime   string      // GeneralizedTime text; default 20260301100000.125Z
	nonce     *big.Int
	tamperSig bool
	essV2     *x509.Certificate // default tsa's certificate
}

// buildTSTInfo returns the DER of a TSTInfo (RFC 3161 §2.4.2) with
// accuracy, ordering, nonce and the tsa name.
func buildTSTInfo(tb testing.TB, s tstSpec) []byte {
	h := s.hash
	if h == 0 {
		h = crypto.SHA256
	}
	gt := s.genTime
	if gt == "" {
		gt = "20260301100000.125Z"
	}
	return der(tb, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			addOID(b, oidTSAPolicy)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				addAlg(b, testsign.DigestAlgorithmOID(h), true)
				b.AddASN1OctetString(s.imprint)
			})
			b.AddASN1Int64(4242)
			b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(gt)) })
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1Int64WithTag(500, cbasn1.Tag(0).ContextSpecific())
			})
			b.AddASN1Boolean(true)
			if s.nonce != nil {
				b.AddASN1BigInt(s.nonce)
			}
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddBytes(s.tsa.Cert.RawSubject)
				})
			})
		})
	})
}

// buildToken returns a TimeStampToken signed by s.tsa.
func buildToken(tb testing.TB, s tstSpec) []byte {
	ess := s.essV2
	if ess == nil {
		ess = s.tsa.Cert
	}
	return buildCMS(tb, cmsSpec{
		content:      buildTSTInfo(tb, s),
		eContentType: oidTSTInfo,
		certs:        ders(s.tsa.Cert),
		signers: []signerSpec{{cert: s.tsa.Cert, key: s.tsa.Key, essV2: ess, tamperSig: s.tamperSig,
			signingTime: &t0}},
	})
}

// fixture is a test PKI with signers of every key type.
type fixture struct {
	p                      *testpki.PKI
	rsa, p256, p384, other *testpki.Leaf
	ed25519                *testpki.Leaf
	tsa                    *testpki.Leaf
}

var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	p384Key = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	p, err := testpki.New(testpki.Options{Now: t0})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	ca := p.Public.CA
	leaf := func(cn string, opts ...testpki.CertOption) *testpki.Leaf {
		l, err := ca.IssueLeaf(pkix.Name{CommonName: cn, Country: []string{"VN"}}, opts...)
		if err != nil {
			tb.Fatal(err)
		}
		return l
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	ekuTS, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{
		p:       p,
		rsa:     leaf("NGUYEN VAN RSA", testpki.WithKey(rsaKey())),
		p256:    leaf("TRAN THI P256"),
		p384:    leaf("LE VAN P384", testpki.WithKey(p384Key())),
		other:   leaf("PHAM VAN KHAC"),
		ed25519: leaf("VO THI ED", testpki.WithKey(edKey)),
		tsa: leaf("Test TSA", testpki.WithMutate(func(c *x509.Certificate) {
			c.ExtKeyUsage = nil
			c.KeyUsage = x509.KeyUsageDigitalSignature
			c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{
				Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: ekuTS})
		})),
	}
}
