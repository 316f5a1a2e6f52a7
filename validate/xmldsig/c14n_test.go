package xmldsig

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// find returns the first element named local, in document order.
func find(n *node, local string) *node {
	if n.kind == elementNode && n.local == local {
		return n
	}
	for _, ch := range n.children {
		if f := find(ch, local); f != nil {
			return f
		}
	}
	return nil
}

// TestCanonicalize checks the canonical forms against outputs worked out
// by hand from the recommendations (Canonical XML 1.0 and 1.1, Exclusive
// XML Canonicalization 1.0): namespace rendering at the apex of a subset
// and below it, attribute order by namespace name, escaping, xml:*
// inheritance, the document level and the enveloped-signature exclusion.
func TestCanonicalize(t *testing.T) {
	incl := c14nMethod{}
	incl11 := c14nMethod{v11: true}
	excl := c14nMethod{exclusive: true}
	tests := []struct {
		name    string
		in      string
		apex    string // local name of the apex; "" = whole document
		exclude string // local name of the excluded element
		m       c14nMethod
		want    string
	}{
		{"attributes sorted by namespace name, not prefix",
			`<e xmlns:b="urn:a" xmlns:a="urn:b" a:x="1" b:y="2" z="3"/>`, "", "", incl,
			`<e xmlns:a="urn:b" xmlns:b="urn:a" z="3" b:y="2" a:x="1"></e>`},
		{"escaping",
			"<e a=\"&#9;&#10;&#13;&lt;&amp;&quot;>'\">x&#13;\r\n&lt;&gt;&amp;<![CDATA[<&>]]></e>", "", "", incl,
			"<e a=\"&#x9;&#xA;&#xD;&lt;&amp;&quot;>'\">x&#xD;\n&lt;&gt;&amp;&lt;&amp;&gt;</e>"},
		{"attribute values normalized as XML 1.0 §3.3.3 says",
			"<e b='x&#10;y' a=\"1\n2\t3&#10;4&#9;5\r\n6 &lt;&#x41;\"/>", "", "", incl,
			`<e a="1 2 3&#xA;4&#x9;5 6 &lt;A" b="x&#xA;y"></e>`},
		{"inclusive subset carries every namespace and xml attribute in scope",
			`<r xmlns="urn:r" xmlns:u="urn:u" xml:lang="vi"><s xmlns:ds="urn:ds"><ds:t a="1"/></s></r>`, "s", "", incl,
			`<s xmlns="urn:r" xmlns:ds="urn:ds" xmlns:u="urn:u" xml:lang="vi"><ds:t a="1"></ds:t></s>`},
		{"exclusive subset carries only what is used",
			`<r xmlns="urn:r" xmlns:u="urn:u" xml:lang="vi"><s xmlns:ds="urn:ds"><ds:t a="1"/></s></r>`, "s", "", excl,
			`<s xmlns="urn:r"><ds:t xmlns:ds="urn:ds" a="1"></ds:t></s>`},
		{"exclusive with an InclusiveNamespaces PrefixList",
			`<r xmlns="urn:r" xmlns:u="urn:u"><s xmlns:ds="urn:ds"><ds:t a="1"/></s></r>`, "s", "",
			c14nMethod{exclusive: true, prefixes: []string{"u", "absent"}},
			`<s xmlns="urn:r" xmlns:u="urn:u"><ds:t xmlns:ds="urn:ds" a="1"></ds:t></s>`},
		{"exclusive re-declares a prefix only where its binding changes",
			`<r xmlns:p="urn:1"><p:a><p:b xmlns:p="urn:1"/><p:c xmlns:p="urn:2"/></p:a></r>`, "", "", excl,
			`<r><p:a xmlns:p="urn:1"><p:b></p:b><p:c xmlns:p="urn:2"></p:c></p:a></r>`},
		{"xmlns empty undoes a default namespace",
			`<r xmlns="urn:r"><a xmlns=""><b/></a></r>`, "", "", incl,
			`<r xmlns="urn:r"><a xmlns=""><b></b></a></r>`},
		{"exclusive xmlns empty",
			`<r xmlns="urn:r"><a xmlns=""><b/></a></r>`, "", "", excl,
			`<r xmlns="urn:r"><a xmlns=""><b></b></a></r>`},
		{"apex in no namespace writes no xmlns empty",
			`<r xmlns="urn:r"><a xmlns=""><b/></a></r>`, "a", "", incl,
			`<a><b></b></a>`},
		{"superfluous declarations dropped",
			`<r xmlns:p="urn:p"><a xmlns=""/><p:a xmlns:p="urn:p"/></r>`, "", "", incl,
			`<r xmlns:p="urn:p"><a></a><p:a></p:a></r>`},
		{"xml:id inherited by 1.0 only",
			`<r xml:id="i" xml:lang="vi"><a xml:lang="en"/></r>`, "a", "", incl,
			`<a xml:id="i" xml:lang="en"></a>`},
		{"xml:id not inherited by 1.1",
			`<r xml:id="i" xml:space="preserve"><a/></r>`, "a", "", incl11,
			`<a xml:space="preserve"></a>`},
		{"exclusive inherits no xml attribute",
			`<r xml:lang="vi"><a/></r>`, "a", "", excl,
			`<a></a>`},
		{"document level without comments",
			"<?xml version=\"1.0\"?>\n<?pi data?><!--c-->\n<r><!--in--><?p?></r>\n<?end?>", "", "", incl,
			"<?pi data?>\n<r><?p?></r>\n<?end?>"},
		{"document level with comments",
			"<?pi data?><!--c--><r><!--in--></r><!--after-->", "", "", c14nMethod{comments: true},
			"<?pi data?>\n<!--c-->\n<r><!--in--></r>\n<!--after-->"},
		{"enveloped signature left out",
			"<r>\n <a/>\n <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><x/></Signature>\n <b/>\n</r>", "", "Signature", incl,
			"<r>\n <a></a>\n \n <b></b>\n</r>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parse([]byte(tc.in), Options{}.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			var apex, exclude *node
			if tc.apex != "" {
				apex = find(doc.root, tc.apex)
			}
			if tc.exclude != "" {
				exclude = find(doc.root, tc.exclude)
			}
			var b bytes.Buffer
			budget := int64(1000)
			if err := canonicalize(&b, doc, apex, exclude, tc.m, &budget); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

func TestCanonicalizeBudget(t *testing.T) {
	doc, err := parse([]byte("<a>"+strings.Repeat("<b>x</b>", 100)+"</a>"), Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	budget := int64(50)
	if err := canonicalize(&b, doc, nil, nil, c14nMethod{}, &budget); !errors.Is(err, errBudget) {
		t.Fatalf("got %v, want errBudget", err)
	}
}

func TestParseSigningTime(t *testing.T) {
	tests := []struct {
		in    string
		want  string // RFC 3339 in UTC
		zoned bool
	}{
		{"2022-01-04T10:20:30", "2022-01-04T03:20:30Z", false},
		{"2022-01-04T10:20:30.123", "2022-01-04T03:20:30.123Z", false},
		{"2022-01-04 10:20:30", "2022-01-04T03:20:30Z", false},
		{"2022-01-04T10:20:30Z", "2022-01-04T10:20:30Z", true},
		{"2022-01-04T10:20:30+07:00", "2022-01-04T03:20:30Z", true},
		{"2022-01-04T10:20:30.5+0700", "2022-01-04T03:20:30.5Z", true},
	}
	for _, tc := range tests {
		got, zoned, ok := parseSigningTime(tc.in)
		if !ok || zoned != tc.zoned || got.UTC().Format("2006-01-02T15:04:05.999999999Z07:00") != tc.want {
			t.Errorf("%s: got %v %v %v, want %s %v", tc.in, got, zoned, ok, tc.want, tc.zoned)
		}
	}
	for _, bad := range []string{"", "04/01/2022 10:20:30", "2022-01-04", "yesterday"} {
		if _, _, ok := parseSigningTime(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
