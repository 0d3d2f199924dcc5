// Package gitrepo is relman's view of a git repository, in process through
// go-git (no git binary): tags, the commits between two points, shallow
// clone detection, annotated tags and pushes to a remote.
package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// ErrNotRepository is returned by Open when no git repository is found.
var ErrNotRepository = errors.New("not a git repository")

// Repo is a git repository on disk. It knows its directory.
type Repo struct {
	dir     string // the work tree (or the git dir of a bare repository)
	gitDir  string
	git     *git.Repository
	storage *packedStorage

	peelMu sync.Mutex
	peeled map[plumbing.Hash]plumbing.Hash // tag object → the commit it names (Peel)
	// packedRead: packed-refs' peeled lines are in peeled.
	packedRead bool

	treeMu sync.Mutex
	trees  map[plumbing.Hash]*object.Tree // decoded trees (see tree)
}

// objectCacheSize bounds the decoded objects kept in memory (go-git's
// default is 96 MiB). relman reads each commit and tree of a walk about
// once, so a small cache costs no time and keeps a write step's memory
// flat on repositories of any size.
const objectCacheSize = 16 * cache.MiByte

// Open opens the repository that contains dir (like git, it looks in dir
// and its parents for .git).
func Open(dir string) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	work, gitDir, err := discover(abs)
	if err != nil {
		return nil, err
	}
	objects := cache.NewObjectLRU(objectCacheSize)
	packs, err := openPacks(gitDir, objects)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", gitDir, err)
	}
	st := &packedStorage{
		Storage: filesystem.NewStorageWithOptions(osfs.New(gitDir), objects, filesystem.Options{KeepDescriptors: true}),
		packs:   packs,
	}
	var wt = osfs.New(work)
	if work == "" {
		wt = nil
	}
	var r *git.Repository
	if wt == nil {
		r, err = git.Open(st, nil)
	} else {
		r, err = git.Open(st, wt)
	}
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("open repository %s: %w", gitDir, err)
	}
	d := work
	if d == "" {
		d = gitDir
	}
	return &Repo{dir: d, gitDir: gitDir, git: r, storage: st}, nil
}

// Close releases the open pack files.
func (r *Repo) Close() error { return r.storage.Close() }

// Dir is the repository's work tree (or git directory when bare).
func (r *Repo) Dir() string { return r.dir }

// Git exposes the go-git repository for the packages that edit history.
func (r *Repo) Git() *git.Repository { return r.git }

// discover finds the work tree and git directory for dir.
func discover(dir string) (work, gitDir string, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		dotgit := filepath.Join(d, ".git")
		if fi, err := os.Stat(dotgit); err == nil {
			if fi.IsDir() {
				return d, dotgit, nil
			}
			b, err := os.ReadFile(dotgit)
			if err != nil {
				return "", "", fmt.Errorf("read %s: %w", dotgit, err)
			}
			target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
			if !ok {
				return "", "", fmt.Errorf("%s: expected a line \"gitdir: PATH\": %w", dotgit, ErrNotRepository)
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(d, target)
			}
			if common, err := os.ReadFile(filepath.Join(target, "commondir")); err == nil {
				// A linked work tree: objects and refs live in the common dir.
				c := strings.TrimSpace(string(common))
				if !filepath.IsAbs(c) {
					c = filepath.Join(target, c)
				}
				return "", "", fmt.Errorf("%s is a linked work tree of %s: run relman in the main work tree", d, filepath.Clean(c))
			}
			return d, target, nil
		}
		if isGitDir(d) {
			return "", d, nil
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("%s: %w (run relman inside a clone, or pass --repo DIR)", dir, ErrNotRepository)
		}
	}
}

func isGitDir(d string) bool {
	for _, name := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(d, name)); err != nil {
			return false
		}
	}
	return true
}

// Head returns the checked-out commit and branch ("" when HEAD is detached).
func (r *Repo) Head() (plumbing.Hash, string, error) {
	ref, err := r.git.Storer.Reference(plumbing.HEAD)
	if err != nil {
		return plumbing.ZeroHash, "", fmt.Errorf("read HEAD: %w", err)
	}
	branch := ""
	if ref.Type() == plumbing.SymbolicReference {
		if ref.Target().IsBranch() {
			branch = ref.Target().Short()
		}
	}
	resolved, err := r.git.Reference(plumbing.HEAD, true)
	if err != nil {
		return plumbing.ZeroHash, branch, fmt.Errorf("resolve HEAD (is the repository empty?): %w", err)
	}
	return resolved.Hash(), branch, nil
}

// ResolveCommit resolves a revision (branch, tag, hash) to a commit hash.
func (r *Repo) ResolveCommit(rev string) (plumbing.Hash, error) {
	h, err := r.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve %q: %w", rev, err)
	}
	return *h, nil
}

// Commit reads one commit.
func (r *Repo) Commit(h plumbing.Hash) (*object.Commit, error) {
	c, err := r.git.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}

// RemoteDefaultBranch reads refs/remotes/REMOTE/HEAD, as a clone leaves it;
// "" when it is not there.
func (r *Repo) RemoteDefaultBranch(remote string) string {
	ref, err := r.git.Storer.Reference(plumbing.NewRemoteHEADReferenceName(remote))
	if err != nil || ref.Type() != plumbing.SymbolicReference {
		return ""
	}
	return strings.TrimPrefix(ref.Target().String(), "refs/remotes/"+remote+"/")
}

// BranchExists reports whether refs/heads/NAME or refs/remotes/REMOTE/NAME exists.
func (r *Repo) BranchExists(remote, name string) bool {
	for _, ref := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(name), plumbing.NewRemoteReferenceName(remote, name)} {
		if _, err := r.git.Storer.Reference(ref); err == nil {
			return true
		}
	}
	return false
}

// ErrShallow is returned when history is cut off where relman needs it.
var ErrShallow = errors.New("refusing to run against a shallow clone")

// Shallow reports whether the repository is a shallow clone.
func (r *Repo) Shallow() (bool, error) {
	s, err := r.storage.Shallow()
	if err != nil {
		return false, fmt.Errorf("read shallow list: %w", err)
	}
	return len(s) > 0, nil
}

// ctxErr is a small helper so that long loops stop on cancellation.
func ctxErr(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}
