package check

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/relman-dev/relman/internal/packages"
	"github.com/relman-dev/relman/internal/version"
)

// Packages is what a check of a repository of packages needs besides the
// labels and branches: the packages, the files the merge request changes
// and the repository's tags.
type Packages struct {
	Config *packages.Config
	// Changed are the files the merge request changes: the diff of its
	// commit against the merge base with the target branch.
	Changed []string
	// Tags are the names of the repository's tags; each package reads its
	// own releases among them.
	Tags []string
}

// PackageResult is what merging the merge request does to one package.
type PackageResult struct {
	Name string
	// Touched: the merge request changes files of the package.
	Touched bool
	// Impact is the package's impact: the merge request's for a touched
	// package, else (or when higher) its dependency-bump.
	Impact version.Impact
	// BumpedBy lists the dependencies whose release decides Impact (empty
	// when the merge request's own impact does).
	BumpedBy  []string
	Latest    *semver.Version // the package's latest release in the line; nil when none
	LatestTag string
	Next      *semver.Version // the version merging now releases; nil when none
	NextTag   string
}

// Released reports whether merging now releases the package.
func (p PackageResult) Released() bool { return p.Next != nil }

// PackageBranch reads a release branch of one package, PREFIX<name>/N or
// PREFIX<name>/N.M; ok is false for any other branch. When names overlap
// (a and a/b), the longest that matches wins.
func PackageBranch(branch, prefix string, cfg *packages.Config) (name string, line version.Line, ok bool) {
	rest, found := strings.CutPrefix(branch, prefix)
	if prefix == "" || !found {
		return "", version.Line{}, false
	}
	for _, p := range cfg.Packages {
		tail, match := strings.CutPrefix(rest, p.Name+"/")
		if !match || len(p.Name) <= len(name) {
			continue
		}
		l, err := version.LineFromBranch(prefix+tail, "", prefix)
		if err != nil {
			continue
		}
		name, line, ok = p.Name, l, true
	}
	return name, line, ok
}

