package tagstep

import (
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/version"
)

type release struct {
	v   *semver.Version
	tag gitrepo.Tag
}

// releaseSet is every release tag of the repository with its reference.
type releaseSet struct {
	version.Releases
	refs map[string]gitrepo.Tag
}

func releases(tags []gitrepo.Tag, scheme version.TagScheme) releaseSet {
	return newTagIndex(tags).releases(scheme)
}

// tagIndex is the repository's tags by name, read once for the release
// sets of many tag schemes (the packages of a repository).
type tagIndex struct {
	names []string
	refs  map[string]gitrepo.Tag
}

func newTagIndex(tags []gitrepo.Tag) tagIndex {
	ix := tagIndex{names: make([]string, len(tags)), refs: make(map[string]gitrepo.Tag, len(tags))}
	for i, t := range tags {
		ix.names[i] = t.Name
		ix.refs[t.Name] = t
	}
	return ix
}

// releases is the release set of one scheme; only tags that start with
// the scheme's fixed prefix are parsed.
func (ix tagIndex) releases(scheme version.TagScheme) releaseSet {
	names := ix.names
	if fixed := scheme.Prefix; len(fixed) > 1 {
		names = nil
		for _, n := range ix.names {
			if strings.HasPrefix(n, fixed) {
				names = append(names, n)
			}
		}
	}
	return releaseSet{refs: ix.refs, Releases: scheme.Releases(names)}
}

// latestIn is the highest release of a line.
func (rs releaseSet) latestIn(l version.Line) (release, bool) {
	r, ok := rs.LatestIn(l)
	if !ok {
		return release{}, false
	}
	return release{v: r.Version, tag: rs.refs[r.Tag]}, true
}

// highest says whether no release of any line is above v.
func (rs releaseSet) highest(v *semver.Version) bool {
	top, ok := rs.LatestIn(version.Line{Kind: version.MainLine})
	return !ok || !top.Version.GreaterThan(v)
}

func (rs releaseSet) newestOfKind(l version.Line) bool { return rs.NewestOfKind(l) }

// in lists the releases of a line.
func (rs releaseSet) in(l version.Line) []release {
	var out []release
	for _, r := range rs.Releases {
		if l.Contains(r.Version) {
			out = append(out, release{v: r.Version, tag: rs.refs[r.Tag]})
		}
	}
	return out
}

// ReleaseAt finds the release made of commit head: the highest release tag
// on head itself or on a version commit whose only parent is head (Maven
// and Python releases). ok is false when there is none. The steps that
// follow a release (backport-branch, prep-commit) run on its commit.
func ReleaseAt(repo *gitrepo.Repo, head plumbing.Hash, scheme version.TagScheme) (v *semver.Version, tag string, ok bool, err error) {
	tags, err := repo.Tags()
	if err != nil {
		return nil, "", false, err
	}
	for _, t := range tags {
		tv, isRelease := scheme.Parse(t.Name)
		if !isRelease || (v != nil && !tv.GreaterThan(v)) {
			continue
		}
		p, err := repo.Peel(t)
		if err != nil {
			return nil, "", false, err
		}
		on := p.Commit == head
		if !on {
			if c, err := repo.Commit(p.Commit); err == nil && len(c.ParentHashes) == 1 && c.ParentHashes[0] == head {
				on = true
			}
		}
		if on {
			v, tag = tv, t.Name
		}
	}
	return v, tag, v != nil, nil
}
