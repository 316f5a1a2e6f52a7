package cms

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
)

// errNoContent: a detached signature came without its content.
var errNoContent = errors.New("the CMS is detached and its signed content was not given")

// contentSource is the signed content of one Verify call: the encapsulated
// content, the caller's segments or the caller's digest. It hashes the
// content at most once per algorithm, however many signers use it.
type contentSource struct {
	present   bool
	segments  [][]byte // nil when only a digest was given
	digest    []byte
	digestAlg crypto.Hash
	// conflict, when set, says that the content given by the caller
	// differs from the encapsulated content: every signer is then a
	// HashMismatch, since the document the caller holds is not the
	// signed one.
	conflict string
	sums     []hashSum
	joined   []byte // message(), built once

}

type hashSum struct {
	h   crypto.Hash
	sum []byte
}

// newContentSource picks the content to verify sd against.
func newContentSource(sd *signedData, c *Content) *contentSource {
	given := c != nil && (c.Segments != nil || c.Digest != nil)
	// An empty eContent next to a content from the caller is read as a
	// detached signature written sloppily: the message digest still
	// binds the signature to what the caller gave.
	if !sd.attached || (given && len(sd.content) == 0) {
		if !given {
			return &contentSource{}
		}
		return &contentSource{present: true, segments: c.Segments, digest: c.Digest, digestAlg: c.DigestAlgorithm}
	}
	cs := &contentSource{present: true, segments: [][]byte{sd.content}}
	if given && !sameContent(c, sd.content) {
		cs.conflict = "the content given with the CMS differs from the content it encapsulates"
	}
	return cs
}

// sameContent reports whether c holds (or, as a digest, hashes to) b.
func sameContent(c *Content, b []byte) bool {
	if c.Segments != nil {
		for _, s := range c.Segments {
			if len(s) > len(b) || !bytes.Equal(s, b[:len(s)]) {
				return false
			}
			b = b[len(s):]
		}
		return len(b) == 0
	}
	if !c.DigestAlgorithm.Available() {
		return false
	}
	h := c.DigestAlgorithm.New()
	h.Write(b)
	return bytes.Equal(h.Sum(nil), c.Digest)
}

// sum returns the digest of the content with h, or an error saying why it
// is not available (reported as NoSignedData).
func (cs *contentSource) sum(h crypto.Hash) ([]byte, error) {
	if !cs.present {
		return nil, errNoContent
	}
	if cs.segments == nil {
		if cs.digestAlg != h {
			return nil, fmt.Errorf("the content was given as a %v digest but the signer used %v", cs.digestAlg, h)
		}
		if len(cs.digest) != h.Size() {
			return nil, fmt.Errorf("the %v digest given has %d bytes, not %d", h, len(cs.digest), h.Size())
		}
		return cs.digest, nil
	}
	for _, s := range cs.sums {
		if s.h == h {
			return s.sum, nil
		}
	}
	hh := h.New()
	for _, s := range cs.segments {
		hh.Write(s)
	}
	sum := hh.Sum(nil)
	cs.sums = append(cs.sums, hashSum{h, sum})
	return sum, nil
}

// message returns the content as one slice, for Ed25519 without signed
// attributes; nil when only a digest is at hand.
func (cs *contentSource) message() []byte {
	if cs.segments == nil {
		return nil
	}
	if cs.joined == nil { // once: message() runs per candidate signer certificate
		cs.joined = bytes.Join(cs.segments, nil)
		if cs.joined == nil {
			cs.joined = []byte{}
		}
	}
	return cs.joined
}
