package pdf

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Coverage values of signed.Signature.Coverage.
const (
	coverageWhole   = "whole_document"
	coveragePartial = "partial"
)

// maxCoverageObjects bounds the objects examined to describe what was
// added after a signature.
const maxCoverageObjects = 10000

// coverage says whether the signed bytes, ending at end, are the whole
// file and, when they are not, what the later incremental updates (ISO
// 32000-1 §7.5.6) added: the same factual summary for every signature.
func (d *document) coverage(end int) (string, string) {
	if end == len(d.data) {
		return coverageWhole, ""
	}
	return coveragePartial, d.describeAfter(end)
}

// changes counts what the objects of later revisions are.
type changes struct {
	signatures, docTimestamps, emptySigFields, formFields, annots int
	pagesAdded, pagesChanged, others                              int
	dss, catalog, truncated                                       bool
}

// add accumulates o into c.
func (c *changes) add(o *changes) {
	c.signatures += o.signatures
	c.docTimestamps += o.docTimestamps
	c.emptySigFields += o.emptySigFields
	c.formFields += o.formFields
	c.annots += o.annots
	c.pagesAdded += o.pagesAdded
	c.pagesChanged += o.pagesChanged
	c.others += o.others
	c.dss = c.dss || o.dss
	c.catalog = c.catalog || o.catalog
	c.truncated = c.truncated || o.truncated
}

// describeAfter summarises the revisions whose cross-reference section
// lies at or after end; without such sections, the object headers found
// after end by scanning.
func (d *document) describeAfter(end int) string {
	var c changes
	updates := 0
	for i := len(d.sections) - 1; i >= 0; i-- {
		if d.sections[i].offset >= end {
			updates++
			c.add(d.sectionChanges(i))
		}
	}
	if updates == 0 {
		d.buildScan()
		updates = bytes.Count(d.data[end:], []byte("%%EOF"))
		var nums []int
		for n, off := range d.scan {
			if off >= end {
				nums = append(nums, n)
			}
		}
		if updates == 0 && len(nums) == 0 {
			return fmt.Sprintf("%d bytes follow the signed range; they are not a PDF incremental update", len(d.data)-end)
		}
		sort.Ints(nums)
		for k, n := range nums {
			if k == maxCoverageObjects {
				c.truncated = true
				break
			}
			_, o, _ := d.parseIndirect(d.scan[n])
			c.classify(d, o, nil)
		}
	}
	head := fmt.Sprintf("%s after this signature", plural(updates, "incremental update"))
	if d.chainCut {
		head = "at least " + head // older sections were not read
	}
	if d.recovered {
		head += " (located by scanning: the cross-reference data is broken)"
	}
	parts := c.summary()
	if len(parts) == 0 {
		return head + ", adding no signatures, pages, form fields or annotations"
	}
	return head + ": " + strings.Join(parts, ", ")
}

// sectionChanges classifies, once, the objects section i defines against
// their versions in the older sections.
func (d *document) sectionChanges(i int) *changes {
	if c, ok := d.changed[i]; ok {
		return c
	}
	c := &changes{}
	d.changed[i] = c
	s := d.sections[i]
	for k, n := range sortedNums(s.entries) {
		if k == maxCoverageObjects {
			c.truncated = true
			break
		}
		c.classify(d, d.entryObject(n, s.entries[n]), d.versionIn(n, d.sections[i+1:]))
	}
	return c
}

// entryObject parses object n from entry e, without caching it.
func (d *document) entryObject(n int, e xrefEntry) object {
	switch e.kind {
	case 1:
		if m, o, err := d.parseIndirect(e.off); err == nil && m == n {
			return o
		}
	case 2:
		o, _ := d.fromObjStm(e.off, e.idx, n)
		return o
	}
	return nil
}

// versionIn returns object n as the newest of sections defines it, nil
// when it is free or undefined there.
func (d *document) versionIn(n int, sections []*section) object {
	for _, s := range sections {
		if e, ok := s.entries[n]; ok {
			return d.entryObject(n, e)
		}
	}
	return nil
}

