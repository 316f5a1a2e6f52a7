package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// cmdVersion prints the version (set with -ldflags "-X main.version=..."),
// the commit (-X main.commit=..., else the VCS revision the Go build
// stamped, else "unknown"), and the Go version.
func cmdVersion(args []string, h host) int {
	fs := newFlagSet(h, "version", "lienthong version")
	if _, code, ok := parseFlags(fs, args, 0); !ok {
		return code
	}
	rev := commit
	if bi, ok := debug.ReadBuildInfo(); ok && rev == "" {
		var modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" && modified == "true" {
			rev += " (modified)"
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(h.Stdout, "lienthong %s\ncommit %s\n%s %s/%s\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
