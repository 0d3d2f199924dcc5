package tagstep

import (
	"github.com/Masterminds/semver/v3"

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
	rs := releaseSet{refs: map[string]gitrepo.Tag{}}
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
		rs.refs[t.Name] = t
	}
	rs.Releases = scheme.Releases(names)
	return rs
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
