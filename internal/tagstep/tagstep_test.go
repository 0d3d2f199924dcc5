package tagstep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/version"
)

// fakeForge is an in-memory Lister over merge requests whose commits are
// real commits of the test repository.
type fakeForge struct {
	mu    sync.Mutex
	mrs   []forge.MergeRequest
	calls int
}

func (f *fakeForge) add(g *gittest.Repo, mr gittest.MR, target string, labels ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := forge.MergeRequest{Number: mr.Number, Title: mr.Title, URL: fmt.Sprintf("https://forge.test/mr/%d", mr.Number),
		Author: "dev", Labels: labels, MergedAt: g.Now(), HeadCommit: mr.Head.String()}
	switch {
	case mr.Squash != plumbing.ZeroHash:
		m.SquashCommit = mr.Squash.String()
	case mr.Landed != mr.Head:
		m.MergeCommit = mr.Landed.String()
	}
	_ = target
	f.mrs = append(f.mrs, m)
}

func (f *fakeForge) MergedSince(_ context.Context, q forge.Query) ([]forge.MergeRequest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var out []forge.MergeRequest
	for _, m := range f.mrs {
		if !m.MergedAt.Before(q.Since) {
			out = append(out, m)
		}
	}
	return out, nil
}

type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) add(kind, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, kind+": "+fmt.Sprintf(format, args...))
}
func (l *testLog) Infof(f string, a ...any)    { l.add("info", f, a...) }
func (l *testLog) Noticef(f string, a ...any)  { l.add("notice", f, a...) }
func (l *testLog) Warningf(f string, a ...any) { l.add("warning", f, a...) }
func (l *testLog) has(kind, sub string) bool {
	for _, s := range l.lines {
		if strings.HasPrefix(s, kind+": ") && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

type run struct {
	branch string
	source Source
	stable bool
	dryRun bool
	forge  *fakeForge
}

func runTag(t *testing.T, g *gittest.Repo, r run) (*Result, *testLog, error) {
	t.Helper()
	dir := g.Clone(r.branch)
	return runIn(t, dir, r)
}

func runIn(t *testing.T, dir string, r run) (*Result, *testLog, error) {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	head, _, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	log := &testLog{}
	o := Options{
		Repo: repo, Commit: head, Branch: r.branch, DefaultBranch: "main", BranchPrefix: "release/",
		Remote: "origin", Source: r.source, Labels: impact.DefaultLabels, Stable: r.stable, DryRun: r.dryRun,
		Tagger: func() object.Signature { return gittest.Sig(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) },
		Log:    log,
	}
	if r.forge != nil {
		o.Forge = r.forge
	}
	res, err := Run(context.Background(), o)
	return res, log, err
}

func released(t *testing.T, res *Result) string {
	t.Helper()
	if res == nil || !res.Released {
		return ""
	}
	return res.Tag
}

func TestMergeMethods(t *testing.T) {
	tests := []struct {
		name  string
		land  func(g *gittest.Repo) gittest.MR
		label string
		want  string
	}{
		{"merge commit", func(g *gittest.Repo) gittest.MR { return g.MergeMR("main", 7, 2, "add feature") }, "ImpactMinor", "1.3.0"},
		{"squash", func(g *gittest.Repo) gittest.MR { return g.SquashMR("main", 7, "fix bug") }, "ImpactPatch", "1.2.4"},
		{"fast-forward", func(g *gittest.Repo) gittest.MR { return g.FastForwardMR("main", 7, 3, "rework") }, "ImpactMajor", "2.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			g.Tag("1.2.3", g.Head("main"), true)
			f := &fakeForge{}
			f.add(g, tt.land(g), "main", "bug", tt.label)
			res, _, err := runTag(t, g, run{branch: "main", forge: f})
			if err != nil {
				t.Fatal(err)
			}
			if got := released(t, res); got != tt.want {
				t.Fatalf("released %q, want %q", got, tt.want)
			}
			if got := g.RemoteTags()[tt.want]; got != g.Head("main") {
				t.Errorf("remote tag %s on %s, want the pipeline commit %s", tt.want, got, g.Head("main"))
			}
			if len(res.Changes) != 1 || res.Changes[0].Number != 7 {
				t.Errorf("changes = %+v, want MR 7", res.Changes)
			}
		})
	}
}

func TestHighestImpactWins(t *testing.T) {
	g := gittest.New(t)
	g.Tag("v1.2.3", g.Head("main"), false)
	f := &fakeForge{}
	f.add(g, g.SquashMR("main", 1, "fix a"), "main", "ImpactPatch")
	f.add(g, g.MergeMR("main", 2, 1, "feat b"), "main", "ImpactMinor")
	f.add(g, g.SquashMR("main", 3, "fix c"), "main", "ImpactPatch")
	g.Commit("main", "direct push", map[string]string{"d": "1"})
	res, log, err := runTag(t, g, run{branch: "main", forge: f})
	if err != nil {
		t.Fatal(err)
	}
	if got := released(t, res); got != "v1.3.0" {
		t.Fatalf("released %q, want v1.3.0 (the highest impact, minor, in the style of v1.2.3)", got)
	}
	if res.PreviousTag != "v1.2.3" || res.Impact != version.Minor {
		t.Errorf("previous %q impact %v", res.PreviousTag, res.Impact)
	}
	if len(res.Unattributed) != 1 || !log.has("notice", "direct push") {
		t.Errorf("the direct push is not reported as a commit without merge request: %+v %q", res.Unattributed, log.lines)
	}
	if !strings.Contains(res.Notes, "### Features") || !strings.Contains(res.Notes, "### Fixes") {
		t.Errorf("notes not grouped by impact:\n%s", res.Notes)
	}
}

func TestUnlabeledFailsAndWritesNothing(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	f := &fakeForge{}
	f.add(g, g.SquashMR("main", 11, "fix a"), "main", "ImpactPatch")
	f.add(g, g.SquashMR("main", 12, "no label here"), "main", "bug")
	f.add(g, g.MergeMR("main", 13, 2, "nor here"), "main")
	res, _, err := runTag(t, g, run{branch: "main", forge: f})
	if !errors.Is(err, ErrUnlabeled) {
		t.Fatalf("err = %v, want ErrUnlabeled", err)
	}
	for _, want := range []string{"#12 no label here https://forge.test/mr/12", "#13 nor here", "add the label", "re-run this job"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%s", want, err)
		}
	}
	if strings.Contains(err.Error(), "#11") {
		t.Errorf("error names the labeled MR 11:\n%s", err)
	}
	if res != nil {
		t.Errorf("result %+v on failure", res)
	}
	if tags := g.RemoteTags(); len(tags) != 1 {
		t.Errorf("remote tags = %v, want only 1.0.0", tags)
	}
}

func TestVersionRulesEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		tag    string
		label  string
		stable bool
		want   string
	}{
		{"0.x major bumps minor", "0.3.1", "ImpactMajor", false, "0.4.0"},
		{"0.x minor bumps minor", "0.3.1", "ImpactMinor", false, "0.4.0"},
		{"0.x patch", "0.3.1", "ImpactPatch", false, "0.3.2"},
		{"stable release", "0.3.1", "ImpactPatch", true, "1.0.0"},
		{"stable ignored on 1.x", "1.0.0", "ImpactPatch", true, "1.0.1"},
		{"1.x major", "1.4.2", "ImpactMajor", false, "2.0.0"},
		{"first release", "", "ImpactPatch", false, "0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			if tt.tag != "" {
				g.Tag(tt.tag, g.Head("main"), false)
			}
			f := &fakeForge{}
			f.add(g, g.SquashMR("main", 1, "change"), "main", tt.label)
			res, _, err := runTag(t, g, run{branch: "main", forge: f, stable: tt.stable})
			if err != nil {
				t.Fatal(err)
			}
			if got := released(t, res); got != tt.want {
				t.Errorf("released %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStableWithoutChanges(t *testing.T) {
	g := gittest.New(t)
	g.Tag("0.9.0", g.Head("main"), false)
	g.Commit("main", "docs only", map[string]string{"doc": "x"})
	res, _, err := runTag(t, g, run{branch: "main", source: FromCommits, stable: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := released(t, res); got != "1.0.0" {
		t.Errorf("released %q, want 1.0.0", got)
	}
}

func TestReleaseBranches(t *testing.T) {
	// Seed example: main at 2.1.0, newest 1.x is 1.2.0 on release/1.
	setup := func(t *testing.T) (*gittest.Repo, *fakeForge) {
		g := gittest.New(t)
		g.Tag("1.2.0", g.Head("main"), true)
		g.SetBranch("release/1", g.Head("main"))
		g.SetBranch("release/1.2", g.Head("main"))
		g.Commit("main", "feat!: v2", map[string]string{"v2": "1"})
		g.Tag("2.0.0", g.Head("main"), true)
		g.SetBranch("release/2.0", g.Head("main"))
		g.Commit("main", "feat: more", map[string]string{"v21": "1"})
		g.Tag("2.1.0", g.Head("main"), true)
		g.SetBranch("release/2", g.Head("main"))
		g.SetBranch("release/2.1", g.Head("main"))
		return g, &fakeForge{}
	}
	tests := []struct {
		name    string
		branch  string
		label   string
		want    string
		wantErr error
		warn    string
	}{
		{name: "patch into release/1", branch: "release/1", label: "ImpactPatch", want: "1.2.1"},
		{name: "minor into release/1", branch: "release/1", label: "ImpactMinor", want: "1.3.0"},
		{name: "major into release/1 refused", branch: "release/1", label: "ImpactMajor", wantErr: version.ErrLineViolation},
		{name: "patch into release/1.2 warns", branch: "release/1.2", label: "ImpactPatch", want: "1.2.1", warn: "newest minor line of 1.x"},
		{name: "minor into release/1.2 refused", branch: "release/1.2", label: "ImpactMinor", wantErr: version.ErrLineViolation},
		{name: "direct patch into release/2.0", branch: "release/2.0", label: "ImpactPatch", want: "2.0.1"},
		{name: "patch into newest release/2 warns", branch: "release/2", label: "ImpactPatch", want: "2.1.1", warn: "newest major line"},
		{name: "patch into newest release/2.1 warns", branch: "release/2.1", label: "ImpactPatch", want: "2.1.1", warn: "newest minor line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, f := setup(t)
			f.add(g, g.SquashMR(tt.branch, 5, "cherry-pick fix"), tt.branch, tt.label)
			res, log, err := runTag(t, g, run{branch: tt.branch, forge: f})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if len(g.RemoteTags()) != 3 {
					t.Errorf("a refused release wrote tags: %v", g.RemoteTags())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := released(t, res); got != tt.want {
				t.Errorf("released %q, want %q", got, tt.want)
			}
			if tt.warn != "" && !log.has("warning", tt.warn) {
				t.Errorf("no warning %q in %q", tt.warn, log.lines)
			}
			if tt.warn == "" && log.has("warning", "newest") {
				t.Errorf("unexpected warning in %q", log.lines)
			}
		})
	}
}

func TestNotReleaseBranch(t *testing.T) {
	g := gittest.New(t)
	g.Commit("feature/x", "feat: x", map[string]string{"x": "1"})
	res, _, err := runTag(t, g, run{branch: "feature/x", source: FromCommits})
	if err != nil || res.Released || !res.NotReleaseBranch {
		t.Fatalf("res %+v err %v: want a no-op", res, err)
	}
}

func TestTagKinds(t *testing.T) {
	g := gittest.New(t)
	base := g.Head("main")
	g.Tag("v1.4.0", base, false)
	g.Tag("1.5.0-rc.1", base, true)   // prerelease: ignored
	g.Tag("nightly-2024", base, true) // not semver: ignored
	g.Tag("v1.5", base, false)        // not semver: ignored
	g.Commit("main", "fix: x", nil)
	res, _, err := runTag(t, g, run{branch: "main", source: FromCommits})
	if err != nil {
		t.Fatal(err)
	}
	if got := released(t, res); got != "v1.4.1" || res.PreviousTag != "v1.4.0" {
		t.Errorf("released %q after %q, want v1.4.1 after v1.4.0", got, res.PreviousTag)
	}
}

func TestLatestOnDetachedCommit(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "feat: a", map[string]string{"a": "1"})
	// A Maven/Python release: the tag is on a version commit off the branch.
	rel := g.CommitObject("release 1.1.0", map[string]string{"VERSION": "1.1.0"}, g.Head("main"))
	g.Tag("1.1.0", rel, true)
	g.Commit("main", "fix: b", map[string]string{"b": "1"})
	res, _, err := runTag(t, g, run{branch: "main", source: FromCommits})
	if err != nil {
		t.Fatal(err)
	}
	if got := released(t, res); got != "1.1.1" {
		t.Errorf("released %q, want 1.1.1 (1.1.0 is the latest release although the branch cannot reach it)", got)
	}
	if len(res.Changes) != 1 {
		t.Errorf("changes = %+v, want only fix: b", res.Changes)
	}
}

func TestRerunIsNoop(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	f := &fakeForge{}
	f.add(g, g.SquashMR("main", 1, "fix"), "main", "ImpactPatch")
	dir := g.Clone("main")
	first, _, err := runIn(t, dir, run{branch: "main", forge: f})
	if err != nil || released(t, first) != "1.0.1" {
		t.Fatalf("first run: %v %v", first, err)
	}
	before := g.RemoteTags()
	// The same job again, in the same clone and in a fresh one.
	for _, d := range []string{dir, g.Clone("main")} {
		again, log, err := runIn(t, d, run{branch: "main", forge: f})
		if err != nil {
			t.Fatal(err)
		}
		if again.Released || !again.Existing || !strings.Contains(again.Reason, "1.0.1 already points at this release") {
			t.Errorf("re-run = %+v, want released=false: 1.0.1 exists", again)
		}
		if !log.has("info", "nothing to do") {
			t.Errorf("re-run log %q", log.lines)
		}
	}
	if diff := cmp.Diff(before, g.RemoteTags()); diff != "" {
		t.Errorf("re-run changed the remote tags:\n%s", diff)
	}
}

func TestNothingToRelease(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	res, _, err := runTag(t, g, run{branch: "main", forge: &fakeForge{}})
	if err != nil || res.Released {
		t.Fatalf("res %+v err %v: want released=false", res, err)
	}
	g.Commit("main", "docs: typo", nil)
	res, _, err = runTag(t, g, run{branch: "main", source: FromCommits})
	if err != nil || res.Released {
		t.Fatalf("res %+v err %v: a docs commit has no impact", res, err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	g.Commit("main", "feat: x", nil)
	dir := g.Clone("main")
	res, _, err := runIn(t, dir, run{branch: "main", source: FromCommits, dryRun: true})
	if err != nil || released(t, res) != "1.1.0" {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if len(g.RemoteTags()) != 1 {
		t.Errorf("dry run pushed tags: %v", g.RemoteTags())
	}
	repo, _ := gitrepo.Open(dir)
	defer repo.Close()
	if _, ok, _ := repo.Tag("1.1.0"); ok {
		t.Error("dry run created a local tag")
	}
}

func TestShallowRefused(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "feat: x", nil)
	dir := g.Clone("main")
	if err := writeFile(dir+"/.git/shallow", g.Head("main").String()+"\n"); err != nil {
		t.Fatal(err)
	}
	_, _, err := runIn(t, dir, run{branch: "main", source: FromCommits})
	if !errors.Is(err, gitrepo.ErrShallow) || !strings.Contains(err.Error(), "fetch-depth: 0") || !strings.Contains(err.Error(), "GIT_DEPTH: 0") {
		t.Errorf("err = %v, want a shallow refusal with the fix", err)
	}
}

// TestRaceOnOneRemote runs two tag steps at once against one bare remote,
// from clones at different commits and at the same commit: whatever the
// order, the tags are unique, in order along the history, and never two on
// one commit.
func TestRaceOnOneRemote(t *testing.T) {
	for i := range 10 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			g := gittest.New(t)
			g.Tag("1.0.0", g.Head("main"), true)
			f := &fakeForge{}
			f.add(g, g.SquashMR("main", 1, "fix one"), "main", "ImpactPatch")
			c1 := g.Head("main")
			url := g.ServeHTTP() // git's own server: ref updates are compare-and-swap
			dirs := []string{g.CloneFrom(url, "main")}
			f.add(g, g.SquashMR("main", 2, "feat two"), "main", "ImpactMinor")
			c2 := g.Head("main")
			dirs = append(dirs, g.CloneFrom(url, "main"), g.CloneFrom(url, "main"))
			var wg sync.WaitGroup
			errs := make([]error, len(dirs))
			for k, d := range dirs {
				wg.Go(func() { _, _, errs[k] = runIn(t, d, run{branch: "main", forge: f}) })
			}
			wg.Wait()
			for k, err := range errs {
				if err != nil && !errors.Is(err, ErrRace) {
					t.Errorf("run %d: %v", k, err)
				}
			}
			tags := g.RemoteTags()
			delete(tags, "1.0.0")
			// Allowed end states: 1.1.0 on c2 alone, or 1.0.1 on c1 then 1.1.0 on c2.
			want1 := map[string]plumbing.Hash{"1.1.0": c2}
			want2 := map[string]plumbing.Hash{"1.0.1": c1, "1.1.0": c2}
			if !cmp.Equal(tags, want1) && !cmp.Equal(tags, want2) {
				t.Errorf("remote tags after the race = %v; want %v or %v", tags, want1, want2)
			}
		})
	}
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
}

// TestTwoBranchesOneLine: a patch released from release/2 while main is on
// 2.x puts two branches into one line. Neither may release a commit the
// other already released, whichever tag is the highest.
func TestTwoBranchesOneLine(t *testing.T) {
	g := gittest.New(t)
	g.Tag("2.1.0", g.Head("main"), true)
	g.SetBranch("release/2", g.Head("main"))
	f := &fakeForge{}
	f.add(g, g.SquashMR("main", 1, "fix on main"), "main", "ImpactPatch")
	res, _, err := runTag(t, g, run{branch: "main", forge: f})
	if err != nil || released(t, res) != "2.1.1" {
		t.Fatalf("main: %v %v", res, err)
	}
	f.add(g, g.SquashMR("release/2", 2, "fix on release/2"), "release/2", "ImpactPatch")
	res, _, err = runTag(t, g, run{branch: "release/2", forge: f})
	if err != nil || released(t, res) != "2.1.2" {
		t.Fatalf("release/2: %v %v", res, err)
	}
	// main's head is released as 2.1.1; 2.1.2 (elsewhere) is the highest:
	// still nothing new on main.
	res, _, err = runTag(t, g, run{branch: "main", forge: f})
	if err != nil || res.Released || !res.Existing {
		t.Errorf("main again: %+v %v, want the existing 2.1.1", res, err)
	}
	// And a new change on main releases only itself.
	f.add(g, g.SquashMR("main", 3, "another fix"), "main", "ImpactPatch")
	res, _, err = runTag(t, g, run{branch: "main", forge: f})
	if err != nil || released(t, res) != "2.1.3" || len(res.Changes) != 1 || res.Changes[0].Number != 3 {
		t.Errorf("main after: %+v %v, want 2.1.3 with !3 only", res, err)
	}
}

// TestRemoteAheadCaughtAtPush: another pipeline released a newer version
// after this clone was made. The push sees the remote's tags before it
// sends, so no out-of-order 1.0.1 is pushed under 1.1.0: the run fetches,
// computes again and finds its commit already released.
func TestRemoteAheadCaughtAtPush(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	f := &fakeForge{}
	f.add(g, g.SquashMR("main", 1, "fix one"), "main", "ImpactPatch")
	stale := g.Clone("main")
	f.add(g, g.SquashMR("main", 2, "feat two"), "main", "ImpactMinor")
	g.Tag("1.1.0", g.Head("main"), true)
	g.Push()
	res, log, err := runIn(t, stale, run{branch: "main", forge: f})
	if err != nil {
		t.Fatal(err)
	}
	if res.Released {
		t.Errorf("released %s from a stale clone under 1.1.0", res.Tag)
	}
	if !log.has("info", "computing again") {
		t.Errorf("the log does not say it computed again: %q", log.lines)
	}
	if _, ok := g.RemoteTags()["1.0.1"]; ok {
		t.Error("1.0.1 reached the remote after 1.1.0")
	}
}
