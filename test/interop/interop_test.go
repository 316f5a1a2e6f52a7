package interop

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lienthong/lienthong/validate"
)

// TestInterop builds the corpus with the tools (openssl cms, xmlsec1,
// pdfsig), asks each tool for its own verdict and lienthong for its
// report, and requires them to agree on every signature: the tool accepts
// it if and only if lienthong says TOTAL_PASSED; a rejected signature has
// the sub-indication of the damage done to it; and for PDF the coverage
// matches pdfsig's "Total document signed" line.
func TestInterop(t *testing.T) {
	for _, tool := range []string{"openssl", "xmlsec1", "pdfsig", "certutil", "pk12util"} {
		requireTool(t, tool)
	}
	start := time.Now()
	c := newCorpusPKI(t, corpusDir(t), start.UTC().Truncate(time.Second))
	var cases []*corpusCase
	cases = append(cases, opensslCases(t, c)...)
	cases = append(cases, xmlsecCases(t, c)...)
	cases = append(cases, pdfsigCases(t, c)...)
	t.Logf("corpus: %d documents built in %v", len(cases), time.Since(start).Round(time.Millisecond))
	lt := newLienthong(t, c.store)

	tally := newTally()
	t.Run("cases", func(t *testing.T) {
		for _, k := range cases {
			t.Run(k.tool+"/"+k.name, func(t *testing.T) {
				t.Parallel()
				agreed := false
				defer func() { tally.add(k, agreed) }() // counted also when the case stops early
				agreed = checkCase(t, lt, k)
			})
		}
	})
	for _, line := range tally.lines() {
		t.Log(line)
	}
}

// checkCase compares the tool's verdict on one document with lienthong's
// and reports every difference; it returns whether they agreed.
func checkCase(t *testing.T, lt *lienthong, k *corpusCase) bool {
	tv, err := k.verify(t.Context())
	if err != nil {
		t.Fatalf("running %s: %v", k.tool, err)
	}
	if tv.allValid() != k.valid {
		t.Errorf("corpus: %s says valid=%v, but the case was built to be valid=%v\n%s", k.tool, tv.allValid(), k.valid, tv.out)
	}
	// The validation time is read after the tool ran: the tools validate
	// at the real current time, and every signing time is before it.
	rep, err := lt.validate(t.Context(), k.input, time.Now())
	if err != nil {
		t.Errorf("lienthong returned an error, %s gave a verdict (%s): %v\n%s", k.tool, verdictWord(tv.allValid()), err, tv.out)
		return false
	}
	problems := compare(k, tv, rep)
	if len(problems) == 0 {
		return true
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	t.Errorf("lienthong and %s disagree:\n  - %s\n%s\nlienthong report:\n%s", k.tool, strings.Join(problems, "\n  - "), tv.out, out)
	return false
}

// compare lists the differences between a tool's verdict and a report.
func compare(k *corpusCase, tv toolVerdict, rep *validate.Report) []string {
	var problems []string
	if got, want := rep.Indication == validate.TotalPassed, tv.allValid(); got != want {
		problems = append(problems, fmt.Sprintf("document: %s says %s, lienthong %s", k.tool, verdictWord(want), rep.Indication))
	}
	if len(rep.Signatures) != len(tv.sigs) {
		return append(problems, fmt.Sprintf("%s found %d signature(s), lienthong %d", k.tool, len(tv.sigs), len(rep.Signatures)))
	}
	for i, ts := range tv.sigs {
		ls, label := pair(rep.Signatures, ts, i)
		if ls == nil {
			problems = append(problems, fmt.Sprintf("%s: no signature of that id in lienthong's report", label))
			continue
		}
		passed := ls.Indication == validate.TotalPassed
		switch {
		case ts.valid != passed:
			problems = append(problems, fmt.Sprintf("%s: %s says %s (%s), lienthong %s/%s",
				label, k.tool, verdictWord(ts.valid), ts.detail, ls.Indication, ls.SubIndication))
		case !passed && !slices.Contains(k.subs, ls.SubIndication):
			problems = append(problems, fmt.Sprintf("%s: both reject it, but lienthong says %s/%s where the damage done calls for %v (%s: %s)",
				label, ls.Indication, ls.SubIndication, k.subs, k.tool, ts.detail))
		}
		if ts.coverage != "" && ls.Coverage != ts.coverage {
			problems = append(problems, fmt.Sprintf("%s: %s says coverage %s, lienthong %q", label, k.tool, ts.coverage, ls.Coverage))
		}
	}
	return problems
}

// pair finds lienthong's entry for the tool's i-th signature: by field
// name when the tool gives one (PDF), else by position.
func pair(sigs []validate.SignatureReport, ts toolSig, i int) (*validate.SignatureReport, string) {
	if ts.id == "" {
		return &sigs[i], fmt.Sprintf("signature %d", i+1)
	}
	for j := range sigs {
		if sigs[j].ID == ts.id {
			return &sigs[j], "signature " + ts.id
		}
	}
	return nil, "signature " + ts.id
}

func verdictWord(valid bool) string {
	if valid {
		return "valid"
	}
	return "invalid"
}

// tally counts the cases and agreements per tool for the summary.
type tally struct {
	mu     sync.Mutex
	counts map[string]*toolCount
}

type toolCount struct{ cases, valid, agreed int }

func newTally() *tally { return &tally{counts: map[string]*toolCount{}} }

func (ta *tally) add(k *corpusCase, agreed bool) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	n := ta.counts[k.tool]
	if n == nil {
		n = &toolCount{}
		ta.counts[k.tool] = n
	}
	n.cases++
	if k.valid {
		n.valid++
	}
	if agreed {
		n.agreed++
	}
}

func (ta *tally) lines() []string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	var out []string
	var all toolCount
	for _, tool := range []string{toolOpenSSL, toolXMLSec, toolPDFSig} {
		n := ta.counts[tool]
		if n == nil {
			n = &toolCount{}
		}
		all.cases, all.valid, all.agreed = all.cases+n.cases, all.valid+n.valid, all.agreed+n.agreed
		out = append(out, fmt.Sprintf("interop %-8s %3d documents (%d valid, %d invalid): lienthong agrees on %d",
			tool+":", n.cases, n.valid, n.cases-n.valid, n.agreed))
	}
	return append(out, fmt.Sprintf("interop %-8s %3d documents (%d valid, %d invalid): lienthong agrees on %d",
		"total:", all.cases, all.valid, all.cases-all.valid, all.agreed))
}
