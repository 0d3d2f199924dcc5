package tagstep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/version"
	"github.com/relman-dev/relman/internal/versionfile"
)

// Package is one package of a repository of packages, as the tag step
// releases it: its paths, its tags, its dependencies and its files.
type Package struct {
	Name  string
	Paths []string // slash-separated, relative to the root
	Tags  version.TagScheme
	// DependsOn names the packages it depends on; they come before it in
	// PackagesOptions.Packages.
	DependsOn []string
	// DependencyBump is the impact a release of a dependency gives it.
	DependencyBump version.Impact
	// Stable releases it as 1.0.0 while it is on 0.x, changes or not.
	Stable bool
	// SetVersion returns the edits that make its own version files say v
	// (nil: it has none). when is the release commit's time.
	SetVersion func(files versionfile.Files, v string, when time.Time) ([]versionfile.Change, error)
	// SetDependencies returns the edits that point its manifests at the
	// new versions of its dependencies released in this pipeline (name →
	// version); nil: it has none.
	SetDependencies func(files versionfile.Files, released map[string]string) ([]versionfile.Change, error)
}

// owns reports whether a path (a file, or a directory ChangedUnder stopped
// at) belongs to the package.
func (p *Package) owns(file string) bool {
	for _, d := range p.Paths {
		if file == d || strings.HasPrefix(file, d+"/") {
			return true
		}
	}
	return false
}

// PackagesOptions configure the tag step of a repository of packages. The
// fields of Options mean what they mean for one package; Tags and
// BuildSystem are per package here.
type PackagesOptions struct {
	Options
	// Packages, dependencies first.
	Packages []Package
	// Author and Committer sign the release commit.
	Author, Committer func() object.Signature
	// ConfigFiles are the files the packages are declared in
	// (relman-packages.yml, sfdx-project.json...): an earlier pipeline
	// bounds the changes only where they were the same (see
	// lastPipeline).
	ConfigFiles []string
}

// PackageResult is what the step did with one package: a Result as the
// single-package step has it (Released, Version, Tag, Previous, Changes,
// Notes, Existing, ...), and why it was released.
type PackageResult struct {
	Name string
	*Result
	// BumpedBy lists the dependencies whose release raised its impact.
	BumpedBy []string
}

// PackagesResult is what the step did (or, in a dry run, would do).
type PackagesResult struct {
	Released         bool
	DryRun           bool
	Line             version.Line
	Branch           string
	Source           plumbing.Hash // the pipeline commit
	Commit           plumbing.Hash // the release commit, when one was made; else Source
	Packages         []*PackageResult
	Changes          []Change // every change that touched a package examined, with its packages
	Outside          []Change // changes that touched no package
	Unattributed     []Change // first-parent commits that belong to no merge request
	Tags             []string // the tags made (with DryRun: that would be made)
	Impact           version.Impact
	Reason           string
	NotReleaseBranch bool
}

// ReleasedPackages lists the packages this run released.
func (r *PackagesResult) ReleasedPackages() []*PackageResult {
	var out []*PackageResult
	for _, p := range r.Packages {
		if p.Released {
			out = append(out, p)
		}
	}
	return out
}

// ErrPackageBranch is wrapped when a release branch does not name a package.
var ErrPackageBranch = errors.New("not a package's release branch")

// RunPackages performs the tag step of a repository of packages: each
// package with changes since its own latest release (or whose dependency
// is released) gets its next version and its tag, and every tag is pushed
// in one atomic push.
func RunPackages(ctx context.Context, o PackagesOptions) (*PackagesResult, error) {
	if err := checkShallow(o.Repo); err != nil {
		return nil, err
	}
	line, only, err := packageLine(o)
	if errors.Is(err, version.ErrNotReleaseBranch) {
		o.Log.Noticef("%s: nothing to release", err)
		return &PackagesResult{Branch: o.Branch, Source: o.Commit, Commit: o.Commit, NotReleaseBranch: true,
			Reason: fmt.Sprintf("%s is not a release branch", o.Branch)}, nil
	}
	if err != nil {
		return nil, err
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		res, err := packagesOnce(ctx, o, line, only)
		if !errors.Is(err, errRetry) {
			return res, err
		}
		if attempt == attempts {
			return nil, fmt.Errorf("%w: the remote's release tags changed %d times while this job ran; re-run the job", ErrRace, attempts)
		}
		o.Log.Infof("the remote has release tags this clone did not: fetched them, computing again")
	}
}

