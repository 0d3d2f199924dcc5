package backport

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

type nopLog struct{ lines []string }

func (l *nopLog) Infof(f string, a ...any)    { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }
func (l *nopLog) Noticef(f string, a ...any)  { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }
func (l *nopLog) Warningf(f string, a ...any) { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }

func versionFile(*gitrepo.TreeFiles) ([]string, error) { return []string{"VERSION"}, nil }

func remoteHeads(t *testing.T, g *gittest.Repo) map[string]plumbing.Hash {
	t.Helper()
	r, err := gitrepo.Open(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	heads := map[string]plumbing.Hash{}
	iter, _ := r.Git().Branches()
	_ = iter.ForEach(func(ref *plumbing.Reference) error { heads[ref.Name().Short()] = ref.Hash(); return nil })
	return heads
}

func run(t *testing.T, g *gittest.Repo, branch, ver string, dry bool) (*Result, error) {
	t.Helper()
	return runHook(t, g, branch, ver, dry, nil)
}

func runHook(t *testing.T, g *gittest.Repo, branch, ver string, dry bool, hook func(int)) (*Result, error) {
	t.Helper()
	dir := g.Clone(branch)
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	head, _, _ := repo.Head()
	return Run(context.Background(), Options{
		Repo: repo, Source: head, Branch: branch, DefaultBranch: "main", BranchPrefix: "release/",
		Version: semver.MustParse(ver), Remote: "origin", VersionFiles: versionFile, DryRun: dry,
		Author: func() object.Signature { return gittest.Sig(gittest.Epoch) }, Log: &nopLog{},
		beforePush: hook,
	})
}

func TestFromDefaultBranch(t *testing.T) {
	tests := []struct {
		name        string
		version     string
		wantCreated []string
		wantUpdated []string
		untouched   []string
	}{
		{"patch brings both up", "1.2.1", []string{}, []string{"release/1", "release/1.2"}, nil},
		{"minor creates release/X.Y", "1.3.0", []string{"release/1.3"}, []string{"release/1"}, []string{"release/1.2"}},
		{"major creates both", "2.0.0", []string{"release/2", "release/2.0"}, []string{}, []string{"release/1", "release/1.2"}},
		{"0.x minor", "0.5.0", []string{"release/0", "release/0.5"}, []string{}, []string{"release/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			g.SetBranch("release/1", g.Head("main"))
			g.SetBranch("release/1.2", g.Head("main"))
			g.Commit("main", "fix: something", map[string]string{"a": "1"})
			before := remoteHeadsAfterPush(t, g)
			res, err := run(t, g, "main", tt.version, false)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCreated, res.Created()); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUpdated, res.Updated()); diff != "" {
				t.Errorf("updated (-want +got):\n%s", diff)
			}
			heads := remoteHeads(t, g)
			for _, b := range append(tt.wantCreated, tt.wantUpdated...) {
				if heads[b] != g.Head("main") {
					t.Errorf("%s at %s, want main's head %s", b, heads[b], g.Head("main"))
				}
			}
			for _, b := range tt.untouched {
				if heads[b] != before[b] {
					t.Errorf("%s moved", b)
				}
			}
			// A second run finds everything up to date.
			again, err := run(t, g, "main", tt.version, false)
			if err != nil || len(again.Created())+len(again.Updated()) != 0 {
				t.Errorf("re-run: %+v %v, want nothing to do", again, err)
			}
		})
	}
}

func remoteHeadsAfterPush(t *testing.T, g *gittest.Repo) map[string]plumbing.Hash {
	g.Push()
	return remoteHeads(t, g)
}

func TestFromReleaseBranches(t *testing.T) {
	g := gittest.New(t)
	g.SetBranch("release/1", g.Head("main"))
	g.SetBranch("release/1.2", g.Head("main"))
	g.Commit("release/1", "fix: cherry-pick", map[string]string{"b": "1"})
	res, err := run(t, g, "release/1", "1.2.1", false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"release/1.2"}, res.Updated()); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}
	if remoteHeads(t, g)["release/1.2"] != g.Head("release/1") {
		t.Error("release/1.2 is not at release/1")
	}
	res, err = run(t, g, "release/1", "1.3.0", false)
	if err != nil || !cmp.Equal(res.Created(), []string{"release/1.3"}) {
		t.Errorf("minor from release/1: %+v %v, want release/1.3 created", res, err)
	}
	res, err = run(t, g, "release/1.2", "1.2.2", false)
	if err != nil || len(res.Updates) != 0 {
		t.Errorf("from release/1.2: %+v %v, want nothing", res, err)
	}
}

