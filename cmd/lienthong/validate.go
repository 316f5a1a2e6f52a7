package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lienthong/lienthong/config"
	"github.com/lienthong/lienthong/trust"
	"github.com/lienthong/lienthong/validate"
)

const validateSynopsis = "lienthong validate [--config FILE] [--trust-dir DIR] [--json] [--at TIME] FILE..."

// Exit statuses of validate (DESIGN.md "Command line"): the worst verdict
// over the files, or bad input.
const (
	exitAllPassed     = 0
	exitSomeFailed    = 1
	exitIndeterminate = 2
	exitBadInput      = 3
)

// cmdValidate validates files with the gateway's engine, without a server:
// each file's format comes from its extension (.pdf, .xml, .p7m attached
// CMS, .p7s detached CMS whose content is the same path without .p7s,
// .cer/.crt/.pem/.der a certificate alone), else from its content. It
// prints one block per file, or with --json the API's report (JSON Lines
// with a "file" field for several files). Without --config it uses the
// built-in default trust read from the trust folder and never downloads
// anything into it. Revocation follows the config (hard-fail by default).
func cmdValidate(ctx context.Context, args []string, h host) int {
	fs := newFlagSet(h, "validate", validateSynopsis)
	cfgPath := fs.String("config", "", "config `FILE` (YAML); without it, the built-in default trust")
	dir := fs.String("trust-dir", "", "trust folder `DIR` of the built-in default")
	asJSON := fs.Bool("json", false, "print the API's JSON report (JSON Lines with a \"file\" field for several files)")
	at := fs.String("at", "", "validation `TIME` (RFC 3339, or a date YYYY-MM-DD meaning 00:00 UTC); default now")
	files, code, ok := parseFlags(fs, args, -1)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(h.Stderr, "validate: no FILE given")
		fs.Usage()
		return exitUsage
	}
	now := wallClock{}.Now().UTC()
	t, err := validationTime(*at, now)
	if err != nil {
		fmt.Fprintf(h.Stderr, "validate: %v\n", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(h.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg, store, ok := validateStore(h, *cfgPath, *dir, log)
	if !ok {
		return exitUsage
	}
	val, err := newValidation(cfg, prometheus.NewRegistry(), log)
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: validation engine: %v\n", err)
		return exitUsage
	}
	defer val.close()

	out := &validateOutput{w: h.Stdout, json: *asJSON, several: len(files) > 1}
	worst := exitAllPassed
	for _, file := range files {
		rep, err := validateFile(ctx, val.validator, store, cfg, file, t)
		if err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: %s: %v\n", file, err)
			out.problem(file, err)
			worst = exitBadInput
			continue
		}
		out.report(file, rep)
		if c := exitFor(rep.Indication); worst != exitBadInput && c != exitAllPassed &&
			(worst == exitAllPassed || c == exitSomeFailed) {
			worst = c
		}
	}
	return worst
}