func checkShallow(repo *gitrepo.Repo) error {
	if shallow, err := repo.Shallow(); err != nil {
		return err
	} else if shallow {
		return fmt.Errorf("%w: relman needs the full history and every tag to find the latest release; "+
			"set fetch-depth: 0 in actions/checkout (GitHub) or the variable GIT_DEPTH: 0 (GitLab), "+
			"or run git fetch --unshallow --tags", gitrepo.ErrShallow)
	}
	return nil
}

// packageLine is the release line of the branch: the main line for every
// package on the default branch; on release/PACKAGE/N or
// release/PACKAGE/N.M that package's line (only names it).
func packageLine(o PackagesOptions) (line version.Line, only string, err error) {
	if o.Branch == o.DefaultBranch {
		return version.Line{Kind: version.MainLine}, "", nil
	}
	rest, ok := strings.CutPrefix(o.Branch, o.BranchPrefix)
	if !ok || o.BranchPrefix == "" {
		_, err := version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix)
		return version.Line{}, "", err
	}
	best := ""
	for _, p := range o.Packages {
		if strings.HasPrefix(rest, p.Name+"/") && len(p.Name) > len(best) {
			best = p.Name
		}
	}
	if best != "" {
		l, err := version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix+best+"/")
		if err != nil {
			return version.Line{}, "", fmt.Errorf("%w; the release branches of package %s are %s%s/N and %s%s/N.M", err, best, o.BranchPrefix, best, o.BranchPrefix, best)
		}
		return l, best, nil
	}
	if _, err := version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix); err == nil {
		return version.Line{}, "", fmt.Errorf("%w: %s names no package; in a repository of packages each package has its own release lines, %sPACKAGE/N and %sPACKAGE/N.M (e.g. %s%s/1), because the packages' versions differ",
			ErrPackageBranch, o.Branch, o.BranchPrefix, o.BranchPrefix, o.BranchPrefix, o.Packages[0].Name)
	}
	_, err = version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix)
	return version.Line{}, "", err
}

// pkgState is one package during a run.
type pkgState struct {
	pkg       *Package
	res       *PackageResult
	rel       releaseSet
	latest    release
	hasLatest bool
	latestAt  plumbing.Hash // the commit the latest release points at
	candidate bool          // its files differ from its latest release's
	own       version.Impact
}

