package version

import (
	"strings"

	"github.com/Masterminds/semver/v3"
)

// TagScheme is how release tags are named: PREFIX{version}SUFFIX. The tag
// step's tags are PREFIX + X.Y.Z ("1.2.3", "v1.2.3"); a release
// definition's artifacts name theirs by a pattern such as
// "{name}_v{version}" (core_v1.2.0). Every step that reads or writes
// release tags takes one.
type TagScheme struct {
	Prefix, Suffix string
	// Builds: the {version} part may also be sfp's X.Y.Z.B, a version
	// with a build number (core_v1.2.0.6 is a release of 1.2.0).
	Builds bool
	// BuildForm: Name writes X.Y.Z.1, the first build of a new version
	// (set by Follow when the latest release was tagged so).
	BuildForm bool
}

// PrefixScheme is the scheme of tags PREFIX + X.Y.Z (the tag-prefix
// setting).
func PrefixScheme(prefix string) TagScheme { return TagScheme{Prefix: prefix} }

// PatternScheme reads a tag pattern: {name} is replaced by name, and
// {version} splits prefix from suffix. A pattern without {version} is all
// prefix.
func PatternScheme(pattern, name string) TagScheme {
	p := strings.ReplaceAll(pattern, "{name}", name)
	pre, suf, _ := strings.Cut(p, "{version}")
	return TagScheme{Prefix: pre, Suffix: suf}
}

// Name is the tag of version v.
func (s TagScheme) Name(v *semver.Version) string {
	if s.BuildForm {
		return s.Prefix + v.String() + ".1" + s.Suffix
	}
	return s.Prefix + v.String() + s.Suffix
}

// Cut returns the {version} part of a tag of this scheme, as written; ok is
// false when the tag is not of this scheme or the part is empty.
func (s TagScheme) Cut(tag string) (raw string, ok bool) {
	if len(tag) <= len(s.Prefix)+len(s.Suffix) || !strings.HasPrefix(tag, s.Prefix) || !strings.HasSuffix(tag, s.Suffix) {
		return "", false
	}
	return tag[len(s.Prefix) : len(tag)-len(s.Suffix)], true
}

// Parse reads a release tag of this scheme: MAJOR.MINOR.PATCH between
// prefix and suffix, where with no prefix or the prefix "v" a "v" before
// the numbers is accepted too ("1.2.3" and "v1.2.3" both read). Tags with
// a prerelease or build part, and tags that are not semver, are not
// releases: ok is false.
func (s TagScheme) Parse(tag string) (v *semver.Version, ok bool) {
	rest, found := strings.CutSuffix(tag, s.Suffix)
	if !found {
		return nil, false
	}
	if s.Builds {
		if i := strings.LastIndexByte(rest, '.'); i > len(s.Prefix) && strings.Count(rest[len(s.Prefix):], ".") == 3 && strings.HasPrefix(rest, s.Prefix) {
			if _, err := parseNumber(rest[i+1:]); err == nil {
				rest = rest[:i]
			}
		}
	}
	return ParseTag(rest, s.Prefix)
}

// Follow is the scheme of the next tag after latestTag: with no prefix
// set, a latest release tagged v1.2.3 makes the next one v1.3.0 (the
// style of the project's tags is kept).
func (s TagScheme) Follow(latestTag string) TagScheme {
	if s.Prefix == "" && s.Suffix == "" && strings.HasPrefix(latestTag, "v") {
		return TagScheme{Prefix: "v", Builds: s.Builds}
	}
	if raw, ok := s.Cut(latestTag); ok && s.Builds {
		s.BuildForm = strings.Count(raw, ".") == 3
	}
	return s
}

// Releases reads the release tags of this scheme among tagNames.
func (s TagScheme) Releases(tagNames []string) Releases {
	var rs Releases
	for _, name := range tagNames {
		if v, ok := s.Parse(name); ok {
			rs = append(rs, Release{Tag: name, Version: v})
		}
	}
	return rs
}
