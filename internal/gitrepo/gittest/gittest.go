// Package gittest builds real git repositories for tests with go-git: a
// fixed identity, fixed dates one hour apart, no signing, and a bare remote
// beside them. Commits are written at the object level, so merge commits,
// squashes and fast-forwards are exact and no work tree is needed.
package gittest

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Epoch is the date of the first commit; each later commit is one hour on.
var Epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// TB is the part of testing.TB the builders use, so that testscript
// commands can build repositories too.
type TB interface {
	Helper()
	Fatal(args ...any)
	TempDir() string
}

var _ TB = testing.TB(nil)

// Repo is a repository under construction: a non-bare "dev" repository
// whose refs are pushed to a bare remote with Push.
type Repo struct {
	t      TB
	Dir    string // the repository
	Remote string // the bare remote's directory
	Git    *git.Repository
	clock  time.Time
	files  map[plumbing.Hash]map[string]string
	// dirty holds the refs changed since the last Push: Push sends only
	// those, so that it never undoes what a step pushed to the remote.
	dirty map[plumbing.ReferenceName]bool
}

// New creates a repository with branch main holding one initial commit, and
// an empty bare remote "origin".
func New(t TB) *Repo {
	t.Helper()
	return NewAt(t, t.TempDir())
}

// NewAt is New in a given directory: the repository is base/dev and the
// remote base/remote.git.
func NewAt(t TB, base string) *Repo {
	t.Helper()
	dir := filepath.Join(base, "dev")
	remote := filepath.Join(base, "remote.git")
	g, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := git.PlainInitWithOptions(remote, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{remote}}); err != nil {
		t.Fatal(err)
	}
	r := &Repo{t: t, Dir: dir, Remote: remote, Git: g, clock: Epoch, files: map[plumbing.Hash]map[string]string{}}
	r.Commit("main", "initial commit", map[string]string{"README.md": "hello\n"})
	return r
}

// Open reopens a repository made by NewAt in base; the next commit is dated
// one hour after the newest branch head.
func Open(t TB, base string) *Repo {
	t.Helper()
	dir := filepath.Join(base, "dev")
	g, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{t: t, Dir: dir, Remote: filepath.Join(base, "remote.git"), Git: g, clock: Epoch, files: map[plumbing.Hash]map[string]string{}}
	r.Sync()
	iter, err := g.References()
	if err != nil {
		t.Fatal(err)
	}
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		if c, err := g.CommitObject(ref.Hash()); err == nil && c.Committer.When.After(r.clock) {
			r.clock = c.Committer.When
		}
		if to, err := g.TagObject(ref.Hash()); err == nil && to.Tagger.When.After(r.clock) {
			r.clock = to.Tagger.When
		}
		return nil
	})
	return r
}

// treeFiles reads a commit's files from the repository (for commits this
// Repo value did not make).
func (r *Repo) treeFiles(h plumbing.Hash) map[string]string {
	r.t.Helper()
	if f, ok := r.files[h]; ok {
		return f
	}
	c, err := r.Git.CommitObject(h)
	if err != nil {
		r.t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		r.t.Fatal(err)
	}
	files := map[string]string{}
	err = tree.Files().ForEach(func(f *object.File) error {
		content, err := f.Contents()
		files[f.Name] = content
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.files[h] = files
	return files
}

// Sig is the fixed test identity at the given time.
func Sig(when time.Time) object.Signature {
	return object.Signature{Name: "Test Dev", Email: "dev@example.test", When: when}
}

func (r *Repo) tick() time.Time {
	r.clock = r.clock.Add(time.Hour)
	return r.clock
}

// Now is the date the next commit will get minus an hour.
func (r *Repo) Now() time.Time { return r.clock }

// Head returns the commit a branch points at (zero when it does not exist).
func (r *Repo) Head(branch string) plumbing.Hash {
	ref, err := r.Git.Storer.Reference(plumbing.NewBranchReferenceName(branch))
	if err != nil {
		return plumbing.ZeroHash
	}
	return ref.Hash()
}

// SetBranch points a branch at a commit (creating it).
func (r *Repo) SetBranch(branch string, h plumbing.Hash) {
	r.t.Helper()
	name := plumbing.NewBranchReferenceName(branch)
	if err := r.Git.Storer.SetReference(plumbing.NewHashReference(name, h)); err != nil {
		r.t.Fatal(err)
	}
	r.markDirty(name)
}

// Checkout makes HEAD name a branch (no work tree update).
func (r *Repo) Checkout(branch string) {
	r.t.Helper()
	if err := r.Git.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(branch))); err != nil {
		r.t.Fatal(err)
	}
}