func packagesOnce(ctx context.Context, o PackagesOptions, line version.Line, only string) (*PackagesResult, error) {
	out := &PackagesResult{Line: line, Branch: o.Branch, Source: o.Commit, Commit: o.Commit, DryRun: o.DryRun}
	tags, err := o.Repo.Tags()
	if err != nil {
		return nil, err
	}
	ix := newTagIndex(tags)
	var states []*pkgState
	byName := map[string]*pkgState{}
	for i := range o.Packages {
		p := &o.Packages[i]
		if only != "" && p.Name != only {
			continue
		}
		st := &pkgState{pkg: p, rel: ix.releases(p.Tags)}
		st.res = &PackageResult{Name: p.Name, Result: &Result{Line: line, Branch: o.Branch, Source: o.Commit, DryRun: o.DryRun}}
		if st.latest, st.hasLatest = st.rel.latestIn(line); st.hasLatest {
			st.res.Previous, st.res.PreviousTag = st.latest.v, st.latest.tag.Name
			if st.latestAt, err = o.Repo.PeelCommit(st.latest.tag); err != nil {
				return nil, err
			}
		}
		states = append(states, st)
		byName[p.Name] = st
		out.Packages = append(out.Packages, st.res)
	}

	// A package whose latest release is of this very commit is done (a
	// re-run), unless the stable-release switch turns its 0.x into 1.0.0.
	// A package whose files are those of its latest release has nothing
	// new: only the others are examined further.
	for _, st := range states {
		if st.hasLatest {
			same, err := sameReleaseCommit(o.Repo, st.latestAt, o.Commit)
			if err != nil {
				return nil, err
			}
			if same && !(st.pkg.Stable && st.latest.v.Major() == 0) {
				st.res.Existing, st.res.ExistingTag, st.res.Commit = true, st.latest.tag.Name, st.latestAt
				st.res.Reason = fmt.Sprintf("%s already points at this release: nothing to do", st.latest.tag.Name)
				st.res.Latest = st.rel.highest(st.latest.v)
				if p, err := o.Repo.Peel(st.latest.tag); err == nil && p.Annotated {
					st.res.ExistingNotes = p.Message
				}
				continue
			}
		}
		changed, err := changedSince(o.Repo, st, o.Commit)
		if err != nil {
			return nil, err
		}
		st.candidate = changed
		if !changed {
			st.res.Reason = fmt.Sprintf("the files of %s are those of %s", st.pkg.Name, st.latest.tag.Name)
		}
	}

	var bound plumbing.Hash
	if only == "" {
		if bound, err = lastPipeline(ctx, o, states); err != nil {
			return nil, err
		}
	}
	if err := collectPackageChanges(ctx, o, out, states, bound); err != nil {
		return nil, err
	}

	// Versions, dependencies first: a release of a dependency bumps the
	// packages that use it by their dependency-bump (never a major).
	var problems []string
	for _, st := range states {
		if st.res.Existing {
			continue
		}
		imp := st.own
		var releasedDeps []string
		for _, d := range st.pkg.DependsOn {
			if ds, ok := byName[d]; ok && ds.res.Released && st.pkg.DependencyBump != version.None {
				releasedDeps = append(releasedDeps, d)
			}
		}
		// BumpedBy: the dependencies, when their release decides the
		// impact (it is above the package's own).
		if bump := min(st.pkg.DependencyBump, version.Minor); len(releasedDeps) > 0 && bump > imp {
			st.res.BumpedBy, imp = releasedDeps, bump
		}
		st.res.Impact = imp
		stable := st.pkg.Stable || (o.Stable && imp > version.None)
		var prev *semver.Version
		if st.hasLatest {
			prev = st.latest.v
		}
		next, err := version.Next(version.Input{Line: line, Latest: prev, Impact: imp, Stable: stable, NewestOfKind: st.rel.newestOfKind(line)})
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", st.pkg.Name, err))
			continue
		}
		for _, w := range next.Warnings {
			o.Log.Warningf("%s: %s", st.pkg.Name, w)
		}
		if !next.Released {
			if st.res.Reason == "" {
				st.res.Reason = next.Reason
			}
			continue
		}
		st.res.Released, st.res.Version = true, next.Next
		if st.res.Previous == nil {
			st.res.Previous = next.Base
		}
		st.res.Latest = st.rel.highest(next.Next)
		st.res.Tag = st.pkg.Tags.Follow(st.res.PreviousTag).Name(next.Next)
		switch {
		case len(st.res.BumpedBy) > 0 && st.own == version.None:
			var deps []string
			for _, d := range st.res.BumpedBy {
				deps = append(deps, d+" "+byName[d].res.Version.String())
			}
			st.res.Reason = fmt.Sprintf("a %s release for its dependencies released: %s", imp, strings.Join(deps, ", "))
		default:
			st.res.Reason = next.Reason
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s; nothing was tagged", version.ErrLineViolation, strings.Join(problems, "; "))
	}
	released := out.ReleasedPackages()
	for _, p := range released {
		out.Impact = max(out.Impact, p.Impact)
	}
	if len(released) == 0 {
		out.Reason = "no package has changes since its latest release"
		if len(out.Packages) > 0 && anyExisting(out.Packages) {
			out.Reason = "every package released from this commit is released already: nothing to do"
		}
		o.Log.Infof("nothing to release: %s", out.Reason)
		return out, nil
	}

	if o.DryRun {
		if err := checkRemote(ctx, o.Options, tags, o.isRelease); err != nil {
			return nil, err
		}
	}
	if err := releaseCommit(o, out, states); err != nil {
		return nil, err
	}
	for _, p := range released {
		p.Notes = Notes(p.Result, o.Notes)
	}

	// A tag of that name must not exist on other content.
	for _, p := range released {
		t, exists := ix.refs[p.Tag] // the tags listed above: packed-refs is not read again
		if !exists {
			continue
		}
		pt, err := o.Repo.Peel(t)
		if err != nil {
			return nil, err
		}
		if same, err := sameReleaseCommit(o.Repo, pt.Commit, o.Commit); err != nil {
			return nil, err
		} else if !same {
			return nil, fmt.Errorf("%w: tag %s exists on commit %s, but this release of %s is %s; "+
				"if the tag is a mistake, delete it, else check why %s is not in this line's history",
				ErrTagConflict, p.Tag, short(pt.Commit), p.Name, short(o.Commit), p.Tag)
		}
	}
	for _, p := range released {
		out.Tags = append(out.Tags, p.Tag)
	}
	out.Released = true
	if o.DryRun {
		o.Log.Infof("dry run: would create tags %s and push them to %s in one push", strings.Join(out.Tags, ", "), o.Remote)
		return out, nil
	}

	for _, p := range released {
		if err := o.Repo.CreateTag(gitrepo.TagOptions{Name: p.Tag, Target: p.Commit, Message: p.Notes, Tagger: o.Tagger()}); err != nil {
			deleteTags(o, out.Tags)
			return nil, err
		}
	}
	pushed, err := o.Repo.PushTagsChecked(ctx, o.Remote, o.Auth, out.Tags, func(remote map[string]plumbing.Hash) error {
		return remoteAhead(tags, remote, o.isRelease)
	})
	if err != nil {
		// Nothing may stay half-done: the tags exist only with their push.
		deleteTags(o, out.Tags)
		var ahead *remoteAheadError
		if errors.Is(err, gitrepo.ErrRejected) || errors.As(err, &ahead) {
			if ferr := o.Repo.FetchTags(ctx, o.Remote, o.Auth); ferr != nil {
				return nil, fmt.Errorf("%w; then %w", err, ferr)
			}
			return nil, errRetry
		}
		return nil, err
	}
	if !pushed {
		// The remote had these very tag objects: another pipeline made
		// the same releases in the same second.
		for _, p := range released {
			p.Released, p.Existing, p.ExistingTag = false, true, p.Tag
		}
		out.Released, out.Tags = false, nil
		out.Reason = "another pipeline pushed these very tags: nothing to do"
		return out, nil
	}
	o.Log.Infof("created tags %s and pushed them to %s in one push", strings.Join(out.Tags, ", "), o.Remote)
	return out, nil
}

