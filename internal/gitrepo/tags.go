package gitrepo

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Tag is a tag reference: its name and the object it points at (a tag
// object for annotated tags, else the commit).
type Tag struct {
	Name string
	Ref  plumbing.Hash
}

// Tags lists every tag in the repository, without reading any object.
func (r *Repo) Tags() ([]Tag, error) {
	iter, err := r.git.Storer.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	defer iter.Close()
	var tags []Tag
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference || !ref.Name().IsTag() {
			return nil
		}
		tags = append(tags, Tag{Name: strings.TrimPrefix(ref.Name().String(), "refs/tags/"), Ref: ref.Hash()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	r.readPackedPeels()
	return tags, nil
}

// readPackedPeels remembers the commits that packed-refs says annotated
// tags name: git writes them ("^COMMIT" after the tag's line, with the
// "peeled" trait) when it packs refs, as every clone does. PeelCommit
// then reads no tag object for them.
func (r *Repo) readPackedPeels() {
	r.peelMu.Lock()
	done := r.packedRead
	r.packedRead = true
	r.peelMu.Unlock()
	if done {
		return
	}
	f, err := os.Open(filepath.Join(r.gitDir, "packed-refs"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var last plumbing.Hash
	trusted := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# pack-refs with:"):
			trusted = slices.Contains(strings.Fields(line), "peeled")
		case strings.HasPrefix(line, "^") && trusted && !last.IsZero():
			if c := strings.TrimSpace(line[1:]); plumbing.IsHash(c) {
				r.rememberPeel(last, plumbing.NewHash(c))
			}
			last = plumbing.ZeroHash
		default:
			h, name, ok := strings.Cut(line, " ")
			last = plumbing.ZeroHash
			if ok && strings.HasPrefix(name, "refs/tags/") && plumbing.IsHash(h) {
				last = plumbing.NewHash(h)
			}
		}
	}
}

// PeelCommit is the commit a tag names, without its message: from what
// Peel or packed-refs told already, else by Peel.
func (r *Repo) PeelCommit(t Tag) (plumbing.Hash, error) {
	if c, ok := r.peeledCommit(t.Ref); ok {
		return c, nil
	}
	p, err := r.Peel(t)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return p.Commit, nil
}

// Tag looks up one tag by name; ok is false when there is none.
func (r *Repo) Tag(name string) (Tag, bool, error) {
	ref, err := r.git.Storer.Reference(plumbing.NewTagReferenceName(name))
	if err == plumbing.ErrReferenceNotFound {
		return Tag{}, false, nil
	}
	if err != nil {
		return Tag{}, false, fmt.Errorf("read tag %s: %w", name, err)
	}
	return Tag{Name: name, Ref: ref.Hash()}, true, nil
}

// PeeledTag is a tag resolved to the commit it names.
type PeeledTag struct {
	Tag
	Commit    plumbing.Hash
	Annotated bool
	Message   string // the annotated tag's message

	targetType plumbing.ObjectType // of the last tag object read
}

// Peel follows a tag to its commit (through nested tag objects). A tag
// object names its target's type: the commit is checked to exist, not read.
func (r *Repo) Peel(t Tag) (PeeledTag, error) {
	p := PeeledTag{Tag: t}
	h := t.Ref
	for range 10 {
		if p.Annotated && p.targetType == plumbing.CommitObject {
			if err := r.git.Storer.HasEncodedObject(h); err != nil {
				return p, fmt.Errorf("read tag %s: object %s: %w", t.Name, h, err)
			}
			p.Commit = h
			r.rememberPeel(t.Ref, h)
			return p, nil
		}
		obj, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return p, fmt.Errorf("read tag %s: object %s: %w", t.Name, h, err)
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			p.Commit = h
			return p, nil
		case plumbing.TagObject:
			to, err := object.DecodeTag(r.git.Storer, obj)
			if err != nil {
				return p, fmt.Errorf("read tag %s: %w", t.Name, err)
			}
			if !p.Annotated {
				p.Annotated, p.Message = true, to.Message
			}
			h, p.targetType = to.Target, to.TargetType
		default:
			return p, fmt.Errorf("tag %s points at a %s, not a commit", t.Name, obj.Type())
		}
	}
	return p, fmt.Errorf("tag %s: too many nested tag objects", t.Name)
}

// rememberPeel notes the commit a tag object names, for the push that
// peels the remote's tags after the step has peeled its own.
func (r *Repo) rememberPeel(tag, commit plumbing.Hash) {
	r.peelMu.Lock()
	defer r.peelMu.Unlock()
	if r.peeled == nil {
		r.peeled = map[plumbing.Hash]plumbing.Hash{}
	}
	r.peeled[tag] = commit
}

func (r *Repo) peeledCommit(tag plumbing.Hash) (plumbing.Hash, bool) {
	r.peelMu.Lock()
	defer r.peelMu.Unlock()
	c, ok := r.peeled[tag]
	return c, ok
}

var _ storer.ReferenceIter = (storer.ReferenceIter)(nil)
