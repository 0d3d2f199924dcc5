package check

import (
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/version"
)

func TestRun(t *testing.T) {
	// Seed example: main on 2.1.0, 1.2.0 the newest 1.x.
	rel := version.ReleasesOf([]string{"1.1.0", "1.2.0", "2.0.0", "2.0.1", "v2.1.0", "2.2.0-rc.1", "latest"}, "")
	tests := []struct {
		name    string
		labels  []string
		target  string
		next    string // "" = none
		problem string // "" = pass
	}{
		{"patch on main", []string{"bug", "ImpactPatch"}, "main", "2.1.1", ""},
		{"minor on main", []string{"ImpactMinor"}, "main", "2.2.0", ""},
		{"major on main", []string{"impactmajor"}, "main", "3.0.0", ""},
		{"no label", []string{"bug"}, "main", "", "no impact label: add exactly one of ImpactMajor"},
		{"two labels", []string{"ImpactPatch", "ImpactMinor"}, "main", "2.2.0", "more than one impact label (ImpactMinor, ImpactPatch)"},
		{"same label twice is one", []string{"ImpactPatch", "impactpatch"}, "main", "2.1.1", ""},
		{"patch into release/1", []string{"ImpactPatch"}, "release/1", "1.2.1", ""},
		{"minor into release/1", []string{"ImpactMinor"}, "release/1", "1.3.0", ""},
		{"major into release/1", []string{"ImpactMajor"}, "release/1", "", "major changes can only be released from the default branch"},
		{"minor into release/1.1", []string{"ImpactMinor"}, "release/1.1", "", "ImpactMinor changes can only go into release/N branches"},
		{"patch into release/1.1", []string{"ImpactPatch"}, "release/1.1", "1.1.1", ""},
		{"patch into newest release/2", []string{"ImpactPatch"}, "release/2", "2.1.1", "release/2 is the newest line of its kind: a change merged there never reaches main"},
		{"patch into newest release/1.2", []string{"ImpactPatch"}, "release/1.2", "1.2.1", "Target release/1 instead"},
		{"patch into release/2.0", []string{"ImpactPatch"}, "release/2.0", "2.0.2", ""},
		{"feature branch", []string{"ImpactPatch"}, "feature/x", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Run(Input{Labels: tt.labels, Names: impact.DefaultLabels, Target: tt.target, DefaultBranch: "main", BranchPrefix: "release/", Releases: rel})
			got := ""
			if r.Next != nil {
				got = r.Next.String()
			}
			if got != tt.next {
				t.Errorf("next = %q, want %q", got, tt.next)
			}
			switch {
			case tt.problem == "" && !r.OK():
				t.Errorf("problems %q, want a pass", r.Problems)
			case tt.problem != "" && (r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), tt.problem)):
				t.Errorf("problems %q, want one containing %q", r.Problems, tt.problem)
			}
		})
	}
}