// forcedStable: the package's own stable-release setting makes it 1.0.0
// while it is on 0.x, with or without changes.
func (st *pkgState) forcedStable() bool {
	return st.pkg.Stable && !st.res.Existing && (!st.hasLatest || st.latest.v.Major() == 0)
}

// anyExisting: some package is released from this commit already.
func anyExisting(ps []*PackageResult) bool {
	for _, p := range ps {
		if p.Existing {
			return true
		}
	}
	return false
}

func deleteTags(o PackagesOptions, names []string) {
	for _, n := range names {
		if err := o.Repo.DeleteLocalTag(n); err != nil && !errors.Is(err, plumbing.ErrReferenceNotFound) {
			o.Log.Warningf("%v", err)
		}
	}
}

// sameReleaseCommit reports whether a release tagged at tagged is of the
// pipeline commit source: the commit itself, or relman's release commit
// on it (one parent, source, and the release trailer).
func sameReleaseCommit(repo *gitrepo.Repo, tagged, source plumbing.Hash) (bool, error) {
	if tagged == source {
		return true, nil
	}
	c, err := repo.Commit(tagged)
	if err != nil {
		return false, err
	}
	return isReleaseCommit(c) && c.ParentHashes[0] == source, nil
}

// isReleaseCommit: c is relman's release commit, on one parent.
func isReleaseCommit(c *object.Commit) bool {
	return len(c.ParentHashes) == 1 && strings.Contains(c.Message, "\n"+ReleaseTrailer+": ")
}

// changedSince reports whether the package's files at head differ from its
// latest release's (and, for a release on relman's release commit, from
// that commit's parent's, where its version edits are not). Without a
// release, every package is new.
func changedSince(repo *gitrepo.Repo, st *pkgState, head plumbing.Hash) (bool, error) {
	if !st.hasLatest {
		return true, nil
	}
	bases := []plumbing.Hash{st.latestAt}
	if c, err := repo.Commit(st.latestAt); err == nil && isReleaseCommit(c) {
		bases = append(bases, c.ParentHashes[0])
	}
	for _, base := range bases {
		same := true
		for _, p := range st.pkg.Paths {
			a, okA, err := repo.PathHash(head, p)
			if err != nil {
				return false, err
			}
			b, okB, err := repo.PathHash(base, p)
			if err != nil {
				return false, err
			}
			if okA != okB || a != b {
				same = false
				break
			}
		}
		if same {
			return false, nil
		}
	}
	return true, nil
}

