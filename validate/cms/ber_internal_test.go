package cms

import (
	"bytes"
	"strings"
	"testing"
)

func TestToDER(t *testing.T) {
	deep := func(n int) []byte {
		b := []byte{}
		for range n {
			b = append(b, 0x30, 0x80)
		}
		b = append(b, 0x05, 0x00)
		for range n {
			b = append(b, 0, 0)
		}
		return b
	}
	cases := []struct {
		name      string
		in, want  []byte
		rest      int
		errSubstr string
	}{
		{name: "der-unchanged", in: []byte{0x30, 0x03, 0x02, 0x01, 0x05}, want: []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{name: "rest-returned", in: []byte{0x05, 0x00, 0x00, 0x00}, want: []byte{0x05, 0x00}, rest: 2},
		{name: "indefinite", in: []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, want: []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{name: "non-minimal-length", in: []byte{0x30, 0x81, 0x05, 0x02, 0x82, 0x00, 0x01, 0x05}, want: []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{name: "boolean", in: []byte{0x30, 0x03, 0x01, 0x01, 0x01}, want: []byte{0x30, 0x03, 0x01, 0x01, 0xff}},
		{name: "constructed-octet-string", in: []byte{0x24, 0x80, 0x04, 0x01, 'a', 0x24, 0x06, 0x04, 0x01, 'b', 0x04, 0x01, 'c', 0x00, 0x00},
			want: []byte{0x04, 0x03, 'a', 'b', 'c'}},
		{name: "constructed-in-explicit", in: []byte{0xa0, 0x80, 0x24, 0x80, 0x04, 0x01, 'a', 0x00, 0x00, 0x00, 0x00},
			want: []byte{0xa0, 0x03, 0x04, 0x01, 'a'}},
		{name: "long-content", in: append([]byte{0x30, 0x80, 0x04, 0x81, 0x80}, append(bytes.Repeat([]byte{7}, 128), 0, 0)...),
			want: append([]byte{0x30, 0x81, 0x83, 0x04, 0x81, 0x80}, bytes.Repeat([]byte{7}, 128)...)},
		{name: "depth-64", in: deep(64), want: nil},
		{name: "too-deep", in: deep(70), errSubstr: "deeper"},
		{name: "indefinite-primitive", in: []byte{0x04, 0x80, 0x00, 0x00}, errSubstr: "primitive"},
		{name: "high-tag", in: []byte{0x1f, 0x81, 0x01, 0x00}, errSubstr: "high tag"},
		{name: "missing-eoc", in: []byte{0x30, 0x80, 0x02, 0x01, 0x05}, errSubstr: "truncated"},
		{name: "child-overruns", in: []byte{0x30, 0x02, 0x02, 0x01, 0x05}, errSubstr: "truncated"},
		{name: "bad-segment", in: []byte{0x24, 0x80, 0x02, 0x01, 'a', 0x00, 0x00}, errSubstr: "segment"},
		{name: "length-of-5-octets", in: []byte{0x04, 0x85, 0, 0, 0, 0, 1, 0}, errSubstr: "octets"},
		{name: "stray-eoc", in: []byte{0x30, 0x02, 0x00, 0x00}, errSubstr: "end-of-contents"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := toDER(tc.in)
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("toDER = %x, %v; want error with %q", got, err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil && !bytes.Equal(got, tc.want) {
				t.Errorf("toDER = %x, want %x", got, tc.want)
			}
			if len(rest) != tc.rest {
				t.Errorf("rest = %x", rest)
			}
		})
	}
}
