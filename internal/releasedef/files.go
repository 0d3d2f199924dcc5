package releasedef

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo"
)

// The files of a run: the config read from disk, the manifest read from
// the ref, and the definition written to the work tree, each checked so
// that nothing is read without bound or written outside the repository.

// ManifestFiles is the part of a repository ReadManifest reads.
type ManifestFiles interface {
	ReadFile(commit plumbing.Hash, name string) ([]byte, error)
}

// ReadManifest reads and parses the artifact manifest at commit (named ref
// in messages): path, or when path is empty the first of sfdx-project.json
// and relman-artifacts.yml. It returns the manifest and its path.
func ReadManifest(repo ManifestFiles, commit plumbing.Hash, ref, manifestPath string) (*Manifest, string, error) {
	var manifestData []byte
	if manifestPath == "" {
		for _, p := range []string{"sfdx-project.json", "relman-artifacts.yml"} { // in this order
			b, err := repo.ReadFile(commit, p)
			if err == nil {
				manifestPath, manifestData = p, b
				break
			}
			if !errors.Is(err, gitrepo.ErrNoFile) {
				return nil, "", err
			}
		}
		if manifestPath == "" {
			return nil, "", badInput("no sfdx-project.json or relman-artifacts.yml at %s (%s): commit one, or set --manifest PATH to the artifact manifest", ref, commit.String()[:12])
		}
	} else {
		if _, err := FormatOf(manifestPath); err != nil {
			return nil, "", asBadInput(err)
		}
		var err error
		manifestData, err = repo.ReadFile(commit, filepath.ToSlash(path.Clean(manifestPath)))
		if errors.Is(err, gitrepo.ErrNoFile) {
			return nil, "", badInput("manifest %s: not found at %s (%s): the manifest is read from the ref, relative to the repository root; commit it or fix --manifest", manifestPath, ref, commit.String()[:12])
		}
		if err != nil {
			return nil, "", err
		}
	}
	m, err := ParseManifest(manifestPath, manifestData)
	if err != nil {
		return nil, "", asBadInput(err)
	}
	return m, manifestPath, nil
}

// asBadInput makes err an *InputError unless it is one already or a
// *FileError: what the user gave is wrong.
func asBadInput(err error) error {
	var fe *FileError
	var ie *InputError
	if errors.As(err, &fe) || errors.As(err, &ie) {
		return err
	}
	return &InputError{Msg: err.Error()}
}

// MaxConfigSize bounds a release definition config: filters and a few
// properties take kilobytes (a 35 MB file took 21 s and 880 MB to parse).
const MaxConfigSize = 1 << 20

// ReadConfigFile reads the release definition config, refusing one over
// MaxConfigSize.
func ReadConfigFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, badInput("read the release definition config: %v (set --config to an existing YAML file)", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, badInput("read the release definition config: %v", err)
	}
	if len(b) > MaxConfigSize {
		return nil, badInput("release definition config %s: larger than %d KiB; a config holds filters and a few properties: check that --config names the right file", name, MaxConfigSize>>10)
	}
	return b, nil
}

// CheckBranch refuses branch values that are not plain branch
// names: an option-like "-x", HEAD, a full ref name (refs/heads/main would
// be the branch refs/heads/refs/heads/main) or what git refuses.
func CheckBranch(b string) error {
	switch {
	case b == "":
		return nil
	case strings.HasPrefix(b, "-"):
		return fmt.Errorf("%q: a branch name cannot start with \"-\"", b)
	case b == "HEAD" || strings.HasPrefix(b, "refs/"):
		return fmt.Errorf("%q: expected a branch name such as release-definitions, not HEAD or a full ref name (refs/heads/…)", b)
	}
	if err := plumbing.NewBranchReferenceName(b).Validate(); err != nil {
		return fmt.Errorf("%q: not a valid git branch name (see git check-ref-format): pick another branch", b)
	}
	return nil
}

// CheckGitPath refuses a path with a segment that a file system may take
// for .git: in any case (.GIT on macOS and Windows), with trailing dots or
// spaces (".git." on Windows), as the 8.3 short name GIT~1, or with
// ignorable characters (HFS+ ignores some).
func CheckGitPath(rel string) error {
	for _, seg := range strings.Split(rel, "/") {
		plain := strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Cf, r) {
				return -1
			}
			return r
		}, seg)
		plain = strings.ToLower(strings.TrimRight(plain, ". "))
		if plain == ".git" || plain == "git~1" {
			return badInput("%q names git's own directory (%q): pick a directory outside .git", rel, seg)
		}
	}
	return nil
}

// CheckInside refuses a directory that, once the links among its existing
// parts are followed, is outside the repository root; the error reads
// after the directory's name.
func CheckInside(root, dir string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	// The longest existing part of dir, with its links followed.
	existing, rest := dir, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			break
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return fmt.Errorf("cannot be followed through its links: %w", err)
	}
	rel, err := filepath.Rel(realRoot, filepath.Join(real, rest))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return badInput("leaves the repository through a symbolic link (to %s): relman writes a relative output-dir inside the repository only; remove the link or pick another directory", real)
	}
	return nil
}

// WriteFileAtomic writes through a temporary file in the same directory so
// that a failure leaves no half-written definition.
func WriteFileAtomic(name string, b []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	f, err := os.CreateTemp(dir, ".release-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, name)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}
