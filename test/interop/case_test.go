package interop

import (
	"context"

	"github.com/lienthong/lienthong/validate"
)

// Tool names, as reported in the per-tool counts.
const (
	toolOpenSSL = "openssl"
	toolXMLSec  = "xmlsec1"
	toolPDFSig  = "pdfsig"
)

// Coverage values of a PDF signature, as in DESIGN.md ("coverage").
const (
	coverageWhole   = "whole_document"
	coveragePartial = "partial"
)

// corpusCase is one document of the corpus: what lienthong is given, how
// the tool that made it verifies it, and what the case was built to be.
type corpusCase struct {
	tool string
	name string
	// input is the document as lienthong receives it.
	input input
	// verify runs the tool's own verification of the document.
	verify func(ctx context.Context) (toolVerdict, error)
	// valid says whether the case was built to verify: signed by a trusted
	// signer and changed, if at all, only outside what the signature
	// covers. A tool that disagrees with its own case is a corpus bug,
	// reported as such.
	valid bool
	// subs are the sub-indications accepted for the failing signature of an
	// invalid case (the kind of damage done to it).
	subs []validate.SubIndication
}

// input is what lienthong validates: the document bytes, the detached
// CMS signature when there is one, and the declared format.
type input struct {
	format    string // validate.FormatPDF, FormatXML or FormatCMS
	data      []byte
	signature []byte // detached CMS, else nil
}

// toolVerdict is a tool's verification outcome: one entry per signature,
// in document order, and the command's output for the failure messages.
type toolVerdict struct {
	sigs []toolSig
	out  result
}

type toolSig struct {
	id       string // PDF only: the signature field name
	valid    bool
	coverage string // PDF only: coverageWhole or coveragePartial
	detail   string // the tool's words, for messages
}

// allValid says whether the tool accepted every signature.
func (v toolVerdict) allValid() bool {
	for _, s := range v.sigs {
		if !s.valid {
			return false
		}
	}
	return len(v.sigs) > 0
}