func TestMergeKeepsVersionFiles(t *testing.T) {
	g := gittest.New(t)
	base := g.Commit("main", "feat: a", map[string]string{"VERSION": "1.3.0-SNAPSHOT\n", "src": "1"})
	g.SetBranch("release/1", base)
	g.SetBranch("release/1.2", base)
	// Prep commits on both sides, then a new change on main.
	g.Commit("release/1.2", "Prepare 1.2.1-SNAPSHOT [skip ci]\n\nRelman-Prep: 1.2.1-SNAPSHOT\n", map[string]string{"VERSION": "1.2.1-SNAPSHOT\n"})
	g.Commit("main", "Prepare 1.3.0-SNAPSHOT [skip ci]\n\nRelman-Prep: 1.3.0-SNAPSHOT\n", map[string]string{"VERSION": "1.3.0-SNAPSHOT\n"})
	g.Commit("main", "fix: b", map[string]string{"src": "2"})
	res, err := run(t, g, "main", "1.2.1", false)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, u := range res.Updates {
		kinds[u.Branch] = u.Kind
	}
	if diff := cmp.Diff(map[string]string{"release/1": "fast-forward", "release/1.2": "merge"}, kinds); diff != "" {
		t.Fatalf("updates (-want +got):\n%s", diff)
	}
	heads := remoteHeads(t, g)
	r, _ := gitrepo.Open(g.Remote)
	defer r.Close()
	merge, err := r.Commit(heads["release/1.2"])
	if err != nil {
		t.Fatal(err)
	}
	if len(merge.ParentHashes) != 2 || merge.ParentHashes[1] != g.Head("main") || !strings.Contains(merge.Message, "Relman-Backport: 1.2.1") {
		t.Errorf("merge commit %v: parents %v message %q", merge.Hash, merge.ParentHashes, merge.Message)
	}
	files, _ := r.Files(merge.Hash)
	if v, _ := files.ReadFile("VERSION"); string(v) != "1.2.1-SNAPSHOT\n" {
		t.Errorf("VERSION on release/1.2 = %q, want its own 1.2.1-SNAPSHOT kept", v)
	}
	if s, _ := files.ReadFile("src"); string(s) != "2" {
		t.Errorf("src on release/1.2 = %q, want main's change", s)
	}
	// The next bring-up goes over the merge.
	g.Commit("main", "fix: c", map[string]string{"src": "3"})
	if _, err := run(t, g, "main", "1.2.2", false); err != nil {
		t.Fatalf("second bring-up: %v", err)
	}
}

func TestForeignCommitRefused(t *testing.T) {
	g := gittest.New(t)
	g.SetBranch("release/1", g.Head("main"))
	g.SetBranch("release/1.2", g.Head("main"))
	g.Commit("release/1.2", "fix: hotfix straight on the branch", map[string]string{"hot": "1"})
	g.Commit("main", "fix: b", map[string]string{"src": "2"})
	before := remoteHeadsAfterPush(t, g)
	_, err := run(t, g, "main", "1.2.1", false)
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "fix: hotfix straight on the branch") || !strings.Contains(err.Error(), "merge main into release/1.2") {
		t.Fatalf("err = %v, want ErrDiverged naming the commit and the fix", err)
	}
	if diff := cmp.Diff(before, remoteHeads(t, g)); diff != "" {
		t.Errorf("a refused run moved branches (release/1 must not move alone):\n%s", diff)
	}
}

func TestDryRun(t *testing.T) {
	g := gittest.New(t)
	g.SetBranch("release/1", g.Head("main"))
	g.Commit("main", "feat: x", map[string]string{"x": "1"})
	before := remoteHeadsAfterPush(t, g)
	res, err := run(t, g, "main", "1.1.0", true)
	if err != nil || len(res.Created()) != 1 || len(res.Updated()) != 1 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if diff := cmp.Diff(before, remoteHeads(t, g)); diff != "" {
		t.Errorf("dry run moved branches:\n%s", diff)
	}
}

