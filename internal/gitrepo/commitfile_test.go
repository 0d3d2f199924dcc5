package gitrepo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// remoteFiles reads a branch of the bare remote: its files and head commit.
func remoteFiles(t *testing.T, g *gittest.Repo, branch string) (map[string]string, plumbing.Hash) {
	t.Helper()
	r, err := git.PlainOpen(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	iter := tree.Files()
	for {
		f, err := iter.Next()
		if err != nil {
			break
		}
		s, _ := f.Contents()
		files[f.Name] = s
	}
	return files, ref.Hash()
}

func TestCommitFile(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	g.Commit("main", "add src", map[string]string{"src/a.txt": "a", "releases/old.yml": "old"})
	dir := g.Clone("main")
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base, err := r.ResolveCommit("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	opts := gitrepo.CommitFileOptions{
		Remote: "origin", Branch: "releases", Base: base, Path: "releases/defs/release-1.yml",
		Content: []byte("release: 1\n"), Message: "add 1 [skip ci]\n", Author: gittest.Sig(gittest.Epoch),
	}

	// The branch does not exist: it is created from Base.
	res, err := r.CommitFile(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Parent != base || res.Commit.IsZero() || res.Attempts != 1 {
		t.Errorf("first commit: %+v", res)
	}
	files, head := remoteFiles(t, g, "releases")
	want := map[string]string{"README.md": "hello\n", "src/a.txt": "a", "releases/old.yml": "old", "releases/defs/release-1.yml": "release: 1\n"}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("remote files (-want +got):\n%s", diff)
	}
	if head != res.Commit {
		t.Errorf("remote head %s, want %s", head, res.Commit)
	}
	// The work tree's branch has not moved.
	if h, _ := r.ResolveCommit("main"); h != base {
		t.Errorf("main moved to %s", h)
	}
	if h, _ := r.ResolveCommit("refs/remotes/origin/releases"); h != res.Commit {
		t.Errorf("origin/releases is %s, want %s", h, res.Commit)
	}

	// Same content again: nothing to commit.
	again, err := r.CommitFile(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Commit.IsZero() || again.Parent != res.Commit {
		t.Errorf("unchanged: %+v", again)
	}

	// Someone pushes to the branch between relman's fetch and push: the
	// push is rejected and the commit is redone on the new head.
	other := g.Clone("main")
	opts.Path, opts.Content = "releases/defs/release-2.yml", []byte("release: 2\n")
	var racer plumbing.Hash
	opts.BeforePush = func(attempt int) {
		if attempt != 1 {
			return
		}
		o, err := gitrepo.Open(other)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		rr, err := o.CommitFile(ctx, gitrepo.CommitFileOptions{Remote: "origin", Branch: "releases", Base: base,
			Path: "releases/defs/release-3.yml", Content: []byte("release: 3\n"), Message: "add 3\n", Author: gittest.Sig(gittest.Epoch)})
		if err != nil {
			t.Fatal(err)
		}
		racer = rr.Commit
	}
	res2, err := r.CommitFile(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Attempts != 2 || res2.Parent != racer {
		t.Errorf("after a race: %+v, want 2 attempts on %s", res2, racer)
	}
	files, _ = remoteFiles(t, g, "releases")
	for _, f := range []string{"releases/defs/release-1.yml", "releases/defs/release-2.yml", "releases/defs/release-3.yml"} {
		if _, ok := files[f]; !ok {
			t.Errorf("%s is missing on the remote: %v", f, files)
		}
	}

	// A branch that keeps moving: give up after Attempts.
	opts.Path, opts.Content, opts.Attempts = "releases/defs/release-4.yml", []byte("release: 4\n"), 2
	n := 0
	opts.BeforePush = func(int) {
		n++
		o, _ := gitrepo.Open(other)
		defer o.Close()
		if _, err := o.CommitFile(ctx, gitrepo.CommitFileOptions{Remote: "origin", Branch: "releases", Base: base,
			Path: "noise.txt", Content: []byte{byte('a' + n)}, Message: "noise\n", Author: gittest.Sig(gittest.Epoch)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = r.CommitFile(ctx, opts)
	if !errors.Is(err, gitrepo.ErrRejected) {
		t.Errorf("error = %v, want ErrRejected", err)
	}
}

func TestCommitFileBadPath(t *testing.T) {
	g := gittest.New(t)
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, p := range []string{"", ".", "../x", "/abs", ".git/config", "a/../../b"} {
		if _, err := r.CommitFile(context.Background(), gitrepo.CommitFileOptions{Remote: "origin", Branch: "b", Path: p}); err == nil {
			t.Errorf("path %q: no error", p)
		}
	}
}

func TestReadFile(t *testing.T) {
	g := gittest.New(t)
	h := g.Commit("main", "add", map[string]string{"dir/f.json": "{}"})
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.ReadFile(h, "dir/f.json")
	if err != nil || string(b) != "{}" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	for _, p := range []string{"dir/g.json", "nodir/f.json", "dir"} {
		if _, err := r.ReadFile(h, p); !errors.Is(err, gitrepo.ErrNoFile) {
			t.Errorf("ReadFile(%s) error = %v, want ErrNoFile", p, err)
		}
	}
}
