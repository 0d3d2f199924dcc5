package cli

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/check"
	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/version"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden/*")

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-golden to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestSummaryGolden renders the step summaries with hostile titles: no raw
// HTML, no broken table, no extra lines.
func TestSummaryGolden(t *testing.T) {
	res := &tagstep.Result{
		Released: true, Tag: "v1.5.0", Version: semver.MustParse("1.5.0"), PreviousTag: "v1.4.2",
		Previous: semver.MustParse("1.4.2"), Branch: "main", Line: version.Line{Kind: version.MainLine},
		Reason: "highest impact is minor: 1.4.2 → 1.5.0", Commit: plumbing.NewHash("0123456789abcdef0123456789abcdef01234567"),
		Changes: []tagstep.Change{
			{Kind: "merge-request", Number: 4, Title: "Add | pipes | to <b>tables</b>\n::error::pwned", URL: "https://github.com/acme/widget/pull/4", Author: "ana", Commit: "0123456789abcdef0123456789abcdef01234567", Impact: "minor"},
			{Kind: "commit", Title: "fix: [click](javascript:alert(1))", Author: "Bo `tick`", Commit: "89abcdef0123456789abcdef0123456789abcdef", Impact: "patch"},
		},
	}
	goldenFile(t, "tag-summary.md", tagSummary(res, tagstep.NotesOptions{}))
	goldenFile(t, "check-summary.md", checkSummary(mrContext{number: 9, title: "<img src=x> | x", target: "release/1.2"},
		check.Result{Impact: version.Minor, Latest: semver.MustParse("1.2.0"), Problems: []string{"a minor change on release/1.2 would release 1.3.0: only patch changes can go into release/N.M branches"}},
		detect.Target{Kind: detect.GitLab}))
}
