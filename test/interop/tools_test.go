package interop

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// toolTimeout bounds every external command: the tools work on a few
// kilobytes and finish in milliseconds, so a hang is a failure, not a wait.
const toolTimeout = 30 * time.Second

// packages says which Debian package provides each tool we call.
var packages = map[string]string{
	"openssl":  "openssl",
	"xmlsec1":  "xmlsec1",
	"pdfsig":   "poppler-utils",
	"certutil": "libnss3-tools",
	"pk12util": "libnss3-tools",
}

// requireTool skips the test when name is not on PATH, with the package
// that provides it; under CI=true (.ci/run installs the tools) it fails
// instead, so that the corpus is never silently not run in CI.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install %s (the interop corpus needs openssl, xmlsec1, poppler-utils, libnss3-tools)", name, packages[name])
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true: this test must not be skipped", msg)
	}
	t.Skip(msg)
}

// result is the outcome of one external command.
type result struct {
	cmd    string
	code   int // exit status; -1 when the command did not run to an exit
	stdout string
	stderr string
}

func (r result) String() string {
	return fmt.Sprintf("$ %s\nexit %d\nstdout:\n%s\nstderr:\n%s", r.cmd, r.code, indent(r.stdout), indent(r.stderr))
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "  (empty)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// run executes name with args in dir under toolTimeout. A non-zero exit is
// not an error (verification tools report "invalid" that way); failing to
// start, or the timeout, is.
func run(ctx context.Context, dir, name string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{cmd: name + " " + strings.Join(args, " "), stdout: stdout.String(), stderr: stderr.String()}
	if err == nil {
		return r, nil
	}
	if ee, ok := err.(*exec.ExitError); ok && ctx.Err() == nil {
		r.code = ee.ExitCode()
		return r, nil
	}
	r.code = -1
	if ctx.Err() != nil {
		return r, fmt.Errorf("%s: timed out after %v\n%s", name, toolTimeout, r)
	}
	return r, fmt.Errorf("%s: %w\n%s", name, err, r)
}

// mustRun runs a command that has to succeed (signing, database set-up).
func mustRun(t *testing.T, dir, name string, args ...string) result {
	t.Helper()
	r, err := run(t.Context(), dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Fatalf("%s failed:\n%s", name, r)
	}
	return r
}