// runPackages is Run for a repository of packages, after the labels.
func runPackages(in Input, r Result) Result {
	cfg := in.Packages.Config
	r.PackageMode = true

	// Which release line, and which packages it releases.
	scope := ""
	switch name, line, ok := PackageBranch(in.Target, in.BranchPrefix, cfg); {
	case in.Target != "" && in.Target == in.DefaultBranch:
		r.Line = version.Line{Kind: version.MainLine}
	case ok:
		r.Line, scope = line, name
	default:
		if _, err := version.LineFromBranch(in.Target, in.DefaultBranch, in.BranchPrefix); err == nil {
			example := cfg.Packages[0].Name
			rest := strings.TrimPrefix(in.Target, in.BranchPrefix)
			r.Problems = append(r.Problems, fmt.Sprintf("%s is a release branch of the whole repository, but its packages (%s in %s) are released each on its own: target %s%s/%s (the release branch of one package) or %s instead",
				in.Target, strings.Join(cfg.Names(), ", "), cfg.File, in.BranchPrefix, example, rest, in.DefaultBranch))
			return r
		}
		r.NotReleaseBranch = true
		r.Notes = append(r.Notes, fmt.Sprintf("%s is not a release branch: merging it releases nothing by itself (releases come from %s and %s<package>/N branches)", in.Target, in.DefaultBranch, in.BranchPrefix))
		return r
	}

	// The packages the merge request touches, and the files outside them.
	touched := map[string]bool{}
	for _, f := range in.Packages.Changed {
		owners := cfg.Owners(f)
		if len(owners) == 0 {
			r.Outside = append(r.Outside, f)
		}
		for _, o := range owners {
			touched[o] = true
		}
	}
	if scope != "" {
		var others []string
		for _, p := range cfg.Packages {
			if touched[p.Name] && p.Name != scope {
				others = append(others, p.Name)
			}
		}
		if len(others) > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%s releases %s only: the changes to %s are not released from this branch", in.Target, scope, strings.Join(others, ", ")))
		}
	}
	inScope := func(name string) bool { return scope == "" || name == scope }
	some := false
	for name := range touched {
		if inScope(name) {
			some = true
		}
	}
	if !some {
		what := "no package"
		if scope != "" {
			what = "no file of " + scope
		}
		r.Notes = append(r.Notes, fmt.Sprintf("this merge request touches %s (%s): merging it releases nothing", what, cfg.File))
		return r
	}

	// Impacts: the merge request's for the packages it touches, then the
	// dependency bumps, dependencies first (the config's order).
	released := map[string]bool{}
	for _, p := range cfg.Packages {
		if !inScope(p.Name) {
			continue
		}
		pr := PackageResult{Name: p.Name, Touched: touched[p.Name]}
		if pr.Touched {
			pr.Impact = r.Impact
		}
		if scope == "" && p.DependencyBump != version.None {
			var by []string
			for _, d := range p.DependsOn {
				if released[d] {
					by = append(by, d)
				}
			}
			sort.Strings(by)
			if len(by) > 0 && p.DependencyBump > pr.Impact {
				pr.Impact, pr.BumpedBy = p.DependencyBump, by
			}
		}
		if !pr.Touched && pr.Impact == version.None {
			continue
		}
		rs := p.Tags().Releases(in.Packages.Tags)
		if latest, ok := rs.LatestIn(r.Line); ok {
			pr.Latest, pr.LatestTag = latest.Version, latest.Tag
		}
		if scope != "" && rs.NewestOfKind(r.Line) {
			parent := in.DefaultBranch
			if r.Line.Kind == version.MinorLine {
				parent = fmt.Sprintf("%s%s/%d", in.BranchPrefix, p.Name, r.Line.Major)
			}
			r.Problems = append(r.Problems, fmt.Sprintf("%s is the newest line of %s: a change merged there never reaches %s and blocks its later releases from bringing %s up. Target %s instead: its release brings %s up by itself",
				in.Target, p.Name, parent, in.Target, parent, in.Target))
		}
		if pr.Impact == version.None {
			r.Packages = append(r.Packages, pr) // touched, with no impact label
			continue
		}
		stable := in.Stable || p.Stable
		next, err := version.Next(version.Input{Line: r.Line, Latest: pr.Latest, Impact: pr.Impact, Stable: stable})
		if err != nil {
			r.Problems = append(r.Problems, lineProblem(in, p.Name, r.Line, pr.Impact, stable, err))
			r.Packages = append(r.Packages, pr)
			continue
		}
		if next.Released {
			pr.Next = next.Next
			pr.NextTag = p.Tags().Follow(pr.LatestTag).Name(next.Next)
			released[p.Name] = true
		}
		r.Packages = append(r.Packages, pr)
	}
	return r
}

// lineProblem says why a package's release does not fit the line of its
// release branch, and where to merge instead.
func lineProblem(in Input, name string, line version.Line, impact version.Impact, stable bool, err error) string {
	if !errors.Is(err, version.ErrLineViolation) {
		return name + ": " + err.Error()
	}
	switch {
	case line.Kind == version.MinorLine && impact > version.Patch:
		return fmt.Sprintf("%s: a %s change on %s would leave %s's %s line: only patch changes can go into %s<package>/N.M branches. Target %s%s/%d or %s instead",
			name, impact, in.Target, name, line, in.BranchPrefix, in.BranchPrefix, name, line.Major, in.DefaultBranch)
	case impact == version.Major:
		return fmt.Sprintf("%s: a major change on %s would leave %s's %s line: major changes can only be released from the default branch. Target %s instead",
			name, in.Target, name, line, in.DefaultBranch)
	case stable:
		return fmt.Sprintf("%s: the stable release 1.0.0 cannot be made on %s: make it on %s", name, in.Target, in.DefaultBranch)
	}
	return name + ": " + err.Error()
}
