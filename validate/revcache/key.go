package revcache

import (
	"encoding/binary"
	"unsafe"
)

// keyBufSize is the stack buffer lookup encodes keys into. Typical keys
// (a 4-byte source, 32-byte hash, up to 40 hex digits and a URL) fit; a
// longer one makes append move to the heap, which is correct, only slower.
const keyBufSize = 256

// appendKey appends an encoding of k that is injective: Source and Serial
// are length-prefixed, the hash has a fixed size and Scope runs to the end,
// so no two keys share an encoding whatever bytes their strings hold.
func appendKey(b []byte, k Key) []byte {
	b = binary.AppendUvarint(b, uint64(len(k.Source)))
	b = append(b, k.Source...)
	b = append(b, k.IssuerKeyHash[:]...)
	b = binary.AppendUvarint(b, uint64(len(k.Serial)))
	b = append(b, k.Serial...)
	return append(b, k.Scope...)
}

// transientKey views b as a string without copying, so that a cache hit
// does not allocate. The string must not outlive the call it is passed to
// nor be stored: it is only ever given to go-cache's Get, which indexes
// its map with it and keeps nothing. Stored keys are always real copies
// (string(appendKey(nil, k))).
func transientKey(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
