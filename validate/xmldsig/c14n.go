package xmldsig

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"
)

// Canonicalization algorithm identifiers (XMLDSig 1.1 §6.5, RFC 6931).
const (
	c14n10URI             = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	c14n10CommentsURI     = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	c14n11URI             = "http://www.w3.org/2006/12/xml-c14n11"
	c14n11CommentsURI     = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
	excC14nURI            = "http://www.w3.org/2001/10/xml-exc-c14n#"
	excC14nCommentsURI    = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	inclusiveNamespacesNS = "http://www.w3.org/2001/10/xml-exc-c14n#"
)

// c14nMethod is one canonicalization algorithm with its parameters.
type c14nMethod struct {
	exclusive bool // Exclusive XML Canonicalization 1.0
	v11       bool // Canonical XML 1.1 (else 1.0)
	comments  bool // the #WithComments variant
	// prefixes is the exclusive InclusiveNamespaces PrefixList, "" standing
	// for #default.
	prefixes []string
}

// c14nMethodFor returns the method named by an Algorithm URI. The caller
// reads the exclusive PrefixList (see inclusivePrefixes).
func c14nMethodFor(uri string) (c14nMethod, bool) {
	switch uri {
	case c14n10URI:
		return c14nMethod{}, true
	case c14n10CommentsURI:
		return c14nMethod{comments: true}, true
	case c14n11URI:
		return c14nMethod{v11: true}, true
	case c14n11CommentsURI:
		return c14nMethod{v11: true, comments: true}, true
	case excC14nURI:
		return c14nMethod{exclusive: true}, true
	case excC14nCommentsURI:
		return c14nMethod{exclusive: true, comments: true}, true
	}
	return c14nMethod{}, false
}

// inclusivePrefixes reads the ec:InclusiveNamespaces PrefixList child of a
// CanonicalizationMethod or Transform element, "#default" becoming "".
func inclusivePrefixes(method *node) []string {
	var out []string
	for _, ch := range method.children {
		if ch.kind != elementNode || ch.ns != inclusiveNamespacesNS || ch.local != "InclusiveNamespaces" {
			continue
		}
		for _, p := range strings.Fields(attrValue(ch, "PrefixList")) {
			if p == "#default" {
				p = ""
			}
			out = append(out, p)
		}
	}
	return out
}

// errBudget stops canonicalization when the call's work budget is spent.
var errBudget = errors.New("canonicalization work limit reached")

// canonicalizer writes one node-set in canonical form. The node-sets this
// package needs are all of one shape: the subtree of apex (or the whole
// document), minus the subtree of exclude (the enveloped-signature
// transform), with or without comments. That shape lets the namespace
// rules of the three algorithms be applied per element without building
// XPath node-sets.
type canonicalizer struct {
	m       c14nMethod
	w       *bufio.Writer
	exclude *node
	budget  *int64
	// scratch space reused for each start tag (filled and written before
	// the recursion into children, so one buffer serves every level)
	nsBuf   []nsDecl
	attrBuf []attr
}

// canonicalize writes to w the canonical form (method m) of the subtree of
// apex, or of the whole document when apex is nil (Canonical XML §2.1:
// with the processing instructions and, when m keeps them, the comments
// outside the root element), leaving out the subtree of exclude. Every
// node visited takes one unit of *budget; errBudget is returned when it
// runs out.
func canonicalize(w io.Writer, doc *document, apex, exclude *node, m c14nMethod, budget *int64) error {
	c := &canonicalizer{m: m, w: bufio.NewWriterSize(w, 32<<10), exclude: exclude, budget: budget}
	if apex != nil {
		if err := c.element(apex, true, nil); err != nil {
			return err
		}
		return c.w.Flush()
	}
	for _, n := range doc.before {
		if c.misc(n) {
			c.w.WriteByte('\n')
		}
	}
	if err := c.element(doc.root, true, nil); err != nil {
		return err
	}
	for _, n := range doc.after {
		if n.kind == piNode || c.m.comments {
			c.w.WriteByte('\n')
			c.misc(n)
		}
	}
	return c.w.Flush()
}

// misc writes a comment (when kept) or processing instruction and reports
// whether it wrote anything.
func (c *canonicalizer) misc(n *node) bool {
	switch {
	case n.kind == commentNode && c.m.comments:
		c.w.WriteString("<!--")
		c.w.WriteString(n.text)
		c.w.WriteString("-->")
		return true
	case n.kind == piNode:
		c.w.WriteString("<?")
		c.w.WriteString(n.local)
		if n.text != "" {
			c.w.WriteByte(' ')
			c.w.WriteString(n.text)
		}
		c.w.WriteString("?>")
		return true
	}
	return false
}

