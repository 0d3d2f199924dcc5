package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

func hashes(cs []plumbing.Hash) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()[:8]
	}
	return out
}

func TestWalk(t *testing.T) {
	g := gittest.New(t)
	base := g.Head("main")
	g.Tag("v1.0.0", base, true)
	m1 := g.MergeMR("main", 1, 2, "feat: one")
	// A side branch from before the release, merged after it: its commits
	// are new, the release's history is not.
	side := g.CommitObject("fix: side", map[string]string{"side.txt": "x"}, base)
	m2 := g.SquashMR("main", 2, "fix: two")
	merge := g.CommitObject("Merge side", map[string]string{"side.txt": "x"}, g.Head("main"), side)
	g.SetBranch("main", merge)
	m3 := g.FastForwardMR("main", 3, 2, "fix: three")

	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rg, err := r.Walk(context.Background(), g.Head("main"), base)
	if err != nil {
		t.Fatal(err)
	}
	var got []plumbing.Hash
	for _, c := range rg.Commits {
		got = append(got, c.Hash)
	}
	c1, _ := r.Commit(m1.Head)
	want := []plumbing.Hash{m3.Head, m3.Landed, merge, side, m2.Landed, m1.Landed, m1.Head, c1.ParentHashes[0]}
	// m3.Head == m3.Landed for a fast-forward: the second commit of m3 is its parent.
	c3, _ := r.Commit(m3.Head)
	want[1] = c3.ParentHashes[0]
	if diff := cmp.Diff(hashes(want), hashes(got), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("range mismatch (-want +got):\n%s", diff)
	}
	var fp []plumbing.Hash
	for _, c := range rg.FirstParent {
		fp = append(fp, c.Hash)
	}
	wantFP := []plumbing.Hash{m3.Head, c3.ParentHashes[0], merge, m2.Landed, m1.Landed}
	if diff := cmp.Diff(hashes(wantFP), hashes(fp)); diff != "" {
		t.Errorf("first-parent chain mismatch (-want +got):\n%s", diff)
	}

	// Nothing new: the range from the tip to itself is empty.
	rg, err = r.Walk(context.Background(), g.Head("main"), g.Head("main"))
	if err != nil || len(rg.Commits) != 0 {
		t.Errorf("tip..tip = %d commits, %v; want none", len(rg.Commits), err)
	}
	// An excluded commit that is not an ancestor (a detached release commit
	// whose parent is on the branch) excludes its parent's history.
	detached := g.CommitObject("release 1.1.0", map[string]string{"VERSION": "1.1.0"}, m2.Landed)
	rg, err = r.Walk(context.Background(), g.Head("main"), detached)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rg.Commits); got != 4 { // merge, side, and m3's two commits
		t.Errorf("detached..tip = %d commits, want 4", got)
	}
}

func TestWalkShallow(t *testing.T) {
	g := gittest.New(t)
	base := g.Head("main")
	g.Tag("1.0.0", base, false)
	mid := g.Commit("main", "fix: a", map[string]string{"a": "1"})
	g.Commit("main", "fix: b", map[string]string{"b": "1"})
	// Cut history at mid, as a depth-2 clone would.
	if err := os.WriteFile(filepath.Join(g.Dir, ".git", "shallow"), []byte(mid.String()+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if s, _ := r.Shallow(); !s {
		t.Fatal("Shallow() = false for a repository with .git/shallow")
	}
	if _, err := r.Walk(context.Background(), g.Head("main"), base); !errors.Is(err, gitrepo.ErrShallow) {
		t.Errorf("Walk across the shallow boundary: err = %v, want ErrShallow", err)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://gitlab-ci-token:s3cr3t@gitlab.example/g/p.git", "https://gitlab.example/g/p.git"},
		{"https://x-access-token:s3cr3t@github.com/o/r", "https://github.com/o/r"},
		{"/tmp/remote.git", "/tmp/remote.git"},
	} {
		if got := gitrepo.RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	err := gitrepo.RedactError(errors.New(`Get "https://oauth2:s3cr3t@host/x/info/refs": dial tcp: refused`))
	if got := err.Error(); got != `Get "https://host/x/info/refs": dial tcp: refused` {
		t.Errorf("RedactError = %q", got)
	}
}
