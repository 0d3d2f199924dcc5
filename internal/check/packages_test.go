package check

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/packages"
)

// mapTree is a commit's files for packages.Load.
type mapTree map[string]string

func (m mapTree) ReadFile(p string) ([]byte, error) {
	if s, ok := m[p]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
}

func (m mapTree) ReadDir(string) ([]string, error) { return nil, fs.ErrNotExist }

const testConfig = `packages:
  - name: core
    path: libs/core
  - name: api
    path: services/api
    depends-on: [core]
  - name: web
    path: apps/web
    depends-on: [api]
    dependency-bump: minor
  - name: docs
    path: docs
    depends-on: [core]
    dependency-bump: none
  - name: tools
    path: tools
    tag-pattern: "{name}/v{version}"
`

func TestRunPackages(t *testing.T) {
	cfg, err := packages.Load(mapTree{"relman-packages.yml": testConfig}, "")
	if err != nil {
		t.Fatal(err)
	}
	// core on 2.0.0 (and 1.2.x and 1.1.x lines), api on sfp's build form
	// 0.3.0.2, web and docs never released, tools on 2.0.0.
	tags := []string{"core_v1.1.0", "core_v1.1.1", "core_v1.2.0", "core_v2.0.0", "api_v0.3.0.2", "docs_v", "tools/v1.4.0", "tools/v2.0.0", "v9.9.9"}
	// pkg is a package's line in the want lists: name impact latest→next
	// tag [bumped-by].
	type pkg = string
	tests := []struct {
		name    string
		labels  []string
		target  string
		changed []string
		stable  bool
		want    []pkg
		outside []string
		problem string // "" = pass
		note    string
	}{
		{name: "a patch to core bumps its dependents, transitively",
			labels: []string{"ImpactPatch"}, target: "main", changed: []string{"libs/core/src/a.go", "README.md"},
			want: []pkg{
				"core patch core_v2.0.0→core_v2.0.1",
				"api patch api_v0.3.0.2→api_v0.3.1.1 [core]",
				"web minor →web_v0.1.0 [api]",
			},
			outside: []string{"README.md"}},
		{name: "a major change: 0.x bumps the minor, the dependency's bump is lower",
			labels: []string{"ImpactMajor"}, target: "main", changed: []string{"libs/core/x", "apps/web/y"},
			want: []pkg{
				"core major core_v2.0.0→core_v3.0.0",
				"api patch api_v0.3.0.2→api_v0.3.1.1 [core]",
				"web major →web_v0.1.0",
			}},
		{name: "a dependency's bump above the merge request's own impact",
			labels: []string{"ImpactPatch"}, target: "main", changed: []string{"libs/core/x", "apps/web/y"},
			want: []pkg{
				"core patch core_v2.0.0→core_v2.0.1",
				"api patch api_v0.3.0.2→api_v0.3.1.1 [core]",
				"web minor →web_v0.1.0 [api]",
			}},
		{name: "a package nothing depends on",
			labels: []string{"ImpactMinor"}, target: "main", changed: []string{"tools/release.sh"},
			want: []pkg{"tools minor tools/v2.0.0→tools/v2.1.0"}},
		{name: "dependency-bump none stops propagation",
			labels: []string{"ImpactPatch"}, target: "main", changed: []string{"docs/index.md"},
			want: []pkg{"docs patch →docs_v0.0.1"}},
		{name: "files outside every package",
			labels: []string{"ImpactPatch"}, target: "main", changed: []string{".gitlab-ci.yml", "README.md"},
			outside: []string{".gitlab-ci.yml", "README.md"}, note: "this merge request touches no package (relman-packages.yml): merging it releases nothing"},
		{name: "no label: the packages it touches, nothing bumped",
			labels: []string{"bug"}, target: "main", changed: []string{"libs/core/a"},
			want: []pkg{"core none core_v2.0.0→"}, problem: "no impact label"},
		{name: "the stable switch releases 1.0.0 of what is released",
			labels: []string{"ImpactPatch"}, target: "main", changed: []string{"services/api/a"}, stable: true,
			want: []pkg{"api patch api_v0.3.0.2→api_v1.0.0.1", "web minor →web_v1.0.0 [api]"}},
		{name: "a package's release branch releases that package only",
			labels: []string{"ImpactPatch"}, target: "release/core/1", changed: []string{"libs/core/a", "services/api/b"},
			want: []pkg{"core patch core_v1.2.0→core_v1.2.1"}, note: "release/core/1 releases core only: the changes to api are not released from this branch"},
		{name: "release/core/1.1",
			labels: []string{"ImpactPatch"}, target: "release/core/1.1", changed: []string{"libs/core/a"},
			want: []pkg{"core patch core_v1.1.1→core_v1.1.2"}},
		{name: "a minor change on release/core/1.1",
			labels: []string{"ImpactMinor"}, target: "release/core/1.1", changed: []string{"libs/core/a"},
			want:    []pkg{"core minor core_v1.1.1→"},
			problem: "core: a minor change on release/core/1.1 would leave core's 1.1 line: only patch changes can go into release/<package>/N.M branches. Target release/core/1 or main instead"},
		{name: "a major change on release/core/1",
			labels: []string{"ImpactMajor"}, target: "release/core/1", changed: []string{"libs/core/a"},
			want: []pkg{"core major core_v1.2.0→"}, problem: "major changes can only be released from the default branch. Target main instead"},
		{name: "the newest line of a package",
			labels: []string{"ImpactPatch"}, target: "release/tools/2", changed: []string{"tools/a"},
			want: []pkg{"tools patch tools/v2.0.0→tools/v2.0.1"}, problem: "release/tools/2 is the newest line of tools: a change merged there never reaches main"},
		{name: "the newest minor line of a package",
			labels: []string{"ImpactPatch"}, target: "release/core/1.2", changed: []string{"libs/core/a"},
			want: []pkg{"core patch core_v1.2.0→core_v1.2.1"}, problem: "Target release/core/1 instead"},
		{name: "a release branch of another package",
			labels: []string{"ImpactPatch"}, target: "release/core/1", changed: []string{"apps/web/a"},
			note: "release/core/1 releases core only: the changes to web are not released from this branch"},
		{name: "a plain release branch",
			labels: []string{"ImpactPatch"}, target: "release/1", changed: []string{"libs/core/a"},
			problem: "release/1 is a release branch of the whole repository, but its packages (core, api, docs, tools, web in relman-packages.yml) are released each on its own: target release/core/1"},
		{name: "not a release branch",
			labels: []string{"ImpactPatch"}, target: "feature/x", changed: []string{"libs/core/a"},
			note: "feature/x is not a release branch"},
		{name: "not a line of a package",
			labels: []string{"ImpactPatch"}, target: "release/core/next", changed: []string{"libs/core/a"},
			note: "release/core/next is not a release branch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Run(Input{
				Labels: tt.labels, Names: impact.DefaultLabels, Target: tt.target, DefaultBranch: "main", BranchPrefix: "release/",
				Stable: tt.stable, Packages: &Packages{Config: cfg, Changed: tt.changed, Tags: tags},
			})
			if !r.PackageMode || r.Next != nil || r.Latest != nil {
				t.Errorf("package mode %v, next %v, latest %v: want package mode and no single version", r.PackageMode, r.Next, r.Latest)
			}
			var got []pkg
			for _, p := range r.Packages {
				s := fmt.Sprintf("%s %s %s→%s", p.Name, p.Impact, p.LatestTag, p.NextTag)
				if len(p.BumpedBy) > 0 {
					s += " [" + strings.Join(p.BumpedBy, ",") + "]"
				}
				if (p.Next != nil) != p.Released() || (p.Next == nil) != (p.NextTag == "") {
					t.Errorf("%s: next %v, tag %q: want both or neither", p.Name, p.Next, p.NextTag)
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.outside, r.Outside); diff != "" {
				t.Errorf("outside (-want +got):\n%s", diff)
			}
			switch {
			case tt.problem == "" && !r.OK():
				t.Errorf("problems %q, want a pass", r.Problems)
			case tt.problem != "" && (r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), tt.problem)):
				t.Errorf("problems %q, want one containing %q", r.Problems, tt.problem)
			}
			if tt.note != "" && !strings.Contains(strings.Join(r.Notes, "\n"), tt.note) {
				t.Errorf("notes %q, want one containing %q", r.Notes, tt.note)
			}
		})
	}
}

