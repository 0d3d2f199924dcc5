package gitrepo

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TreeFiles reads files of one commit, without a work tree.
type TreeFiles struct {
	repo *Repo
	tree *object.Tree
}

// Files returns a reader of the files of commit h.
func (r *Repo) Files(h plumbing.Hash) (*TreeFiles, error) {
	c, err := r.Commit(h)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read the tree of %s: %w", h, err)
	}
	return &TreeFiles{repo: r, tree: t}, nil
}

// ReadFile reads a file by slash-separated path; a missing file is an error
// wrapping fs.ErrNotExist.
func (f *TreeFiles) ReadFile(name string) ([]byte, error) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	file, err := f.tree.File(name)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	rd, err := file.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// Hash is the tree's hash.
func (f *TreeFiles) Hash() plumbing.Hash { return f.tree.Hash }

// ReadDir lists a directory by slash-separated path ("" or "." is the
// root): its entries' names, directories with a trailing "/", sorted. A
// missing directory is an error wrapping fs.ErrNotExist.
func (f *TreeFiles) ReadDir(dir string) ([]string, error) {
	dir = path.Clean(strings.TrimPrefix(dir, "./"))
	t := f.tree
	if dir != "." && dir != "" {
		sub, err := f.tree.Tree(dir)
		if errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrFileNotFound) {
			return nil, fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		t = sub
	}
	out := make([]string, 0, len(t.Entries))
	for _, e := range t.Entries {
		switch e.Mode {
		case filemode.Dir:
			out = append(out, e.Name+"/")
		case filemode.Submodule:
		default:
			out = append(out, e.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// CommitOptions describe a commit made without a work tree.
type CommitOptions struct {
	// Parent is the commit whose tree the new tree starts from, and the
	// new commit's parent unless Parents is set.
	Parent plumbing.Hash
	// Parents, when set, are the new commit's parents (a merge commit).
	Parents []plumbing.Hash
	Files   map[string][]byte // slash-separated path → new content (files must exist or be new)
	Message string
	Author  object.Signature
	// Committer is the commit's committer; the zero value means Author.
	Committer object.Signature
}

// CommitFiles writes a commit whose tree is Parent's tree with Files
// replaced, and returns it. No ref moves and the work tree is not touched.
func (r *Repo) CommitFiles(o CommitOptions) (plumbing.Hash, error) {
	parent, err := r.Commit(o.Parent)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	root, err := parent.Tree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read the tree of %s: %w", o.Parent, err)
	}
	changes := map[string][]byte{}
	for p, b := range o.Files {
		changes[path.Clean(strings.TrimPrefix(p, "/"))] = b
	}
	th, err := r.rewriteTree(root, "", changes)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c := &object.Commit{
		Author: o.Author, Committer: committerOr(o.Committer, o.Author), Message: o.Message,
		TreeHash: th, ParentHashes: []plumbing.Hash{o.Parent},
	}
	if len(o.Parents) > 0 {
		c.ParentHashes = o.Parents
	}
	return r.store(c.Encode)
}

// committerOr is c, or author when c is the zero signature.
func committerOr(c, author object.Signature) object.Signature {
	if c.Name == "" && c.Email == "" {
		return author
	}
	return c
}

// rewriteTree returns the hash of tree t (at dir) with changes applied.
func (r *Repo) rewriteTree(t *object.Tree, dir string, changes map[string][]byte) (plumbing.Hash, error) {
	entries := append([]object.TreeEntry(nil), t.Entries...)
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name] = i
	}
	sub := map[string]map[string][]byte{}
	for p, b := range changes {
		rel, ok := strings.CutPrefix(p, dir)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			name := rel[:i]
			if sub[name] == nil {
				sub[name] = map[string][]byte{}
			}
			sub[name][p] = b
			continue
		}
		bh, err := r.store(func(o plumbing.EncodedObject) error {
			o.SetType(plumbing.BlobObject)
			w, err := o.Writer()
			if err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
			return w.Close()
		})
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if i, ok := index[rel]; ok {
			if entries[i].Mode == filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s%s is a directory, not a file", dir, rel)
			}
			entries[i].Hash = bh
		} else {
			index[rel] = len(entries)
			entries = append(entries, object.TreeEntry{Name: rel, Mode: filemode.Regular, Hash: bh})
		}
	}
	for name, ch := range sub {
		var st *object.Tree
		if i, ok := index[name]; ok {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s%s is a file, not a directory", dir, name)
			}
			t, err := object.GetTree(r.git.Storer, entries[i].Hash)
			if err != nil {
				return plumbing.ZeroHash, fmt.Errorf("read tree %s%s: %w", dir, name, err)
			}
			st = t
		} else {
			st = &object.Tree{}
		}
		h, err := r.rewriteTree(st, dir+name+"/", ch)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if i, ok := index[name]; ok {
			entries[i].Hash = h
		} else {
			index[name] = len(entries)
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return treeKey(entries[i]) < treeKey(entries[j]) })
	nt := &object.Tree{Entries: entries}
	return r.store(nt.Encode)
}

// treeKey is git's tree entry order: directories sort as if named "name/".
func treeKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

func (r *Repo) store(encode func(plumbing.EncodedObject) error) (plumbing.Hash, error) {
	o := r.git.Storer.NewEncodedObject()
	if err := encode(o); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode object: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(o)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write object: %w", err)
	}
	return h, nil
}

// SameContent reports whether two commits have the same parents and tree:
// the same release commit made twice.
func (r *Repo) SameContent(a, b plumbing.Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	ca, err := r.Commit(a)
	if err != nil {
		return false, err
	}
	cb, err := r.Commit(b)
	if err != nil {
		return false, err
	}
	if ca.TreeHash != cb.TreeHash || len(ca.ParentHashes) != len(cb.ParentHashes) {
		return false, nil
	}
	for i := range ca.ParentHashes {
		if ca.ParentHashes[i] != cb.ParentHashes[i] {
			return false, nil
		}
	}
	return true, nil
}

// ChangedPaths lists the files that differ between the trees of two commits.
func (r *Repo) ChangedPaths(a, b plumbing.Hash) ([]string, error) {
	ta, err := r.Files(a)
	if err != nil {
		return nil, err
	}
	tb, err := r.Files(b)
	if err != nil {
		return nil, err
	}
	changes, err := object.DiffTree(ta.tree, tb.tree)
	if err != nil {
		return nil, fmt.Errorf("compare %s and %s: %w", a, b, err)
	}
	var out []string
	for _, c := range changes {
		name := c.To.Name
		if name == "" {
			name = c.From.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}
