// Package impact reads the impact of a change: from merge request labels
// (ImpactMajor, ImpactMinor, ImpactPatch, names configurable) or, without a
// forge, from commit messages (Conventional Commits and "Impact:" trailers).
package impact

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/relman-dev/relman/internal/version"
)

// Labels names the impact labels.
type Labels struct {
	Major, Minor, Patch string
}

// DefaultLabels are the seed's label names.
var DefaultLabels = Labels{Major: "ImpactMajor", Minor: "ImpactMinor", Patch: "ImpactPatch"}

// Validate reports a clear error for empty or duplicate names.
func (l Labels) Validate() error {
	type named struct{ setting, name string }
	var seen []named
	for _, p := range []named{
		{"label-major", l.Major}, {"label-minor", l.Minor}, {"label-patch", l.Patch},
	} {
		if strings.TrimSpace(p.name) == "" {
			return fmt.Errorf("%s is empty: expected the name of a label, like %q", p.setting, DefaultLabels.Major)
		}
		// Labels compare with strings.EqualFold (see FromLabels), so
		// names equal under case folding ("s" and "ſ") are duplicates.
		for _, other := range seen {
			if strings.EqualFold(other.name, p.name) {
				return fmt.Errorf("%s and %s both name the label %q: each impact needs its own label", other.setting, p.setting, p.name)
			}
		}
		seen = append(seen, p)
	}
	return nil
}

// FromLabels returns the impact a set of labels declares (label names
// compare case-insensitively) and whether more than one different impact
// label was present (the highest wins; callers warn).
func (l Labels) FromLabels(labels []string) (imp version.Impact, conflicting bool) {
	seen := 0
	for _, name := range labels {
		var got version.Impact
		switch {
		case strings.EqualFold(name, l.Major):
			got = version.Major
		case strings.EqualFold(name, l.Minor):
			got = version.Minor
		case strings.EqualFold(name, l.Patch):
			got = version.Patch
		default:
			continue
		}
		if seen&(1<<got) == 0 {
			seen |= 1 << got
		}
		imp = max(imp, got)
	}
	return imp, seen&(seen-1) != 0
}

var (
	// type(scope)!: subject
	conventional = regexp.MustCompile(`^([A-Za-z]+)(\([^()\r\n]*\))?(!)?: \S`)
	trailer      = regexp.MustCompile(`(?im)^impact:[ \t]*(major|minor|patch|none)[ \t]*$`)
	breaking     = regexp.MustCompile(`(?m)^BREAKING[ -]CHANGE: `)
)

// FromCommitMessage reads a commit message: an "Impact: major|minor|patch|none"
// trailer wins; else a Conventional Commits header ("feat" minor, "fix" and
// "perf" patch, "!" or a BREAKING CHANGE footer major). Other messages have
// no impact.
func FromCommitMessage(msg string) version.Impact {
	if m := trailer.FindAllStringSubmatch(msg, -1); m != nil {
		imp, _ := version.ParseImpact(m[len(m)-1][1])
		return imp
	}
	header, body, _ := strings.Cut(msg, "\n")
	h := conventional.FindStringSubmatch(strings.TrimSpace(header))
	if h == nil {
		return version.None
	}
	if h[3] == "!" || breaking.MatchString(body) {
		return version.Major
	}
	switch strings.ToLower(h[1]) {
	case "feat":
		return version.Minor
	case "fix", "perf":
		return version.Patch
	}
	return version.None
}