func TestPackageBranch(t *testing.T) {
	cfg, err := packages.Load(mapTree{"relman-packages.yml": `packages:
  - {name: a, path: a}
  - {name: a/b, path: b, tag-pattern: "b-{version}"}
  - {name: "@acme/ui", path: ui, tag-pattern: "{name}@{version}"}
`}, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		branch, name string
		line         string
		ok           bool
	}{
		{"release/a/1", "a", "1", true},
		{"release/a/1.2", "a", "1.2", true},
		{"release/a/b/3", "a/b", "3", true},
		{"release/@acme/ui/0.4", "@acme/ui", "0.4", true},
		{"release/a", "", "", false},
		{"release/a/", "", "", false},
		{"release/a/x", "", "", false},
		{"release/c/1", "", "", false},
		{"release/1", "", "", false},
		{"main", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.branch, func(t *testing.T) {
			name, line, ok := PackageBranch(tt.branch, "release/", cfg)
			got := ""
			if ok {
				got = line.String()
			}
			if name != tt.name || got != tt.line || ok != tt.ok {
				t.Errorf("PackageBranch(%q) = %q, %q, %v; want %q, %q, %v", tt.branch, name, got, ok, tt.name, tt.line, tt.ok)
			}
		})
	}
	if _, _, ok := PackageBranch("release/a/1", "", cfg); ok {
		t.Error("an empty branch prefix read release/a/1 as a release branch")
	}
}