// element writes e and its content. apex is true for the top of the
// node-set, whose ancestors are outside it; emitted is what the output
// ancestors have declared (exclusive canonicalization only).
func (c *canonicalizer) element(e *node, apex bool, emitted *nsScope) error {
	if e == c.exclude {
		return nil
	}
	if *c.budget--; *c.budget < 0 {
		return errBudget
	}
	var decls []nsDecl
	if c.m.exclusive {
		decls, emitted = c.exclusiveDecls(e, emitted)
	} else {
		decls = c.inclusiveDecls(e, apex)
	}
	slices.SortFunc(decls, func(a, b nsDecl) int { return strings.Compare(a.prefix, b.prefix) })
	attrs := append(c.attrBuf[:0], e.attrs...)
	if apex && !c.m.exclusive {
		attrs = c.inheritXMLAttrs(e, attrs)
	}
	slices.SortFunc(attrs, func(a, b attr) int {
		if d := strings.Compare(a.ns, b.ns); d != 0 {
			return d
		}
		return strings.Compare(a.local, b.local)
	})
	c.nsBuf, c.attrBuf = decls[:0], attrs[:0]

	c.w.WriteByte('<')
	c.name(e.prefix, e.local)
	for _, d := range decls {
		if d.prefix == "" {
			c.w.WriteString(` xmlns="`)
		} else {
			c.w.WriteString(" xmlns:")
			c.w.WriteString(d.prefix)
			c.w.WriteString(`="`)
		}
		escapeAttr(c.w, d.uri)
		c.w.WriteByte('"')
	}
	for _, a := range attrs {
		c.w.WriteByte(' ')
		c.name(a.prefix, a.local)
		c.w.WriteString(`="`)
		escapeAttr(c.w, a.value)
		c.w.WriteByte('"')
	}
	c.w.WriteByte('>')

	for _, ch := range e.children {
		switch ch.kind {
		case elementNode:
			if err := c.element(ch, false, emitted); err != nil {
				return err
			}
			continue
		case textNode:
			escapeText(c.w, ch.text)
		default:
			c.misc(ch)
		}
		if *c.budget--; *c.budget < 0 {
			return errBudget
		}
	}
	c.w.WriteString("</")
	c.name(e.prefix, e.local)
	c.w.WriteByte('>')
	return nil
}

// inclusiveDecls returns the namespace declarations Canonical XML 1.0 and
// 1.1 write on e: at the apex every namespace in scope (the apex's
// ancestors are not in the node-set, so nothing above declares them in the
// output), below it those whose binding differs from the parent's.
// xmlns="" is written only to undo a non-empty default of the parent.
func (c *canonicalizer) inclusiveDecls(e *node, apex bool) []nsDecl {
	out := c.nsBuf[:0]
	if !apex {
		for _, d := range e.decls {
			if d.prefix == "xml" {
				continue
			}
			if prev, _ := e.parent.scope.lookup(d.prefix); prev != d.uri {
				out = append(out, d)
			}
		}
		return out
	}
	for s := e.scope; s != nil; s = s.next {
		if s.prefix == "xml" || (s.prefix == "" && s.uri == "") {
			continue
		}
		if !shadowed(e.scope, s) {
			out = append(out, s.nsDecl)
		}
	}
	return out
}

// shadowed reports whether an entry nearer the head of scope than s binds
// the same prefix (so s is not in scope). For the default namespace an
// inner xmlns="" shadows an outer declaration.
func shadowed(scope, s *nsScope) bool {
	for t := scope; t != s; t = t.next {
		if t.prefix == s.prefix {
			return true
		}
	}
	return false
}

// exclusiveDecls returns the declarations Exclusive XML Canonicalization
// writes on e (§3): the namespaces visibly utilized by e (its own prefix
// and those of its attributes) and those of the InclusiveNamespaces
// PrefixList, unless an output ancestor already declared the same binding.
func (c *canonicalizer) exclusiveDecls(e *node, emitted *nsScope) ([]nsDecl, *nsScope) {
	out := c.nsBuf[:0]
	consider := func(p string) {
		if p == "xml" || slices.ContainsFunc(out, func(d nsDecl) bool { return d.prefix == p }) {
			return
		}
		uri, bound := e.scope.lookup(p)
		if !bound {
			return
		}
		if prev, had := emitted.lookup(p); had && prev == uri {
			return
		}
		out = append(out, nsDecl{p, uri})
	}
	consider(e.prefix)
	for _, a := range e.attrs {
		if a.prefix != "" {
			consider(a.prefix)
		}
	}
	for _, p := range c.m.prefixes {
		consider(p)
	}
	for _, d := range out {
		emitted = &nsScope{nsDecl: d, next: emitted}
	}
	return out, emitted
}

// inheritXMLAttrs adds to the apex's attributes the xml:* attributes of its
// ancestors that it does not carry itself, nearest ancestor first
// (Canonical XML 1.0 §2.4). Canonical XML 1.1 (§2.4) does not inherit
// xml:id; its xml:base fix-up is simplified to inheriting the nearest
// value, which is the same result for absolute base URIs.
func (c *canonicalizer) inheritXMLAttrs(e *node, attrs []attr) []attr {
	for anc := e.parent; anc != nil; anc = anc.parent {
		for _, a := range anc.attrs {
			if a.ns != xmlNS || (c.m.v11 && a.local == "id") {
				continue
			}
			if !slices.ContainsFunc(attrs, func(b attr) bool { return b.ns == xmlNS && b.local == a.local }) {
				attrs = append(attrs, a)
			}
		}
	}
	return attrs
}

func (c *canonicalizer) name(prefix, local string) {
	if prefix != "" {
		c.w.WriteString(prefix)
		c.w.WriteByte(':')
	}
	c.w.WriteString(local)
}

// textEscapes and attrEscapes are the character references Canonical XML
// §2.3 requires in text nodes and in attribute values (read-only tables).
var (
	textEscapes = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}
	attrEscapes = [256]string{'&': "&amp;", '<': "&lt;", '"': "&quot;", '\t': "&#x9;", '\n': "&#xA;", '\r': "&#xD;"}
)

// escapeText writes a text node as Canonical XML §2.3 requires.
func escapeText(w *bufio.Writer, s string) { escapeWith(w, s, &textEscapes) }

// escapeAttr writes an attribute value as Canonical XML §2.3 requires.
func escapeAttr(w *bufio.Writer, s string) { escapeWith(w, s, &attrEscapes) }

// escapeWith writes s, replacing each byte that has an entry in table.
func escapeWith(w *bufio.Writer, s string, table *[256]string) {
	last := 0
	for i := 0; i < len(s); i++ {
		esc := table[s[i]]
		if esc == "" {
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
}
