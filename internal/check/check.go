// Package check is relman's merge request check: before a merge, it tells
// whether the merge request carries exactly one impact label, whether that
// impact fits the target branch's release line, and which version merging
// it now would release (in a repository of packages: which packages, at
// which versions, including the dependents its releases bump). It is pure:
// labels, branches, changed files and tag names in, a verdict out.
package check

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/version"
)

// Input is what a check needs.
type Input struct {
	Labels        []string // the merge request's labels
	Names         impact.Labels
	Target        string // the target branch
	DefaultBranch string
	BranchPrefix  string
	// Releases are the repository's release tags; nil when unknown (no
	// version preview then).
	Releases version.Releases
	// Stable is the STABLE_RELEASE switch of the target's pipelines.
	Stable bool
	// Packages: the repository holds packages released each on its own
	// (nil: it is released as one). Releases is then not used.
	Packages *Packages
}

// Result is the verdict.
type Result struct {
	Impact    version.Impact
	Line      version.Line
	Latest    *semver.Version // nil when none or unknown
	LatestTag string          // the latest release's tag
	Next      *semver.Version // the version merging now would release; nil when unknown
	Problems  []string        // each says what is wrong and what to do; empty = pass
	Notes     []string
	// NotReleaseBranch: the target is no release branch, nothing is released.
	NotReleaseBranch bool

	// PackageMode: the check ran on the repository's packages; Latest and
	// Next are then nil, and Packages says what merging does to each.
	PackageMode bool
	// Packages are the packages merging touches or releases, dependencies
	// first: those the merge request changes and those its releases bump.
	Packages []PackageResult
	// Outside are the changed files that belong to no package: they carry
	// no impact.
	Outside []string
}

// OK reports whether the check passed.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// Run checks a merge request.
func Run(in Input) Result {
	var r Result
	found := impactLabels(in.Names, in.Labels)
	switch len(found) {
	case 0:
		r.Problems = append(r.Problems, fmt.Sprintf("no impact label: add exactly one of %s (breaking change), %s (new feature) or %s (fix), then re-run this check",
			in.Names.Major, in.Names.Minor, in.Names.Patch))
	case 1:
		r.Impact, _ = in.Names.FromLabels(in.Labels)
	default:
		r.Impact, _ = in.Names.FromLabels(in.Labels)
		r.Problems = append(r.Problems, fmt.Sprintf("more than one impact label (%s): keep only the one that says what this change is, then re-run this check",
			strings.Join(found, ", ")))
	}

	if in.Packages != nil {
		return runPackages(in, r)
	}
	line, err := version.LineFromBranch(in.Target, in.DefaultBranch, in.BranchPrefix)
	if errors.Is(err, version.ErrNotReleaseBranch) {
		r.NotReleaseBranch = true
		r.Notes = append(r.Notes, fmt.Sprintf("%s is not a release branch: merging it releases nothing by itself", in.Target))
		return r
	}
	r.Line = line
	if in.Releases != nil {
		if latest, ok := in.Releases.LatestIn(line); ok {
			r.Latest, r.LatestTag = latest.Version, latest.Tag
		}
		if in.Releases.NewestOfKind(line) {
			parent := in.DefaultBranch
			if line.Kind == version.MinorLine {
				parent = fmt.Sprintf("%s%d", in.BranchPrefix, line.Major)
			}
			r.Problems = append(r.Problems, fmt.Sprintf("%s is the newest line of its kind: a change merged there never reaches %s and blocks its later releases from bringing %s up. Target %s instead: its release brings %s up by itself",
				in.Target, parent, in.Target, parent, in.Target))
		}
	}
	if r.Impact == version.None && !in.Stable {
		return r
	}
	next, err := version.Next(version.Input{Line: line, Latest: r.Latest, Impact: r.Impact, Stable: in.Stable})
	if err != nil {
		r.Problems = append(r.Problems, strings.Replace(err.Error(), "revert it there and merge", "target", 1))
		return r
	}
	if in.Releases != nil && next.Released {
		r.Next = next.Next
	}
	return r
}

// impactLabels lists the distinct impact labels among labels, in the order
// major, minor, patch.
func impactLabels(names impact.Labels, labels []string) []string {
	var out []string
	for _, n := range []string{names.Major, names.Minor, names.Patch} {
		for _, l := range labels {
			if strings.EqualFold(l, n) {
				out = append(out, n)
				break
			}
		}
	}
	return out
}
