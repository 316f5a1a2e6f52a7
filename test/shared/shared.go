// Package shared locates the third-party test data that lives outside the
// repository, in ../shared/testdata next to the repo root (NIST PKITS, real
// Vietnamese CA certificates and signed samples). That data is read by tests
// and never copied into the repository.
//
// Tests that need it call TestData(t): it skips with a clear message when the
// folder is absent (a user's fresh clone), and fails instead when CI=true.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar overrides the location of the testdata folder.
const EnvVar = "LIENTHONG_TESTDATA"

// TestData returns the absolute path of ../shared/testdata (or $LIENTHONG_TESTDATA).
func TestData(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			tb.Fatalf("locating the repository root: %v", err)
		}
		dir = filepath.Join(root, "..", "shared", "testdata")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("test data folder %s is missing (CI=true: this test must not be skipped)", dir)
		}
		tb.Skipf("test data folder %s is absent (set %s or put shared/ beside the repository); skipping", dir, EnvVar)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// Path joins elem onto TestData(tb).
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{TestData(tb)}, elem...)...)
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