// pipelineSearch bounds the first-parent commits lastPipeline reads.
const pipelineSearch = 1000

// lastPipeline is the newest commit of the branch's first-parent chain
// (the pipeline commit itself included) from which an earlier pipeline of
// this branch released packages: the commit of a package's latest release,
// or the parent of relman's release commit it points at. That pipeline
// examined every package of the same package config, and released each
// that had a change with an impact: the changes before it are spent, for
// released packages and for the others alike. So each package's changes
// are read only since then (as well as since its own latest release), and
// a package whose files only chores changed since its release long ago
// does not cost its whole history at every pipeline. A pipeline that
// failed (an unlabeled merge request) left no tag, so it bounds nothing.
// ZeroHash when there is none, or when the package config differs there.
func lastPipeline(ctx context.Context, o PackagesOptions, states []*pkgState) (plumbing.Hash, error) {
	released := map[plumbing.Hash]bool{}
	for _, st := range states {
		if !st.hasLatest {
			continue
		}
		released[st.latestAt] = true
		if c, err := o.Repo.Commit(st.latestAt); err == nil && isReleaseCommit(c) {
			released[c.ParentHashes[0]] = true
		}
	}
	if len(released) == 0 {
		return plumbing.ZeroHash, nil
	}
	h := o.Commit
	for range pipelineSearch {
		if err := ctx.Err(); err != nil {
			return plumbing.ZeroHash, err
		}
		if released[h] {
			break
		}
		c, err := o.Repo.Commit(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if len(c.ParentHashes) == 0 {
			return plumbing.ZeroHash, nil
		}
		h = c.ParentHashes[0]
	}
	if !released[h] {
		return plumbing.ZeroHash, nil
	}
	for _, f := range o.ConfigFiles {
		a, okA, err := o.Repo.PathHash(o.Commit, f)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		b, okB, err := o.Repo.PathHash(h, f)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if okA != okB || a != b {
			o.Log.Infof("%s changed since the pipeline of %s: every package's changes are read since its own latest release", f, short(h))
			return plumbing.ZeroHash, nil
		}
	}
	if len(o.ConfigFiles) == 0 {
		return plumbing.ZeroHash, nil
	}
	return h, nil
}

// group is the packages whose releases bound their changes alike: one walk.
type group struct {
	states []*pkgState
	rg     *gitrepo.Range
}

// collectPackageChanges finds each examined package's changes and impact:
// one walk per set of release commits (packages released together share
// one), one forge listing, and for each change the packages its diff
// against its first parent touches.
func collectPackageChanges(ctx context.Context, o PackagesOptions, out *PackagesResult, states []*pkgState, bound plumbing.Hash) error {
	groups := map[string]*group{}
	var keys []string
	for _, st := range states {
		if !st.candidate && !st.forcedStable() {
			continue
		}
		var exclude []plumbing.Hash
		for _, r := range st.rel.in(out.Line) {
			c, err := o.Repo.PeelCommit(r.tag)
			if err != nil {
				return err
			}
			exclude = append(exclude, c)
		}
		if !bound.IsZero() && st.hasLatest {
			// A package without a release yet may be new since that
			// pipeline: its changes are read from the beginning.
			exclude = append(exclude, bound)
		}
		key := hashKey(exclude)
		g, ok := groups[key]
		if !ok {
			rg, err := o.Repo.Walk(ctx, o.Commit, exclude...)
			if err != nil {
				if errors.Is(err, gitrepo.ErrShallow) {
					return fmt.Errorf("%w; set fetch-depth: 0 in actions/checkout (GitHub) or GIT_DEPTH: 0 (GitLab)", err)
				}
				return fmt.Errorf("collect the commits of %s since %s: %w", st.pkg.Name, orNone(st.res.PreviousTag), err)
			}
			g = &group{rg: rg}
			groups[key] = g
			keys = append(keys, key)
		}
		g.states = append(g.states, st)
		o.Log.Infof("%s: latest release %s, %d commits since", st.pkg.Name, orNone(st.res.PreviousTag), len(g.rg.Commits))
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	t := newToucher(o.Repo, o.Packages)

	// The changes of every walk, once each: a merge request (or commit)
	// new for several packages is one change.
	type found struct {
		ch   *Change
		pkgs map[string]bool // the packages it is new for and touches
	}
	var all []*found
	byCommit := map[string]*found{}
	add := func(ch Change, st *pkgState) {
		f, ok := byCommit[ch.Commit]
		if !ok {
			c := ch
			f = &found{ch: &c, pkgs: map[string]bool{}}
			byCommit[ch.Commit] = f
			all = append(all, f)
		}
		f.pkgs[st.pkg.Name] = true
	}
	var outside []Change
	outsideSeen := map[string]bool{}
	noteOutside := func(ch Change, paths []string) {
		if outsideSeen[ch.Commit] {
			return
		}
		outsideSeen[ch.Commit] = true
		ch.Paths = paths
		outside = append(outside, ch)
	}

	switch o.Source {
	case FromCommits:
		for _, k := range keys {
			g := groups[k]
			for _, c := range g.rg.Commits {
				imp := impact.FromCommitMessage(c.Message)
				if imp == version.None {
					continue
				}
				touched, paths, err := t.touched(c)
				if err != nil {
					return err
				}
				title, _, _ := strings.Cut(c.Message, "\n")
				ch := Change{Kind: "commit", Title: strings.TrimSpace(title), Author: c.Author.Name, Commit: c.Hash.String(),
					Impact: imp.String(), impact: imp}
				if len(touched) == 0 {
					noteOutside(ch, paths)
					continue
				}
				for _, st := range g.states {
					if touched[st.pkg.Name] {
						add(ch, st)
					}
				}
			}
		}
	default:
		if o.Forge == nil {
			return errors.New("impact from labels needs a forge: set --token (or RELMAN_TOKEN) and --forge, or use --impact-from commits")
		}
		var from time.Time
		for _, k := range keys {
			if s := since(groups[k].rg); !s.IsZero() && (from.IsZero() || s.Before(from)) {
				from = s
			}
		}
		mrs, err := o.Forge.MergedSince(ctx, forge.Query{TargetBranch: o.Branch, Since: from})
		if err != nil {
			return fmt.Errorf("list merge requests merged into %s: %w", o.Branch, err)
		}
		landed := map[string]bool{}
		var unlabeled []string
		seenUnlabeled, warned := map[int]bool{}, map[int]bool{}
		for _, k := range keys {
			g := groups[k]
			inRange := make(map[string]*object.Commit, len(g.rg.Commits))
			for _, c := range g.rg.Commits {
				inRange[c.Hash.String()] = c
			}
			seen := map[int]bool{}
			for _, mr := range mrs {
				lc := mr.LandedCommit()
				c := inRange[lc]
				if c == nil || seen[mr.Number] {
					continue
				}
				seen[mr.Number] = true
				landed[lc] = true
				touched, paths, err := t.touched(c)
				if err != nil {
					return err
				}
				imp, conflict := o.Labels.FromLabels(mr.Labels)
				ch := Change{Kind: "merge-request", Number: mr.Number, Title: mr.Title, URL: mr.URL, Author: mr.Author,
					Commit: lc, Impact: imp.String(), Labels: mr.Labels, impact: imp, conflict: conflict}
				if len(touched) == 0 {
					noteOutside(ch, paths)
					continue
				}
				var mine []string
				for _, st := range g.states {
					if touched[st.pkg.Name] {
						mine = append(mine, st.pkg.Name)
					}
				}
				if len(mine) == 0 {
					continue
				}
				if imp == version.None {
					if !seenUnlabeled[mr.Number] {
						seenUnlabeled[mr.Number] = true
						unlabeled = append(unlabeled, fmt.Sprintf("\n  - #%d %s %s (touches %s)", mr.Number, mr.Title, mr.URL, strings.Join(sortedKeys(touched), ", ")))
					}
					continue
				}
				if conflict && !warned[mr.Number] {
					warned[mr.Number] = true
					o.Log.Warningf("!%d %q has more than one impact label: using the highest, %s", mr.Number, mr.Title, imp)
				}
				for _, st := range g.states {
					if touched[st.pkg.Name] {
						add(ch, st)
					}
				}
			}
		}
		if len(unlabeled) > 0 {
			return fmt.Errorf("%w: %d merged since the latest releases of the packages they touch have no impact label (%s, %s or %s):%s\n"+
				"add the label to each, then re-run this job; nothing was tagged",
				ErrUnlabeled, len(unlabeled), o.Labels.Major, o.Labels.Minor, o.Labels.Patch, strings.Join(unlabeled, ""))
		}
		seenFP := map[string]bool{}
		for _, k := range keys {
			for _, c := range groups[k].rg.FirstParent {
				h := c.Hash.String()
				if landed[h] || seenFP[h] {
					continue
				}
				seenFP[h] = true
				title, _, _ := strings.Cut(c.Message, "\n")
				out.Unattributed = append(out.Unattributed, Change{Kind: "commit", Title: strings.TrimSpace(title), Author: c.Author.Name,
					Commit: h, Impact: version.None.String()})
			}
		}
		if len(out.Unattributed) > 0 {
			o.Log.Noticef("%d commits since the latest releases belong to no merge request and carry no impact: %s",
				len(out.Unattributed), listCommits(out.Unattributed, 5))
		}
	}
	if len(outside) > 0 {
		o.Log.Noticef("%d changes touch no package and carry no impact: %s", len(outside), listCommits(outside, 5))
	}
	out.Outside = outside

	byName := map[string]*pkgState{}
	for _, st := range states {
		byName[st.pkg.Name] = st
	}
	for _, f := range all {
		var names []string
		for _, p := range o.Packages { // in package order
			if f.pkgs[p.Name] {
				names = append(names, p.Name)
			}
		}
		f.ch.Packages = names
		for _, n := range names {
			st := byName[n]
			ch := *f.ch
			st.res.Changes = append(st.res.Changes, ch)
			st.own = max(st.own, ch.impact)
		}
		out.Changes = append(out.Changes, *f.ch)
	}
	for _, st := range states {
		if st.candidate && len(st.res.Changes) == 0 && st.res.Reason == "" {
			st.res.Reason = fmt.Sprintf("no change since %s touches %s", orNone(st.res.PreviousTag), strings.Join(st.pkg.Paths, ", "))
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hashKey(hs []plumbing.Hash) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	sort.Strings(s)
	return strings.Join(slices.Compact(s), ",")
}

// toucher finds the packages a commit touches: its diff against its first
// parent, read down to the packages' paths only, remembered per commit.
type toucher struct {
	repo  *gitrepo.Repo
	pkgs  []Package
	paths []string // every package path
	memo  map[plumbing.Hash]touch
}

type touch struct {
	pkgs    map[string]bool
	outside []string
}

func newToucher(repo *gitrepo.Repo, pkgs []Package) *toucher {
	t := &toucher{repo: repo, pkgs: pkgs, memo: map[plumbing.Hash]touch{}}
	for _, p := range pkgs {
		t.paths = append(t.paths, p.Paths...)
	}
	return t
}

// outsideLimit caps the paths outside every package listed per change.
const outsideLimit = 20

func (t *toucher) touched(c *object.Commit) (map[string]bool, []string, error) {
	if m, ok := t.memo[c.Hash]; ok {
		return m.pkgs, m.outside, nil
	}
	parent := plumbing.ZeroHash
	if len(c.ParentHashes) > 0 {
		parent = c.ParentHashes[0]
	}
	paths, err := t.repo.ChangedUnder(parent, c.Hash, t.stop)
	if err != nil {
		return nil, nil, err
	}
	m := touch{pkgs: map[string]bool{}}
	for _, p := range paths {
		owned := false
		for i := range t.pkgs {
			if t.pkgs[i].owns(p) {
				m.pkgs[t.pkgs[i].Name] = true
				owned = true
			}
		}
		if !owned && len(m.outside) < outsideLimit {
			m.outside = append(m.outside, p)
		}
	}
	t.memo[c.Hash] = m
	return m.pkgs, m.outside, nil
}

// stop: a directory inside a package with no other package's path below
// it is as far as the diff needs to read.
func (t *toucher) stop(dir string) bool {
	inside := false
	for _, p := range t.paths {
		if strings.HasPrefix(p, dir+"/") {
			return false
		}
		if dir == p || strings.HasPrefix(dir, p+"/") {
			inside = true
		}
	}
	return inside
}

// overlayFiles reads edited files first, then the tree.
type overlayFiles struct {
	base    versionfile.Files
	changed map[string][]byte
}

func (f overlayFiles) ReadFile(p string) ([]byte, error) {
	if b, ok := f.changed[p]; ok {
		return slices.Clone(b), nil
	}
	return f.base.ReadFile(p)
}

// ReadDir lists the tree's directory: edits change files, they add none.
func (f overlayFiles) ReadDir(dir string) ([]string, error) {
	if d, ok := f.base.(interface {
		ReadDir(string) ([]string, error)
	}); ok {
		return d.ReadDir(dir)
	}
	return nil, fmt.Errorf("list %s: not a tree", dir)
}

// releaseCommit writes every released package's version and dependency
// edits into one commit on a detached HEAD whose parent is the pipeline
// commit (nothing in a dry run), and points each package at what it is
// released from: that commit for the packages whose files it changes, the
// pipeline commit for the others.
func releaseCommit(o PackagesOptions, out *PackagesResult, states []*pkgState) error {
	released := map[string]string{}
	var todo []*pkgState
	for _, st := range states {
		if st.res.Released {
			released[st.pkg.Name] = st.res.Version.String()
			todo = append(todo, st)
			st.res.Commit = o.Commit
		}
	}
	base, err := o.Repo.Files(o.Commit)
	if err != nil {
		return err
	}
	author := callOr(o.Author, o.Tagger())
	files := overlayFiles{base: base, changed: map[string][]byte{}}
	var order []string
	edited := map[string]bool{} // packages whose files the commit changes
	record := func(st *pkgState, cs []versionfile.Change) {
		for _, c := range cs {
			if _, ok := files.changed[c.Path]; !ok {
				order = append(order, c.Path)
			}
			files.changed[c.Path] = c.New
			edited[st.pkg.Name] = true
		}
	}
	for _, st := range todo {
		if st.pkg.SetVersion != nil {
			cs, err := st.pkg.SetVersion(files, st.res.Version.String(), author.When)
			if err != nil {
				return fmt.Errorf("set the version of %s to %s: %w", st.pkg.Name, st.res.Version, err)
			}
			record(st, cs)
		}
		if st.pkg.SetDependencies != nil {
			deps := map[string]string{}
			for _, d := range st.pkg.DependsOn {
				if v, ok := released[d]; ok {
					deps[d] = v
				}
			}
			if len(deps) > 0 {
				cs, err := st.pkg.SetDependencies(files, deps)
				if err != nil {
					return fmt.Errorf("set the versions of the dependencies of %s: %w", st.pkg.Name, err)
				}
				record(st, cs)
			}
		}
	}
	if len(order) == 0 {
		return nil
	}
	// Files whose edits end where they started change nothing.
	write := map[string][]byte{}
	var paths []string
	for _, p := range order {
		old, err := base.ReadFile(p)
		if err == nil && string(old) == string(files.changed[p]) {
			continue
		}
		write[p] = files.changed[p]
		paths = append(paths, p)
	}
	if len(write) == 0 {
		return nil
	}
	var names, trailers []string
	for _, st := range todo {
		names = append(names, st.pkg.Name+" "+st.res.Version.String())
		trailers = append(trailers, fmt.Sprintf("%s: %s %s", ReleaseTrailer, st.pkg.Name, st.res.Version))
	}
	if o.DryRun {
		o.Log.Infof("dry run: would commit %v on a detached commit whose parent is %s", paths, short(o.Commit))
		for _, st := range todo {
			if edited[st.pkg.Name] {
				st.res.Commit = plumbing.ZeroHash
			}
		}
		out.Commit = plumbing.ZeroHash
		return nil
	}
	h, err := o.Repo.CommitFiles(gitrepo.CommitOptions{
		Parent:    o.Commit,
		Files:     write,
		Message:   fmt.Sprintf("Release %s [skip ci]\n\n%s\n", strings.Join(names, ", "), strings.Join(trailers, "\n")),
		Author:    author,
		Committer: callOr(o.Committer, author),
	})
	if err != nil {
		return err
	}
	o.Log.Infof("committed %v on detached commit %s (parent %s)", paths, short(h), short(o.Commit))
	for _, st := range todo {
		if edited[st.pkg.Name] {
			st.res.Commit = h
		}
	}
	out.Commit = h
	return nil
}

// isRelease says whether a tag is a release tag of any package.
func (o PackagesOptions) isRelease(name string) bool {
	for _, p := range o.Packages {
		if _, ok := p.Tags.Parse(name); ok {
			return true
		}
	}
	return false
}
