package validate

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	"github.com/lienthong/lienthong/trust"
)

// Object identifiers of the end-entity checks.
const (
	anyPolicy       = "2.5.29.32.0"
	ekuAny          = "2.5.29.37.0"
	ekuTimeStamping = "1.3.6.1.5.5.7.3.8"
)

// DefaultExtKeyUsages returns the extended key usages accepted by default
// for document signing: anyExtendedKeyUsage, emailProtection, clientAuth,
// Microsoft document signing, Adobe Authentic Documents Trust, Microsoft
// smart card logon and id-kp-documentSigning (RFC 9336). What Vietnamese CAs
// put in signing certificates is a mix of these (clientAuth +
// emailProtection + smart card logon, or emailProtection + Microsoft
// document signing). timeStamping, codeSigning and serverAuth are not
// accepted. It returns a new slice each time.
func DefaultExtKeyUsages() []string {
	return []string{
		ekuAny,
		"1.3.6.1.5.5.7.3.4",       // emailProtection
		"1.3.6.1.5.5.7.3.2",       // clientAuth
		"1.3.6.1.4.1.311.10.3.12", // Microsoft document signing
		"1.2.840.113583.1.1.5",    // Adobe Authentic Documents Trust
		"1.3.6.1.4.1.311.20.2.2",  // Microsoft smart card logon
		"1.3.6.1.5.5.7.3.36",      // id-kp-documentSigning
	}
}

// checkPurpose runs the end-entity checks of purpose on ee, after the path
// validated with the user-constrained policy set policies.
//
// document_signing: keyUsage must be present with digitalSignature or
// nonRepudiation (contentCommitment); an EKU extension, when present, must
// name at least one accepted usage; when the domain lists accepted policies,
// the user-constrained policy set must contain one of them (or anyPolicy).
//
// timestamping (RFC 3161 §2.3): a critical EKU extension whose only usage
// is id-kp-timeStamping; keyUsage, when present, must allow signing.
//
// any: nothing.
func checkPurpose(ee *x509.Certificate, p Purpose, dc *domainConfig, d *trust.Domain, policies []string) error {
	switch p {
	case PurposeAny:
		return nil
	case PurposeTimestamping:
		critical, ekus, present := extKeyUsages(ee)
		switch {
		case !present:
			return fmt.Errorf("%w: no extended key usage extension (RFC 3161 requires id-kp-timeStamping)", errExtKeyUsage)
		case !critical:
			return fmt.Errorf("%w: extended key usage extension is not critical (RFC 3161 §2.3)", errExtKeyUsage)
		case len(ekus) != 1 || ekus[0] != ekuTimeStamping:
			return fmt.Errorf("%w: extended key usage %s is not id-kp-timeStamping alone (RFC 3161 §2.3)", errExtKeyUsage, strings.Join(ekus, ", "))
		}
		if hasExt(ee, oidExtKeyUsage) && ee.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
			return fmt.Errorf("%w: keyUsage has neither digitalSignature nor nonRepudiation", errKeyUsage)
		}
		return nil
	}
	// PurposeDocumentSigning.
	if !hasExt(ee, oidExtKeyUsage) {
		return fmt.Errorf("%w: no keyUsage extension (digitalSignature or nonRepudiation required)", errKeyUsage)
	}
	if ee.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("%w: keyUsage has neither digitalSignature nor nonRepudiation", errKeyUsage)
	}
	_, ekus, present := extKeyUsages(ee)
	if present && !slices.ContainsFunc(ekus, func(o string) bool { return dc.ekus[o] }) {
		return fmt.Errorf("%w: extended key usage %s has no usage accepted for document signing", errExtKeyUsage, strings.Join(ekus, ", "))
	}
	if d != nil && len(d.Policies) > 0 && !slices.Contains(d.Policies, anyPolicy) {
		ok := slices.Contains(policies, anyPolicy) ||
			slices.ContainsFunc(policies, func(p string) bool { return slices.Contains(d.Policies, p) })
		if !ok {
			return fmt.Errorf("%w: the path's user-constrained policy set [%s] holds none of the domain's policies [%s]",
				errDomainPolicy, strings.Join(policies, ", "), strings.Join(d.Policies, ", "))
		}
	}
	return nil
}

// extKeyUsages returns the dotted OIDs of ee's EKU extension, whether it is
// critical and whether it is present. It reads what crypto/x509 parsed
// (ExtKeyUsage and UnknownExtKeyUsage together hold every usage).
func extKeyUsages(ee *x509.Certificate) (critical bool, oids []string, present bool) {
	critical, _, present = ext(ee, oidExtExtKeyUsage)
	if !present {
		return false, nil, false
	}
	oids = make([]string, 0, len(ee.ExtKeyUsage)+len(ee.UnknownExtKeyUsage))
	for _, u := range ee.ExtKeyUsage {
		oids = append(oids, extKeyUsageOID(u))
	}
	for _, o := range ee.UnknownExtKeyUsage {
		oids = append(oids, o.String())
	}
	return critical, oids, true
}

// extKeyUsageOID is the OID of a usage crypto/x509 knows by name.
func extKeyUsageOID(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return ekuAny
	case x509.ExtKeyUsageServerAuth:
		return "1.3.6.1.5.5.7.3.1"
	case x509.ExtKeyUsageClientAuth:
		return "1.3.6.1.5.5.7.3.2"
	case x509.ExtKeyUsageCodeSigning:
		return "1.3.6.1.5.5.7.3.3"
	case x509.ExtKeyUsageEmailProtection:
		return "1.3.6.1.5.5.7.3.4"
	case x509.ExtKeyUsageIPSECEndSystem:
		return "1.3.6.1.5.5.7.3.5"
	case x509.ExtKeyUsageIPSECTunnel:
		return "1.3.6.1.5.5.7.3.6"
	case x509.ExtKeyUsageIPSECUser:
		return "1.3.6.1.5.5.7.3.7"
	case x509.ExtKeyUsageTimeStamping:
		return ekuTimeStamping
	case x509.ExtKeyUsageOCSPSigning:
		return "1.3.6.1.5.5.7.3.9"
	case x509.ExtKeyUsageMicrosoftServerGatedCrypto:
		return "1.3.6.1.4.1.311.10.3.3"
	case x509.ExtKeyUsageNetscapeServerGatedCrypto:
		return "2.16.840.1.113730.4.1"
	case x509.ExtKeyUsageMicrosoftCommercialCodeSigning:
		return "1.3.6.1.4.1.311.2.1.22"
	case x509.ExtKeyUsageMicrosoftKernelCodeSigning:
		return "1.3.6.1.4.1.311.61.1.1"
	}
	return "unknown"
}

// validOID reports whether s is a dotted OID such as 2.5.29.32.0.
func validOID(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') || strings.Trim(p, "0123456789") != "" {
			return false
		}
		if i == 0 && p != "0" && p != "1" && p != "2" {
			return false
		}
	}
	return true
}
