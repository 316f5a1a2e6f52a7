package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/validate"
)

// contract is the text signed as CMS content: Vietnamese in UTF-8 with
// CRLF line ends, which `-binary` keeps as they are (no S/MIME
// canonicalisation), so a verifier that rewrote line ends would fail.
var contract = []byte("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\r\nĐộc lập - Tự do - Hạnh phúc\r\n\r\n" +
	"HỢP ĐỒNG DỊCH VỤ số 01/2026/HĐ-TN\r\nGiá trị: 1.100.000 đồng (đã gồm thuế GTGT 10%)\r\n")

// binaryBlob is content with every byte value, NUL, CR and LF included.
func binaryBlob() []byte {
	b := make([]byte, 0, 1024)
	for i := range 1024 {
		b = append(b, byte(i*7+i/256))
	}
	return b
}

// cmsSpec is one way of calling `openssl cms -sign`.
type cmsSpec struct {
	name     string
	signer   string
	md       string // -md
	attached bool   // -nodetach: the content inside the SignedData
	pss      bool   // RSASSA-PSS instead of PKCS#1 v1.5
	noattr   bool   // no signed attributes: the signature is over the content itself
	content  []byte
}

var cmsSpecs = []cmsSpec{
	{name: "detached-p256-sha256", signer: "citizen-ec", md: "sha256", content: contract},
	{name: "detached-p256-sha512-gov", signer: "official-ec", md: "sha512", content: contract},
	{name: "detached-rsa-sha256-gov", signer: "official-rsa", md: "sha256", content: contract},
	{name: "detached-rsa-pss-sha256", signer: "citizen-rsa", md: "sha256", pss: true, content: contract},
	{name: "detached-rsa-sha1", signer: "citizen-rsa", md: "sha1", content: contract},
	{name: "detached-p256-noattr", signer: "business-ec", md: "sha256", noattr: true, content: contract},
	{name: "detached-p256-sha384-binary", signer: "citizen-ec", md: "sha384", content: binaryBlob()},
	{name: "attached-p256-sha384", signer: "business-ec", md: "sha384", attached: true, content: contract},
	{name: "attached-rsa-sha512-gov", signer: "official-rsa", md: "sha512", attached: true, content: contract},
	{name: "attached-rsa-pss-sha384", signer: "citizen-rsa", md: "sha384", pss: true, attached: true, content: contract},
	// Same names as the real hierarchy, other keys: nothing chains to a
	// trusted root.
	{name: "detached-lookalike-signer", signer: "lookalike", md: "sha256", content: contract},
}

// cmsVariant is a signed document as given to both verifiers.
type cmsVariant struct {
	suffix  string // "" for the document as signed
	valid   bool
	subs    []validate.SubIndication
	content []byte
	sig     []byte
}

