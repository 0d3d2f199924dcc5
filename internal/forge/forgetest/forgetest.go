// Package forgetest builds real git repositories for the forge client tests:
// a history with a release and merge requests landed by merge commit, squash
// and fast-forward, so fake forge servers can hand out real commit hashes and
// tests can check reachability for real.
package forgetest

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Epoch is when the release of every History was made; the changes merged
// after it come one minute apart.
var Epoch = time.Date(2024, time.January, 2, 10, 0, 0, 0, time.UTC)

// Kind is how a merge request landed on the target branch.
type Kind string

// The ways a change lands.
const (
	MergeCommit Kind = "merge"        // a merge commit with the branch head as second parent
	Squash      Kind = "squash"       // one new commit holding the branch's changes
	FastForward Kind = "fast-forward" // the branch head itself
)

// Change is a merge request merged into main after the release.
type Change struct {
	Number       int
	Title        string
	Branch       string // source branch, kept as refs/heads/Branch
	Kind         Kind
	Head         string // last commit of the source branch
	MergeCommit  string // the merge commit; empty unless Kind is MergeCommit
	SquashCommit string // the squash commit; empty unless Kind is Squash
	MergedAt     time.Time
}

// Landed is the commit that put the change on main.
func (c Change) Landed() string {
	switch c.Kind {
	case MergeCommit:
		return c.MergeCommit
	case Squash:
		return c.SquashCommit
	default:
		return c.Head
	}
}

// History is a git repository whose main branch holds an initial commit, a
// release commit tagged v1.0.0, and then Changes.
type History struct {
	Dir        string
	Repo       *git.Repository
	Initial    string    // the first commit
	Released   string    // the release commit, tagged v1.0.0
	ReleasedAt time.Time // its date: Epoch
	Tip        string    // the tip of main
	Changes    []Change  // merged after the release, oldest first
}

// Options shapes a History.
type Options struct {
	// Changes is how many changes are merged after the release, cycling
	// through merge commit, squash and fast-forward. 3 when zero.
	Changes int
	// FirstNumber is the number of the first change; 1 when zero.
	FirstNumber int
}

// NewHistory builds a History in t.TempDir(), with a fixed identity, fixed
// dates and no signing, so its hashes are the same on every run.
func NewHistory(t testing.TB, opts Options) *History {
	t.Helper()
	if opts.Changes <= 0 {
		opts.Changes = 3
	}
	if opts.FirstNumber <= 0 {
		opts.FirstNumber = 1
	}
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatalf("initializing a git repository in %s: %v", dir, err)
	}
	b := &builder{t: t, repo: repo}
	h := &History{Dir: dir, Repo: repo, ReleasedAt: Epoch}

	files := map[string]string{"README.md": "# demo\n"}
	tip := b.commit(files, "initial commit", Epoch.Add(-time.Hour))
	h.Initial = tip.String()
	files["VERSION"] = "1.0.0\n"
	tip = b.commit(files, "release 1.0.0", Epoch, tip)
	h.Released = tip.String()
	b.ref(plumbing.NewTagReferenceName("v1.0.0"), tip)

	kinds := []Kind{MergeCommit, Squash, FastForward}
	for i := range opts.Changes {
		n := opts.FirstNumber + i
		c := Change{
			Number:   n,
			Title:    fmt.Sprintf("change %d", n),
			Branch:   fmt.Sprintf("change-%d", n),
			Kind:     kinds[i%len(kinds)],
			MergedAt: Epoch.Add(time.Duration(i+1) * time.Minute),
		}
		branch := maps.Clone(files)
		branch[fmt.Sprintf("change-%d.txt", n)] = fmt.Sprintf("change %d\n", n)
		head := b.commit(branch, c.Title, c.MergedAt.Add(-30*time.Second), tip)
		switch c.Kind {
		case MergeCommit:
			tip = b.commit(branch, fmt.Sprintf("Merge branch '%s' into 'main'", c.Branch), c.MergedAt, tip, head)
			c.MergeCommit = tip.String()
		case Squash:
			branch[fmt.Sprintf("change-%d.txt", n)] += "reviewed\n"
			head = b.commit(branch, c.Title+": review", c.MergedAt.Add(-20*time.Second), head)
			tip = b.commit(branch, c.Title, c.MergedAt, tip)
			c.SquashCommit = tip.String()
		case FastForward:
			tip = head
		}
		c.Head = head.String()
		b.ref(plumbing.NewBranchReferenceName(c.Branch), head)
		files = branch
		h.Changes = append(h.Changes, c)
	}
	b.ref(plumbing.NewBranchReferenceName("main"), tip)
	h.Tip = tip.String()

	wt, err := repo.Worktree()
	if err != nil {
		t.Fatalf("opening the worktree of %s: %v", dir, err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: tip, Mode: git.HardReset}); err != nil {
		t.Fatalf("checking out main in %s: %v", dir, err)
	}
	return h
}

