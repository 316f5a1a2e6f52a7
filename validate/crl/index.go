package crl

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"iter"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"

	"github.com/lienthong/lienthong/trust"
)

// CRLReason values of the reason code entry extension (RFC 5280 §5.3.1).
// Value 7 is not used.
const (
	ReasonAbsent               = -1 // the entry has no reason code extension
	ReasonUnspecified          = 0
	ReasonKeyCompromise        = 1
	ReasonCACompromise         = 2
	ReasonAffiliationChanged   = 3
	ReasonSuperseded           = 4
	ReasonCessationOfOperation = 5
	ReasonCertificateHold      = 6
	ReasonRemoveFromCRL        = 8
	ReasonPrivilegeWithdrawn   = 9
	ReasonAACompromise         = 10
)

var reasonNames = [...]string{"unspecified", "keyCompromise", "cACompromise",
	"affiliationChanged", "superseded", "cessationOfOperation", "certificateHold",
	"7", "removeFromCRL", "privilegeWithdrawn", "aACompromise"}

// ReasonName returns the RFC 5280 name of a reason code ("keyCompromise"),
// "absent" for ReasonAbsent.
func ReasonName(r int) string {
	if r >= 0 && r < len(reasonNames) {
		return reasonNames[r]
	}
	if r == ReasonAbsent {
		return "absent"
	}
	return fmt.Sprint(r)
}

// Entry is one revoked certificate of a CRL (RFC 5280 §5.1.2.6, §5.3). The
// zero Entry means "not listed".
type Entry struct {
	RevocationTime time.Time
	// Reason is the reason code (ReasonKeyCompromise...), ReasonAbsent when
	// the entry has no reason code extension.
	Reason int
	// InvalidityDate is the invalidity date extension (§5.3.2), zero when
	// absent.
	InvalidityDate time.Time
	// CertificateIssuer is the DER Name of the issuer of the listed
	// certificate: the CRL issuer, or in an indirect CRL the directoryName of
	// the certificate issuer extension in effect for the entry (§5.3.3).
	// It is nil when that extension names no directoryName.
	CertificateIssuer []byte
}

// entry is the compact form of an Entry: 24 bytes, no pointers, so a CRL of
// a million entries is one allocation the garbage collector does not scan.
type entry struct {
	revTime   int64  // Unix seconds
	serialOff uint32 // offset of the serial's INTEGER contents in CRL.raw
	issuer    uint32 // index into entries.issuers
	serialLen uint8
	reason    int8
}

// issuerName is a certificate issuer named by a CRL: index 0 is the CRL
// issuer itself, the others come from certificate issuer entry extensions.
type issuerName struct {
	raw []byte // DER Name, nil when the extension had no directoryName
	key string // trust.CanonicalName(raw), "" when raw is nil
}

// entries is the serial number index of a CRL: an open-addressing hash
// table (linear probing, load factor <= 1/2) keyed by (issuer, serial
// contents). A slot holds the upper 32 bits of the key's hash and the
// index into list + 1, so that probing rarely touches list or the DER
// (each of which is a cache miss on a large CRL).
type entries struct {
	list        []entry
	slots       []uint64 // 0: empty; otherwise hash>>32<<32 | (index into list + 1)
	seed        maphash.Seed
	issuers     []issuerName
	issuerByKey map[string]uint32
	invalidity  map[uint32]int64 // entry index -> invalidity date (rare)
	dups        int
}

