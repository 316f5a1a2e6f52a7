package xmldsig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrMalformed says the input is not a document this package will read:
// not well-formed XML 1.0 with namespaces, a document type declaration or
// any other markup declaration (DTDs and entities are refused outright, not
// processed), an encoding other than UTF-8, or more depth, elements or
// namespace declarations than Options allow. The caller answers 400
// malformed_document. A broken signature inside a well-formed document is
// never ErrMalformed: it is that signature's signed.Malformed.
var ErrMalformed = errors.New("xmldsig: malformed document")

// ErrTooLarge says the input is longer than Options.MaxBytes. The caller
// normally refuses such a body (413) before calling Verify; Verify checks
// again so that it never builds a tree for more than it was told to accept.
var ErrTooLarge = errors.New("xmldsig: document too large")

// Limits applied when an Options field is zero or negative.
const (
	DefaultMaxDepth      = 256
	DefaultMaxSignatures = 32
	DefaultMaxReferences = 64
	DefaultMaxElements   = 1_000_000
)

// maxNamespacesInScope bounds the namespace bindings in scope at any
// element (declarations on the element and its ancestors that change a
// binding; repeating a binding already in scope does not count). Lookups
// walk that list, so without a bound a few thousand declarations near the
// root would make every name below cost thousands of comparisons. Real
// documents have a handful.
const maxNamespacesInScope = 128

// maxAttributes bounds the attributes (namespace declarations included) of
// one element: attribute uniqueness is checked pairwise.
const maxAttributes = 256

// Options bounds the work Verify does on one document. The zero value
// uses the defaults above and no byte limit.
type Options struct {
	// MaxBytes, when positive, refuses longer input with ErrTooLarge. The
	// caller enforces the body size first (max_body_bytes → 413).
	MaxBytes int64
	// MaxDepth is the deepest element nesting accepted (root = 1); deeper
	// input is ErrMalformed. Default 256.
	MaxDepth int
	// MaxSignatures is the most ds:Signature elements verified in one
	// document; more is ErrMalformed. Default 32.
	MaxSignatures int
	// MaxReferences is the most ds:Reference elements in one SignedInfo;
	// more makes that signature signed.Malformed. Default 64.
	MaxReferences int
	// MaxElements is the most elements, comments and processing
	// instructions in the document; more is ErrMalformed. Default 1,000,000. It also sets the canonicalization
	// budget of the whole call (see budget in verify.go).
	MaxElements int
}

func (o Options) withDefaults() Options {
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxSignatures <= 0 {
		o.MaxSignatures = DefaultMaxSignatures
	}
	if o.MaxReferences <= 0 {
		o.MaxReferences = DefaultMaxReferences
	}
	if o.MaxElements <= 0 {
		o.MaxElements = DefaultMaxElements
	}
	return o
}

