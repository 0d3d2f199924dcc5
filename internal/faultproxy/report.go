package faultproxy

import (
	"strings"
	"testing"
)

// Outcomes of a fault scenario: what the faulted run left behind.
const (
	// Unchanged: the faulted run wrote nothing the server keeps.
	Unchanged = "unchanged"
	// Complete: the faulted run's write reached the server whole.
	Complete = "complete"
)

// Result is one fault scenario's figures.
type Result struct {
	Scenario string
	Injected int    // faults injected
	Outcome  string // Unchanged or Complete, with any detail after them
	// Converged says a re-run (or the retries) reached the right final
	// state.
	Converged bool
}

// ReportPrefix starts the lines Report logs; scripts/faults.sh collects
// them from go test -v into the table of docs/reliability.md.
const ReportPrefix = "FAULT-RESULT |"

// Report logs a scenario's figures as one table row.
func Report(t testing.TB, r Result) {
	t.Helper()
	conv := "no"
	if r.Converged {
		conv = "yes"
	}
	clean := func(s string) string { return strings.ReplaceAll(s, "|", "/") }
	t.Logf("%s %s | %d | %s | %s |", ReportPrefix, clean(r.Scenario), r.Injected, clean(r.Outcome), conv)
}
