package releasedef

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo"
)

// Tags is the part of a repository that version resolution reads.
type Tags interface {
	Tags() ([]gitrepo.Tag, error)
	Peel(gitrepo.Tag) (gitrepo.PeeledTag, error)
	Walk(ctx context.Context, tip plumbing.Hash, exclude ...plumbing.Hash) (*gitrepo.Range, error)
}

// Pin is an artifact's resolved version.
type Pin struct {
	Version string
	Tag     string
	Commit  plumbing.Hash
}

// releaseVersion is the version shape sfp accepts in a release definition.
var releaseVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-.+)?$`)

// matcher finds the tags of one artifact: prefix{version}suffix.
type matcher struct {
	prefix, suffix string
}

func newMatcher(a Artifact) matcher {
	p := strings.ReplaceAll(a.TagPattern, "{name}", a.Name)
	pre, suf, _ := strings.Cut(p, "{version}")
	return matcher{prefix: pre, suffix: suf}
}

// version returns the version a tag names for this artifact, if any.
func (m matcher) version(tag string) (*semver.Version, string, bool) {
	if len(tag) <= len(m.prefix)+len(m.suffix) || !strings.HasPrefix(tag, m.prefix) || !strings.HasSuffix(tag, m.suffix) {
		return nil, "", false
	}
	s := tag[len(m.prefix) : len(tag)-len(m.suffix)]
	if !releaseVersion.MatchString(s) {
		return nil, "", false
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil, "", false
	}
	return v, s, true
}

type candidate struct {
	tag gitrepo.Tag
	v   *semver.Version
	s   string
}

// Resolve finds, for each artifact, the highest semantic version among its
// tags (annotated or lightweight) whose commit is reachable from tip. Tags
// are listed once and the history from tip is walked once, whatever the
// number of artifacts; only the tags needed to decide are read. Artifacts
// with no such tag are absent from the result.
func Resolve(ctx context.Context, repo Tags, tip plumbing.Hash, artifacts []Artifact) (map[string]Pin, error) {
	tags, err := repo.Tags()
	if err != nil {
		return nil, err
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	var reachable map[plumbing.Hash]bool
	reach := func(h plumbing.Hash) (bool, error) {
		if reachable == nil {
			rg, err := repo.Walk(ctx, tip)
			if err != nil {
				if errors.Is(err, gitrepo.ErrShallow) {
					return false, fmt.Errorf("%w: tags older than the clone's history cannot be checked (set fetch-depth: 0 in actions/checkout, GIT_DEPTH: 0 in GitLab)", err)
				}
				return false, fmt.Errorf("read the history of %s: %w", tip, err)
			}
			reachable = make(map[plumbing.Hash]bool, len(rg.Commits))
			for _, c := range rg.Commits {
				reachable[c.Hash] = true
			}
		}
		return reachable[h], nil
	}
	out := map[string]Pin{}
	for _, a := range artifacts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := newMatcher(a)
		// Tags sorted by name: those with the artifact's prefix are one run.
		i := sort.Search(len(tags), func(i int) bool { return tags[i].Name >= m.prefix })
		var cands []candidate
		for ; i < len(tags) && strings.HasPrefix(tags[i].Name, m.prefix); i++ {
			if v, s, ok := m.version(tags[i].Name); ok {
				cands = append(cands, candidate{tag: tags[i], v: v, s: s})
			}
		}
		sort.Slice(cands, func(i, j int) bool {
			if c := cands[i].v.Compare(cands[j].v); c != 0 {
				return c > 0
			}
			return cands[i].tag.Name > cands[j].tag.Name
		})
		for _, c := range cands {
			p, err := repo.Peel(c.tag)
			if err != nil {
				return nil, err
			}
			ok, err := reach(p.Commit)
			if err != nil {
				return nil, err
			}
			if ok {
				out[a.Name] = Pin{Version: c.s, Tag: c.tag.Name, Commit: p.Commit}
				break
			}
		}
	}
	return out, nil
}