// malformed wraps ErrMalformed with a reason.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// parse reads data into a tree in one pass with encoding/xml, enforcing
// the limits of opts as it goes, so hostile input costs at most the limit
// before it is refused. It refuses every markup declaration (<!DOCTYPE …>
// and friends): encoding/xml would not expand a DTD's entities anyway, but
// nothing here should depend on that.
func parse(data []byte, opts Options) (*document, error) {
	// A UTF-8 byte order mark is allowed before the XML declaration
	// (Windows tools write one); encoding/xml would see it as text.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = utf8Only

	doc := &document{ids: map[string]*node{}, dupIDs: map[string]bool{}}
	var cur *node // innermost open element; nil outside the root
	// text collects adjacent character data (text, CDATA sections) of cur
	// so that a long alternation of both costs linear time.
	var text []byte
	names := map[string]int{} // scratch for numberChildren
	depth := 0
	for first := true; ; first = false {
		start := dec.InputOffset()
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, malformed("%v", err)
		}
		if _, ok := tok.(xml.CharData); !ok && len(text) > 0 {
			cur.children = append(cur.children, &node{kind: textNode, parent: cur, text: string(text)})
			text = text[:0]
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cur == nil && doc.root != nil {
				return nil, malformed("content after the root element")
			}
			depth++
			if depth > opts.MaxDepth {
				return nil, malformed("elements nested deeper than %d", opts.MaxDepth)
			}
			doc.elements++
			if doc.elements > opts.MaxElements {
				return nil, malformed("more than %d elements", opts.MaxElements)
			}
			normalizeAttrs(data[start:dec.InputOffset()], t.Attr)
			el, err := newElement(doc, cur, t)
			if err != nil {
				return nil, err
			}
			if cur == nil {
				doc.root = el
			} else {
				cur.children = append(cur.children, el)
			}
			cur = el
		case xml.EndElement:
			if cur == nil || t.Name.Space != cur.prefix || t.Name.Local != cur.local {
				return nil, malformed("unexpected end tag %s", qname(t.Name.Space, t.Name.Local))
			}
			numberChildren(cur, names)
			cur = cur.parent
			depth--
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimLeft(t, " \t\r\n")) != 0 {
					return nil, malformed("text outside the root element")
				}
				continue
			}
			text = append(text, t...)
		case xml.Comment:
			if doc.elements++; doc.elements > opts.MaxElements {
				return nil, malformed("more than %d elements", opts.MaxElements)
			}
			addMisc(doc, cur, &node{kind: commentNode, text: string(t)})
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") {
				if !first || t.Target != "xml" {
					return nil, malformed("misplaced XML declaration")
				}
				continue
			}
			if doc.elements++; doc.elements > opts.MaxElements {
				return nil, malformed("more than %d elements", opts.MaxElements)
			}
			addMisc(doc, cur, &node{kind: piNode, local: t.Target, text: string(t.Inst)})
		case xml.Directive:
			return nil, malformed("document type and markup declarations are refused")
		}
	}
	if doc.root == nil {
		return nil, malformed("no root element")
	}
	if cur != nil {
		return nil, malformed("unclosed element %s", qname(cur.prefix, cur.local))
	}
	return doc, nil
}

// utf8Only is the decoder's CharsetReader: the document may say it is
// UTF-8 (or US-ASCII, a subset), and nothing else is converted.
func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (UTF-8 only)", charset)
}

// newElement builds the element for t under parent: it splits namespace
// declarations from attributes, resolves prefixes, refuses duplicate
// attributes and indexes ID-like attributes.
func newElement(doc *document, parent *node, t xml.StartElement) (*node, error) {
	if len(t.Attr) > maxAttributes {
		return nil, malformed("more than %d attributes on one element", maxAttributes)
	}
	el := &node{kind: elementNode, parent: parent, prefix: t.Name.Space, local: t.Name.Local}
	if parent != nil {
		el.scope = parent.scope
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if err := checkDecl(a.Name.Local, a.Value); err != nil {
				return nil, err
			}
			el.decls = append(el.decls, nsDecl{a.Name.Local, a.Value})
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			if a.Value == xmlNS || a.Value == xmlnsNS {
				return nil, malformed("reserved namespace name as the default namespace")
			}
			el.decls = append(el.decls, nsDecl{"", a.Value})
		default:
			el.attrs = append(el.attrs, attr{prefix: a.Name.Space, local: a.Name.Local, value: a.Value})
		}
	}
	if duplicate(len(el.decls), func(i int) [2]string { return [2]string{el.decls[i].prefix} }) {
		return nil, malformed("duplicate namespace declaration")
	}
	for _, d := range el.decls {
		if uri, bound := el.scope.lookup(d.prefix); bound && uri == d.uri {
			continue // redundant: the binding is already in scope
		}
		n := 1
		if el.scope != nil {
			n = el.scope.n + 1
		}
		if n > maxNamespacesInScope {
			return nil, malformed("more than %d namespace declarations in scope", maxNamespacesInScope)
		}
		el.scope = &nsScope{nsDecl: d, next: el.scope, n: n}
	}
	if el.prefix == "xmlns" {
		return nil, malformed("element with the xmlns prefix")
	}
	ns, ok := el.scope.lookup(el.prefix)
	if !ok {
		return nil, malformed("undeclared namespace prefix %q", el.prefix)
	}
	el.ns = ns
	for i := range el.attrs {
		a := &el.attrs[i]
		if a.prefix != "" {
			if a.ns, ok = el.scope.lookup(a.prefix); !ok {
				return nil, malformed("undeclared namespace prefix %q", a.prefix)
			}
		}
		if (a.ns == "" && isIDName(a.local)) || (a.ns == xmlNS && a.local == "id") {
			indexID(doc, el, a.value)
		}
	}
	// Attributes are unique by namespace name and local name (Namespaces
	// in XML §6.3), which also catches a name written twice.
	if duplicate(len(el.attrs), func(i int) [2]string { return [2]string{el.attrs[i].ns, el.attrs[i].local} }) {
		return nil, malformed("duplicate attribute")
	}
	if el.ns == dsigNS && el.local == "Signature" {
		doc.signatures = append(doc.signatures, el)
	}
	return el, nil
}