// Files returns the files of a commit.
func (r *Repo) Files(h plumbing.Hash) map[string]string {
	return r.treeFiles(h)
}

// CommitObject writes a commit with the given parents whose tree is the
// first parent's files overlaid with files ("" content deletes a file).
// It moves no ref.
func (r *Repo) CommitObject(msg string, files map[string]string, parents ...plumbing.Hash) plumbing.Hash {
	r.t.Helper()
	tree := map[string]string{}
	if len(parents) > 0 {
		for k, v := range r.treeFiles(parents[0]) {
			tree[k] = v
		}
	}
	for k, v := range files {
		if v == "" {
			delete(tree, k)
		} else {
			tree[k] = v
		}
	}
	return r.commitTree(msg, tree, parents)
}

func (r *Repo) commitTree(msg string, tree map[string]string, parents []plumbing.Hash) plumbing.Hash {
	r.t.Helper()
	th := r.writeTree(tree, "")
	when := r.tick()
	c := &object.Commit{
		Author:       Sig(when),
		Committer:    Sig(when),
		Message:      msg,
		TreeHash:     th,
		ParentHashes: parents,
	}
	obj := r.Git.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		r.t.Fatal(err)
	}
	h, err := r.Git.Storer.SetEncodedObject(obj)
	if err != nil {
		r.t.Fatal(err)
	}
	r.files[h] = tree
	return h
}

// writeTree writes the tree of the files under dir (recursively).
func (r *Repo) writeTree(files map[string]string, dir string) plumbing.Hash {
	r.t.Helper()
	entries := map[string]object.TreeEntry{}
	subdirs := map[string]bool{}
	for p, content := range files {
		rel, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			subdirs[rel[:i]] = true
			continue
		}
		obj := r.Git.Storer.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, _ := obj.Writer()
		_, _ = w.Write([]byte(content))
		_ = w.Close()
		h, err := r.Git.Storer.SetEncodedObject(obj)
		if err != nil {
			r.t.Fatal(err)
		}
		entries[rel] = object.TreeEntry{Name: rel, Mode: filemode.Regular, Hash: h}
	}
	for d := range subdirs {
		entries[d] = object.TreeEntry{Name: d, Mode: filemode.Dir, Hash: r.writeTree(files, dir+d+"/")}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	// git sorts tree entries as if directories had a trailing slash.
	key := func(n string) string {
		if entries[n].Mode == filemode.Dir {
			return n + "/"
		}
		return n
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(key(a), key(b)) })
	t := &object.Tree{}
	for _, n := range names {
		t.Entries = append(t.Entries, entries[n])
	}
	obj := r.Git.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		r.t.Fatal(err)
	}
	h, err := r.Git.Storer.SetEncodedObject(obj)
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// Commit adds a commit on branch (creating the branch from nothing if it
// does not exist) and moves the branch to it.
func (r *Repo) Commit(branch, msg string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	var parents []plumbing.Hash
	if h := r.Head(branch); !h.IsZero() {
		parents = append(parents, h)
	}
	h := r.CommitObject(msg, files, parents...)
	r.SetBranch(branch, h)
	return h
}

// MR describes a merge request made by the helpers below.
type MR struct {
	Number int
	Title  string
	Head   plumbing.Hash // last commit of the source branch
	Landed plumbing.Hash // the commit that put it on the target
	Squash plumbing.Hash // the squash commit (GitLab squash + merge commit)
}

// MergeMR makes a source branch of n commits off target and merges it with a
// merge commit (GitLab's default "merge commit" method).
func (r *Repo) MergeMR(target string, number, n int, title string) MR {
	r.t.Helper()
	tip := r.Head(target)
	for i := range n {
		tip = r.CommitObject(title+partSuffix(i, n), map[string]string{fileFor(number, i): title}, tip)
	}
	merge := r.CommitObject("Merge branch 'mr-"+itoa(number)+"' into '"+target+"'\n\n"+title+"\n\nSee merge request !"+itoa(number),
		r.treeFiles(tip), r.Head(target), tip)
	r.SetBranch(target, merge)
	return MR{Number: number, Title: title, Head: tip, Landed: merge}
}

