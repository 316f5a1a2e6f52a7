package xmldsig

// This file holds the parsed tree and the accessors the signature syntax
// is read with.

import (
	"fmt"
	"strings"
)

// Namespace names fixed by the XML Namespaces recommendation.
const (
	xmlNS   = "http://www.w3.org/XML/1998/namespace"
	xmlnsNS = "http://www.w3.org/2000/xmlns/"
)

// nodeKind says what a node is.
type nodeKind uint8

const (
	elementNode nodeKind = iota + 1
	textNode
	commentNode
	piNode
)

// node is one node of the parsed tree. Elements keep the prefixes as
// written (canonical XML writes them back) and the namespace names they
// resolve to (what the signature syntax is matched against).
type node struct {
	kind   nodeKind
	parent *node
	// Elements: prefix and local name as written, ns the resolved
	// namespace name, attrs the attributes other than namespace
	// declarations, decls the declarations written on this element and
	// scope every declaration in scope here (innermost first).
	prefix, local, ns string
	attrs             []attr
	decls             []nsDecl
	scope             *nsScope
	children          []*node
	// pos is the element's 1-based position among its parent's child
	// elements of the same local name; indexed says there are several,
	// so a path must name it Name[pos].
	pos     int
	indexed bool
	// Text, comment and processing-instruction nodes: the character data,
	// the comment body, or the PI's data (target in local).
	text string
}

// attr is an attribute other than a namespace declaration.
type attr struct {
	prefix, local, ns, value string
}

// nsDecl is a namespace declaration: prefix "" is the default namespace.
type nsDecl struct {
	prefix, uri string
}

// nsScope is an immutable list of the declarations in scope, innermost
// first; n counts the entries from here to the end of the list.
type nsScope struct {
	nsDecl
	next *nsScope
	n    int
}

// lookup returns the namespace name bound to prefix and whether it is
// bound. The xml prefix is always bound; the default namespace is ""
// when nothing declares it.
func (s *nsScope) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNS, true
	}
	for ; s != nil; s = s.next {
		if s.prefix == prefix {
			return s.uri, true
		}
	}
	return "", prefix == ""
}

// document is a parsed, well-formed document.
type document struct {
	root *node
	// before and after are the comments and processing instructions
	// outside the root element, in order.
	before, after []*node
	// ids maps each ID-like attribute value (Id, ID, id without namespace,
	// and xml:id) to its element; dupIDs holds the values carried by more
	// than one element, which no reference may use.
	ids    map[string]*node
	dupIDs map[string]bool
	// elements counts elements, comments and processing instructions;
	// signatures the ds:Signature
	// elements in document order.
	elements   int
	signatures []*node
}

// elementPath is the path of local names from the root to el, with [n]
// where the parent has several children of that name:
// "HDon/DSCKS/NBan/Signature", "TDiep/DLieu/HDon/DSCKS[1]/NBan/Signature".
func elementPath(el *node) string {
	var parts []string
	for n := el; n != nil; n = n.parent {
		if n.indexed {
			parts = append(parts, fmt.Sprintf("%s[%d]", n.local, n.pos))
		} else {
			parts = append(parts, n.local)
		}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// elementChildren returns the child elements of n.
func elementChildren(n *node) []*node {
	var out []*node
	for _, ch := range n.children {
		if ch.kind == elementNode {
			out = append(out, ch)
		}
	}
	return out
}

// isDS reports whether n is the XML Signature element named local.
func isDS(n *node, local string) bool {
	return n.ns == dsigNS && n.local == local
}

// attrValue returns the value of n's unqualified attribute local, or "".
func attrValue(n *node, local string) string {
	v, _ := attr2(n, local)
	return v
}

// attr2 returns the value of n's unqualified attribute local and whether
// n has it.
func attr2(n *node, local string) (string, bool) {
	for _, a := range n.attrs {
		if a.ns == "" && a.local == local {
			return a.value, true
		}
	}
	return "", false
}

// textContent returns the character data of a leaf element (comments and
// processing instructions in it are skipped); an element child is an error.
func textContent(n *node) (string, error) {
	var b strings.Builder
	for _, ch := range n.children {
		switch ch.kind {
		case textNode:
			b.WriteString(ch.text)
		case elementNode:
			return "", fmt.Errorf("%s holds an element", n.local)
		}
	}
	return b.String(), nil
}
