package xmldsig_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// This file is a small XML signer for tests only. It builds the Signature
// element with etree and canonicalizes with goxmldsig's canonicalizers, so
// the package under test (which has its own canonicalization) is checked
// against an independent implementation.

// Algorithm URIs used by the tests.
const (
	dsNS           = "http://www.w3.org/2000/09/xmldsig#"
	uriC14N10      = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	uriC14N10C     = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	uriC14N11      = "http://www.w3.org/2006/12/xml-c14n11"
	uriExcC14N     = "http://www.w3.org/2001/10/xml-exc-c14n#"
	uriExcC14NC    = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	uriEnveloped   = dsNS + "enveloped-signature"
	uriRSASHA1     = dsNS + "rsa-sha1"
	uriRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	uriECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	uriPSSSHA256   = "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"
	uriSHA1        = dsNS + "sha1"
	uriSHA256      = "http://www.w3.org/2001/04/xmlenc#sha256"
)

// sigSpec says how signInto builds one Signature element.
type sigSpec struct {
	id         string // Signature Id attribute; "" for none
	prefix     string // "" for a default-namespace Signature (the Vietnamese habit), else e.g. "ds"
	c14n       string // SignedInfo CanonicalizationMethod; "" = uriC14N10
	prefixList string // InclusiveNamespaces PrefixList of an exclusive SignedInfo c14n
	method     string // SignatureMethod; "" = uriRSASHA256
	digest     string // DigestMethod of every reference; "" = uriSHA256
	key        crypto.Signer
	certs      []*x509.Certificate // KeyInfo/X509Data/X509Certificate, in order
	keyValue   bool                // KeyInfo/KeyValue only (certs ignored)
	refs       []refSpec
	// signingTime, when set, adds Object/SignatureProperties/
	// SignatureProperty/SigningTime and a reference to the Object.
	signingTime string
	// commentInSignedInfo puts a comment inside SignedInfo (it counts only
	// for the #WithComments methods).
	commentInSignedInfo bool
}

// refSpec is one Reference.
type refSpec struct {
	uri        string
	enveloped  bool
	c14n       string // canonicalization transform; "" = none (C14N 1.0 by default)
	prefixList string
}

// signInto appends a Signature element to parent, signed over doc as it
// stands (the Object is in place before the digests are computed).
func signInto(t testing.TB, parent *etree.Element, spec sigSpec) *etree.Element {
	t.Helper()
	if spec.c14n == "" {
		spec.c14n = uriC14N10
	}
	if spec.method == "" {
		spec.method = uriRSASHA256
	}
	if spec.digest == "" {
		spec.digest = uriSHA256
	}
	q := func(local string) string {
		if spec.prefix == "" {
			return local
		}
		return spec.prefix + ":" + local
	}
	sig := parent.CreateElement(q("Signature"))
	if spec.prefix == "" {
		sig.CreateAttr("xmlns", dsNS)
	} else {
		sig.CreateAttr("xmlns:"+spec.prefix, dsNS)
	}
	if spec.id != "" {
		sig.CreateAttr("Id", spec.id)
	}
	si := sig.CreateElement(q("SignedInfo"))
	if spec.commentInSignedInfo {
		si.CreateComment(" comment inside SignedInfo ")
	}
	cm := si.CreateElement(q("CanonicalizationMethod"))
	cm.CreateAttr("Algorithm", spec.c14n)
	if spec.prefixList != "" {
		in := cm.CreateElement("ec:InclusiveNamespaces")
		in.CreateAttr("xmlns:ec", uriExcC14N)
		in.CreateAttr("PrefixList", spec.prefixList)
	}
	si.CreateElement(q("SignatureMethod")).CreateAttr("Algorithm", spec.method)
	sv := sig.CreateElement(q("SignatureValue"))
	ki := sig.CreateElement(q("KeyInfo"))
	if spec.keyValue {
		pub := spec.key.Public().(*rsa.PublicKey)
		rk := ki.CreateElement(q("KeyValue")).CreateElement(q("RSAKeyValue"))
		rk.CreateElement(q("Modulus")).SetText(base64.StdEncoding.EncodeToString(pub.N.Bytes()))
		rk.CreateElement(q("Exponent")).SetText(base64.StdEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()))
	} else {
		xd := ki.CreateElement(q("X509Data"))
		for _, c := range spec.certs {
			xd.CreateElement(q("X509Certificate")).SetText(base64.StdEncoding.EncodeToString(c.Raw))
		}
	}
	refs := spec.refs
	if spec.signingTime != "" {
		objID := "SigningTime-" + spec.id
		obj := sig.CreateElement(q("Object"))
		obj.CreateAttr("Id", objID)
		props := obj.CreateElement("SignatureProperties")
		props.CreateAttr("xmlns", "") // as Vietnamese software writes it
		prop := props.CreateElement("SignatureProperty")
		prop.CreateAttr("Target", "#"+spec.id)
		prop.CreateElement("SigningTime").SetText(spec.signingTime)
		refs = append(refs, refSpec{uri: "#" + objID})
	}
	for _, r := range refs {
		ref := si.CreateElement(q("Reference"))
		ref.CreateAttr("URI", r.uri)
		if r.enveloped || r.c14n != "" {
			trs := ref.CreateElement(q("Transforms"))
			if r.enveloped {
				trs.CreateElement(q("Transform")).CreateAttr("Algorithm", uriEnveloped)
			}
			if r.c14n != "" {
				tr := trs.CreateElement(q("Transform"))
				tr.CreateAttr("Algorithm", r.c14n)
				if r.prefixList != "" {
					in := tr.CreateElement("ec:InclusiveNamespaces")
					in.CreateAttr("xmlns:ec", uriExcC14N)
					in.CreateAttr("PrefixList", r.prefixList)
				}
			}
		}
		ref.CreateElement(q("DigestMethod")).CreateAttr("Algorithm", spec.digest)
		target := findByID(sig, r.uri)
		if target == nil {
			t.Fatalf("signer: no element for %q", r.uri)
		}
		var remove *etree.Element
		if r.enveloped {
			remove = sig
		}
		data := canonical(t, target, remove, r.c14n, r.prefixList)
		ref.CreateElement(q("DigestValue")).SetText(base64.StdEncoding.EncodeToString(digest(spec.digest, data)))
	}
	signedInfo := canonical(t, si, nil, spec.c14n, spec.prefixList)
	sv.SetText(base64.StdEncoding.EncodeToString(sign(t, spec.key, spec.method, signedInfo)))
	return sig
}

