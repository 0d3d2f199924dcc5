// Package version holds relman's release rules as pure functions: which
// release line a branch releases, which tags belong to it, and the next
// version from the latest release and the impact of the new changes. Nothing
// here does I/O.
package version

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Impact is how much a change moves the version.
type Impact int

// Impacts, lowest first so that the highest of several wins by comparison.
const (
	None Impact = iota
	Patch
	Minor
	Major
)

// String returns the lower-case name used in outputs ("major", "minor", "patch", "none").
func (i Impact) String() string {
	switch i {
	case Patch:
		return "patch"
	case Minor:
		return "minor"
	case Major:
		return "major"
	default:
		return "none"
	}
}

// ParseImpact reads "major", "minor", "patch" or "none" in any case.
func ParseImpact(s string) (Impact, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "major":
		return Major, nil
	case "minor":
		return Minor, nil
	case "patch":
		return Patch, nil
	case "none", "":
		return None, nil
	}
	return None, fmt.Errorf("unknown impact %q: expected major, minor, patch or none", s)
}

// LineKind says which versions a branch may release.
type LineKind int

// Kinds of release lines.
const (
	MainLine  LineKind = iota // the default branch: every version
	MajorLine                 // release/N: N.x.y
	MinorLine                 // release/N.M: N.M.z
)

// Line is a release line: the versions one branch may release.
type Line struct {
	Kind  LineKind
	Major uint64 // for MajorLine and MinorLine
	Minor uint64 // for MinorLine
}

// String names the line as relman's release-line output does: "main",
// "1" (release/1) or "1.2" (release/1.2).
func (l Line) String() string {
	switch l.Kind {
	case MajorLine:
		return strconv.FormatUint(l.Major, 10)
	case MinorLine:
		return fmt.Sprintf("%d.%d", l.Major, l.Minor)
	default:
		return "main"
	}
}

// Contains reports whether v is a version of this line.
func (l Line) Contains(v *semver.Version) bool {
	switch l.Kind {
	case MajorLine:
		return v.Major() == l.Major
	case MinorLine:
		return v.Major() == l.Major && v.Minor() == l.Minor
	default:
		return true
	}
}

// ErrNotReleaseBranch is returned by LineFromBranch for a branch that is
// neither the default branch nor a release branch.
var ErrNotReleaseBranch = errors.New("not a release branch")

// LineFromBranch maps a branch to its release line: the default branch is
// the main line, PREFIX+N a major line and PREFIX+N.M a minor line. Any
// other branch (including a malformed release branch name) returns an
// error wrapping ErrNotReleaseBranch.
func LineFromBranch(branch, defaultBranch, prefix string) (Line, error) {
	if branch != "" && branch == defaultBranch {
		return Line{Kind: MainLine}, nil
	}
	rest, ok := strings.CutPrefix(branch, prefix)
	if prefix == "" || !ok {
		return Line{}, fmt.Errorf("branch %q: %w (releases come from the default branch %q and %sN or %sN.M branches)",
			branch, ErrNotReleaseBranch, defaultBranch, prefix, prefix)
	}
	parts := strings.Split(rest, ".")
	nums := make([]uint64, 0, 2)
	for _, p := range parts {
		n, err := parseNumber(p)
		if err != nil || len(parts) > 2 {
			return Line{}, fmt.Errorf("branch %q: %w: expected %sN or %sN.M with decimal numbers, like %s1 or %s1.2",
				branch, ErrNotReleaseBranch, prefix, prefix, prefix, prefix)
		}
		nums = append(nums, n)
	}
	if len(nums) == 1 {
		return Line{Kind: MajorLine, Major: nums[0]}, nil
	}
	return Line{Kind: MinorLine, Major: nums[0], Minor: nums[1]}, nil
}

// parseNumber reads a semver numeric identifier: digits, no leading zero.
func parseNumber(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%q is not a version number", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a version number", s)
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// ParseTag reads a release tag name: PREFIX followed by MAJOR.MINOR.PATCH,
// where a "v" before the numbers is accepted too ("1.2.3", "v1.2.3"). Tags
// with a prerelease or build part, and tags that are not semver, are not
// releases: ok is false.
func ParseTag(name, prefix string) (v *semver.Version, ok bool) {
	rest, found := strings.CutPrefix(name, prefix)
	if !found {
		return nil, false
	}
	if prefix == "" || prefix == "v" {
		rest = strings.TrimPrefix(rest, "v")
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return nil, false
	}
	var n [3]uint64
	for i, p := range parts {
		x, err := parseNumber(p)
		if err != nil {
			return nil, false
		}
		n[i] = x
	}
	return semver.New(n[0], n[1], n[2], "", ""), true
}

// TagName is the tag for v: PREFIX + "X.Y.Z".
func TagName(v *semver.Version, prefix string) string {
	return prefix + v.String()
}

