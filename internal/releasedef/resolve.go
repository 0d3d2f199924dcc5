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
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/version"
)

// Tags is the part of a repository that version resolution reads.
type Tags interface {
	Tags() ([]gitrepo.Tag, error)
	Peel(gitrepo.Tag) (gitrepo.PeeledTag, error)
	Walk(ctx context.Context, tip plumbing.Hash, exclude ...plumbing.Hash) (*gitrepo.Range, error)
	Commit(plumbing.Hash) (*object.Commit, error)
}

// ResolveOptions are the inputs of ResolveWith.
type ResolveOptions struct {
	Repo Tags
	// Tip is the commit whose history the tags must be in.
	Tip plumbing.Hash
	// ReleaseTrailer, when set, makes a tag on a release commit of
	// relman's tag step count as in the history when the commit the
	// release was made from is: the tag step writes version files into a
	// commit whose only parent is the pipeline commit, carrying the
	// trailer ("Relman-Release: core 1.3.0"), and tags that commit, which
	// no branch contains.
	ReleaseTrailer string
}

// Pin is an artifact's resolved version.
type Pin struct {
	Version string
	Tag     string
	Commit  plumbing.Hash
}

// releaseVersion is the version shape sfp accepts in a release definition.
var releaseVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-.+)?$`)

// sfpTagVersion is the version in a tag as sfp writes and reads it
// (GitTags.getVersionFromLatestTag: _v(X.Y.Z(.B|.LATEST|.NEXT)?(-ALIGN)?)):
// core_v1.2.0.6 from sfp publish, core_v1.2.0.6-ALIGN from sfp repo:patch.
var sfpTagVersion = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)(?:\.([0-9]+|LATEST|NEXT))?(-ALIGN)?$`)

// matcher finds the tags of one artifact: its tag scheme,
// prefix{version}suffix, with the versions a release definition pins.
type matcher struct {
	version.TagScheme
	sfp bool
}

func newMatcher(a Artifact) matcher {
	return matcher{TagScheme: version.PatternScheme(a.TagPattern, a.Name), sfp: a.SFPTags}
}

// tagVersion is the version a tag names.
type tagVersion struct {
	v *semver.Version
	// raw is the {version} part of the tag as written, s the version as
	// a release definition has it: sfp's 1.2.0.6 and 1.2.0.6-ALIGN are
	// 1.2.0-6, as sfp writes them.
	raw, s string
}

// version returns the version a tag names for this artifact, if any. A
// version is X.Y.Z or X.Y.Z-PRERELEASE (semver, 1.2.0-6: a build number,
// build metadata only after one) and, for sfdx packages, sfp's
// X.Y.Z.B, X.Y.Z.LATEST and X.Y.Z.NEXT, each with an optional -ALIGN. The
// numbers have no leading zeros, so that one version has one tag name.
func (m matcher) version(tag string) (tagVersion, bool) {
	raw, ok := m.Cut(tag)
	if !ok {
		return tagVersion{}, false
	}
	s := raw
	if g := sfpTagVersion.FindStringSubmatch(raw); m.sfp && g != nil {
		s = g[1]
		if g[2] != "" {
			s += "-" + g[2]
		}
	} else if !releaseVersion.MatchString(s) {
		return tagVersion{}, false
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return tagVersion{}, false
	}
	return tagVersion{v: v, raw: raw, s: s}, true
}

// exampleVersion is a version as the artifact's tags would write it.
func (m matcher) exampleVersion() string {
	if m.sfp {
		return "1.0.0.1"
	}
	return "1.0.0"
}

type candidate struct {
	tag gitrepo.Tag
	tagVersion
}

// Seen is a tag that looks like one of an artifact's but does not pin it.
type Seen struct {
	Tag string
	// Why is "not a version" or "not reachable".
	Why string
}

// Resolution is the outcome of Resolve.
type Resolution struct {
	// Pins are the artifacts with a version tag reachable from the ref.
	Pins map[string]Pin
	// Seen lists, for each artifact without a pin, the tags that start like
	// its tags (sorted by name): what the user tagged instead.
	Seen map[string][]Seen
}

// Resolve finds, for each artifact, the highest version among its tags
// (annotated or lightweight) whose commit is reachable from tip, compared
// as semver compares them (build numbers numerically: 1.2.0.10 is above
// 1.2.0.9). Tags are listed once and the history from tip is walked once,
// whatever the number of artifacts; only the tags needed to decide are
// read. Artifacts with no such tag have no pin, and the tags seen instead.
func Resolve(ctx context.Context, repo Tags, tip plumbing.Hash, artifacts []Artifact) (*Resolution, error) {
	return ResolveWith(ctx, ResolveOptions{Repo: repo, Tip: tip}, artifacts)
}

// ResolveWith is Resolve, with relman's release commits counted as
// ResolveOptions.ReleaseTrailer says.
func ResolveWith(ctx context.Context, o ResolveOptions, artifacts []Artifact) (*Resolution, error) {
	repo, tip := o.Repo, o.Tip
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
		if reachable[h] || o.ReleaseTrailer == "" {
			return reachable[h], nil
		}
		c, err := repo.Commit(h)
		if err != nil {
			return false, err
		}
		return len(c.ParentHashes) == 1 && reachable[c.ParentHashes[0]] && hasTrailer(c.Message, o.ReleaseTrailer), nil
	}
	res := &Resolution{Pins: map[string]Pin{}, Seen: map[string][]Seen{}}
	for _, a := range artifacts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := newMatcher(a)
		// Tags sorted by name: those with the artifact's prefix are one run.
		i := sort.Search(len(tags), func(i int) bool { return tags[i].Name >= m.Prefix })
		var cands []candidate
		var seen []Seen
		for ; i < len(tags) && strings.HasPrefix(tags[i].Name, m.Prefix); i++ {
			if tv, ok := m.version(tags[i].Name); ok {
				cands = append(cands, candidate{tag: tags[i], tagVersion: tv})
			} else {
				seen = append(seen, Seen{Tag: tags[i].Name, Why: "not a version"})
			}
		}
		sort.Slice(cands, func(i, j int) bool {
			if c := cands[i].v.Compare(cands[j].v); c != 0 {
				return c > 0
			}
			return cands[i].tag.Name > cands[j].tag.Name
		})
		pinned := false
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
				res.Pins[a.Name] = Pin{Version: c.s, Tag: c.tag.Name, Commit: p.Commit}
				pinned = true
				break
			}
			seen = append(seen, Seen{Tag: c.tag.Name, Why: "not reachable"})
		}
		if !pinned {
			sort.Slice(seen, func(i, j int) bool { return seen[i].Tag < seen[j].Tag })
			res.Seen[a.Name] = seen
		}
	}
	return res, nil
}

// hasTrailer reports whether a commit message has a line "TRAILER: ..."
// below its subject, as the tag step tells its release commits.
func hasTrailer(msg, trailer string) bool {
	return strings.Contains(msg, "\n"+trailer+": ")
}