// parseEntries validates and indexes revokedCertificates (the contents of
// the SEQUENCE OF). It runs after the CRL extensions, so it knows whether
// the CRL is indirect.
func (c *CRL) parseEntries(revoked cryptobyte.String) error {
	n := 0
	for s := revoked; !s.Empty(); n++ {
		if !s.SkipASN1(asn1.SEQUENCE) {
			return malformed(fmt.Sprintf("revoked certificate entry %d", n))
		}
	}
	c.issuers = []issuerName{{raw: c.rawIssuer, key: c.issuerKey}}
	c.issuerByKey = map[string]uint32{c.issuerKey: 0}
	c.list = make([]entry, 0, n)
	size := 8
	for size < 2*n {
		size <<= 1
	}
	c.slots = make([]uint64, size)
	c.seed = maphash.MakeSeed()

	indirect := c.idp != nil && c.idp.IndirectCRL
	var byRaw map[string]uint32 // certificate issuer extension value -> issuer index
	cur := uint32(0)
	base := cap(c.raw)
	for i := 0; !revoked.Empty(); i++ {
		var e, serial cryptobyte.String
		if !revoked.ReadASN1(&e, asn1.SEQUENCE) || !e.ReadASN1(&serial, asn1.INTEGER) {
			return badEntry(i, "structure")
		}
		if !minimalInteger(serial) || len(serial) > 255 {
			return badEntry(i, "serial number is not a minimal INTEGER of at most 255 octets")
		}
		rt, ok := readTime(&e)
		if !ok {
			return badEntry(i, "revocationDate")
		}
		var inv int64
		hasInv := false
		x := entry{revTime: rt, serialOff: uint32(base - cap(serial)), serialLen: uint8(len(serial)), reason: ReasonAbsent}
		if !e.Empty() {
			var exts cryptobyte.String
			if !e.ReadASN1(&exts, asn1.SEQUENCE) || !e.Empty() {
				return badEntry(i, "crlEntryExtensions")
			}
			var seen [4]bool
			for !exts.Empty() {
				var ext, oid, val cryptobyte.String
				var critical bool
				if !exts.ReadASN1(&ext, asn1.SEQUENCE) ||
					!ext.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) ||
					!readCritical(&ext, &critical) ||
					!ext.ReadASN1(&val, asn1.OCTET_STRING) || !ext.Empty() {
					return badEntry(i, "extension")
				}
				k := -1
				switch {
				case bytes.Equal(oid, oidReasonCode):
					k = 0
					var r int
					if !val.ReadASN1Enum(&r) || !val.Empty() || r < 0 || r > 10 || r == 7 {
						return badEntry(i, "reason code")
					}
					x.reason = int8(r)
				case bytes.Equal(oid, oidInvalidityDate):
					k = 1
					var ok bool
					if inv, ok = readTime(&val); !ok || !val.Empty() {
						return badEntry(i, "invalidity date")
					}
					hasInv = true
				case bytes.Equal(oid, oidHoldInstruction):
					k = 2
					if !val.SkipASN1(asn1.OBJECT_IDENTIFIER) || !val.Empty() {
						return badEntry(i, "hold instruction code")
					}
				case bytes.Equal(oid, oidCertificateIssuer):
					k = 3
					if !indirect {
						return badEntry(i, "certificate issuer extension in a CRL that is not indirect (RFC 5280 §5.3.3)")
					}
					idx, ok := byRaw[string(val)]
					if !ok {
						var err error
						if idx, err = c.addIssuer(val); err != nil {
							return badEntry(i, err.Error())
						}
						if byRaw == nil {
							byRaw = map[string]uint32{}
						}
						byRaw[string(val)] = idx
					}
					cur = idx
				default:
					if critical {
						return fmt.Errorf("%w: entry %d extension %s (RFC 5280 §5.3)", ErrUnrecognizedCritical, i, oidString(oid))
					}
				}
				if k >= 0 {
					if seen[k] {
						return badEntry(i, "duplicate extension "+oidString(oid))
					}
					seen[k] = true
				}
			}
		}
		x.issuer = cur // the certificate issuer extension applies to this entry and the following ones
		if idx, added := c.insert(x); added && hasInv {
			if c.invalidity == nil {
				c.invalidity = map[uint32]int64{}
			}
			c.invalidity[idx] = inv
		}
	}
	return nil
}

func badEntry(i int, what string) error {
	return malformed(fmt.Sprintf("revoked certificate entry %d: %s", i, what))
}

// addIssuer registers the GeneralNames of a certificate issuer extension and
// returns its issuer index; names with the same directoryName share one.
func (c *CRL) addIssuer(val []byte) (uint32, error) {
	names, ok := parseGeneralNames(val)
	if !ok {
		return 0, fmt.Errorf("certificate issuer: malformed GeneralNames")
	}
	in := issuerName{}
	for _, n := range names {
		if n.Tag == TagDirectoryName {
			key, err := trust.CanonicalName(n.Value)
			if err != nil {
				return 0, fmt.Errorf("certificate issuer: %v", err)
			}
			in = issuerName{raw: n.Value, key: key}
			break
		}
	}
	if in.raw != nil {
		if idx, ok := c.issuerByKey[in.key]; ok {
			return idx, nil
		}
	}
	c.issuers = append(c.issuers, in)
	idx := uint32(len(c.issuers) - 1)
	if in.raw != nil {
		c.issuerByKey[in.key] = idx
	}
	return idx, nil
}

