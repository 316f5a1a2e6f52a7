package trust_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lienthong/lienthong/trust"
)

func TestParseHierarchy(t *testing.T) {
	tests := []struct {
		in      string
		want    trust.Hierarchy
		wantErr bool
	}{
		{"public", trust.Public, false},
		{"government", trust.Government, false},
		{"other", trust.Other, false},
		{"", "", true},
		{"Public", "", true},
		{"gov", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := trust.ParseHierarchy(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseHierarchy(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestRoleString(t *testing.T) {
	for r, want := range map[trust.Role]string{trust.RoleAnchor: "anchor", trust.RoleIntermediate: "intermediate", trust.RoleCross: "cross", 0: "unknown"} {
		if got := r.String(); got != want {
			t.Errorf("Role(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}

func TestNewCert(t *testing.T) {
	r := root(t, "NewCert Root")
	c := mustCert(t, r.cert)
	if c.SHA256 != fp(r.cert) {
		t.Error("SHA256 is not the fingerprint of the DER certificate")
	}
	if c.KeyHash != sha256.Sum256(r.cert.RawSubjectPublicKeyInfo) {
		t.Error("KeyHash is not the SHA-256 of the SubjectPublicKeyInfo")
	}
	if want, _ := trust.CanonicalName(r.cert.RawSubject); c.SubjectKey != want {
		t.Errorf("SubjectKey = %q, want %q", c.SubjectKey, want)
	}
	if c.IssuerKey != c.SubjectKey {
		t.Error("self-signed: IssuerKey must equal SubjectKey")
	}
	bad := *r.cert
	bad.RawSubject = []byte{0x30, 0x01}
	if _, err := trust.NewCert(&bad); err == nil || !strings.Contains(err.Error(), "subject") {
		t.Errorf("NewCert with a malformed subject: %v, want a subject error", err)
	}
	bad = *r.cert
	bad.RawIssuer = []byte{0x31, 0x00}
	if _, err := trust.NewCert(&bad); err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Errorf("NewCert with a malformed issuer: %v, want an issuer error", err)
	}
}

func TestNew(t *testing.T) {
	pubRoot := root(t, "Vietnam National Root CA")
	pubRoot2 := root(t, "Vietnam National Root CA G3")
	pubSub := subCA(t, "VNPT-CA SHA2", pubRoot)
	govRoot := root(t, "RootCA chuyên dùng Chính phủ G2")
	govSub := subCA(t, "CA phục vụ các cơ quan Nhà nước G2", govRoot)
	cross := mkCert(t, certSpec{cn: "RootCA chuyên dùng Chính phủ G2", key: govRoot.key, parent: pubRoot})
	eeAnchor := mkCert(t, certSpec{cn: "Citizen Nguyen Van A", notCA: true})
	noBC := mkCert(t, certSpec{cn: "Old Root Without Basic Constraints", noBC: true})
	eeSub := leaf(t, "Signing Service", pubRoot)

	twoDomains := func() []trust.DomainSpec {
		return []trust.DomainSpec{
			{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot, pubRoot2), Intermediates: certsOf(pubSub)},
			{Name: "government", Hierarchy: trust.Government, Anchors: certsOf(govRoot), Intermediates: certsOf(govSub), Policies: []string{"2.16.704.1.2.2"}},
		}
	}
	tests := []struct {
		name    string
		specs   func() []trust.DomainSpec
		cross   []*x509.Certificate
		wantErr []string // all must appear in the error
		check   func(t *testing.T, s *trust.Store)
	}{
		{
			name:  "two domains and a cross-certificate",
			specs: twoDomains,
			cross: certsOf(cross),
			check: func(t *testing.T, s *trust.Store) {
				if got := s.Len(); got != 6 {
					t.Errorf("Len = %d, want 6", got)
				}
				if got := len(s.All()); got != 6 {
					t.Errorf("len(All) = %d, want 6", got)
				}
				ds := s.Domains()
				if len(ds) != 2 || ds[0].Name != "public" || ds[1].Name != "government" {
					t.Fatalf("Domains = %v, want public, government in that order", domainNames(ds))
				}
				pub, gov := s.Domain("public"), s.Domain("government")
				if pub != ds[0] || gov != ds[1] || s.Domain("other") != nil {
					t.Error("Domain(name) does not return the domains")
				}
				if pub.Hierarchy != trust.Public || gov.Hierarchy != trust.Government {
					t.Error("hierarchies not kept")
				}
				if len(pub.Anchors) != 2 || len(pub.Intermediates) != 1 || len(gov.Anchors) != 1 || len(gov.Intermediates) != 1 {
					t.Errorf("public %d/%d, government %d/%d anchors/intermediates; want 2/1, 1/1",
						len(pub.Anchors), len(pub.Intermediates), len(gov.Anchors), len(gov.Intermediates))
				}
				if got := gov.Policies; len(got) != 1 || got[0] != "2.16.704.1.2.2" {
					t.Errorf("government Policies = %v", got)
				}
				for _, c := range pub.Anchors {
					if c.Role != trust.RoleAnchor || c.Domain != pub {
						t.Errorf("%s: role %v domain %v", c.X509.Subject.CommonName, c.Role, c.Domain)
					}
				}
				if c := gov.Intermediates[0]; c.Role != trust.RoleIntermediate || c.Domain != gov {
					t.Errorf("government intermediate: role %v", c.Role)
				}
				cc := s.CrossCertificates()
				if len(cc) != 1 || cc[0].Role != trust.RoleCross || cc[0].Domain != nil {
					t.Fatalf("CrossCertificates = %v", cc)
				}
				if got := s.ByFingerprint(fp(cross.cert)); len(got) != 1 || got[0] != cc[0] {
					t.Error("ByFingerprint(cross) does not return the cross entry")
				}
				// The cross-certificate has the government root's name and key
				// but is not an anchor entry itself: Anchor finds the root.
				if got := s.Anchor(cc[0]); len(got) != 1 || got[0] != gov.Anchors[0] {
					t.Errorf("Anchor(cross) = %v, want the government root", got)
				}
				if got := s.BySubject(govRoot.cert.RawSubject); len(got) != 2 {
					t.Errorf("BySubject(government root) = %d entries, want 2 (root and cross)", len(got))
				}
				if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(s.Digest()) {
					t.Errorf("Digest = %q", s.Digest())
				}
			},
		},
		{
			name: "same certificate twice in one role is kept once",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Hierarchy: trust.Public,
					Anchors:       []*x509.Certificate{pubRoot.cert, pubRoot.cert, nil, pubRoot2.cert},
					Intermediates: []*x509.Certificate{pubSub.cert, nil, pubSub.cert}}}
			},
			check: func(t *testing.T, s *trust.Store) {
				if got := s.Len(); got != 3 {
					t.Errorf("Len = %d, want 3", got)
				}
				d := s.Domain("public")
				if len(d.Anchors) != 2 || len(d.Intermediates) != 1 {
					t.Errorf("%d anchors, %d intermediates; want 2, 1", len(d.Anchors), len(d.Intermediates))
				}
				if got := s.ByFingerprint(fp(pubRoot.cert)); len(got) != 1 {
					t.Errorf("ByFingerprint = %d entries, want 1", len(got))
				}
			},
		},
		{
			name: "same certificate decoded twice (distinct pointers) is kept once",
			specs: func() []trust.DomainSpec {
				again, err := x509.ParseCertificate(pubRoot.cert.Raw)
				if err != nil {
					t.Fatal(err)
				}
				return []trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: []*x509.Certificate{pubRoot.cert, again}}}
			},
			check: func(t *testing.T, s *trust.Store) {
				if s.Len() != 1 || len(s.Domain("public").Anchors) != 1 {
					t.Errorf("Len = %d, anchors %d; want 1, 1", s.Len(), len(s.Domain("public").Anchors))
				}
			},
		},
		{
			name: "anchor of one domain and intermediate of another counts once in Len",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{
					{Name: "a", Hierarchy: trust.Public, Anchors: certsOf(pubRoot)},
					{Name: "b", Hierarchy: trust.Other, Anchors: certsOf(govRoot), Intermediates: certsOf(pubRoot)},
				}
			},
			check: func(t *testing.T, s *trust.Store) {
				if s.Len() != 2 || len(s.All()) != 3 {
					t.Errorf("Len = %d, len(All) = %d; want 2, 3", s.Len(), len(s.All()))
				}
				if got := s.ByFingerprint(fp(pubRoot.cert)); len(got) != 2 {
					t.Errorf("ByFingerprint = %d entries, want 2 (one per role)", len(got))
				}
			},
		},
		{name: "no domain", specs: func() []trust.DomainSpec { return nil }, wantErr: []string{"no trust domain"}},
		{
			name: "non-CA anchor",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot, eeAnchor)}}
			},
			wantErr: []string{"Citizen Nguyen Van A", "not a CA", "anchor", "domain public", fpHex(eeAnchor.cert)},
		},
		{
			name: "anchor without basicConstraints",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(noBC)}}
			},
			wantErr: []string{"Old Root Without Basic Constraints", "not a CA"},
		},
		{
			name: "non-CA intermediate",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot), Intermediates: certsOf(pubSub, eeSub)}}
			},
			wantErr: []string{"Signing Service", "not a CA", "intermediate"},
		},
		{
			name:    "non-CA cross-certificate",
			specs:   twoDomains,
			cross:   certsOf(eeSub),
			wantErr: []string{"Signing Service", "not a CA", "cross"},
		},
		{
			name: "same certificate anchor of two domains",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{
					{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot)},
					{Name: "government", Hierarchy: trust.Government, Anchors: certsOf(govRoot, pubRoot)},
				}
			},
			wantErr: []string{"anchor of both domains", "public", "government", "Vietnam National Root CA"},
		},
		{
			name: "bad domain name",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "Public Domain", Hierarchy: trust.Public, Anchors: certsOf(pubRoot)}}
			},
			wantErr: []string{`"Public Domain"`, "must match"},
		},
		{
			name: "empty domain name",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Hierarchy: trust.Public, Anchors: certsOf(pubRoot)}}
			},
			wantErr: []string{`""`},
		},
		{
			name: "duplicate domain",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{
					{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot)},
					{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot2)},
				}
			},
			wantErr: []string{`"public" defined twice`},
		},
		{
			name: "unknown hierarchy",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Hierarchy: "national", Anchors: certsOf(pubRoot)}}
			},
			wantErr: []string{"public", `"national"`},
		},
		{
			name: "empty hierarchy",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Anchors: certsOf(pubRoot)}}
			},
			wantErr: []string{"hierarchy"},
		},
		{
			name: "domain without anchors",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{
					{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(pubRoot)},
					{Name: "government", Hierarchy: trust.Government, Intermediates: certsOf(govSub)},
				}
			},
			wantErr: []string{"government has no anchor"},
		},
		{
			name: "domain whose anchors are all nil",
			specs: func() []trust.DomainSpec {
				return []trust.DomainSpec{{Name: "public", Hierarchy: trust.Public, Anchors: []*x509.Certificate{nil}}}
			},
			wantErr: []string{"public has no anchor"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := trust.New(tt.specs(), tt.cross)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("New succeeded, want an error")
				}
				if s != nil {
					t.Error("New returned a store with its error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func domainNames(ds []*trust.Domain) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// TestLookAlikeRoot: a root with the same subject DN as an anchor and
// another key (as the Mobile-ID test PKI has for the MIC National Root CA)
// is a distinct entry and never an anchor.
func TestLookAlikeRoot(t *testing.T) {
	name := pkix.Name{CommonName: "MIC National Root CA", OrganizationalUnit: []string{"National CA Center"}, Organization: []string{"Ministry of Information and Communications"}, Country: []string{"VN"}}
	realRoot := mkCert(t, certSpec{subject: &name})
	fake := mkCert(t, certSpec{subject: &name})
	// Same DN written differently (case, spaces): still the same name.
	fakeName := pkix.Name{CommonName: "MIC  NATIONAL ROOT CA", OrganizationalUnit: []string{"national ca center"}, Organization: []string{"Ministry of Information and Communications "}, Country: []string{"VN"}}
	fake2 := mkCert(t, certSpec{subject: &fakeName})
	// A re-issued root: same name and key, new certificate.
	reissued := mkCert(t, certSpec{subject: &name, key: realRoot.key})

	s, err := trust.New([]trust.DomainSpec{{
		Name: "public", Hierarchy: trust.Public,
		Anchors:       certsOf(realRoot),
		Intermediates: certsOf(fake, fake2),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	realC, fakeC, fake2C, reC := mustCert(t, realRoot.cert), mustCert(t, fake.cert), mustCert(t, fake2.cert), mustCert(t, reissued.cert)
	if realC.SubjectKey != fakeC.SubjectKey || realC.SubjectKey != fake2C.SubjectKey {
		t.Fatal("test setup: the look-alikes must have the same canonical name")
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"kept distinct", func(t *testing.T) {
			if s.Len() != 3 {
				t.Errorf("Len = %d, want 3", s.Len())
			}
			got := s.BySubject(realRoot.cert.RawSubject)
			want := []string{fpHex(realRoot.cert), fpHex(fake.cert), fpHex(fake2.cert)}
			if g := fingerprints(got); strings.Join(g, ",") != strings.Join(sortedStrings(want), ",") {
				t.Errorf("BySubject = %v, want %v", g, sortedStrings(want))
			}
			if got := s.BySubjectKey(realC.SubjectKey); len(got) != 3 {
				t.Errorf("BySubjectKey = %d entries, want 3", len(got))
			}
		}},
		{"Anchor finds only the real root", func(t *testing.T) {
			got := s.Anchor(realC)
			if len(got) != 1 || got[0].SHA256 != realC.SHA256 || got[0].Role != trust.RoleAnchor {
				t.Errorf("Anchor(real) = %v", fingerprints(got))
			}
			if got := s.Anchor(fakeC); got != nil {
				t.Errorf("Anchor(look-alike) = %v, want nil", fingerprints(got))
			}
			if got := s.Anchor(fake2C); got != nil {
				t.Errorf("Anchor(look-alike, other spelling) = %v, want nil", fingerprints(got))
			}
		}},
		{"re-issued root with the same name and key is the same anchor", func(t *testing.T) {
			got := s.Anchor(reC)
			if len(got) != 1 || got[0].SHA256 != realC.SHA256 {
				t.Errorf("Anchor(re-issued) = %v, want the real root", fingerprints(got))
			}
			if s.ByFingerprint(reC.SHA256) != nil {
				t.Error("the re-issued certificate is not in the store")
			}
		}},
		{"IsAnchorKey", func(t *testing.T) {
			if !s.IsAnchorKey(realC.SubjectKey, realC.KeyHash) {
				t.Error("IsAnchorKey(real) = false")
			}
			if s.IsAnchorKey(fakeC.SubjectKey, fakeC.KeyHash) {
				t.Error("IsAnchorKey(look-alike key) = true")
			}
			other := mustCert(t, root(t, "Other Root").cert)
			if s.IsAnchorKey(other.SubjectKey, realC.KeyHash) {
				t.Error("IsAnchorKey(realRoot key under another name) = true")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestIssuerCandidates(t *testing.T) {
	name := pkix.Name{CommonName: "Viettel-CA", Country: []string{"VN"}}
	// Three CAs with the same name; the child is issued by the last one
	// added, so a store-order answer would put it last.
	caA := mkCert(t, certSpec{subject: &name, ski: []byte("ski-A")})
	caB := mkCert(t, certSpec{subject: &name, ski: []byte("ski-B")})
	caC := mkCert(t, certSpec{subject: &name, ski: []byte("ski-C")})
	noSKI := mkCert(t, certSpec{cn: "No SKI CA", mutate: func(c *x509.Certificate) { c.SubjectKeyId = nil }})
	child := leaf(t, "Child", caC)
	if !bytes.Equal(child.cert.AuthorityKeyId, []byte("ski-C")) {
		t.Fatalf("test setup: child AKI = %q", child.cert.AuthorityKeyId)
	}
	childNoAKI := leaf(t, "Child without AKI", caC)
	childNoAKI.cert.AuthorityKeyId = nil
	orphan := leaf(t, "Orphan", root(t, "Unknown Root"))
	unknownAKI := leaf(t, "Unknown AKI", caA)
	unknownAKI.cert.AuthorityKeyId = []byte("nobody")

	s, err := trust.New([]trust.DomainSpec{
		{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(caA, noSKI), Intermediates: certsOf(caB)},
		{Name: "other", Hierarchy: trust.Other, Anchors: certsOf(caC)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		child *x509.Certificate
		want  []*x509.Certificate // exact order
	}{
		{"AKI==SKI candidate first", child.cert, []*x509.Certificate{caC.cert, caA.cert, caB.cert}},
		{"no AKI: store order", childNoAKI.cert, []*x509.Certificate{caA.cert, caB.cert, caC.cert}},
		{"AKI matching none: store order", unknownAKI.cert, []*x509.Certificate{caA.cert, caB.cert, caC.cert}},
		{"no candidate", orphan.cert, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.IssuerCandidates(tt.child)
			if len(got) != len(tt.want) {
				t.Fatalf("%d candidates, want %d", len(got), len(tt.want))
			}
			for i := range tt.want {
				if got[i].SHA256 != fp(tt.want[i]) {
					t.Errorf("candidate %d has SKI %q, want %q", i, got[i].X509.SubjectKeyId, tt.want[i].SubjectKeyId)
				}
			}
		})
	}
	t.Run("BySubjectKeyID", func(t *testing.T) {
		if got := s.BySubjectKeyID([]byte("ski-B")); len(got) != 1 || got[0].SHA256 != fp(caB.cert) {
			t.Errorf("BySubjectKeyID(ski-B) = %v", fingerprints(got))
		}
		if got := s.BySubjectKeyID([]byte("ski-Z")); got != nil {
			t.Errorf("BySubjectKeyID(unknown) = %v", fingerprints(got))
		}
		if got := s.BySubjectKeyID(nil); got != nil {
			t.Errorf("BySubjectKeyID(nil) = %v, want nil (certificates without SKI must not match)", fingerprints(got))
		}
		if got := s.BySubjectKeyID([]byte{}); got != nil {
			t.Errorf("BySubjectKeyID(empty) = %v, want nil", fingerprints(got))
		}
	})
	t.Run("BySubject of a malformed name", func(t *testing.T) {
		if got := s.BySubject([]byte{0x30, 0x05}); got != nil {
			t.Errorf("BySubject(malformed) = %v", fingerprints(got))
		}
	})
	t.Run("IssuerCandidates of a malformed issuer", func(t *testing.T) {
		bad := *child.cert
		bad.RawIssuer = []byte{0x30, 0x05}
		if got := s.IssuerCandidates(&bad); got != nil {
			t.Errorf("IssuerCandidates = %v", fingerprints(got))
		}
	})
}

func TestDigest(t *testing.T) {
	r1, r2, g := root(t, "Digest Root 1"), root(t, "Digest Root 2"), root(t, "Digest Gov Root")
	i1 := subCA(t, "Digest Sub 1", r1)
	i2 := subCA(t, "Digest Sub 2", r2)
	gi := subCA(t, "Digest Gov Sub", g)
	x := mkCert(t, certSpec{cn: "Digest Gov Root", key: g.key, parent: r1})

	type build struct {
		specs []trust.DomainSpec
		cross []*x509.Certificate
	}
	base := func() build {
		return build{specs: []trust.DomainSpec{
			{Name: "public", Hierarchy: trust.Public, Anchors: certsOf(r1, r2), Intermediates: certsOf(i1)},
			{Name: "government", Hierarchy: trust.Government, Anchors: certsOf(g), Intermediates: certsOf(gi)},
		}}
	}
	digest := func(t *testing.T, b build) string {
		t.Helper()
		s, err := trust.New(b.specs, b.cross)
		if err != nil {
			t.Fatal(err)
		}
		return s.Digest()
	}
	tests := []struct {
		name   string
		modify func(b *build)
		same   bool
	}{
		{"rebuilt identically", func(b *build) {}, true},
		{"anchors in another order", func(b *build) { b.specs[0].Anchors = certsOf(r2, r1) }, true},
		{"domains in another order", func(b *build) { b.specs[0], b.specs[1] = b.specs[1], b.specs[0] }, true},
		{"duplicate anchor", func(b *build) { b.specs[0].Anchors = certsOf(r1, r2, r1) }, true},
		{"only policies change", func(b *build) { b.specs[1].Policies = []string{"2.16.704.1.2.2"} }, true},
		{"intermediate added", func(b *build) { b.specs[0].Intermediates = certsOf(i1, i2) }, false},
		{"intermediate removed", func(b *build) { b.specs[1].Intermediates = nil }, false},
		{"anchor removed", func(b *build) { b.specs[0].Anchors = certsOf(r1) }, false},
		{"cross-certificate added", func(b *build) { b.cross = certsOf(x) }, false},
		{"intermediate moved to the other domain", func(b *build) {
			b.specs[0].Intermediates = nil
			b.specs[1].Intermediates = certsOf(gi, i1)
		}, false},
		{"anchor demoted to intermediate", func(b *build) {
			b.specs[0].Anchors = certsOf(r1)
			b.specs[0].Intermediates = certsOf(i1, r2)
		}, false},
		{"domain renamed", func(b *build) { b.specs[0].Name = "public2" }, false},
		{"hierarchy changed", func(b *build) { b.specs[0].Hierarchy = trust.Other }, false},
	}
	want := digest(t, base())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base()
			tt.modify(&b)
			got := digest(t, b)
			if (got == want) != tt.same {
				t.Errorf("digest %s vs base %s: same = %v, want %v", got, want, got == want, tt.same)
			}
		})
	}
}

// TestStoreRealCertificates loads the real Vietnamese CA certificates into
// a store of two domains and adds the Mobile-ID look-alike of the MIC root
// (same attributes, other key) as an intermediate: it must stay a distinct
// entry that is never an anchor. The sample writes its RDNs in the reverse
// order (CN first, as UTF8String), so under RFC 5280 §7.1 it does not even
// carry the same name; a look-alike made here from the real root's exact
// subject DER and a fresh key covers the same-name case.
func TestStoreRealCertificates(t *testing.T) {
	all := loadVNReal(t, "*.pem")
	neg := loadVNReal(t, "samples/negative/*.pem")
	lookalikeMIC := vnRealByPrefix(t, neg, "LOOKALIKE-mic-national-root-ca")
	lookalikeFPT := vnRealByPrefix(t, neg, "LOOKALIKE-fpt-certification-authority")
	realMIC := vnRealByPrefix(t, all, "neac-mic-national-root-ca")
	realFPT := vnRealByPrefix(t, all, "fpt-certification-authority")
	exactKey := newKey(t)
	exact := mkCert(t, certSpec{key: exactKey, mutate: func(c *x509.Certificate) {
		c.RawSubject = realMIC.cert.RawSubject
		c.SubjectKeyId = realMIC.cert.SubjectKeyId // even the SKI is copied
	}})
	if !bytes.Equal(exact.cert.RawSubject, realMIC.cert.RawSubject) || !bytes.Equal(exact.cert.RawIssuer, realMIC.cert.RawSubject) {
		t.Fatal("test setup: the exact look-alike does not carry the MIC root's subject DER")
	}
	// A sub-CA of the exact look-alike, claiming the real FPT CA's name.
	exactSub := mkCert(t, certSpec{parent: exact, mutate: func(c *x509.Certificate) { c.RawSubject = realFPT.cert.RawSubject }})

	pub := trust.DomainSpec{Name: "public", Hierarchy: trust.Public}
	gov := trust.DomainSpec{Name: "government", Hierarchy: trust.Government}
	for _, r := range all {
		sp := &pub
		if strings.HasPrefix(r.file, "vgca-") {
			sp = &gov
		}
		if p, ok := trust.PinFor(trust.Pins, fp(r.cert)); ok {
			if p.Hierarchy != sp.Hierarchy {
				t.Fatalf("%s: pinned as %s, file name says %s", r.file, p.Hierarchy, sp.Hierarchy)
			}
			sp.Anchors = append(sp.Anchors, r.cert)
			continue
		}
		sp.Intermediates = append(sp.Intermediates, r.cert)
	}
	pub.Intermediates = append(pub.Intermediates, lookalikeMIC.cert, exact.cert)
	s, err := trust.New([]trust.DomainSpec{pub, gov}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	realC, fakeC, exactC := mustCert(t, realMIC.cert), mustCert(t, lookalikeMIC.cert), mustCert(t, exact.cert)

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"counts", func(t *testing.T) {
			if got, want := s.Len(), len(all)+2; got != want {
				t.Errorf("Len = %d, want %d", got, want)
			}
			if n := len(s.Domain("public").Anchors); n != 8 {
				t.Errorf("public anchors = %d, want 8", n)
			}
			if n := len(s.Domain("government").Anchors); n != 2 {
				t.Errorf("government anchors = %d, want 2", n)
			}
		}},
		{"the sample copies the real root's attributes, not its key", func(t *testing.T) {
			if got, want := attrSet(lookalikeMIC.cert), attrSet(realMIC.cert); got != want {
				t.Fatalf("the negative sample no longer has the MIC root's attributes")
			}
			if realC.KeyHash == fakeC.KeyHash || realC.SHA256 == fakeC.SHA256 {
				t.Fatal("the negative sample has the MIC root's key or certificate")
			}
			// Reversed RDN order: not the same name under RFC 5280 §7.1.
			if trust.SameName(lookalikeMIC.cert.RawSubject, realMIC.cert.RawSubject) {
				t.Error("SameName(look-alike, real) = true; the RDN order differs")
			}
		}},
		{"kept distinct under BySubject", func(t *testing.T) {
			got := s.BySubject(realMIC.cert.RawSubject)
			want := sortedStrings([]string{realC.SHA256.Hex(), exactC.SHA256.Hex()})
			if g := fingerprints(got); strings.Join(g, ",") != strings.Join(want, ",") {
				t.Fatalf("BySubject(MIC root) = %v, want the real root and the exact look-alike %v", g, want)
			}
			for _, c := range got {
				want := trust.RoleIntermediate
				if c.SHA256 == realC.SHA256 {
					want = trust.RoleAnchor
				}
				if c.Role != want {
					t.Errorf("%s: role %v, want %v", c.SHA256.Hex(), c.Role, want)
				}
			}
			if got := s.BySubject(lookalikeMIC.cert.RawSubject); len(got) != 1 || got[0].SHA256 != fakeC.SHA256 {
				t.Errorf("BySubject(sample look-alike) = %v, want only itself", fingerprints(got))
			}
			if got := s.BySubjectKeyID(realMIC.cert.SubjectKeyId); len(got) != 2 {
				t.Errorf("BySubjectKeyID(MIC SKI) = %d entries, want 2 (real and exact look-alike)", len(got))
			}
		}},
		{"never an anchor", func(t *testing.T) {
			for _, c := range []*trust.Cert{fakeC, exactC} {
				if got := s.Anchor(c); got != nil {
					t.Errorf("Anchor(%s) = %v", c.SHA256.Hex(), fingerprints(got))
				}
				if s.IsAnchorKey(c.SubjectKey, c.KeyHash) {
					t.Errorf("IsAnchorKey(%s) = true", c.SHA256.Hex())
				}
			}
			if got := s.Anchor(realC); len(got) != 1 || got[0].SHA256 != realC.SHA256 {
				t.Errorf("Anchor(real MIC root) = %v", fingerprints(got))
			}
			if !s.IsAnchorKey(realC.SubjectKey, realC.KeyHash) {
				t.Error("IsAnchorKey(real MIC root) = false")
			}
		}},
		{"issuer candidates are only candidates", func(t *testing.T) {
			for _, c := range []struct {
				name  string
				cert  *x509.Certificate
				cands int
				good  trust.Fingerprint // the one candidate whose signature verifies
			}{
				{realFPT.file, realFPT.cert, 2, realC.SHA256},
				{"sub-CA of the exact look-alike", exactSub.cert, 2, exactC.SHA256},
				{lookalikeFPT.file, lookalikeFPT.cert, 1, fakeC.SHA256},
			} {
				got := s.IssuerCandidates(c.cert)
				if len(got) != c.cands {
					t.Errorf("%s: %d candidates, want %d", c.name, len(got), c.cands)
					continue
				}
				for _, cand := range got {
					err := trust.CheckSignature(c.cert, cand.X509)
					if (err == nil) != (cand.SHA256 == c.good) {
						t.Errorf("%s: signature by candidate %s: %v", c.name, cand.SHA256.Hex(), err)
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// attrSet is the sorted set of a certificate's subject attributes, whatever
// their order and string type.
func attrSet(c *x509.Certificate) string {
	var out []string
	for _, a := range c.Subject.Names {
		out = append(out, a.Type.String()+"="+fmt.Sprint(a.Value))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
