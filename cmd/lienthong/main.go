// Command lienthong is the PKI validation gateway of Vietnam's public and
// government-dedicated digital-signature hierarchies. See DESIGN.md
// ("Command line") for the commands; `lienthong help` lists them.
//
// main is the only place that reads the process: arguments, environment,
// signals, standard streams, the real HTTP client and the exit status. The
// commands take them through a host value, so tests call run directly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lienthong/lienthong/trust"
)

// version and commit are set at build time with -ldflags
// "-X main.version=v1.2.3 -X main.commit=abc123"; without them, version is
// "dev" and commit is read from the Go build info when the build stamped it.
var (
	version = "dev"
	commit  = ""
)

// Exit statuses, the same for every command.
const (
	exitOK      = 0 // done
	exitFailure = 1 // the command ran and failed (nothing kept, unhealthy, server error)
	exitStartup = 2 // serve could not start: config, trust store, listener
	exitUsage   = 3 // bad usage: unknown command or flag, missing argument
)

// fetchTimeout bounds one HTTP request of `trust fetch` and of serve's
// start-up fetch.
const fetchTimeout = 15 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], host{
		Getenv: os.Getenv,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Client: &http.Client{Timeout: fetchTimeout},
		Pins:   trust.Pins,
		Reload: func() (<-chan os.Signal, func()) {
			c := make(chan os.Signal, 1)
			signal.Notify(c, syscall.SIGHUP)
			return c, func() { signal.Stop(c) }
		},
	})
	stop()
	os.Exit(code)
}

// host is what the process gives the commands.
type host struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	// Client makes every outbound request (trust fetch, health).
	Client *http.Client
	// Pins are the official roots the binary trusts by fingerprint.
	Pins []trust.Pin
	// Reload subscribes serve to trust store reload requests (SIGHUP) and
	// returns the channel and its unsubscribe function; nil: no reloads.
	Reload func() (<-chan os.Signal, func())
	// Listening, when set, is called by serve once its listeners are bound,
	// before it serves (tests learn the port picked for ":0" this way).
	Listening func(api, metrics net.Addr)
}

const usageText = `Usage:
  lienthong serve [--config FILE] [--listen ADDR] [--metrics-listen ADDR] [--trust-dir DIR]
  lienthong validate [--config FILE] [--trust-dir DIR] [--json] [--at TIME] FILE...
  lienthong trust [--config FILE] [--trust-dir DIR]
  lienthong trust fetch [--trust-dir DIR]
  lienthong trust import [--trust-dir DIR] FILE...
  lienthong health [--url URL] [--timeout DURATION]
  lienthong version

Without --config, serve and trust use the built-in default: the official roots
of the public and government hierarchies, pinned by SHA-256 in the binary and
read from the trust folder. The trust folder is --trust-dir, else
$LIENTHONG_TRUST_DIR, else $XDG_DATA_HOME/lienthong/trust, else
~/.local/share/lienthong/trust.

Exit status: 0 done, 1 failed, 2 serve could not start, 3 bad usage.
validate: 0 all TOTAL_PASSED, 1 any TOTAL_FAILED, 2 any INDETERMINATE (none
failed), 3 bad usage or unreadable input.
`

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, h host) int {
	if len(args) == 0 {
		fmt.Fprint(h.Stderr, usageText)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return cmdServe(ctx, rest, h)
	case "trust":
		if len(rest) > 0 && rest[0] == "fetch" {
			return cmdTrustFetch(ctx, rest[1:], h)
		}
		if len(rest) > 0 && rest[0] == "import" {
			return cmdTrustImport(rest[1:], h)
		}
		return cmdTrust(rest, h)
	case "validate":
		return cmdValidate(ctx, rest, h)
	case "health":
		return cmdHealth(ctx, rest, h)
	case "version":
		return cmdVersion(rest, h)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(h.Stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(h.Stderr, "lienthong: unknown command %q\n\n%s", cmd, usageText)
		return exitUsage
	}
}

// newFlagSet returns a flag set that reports errors on stderr with the
// command's synopsis.
func newFlagSet(h host, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(h.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(h.Stderr, "Usage: %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// (`trust import a.pem --trust-dir d`); "--" ends the flags. It returns the
// positional arguments, or ok=false and the exit status: 0 for -h, else
// exitUsage (the flag package has printed the problem and the usage).
func parseFlags(fs *flag.FlagSet, args []string, maxPositional int) (pos []string, code int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, false
		}
		if err != nil {
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if maxPositional >= 0 && len(pos) > maxPositional {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), pos[maxPositional])
		fs.Usage()
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// trustDir is the trust folder: flagValue, else $LIENTHONG_TRUST_DIR, else
// $XDG_DATA_HOME/lienthong/trust (an absolute XDG_DATA_HOME only, as the XDG
// spec says), else ~/.local/share/lienthong/trust.
func trustDir(flagValue string, getenv func(string) string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if d := getenv("LIENTHONG_TRUST_DIR"); d != "" {
		return d, nil
	}
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "lienthong", "trust"), nil
	}
	for _, v := range []string{"HOME", "USERPROFILE"} {
		if home := getenv(v); home != "" {
			return filepath.Join(home, ".local", "share", "lienthong", "trust"), nil
		}
	}
	return "", errors.New("cannot tell where the trust folder is: set --trust-dir, $LIENTHONG_TRUST_DIR or $HOME")
}

// folder resolves the trust folder for a command, printing the problem and
// returning ok=false when it cannot.
func folder(h host, flagValue string) (trust.Folder, bool) {
	dir, err := trustDir(flagValue, h.Getenv)
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
		return trust.Folder{}, false
	}
	return trust.Folder{Dir: dir, Pins: h.Pins}, true
}

// oneLine flattens a multi-line error for a table cell or a log line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// refusalLine is one refusal on one line, without the URL twice when the
// reason is a net/http error about the same address.
func refusalLine(r trust.Refusal) string {
	r.Reason = strings.TrimPrefix(r.Reason, fmt.Sprintf("Get %q: ", r.Source))
	return oneLine(r.String())
}