// Input is what the next-version rule needs.
type Input struct {
	Line   Line
	Latest *semver.Version // latest release of the line; nil when there is none
	Impact Impact          // highest impact among the new changes
	// Stable forces 1.0.0 on a 0.x line (the STABLE_RELEASE switch).
	Stable bool
	// NewestOfKind says the branch is the newest of its kind (release/2 while
	// the default branch is on 2.x): the release works but warns.
	NewestOfKind bool
}

// Result is the next release, or no release.
type Result struct {
	Released bool
	Next     *semver.Version // nil when !Released
	Base     *semver.Version // Latest, or 0.0.0 (or N.0.0 / N.M.0 on a fresh release branch's line) when none
	Reason   string          // why the version is what it is, one sentence
	Warnings []string
}

// ErrLineViolation is wrapped by Next when a change would leave the branch's line.
var ErrLineViolation = errors.New("change does not fit the release line")

// Next computes the next version. The rules (SPEC "tag" 5):
//   - major 0: major and minor impacts bump the minor, patch bumps the patch;
//   - Stable on a 0.x line gives 1.0.0, even with no new changes; from 1.0.0
//     on it is ignored;
//   - major ≥ 1: ordinary semver;
//   - the result must stay in the line: release/N refuses a major bump,
//     release/N.M anything but a patch.
func Next(in Input) (Result, error) {
	base := in.Latest
	if base == nil {
		base = semver.New(0, 0, 0, "", "")
		if in.Line.Kind != MainLine {
			base = semver.New(in.Line.Major, in.Line.Minor, 0, "", "")
		}
	}
	res := Result{Base: base}
	if in.NewestOfKind && (in.Impact != None || in.Stable) {
		res.Warnings = append(res.Warnings, newestWarning(in.Line))
	}

	if in.Stable && base.Major() == 0 {
		if in.Line.Kind != MainLine && !in.Line.Contains(semver.New(1, 0, 0, "", "")) {
			return Result{}, fmt.Errorf("stable release 1.0.0 cannot be made on release line %s: %w; run it on the default branch",
				in.Line, ErrLineViolation)
		}
		res.Released, res.Next = true, semver.New(1, 0, 0, "", "")
		res.Reason = fmt.Sprintf("STABLE_RELEASE is set on the 0.x line (latest %s): the first stable release is 1.0.0", base)
		return res, nil
	}

	var next semver.Version
	switch in.Impact {
	case None:
		res.Reason = "no new changes since " + base.String()
		return res, nil
	case Patch:
		next = base.IncPatch()
		res.Reason = fmt.Sprintf("highest impact is patch: %s → %s", base, &next)
	case Minor:
		next = base.IncMinor()
		res.Reason = fmt.Sprintf("highest impact is minor: %s → %s", base, &next)
	case Major:
		if base.Major() == 0 {
			next = base.IncMinor()
			res.Reason = fmt.Sprintf("highest impact is major, and on 0.x a major change bumps the minor: %s → %s", base, &next)
		} else {
			next = base.IncMajor()
			res.Reason = fmt.Sprintf("highest impact is major: %s → %s", base, &next)
		}
	}
	if !in.Line.Contains(&next) {
		switch in.Line.Kind {
		case MinorLine:
			return Result{}, fmt.Errorf("a %s change on release/%s would release %s: %w: only patch changes can go into release/N.M branches (ImpactMinor changes can only go into release/N branches); revert it there and merge it into release/%d or the default branch",
				in.Impact, in.Line, &next, ErrLineViolation, in.Line.Major)
		default:
			return Result{}, fmt.Errorf("a %s change on release/%s would release %s: %w: major changes can only be released from the default branch; revert it there",
				in.Impact, in.Line, &next, ErrLineViolation)
		}
	}
	res.Released, res.Next = true, &next
	return res, nil
}

func newestWarning(l Line) string {
	switch l.Kind {
	case MajorLine:
		return fmt.Sprintf("release/%s is the newest major line: fixes for it belong on the default branch, which brings release/%s up to date", l, l)
	case MinorLine:
		return fmt.Sprintf("release/%s is the newest minor line of %d.x: fixes for it belong on release/%d, which brings release/%s up to date", l, l.Major, l.Major, l)
	}
	return ""
}

// ParseStable reads the STABLE_RELEASE switch: a non-zero integer, or
// true/t/yes/y in any case, is on; empty, zero and false/f/no/n are off.
// Anything else is an error, so that a typo does not silently skip 1.0.0.
func ParseStable(s string) (bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return false, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n != 0, nil
	}
	switch strings.ToLower(s) {
	case "true", "t", "yes", "y":
		return true, nil
	case "false", "f", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("STABLE_RELEASE %q: expected a non-zero integer or true/t/yes/y to force 1.0.0 (0, false, no to leave it off)", s)
}

// ImpactOf reads the kind of a release from its version: X.Y.Z with Z > 0
// is a patch, X.Y.0 with Y > 0 a minor, X.0.0 a major release.
func ImpactOf(v *semver.Version) Impact {
	switch {
	case v.Patch() > 0:
		return Patch
	case v.Minor() > 0:
		return Minor
	}
	return Major
}