func (e *entries) hash(issuer uint32, serial []byte) uint64 {
	h := maphash.Bytes(e.seed, serial)
	if issuer != 0 {
		h ^= uint64(issuer) * 0x9e3779b97f4a7c15
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return h
}

func (c *CRL) serialOf(x *entry) []byte {
	return c.raw[x.serialOff : x.serialOff+uint32(x.serialLen)]
}

// insert adds x to the index unless an entry for the same issuer and serial
// is already there (the first one is kept and the duplicate counted). It
// returns the index of the new entry.
func (c *CRL) insert(x entry) (uint32, bool) {
	serial := c.serialOf(&x)
	h := c.hash(x.issuer, serial)
	tag := h &^ 0xffffffff
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			c.list = append(c.list, x)
			c.slots[i] = tag | uint64(len(c.list))
			return uint32(len(c.list) - 1), true
		}
		if s&^0xffffffff != tag {
			continue
		}
		if y := &c.list[uint32(s)-1]; y.issuer == x.issuer && bytes.Equal(c.serialOf(y), serial) {
			c.dups++
			return 0, false
		}
	}
}

// find returns the index of the entry for (issuer, serial contents).
func (c *CRL) find(issuer uint32, serial []byte) (int, bool) {
	if len(c.list) == 0 {
		return 0, false
	}
	h := c.hash(issuer, serial)
	tag := h &^ 0xffffffff
	mask := uint64(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := c.slots[i]
		if s == 0 {
			return 0, false
		}
		if s&^0xffffffff != tag {
			continue
		}
		if y := &c.list[uint32(s)-1]; y.issuer == issuer && bytes.Equal(c.serialOf(y), serial) {
			return int(uint32(s) - 1), true
		}
	}
}

func (c *CRL) entryAt(i int) Entry {
	x := &c.list[i]
	e := Entry{
		RevocationTime:    time.Unix(x.revTime, 0).UTC(),
		Reason:            int(x.reason),
		CertificateIssuer: c.issuers[x.issuer].raw,
	}
	if t, ok := c.invalidity[uint32(i)]; ok {
		e.InvalidityDate = time.Unix(t, 0).UTC()
	}
	return e
}

// Lookup returns the entry listing serial for a certificate issued by the
// CRL issuer itself. In an indirect CRL, entries for other certificate
// issuers are found with LookupIssuer. It runs in constant time and does
// not allocate for serials of up to 63 octets.
func (c *CRL) Lookup(serial *big.Int) (Entry, bool) {
	var buf [64]byte
	if i, ok := c.find(0, appendSerial(buf[:0], serial)); ok {
		return c.entryAt(i), true
	}
	return Entry{}, false
}

// LookupIssuer returns the entry listing the certificate with the given
// issuer (DER Name, a certificate's RawIssuer) and serial number, matching
// names as RFC 5280 §7.1 does: the CRL issuer's entries for a direct CRL,
// and for an indirect CRL the entries whose certificate issuer (§5.3.3)
// is that name.
func (c *CRL) LookupIssuer(issuer []byte, serial *big.Int) (Entry, bool) {
	idx, ok := c.issuerIndex(issuer)
	if !ok {
		return Entry{}, false
	}
	var buf [64]byte
	if i, ok := c.find(idx, appendSerial(buf[:0], serial)); ok {
		return c.entryAt(i), true
	}
	return Entry{}, false
}

func (c *CRL) issuerIndex(issuer []byte) (uint32, bool) {
	if bytes.Equal(issuer, c.rawIssuer) {
		return 0, true
	}
	key, err := trust.CanonicalName(issuer)
	if err != nil {
		return 0, false
	}
	idx, ok := c.issuerByKey[key]
	return idx, ok
}

// Len returns the number of indexed entries (duplicates excluded).
func (c *CRL) Len() int { return len(c.list) }

// Duplicates returns how many entries repeated the issuer and serial of an
// earlier entry; Parse indexed only the first of each.
func (c *CRL) Duplicates() int { return c.dups }

// All iterates over the indexed entries in CRL order, yielding each serial
// number's INTEGER contents (a view into the DER) and the entry.
func (c *CRL) All() iter.Seq2[[]byte, Entry] {
	return func(yield func([]byte, Entry) bool) {
		for i := range c.list {
			if !yield(c.serialOf(&c.list[i]), c.entryAt(i)) {
				return
			}
		}
	}
}

// appendSerial appends the contents of the DER INTEGER encoding of n (two's
// complement, minimal) to dst, the form serials are indexed under.
func appendSerial(dst []byte, n *big.Int) []byte {
	switch n.Sign() {
	case 0:
		return append(dst, 0)
	case 1:
		if n.BitLen()%8 == 0 {
			dst = append(dst, 0)
		}
		start := len(dst)
		dst = append(dst, make([]byte, (n.BitLen()+7)/8)...)
		n.FillBytes(dst[start:])
		return dst
	}
	// Negative: the two's complement of n is the bitwise complement of -n-1.
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] ^= 0xff
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		dst = append(dst, 0xff)
	}
	return append(dst, b...)
}
