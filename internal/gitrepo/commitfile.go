package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrNoFile is returned by ReadFile when the commit has no such file.
var ErrNoFile = errors.New("no such file in the commit")

// ReadFile reads a file (slash-separated path from the repository root)
// from a commit's tree, not from the work tree.
func (r *Repo) ReadFile(commit plumbing.Hash, name string) ([]byte, error) {
	c, err := r.Commit(commit)
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read the tree of %s: %w", commit, err)
	}
	f, err := tree.File(name)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, fmt.Errorf("%s at %s: %w", name, commit.String()[:12], ErrNoFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", name, commit.String()[:12], err)
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", name, commit.String()[:12], err)
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", name, commit.String()[:12], err)
	}
	return b, nil
}

// FetchBranch fetches one branch of a remote into refs/remotes/REMOTE/NAME
// and returns its commit; ok is false when the remote has no such branch.
func (r *Repo) FetchBranch(ctx context.Context, remote, branch string, auth Auth) (h plumbing.Hash, ok bool, err error) {
	_, u, err := r.remote(remote)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	local := plumbing.NewRemoteReferenceName(remote, branch)
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(branch).String() + ":" + local.String())
	err = r.git.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remote,
		RefSpecs:   []config.RefSpec{spec},
		Tags:       git.NoTags,
		Auth:       auth.method(u),
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, git.NoMatchingRefSpecError{}):
		// The remote has no such branch. Forget a stale tracking ref.
		_ = r.git.Storer.RemoveReference(local)
		return plumbing.ZeroHash, false, nil
	default:
		return plumbing.ZeroHash, false, fmt.Errorf("fetch branch %s from %s: %w", branch, remote, RedactError(err))
	}
	ref, err := r.git.Storer.Reference(local)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("fetch branch %s from %s: %w", branch, remote, err)
	}
	return ref.Hash(), true, nil
}

// CommitFileOptions describes one file committed onto a branch of a remote
// without touching the work tree or any local branch.
type CommitFileOptions struct {
	Remote string
	Auth   Auth
	// Branch receives the commit; when the remote does not have it, it is
	// created from Base.
	Branch string
	Base   plumbing.Hash
	// Path is slash-separated, relative to the repository root.
	Path    string
	Content []byte
	Message string
	Author  object.Signature
	// Committer is the commit's committer; the zero value means Author.
	Committer object.Signature
	// Attempts bounds the pushes tried when the remote rejects one because
	// the branch moved; 5 when zero.
	Attempts int
	// BeforePush, when set, runs before each push (tests use it to move the
	// branch under relman's feet).
	BeforePush func(attempt int)
}

// CommitFileResult is what CommitFile did.
type CommitFileResult struct {
	// Commit is the new commit; zero when the branch already held the file
	// with this content.
	Commit plumbing.Hash
	// Parent is the commit the branch pointed at before (Base when created).
	Parent plumbing.Hash
	// Created reports that the branch did not exist on the remote.
	Created bool
	// Attempts is the number of pushes made.
	Attempts int
}