// findByID returns the root for "" and the element whose Id, ID or id is
// the fragment for "#x".
func findByID(from *etree.Element, uri string) *etree.Element {
	root := from // the root element, whose parent is the etree.Document's own element
	for root.Parent() != nil && root.Parent().Parent() != nil {
		root = root.Parent()
	}
	if uri == "" {
		return root
	}
	var walk func(e *etree.Element) *etree.Element
	walk = func(e *etree.Element) *etree.Element {
		for _, k := range []string{"Id", "ID", "id"} {
			if a := e.SelectAttr(k); a != nil && a.Space == "" && a.Value == uri[1:] {
				return e
			}
		}
		for _, ch := range e.ChildElements() {
			if f := walk(ch); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(root)
}

// canonical canonicalizes el in the context of its document with
// goxmldsig: el is detached with every namespace in scope declared on it
// (etreeutils.NSDetatch), remove (if inside el) is taken out of the copy,
// and the copy is canonicalized with the algorithm uri ("" = C14N 1.0).
func canonical(t testing.TB, el, remove *etree.Element, uri, prefixList string) []byte {
	t.Helper()
	var path []int
	for e := remove; e != nil && e != el; e = e.Parent() {
		path = append([]int{e.Index()}, path...)
		if e.Parent() == nil {
			path = nil // remove is not inside el
		}
	}
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		t.Fatal(err)
	}
	det, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		t.Fatal(err)
	}
	if len(path) > 0 {
		cur := det
		for _, i := range path[:len(path)-1] {
			cur = cur.Child[i].(*etree.Element)
		}
		cur.RemoveChildAt(path[len(path)-1])
	}
	var c dsig.Canonicalizer
	switch uri {
	case "", uriC14N10:
		c = dsig.MakeC14N10RecCanonicalizer()
	case uriC14N10C:
		c = dsig.MakeC14N10WithCommentsCanonicalizer()
	case uriC14N11:
		c = dsig.MakeC14N11Canonicalizer()
	case uriExcC14N:
		c = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList)
	case uriExcC14NC:
		c = dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(prefixList)
	default:
		t.Fatalf("signer: no canonicalizer for %s", uri)
	}
	out, err := c.Canonicalize(det)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func digest(uri string, data []byte) []byte {
	h := crypto.SHA256
	if uri == uriSHA1 {
		h = crypto.SHA1
	}
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

// sign signs data as the XMLDSig method uri says; ECDSA values are r||s.
func sign(t testing.TB, key crypto.Signer, uri string, data []byte) []byte {
	t.Helper()
	h := crypto.SHA256
	if uri == uriRSASHA1 {
		h = crypto.SHA1
	}
	d := h.New()
	d.Write(data)
	sum := d.Sum(nil)
	var opts crypto.SignerOpts = h
	if uri == uriPSSSHA256 {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	if k, ok := key.(*ecdsa.PrivateKey); ok {
		r, s, err := ecdsa.Sign(rand.Reader, k, sum)
		if err != nil {
			t.Fatal(err)
		}
		size := (k.Curve.Params().N.BitLen() + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
	sig, err := key.Sign(rand.Reader, sum, opts)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// serialize writes doc as bytes.
func serialize(t testing.TB, doc *etree.Document) []byte {
	t.Helper()
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
