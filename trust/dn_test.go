package trust

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func TestDN(t *testing.T) {
	uid := pkix.AttributeTypeAndValue{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, Value: "CCCD:001099012345"}
	name := pkix.Name{CommonName: "Nguyễn Văn A, \"Jr\"", Country: []string{"VN"}, ExtraNames: []pkix.AttributeTypeAndValue{uid}}
	der, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	want := `UID=CCCD:001099012345,CN=Nguyễn Văn A\, \"Jr\",C=VN`
	if got := DN(der); got != want {
		t.Errorf("DN = %s, want %s", got, want)
	}
	if got := DN([]byte{1, 2}); got != "#0102" {
		t.Errorf("DN(garbage) = %s", got)
	}
}
