package version

import (
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Release is a release tag and its version.
type Release struct {
	Tag     string
	Version *semver.Version
}

// Releases is every release tag of a repository, found by name.
type Releases []Release

// ReleasesOf reads release tags PREFIX + X.Y.Z from tag names (others are
// skipped); see TagScheme.Releases.
func ReleasesOf(tagNames []string, prefix string) Releases {
	return PrefixScheme(prefix).Releases(tagNames)
}

// better orders releases: higher version first; for two tags of one version
// ("1.2.3" and "v1.2.3") the shorter name, so the choice is stable.
func better(a, b Release) bool {
	if c := a.Version.Compare(b.Version); c != 0 {
		return c > 0
	}
	// Builds of one version (sfp's core_v1.2.0.9 and core_v1.2.0.10):
	// the higher build.
	if pa, ba, ok := cutBuild(a.Tag); ok {
		if pb, bb, ok := cutBuild(b.Tag); ok && pa == pb && ba != bb {
			return ba > bb
		}
	}
	if len(a.Tag) != len(b.Tag) {
		return len(a.Tag) < len(b.Tag)
	}
	return a.Tag < b.Tag
}

// LatestIn is the highest release of a line.
func (rs Releases) LatestIn(l Line) (Release, bool) {
	var best Release
	found := false
	for _, r := range rs {
		if l.Contains(r.Version) && (!found || better(r, best)) {
			best, found = r, true
		}
	}
	return best, found
}

// NewestOfKind says whether a release branch's line is the newest of its
// kind: release/N while the highest release is N.x.y, or release/N.M while
// the highest N.x.y release is N.M.z.
func (rs Releases) NewestOfKind(l Line) bool {
	switch l.Kind {
	case MajorLine:
		top, ok := rs.LatestIn(Line{Kind: MainLine})
		return ok && top.Version.Major() == l.Major
	case MinorLine:
		top, ok := rs.LatestIn(Line{Kind: MajorLine, Major: l.Major})
		return ok && top.Version.Minor() == l.Minor
	}
	return false
}

// cutBuild splits a tag ending in ".N" (digits) into what is before the
// number and the number.
func cutBuild(tag string) (prefix string, build uint64, ok bool) {
	i := strings.LastIndexByte(tag, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(tag[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return tag[:i], n, true
}
