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

// releaseSet is every release tag of the repository, found by name.
type releaseSet []release

func releases(tags []gitrepo.Tag, prefix string) releaseSet {
	var rs releaseSet
	for _, t := range tags {
		if v, ok := version.ParseTag(t.Name, prefix); ok {
			rs = append(rs, release{v: v, tag: t})
		}
	}
	return rs
}

// better orders releases: higher version first; for two tags of one version
// ("1.2.3" and "v1.2.3") the shorter name, so the choice is stable.
func better(a, b release) bool {
	if c := a.v.Compare(b.v); c != 0 {
		return c > 0
	}
	if len(a.tag.Name) != len(b.tag.Name) {
		return len(a.tag.Name) < len(b.tag.Name)
	}
	return a.tag.Name < b.tag.Name
}

// latestIn is the highest release of a line.
func (rs releaseSet) latestIn(l version.Line) (release, bool) {
	var best release
	found := false
	for _, r := range rs {
		if l.Contains(r.v) && (!found || better(r, best)) {
			best, found = r, true
		}
	}
	return best, found
}

// before is the highest release of a line below v.
func (rs releaseSet) before(l version.Line, v *semver.Version) (release, bool) {
	var best release
	found := false
	for _, r := range rs {
		if l.Contains(r.v) && r.v.LessThan(v) && (!found || better(r, best)) {
			best, found = r, true
		}
	}
	return best, found
}

// newestOfKind says whether a release branch's line is the newest of its
// kind: release/N while the highest release is N.x.y, or release/N.M while
// the highest N.x.y release is N.M.z.
func (rs releaseSet) newestOfKind(l version.Line) bool {
	switch l.Kind {
	case version.MajorLine:
		top, ok := rs.latestIn(version.Line{Kind: version.MainLine})
		return ok && top.v.Major() == l.Major
	case version.MinorLine:
		top, ok := rs.latestIn(version.Line{Kind: version.MajorLine, Major: l.Major})
		return ok && top.v.Minor() == l.Minor
	}
	return false
}
