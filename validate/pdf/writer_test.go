package pdf

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/lienthong/lienthong/test/testpki"
)

// testPDF writes small PDFs for tests, revision by revision: objects,
// a classic or stream cross-reference section per revision, and
// signature dictionaries whose /ByteRange and /Contents placeholders sign
// fills once the revision is complete.
type testPDF struct {
	buf      bytes.Buffer
	rev      map[int]int    // objects written in this revision: offset
	comp     map[int][2]int // objects compressed in this revision: stream, index
	prevXref int
	size     int
	ph       []placeholder
	// trailerExtra is added to the next classic trailer.
	trailerExtra string
}

type placeholder struct{ brAt, contentsAt, contentsEnd int }

const (
	brPlaceholder  = "[0 0000000000 0000000000 0000000000]"
	contentsHexLen = 8192
)

func newTestPDF() *testPDF {
	w := &testPDF{rev: map[int]int{}, comp: map[int][2]int{}, prevXref: -1}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return w
}

func (w *testPDF) obj(num int, body string) {
	w.rev[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", num, body)
	w.size = max(w.size, num+1)
}

func (w *testPDF) stream(num int, dict string, data []byte) {
	w.rev[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", num, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
	w.size = max(w.size, num+1)
}

// sigDict writes signature dictionary num with placeholders.
func (w *testPDF) sigDict(num int, subFilter, extra string) {
	w.rev[num] = w.buf.Len()
	typ := "Sig"
	if subFilter == "ETSI.RFC3161" {
		typ = "DocTimeStamp"
	}
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< /Type /%s /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange ", num, typ, subFilter)
	p := placeholder{brAt: w.buf.Len()}
	w.buf.WriteString(brPlaceholder + " /Contents ")
	p.contentsAt = w.buf.Len()
	w.buf.WriteString("<" + strings.Repeat("0", contentsHexLen) + ">")
	p.contentsEnd = w.buf.Len()
	fmt.Fprintf(&w.buf, " %s >>\nendobj\n", extra)
	w.ph = append(w.ph, p)
	w.size = max(w.size, num+1)
}

// xrefTable ends the revision with a classic cross-reference table.
func (w *testPDF) xrefTable() {
	off := w.buf.Len()
	nums := slices.Sorted(maps.Keys(w.rev))
	w.buf.WriteString("xref\n")
	if w.prevXref < 0 {
		w.buf.WriteString("0 1\n0000000000 65535 f \n")
	}
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&w.buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&w.buf, "%010d 00000 n \n", w.rev[nums[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root 1 0 R", w.size)
	if w.prevXref >= 0 {
		fmt.Fprintf(&w.buf, " /Prev %d", w.prevXref)
	}
	fmt.Fprintf(&w.buf, " %s >>\nstartxref\n%d\n%%%%EOF\n", w.trailerExtra, off)
	w.prevXref = off
	w.rev, w.comp, w.trailerExtra = map[int]int{}, map[int][2]int{}, ""
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// objStm writes object stream num holding objs (number: body).
func (w *testPDF) objStm(num int, objs map[int]string) {
	var head, body bytes.Buffer
	for i, n := range slices.Sorted(maps.Keys(objs)) {
		fmt.Fprintf(&head, "%d %d ", n, body.Len())
		body.WriteString(objs[n] + "\n")
		w.comp[n] = [2]int{num, i}
		w.size = max(w.size, n+1)
	}
	data := append(head.Bytes(), body.Bytes()...)
	w.stream(num, fmt.Sprintf("/Type /ObjStm /N %d /First %d /Filter /FlateDecode", len(objs), head.Len()), deflate(data))
}

// xrefStream ends the revision with cross-reference stream num (/W [1 4
// 2], PNG Up predictor).
func (w *testPDF) xrefStream(num int) {
	off := w.writeXRefStream(num, true)
	fmt.Fprintf(&w.buf, "startxref\n%d\n%%%%EOF\n", off)
	w.prevXref = off
	w.rev, w.comp = map[int]int{}, map[int][2]int{}
}

// hybridXref ends the revision as a hybrid-reference file (ISO 32000-1
// §7.5.8.4): a classic table for the uncompressed objects whose trailer's
// /XRefStm names cross-reference stream num for the compressed ones.
func (w *testPDF) hybridXref(num int) {
	w.trailerExtra = fmt.Sprintf("/XRefStm %d", w.writeXRefStream(num, false))
	w.xrefTable()
}

// writeXRefStream writes cross-reference stream num for the compressed
// objects and, with all, the uncompressed ones, and returns its offset.
func (w *testPDF) writeXRefStream(num int, all bool) int {
	off := w.buf.Len()
	w.rev[num] = off
	w.size = max(w.size, num+1)
	var rows [][]byte
	var index []string
	listed := map[int]bool{}
	for n := range w.rev {
		listed[n] = all
	}
	for n := range w.comp {
		listed[n] = true
	}
	var nums []int
	for _, n := range slices.Sorted(maps.Keys(listed)) {
		if listed[n] {
			nums = append(nums, n)
		}
	}
	for _, n := range nums {
		row := make([]byte, 7)
		if c, ok := w.comp[n]; ok {
			row[0] = 2
			row[1], row[2], row[3], row[4] = byte(c[0]>>24), byte(c[0]>>16), byte(c[0]>>8), byte(c[0])
			row[5], row[6] = byte(c[1]>>8), byte(c[1])
		} else {
			o := w.rev[n]
			row[0] = 1
			row[1], row[2], row[3], row[4] = byte(o>>24), byte(o>>16), byte(o>>8), byte(o)
		}
		rows = append(rows, row)
		index = append(index, fmt.Sprintf("%d 1", n))
	}
	var enc []byte
	prev := make([]byte, 7)
	for _, r := range rows {
		enc = append(enc, 2)
		for i := range r {
			enc = append(enc, r[i]-prev[i])
		}
		prev = r
	}
	data := deflate(enc)
	dict := fmt.Sprintf("/Type /XRef /Size %d /Root 1 0 R /W [1 4 2] /Index [%s] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>",
		w.size, strings.Join(index, " "))
	if w.prevXref >= 0 {
		dict += fmt.Sprintf(" /Prev %d", w.prevXref)
	}
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", num, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
	return off
}

// sign fills the latest placeholder: /ByteRange covers the buffer as it
// is, around /Contents, and mk makes the signature value over it.
func (w *testPDF) sign(t testing.TB, mk func(t testing.TB, segs [][]byte) []byte) {
	t.Helper()
	p := w.ph[len(w.ph)-1]
	data := w.buf.Bytes()
	b, c := p.contentsAt, p.contentsEnd
	br := fmt.Sprintf("[0 %d %d %d]", b, c, len(data)-c)
	copy(data[p.brAt:], br+strings.Repeat(" ", len(brPlaceholder)-len(br)))
	h := hex.EncodeToString(mk(t, [][]byte{data[:b], data[c:]}))
	if len(h) > contentsHexLen {
		t.Fatalf("signature of %d hex digits does not fit the placeholder", len(h))
	}
	copy(data[b+1:], strings.ToUpper(h))
}

// setByteRange overwrites the /ByteRange of placeholder i.
func (w *testPDF) setByteRange(t testing.TB, i int, v [4]int) {
	br := fmt.Sprintf("[%d %d %d %d]", v[0], v[1], v[2], v[3])
	if len(br) > len(brPlaceholder) {
		t.Fatal("ByteRange too long")
	}
	copy(w.buf.Bytes()[w.ph[i].brAt:], br+strings.Repeat(" ", len(brPlaceholder)-len(br)))
}

func (w *testPDF) bytes() []byte { return bytes.Clone(w.buf.Bytes()) }

// fixture is a test PKI with a citizen signer and a TSA.
type fixture struct {
	pki  *testpki.PKI
	leaf *testpki.Leaf
	tsa  *testpki.Leaf
	now  time.Time
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	p, err := testpki.New(testpki.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	tsa, err := p.Public.CA.IssueLeaf(pkix.Name{CommonName: "Test TSA", Country: []string{"VN"}},
		testpki.WithMutate(func(c *x509.Certificate) {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
			c.KeyUsage = x509.KeyUsageDigitalSignature
		}))
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{pki: p, leaf: p.Public.Citizen, tsa: tsa, now: now}
}

// detached makes a detached CMS over the segments (adbe.pkcs7.detached,
// ETSI.CAdES.detached).
func (f *fixture) detached(t testing.TB, segs [][]byte) []byte {
	sd, err := pkcs7.NewSignedData(bytes.Join(segs, nil))
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(f.leaf.Cert, f.leaf.Key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	sd.AddCertificate(f.leaf.Issuer.Cert)
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sha1Attached makes the adbe.pkcs7.sha1 CMS: attached, its content the
// SHA-1 digest of the segments.
func (f *fixture) sha1Attached(t testing.TB, segs [][]byte) []byte {
	h := sha1.New()
	for _, s := range segs {
		h.Write(s)
	}
	sd, err := pkcs7.NewSignedData(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	// SHA-1 throughout, as Acrobat wrote adbe.pkcs7.sha1.
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA1)
	if err := sd.AddSigner(f.leaf.Cert, f.leaf.Key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// docTimestamp makes an RFC 3161 TimeStampToken over the segments.
func (f *fixture) docTimestamp(t testing.TB, segs [][]byte) []byte {
	h := sha256.New()
	for _, s := range segs {
		h.Write(s)
	}
	ts := timestamp.Timestamp{
		HashAlgorithm: crypto.SHA256, HashedMessage: h.Sum(nil), Time: f.now,
		Policy: asn1.ObjectIdentifier{1, 2, 3, 4}, AddTSACertificate: true,
	}
	resp, err := ts.CreateResponseWithOpts(f.tsa.Cert, f.tsa.Key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := timestamp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.RawToken
}

// signedDoc writes a one-page document and n signatures, each in its own
// incremental update (the first in the original revision); field i is
// object 10+2i named Signature<i>, its signature dictionary 11+2i.
func signedDoc(t testing.TB, f *fixture, n int, subFilter string, content []byte) *testPDF {
	w := newTestPDF()
	mk := f.detached
	if subFilter == "adbe.pkcs7.sha1" {
		mk = f.sha1Attached
	}
	for i := 1; i <= n; i++ {
		var fields []string
		for k := 1; k <= i; k++ {
			fields = append(fields, fmt.Sprintf("%d 0 R", 10+2*k))
		}
		list := strings.Join(fields, " ")
		if i == 1 {
			w.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>")
			w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
			w.stream(6, "", content)
		}
		w.obj(3, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [%s] >>", list))
		w.obj(4, fmt.Sprintf("<< /Fields [%s] /SigFlags 3 >>", list))
		w.obj(10+2*i, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature%d) /V %d 0 R /Rect [0 0 0 0] /P 3 0 R /F 132 >>", i, 11+2*i))
		w.sigDict(11+2*i, subFilter, "/M (D:20260301170000+07'00')")
		w.xrefTable()
		w.sign(t, mk)
	}
	return w
}

const pageText = "BT /F1 12 Tf 72 720 Td (Hello, Viet Nam) Tj ET"

func zlibWriterLevel(w *bytes.Buffer) (*zlib.Writer, error) {
	return zlib.NewWriterLevel(w, zlib.BestSpeed)
}
