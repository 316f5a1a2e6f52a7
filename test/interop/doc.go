// Package interop holds the interoperability corpus test: documents signed
// by independent tools (`openssl cms -sign`, `xmlsec1 --sign`, poppler's
// `pdfsig -add-signature` with an NSS database) with certificates of
// test/testpki, plus tampered variants, all generated at run time. For
// each document the test compares the tool's own verification (`openssl
// cms -verify`, `xmlsec1 --verify`, `pdfsig`) with lienthong's report.
//
// The tools come from the Debian packages openssl, xmlsec1, poppler-utils
// and libnss3-tools (.ci/run installs them). Without them the test skips,
// or fails under CI=true. To look at the corpus with the tools by hand:
//
//	go test -run TestInterop ./test/interop/ -args -interop.keep /tmp/corpus
//
// Nothing here is used outside tests; the package has no API.
package interop