// validationTime reads --at: RFC 3339 or a date; empty means now.
func validationTime(at string, now time.Time) (time.Time, error) {
	if at == "" {
		return now, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, at); err != nil {
			return time.Time{}, fmt.Errorf("--at %q is not an RFC 3339 time (2026-11-22T10:00:00Z) or a date (2026-11-22)", at)
		}
	}
	if validate.ValidationTimeInFuture(t, now) { // the API's rule
		return time.Time{}, fmt.Errorf("--at %s is in the future: revocation cannot be known for the future", t.UTC().Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// validateStore loads the config (or the built-in default) and builds the
// trust store once. The built-in default reads the trust folder and never
// fetches: without a pinned root there it says what to do.
func validateStore(h host, cfgPath, dir string, log *slog.Logger) (*config.Config, *trust.Store, bool) {
	var (
		cfg  *config.Config
		load trust.Loader
	)
	if cfgPath != "" {
		var err error
		if cfg, err = config.Load(cfgPath); err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: %v\n", err)
			return nil, nil, false
		}
		load = configLoader(cfg)
	} else {
		cfg = config.Default()
		f, ok := folder(h, dir)
		if !ok {
			return nil, nil, false
		}
		st, err := f.Read()
		if err != nil {
			fmt.Fprintf(h.Stderr, "lienthong: reading the trust folder %s: %v\n", f.Dir, err)
			return nil, nil, false
		}
		if len(st.Roots) == 0 {
			fmt.Fprintf(h.Stderr, "lienthong: the trust folder %s holds no official root.\n"+
				"Run `lienthong trust fetch` (or `lienthong trust import FILE...` offline) with the same --trust-dir,\n"+
				"or run `lienthong validate --config FILE` with your own trust domains.\n", f.Dir)
			return nil, nil, false
		}
		load = folderLoader(f, log)
	}
	store, err := load()
	if err != nil {
		fmt.Fprintf(h.Stderr, "lienthong: trust store: %v\n", err)
		return nil, nil, false
	}
	return cfg, store, true
}

// validateFile reads one file and validates it within the request budget.
func validateFile(ctx context.Context, v *validate.Validator, store *trust.Store, cfg *config.Config, file string, t time.Time) (*validate.Report, error) {
	doc, err := documentForFile(file, cfg.Limits.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	doc.Time = t
	if budget := cfg.Limits.RequestBudget.Duration; budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	return v.ValidateDocument(ctx, store, doc)
}

// documentForFile reads file into a Document whose format comes from the
// extension; a detached .p7s gets its content from the same path without
// .p7s when that file exists (else the report says SIGNED_DATA_NOT_FOUND).
func documentForFile(file string, maxBytes int64) (validate.Document, error) {
	data, err := readBounded(file, maxBytes)
	if err != nil {
		return validate.Document{}, err
	}
	var doc validate.Document
	switch strings.ToLower(filepath.Ext(file)) {
	case ".pdf":
		doc.Format, doc.Data = validate.FormatPDF, data
	case ".xml":
		doc.Format, doc.Data = validate.FormatXML, data
	case ".p7m":
		doc.Format, doc.Data = validate.FormatCMS, data
	case ".p7s":
		doc.Format, doc.Signature = validate.FormatCMS, data
		content, err := readBounded(file[:len(file)-len(".p7s")], maxBytes)
		switch {
		case err == nil:
			doc.Data = content
		case !errors.Is(err, fs.ErrNotExist):
			return doc, fmt.Errorf("reading the signed content: %w", err)
		}
	case ".cer", ".crt", ".pem", ".der":
		certs, err := trust.ParseCertificates(data)
		if err != nil || len(certs) == 0 {
			return doc, fmt.Errorf("%w: no certificate in the file", validate.ErrMalformedDocument)
		}
		doc.Format, doc.Certificate, doc.Intermediates = validate.FormatCertificate, certs[0], certs[1:]
	default:
		doc.Data = data
	}
	return doc, nil
}

func exitFor(ind validate.Indication) int {
	switch ind {
	case validate.TotalPassed:
		return exitAllPassed
	case validate.TotalFailed:
		return exitSomeFailed
	}
	return exitIndeterminate
}

// validateOutput prints reports as text blocks or JSON.
type validateOutput struct {
	w       io.Writer
	json    bool
	several bool
	blocks  int // text blocks printed, to separate them
}

// fileReport is a JSON Lines record: the report with the file name.
type fileReport struct {
	File string `json:"file"`
	*validate.Report
}

type fileError struct {
	File  string      `json:"file,omitempty"`
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (o *validateOutput) report(file string, rep *validate.Report) {
	switch {
	case o.json && o.several:
		writeJSONLine(o.w, fileReport{File: file, Report: rep})
	case o.json:
		enc := json.NewEncoder(o.w)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	default:
		o.text(file, rep)
	}
}

func (o *validateOutput) problem(file string, err error) {
	if !o.json {
		return
	}
	code := "unreadable_input"
	if errors.Is(err, validate.ErrMalformedDocument) {
		code = "malformed_document"
	}
	fe := fileError{Error: errorDetail{Code: code, Message: err.Error()}}
	if o.several {
		fe.File = file
	}
	writeJSONLine(o.w, fe)
}

func writeJSONLine(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	w.Write(append(b, '\n'))
}

// text prints one block: the file and its verdict, then each signature's
// verdict, domain, signer common name and messages.
func (o *validateOutput) text(file string, rep *validate.Report) {
	if o.blocks++; o.blocks > 1 {
		fmt.Fprintln(o.w)
	}
	fmt.Fprintf(o.w, "%s: %s (%s, %d signature(s), validation time %s)\n", file, verdictText(rep.Indication, rep.SubIndication),
		rep.Format, len(rep.Signatures), rep.ValidationTime.Format(time.RFC3339))
	for _, m := range rep.Messages {
		fmt.Fprintf(o.w, "  %s %s: %s\n", m.Level, m.Code, m.Text)
	}
	for _, s := range rep.Signatures {
		line := fmt.Sprintf("  %s: %s", s.ID, verdictText(s.Indication, s.SubIndication))
		if s.Domain != "" {
			line += "  domain " + s.Domain
		}
		if s.Signer != nil && s.Signer.CommonName != "" {
			line += fmt.Sprintf("  signer %q", s.Signer.CommonName)
		}
		if s.Timestamp != nil && s.Timestamp.GenTime != nil {
			line += "  timestamp " + s.Timestamp.GenTime.Format(time.RFC3339) + " " + verdictText(s.Timestamp.Indication, s.Timestamp.SubIndication)
		}
		fmt.Fprintln(o.w, line)
		for _, m := range s.Messages {
			fmt.Fprintf(o.w, "    %s %s: %s\n", m.Level, m.Code, m.Text)
		}
	}
}

func verdictText(ind validate.Indication, sub validate.SubIndication) string {
	if sub == "" {
		return string(ind)
	}
	return string(ind) + "/" + string(sub)
}