// classify counts one object of a later revision; prev is its version at
// signing time (nil if it is new).
func (c *changes) classify(d *document, o, prev object) {
	if o == nil {
		return
	}
	if prev != nil && sameObject(o, prev, 0) {
		return // rewritten unchanged
	}
	var h dict
	switch v := o.(type) {
	case dict:
		h = v
	case *stream:
		h = v.dict
	}
	t := typeOf(h)
	sub, _ := h["SubFilter"].(name)
	switch {
	case t == "XRef" || t == "ObjStm" || t == "Pages" || t == "Metadata":
		// structure rewritten by every incremental save
	case t == "Catalog":
		old := d.dictOf(prev)
		if h["DSS"] != nil && old["DSS"] == nil {
			c.dss = true
		}
		// Entries other than these change what the document does (open
		// actions, names, JavaScript…).
		if old != nil && !sameExcept(h, old, 0, "DSS", "AcroForm", "Metadata", "Perms") {
			c.catalog = true
		}
	case t == "DSS" || h["VRI"] != nil || h["OCSPs"] != nil || h["CRLs"] != nil || (h["Certs"] != nil && t == ""):
		c.dss = true
	case t == "DocTimeStamp" || sub == "ETSI.RFC3161":
		c.docTimestamps++
	case t == "Sig" || (h["ByteRange"] != nil && h["Contents"] != nil):
		c.signatures++
	case h["FT"] != nil:
		switch {
		case d.nameOf(h["FT"]) != "Sig":
			c.formFields++
		case h["V"] == nil:
			c.emptySigFields++
		}
	case h["Fields"] != nil: // the AcroForm dictionary
	case t == "Annot" || (h["Subtype"] != nil && h["Rect"] != nil):
		if d.nameOf(h["Subtype"]) != "Widget" {
			c.annots++
		} else if d.nameOf(d.dictOf(h["Parent"])["FT"]) != "Sig" {
			c.formFields++
		}
	case t == "Page":
		if prev == nil {
			c.pagesAdded++
			return
		}
		if pd := d.dictOf(prev); pd == nil || !sameExcept(h, pd, 0, "Annots") {
			c.pagesChanged++
		}
	case t == "" && (h["Producer"] != nil || h["ModDate"] != nil) && h["Subtype"] == nil:
		// the document information dictionary
	default:
		if prev != nil {
			c.others++
		}
	}
}

// summary renders the counts, most significant first.
func (c *changes) summary() []string {
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, count(n, one, many))
		}
	}
	add(c.signatures, "signature", "signatures")
	add(c.docTimestamps, "document timestamp (long-term validation)", "document timestamps (long-term validation)")
	if c.dss {
		parts = append(parts, "validation data (DSS, long-term validation)")
	}
	add(c.emptySigFields, "empty signature field", "empty signature fields")
	add(c.formFields, "form field added or changed", "form fields added or changed")
	add(c.annots, "annotation added or changed", "annotations added or changed")
	add(c.pagesAdded, "page added", "pages added")
	add(c.pagesChanged, "page changed", "pages changed")
	if c.catalog {
		parts = append(parts, "document catalog changed")
	}
	add(c.others, "other existing object rewritten", "other existing objects rewritten")
	if c.truncated {
		parts = append(parts, fmt.Sprintf("and more (only %d objects examined)", maxCoverageObjects))
	}
	return parts
}

// plural writes "1 signature" or "2 signatures".
func plural(n int, one string) string {
	return count(n, one, one+"s")
}

// count writes n with the singular or plural form.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sortedNums(m map[int]xrefEntry) []int {
	nums := make([]int, 0, len(m))
	for n := range m {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	return nums
}

// sameObject compares two objects by value (string positions ignored).
func sameObject(a, b object, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch x := a.(type) {
	case *pdfString:
		y, ok := b.(*pdfString)
		return ok && bytes.Equal(x.b, y.b)
	case array:
		y, ok := b.(array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameObject(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case dict:
		y, ok := b.(dict)
		return ok && sameExcept(x, y, depth+1)
	case *stream:
		y, ok := b.(*stream)
		return ok && bytes.Equal(x.raw, y.raw) && sameExcept(x.dict, y.dict, depth+1)
	}
	return a == b
}

// sameExcept compares two dictionaries, ignoring the keys skip.
func sameExcept(x, y dict, depth int, skip ...name) bool {
	size := func(h dict) int {
		n := 0
		for k, v := range h {
			if v != nil && !slices.Contains(skip, k) {
				n++
			}
		}
		return n
	}
	if size(x) != size(y) {
		return false
	}
	for k, v := range x {
		if v == nil || slices.Contains(skip, k) {
			continue
		}
		if !sameObject(v, y[k], depth) {
			return false
		}
	}
	return true
}