// TestPushRace moves a release branch on the remote between the
// computation and the push: the push is refused (never forced), the step
// computes again on the new head, and the second push lands both updates
// together.
func TestPushRace(t *testing.T) {
	g := gittest.New(t)
	base := g.Commit("main", "feat: a", map[string]string{"VERSION": "1.3.0-SNAPSHOT\n"})
	g.SetBranch("release/1", base)
	g.SetBranch("release/1.2", base)
	g.Commit("main", "fix: b", map[string]string{"src": "2"})
	var prep plumbing.Hash
	res, err := runHook(t, g, "main", "1.2.1", false, func(attempt int) {
		if attempt == 1 { // a prep commit lands on release/1.2 meanwhile
			g.Sync()
			prep = g.Commit("release/1.2", "Prepare 1.2.1-SNAPSHOT [skip ci]\n\nRelman-Prep: 1.2.1-SNAPSHOT\n", map[string]string{"VERSION": "1.2.1-SNAPSHOT\n"})
			g.Push()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	heads := remoteHeads(t, g)
	if heads["release/1"] != g.Head("main") {
		t.Errorf("release/1 at %s, want main", heads["release/1"])
	}
	r, _ := gitrepo.Open(g.Remote)
	defer r.Close()
	c, err := r.Commit(heads["release/1.2"])
	if err != nil || len(c.ParentHashes) != 2 || c.ParentHashes[0] != prep {
		t.Fatalf("release/1.2 = %v (%v): want a merge over the concurrent prep commit %s", c, err, prep)
	}
	if len(res.Updated()) != 2 {
		t.Errorf("updated %v", res.Updated())
	}
	// If it never settles, a bounded number of attempts, then an error.
	g.Commit("main", "fix: c", map[string]string{"src": "3"})
	_, err = runHook(t, g, "main", "1.2.2", false, func(attempt int) {
		g.Sync()
		v := fmt.Sprintf("1.3.%d-SNAPSHOT", attempt)
		g.Commit("release/1", "Prepare "+v+"\n\nRelman-Prep: "+v+"\n", map[string]string{"VERSION": v + "\n"})
		g.Push()
	})
	if !errors.Is(err, gitrepo.ErrRejected) {
		t.Errorf("err = %v, want a rejected push after the retries", err)
	}
}

// TestVersionFilesFromPrepCommits: without a build system (the simple
// default), the files relman's own prep commits changed still count as
// version files, so a Python project's bring-up merge works and keeps the
// branch's VERSION; a change that no prep commit explains is still refused,
// naming the settings.
func TestVersionFilesFromPrepCommits(t *testing.T) {
	runSimple := func(g *gittest.Repo, ver string) (*Result, error) {
		dir := g.Clone("main")
		repo, err := gitrepo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		head, _, _ := repo.Head()
		return Run(context.Background(), Options{
			Repo: repo, Source: head, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/",
			Version: semver.MustParse(ver), Remote: "origin",
			Author: func() object.Signature { return gittest.Sig(gittest.Epoch) }, Log: &nopLog{},
		})
	}
	g := gittest.New(t)
	base := g.Commit("main", "feat: a", map[string]string{"VERSION": "1.3.0.dev0\n", "src": "1"})
	g.SetBranch("release/1", base)
	g.SetBranch("release/1.2", base)
	g.Commit("release/1.2", "Prepare next development version 1.2.1.dev0 [skip ci]\n\nRelman-Prep: 1.2.1.dev0\n", map[string]string{"VERSION": "1.2.1.dev0\n"})
	g.Commit("main", "fix: b", map[string]string{"src": "2"})
	if _, err := runSimple(g, "1.2.1"); err != nil {
		t.Fatalf("bring-up over a prep commit without build-system: %v", err)
	}
	r, _ := gitrepo.Open(g.Remote)
	defer r.Close()
	files, _ := r.Files(remoteHeads(t, g)["release/1.2"])
	if v, _ := files.ReadFile("VERSION"); string(v) != "1.2.1.dev0\n" {
		t.Errorf("VERSION on release/1.2 = %q, want its own 1.2.1.dev0 kept", v)
	}

	// A bring-up merge whose tree differs in a file no prep commit touched.
	g2 := gittest.New(t)
	base2 := g2.Commit("main", "feat: a", map[string]string{"VERSION": "1.3.0.dev0\n", "src": "1"})
	g2.SetBranch("release/1", base2)
	g2.SetBranch("release/1.2", base2)
	g2.Commit("release/1.2", "Merge main 1.2.0 into release/1.2 [skip ci]\n\nRelman-Backport: 1.2.0\n", map[string]string{"pom.xml": "<project/>"})
	g2.Commit("main", "fix: b", map[string]string{"src": "2"})
	_, err := runSimple(g2, "1.2.1")
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "changes pom.xml") || !strings.Contains(err.Error(), "build-system and version-files settings") {
		t.Fatalf("err = %v, want ErrDiverged naming the file and the settings", err)
	}
}
