package pdf

import (
	"strings"
	"time"
)

// vietnamZone is the zone a PDF date without one is read in: the
// documents this gateway sees are signed in Vietnam (UTC+7), as the rest
// of lienthong assumes for zoneless times.
var vietnamZone = time.FixedZone("UTC+7", 7*60*60)

// parseDate reads a PDF date "D:YYYYMMDDHHmmSSOHH'mm'" (ISO 32000-1
// §7.9.4) leniently: "D:" and every field after the year are optional,
// apostrophes may be missing, "Z" may be followed by 00'00'. zoned is
// false when the date carries no zone; it is then read as UTC+7.
func parseDate(s string) (t time.Time, zoned, ok bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "D:")
	i := 0
	num := func(width int) (int, bool) {
		if i+width > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range s[i : i+width] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		i += width
		return v, true
	}
	year, ok := num(4)
	if !ok {
		return time.Time{}, false, false
	}
	f := [5]int{1, 1, 0, 0, 0} // month day hour minute second
	for k := range f {
		v, ok := num(2)
		if !ok {
			break
		}
		f[k] = v
	}
	if f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 || f[3] > 59 || f[4] > 60 {
		return time.Time{}, false, false
	}
	loc := vietnamZone
	if i < len(s) {
		switch c := s[i]; c {
		case 'Z', 'z':
			loc, zoned = time.UTC, true
		case '+', '-':
			i++
			hh, ok1 := num(2)
			if i < len(s) && s[i] == '\'' {
				i++
			}
			mm, ok2 := num(2)
			if !ok1 || hh > 23 || (ok2 && mm > 59) {
				return time.Time{}, false, false
			}
			off := hh*3600 + mm*60
			if c == '-' {
				off = -off
			}
			loc, zoned = time.FixedZone("", off), true
		}
	}
	t = time.Date(year, time.Month(f[0]), f[1], f[2], f[3], f[4], 0, loc)
	return t, zoned, true
}