// numberChildren sets pos and indexed on the child elements of el, once
// el is complete; names is scratch space, left empty.
func numberChildren(el *node, names map[string]int) {
	var kids int
	for _, ch := range el.children {
		if ch.kind == elementNode {
			kids++
			names[ch.local]++
			ch.pos = names[ch.local]
		}
	}
	if kids > 1 {
		for _, ch := range el.children {
			if ch.kind == elementNode && names[ch.local] > 1 {
				ch.indexed = true
			}
		}
	}
	clear(names)
}

// duplicate reports whether two of the n keys are equal: pairwise for the
// few attributes elements usually have, with a set beyond.
func duplicate(n int, key func(int) [2]string) bool {
	if n <= 16 {
		for i := 1; i < n; i++ {
			for j := range i {
				if key(i) == key(j) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[[2]string]bool, n)
	for i := range n {
		if seen[key(i)] {
			return true
		}
		seen[key(i)] = true
	}
	return false
}

// checkDecl refuses the declarations the Namespaces recommendation forbids:
// undeclaring a prefix (XML 1.0 has no such thing), rebinding xml or
// xmlns, or binding another prefix to their names.
func checkDecl(prefix, uri string) error {
	switch {
	case prefix == "xmlns":
		return malformed("declaration of the xmlns prefix")
	case prefix == "xml" && uri != xmlNS, prefix != "xml" && uri == xmlNS:
		return malformed("the xml prefix and its namespace name are reserved")
	case uri == xmlnsNS:
		return malformed("the xmlns namespace name is reserved")
	case uri == "":
		return malformed("empty namespace name for prefix %q", prefix)
	}
	return nil
}

// isIDName reports whether an unqualified attribute name is one that
// Vietnamese vendors use as an ID: without a DTD or schema no attribute is
// an ID by type, so the names are fixed here.
func isIDName(local string) bool {
	return local == "Id" || local == "ID" || local == "id"
}

// indexID records that el carries the ID value v. A value carried by two
// elements is remembered as duplicate: a reference to it could pick either
// one, which is how signature-wrapping attacks work.
func indexID(doc *document, el *node, v string) {
	if prev, ok := doc.ids[v]; ok && prev != el {
		doc.dupIDs[v] = true
		return
	}
	doc.ids[v] = el
}

// addMisc adds a comment or processing instruction inside the current
// element, or before or after the root element.
func addMisc(doc *document, cur, n *node) {
	switch {
	case cur != nil:
		n.parent = cur
		cur.children = append(cur.children, n)
	case doc.root == nil:
		doc.before = append(doc.before, n)
	default:
		doc.after = append(doc.after, n)
	}
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}
