package xmldsig

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/lienthong/lienthong/validate/signed"
)

// envelopedURI is the enveloped-signature transform (XMLDSig 1.1 §6.6.4).
const envelopedURI = dsigNS + "enveloped-signature"

// maxTransforms bounds the Transform elements of one Reference; real
// references have one or two.
const maxTransforms = 8

// reference is one ds:Reference, dereferenced against the parsed tree.
// What it digests is the subtree of apex (the whole document when apex is
// nil) without the subtree of exclude, canonicalized with method.
type reference struct {
	index   int // 1-based, as people count
	uri     string
	apex    *node
	exclude *node
	method  c14nMethod
	hash    crypto.Hash
	digest  []byte
}

// refProblem is why a Reference cannot be checked: its Integrity
// (Malformed, or NoSignedData when what it names is not in the document)
// and a sentence for people.
type refProblem struct {
	integrity signed.Integrity
	text      string
}

func (p *refProblem) Error() string { return p.text }

// parseReference reads the Reference element el of the Signature sig
// (XMLDSig 1.1 §4.4.3): its URI, which it resolves in doc, its transforms
// and its digest. Only same-document references are supported: "" (the
// whole document, §4.4.3.2) and "#id" (the element whose Id, ID, id or
// xml:id attribute is id). An id carried by two elements is refused, the
// defence against signature wrapping: the element digested here must be
// the one a reader of the document takes as signed.
func parseReference(doc *document, sig, el *node, index int) (*reference, *refProblem) {
	bad := func(format string, args ...any) *refProblem {
		return &refProblem{signed.Malformed, fmt.Sprintf("reference %d: ", index) + fmt.Sprintf(format, args...)}
	}
	ref := &reference{index: index}
	kids := elementChildren(el)
	if len(kids) > 0 && isDS(kids[0], "Transforms") {
		if err := ref.readTransforms(kids[0], sig); err != nil {
			return nil, bad("%v", err)
		}
		kids = kids[1:]
	} else {
		ref.method = c14nMethod{} // §4.4.3.2: node-sets become octets by Canonical XML 1.0
	}
	if len(kids) != 2 || !isDS(kids[0], "DigestMethod") || !isDS(kids[1], "DigestValue") {
		return nil, bad("expected Transforms?, DigestMethod, DigestValue")
	}
	alg := attrValue(kids[0], "Algorithm")
	var ok bool
	if ref.hash, ok = digestMethodFor(alg); !ok {
		return nil, bad("unsupported digest method %q", alg)
	}
	text, err := textContent(kids[1])
	if err != nil {
		return nil, bad("DigestValue: %v", err)
	}
	if ref.digest, err = decodeBase64(text); err != nil {
		return nil, bad("DigestValue is not base64")
	}
	if len(ref.digest) != ref.hash.Size() {
		return nil, bad("DigestValue has %d bytes, %v digests have %d", len(ref.digest), ref.hash, ref.hash.Size())
	}

	uri, present := attr2(el, "URI")
	ref.uri = uri
	switch {
	case !present:
		return nil, &refProblem{signed.NoSignedData, fmt.Sprintf("reference %d has no URI: the signed data is not identified", index)}
	case uri == "":
		ref.apex = nil // the whole document
	case strings.HasPrefix(uri, "#xpointer("):
		return nil, bad("XPointer references are not supported")
	case strings.HasPrefix(uri, "#"):
		id := uri[1:]
		if doc.dupIDs[id] {
			return nil, bad("id %q is carried by more than one element (refused: signature wrapping)", id)
		}
		target := doc.ids[id]
		if target == nil {
			return nil, &refProblem{signed.NoSignedData, fmt.Sprintf("reference %d: no element has id %q", index, id)}
		}
		ref.apex = target
	default:
		return nil, &refProblem{signed.NoSignedData, fmt.Sprintf("reference %d points outside the document", index)}
	}
	return ref, nil
}

// readTransforms reads a Transforms element. Supported chains are an
// optional enveloped-signature transform followed by at most one
// canonicalization, which must come last: anything after it would need the
// octets parsed again. XPath, XSLT and base64 transforms are refused.
// Comments are never kept: "" and "#id" select node-sets without comments
// (§4.4.3.3), so a #WithComments transform has nothing more to keep.
func (ref *reference) readTransforms(transforms, sig *node) error {
	list := elementChildren(transforms)
	if len(list) == 0 || len(list) > maxTransforms {
		return fmt.Errorf("%d transforms (1 to %d expected)", len(list), maxTransforms)
	}
	canonicalized := false
	for _, tr := range list {
		if !isDS(tr, "Transform") {
			return fmt.Errorf("unexpected element %s in Transforms", tr.local)
		}
		if canonicalized {
			return errors.New("transform after canonicalization")
		}
		alg := attrValue(tr, "Algorithm")
		if alg == envelopedURI {
			ref.exclude = sig
			continue
		}
		m, ok := c14nMethodFor(alg)
		if !ok {
			return fmt.Errorf("unsupported transform %q", alg)
		}
		if m.exclusive {
			m.prefixes = inclusivePrefixes(tr)
		}
		m.comments = false
		ref.method = m
		canonicalized = true
	}
	return nil
}

// digestKey identifies the octets a reference digests, so that several
// references to the same data (a seller's and the tax authority's
// signatures over the same invoice) are canonicalized once.
type digestKey struct {
	apex, exclude  *node
	exclusive, v11 bool
	prefixes       string
	hash           crypto.Hash
}

// check canonicalizes what ref names and reports whether its digest
// matches. It returns errBudget when the call's work budget is spent.
func (v *verifier) check(ref *reference) (bool, error) {
	exclude := ref.exclude
	if exclude != nil && !contains(ref.apex, exclude) {
		exclude = nil // the signature is not inside: nothing to remove
	}
	key := digestKey{ref.apex, exclude, ref.method.exclusive, ref.method.v11,
		strings.Join(ref.method.prefixes, " "), ref.hash}
	sum, ok := v.digests[key]
	if !ok {
		h := ref.hash.New()
		if err := canonicalize(h, v.doc, ref.apex, exclude, ref.method, &v.budget); err != nil {
			return false, err
		}
		sum = h.Sum(nil)
		v.digests[key] = sum
	}
	return bytes.Equal(sum, ref.digest), nil
}

// covers reports whether the element n is in what ref digests.
func (ref *reference) covers(n *node) bool {
	return contains(ref.apex, n) && (ref.exclude == nil || !contains(ref.exclude, n))
}

// contains reports whether n is anc or below it; a nil anc stands for the
// whole document.
func contains(anc, n *node) bool {
	if anc == nil {
		return true
	}
	for ; n != nil; n = n.parent {
		if n == anc {
			return true
		}
	}
	return false
}

// coverage says what the references of a signature cover, for the report:
// "whole_document" when one of them digests the root element (everything
// but the signature itself), else "partial" and the paths of the signed
// elements.
func coverage(refs []*reference) (string, string) {
	var paths []string
	for _, r := range refs {
		if r.apex == nil || r.apex.parent == nil {
			return "whole_document", ""
		}
		paths = append(paths, elementPath(r.apex))
	}
	return "partial", "signed elements: " + strings.Join(paths, ", ")
}