// IsAncestor reports whether commit ancestor is reachable from commit (a
// commit is its own ancestor).
func (h *History) IsAncestor(t testing.TB, ancestor, commit string) bool {
	t.Helper()
	return h.Reachable(t, commit)[ancestor]
}

// Reachable returns the commits reachable from commit, itself included. Use
// it rather than IsAncestor to test many commits against one.
func (h *History) Reachable(t testing.TB, commit string) map[string]bool {
	t.Helper()
	c, err := h.Repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		t.Fatalf("reading commit %s: %v", commit, err)
	}
	seen := map[string]bool{}
	err = object.NewCommitPreorderIter(c, nil, nil).ForEach(func(c *object.Commit) error {
		seen[c.Hash.String()] = true
		return nil
	})
	if err != nil {
		t.Fatalf("walking the history of %s: %v", commit, err)
	}
	return seen
}

// builder writes objects and references straight into the repository.
type builder struct {
	t     testing.TB
	repo  *git.Repository
	blobs map[string]plumbing.Hash // by content, each written once
}

func (b *builder) commit(files map[string]string, msg string, when time.Time, parents ...plumbing.Hash) plumbing.Hash {
	b.t.Helper()
	tree := &object.Tree{}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		tree.Entries = append(tree.Entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: b.blob(files[name])})
	}
	treeHash := b.store(tree.Encode)
	sig := object.Signature{Name: "Relman Test", Email: "test@relman.invalid", When: when}
	c := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      msg + "\n",
		TreeHash:     treeHash,
		ParentHashes: parents,
	}
	return b.store(c.Encode)
}

func (b *builder) blob(content string) plumbing.Hash {
	b.t.Helper()
	if h, ok := b.blobs[content]; ok {
		return h
	}
	if b.blobs == nil {
		b.blobs = map[string]plumbing.Hash{}
	}
	b.blobs[content] = b.store(func(o plumbing.EncodedObject) error {
		o.SetType(plumbing.BlobObject)
		w, err := o.Writer()
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, content); err != nil {
			return err
		}
		return w.Close()
	})
	return b.blobs[content]
}

func (b *builder) store(encode func(plumbing.EncodedObject) error) plumbing.Hash {
	b.t.Helper()
	o := b.repo.Storer.NewEncodedObject()
	if err := encode(o); err != nil {
		b.t.Fatalf("encoding a git object: %v", err)
	}
	h, err := b.repo.Storer.SetEncodedObject(o)
	if err != nil {
		b.t.Fatalf("storing a git object: %v", err)
	}
	return h
}

func (b *builder) ref(name plumbing.ReferenceName, h plumbing.Hash) {
	b.t.Helper()
	if err := b.repo.Storer.SetReference(plumbing.NewHashReference(name, h)); err != nil {
		b.t.Fatalf("setting %s: %v", name, err)
	}
}
