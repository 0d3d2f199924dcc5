package gittest_test

import (
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestServeHTTP clones and pushes through the HTTP remote, and checks that a
// push based on a stale view of the branch is refused rather than applied.
func TestServeHTTP(t *testing.T) {
	g := gittest.New(t)
	g.Push()
	url := g.ServeHTTP()
	dir := t.TempDir()
	c, err := git.PlainClone(dir, false, &git.CloneOptions{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := c.Head()
	g.Commit("main", "moved on", nil)
	g.Push()
	// The clone's main is behind; a new tag pushes fine, the branch does not.
	if _, err := c.CreateTag("t1", head.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Push(&git.PushOptions{RefSpecs: []config.RefSpec{"refs/tags/t1:refs/tags/t1"}}); err != nil {
		t.Fatalf("push tag over HTTP: %v", err)
	}
	if got := g.RemoteTags()["t1"]; got != head.Hash() {
		t.Errorf("remote t1 = %s, want %s", got, head.Hash())
	}
	if err := c.Push(&git.PushOptions{RefSpecs: []config.RefSpec{config.RefSpec(head.Hash().String() + ":refs/heads/main")}}); err == nil {
		t.Error("a non-fast-forward push of main was accepted")
	}
	_ = plumbing.ZeroHash
}
