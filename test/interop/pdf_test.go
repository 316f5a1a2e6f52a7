package interop

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/validate"
)

// minimalPDF returns a one-page PDF 1.7 with a classic cross-reference
// table, written by hand so that the corpus needs no PDF generator.
func minimalPDF(text string) []byte {
	content := fmt.Sprintf("BT /F1 14 Tf 72 770 Td (%s) Tj ET", text)
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// pdfText is the page text; its "01/2026" is the byte flipped by the
// content-tampering variants.
const pdfText = "HOP DONG DICH VU so 01/2026/HD-TN"

// nssPassword protects the PKCS#12 files in transit to pk12util only.
const nssPassword = "interop"

// nss holds the NSS databases: one per signer for pdfsig -add-signature
// (so that the look-alike chain, which copies real names, never shares a
// database with the real one), and the verifier's, which trusts the two
// test roots and nothing else: intermediates come from the signatures.
type nss struct {
	verify string            // sql:<dir>
	dbs    map[string]string // signer name -> sql:<dir>
	c      *corpusPKI
}

func newNSS(t *testing.T, c *corpusPKI) *nss {
	t.Helper()
	n := &nss{c: c, dbs: map[string]string{}, verify: newNSSDB(t, c, "nss-verify")}
	for i, r := range c.rootFiles {
		mustRun(t, c.dir, "certutil", "-A", "-d", n.verify, "-n", "root-"+strconv.Itoa(i), "-t", "C,C,C", "-i", r)
	}
	return n
}

func newNSSDB(t *testing.T, c *corpusPKI, name string) string {
	t.Helper()
	dir := c.path(name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := "sql:" + dir
	mustRun(t, c.dir, "certutil", "-N", "-d", db, "--empty-password")
	return db
}

// signingDB returns the database holding signer s's key and chain (leaf
// and CA), imported from PKCS#12 made by openssl.
func (n *nss) signingDB(t *testing.T, s *signer) string {
	t.Helper()
	if db, ok := n.dbs[s.name]; ok {
		return db
	}
	db := newNSSDB(t, n.c, "nss-sign-"+s.name)
	p12 := n.c.path(s.name + ".p12")
	mustRun(t, n.c.dir, "openssl", "pkcs12", "-export", "-inkey", s.key, "-in", s.cert, "-certfile", s.ca,
		"-name", s.name, "-out", p12, "-passout", "pass:"+nssPassword)
	mustRun(t, n.c.dir, "pk12util", "-i", p12, "-d", db, "-W", nssPassword)
	n.dbs[s.name] = db
	return db
}

// pdfsigAttempts bounds the retries of an ECDSA signature: pdfsig 22.12
// reserves /Contents from a first trial signature, and fails with "unable
// update signature" when the real ECDSA signature's DER is a byte or two
// longer (about half the time). RSA signatures have a fixed length.
const pdfsigAttempts = 30

// sign adds a signature with pdfsig; extra are further pdfsig options.
func (n *nss) sign(t *testing.T, s *signer, in, out string, extra ...string) {
	t.Helper()
	args := append([]string{"-nssdir", n.signingDB(t, s), "-add-signature", "-nick", s.name}, extra...)
	args = append(args, in, out)
	var last result
	for range pdfsigAttempts {
		r, err := run(t.Context(), n.c.dir, "pdfsig", args...)
		if err != nil {
			t.Fatal(err)
		}
		if r.code == 0 {
			return
		}
		last = r
		if !strings.Contains(r.stderr, "unable update signature") {
			break
		}
	}
	hint := ""
	if strings.Contains(last.stderr+last.stdout, "find font") {
		hint = " (pdfsig draws the signature's appearance and crashes without a font: apt-get install fonts-dejavu-core)"
	}
	t.Fatalf("pdfsig -add-signature failed%s:\n%s", hint, last)
}

// pdfSpec is one way of calling `pdfsig -add-signature`. pdfsig 22.12
// (Debian 12) signs only with SHA-256 and only adbe.pkcs7.detached: it
// refuses -digest other than SHA256 and -etsi with -add-signature.
type pdfSpec struct {
	name    string
	signers []string // one pdfsig run each, in order: two make an incremental second signature
	extra   []string // pdfsig options
}

var pdfSpecs = []pdfSpec{
	{name: "rsa-sha256", signers: []string{"citizen-rsa"}, extra: []string{"-reason", "Ký hợp đồng"}},
	{name: "p256-sha256", signers: []string{"citizen-ec"}},
	{name: "rsa-sha256-gov", signers: []string{"official-rsa"}},
	{name: "p256-sha256-gov", signers: []string{"official-ec"}, extra: []string{"-reason", "Phê duyệt"}},
	{name: "two-signatures", signers: []string{"business-rsa", "official-rsa"}},
	{name: "lookalike-signer", signers: []string{"lookalike"}},
}

var (
	byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
	startXrefRE = regexp.MustCompile(`startxref\s+(\d+)`)
	sizeRE      = regexp.MustCompile(`/Size\s+(\d+)`)
	rootRE      = regexp.MustCompile(`/Root\s+(\d+\s+\d+)\s+R`)
)

// pdfsigCases signs a minimal PDF with pdfsig per pdfSpecs and derives the
// variants: a flipped byte of the page content (covered by every
// signature: HASH_FAILURE), a flipped byte of the CMS signature value in
// /Contents (SIG_CRYPTO_FAILURE), and an incremental update appended after
// signing (still valid; coverage partial).
func pdfsigCases(t *testing.T, c *corpusPKI) []*corpusCase {
	t.Helper()
	n := newNSS(t, c)
	unsigned := c.write(t, "pdf-unsigned.pdf", minimalPDF(pdfText))
	var cases []*corpusCase
	for _, sp := range pdfSpecs {
		in := unsigned
		for i, name := range sp.signers {
			out := c.path(fmt.Sprintf("pdf-%s.%d.pdf", sp.name, i+1))
			extra := append([]string{"-new-signature-field-name", fmt.Sprintf("Signature%d", i+1)}, sp.extra...)
			n.sign(t, c.signers[name], in, out, extra...)
			in = out
		}
		signedDoc, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		add := func(suffix string, doc []byte, valid bool, subs []validate.SubIndication) {
			name, stem := sp.name, "pdf-"+sp.name
			if suffix != "" {
				name, stem = name+"/"+suffix, stem+"-"+suffix
			}
			file := c.write(t, stem+".pdf", doc)
			cases = append(cases, &corpusCase{
				tool: toolPDFSig, name: name, input: input{format: validate.FormatPDF, data: doc}, valid: valid, subs: subs,
				verify: func(ctx context.Context) (toolVerdict, error) {
					return pdfsigVerify(ctx, c.dir, n.verify, filepath.Base(file))
				},
			})
		}
		trusted := sp.signers[0] != "lookalike"
		add("", signedDoc, trusted, []validate.SubIndication{validate.NoCertificateChainFound})
		if !trusted {
			continue
		}
		at := bytes.Index(signedDoc, []byte("01/2026"))
		if first := byteRangeRE.FindSubmatch(signedDoc); at < 0 || first == nil || at >= atoi(t, first[2]) {
			t.Fatalf("%s: page text not found before the first signature", sp.name)
		}
		add("content-flipped", flipped(signedDoc, at), false, []validate.SubIndication{validate.HashFailure})
		if len(sp.signers) > 1 { // the last signature broken, the earlier ones intact
			add("last-signature-flipped", flipPDFSignature(t, signedDoc), false, []validate.SubIndication{validate.SigCryptoFailure})
			continue
		}
		add("signature-flipped", flipPDFSignature(t, signedDoc), false, []validate.SubIndication{validate.SigCryptoFailure})
		add("incremental-update", appendRevision(t, signedDoc), true, nil)
	}
	return cases
}

func atoi(t *testing.T, b []byte) int {
	t.Helper()
	v, err := strconv.Atoi(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// flipPDFSignature flips the last byte of the signature value of the CMS
// in the last signature's /Contents, keeping the hex string's length and
// letter case.
func flipPDFSignature(t *testing.T, doc []byte) []byte {
	t.Helper()
	all := byteRangeRE.FindAllSubmatch(doc, -1)
	if len(all) == 0 {
		t.Fatal("no /ByteRange")
	}
	m := all[len(all)-1]
	gapStart, gapEnd := atoi(t, m[1])+atoi(t, m[2]), atoi(t, m[3])
	if gapStart < 0 || gapEnd > len(doc) || gapEnd-gapStart < 2 || doc[gapStart] != '<' || doc[gapEnd-1] != '>' {
		t.Fatalf("ByteRange gap [%d, %d) is not a hex string", gapStart, gapEnd)
	}
	hexStart := gapStart + 1
	der, err := hex.DecodeString(string(doc[hexStart : gapEnd-1]))
	if err != nil {
		t.Fatal(err)
	}
	_, sig, err := cmsSpans(der)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), doc...)
	i := hexStart + 2*(sig.end-1) + 1 // low nibble of the last signature byte
	digit := strings.IndexByte("0123456789abcdef", out[i]|0x20)
	flippedDigit := "0123456789abcdef"[digit^1]
	if out[i] >= 'A' && out[i] <= 'F' {
		flippedDigit -= 0x20
	}
	out[i] = flippedDigit
	return out
}

// appendRevision appends an incremental update (ISO 32000-1 §7.5.6) after
// the signatures: a new document information dictionary.
func appendRevision(t *testing.T, doc []byte) []byte {
	t.Helper()
	xrefs, sizes, roots := startXrefRE.FindAllSubmatch(doc, -1), sizeRE.FindAllSubmatch(doc, -1), rootRE.FindAllSubmatch(doc, -1)
	if len(xrefs) == 0 || len(sizes) == 0 || len(roots) == 0 {
		t.Fatal("no trailer to update")
	}
	prev, size, root := string(xrefs[len(xrefs)-1][1]), atoi(t, sizes[len(sizes)-1][1]), string(roots[len(roots)-1][1])
	out := append(append([]byte(nil), doc...), '\n')
	obj := len(out)
	out = fmt.Appendf(out, "%d 0 obj\n<< /Title (Them sau khi ky) /Producer (interop test) >>\nendobj\n", size)
	xref := len(out)
	out = fmt.Appendf(out, "xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s R /Info %d 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n",
		size, obj, size+1, root, size, prev, xref)
	return out
}

// pdfsigVerify runs pdfsig over a signed PDF with the verifier's database,
// revocation off (-no-ocsp: lienthong runs with revocation off too). pdfsig
// exits 0 whatever the verdict; each "Signature #n:" block is valid when
// it says "Signature is Valid." and "Certificate is Trusted.", and
// "Total document signed" or not gives the coverage.
func pdfsigVerify(ctx context.Context, dir, db, file string) (toolVerdict, error) {
	r, err := run(ctx, dir, "pdfsig", "-nssdir", db, "-no-ocsp", file)
	if err != nil {
		return toolVerdict{out: r}, err
	}
	if r.code != 0 {
		return toolVerdict{out: r}, fmt.Errorf("pdfsig exited %d\n%s", r.code, r)
	}
	v := toolVerdict{out: r}
	blocks := strings.Split(r.stdout, "\nSignature #")
	for _, b := range blocks[1:] {
		s := toolSig{coverage: coveragePartial}
		var words []string
		for _, l := range strings.Split(b, "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
			switch {
			case strings.HasPrefix(l, "Signature Field Name:"):
				s.id = strings.TrimSpace(strings.TrimPrefix(l, "Signature Field Name:"))
			case l == "Total document signed":
				s.coverage = coverageWhole
			case strings.HasPrefix(l, "Signature Validation:"), strings.HasPrefix(l, "Certificate Validation:"):
				words = append(words, l)
			}
		}
		s.detail = strings.Join(words, "; ")
		s.valid = strings.Contains(b, "Signature Validation: Signature is Valid.") &&
			strings.Contains(b, "Certificate Validation: Certificate is Trusted.")
		v.sigs = append(v.sigs, s)
	}
	if len(v.sigs) == 0 {
		return v, fmt.Errorf("pdfsig found no signature\n%s", r)
	}
	return v, nil
}
