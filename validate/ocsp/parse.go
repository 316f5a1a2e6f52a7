package ocspcheck

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/lienthong/lienthong/trust"
)

// The ASN.1 structures of RFC 6960 §4.2.1 that Verify needs. x/crypto/ocsp
// has its own but does not export them, and its Response hides what a
// careful client must check: the CertID's issuer hashes, every
// SingleResponse (not only the first with a matching serial), every
// embedded certificate and the responderID's kind. So Verify parses the
// response itself with encoding/asn1, as x/crypto/ocsp does, and uses that
// package for requests and status constants only.

type ocspResponse struct {
	Status   asn1.Enumerated
	Response responseBytes `asn1:"explicit,tag:0,optional"`
}

type responseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type basicResponse struct {
	TBSResponseData    asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type responseData struct {
	Version            int `asn1:"optional,default:0,explicit,tag:0"`
	ResponderID        asn1.RawValue
	ProducedAt         time.Time `asn1:"generalized"`
	Responses          []singleResponse
	ResponseExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type singleResponse struct {
	CertID           certID
	CertStatus       asn1.RawValue    // CHOICE good [0], revoked [1], unknown [2]
	ThisUpdate       time.Time        `asn1:"generalized"`
	NextUpdate       time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	SingleExtensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type certID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

type revokedInfo struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

var (
	oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidNonce     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
)

// maxEmbeddedCerts bounds how many certificates of the response's certs
// field are parsed and tried as signer, so that a hostile response cannot
// make one Verify parse thousands of certificates. Real responders send
// one (RFC 6960 §4.2.2.2), sometimes with its chain.
const maxEmbeddedCerts = 4

// parsed is a successful BasicOCSPResponse, signature not yet checked.
type parsed struct {
	tbs         []byte // DER of tbsResponseData, what the signature covers
	data        responseData
	sigAlg      x509.SignatureAlgorithm
	signature   []byte
	certs       []*x509.Certificate // parseable embedded certs, in order
	responderID asn1.RawValue
}

// parse decodes der down to the signed data. A non-successful
// responseStatus is a *ResponderError, anything else that is wrong
// ErrMalformed.
func parse(der []byte) (*parsed, error) {
	var resp ocspResponse
	if rest, err := asn1.Unmarshal(der, &resp); err != nil {
		return nil, malformed("%v", err)
	} else if len(rest) > 0 {
		return nil, malformed("trailing data after OCSPResponse")
	}
	if st := ocsp.ResponseStatus(resp.Status); st != ocsp.Success {
		return nil, &ResponderError{Status: st}
	}
	if !resp.Response.ResponseType.Equal(oidOCSPBasic) {
		return nil, malformed("response type %v is not id-pkix-ocsp-basic", resp.Response.ResponseType)
	}
	var basic basicResponse
	if rest, err := asn1.Unmarshal(resp.Response.Response, &basic); err != nil {
		return nil, malformed("BasicOCSPResponse: %v", err)
	} else if len(rest) > 0 {
		return nil, malformed("trailing data after BasicOCSPResponse")
	}
	p := &parsed{tbs: basic.TBSResponseData.FullBytes, signature: basic.Signature.RightAlign()}
	if rest, err := asn1.Unmarshal(p.tbs, &p.data); err != nil {
		return nil, malformed("ResponseData: %v", err)
	} else if len(rest) > 0 {
		return nil, malformed("trailing data after ResponseData")
	}
	if p.data.Version != 0 {
		return nil, malformed("ResponseData version %d, want v1 (0)", p.data.Version)
	}
	if len(p.data.Responses) == 0 {
		return nil, malformed("no SingleResponse")
	}
	if err := checkExtensions(p.data.ResponseExtensions); err != nil {
		return nil, err
	}
	rid := p.data.ResponderID
	if rid.Class != asn1.ClassContextSpecific || (rid.Tag != 1 && rid.Tag != 2) {
		return nil, malformed("responderID has tag [%d], want [1] byName or [2] byKey", rid.Tag)
	}
	p.responderID = rid
	var err error
	if p.sigAlg, err = signatureAlgorithm(basic.SignatureAlgorithm); err != nil {
		return nil, err
	}
	for i, raw := range basic.Certificates {
		if i == maxEmbeddedCerts {
			break
		}
		// An unparseable extra certificate is skipped, not fatal: when the
		// issuer signed, the certs field does not matter.
		if c, err := x509.ParseCertificate(raw.FullBytes); err == nil {
			p.certs = append(p.certs, c)
		}
	}
	return p, nil
}

// checkExtensions refuses critical extensions Verify does not understand,
// as RFC 5280 §4.2 asks of certificate extensions. The only response
// extension it knows is the nonce, which it does not send and so ignores.
func checkExtensions(exts []pkix.Extension) error {
	for _, e := range exts {
		if e.Critical && !e.Id.Equal(oidNonce) {
			return malformed("unsupported critical extension %v", e.Id)
		}
	}
	return nil
}

// certStatus decodes the CertStatus CHOICE of s.
func certStatus(s *singleResponse) (Status, time.Time, int, error) {
	cs := s.CertStatus
	if cs.Class != asn1.ClassContextSpecific {
		return 0, time.Time{}, 0, malformed("certStatus is not a context-specific CHOICE")
	}
	switch cs.Tag {
	case 0:
		if cs.IsCompound || len(cs.Bytes) != 0 {
			return 0, time.Time{}, 0, malformed("certStatus good is not NULL")
		}
		return Good, time.Time{}, 0, nil
	case 2:
		if cs.IsCompound || len(cs.Bytes) != 0 {
			return 0, time.Time{}, 0, malformed("certStatus unknown is not NULL")
		}
		return Unknown, time.Time{}, 0, nil
	case 1:
		var ri revokedInfo
		if rest, err := asn1.UnmarshalWithParams(cs.FullBytes, &ri, "tag:1"); err != nil {
			return 0, time.Time{}, 0, malformed("RevokedInfo: %v", err)
		} else if len(rest) > 0 {
			return 0, time.Time{}, 0, malformed("trailing data after RevokedInfo")
		}
		return Revoked, ri.RevocationTime, int(ri.Reason), nil
	}
	return 0, time.Time{}, 0, malformed("certStatus has tag [%d]", cs.Tag)
}

// certIDHash is the CertID hash algorithm (RFC 6960 §4.1.1, RFC 5019),
// 0 when Verify cannot recompute it; MD5 is not accepted.
func certIDHash(alg pkix.AlgorithmIdentifier) crypto.Hash {
	if h := trust.HashOf(alg.Algorithm); h != crypto.MD5 {
		return h
	}
	return 0
}

// spkiBits returns the contents of the subjectPublicKey BIT STRING of a DER
// SubjectPublicKeyInfo: what the CertID's issuerKeyHash and the byKey
// responderID hash (RFC 6960 §4.1.1, §4.2.1).
func spkiBits(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, err
	}
	return info.PublicKey.RightAlign(), nil
}
