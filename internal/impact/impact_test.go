package impact

import (
	"testing"

	"github.com/relman-dev/relman/internal/version"
)

func TestFromCommitMessage(t *testing.T) {
	tests := []struct {
		name, msg string
		want      version.Impact
	}{
		{"feat", "feat: add thing", version.Minor},
		{"feat scope", "feat(api): add thing\n\nbody", version.Minor},
		{"fix", "fix: oops", version.Patch},
		{"perf", "perf(db): faster", version.Patch},
		{"bang", "feat!: drop v1 API", version.Major},
		{"bang scope", "refactor(core)!: rename", version.Major},
		{"breaking footer", "feat: x\n\nBREAKING CHANGE: removed y", version.Major},
		{"breaking hyphen footer", "fix: x\n\nBREAKING-CHANGE: removed y", version.Major},
		{"docs", "docs: readme", version.None},
		{"chore", "chore(deps): bump", version.None},
		{"plain", "Update README", version.None},
		{"no space", "feat:thing", version.None},
		{"trailer wins", "docs: x\n\nImpact: minor", version.Minor},
		{"trailer lowers", "feat: x\n\nImpact: patch", version.Patch},
		{"trailer none", "feat: x\n\nImpact: none", version.None},
		{"trailer case", "x\n\nimpact: MAJOR", version.Major},
		{"uppercase type", "FEAT: x", version.Minor},
		{"breaking in header text only", "fix: mention BREAKING CHANGE: here", version.Patch},
		{"merge commit", "Merge branch 'topic' into 'main'\n\nfeat: x", version.None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromCommitMessage(tt.msg); got != tt.want {
				t.Errorf("FromCommitMessage(%q) = %v, want %v", tt.msg, got, tt.want)
			}
		})
	}
}

func TestFromLabels(t *testing.T) {
	tests := []struct {
		name     string
		labels   []string
		want     version.Impact
		conflict bool
	}{
		{"none", []string{"bug", "docs"}, version.None, false},
		{"patch", []string{"bug", "ImpactPatch"}, version.Patch, false},
		{"case-insensitive", []string{"impactminor"}, version.Minor, false},
		{"two different, highest wins", []string{"ImpactPatch", "ImpactMajor"}, version.Major, true},
		{"same twice", []string{"ImpactMinor", "impactminor"}, version.Minor, false},
		{"empty", nil, version.None, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conflict := DefaultLabels.FromLabels(tt.labels)
			if got != tt.want || conflict != tt.conflict {
				t.Errorf("FromLabels(%q) = %v, %v; want %v, %v", tt.labels, got, conflict, tt.want, tt.conflict)
			}
		})
	}
	custom := Labels{Major: "semver:major", Minor: "semver:minor", Patch: "semver:patch"}
	if got, _ := custom.FromLabels([]string{"semver:minor", "ImpactMajor"}); got != version.Minor {
		t.Errorf("custom labels: got %v, want minor", got)
	}
}

func TestLabelsValidate(t *testing.T) {
	if err := DefaultLabels.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Labels{Major: "a", Minor: "A", Patch: "b"}).Validate(); err == nil {
		t.Error("duplicate names accepted")
	}
	if err := (Labels{Major: "a", Minor: "", Patch: "b"}).Validate(); err == nil {
		t.Error("empty name accepted")
	}
}

func FuzzFromCommitMessage(f *testing.F) {
	for _, s := range []string{"feat: x", "fix!: y", "x\n\nImpact: major", "a\n\nBREAKING CHANGE: z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got := FromCommitMessage(msg)
		if got < version.None || got > version.Major {
			t.Fatalf("impact %d out of range", got)
		}
	})
}
