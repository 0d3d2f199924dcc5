package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/check"
	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/version"
)

const checkPackagesConfig = `packages:
  - name: core
    path: libs/core
  - name: api
    path: services/api
    depends-on: [core]
  - name: cli
    path: tools/cli
`

// TestCheckPackagesMergeRef runs relman check on GitHub's checkout of a
// pull request, refs/pull/N/merge: a merge of the pull request into the
// target's tip. The clone's copy of the target is older than that tip (the
// target moved after the clone, as in a reused checkout), so only a fetch
// of the target finds the right merge base; comparing with the stale copy
// would count the target's newer change to cli as the pull request's.
func TestCheckPackagesMergeRef(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "packages", map[string]string{
		"relman-packages.yml": checkPackagesConfig,
		"libs/core/a.txt":     "1", "services/api/a.txt": "1", "tools/cli/a.txt": "1",
	})
	g.Tag("core_v1.0.0", g.Head("main"), true)
	g.Tag("api_v1.0.0", g.Head("main"), true)
	g.SetBranch("topic", g.CommitObject("fix core", map[string]string{"libs/core/a.txt": "2"}, g.Head("main")))
	dir := g.Clone("main")

	// After the clone: main moves on (cli), and GitHub makes the merge ref.
	main := g.Commit("main", "cli change", map[string]string{"tools/cli/a.txt": "2"})
	merge := g.CommitObject("Merge topic into main", map[string]string{"libs/core/a.txt": "2"}, main, g.Head("topic"))
	g.SetBranch("pull/7/merge", merge)
	g.Push()
	clone, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := clone.Fetch(&git.FetchOptions{RefSpecs: []config.RefSpec{"+refs/heads/pull/7/merge:refs/pull/7/merge"}}); err != nil {
		t.Fatal(err)
	}
	if err := clone.Storer.SetReference(plumbing.NewHashReference(plumbing.HEAD, merge)); err != nil {
		t.Fatal(err)
	}
	stale, err := clone.Reference(plumbing.NewRemoteReferenceName("origin", "main"), true)
	if err != nil || stale.Hash() == main {
		t.Fatalf("the clone's origin/main should be older than main: %v", err)
	}

	event := filepath.Join(t.TempDir(), "event.json")
	out := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(event, []byte(`{"action":"labeled","pull_request":{"number":7,"title":"Fix core","labels":[{"name":"ImpactPatch"}],"base":{"ref":"main"}},"repository":{"default_branch":"main"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
		"GITHUB_REPOSITORY": "acme/widget", "GITHUB_OUTPUT": out, "RELMAN_REPO": dir,
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), Env{Args: []string{"check", "--output", "json"}, Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	outs := githubOutputs(t, string(b))
	var got []checkPackage
	if err := json.Unmarshal([]byte(outs["released-packages"]), &got); err != nil {
		t.Fatalf("packages output %q: %v", outs["released-packages"], err)
	}
	want := []checkPackage{
		{Name: "core", Version: "1.0.1", Tag: "core_v1.0.1", PreviousVersion: "1.0.0", PreviousTag: "core_v1.0.0", Impact: "patch", BumpedBy: []string{}},
		{Name: "api", Version: "1.0.1", Tag: "api_v1.0.1", PreviousVersion: "1.0.0", PreviousTag: "api_v1.0.0", Impact: "patch", BumpedBy: []string{"core"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if outs["next-version"] != "" || outs["impact"] != "patch" {
		t.Errorf("next-version %q, impact %q: want empty and patch", outs["next-version"], outs["impact"])
	}
}

// githubOutputs reads a GITHUB_OUTPUT file (name<<DELIM lines).
func githubOutputs(t *testing.T, s string) map[string]string {
	t.Helper()
	outs := map[string]string{}
	lines := bytes.Split([]byte(s), []byte("\n"))
	for i := 0; i < len(lines); i++ {
		name, delim, ok := bytes.Cut(lines[i], []byte("<<"))
		if !ok {
			continue
		}
		var value [][]byte
		for i++; i < len(lines) && !bytes.Equal(lines[i], delim); i++ {
			value = append(value, lines[i])
		}
		outs[string(name)] = string(bytes.Join(value, []byte("\n")))
	}
	return outs
}

// TestPackagesRefusedExitCode: backport-branch and prep-commit refuse a
// repository of packages as bad configuration (exit 2), before anything.
func TestPackagesRefusedExitCode(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "packages", map[string]string{"relman-packages.yml": checkPackagesConfig, "VERSION": "1.0.0\n"})
	g.Tag("1.0.0", g.Head("main"), true)
	dir := g.Clone("main")
	for _, args := range [][]string{
		{"backport-branch", "--version", "1.0.0"},
		{"prep-commit", "--version", "1.0.0", "--build-system", "python"},
	} {
		t.Run(args[0], func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), Env{Args: append(args, "--repo", dir), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (bad configuration):\n%s", code, ExitUsage, stderr.String())
			}
			if !bytes.Contains(stderr.Bytes(), []byte("per-package release lines are not supported by "+args[0]+" yet")) {
				t.Errorf("stderr does not say why:\n%s", stderr.String())
			}
		})
	}
	for name, h := range g.RemoteTags() {
		if name != "1.0.0" {
			t.Errorf("the remote got tag %s (%s)", name, h)
		}
	}
	r, err := git.PlainOpen(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	if ref, err := r.Reference(plumbing.NewBranchReferenceName("release/1"), false); err == nil {
		t.Errorf("the remote got release/1 at %s", ref.Hash())
	}
	head, err := r.Reference(plumbing.NewBranchReferenceName("main"), false)
	if err != nil || head.Hash() != g.Head("main") {
		t.Errorf("main moved on the remote: %v", err)
	}
}

// TestCheckPackagesGolden renders the check's summary and terminal report
// for a repository of packages, with hostile names: no raw HTML, no broken
// table, one line per row.
func TestCheckPackagesGolden(t *testing.T) {
	res := check.Result{
		Impact: version.Patch, PackageMode: true,
		Packages: []check.PackageResult{
			{Name: "core", Touched: true, Impact: version.Patch, Latest: semver.MustParse("2.0.0"), LatestTag: "core_v2.0.0", Next: semver.MustParse("2.0.1"), NextTag: "core_v2.0.1"},
			{Name: "a|<b>", Impact: version.Patch, BumpedBy: []string{"core"}, Latest: semver.MustParse("0.3.0"), LatestTag: "a|<b>_v0.3.0.2", Next: semver.MustParse("0.3.1"), NextTag: "a|<b>_v0.3.1.1"},
			{Name: "web", Touched: true, Impact: version.Minor, BumpedBy: []string{"a|<b>"}, Next: semver.MustParse("0.1.0"), NextTag: "web_v0.1.0"},
		},
		Outside: []string{"README.md", "docs/`x`|<img src=x>.md", "line\nbreak.txt"},
		Notes:   []string{"release/core/1 releases core only: the changes to <b>api</b> are not released from this branch"},
	}
	mr := mrContext{number: 9, title: "<img src=x> | x\n::error::pwned", target: "main"}
	goldenFile(t, "check-packages-summary.md", checkSummary(mr, res, detect.Target{Kind: detect.GitHub}))
	goldenFile(t, "check-packages-report.txt", checkReport(mr, res, detect.Target{Kind: detect.GitHub}, ""))
	if got := checkPackagesJSON(res); got != `[{"name":"core","version":"2.0.1","tag":"core_v2.0.1","previous-version":"2.0.0","previous-tag":"core_v2.0.0","impact":"patch","bumped-by":[]},`+
		`{"name":"a|\u003cb\u003e","version":"0.3.1","tag":"a|\u003cb\u003e_v0.3.1.1","previous-version":"0.3.0","previous-tag":"a|\u003cb\u003e_v0.3.0.2","impact":"patch","bumped-by":["core"]},`+
		`{"name":"web","version":"0.1.0","tag":"web_v0.1.0","previous-version":"","previous-tag":"","impact":"minor","bumped-by":["a|\u003cb\u003e"]}]` {
		t.Errorf("packages output:\n%s", got)
	}
	if got := checkPackagesJSON(check.Result{}); got != "[]" {
		t.Errorf("packages output of one package: %q, want []", got)
	}
}
