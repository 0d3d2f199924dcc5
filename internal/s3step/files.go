package s3step

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/gitrepo"
)

// DefaultInclude selects configuration files, deployment scripts and
// documentation.
var DefaultInclude = []string{
	"*.yaml", "*.yml", "*.toml", "*.ini", "*.cfg", "*.conf", "*.properties",
	"*.sh", "*.ps1", "*.md", "*.rst", "*.adoc",
	"config/", "deploy/", "docs/",
}

// DefaultExclude leaves out CI configuration and vendored trees.
var DefaultExclude = []string{".github/", "node_modules/", "vendor/", ".cache/"}

// ErrRefused is wrapped by every safety refusal (symlink out of the
// repository, .git/, a secret file without encryption).
var ErrRefused = errors.New("refused")

// Selection says which files of the repository are release assets.
//
// Patterns are slash-separated globs (path.Match syntax plus "**" for any
// number of directories). A pattern without a slash matches a file name at
// any depth, like .gitignore; a trailing slash selects everything under a
// directory; a leading slash anchors at the repository root.
type Selection struct {
	Include []string // nil: DefaultInclude
	Exclude []string // nil: DefaultExclude
	// Encrypted is true when uploads use server-side encryption, which
	// .env-style files require.
	Encrypted bool
}

type pattern struct {
	raw  string
	segs []string
	lit  string // the path, when the pattern has no glob characters: an explicit listing
}

func compile(list []string) ([]pattern, error) {
	var out []pattern
	for _, raw := range list {
		p := strings.TrimSpace(raw)
		if p == "" {
			continue
		}
		p = strings.ReplaceAll(p, "\\", "/")
		anchored := strings.HasPrefix(p, "/") || strings.Contains(strings.TrimSuffix(p, "/"), "/")
		p = strings.TrimPrefix(p, "/")
		dir := strings.HasSuffix(p, "/")
		p = strings.TrimSuffix(p, "/")
		literal := !strings.ContainsAny(p, "*?[") && !dir
		segs := strings.Split(p, "/")
		for _, s := range segs {
			if s == ".git" {
				return nil, fmt.Errorf("pattern %q: %w: .git/ is git's own data, never a release asset", raw, ErrRefused)
			}
			if s == ".." || s == "." || s == "" {
				return nil, fmt.Errorf("pattern %q: %q segments are not allowed: patterns are relative to the repository", raw, s)
			}
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("pattern %q: %w", raw, err)
			}
		}
		if !anchored {
			segs = append([]string{"**"}, segs...)
		}
		if dir {
			segs = append(segs, "**")
		}
		pt := pattern{raw: raw, segs: segs}
		if literal {
			pt.lit = p
		}
		out = append(out, pt)
	}
	return out, nil
}

func (p pattern) match(name string) bool { return matchSegs(p.segs, strings.Split(name, "/")) }

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

func anyMatch(ps []pattern, name string) bool {
	for _, p := range ps {
		if p.match(name) {
			return true
		}
	}
	return false
}

// explicit reports whether name is listed as a literal path.
func explicit(ps []pattern, name string) bool {
	for _, p := range ps {
		if p.lit != "" && p.lit == name {
			return true
		}
	}
	return false
}

// IsSecretFile reports whether a file looks like a .env file: ".env",
// ".env.*" or "*.env".
func IsSecretFile(p string) bool {
	b := path.Base(p)
	return b == ".env" || strings.HasPrefix(b, ".env.") || strings.HasSuffix(b, ".env")
}

// File is one selected asset with its content hash.
type File struct {
	Path   string // slash-separated, relative to the repository
	Size   int64
	SHA256 string
	open   func() (io.ReadCloser, error)
	local  string // the file on disk, when from a work tree
}

// Logger is the log the steps write to.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
}

type selector struct {
	inc, exc []pattern
	sel      Selection
	log      Logger
}

func newSelector(sel Selection, log Logger) (*selector, error) {
	if sel.Include == nil {
		sel.Include = DefaultInclude
	}
	if sel.Exclude == nil {
		sel.Exclude = DefaultExclude
	}
	inc, err := compile(sel.Include)
	if err != nil {
		return nil, fmt.Errorf("include: %w", err)
	}
	exc, err := compile(sel.Exclude)
	if err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	return &selector{inc: inc, exc: exc, sel: sel, log: log}, nil
}

