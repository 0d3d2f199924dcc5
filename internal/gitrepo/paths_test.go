package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

func TestChangedUnder(t *testing.T) {
	g := gittest.New(t)
	base := g.Commit("main", "base", map[string]string{
		"packages/core/src/a.go": "a", "packages/core/src/b.go": "b", "packages/ui/x.js": "x",
		"packages/core/plugins/p/p.go": "p", "docs/guide.md": "g", "README.md": "r",
	})
	next := g.Commit("main", "change", map[string]string{
		"packages/core/src/a.go": "a2", "packages/core/plugins/p/p.go": "p2", "docs/guide.md": "g2", "docs/new.md": "n",
		"README.md": "", "packages/ui/x.js": "x",
	})
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tests := []struct {
		name string
		stop func(string) bool
		want []string
	}{
		{"every file", nil, []string{"README.md", "docs/guide.md", "docs/new.md", "packages/core/plugins/p/p.go", "packages/core/src/a.go"}},
		{"stopped at the package, not at the package below it",
			func(d string) bool { return d == "packages/core/src" || d == "packages/core/plugins/p" },
			[]string{"README.md", "docs/guide.md", "docs/new.md", "packages/core/plugins/p", "packages/core/src"}},
		{"stopped at a directory whose files differ", func(d string) bool { return d == "docs" },
			[]string{"README.md", "docs", "packages/core/plugins/p/p.go", "packages/core/src/a.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.ChangedUnder(base, next, tt.stop)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ChangedUnder (-want +got):\n%s", diff)
			}
		})
	}
	// A root commit against the empty tree: everything.
	got, err := r.ChangedUnder(plumbing.ZeroHash, base, func(d string) bool { return d == "packages" })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"README.md", "docs/guide.md", "packages"}, got); diff != "" {
		t.Errorf("ChangedUnder from nothing (-want +got):\n%s", diff)
	}
}

func TestPathHash(t *testing.T) {
	g := gittest.New(t)
	a := g.Commit("main", "a", map[string]string{"pkg/core/a.go": "a", "pkg/ui/b.js": "b", "f.txt": "f"})
	b := g.Commit("main", "b", map[string]string{"pkg/ui/b.js": "b2"})
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hash := func(c plumbing.Hash, p string) (plumbing.Hash, bool) {
		h, ok, err := r.PathHash(c, p)
		if err != nil {
			t.Fatal(err)
		}
		return h, ok
	}
	if x, _ := hash(a, "pkg/core"); x != must(hash(b, "pkg/core")) {
		t.Errorf("pkg/core did not change, but its hashes differ")
	}
	if x, _ := hash(a, "pkg/ui"); x == must(hash(b, "pkg/ui")) {
		t.Errorf("pkg/ui changed, but its hashes are equal")
	}
	for _, p := range []string{"pkg/none", "f.txt/x", "pkg/core/a.go/b"} {
		if _, ok := hash(a, p); ok {
			t.Errorf("PathHash(%q) found a path that is not there", p)
		}
	}
	if _, ok := hash(a, "f.txt"); !ok {
		t.Errorf("PathHash of a file: not found")
	}
}

func must(h plumbing.Hash, ok bool) plumbing.Hash {
	if !ok {
		return plumbing.ZeroHash
	}
	return h
}