// SquashMR lands a merge request as one squashed commit on target
// (fast-forward squash: no merge commit).
func (r *Repo) SquashMR(target string, number int, title string) MR {
	r.t.Helper()
	head := r.CommitObject(title+" (wip)", map[string]string{fileFor(number, 0): "wip"}, r.Head(target))
	sq := r.Commit(target, title, map[string]string{fileFor(number, 0): title})
	return MR{Number: number, Title: title, Head: head, Landed: sq, Squash: sq}
}

// FastForwardMR lands a merge request's n commits on target by fast-forward.
func (r *Repo) FastForwardMR(target string, number, n int, title string) MR {
	r.t.Helper()
	var tip plumbing.Hash
	for i := range n {
		tip = r.Commit(target, title+partSuffix(i, n), map[string]string{fileFor(number, i): title})
	}
	return MR{Number: number, Title: title, Head: tip, Landed: tip}
}

// Tag creates a tag; annotated tags get a tag object with a fixed tagger.
func (r *Repo) Tag(name string, target plumbing.Hash, annotated bool) {
	r.t.Helper()
	var opts *git.CreateTagOptions
	if annotated {
		s := Sig(r.tick())
		opts = &git.CreateTagOptions{Tagger: &s, Message: "Release " + name + "\n"}
	}
	if _, err := r.Git.CreateTag(name, target, opts); err != nil {
		r.t.Fatal(err)
	}
	r.markDirty(plumbing.NewTagReferenceName(name))
}

// Sync makes the repository's branches and tags those of the remote, as
// the steps under test left them.
func (r *Repo) Sync() {
	r.t.Helper()
	r.Push()
	err := r.Git.Fetch(&git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		Tags:       git.NoTags,
	})
	if err != nil && err != git.NoErrAlreadyUpToDate {
		r.t.Fatal(err)
	}
}

func (r *Repo) markDirty(name plumbing.ReferenceName) {
	if r.dirty == nil {
		r.dirty = map[plumbing.ReferenceName]bool{}
	}
	r.dirty[name] = true
}

// Push sends the branches and tags changed since the last Push to the bare
// remote (forced: the test decides what the remote holds).
func (r *Repo) Push() {
	r.t.Helper()
	if len(r.dirty) == 0 {
		return
	}
	var specs []config.RefSpec
	for name := range r.dirty {
		specs = append(specs, config.RefSpec("+"+name.String()+":"+name.String()))
	}
	err := r.Git.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: specs})
	if err != nil && err != git.NoErrAlreadyUpToDate {
		r.t.Fatal(err)
	}
	r.dirty = nil
}

// Clone pushes, then clones the remote into a new directory with branch
// checked out, full history and tags, as a CI checkout with fetch-depth: 0.
func (r *Repo) Clone(branch string) string {
	r.t.Helper()
	return r.CloneFrom(r.Remote, branch)
}

// CloneFrom is Clone from another URL of the remote (see ServeHTTP).
func (r *Repo) CloneFrom(url, branch string) string {
	r.t.Helper()
	r.Push()
	dir := filepath.Join(r.t.TempDir(), "clone")
	_, err := git.PlainClone(dir, false, &git.CloneOptions{
		URL:           url,
		ReferenceName: plumbing.NewBranchReferenceName(branch),
		Tags:          git.AllTags,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return dir
}

// RemoteTags lists the bare remote's tags, peeled to the commit each names.
func (r *Repo) RemoteTags() map[string]plumbing.Hash {
	r.t.Helper()
	g, err := git.PlainOpen(r.Remote)
	if err != nil {
		r.t.Fatal(err)
	}
	iter, err := g.Tags()
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]plumbing.Hash{}
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		h := ref.Hash()
		if to, err := g.TagObject(h); err == nil {
			h = to.Target
		}
		out[ref.Name().Short()] = h
		return nil
	})
	return out
}

func partSuffix(i, n int) string {
	if n == 1 {
		return ""
	}
	return " (part " + itoa(i+1) + ")"
}

func fileFor(number, i int) string {
	return "src/mr" + itoa(number) + "/f" + itoa(i) + ".txt"
}

func itoa(i int) string { return strconv.Itoa(i) }
