package gitrepo_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// packCounter records, for each push that reaches git's http-backend, the
// number of objects in its pack (-1 when it carried none).
type packCounter struct {
	mu     sync.Mutex
	counts []int
}

func (p *packCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/git-receive-pack") {
			body, err := io.ReadAll(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			n := -1
			if i := bytes.Index(body, []byte("0000PACK")); i >= 0 && len(body) >= i+16 {
				n = int(binary.BigEndian.Uint32(body[i+12 : i+16]))
			}
			p.mu.Lock()
			p.counts = append(p.counts, n)
			p.mu.Unlock()
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, req)
	})
}

func (p *packCounter) take() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	p.counts = nil
	return c
}

// fsck fails the test when the bare remote misses an object its refs reach.
func fsck(t *testing.T, bare string) {
	t.Helper()
	out, err := exec.Command("git", "-C", bare, "fsck", "--connectivity-only", "--no-dangling").CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck on the remote: %v\n%s", err, out)
	}
}

// nestedFiles is a tree of 3 × 4 × 5 files in nested directories.
func nestedFiles(rev int) map[string]string {
	files := map[string]string{}
	for a := range 3 {
		for b := range 4 {
			for c := range 5 {
				files[fmt.Sprintf("mod%d/src/pkg%d/File%d.java", a, b, c)] = fmt.Sprintf("class File%d { int rev = %d; }\n", c, rev)
			}
		}
	}
	return files
}

