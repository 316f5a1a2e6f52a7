package ocspcheck

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/crypto/ocsp"
)

// maxGETURL is the RFC 5019 §5 limit: clients use GET when the request
// fits in 255 bytes, which we apply to the whole URL, and POST otherwise.
const maxGETURL = 255

// getEscaper URL-escapes the base64 characters that are not safe in a path
// segment. '+' is escaped too: some servers read it as a space.
var getEscaper = strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D")

// BuildRequest returns the DER OCSPRequest for cert issued by issuer, with
// a SHA-1 CertID and no nonce, as RFC 5019 §2.1 profiles it so that
// responders and HTTP caches that only know that profile answer, and the
// RFC 5019 §5 GET URL for responderURL: responderURL, '/', then the
// URL-escaped base64 of der. getURL is "" (use POST to responderURL) when
// that URL would be 255 bytes or more, when responderURL has a query or
// fragment that a path cannot follow, or when responderURL is "".
//
// BuildRequest does not check responderURL against the fetch policy
// (scheme, reserved addresses): the fetcher does.
func BuildRequest(cert, issuer *x509.Certificate, responderURL string) (der []byte, getURL string, err error) {
	if cert == nil || issuer == nil {
		return nil, "", errors.New("ocspcheck: BuildRequest needs the certificate and its issuer")
	}
	der, err = ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return nil, "", fmt.Errorf("ocspcheck: building request: %w", err)
	}
	if responderURL == "" {
		return der, "", nil
	}
	u, err := url.Parse(responderURL)
	if err != nil {
		return nil, "", fmt.Errorf("ocspcheck: responder URL: %w", err)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return der, "", nil
	}
	sep := "/"
	if strings.HasSuffix(responderURL, "/") {
		sep = ""
	}
	g := responderURL + sep + getEscaper.Replace(base64.StdEncoding.EncodeToString(der))
	if len(g) >= maxGETURL {
		return der, "", nil
	}
	return der, g, nil
}