// CommitFile writes Content at Path on top of the remote branch (fetched
// first), and pushes the commit. When the push is rejected because someone
// else pushed in between, it fetches the branch again and redoes the commit
// on the new head, up to Attempts times. No local branch or work tree is
// changed; refs/remotes/REMOTE/BRANCH follows the pushed commit.
func (r *Repo) CommitFile(ctx context.Context, o CommitFileOptions) (CommitFileResult, error) {
	var res CommitFileResult
	p, err := cleanRepoPath(o.Path)
	if err != nil {
		return res, err
	}
	if o.Branch == "" {
		return res, errors.New("commit file: no branch given")
	}
	attempts := o.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	tmp := plumbing.ReferenceName("refs/relman/commit-file/" + o.Branch)
	defer func() { _ = r.git.Storer.RemoveReference(tmp) }()
	for attempt := 1; ; attempt++ {
		if err := ctxErr(ctx); err != nil {
			return res, err
		}
		head, exists, err := r.FetchBranch(ctx, o.Remote, o.Branch, o.Auth)
		if err != nil {
			return res, err
		}
		parent := head
		if !exists {
			parent = o.Base
		}
		res = CommitFileResult{Parent: parent, Created: !exists, Attempts: attempt - 1}
		pc, err := r.Commit(parent)
		if err != nil {
			return res, err
		}
		tree, err := r.replaceFile(pc.TreeHash, strings.Split(p, "/"), o.Content)
		if err != nil {
			return res, fmt.Errorf("commit %s: %w", p, err)
		}
		target := parent
		if tree != pc.TreeHash {
			target, err = r.writeCommit(&object.Commit{
				Author: o.Author, Committer: committerOr(o.Committer, o.Author), Message: o.Message,
				TreeHash: tree, ParentHashes: []plumbing.Hash{parent},
			})
			if err != nil {
				return res, err
			}
			res.Commit = target
		} else if exists {
			return res, nil // the branch already holds this content
		}
		if err := r.git.Storer.SetReference(plumbing.NewHashReference(tmp, target)); err != nil {
			return res, fmt.Errorf("commit %s: %w", p, err)
		}
		if o.BeforePush != nil {
			o.BeforePush(attempt)
		}
		res.Attempts = attempt
		err = r.PushRefs(ctx, o.Remote, o.Auth, false, tmp.String()+":"+plumbing.NewBranchReferenceName(o.Branch).String())
		if err == nil {
			_ = r.git.Storer.SetReference(plumbing.NewHashReference(plumbing.NewRemoteReferenceName(o.Remote, o.Branch), target))
			return res, nil
		}
		if !errors.Is(err, ErrRejected) {
			return res, err
		}
		if attempt >= attempts {
			return res, fmt.Errorf("branch %s kept moving: %d pushes rejected, giving up: %w", o.Branch, attempt, err)
		}
	}
}

// cleanRepoPath checks a slash-separated path inside the repository.
func cleanRepoPath(p string) (string, error) {
	c := path.Clean(strings.ReplaceAll(p, "\\", "/"))
	if c == "." || c == "" || strings.HasPrefix(c, "/") || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("path %q: expected a file path inside the repository", p)
	}
	for _, part := range strings.Split(c, "/") {
		if part == ".git" {
			return "", fmt.Errorf("path %q: refusing to write inside .git", p)
		}
	}
	return c, nil
}

func (r *Repo) writeObject(t plumbing.ObjectType, b []byte) (plumbing.Hash, error) {
	obj := r.git.Storer.NewEncodedObject()
	obj.SetType(t)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(b); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write %s object: %w", t, err)
	}
	return h, nil
}

func (r *Repo) writeCommit(c *object.Commit) (plumbing.Hash, error) {
	obj := r.git.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write commit: %w", err)
	}
	return h, nil
}

// replaceFile returns the hash of tree with the file at parts set to
// content (a zero tree hash means an empty tree), writing the blob and the
// trees on the way.
func (r *Repo) replaceFile(tree plumbing.Hash, parts []string, content []byte) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !tree.IsZero() {
		t, err := object.GetTree(r.git.Storer, tree)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", tree, err)
		}
		entries = append(entries, t.Entries...)
	}
	name := parts[0]
	idx := -1
	for i, e := range entries {
		if e.Name == name {
			idx = i
			break
		}
	}
	var entry object.TreeEntry
	if len(parts) == 1 {
		if idx >= 0 && entries[idx].Mode == filemode.Dir {
			return plumbing.ZeroHash, fmt.Errorf("%s is a directory", name)
		}
		h, err := r.writeObject(plumbing.BlobObject, content)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entry = object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h}
		if idx >= 0 && entries[idx].Mode == filemode.Executable {
			entry.Mode = filemode.Executable
		}
	} else {
		sub := plumbing.ZeroHash
		if idx >= 0 {
			if entries[idx].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s is a file, not a directory", name)
			}
			sub = entries[idx].Hash
		}
		h, err := r.replaceFile(sub, parts[1:], content)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entry = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
	}
	if idx >= 0 {
		entries[idx] = entry
	} else {
		entries = append(entries, entry)
	}
	// git orders tree entries as if directories ended with a slash.
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	t := &object.Tree{Entries: entries}
	obj := r.git.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write tree: %w", err)
	}
	return h, nil
}