// opensslCases signs with `openssl cms -sign` per cmsSpecs and derives the
// tampered variants: a flipped content byte (HASH_FAILURE: the
// messageDigest attribute no longer matches) and a flipped signature byte
// (SIG_CRYPTO_FAILURE).
func opensslCases(t *testing.T, c *corpusPKI) []*corpusCase {
	t.Helper()
	var cases []*corpusCase
	for _, sp := range cmsSpecs {
		s := c.signers[sp.signer]
		docPath := c.write(t, "cms-"+sp.name+".bin", sp.content)
		sigPath := c.path("cms-" + sp.name + ".p7s")
		args := []string{"cms", "-sign", "-binary", "-in", docPath, "-signer", s.cert, "-inkey", s.key,
			"-certfile", s.ca, "-md", sp.md, "-outform", "DER", "-out", sigPath}
		if sp.attached {
			args = append(args, "-nodetach")
		}
		if sp.pss {
			args = append(args, "-keyopt", "rsa_padding_mode:pss")
		}
		if sp.noattr {
			args = append(args, "-noattr")
		}
		mustRun(t, c.dir, "openssl", args...)
		sig, err := os.ReadFile(sigPath)
		if err != nil {
			t.Fatal(err)
		}
		contentSpan, sigSpan, err := cmsSpans(sig)
		if err != nil {
			t.Fatalf("%s: %v", sp.name, err)
		}
		at := bytes.Index(sp.content, []byte("01/2026"))
		if at < 0 {
			at = len(sp.content) / 2
		}

		trusted := sp.signer != "lookalike"
		contentFailure := []validate.SubIndication{validate.HashFailure}
		if sp.noattr { // the content digest exists only inside the signature value
			contentFailure = append(contentFailure, validate.SigCryptoFailure)
		}
		variants := []cmsVariant{{"", trusted, []validate.SubIndication{validate.NoCertificateChainFound}, sp.content, sig}}
		if trusted {
			tamperedContent, tamperedSig := flipped(sp.content, at), sig
			if sp.attached {
				if !bytes.Equal(sig[contentSpan.start:contentSpan.end], sp.content) {
					t.Fatalf("%s: the eContent found is not the signed content", sp.name)
				}
				tamperedContent, tamperedSig = sp.content, flipped(sig, contentSpan.start+at)
			}
			variants = append(variants,
				cmsVariant{"content-flipped", false, contentFailure, tamperedContent, tamperedSig},
				cmsVariant{"signature-flipped", false, []validate.SubIndication{validate.SigCryptoFailure},
					sp.content, flipped(sig, sigSpan.end-1)})
		}
		for _, v := range variants {
			name := sp.name
			if v.suffix != "" {
				name += "/" + v.suffix
			}
			stem := "cms-" + strings.ReplaceAll(name, "/", "-")
			sigFile := c.write(t, stem+".p7s", v.sig)
			in := input{format: validate.FormatCMS, data: v.sig}
			verifyArgs := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", sigFile,
				"-CAfile", c.roots, "-purpose", "any", "-out", os.DevNull}
			if !sp.attached {
				docFile := c.write(t, stem+".bin", v.content)
				in = input{format: validate.FormatCMS, data: v.content, signature: v.sig}
				verifyArgs = append(verifyArgs, "-content", docFile)
			}
			cases = append(cases, &corpusCase{
				tool: toolOpenSSL, name: name, input: in, valid: v.valid, subs: v.subs,
				verify: func(ctx context.Context) (toolVerdict, error) {
					return opensslVerify(ctx, c.dir, verifyArgs)
				},
			})
		}
	}
	return cases
}

// opensslVerify runs `openssl cms -verify`: exit 0 with "Verification
// successful" is valid, exit 4 with "Verification failure" invalid (see
// openssl-cms(1), EXIT CODES); anything else is the tool failing to run.
func opensslVerify(ctx context.Context, dir string, args []string) (toolVerdict, error) {
	r, err := run(ctx, dir, "openssl", args...)
	if err != nil {
		return toolVerdict{out: r}, err
	}
	all := r.stdout + r.stderr
	switch {
	case r.code == 0 && strings.Contains(all, "Verification successful"):
		return toolVerdict{sigs: []toolSig{{valid: true, detail: "Verification successful"}}, out: r}, nil
	case r.code == 4 && strings.Contains(all, "Verification failure"):
		return toolVerdict{sigs: []toolSig{{valid: false, detail: opensslReason(r.stderr)}}, out: r}, nil
	}
	return toolVerdict{out: r}, fmt.Errorf("openssl cms -verify gave no verdict\n%s", r)
}

var opensslError = regexp.MustCompile(`routines:([^:\n]*:[^:\n]*)`)

// opensslReason picks the telling part of openssl's error queue.
func opensslReason(stderr string) string {
	if i := strings.Index(stderr, "Verify error:"); i >= 0 {
		return firstLine(stderr[i:], "")
	}
	if m := opensslError.FindStringSubmatch(stderr); m != nil {
		return m[1]
	}
	return firstLine(stderr, "")
}

// firstLine returns the first line of s containing sub, else s's first line.
func firstLine(s, sub string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[0])
}