// TestPushTagsAtomic: several tags go in one push, every one or none; a
// tag the remote has already (another pipeline's) fails the whole push.
func TestPushTagsAtomic(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	head := g.Commit("main", "feat: a", map[string]string{"a": "1"})
	var pc packCounter
	url := gittest.ServeBareWrapped(t, g.Remote, pc.wrap)
	dir := g.CloneFrom(url, "main")
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Another pipeline pushes core_v1.0.0 on its own commit first.
	g.Tag("core_v1.0.0", head, true)
	g.Push()
	before := g.RemoteTags()
	for _, n := range []string{"api_v1.0.0", "core_v1.0.0", "web@1.0.0"} {
		if err := r.CreateTag(gitrepo.TagOptions{Name: n, Target: head, Message: n, Tagger: gittest.Sig(gittest.Epoch)}); err != nil {
			t.Fatal(err)
		}
	}
	pushed, err := r.PushTagsChecked(ctx, "origin", gitrepo.Auth{}, []string{"api_v1.0.0", "core_v1.0.0", "web@1.0.0"}, nil)
	if pushed || !errors.Is(err, gitrepo.ErrRejected) || !strings.Contains(err.Error(), "core_v1.0.0") {
		t.Fatalf("push over another pipeline's tag: %v %v, want a rejection naming core_v1.0.0", pushed, err)
	}
	if diff := cmp.Diff(before, g.RemoteTags()); diff != "" {
		t.Errorf("a refused push changed the remote's tags (-before +after):\n%s", diff)
	}
	// Without the conflict, both go in one push.
	if err := r.DeleteLocalTag("core_v1.0.0"); err != nil {
		t.Fatal(err)
	}
	pc.take()
	pushed, err = r.PushTagsChecked(ctx, "origin", gitrepo.Auth{}, []string{"api_v1.0.0", "web@1.0.0"}, nil)
	if err != nil || !pushed {
		t.Fatalf("push: %v %v", pushed, err)
	}
	if n := len(pc.take()); n != 1 {
		t.Errorf("%d pushes reached the remote, want 1 (both tags in one)", n)
	}
	tags := g.RemoteTags()
	for _, n := range []string{"api_v1.0.0", "web@1.0.0"} {
		if tags[n].IsZero() {
			t.Errorf("%s is not on the remote", n)
		}
	}
	// The same push again: nothing to send.
	if pushed, err := r.PushTagsChecked(ctx, "origin", gitrepo.Auth{}, []string{"api_v1.0.0", "web@1.0.0"}, nil); err != nil || pushed {
		t.Errorf("the same push again: %v %v, want nothing pushed", pushed, err)
	}
}

// TestPeelCommitFromPackedRefs: a clone made by git has its tags in
// packed-refs with the commits they name ("^" lines); PeelCommit reads
// them and agrees with Peel, and a packed-refs that does not say it is
// peeled is not trusted.
func TestPeelCommitFromPackedRefs(t *testing.T) {
	g := gittest.New(t)
	a := g.Commit("main", "a", map[string]string{"a": "1"})
	g.Tag("core_v1.0.0", a, true)
	b := g.Commit("main", "b", map[string]string{"a": "2"})
	g.Tag("core_v1.1.0", b, true)
	g.Tag("light", b, false)
	g.Push()
	dir := t.TempDir()
	if out, err := exec.Command("git", "clone", "-q", "--no-checkout", g.Remote, dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	packed, err := os.ReadFile(filepath.Join(dir, ".git", "packed-refs"))
	if err != nil || !strings.Contains(string(packed), "\n^") {
		t.Fatalf("git's clone has no peeled packed-refs: %v\n%s", err, packed)
	}
	for _, trusted := range []bool{true, false} {
		if !trusted {
			// A forged "^" line under a header without the peeled trait.
			forged := strings.Replace(string(packed), "peeled", "sorted", 1)
			forged = strings.ReplaceAll(forged, "^"+a.String(), "^"+b.String())
			if err := os.WriteFile(filepath.Join(dir, ".git", "packed-refs"), []byte(forged), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := gitrepo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		tags, err := r.Tags()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]plumbing.Hash{"core_v1.0.0": a, "core_v1.1.0": b, "light": b}
		for _, tg := range tags {
			c, err := r.PeelCommit(tg)
			if err != nil {
				t.Fatal(err)
			}
			if c != want[tg.Name] {
				t.Errorf("trusted=%v: PeelCommit(%s) = %s, want %s", trusted, tg.Name, c, want[tg.Name])
			}
		}
		r.Close()
	}
}