// TestPushSendsOnlyWhatIsNew counts the objects of each pack that reaches
// git's own server: a push must cost what is new, not the history.
func TestPushSendsOnlyWhatIsNew(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	g.Commit("main", "feat: tree", nestedFiles(0))
	for i := 1; i <= 20; i++ {
		g.Commit("main", fmt.Sprintf("fix: change %d", i), map[string]string{fmt.Sprintf("mod%d/src/pkg%d/File%d.java", i%3, i%4, i%5): fmt.Sprintf("rev %d\n", i)})
		if i%5 == 0 {
			g.Tag(fmt.Sprintf("1.0.%d", i/5), g.Head("main"), true)
		}
	}
	var pc packCounter
	url := gittest.ServeBareWrapped(t, g.Remote, pc.wrap)
	dir := g.CloneFrom(url, "main")
	pc.take()
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	head, _, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	tagger := gittest.Sig(gittest.Epoch)

	// A tag on a commit the remote has: the tag object alone.
	if err := r.CreateTag(gitrepo.TagOptions{Name: "1.0.5", Target: head, Message: "1.0.5", Tagger: tagger}); err != nil {
		t.Fatal(err)
	}
	if pushed, err := r.PushTag(ctx, "origin", gitrepo.Auth{}, "1.0.5"); err != nil || !pushed {
		t.Fatalf("push tag: %v %v", pushed, err)
	}
	if diff := cmp.Diff([]int{1}, pc.take()); diff != "" {
		t.Errorf("objects sent for a tag on a commit the remote has (-want +got):\n%s", diff)
	}

	// A version commit changing one file three directories down, and its
	// tag: the tag, the commit, 4 trees (root, mod1, mod1/src,
	// mod1/src/pkg2) and the blob.
	vc, err := r.CommitFiles(gitrepo.CommitOptions{
		Parent: head, Files: map[string][]byte{"mod1/src/pkg2/File3.java": []byte("version 1.0.6\n")},
		Message: "Release 1.0.6", Author: tagger,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.CreateTag(gitrepo.TagOptions{Name: "1.0.6", Target: vc, Message: "1.0.6", Tagger: tagger}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.PushTag(ctx, "origin", gitrepo.Auth{}, "1.0.6"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{7}, pc.take()); diff != "" {
		t.Errorf("objects sent for a tag on a version commit (-want +got):\n%s", diff)
	}

	// Two branches at once, one of them new at a commit the remote has
	// and one a fast-forward by a commit touching one top-level file: the
	// commit, the root tree and the blob.
	c2, err := r.CommitFiles(gitrepo.CommitOptions{Parent: head, Files: map[string][]byte{"README.md": []byte("more\n")}, Message: "docs", Author: tagger})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PushRefs(ctx, "origin", gitrepo.Auth{}, true, head.String()+":refs/heads/release/1", c2.String()+":refs/heads/main"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3}, pc.take()); diff != "" {
		t.Errorf("objects sent for a fast-forward and a new branch (-want +got):\n%s", diff)
	}
	// Pushing the same again sends nothing at all.
	if err := r.PushRefs(ctx, "origin", gitrepo.Auth{}, true, head.String()+":refs/heads/release/1", c2.String()+":refs/heads/main"); err != nil {
		t.Fatal(err)
	}
	if got := pc.take(); len(got) != 0 {
		t.Errorf("a push of what the remote has reached the server: %v", got)
	}
	fsck(t, g.Remote)
	if got := g.RemoteTags()["1.0.6"]; got != vc {
		t.Errorf("remote tag 1.0.6 at %s, want the version commit %s", got, vc)
	}
}

// TestPushCompleteHistory pushes a history with merges, moves, deletions,
// reverts and new directories in one go and in steps: the remote must hold
// every object its refs reach (git fsck), whatever the commit dates.
func TestPushCompleteHistory(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	g.Commit("main", "feat: tree", nestedFiles(0))
	g.Push()
	dir := g.Clone("main")
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base, _, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	sig := gittest.Sig(gittest.Epoch) // older than every parent: dates must not matter
	commit := func(parent plumbing.Hash, files map[string]string, parents ...plumbing.Hash) plumbing.Hash {
		t.Helper()
		b := map[string][]byte{}
		for k, v := range files {
			b[k] = []byte(v)
		}
		h, err := r.CommitFiles(gitrepo.CommitOptions{Parent: parent, Parents: parents, Files: b, Message: "change", Author: sig})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a1 := commit(base, map[string]string{"mod0/src/pkg0/File0.java": "a1\n", "new/deep/dir/x.txt": "x\n"})
	b1 := commit(base, map[string]string{"mod2/src/pkg3/File4.java": "b1\n"})
	a2 := commit(a1, map[string]string{"mod0/src/pkg0/File0.java": "class File0 { int rev = 0; }\n"}) // a revert
	m := commit(a2, map[string]string{"mod1/moved/File1.java": "class File1 { int rev = 0; }\n"}, a2, b1)
	if err := r.PushRefs(ctx, "origin", gitrepo.Auth{}, false, b1.String()+":refs/heads/side"); err != nil {
		t.Fatal(err)
	}
	fsck(t, g.Remote)
	if err := r.PushRefs(ctx, "origin", gitrepo.Auth{}, false, m.String()+":refs/heads/main"); err != nil {
		t.Fatal(err)
	}
	fsck(t, g.Remote)
	if _, h := remoteFiles(t, g, "main"); h != m {
		t.Errorf("remote main at %s, want %s", h, m)
	}
}

// TestPushNeverForces checks the refusals: a branch update that is not a
// fast-forward and a tag that exists with another value are rejected
// before anything is sent, and the remote keeps its refs.
func TestPushNeverForces(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	first := g.Commit("main", "feat: a", map[string]string{"a": "1"})
	g.Tag("1.0.0", first, true)
	g.Commit("main", "feat: b", map[string]string{"a": "2"})
	var pc packCounter
	url := gittest.ServeBareWrapped(t, g.Remote, pc.wrap)
	dir := g.CloneFrom(url, "main")
	pc.take()
	r, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	before := g.Head("main")
	other, err := r.CommitFiles(gitrepo.CommitOptions{Parent: first, Files: map[string][]byte{"a": []byte("3")}, Message: "diverge"})
	if err != nil {
		t.Fatal(err)
	}
	err = r.PushRefs(ctx, "origin", gitrepo.Auth{}, false, other.String()+":refs/heads/main")
	if !errors.Is(err, gitrepo.ErrRejected) || !strings.Contains(err.Error(), "non-fast-forward") {
		t.Errorf("non-fast-forward push: %v, want a rejection naming it", err)
	}
	if err := r.DeleteLocalTag("1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateTag(gitrepo.TagOptions{Name: "1.0.0", Target: other, Message: "again"}); err != nil {
		t.Fatal(err)
	}
	pushed, err := r.PushTag(ctx, "origin", gitrepo.Auth{}, "1.0.0")
	if pushed || !errors.Is(err, gitrepo.ErrRejected) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("push of an existing tag: %v %v, want a rejection", pushed, err)
	}
	if got := pc.take(); len(got) != 0 {
		t.Errorf("refused pushes reached the server: %v", got)
	}
	if _, h := remoteFiles(t, g, "main"); h != before {
		t.Errorf("remote main moved to %s", h)
	}
	if g.RemoteTags()["1.0.0"] != first {
		t.Error("remote tag 1.0.0 moved")
	}
}