// wants decides on one file: selected or not, or refused.
func (s *selector) wants(name string) (bool, error) {
	if !anyMatch(s.inc, name) || anyMatch(s.exc, name) {
		return false, nil
	}
	if IsSecretFile(name) {
		if !explicit(s.inc, name) {
			s.log.Warningf("not syncing %s: .env-style files are synced only when listed explicitly in include (e.g. --include %s) and with --sse", name, name)
			return false, nil
		}
		if !s.sel.Encrypted {
			return false, fmt.Errorf("%s: %w: a .env-style file is uploaded only with server-side encryption: set --sse AES256 or aws:kms", name, ErrRefused)
		}
	}
	return true, nil
}

// WorkTree selects the assets of a work tree and hashes them.
func WorkTree(ctx context.Context, dir string, sel Selection, log Logger) ([]File, error) {
	s, err := newSelector(sel, log)
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("read the work tree %s: %w", dir, err)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	var files []File
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" || anyMatch(s.exc, name) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == ".git" {
			return nil // a submodule's or work tree's .git file
		}
		want, err := s.wants(name)
		if err != nil || !want {
			return err
		}
		local := p
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := filepath.EvalSymlinks(p)
			if err != nil {
				return fmt.Errorf("%s: %w: a symlink whose target cannot be read: %v", name, ErrRefused, err)
			}
			trel, err := filepath.Rel(root, target)
			if err != nil || trel == ".." || strings.HasPrefix(trel, ".."+string(filepath.Separator)) || filepath.IsAbs(trel) {
				return fmt.Errorf("%s: %w: a symlink leaving the repository (to %s): relman uploads only files inside the repository; remove the link or exclude it", name, ErrRefused, target)
			}
			if slices.Contains(strings.Split(filepath.ToSlash(trel), "/"), ".git") {
				return fmt.Errorf("%s: %w: a symlink into .git/ (%s)", name, ErrRefused, filepath.ToSlash(trel))
			}
			fi, err := os.Stat(target)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if !fi.Mode().IsRegular() {
				log.Warningf("not syncing %s: a symlink to a directory is not followed", name)
				return nil
			}
			// The .env rule holds for what a link points at as for a file.
			if tname := filepath.ToSlash(trel); IsSecretFile(tname) && !IsSecretFile(name) {
				if !explicit(s.inc, name) {
					log.Warningf("not syncing %s: it is a symlink to the .env-style file %s, synced only when listed explicitly in include (e.g. --include %s) and with --sse", name, tname, name)
					return nil
				}
				if !s.sel.Encrypted {
					return fmt.Errorf("%s: %w: a symlink to the .env-style file %s is uploaded only with server-side encryption: set --sse AES256 or aws:kms", name, ErrRefused, tname)
				}
			}
			local = target
		case !d.Type().IsRegular():
			return nil
		}
		files = append(files, File{Path: name, local: local, open: func() (io.ReadCloser, error) { return os.Open(local) }})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, hashAll(ctx, files)
}

// GitTree selects the assets committed at a revision and hashes them.
func GitTree(ctx context.Context, repo *gitrepo.Repo, rev string, sel Selection, log Logger) ([]File, error) {
	s, err := newSelector(sel, log)
	if err != nil {
		return nil, err
	}
	h, err := repo.ResolveCommit(rev)
	if err != nil {
		return nil, err
	}
	c, err := repo.Commit(h)
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read the tree of %s: %w", rev, err)
	}
	var files []File
	err = tree.Files().ForEach(func(f *object.File) error {
		want, err := s.wants(f.Name)
		if err != nil || !want {
			return err
		}
		if f.Mode == filemode.Symlink {
			log.Warningf("not comparing %s: a symlink in the committed tree", f.Name)
			return nil
		}
		if f.Mode == filemode.Submodule {
			return nil
		}
		blob := f.Blob
		files = append(files, File{Path: f.Name, Size: blob.Size, open: func() (io.ReadCloser, error) { return blob.Reader() }})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the files of %s: %w", rev, err)
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, hashAll(ctx, files)
}

// hashAll fills in each file's size and SHA-256, reading files in parallel.
func hashAll(ctx context.Context, files []File) error {
	work := make(chan int)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for range min(len(files), 2*runtime.NumCPU()+2) {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for i := range work {
				errs[i] = hashFile(&files[i], buf)
			}
		})
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

func hashFile(f *File, buf []byte) error {
	r, err := f.open()
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, r, buf)
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	f.Size, f.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return nil
}
