package gitrepo

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// PathHash is the object at a path of a commit's tree (a subtree for a
// directory, a blob for a file): two commits hold the same content at the
// path exactly when the hashes are equal. ok is false when the path is
// absent.
func (r *Repo) PathHash(commit plumbing.Hash, p string) (h plumbing.Hash, ok bool, err error) {
	c, err := r.Commit(commit)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	h = c.TreeHash
	if p == "" || p == "." {
		return h, true, nil
	}
	parts := strings.Split(path.Clean(p), "/")
	for i, name := range parts {
		t, err := r.tree(h)
		if err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("tree %s: %w", h, err)
		}
		e, err := t.FindEntry(name)
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return plumbing.ZeroHash, false, nil
		}
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if e.Mode != filemode.Dir && i < len(parts)-1 {
			return plumbing.ZeroHash, false, nil // a file where p has a directory
		}
		h = e.Hash
	}
	return h, true, nil
}

// ChangedUnder lists the paths that differ between the trees of commit and
// of parent (ZeroHash: an empty tree, a root commit). It reads only what
// differs: an entry equal in both is skipped whole, and a differing
// directory for which stop returns true is listed as the directory
// ("a/b", without descending) instead of its files. The tag step stops at
// the packages' paths: it needs to know which packages a change touches,
// not which of their files.
func (r *Repo) ChangedUnder(parent, commit plumbing.Hash, stop func(dir string) bool) ([]string, error) {
	c, err := r.Commit(commit)
	if err != nil {
		return nil, err
	}
	from := plumbing.ZeroHash
	if !parent.IsZero() {
		p, err := r.Commit(parent)
		if err != nil {
			return nil, err
		}
		from = p.TreeHash
	}
	var out []string
	if err := r.diffTrees("", from, c.TreeHash, stop, &out); err != nil {
		return nil, fmt.Errorf("compare %s with %s: %w", short(commit), short(parent), err)
	}
	return out, nil
}

func short(h plumbing.Hash) string { return h.String()[:12] }

// diffTrees appends to out the paths under dir that differ between the
// trees a and b (either may be ZeroHash: absent).
func (r *Repo) diffTrees(dir string, a, b plumbing.Hash, stop func(string) bool, out *[]string) error {
	if a == b {
		return nil
	}
	entries := func(h plumbing.Hash) (map[string]object.TreeEntry, error) {
		m := map[string]object.TreeEntry{}
		if h.IsZero() {
			return m, nil
		}
		t, err := r.tree(h)
		if err != nil {
			return nil, fmt.Errorf("tree %s: %w", h, err)
		}
		for _, e := range t.Entries {
			m[e.Name] = e
		}
		return m, nil
	}
	ea, err := entries(a)
	if err != nil {
		return err
	}
	eb, err := entries(b)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(eb))
	for n := range eb {
		names = append(names, n)
	}
	for n := range ea {
		if _, ok := eb[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		x, inA := ea[n]
		y, inB := eb[n]
		if inA && inB && x.Hash == y.Hash && x.Mode == y.Mode {
			continue
		}
		p := n
		if dir != "" {
			p = dir + "/" + n
		}
		subA, subB := plumbing.ZeroHash, plumbing.ZeroHash
		if inA && x.Mode == filemode.Dir {
			subA = x.Hash
		}
		if inB && y.Mode == filemode.Dir {
			subB = y.Hash
		}
		isDir := !subA.IsZero() || !subB.IsZero()
		if !isDir {
			*out = append(*out, p)
			continue
		}
		if stop != nil && stop(p) {
			*out = append(*out, p)
			// A file replaced by a directory (or the reverse) at p is
			// inside p too: listed as p.
			continue
		}
		if inA && !subA.IsZero() || inB && !subB.IsZero() {
			if inA && subA.IsZero() || inB && subB.IsZero() {
				*out = append(*out, p) // a file on one side
			}
			if err := r.diffTrees(p, subA, subB, stop, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// treeCacheSize bounds the decoded trees tree keeps: the trees of the
// paths down to the packages, read for every package and every change.
const treeCacheSize = 4096

// tree reads a tree, decoded once per run while the cache has room.
func (r *Repo) tree(h plumbing.Hash) (*object.Tree, error) {
	r.treeMu.Lock()
	t, ok := r.trees[h]
	r.treeMu.Unlock()
	if ok {
		return t, nil
	}
	t, err := r.git.TreeObject(h)
	if err != nil {
		return nil, err
	}
	r.treeMu.Lock()
	if r.trees == nil || len(r.trees) >= treeCacheSize {
		r.trees = make(map[plumbing.Hash]*object.Tree, 64)
	}
	r.trees[h] = t
	r.treeMu.Unlock()
	return t, nil
}
