// Package imagepin points the container image references in a file at a
// release: a Docker action's action.yml (image: docker://REPO:vX.Y.Z@DIGEST)
// or a GitLab component's default image, written by the release's version
// commit. It is a version-files editor (versionfile.Editor) for entries of
// the form PATH:image=REPO[@DIGEST].
package imagepin

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/relman-dev/relman/internal/versionfile"
)

// Marker is what tells an image entry from other version-files entries:
// PATH:image=REPO[@DIGEST].
const Marker = ":image="

// ErrNoReference: the file names no tagged reference of the repository.
var ErrNoReference = errors.New("no image reference")

var (
	repoRE   = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// Pin is one entry: the references of Repo in Path are set to the release's
// tag and, when Digest is set, its digest.
type Pin struct {
	Path   string
	Repo   string // e.g. ghcr.io/relman-dev/relman
	Digest string // sha256:..., or empty: the tag alone
	ref    *regexp.Regexp
}

// IsEntry says whether a version-files entry is an image entry.
func IsEntry(spec string) bool {
	p, _, ok := strings.Cut(spec, Marker)
	return ok && !strings.Contains(p, "=")
}

// Parse reads an entry PATH:image=REPO[@DIGEST], for example
// action.yml:image=ghcr.io/relman-dev/relman@sha256:0123...
func Parse(spec string) (*Pin, error) {
	p, ref, ok := strings.Cut(strings.TrimSpace(spec), Marker)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("version-files entry %q: %s; expected PATH:image=REPO[@sha256:DIGEST], e.g. action.yml:image=ghcr.io/acme/tool@sha256:<64 hex digits>", spec, fmt.Sprintf(format, args...))
	}
	if !ok {
		return nil, bad("no %s", Marker)
	}
	p = strings.TrimSpace(p)
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") {
		return nil, bad("%q is not a file inside the repository", p)
	}
	repo, digest, _ := strings.Cut(strings.TrimSpace(ref), "@")
	if !repoRE.MatchString(repo) {
		return nil, bad("%q is not an image repository (lower case, no tag)", repo)
	}
	if digest != "" && !digestRE.MatchString(digest) {
		return nil, bad("digest %q is not sha256: and 64 hex digits", digest)
	}
	return &Pin{
		Path: p, Repo: repo, Digest: digest,
		// REPO:TAG, optionally @DIGEST, not inside a longer repository name
		// (docker://REPO is an action's).
		ref: regexp.MustCompile(`(^|[^a-z0-9._/-]|://)` + regexp.QuoteMeta(repo) + `:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(@sha256:[0-9a-f]{64})?`),
	}, nil
}

// Name is "image ghcr.io/acme/tool in action.yml".
func (p *Pin) Name() string { return fmt.Sprintf("image %s in %s", p.Repo, p.Path) }

// Paths lists the file.
func (p *Pin) Paths(versionfile.Files) ([]string, error) { return []string{p.Path}, nil }

func (p *Pin) read(files versionfile.Files) ([]byte, [][]int, error) {
	data, err := files.ReadFile(p.Path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", p.Path, err)
	}
	ms := p.ref.FindAllSubmatchIndex(data, -1)
	if len(ms) == 0 {
		return nil, nil, fmt.Errorf("%s: %w: expected %s:TAG somewhere in it, e.g. image: docker://%s:v1", p.Path, ErrNoReference, p.Repo, p.Repo)
	}
	return data, ms, nil
}

// Current is the tag of the first reference, without a leading v.
func (p *Pin) Current(files versionfile.Files) (string, error) {
	data, ms, err := p.read(files)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(string(data[ms[0][4]:ms[0][5]]), "v"), nil
}

// Set points every reference at version's image: REPO:vVERSION@DIGEST (v
// when the reference had it), dropping an old digest when the entry has
// none, since a digest would win over the tag. A version that is no release
// (1.3.0-SNAPSHOT, 1.3.0.dev0: prep-commit's) changes nothing: no image of
// it exists, and the file keeps naming the last release's.
func (p *Pin) Set(files versionfile.Files, version string) ([]versionfile.Change, error) {
	v, err := semver.StrictNewVersion(version)
	if err != nil || v.Prerelease() != "" || v.Metadata() != "" {
		return nil, nil
	}
	data, ms, err := p.read(files)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	last := 0
	for _, m := range ms {
		tag := string(data[m[4]:m[5]])
		want := version
		if strings.HasPrefix(tag, "v") {
			want = "v" + version
		}
		if p.Digest != "" {
			want += "@" + p.Digest
		}
		out.Write(data[last:m[4]])
		out.WriteString(want)
		last = m[1]
	}
	out.Write(data[last:])
	if bytes.Equal(out.Bytes(), data) {
		return nil, nil
	}
	return []versionfile.Change{{Path: p.Path, Old: data, New: out.Bytes()}}, nil
}
