// Package tagstep is relman's tag step: find the latest release of the
// branch's line, collect the changes merged since, read their impact,
// compute the next version, create the annotated tag and push it.
package tagstep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/version"
)

// Source says where impacts come from.
type Source int

// Impact sources.
const (
	FromLabels  Source = iota // merge request labels through the forge API
	FromCommits               // commit messages
)

// Lister lists merged merge requests; forge clients implement it.
type Lister interface {
	MergedSince(ctx context.Context, q forge.Query) ([]forge.MergeRequest, error)
}

// BuildSystem decides what the release tag points at. The simple build
// system tags the pipeline commit; Maven and Python write a version commit.
type BuildSystem interface {
	// ReleaseCommit returns the commit to tag for version v built from
	// source: source itself, or a new commit whose parent is source.
	// With dryRun it must write nothing.
	ReleaseCommit(ctx context.Context, repo *gitrepo.Repo, source plumbing.Hash, v *semver.Version, dryRun bool) (plumbing.Hash, error)
	// SameRelease reports whether an existing tagged commit is this
	// release of source (for idempotent re-runs).
	SameRelease(repo *gitrepo.Repo, tagged, source plumbing.Hash) (bool, error)
}

// Simple is the build system that tags the pipeline commit itself.
type Simple struct{}

// ReleaseCommit returns source.
func (Simple) ReleaseCommit(_ context.Context, _ *gitrepo.Repo, source plumbing.Hash, _ *semver.Version, _ bool) (plumbing.Hash, error) {
	return source, nil
}

// SameRelease is true when the tag names source.
func (Simple) SameRelease(_ *gitrepo.Repo, tagged, source plumbing.Hash) (bool, error) {
	return tagged == source, nil
}

// Logger receives progress and notices.
type Logger interface {
	Infof(format string, args ...any)
	Noticef(format string, args ...any)
	Warningf(format string, args ...any)
}

// Options configure one run of the tag step.
type Options struct {
	Repo          *gitrepo.Repo
	Commit        plumbing.Hash // the pipeline commit
	Branch        string
	DefaultBranch string
	BranchPrefix  string // "release/"
	// Tags names the release tags (tag-prefix); with no prefix the next
	// tag follows the style of the latest one (v1.2.3 → v1.3.0).
	Tags        version.TagScheme
	Remote      string
	Auth        gitrepo.Auth
	Source      Source
	Forge       Lister // required for FromLabels
	Labels      impact.Labels
	Stable      bool
	DryRun      bool
	BuildSystem BuildSystem
	Tagger      func() object.Signature
	Notes       NotesOptions
	Log         Logger
}

// Change is one change released: a merge request or, from commits, a commit.
type Change struct {
	Kind   string   `json:"kind"` // "merge-request" or "commit"
	Number int      `json:"number,omitempty"`
	Title  string   `json:"title"`
	URL    string   `json:"url,omitempty"`
	Author string   `json:"author,omitempty"`
	Commit string   `json:"commit"`
	Impact string   `json:"impact"`
	Labels []string `json:"labels,omitempty"`
	// Packages: in a repository of packages, those the change touches.
	Packages []string `json:"packages,omitempty"`
	// Paths: for a change that touches no package, the paths it changes
	// (up to 20).
	Paths    []string `json:"paths,omitempty"`
	impact   version.Impact
	conflict bool
}

// Result is what the step did (or, in a dry run, would do).
type Result struct {
	Released         bool
	Existing         bool   // the tag already existed on this content: nothing was written
	ExistingTag      string // with Existing: the tag that already holds this release
	ExistingNotes    string // with Existing: its message
	DryRun           bool
	Version          *semver.Version
	Tag              string
	Previous         *semver.Version
	PreviousTag      string
	Impact           version.Impact
	Line             version.Line
	Branch           string
	Commit           plumbing.Hash // what the tag points at
	Source           plumbing.Hash // the pipeline commit
	Changes          []Change
	Unattributed     []Change // commits on the branch that belong to no merge request
	Reason           string
	Notes            string
	NotReleaseBranch bool
	// Latest: the release (made, or Existing) is the highest of every
	// line, so a forge may show it as the latest release; a patch on
	// release/1.4 after 2.0.0 is not.
	Latest bool
}

// Sentinel errors callers can test with errors.Is.
var (
	ErrUnlabeled   = errors.New("merge requests without an impact label")
	ErrTagConflict = errors.New("the tag already exists on other content")
	ErrRace        = errors.New("another pipeline released concurrently")
)

// Run performs the tag step.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.BuildSystem == nil {
		o.BuildSystem = Simple{}
	}
	if err := checkShallow(o.Repo); err != nil {
		return nil, err
	}
	line, err := version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix)
	if errors.Is(err, version.ErrNotReleaseBranch) {
		o.Log.Noticef("%s: nothing to release", err)
		return &Result{Branch: o.Branch, Source: o.Commit, NotReleaseBranch: true,
			Reason: fmt.Sprintf("%s is not a release branch", o.Branch)}, nil
	}
	if err != nil {
		return nil, err
	}

	const attempts = 3
	for attempt := 1; ; attempt++ {
		res, err := once(ctx, o, line)
		if !errors.Is(err, errRetry) {
			return res, err
		}
		if attempt == attempts {
			return nil, fmt.Errorf("%w: the remote's release tags changed %d times while this job ran; re-run the job", ErrRace, attempts)
		}
		o.Log.Infof("the remote has release tags this clone did not: fetched them, computing again")
	}
}

// errRetry asks Run to compute again after fetching the remote's tags.
var errRetry = errors.New("retry")

func once(ctx context.Context, o Options, line version.Line) (*Result, error) {
	res := &Result{Line: line, Branch: o.Branch, Source: o.Commit, DryRun: o.DryRun}
	tags, err := o.Repo.Tags()
	if err != nil {
		return nil, err
	}
	rel := releases(tags, o.Tags)
	latest, ok := rel.latestIn(line)
	if ok {
		res.Previous, res.PreviousTag = latest.v, latest.tag.Name
	}
	// Every release of the line bounds the new changes, not only the
	// latest: two branches may release into one line (release/2 and a main
	// on 2.x), and a commit released by either must never be released
	// again. A release of the pipeline commit itself is a re-run.
	var exclude []plumbing.Hash
	var again *release
	var againCommit plumbing.Hash
	for _, r := range rel.in(line) {
		commit, err := o.Repo.PeelCommit(r.tag)
		if err != nil {
			return nil, err
		}
		exclude = append(exclude, commit)
		if again != nil && !r.v.GreaterThan(again.v) {
			continue
		}
		same, err := o.BuildSystem.SameRelease(o.Repo, commit, o.Commit)
		if err != nil {
			return nil, err
		}
		if same {
			again = &release{v: r.v, tag: r.tag}
			againCommit = commit
		}
	}
	// A re-run changes nothing, except that STABLE_RELEASE turns a 0.x
	// release of this very commit into 1.0.0 (the spec: "even with no new
	// MRs"); a re-run after that finds 1.0.0 and stops here.
	if again != nil && !(o.Stable && again.v.Major() == 0 && res.Previous != nil && res.Previous.Major() == 0) {
		res.Latest = rel.highest(again.v)
		return existing(o, res, again.tag.Name, againCommit)
	}
	rg, err := o.Repo.Walk(ctx, o.Commit, exclude...)
	if err != nil {
		if errors.Is(err, gitrepo.ErrShallow) {
			return nil, fmt.Errorf("%w; set fetch-depth: 0 in actions/checkout (GitHub) or GIT_DEPTH: 0 (GitLab)", err)
		}
		return nil, fmt.Errorf("collect commits since %s: %w", orNone(res.PreviousTag), err)
	}
	o.Log.Infof("release line %s: latest release %s, %d commits since", lineName(line, o.DefaultBranch, o.BranchPrefix), orNone(res.PreviousTag), len(rg.Commits))

	switch o.Source {
	case FromCommits:
		res.Changes, res.Impact = fromCommits(rg)
	default:
		res.Changes, res.Unattributed, res.Impact, err = fromMergeRequests(ctx, o, rg, orNone(res.PreviousTag))
		if err != nil {
			return nil, err
		}
	}

	newest := rel.newestOfKind(line)
	next, err := version.Next(version.Input{
		Line: line, Latest: res.Previous, Impact: res.Impact, Stable: o.Stable, NewestOfKind: newest,
	})
	if err != nil {
		return nil, err
	}
	for _, w := range next.Warnings {
		o.Log.Warningf("%s", w)
	}
	res.Reason = next.Reason
	if !next.Released && len(rg.Commits) > 0 {
		what := "a Conventional Commits type (feat, fix, perf, or ! for breaking) or an Impact: trailer"
		if o.Source == FromLabels {
			what = "a merge request with an impact label"
		}
		res.Reason = fmt.Sprintf("%d commits since %s, none of them %s", len(rg.Commits), orNone(res.PreviousTag), what)
	}
	if !next.Released {
		o.Log.Infof("nothing to release: %s", res.Reason)
		return res, nil
	}
	res.Released, res.Version = true, next.Next
	res.Latest = rel.highest(next.Next)
	scheme := o.Tags.Follow(res.PreviousTag) // the style of the latest release's tag
	res.Tag = scheme.Name(next.Next)
	if res.Previous == nil {
		res.Previous = next.Base
	}

	// A dry run compares with the remote's tags now; a release does it in
	// its push, on the tags the push session sees just before it sends
	// (one listing of the remote instead of two, and the narrowest window).
	if o.DryRun {
		if err := checkRemote(ctx, o, tags, o.isRelease); err != nil {
			return nil, err
		}
	}

	target, err := o.BuildSystem.ReleaseCommit(ctx, o.Repo, o.Commit, next.Next, o.DryRun)
	if err != nil {
		return nil, err
	}
	res.Commit = target
	res.Notes = Notes(res, o.Notes)

	if t, exists, err := o.Repo.Tag(res.Tag); err != nil {
		return nil, err
	} else if exists {
		p, err := o.Repo.Peel(t)
		if err != nil {
			return nil, err
		}
		same, err := o.BuildSystem.SameRelease(o.Repo, p.Commit, o.Commit)
		if err != nil {
			return nil, err
		}
		if !same {
			return nil, fmt.Errorf("%w: tag %s exists on commit %s, but this release is %s; "+
				"if the tag is a mistake, delete it, else check why %s is not in this line's history",
				ErrTagConflict, res.Tag, short(p.Commit), short(o.Commit), res.Tag)
		}
		res.Released, res.Version, res.Tag = false, nil, ""
		return existing(o, res, t.Name, p.Commit)
	}

	if o.DryRun {
		o.Log.Infof("dry run: would create tag %s on %s and push it to %s", res.Tag, short(target), o.Remote)
		return res, nil
	}
	if err := o.Repo.CreateTag(gitrepo.TagOptions{Name: res.Tag, Target: target, Message: res.Notes, Tagger: o.Tagger()}); err != nil {
		return nil, err
	}
	pushed, err := o.Repo.PushTagChecked(ctx, o.Remote, o.Auth, res.Tag, func(remote map[string]plumbing.Hash) error {
		return remoteAhead(tags, remote, o.isRelease)
	})
	if err == nil && !pushed {
		// The remote already had this very tag object: another pipeline
		// made the same release in the same second. It reports it; this
		// run changes nothing.
		res.Released, res.Version, res.Tag = false, nil, ""
		return existing(o, res, scheme.Name(next.Next), target)
	}
	if err != nil {
		// Nothing may stay half-done: the tag exists only with its push.
		if derr := o.Repo.DeleteLocalTag(res.Tag); derr != nil {
			o.Log.Warningf("%v", derr)
		}
		var ahead *remoteAheadError
		if errors.Is(err, gitrepo.ErrRejected) || errors.As(err, &ahead) {
			if ferr := o.Repo.FetchTags(ctx, o.Remote, o.Auth); ferr != nil {
				return nil, fmt.Errorf("%w; then %w", err, ferr)
			}
			return nil, errRetry
		}
		return nil, err
	}
	o.Log.Infof("created tag %s on %s and pushed it to %s", res.Tag, short(target), o.Remote)
	return res, nil
}

// existing reports that the pipeline commit is already released: a re-run
// (or a pipeline that lost the race to another one) changes nothing.
func existing(o Options, res *Result, tag string, commit plumbing.Hash) (*Result, error) {
	res.Existing, res.Commit, res.ExistingTag = true, commit, tag
	if t, ok, err := o.Repo.Tag(tag); err == nil && ok {
		if p, err := o.Repo.Peel(t); err == nil && p.Annotated {
			res.ExistingNotes = p.Message
		}
	}
	res.Reason = fmt.Sprintf("%s already points at this release: nothing to do", tag)
	o.Log.Infof("%s", res.Reason)
	return res, nil
}

// checkRemote compares the remote's release tags with the local ones (a
// dry run: it only warns when the remote is ahead). isRelease says which
// tags are release tags.
func checkRemote(ctx context.Context, o Options, local []gitrepo.Tag, isRelease func(string) bool) error {
	if o.Remote == "" {
		return nil
	}
	remote, err := o.Repo.RemoteTags(ctx, o.Remote, o.Auth)
	if err != nil {
		o.Log.Warningf("dry run: could not compare with the remote's tags: %v", err)
		return nil
	}
	if err := remoteAhead(local, remote, isRelease); err != nil {
		o.Log.Warningf("%v: fetch the tags (the dry run does not)", err)
	}
	return nil
}

// remoteAheadError: the remote has a release tag this clone does not (or
// names differently): another pipeline released since this clone was made.
type remoteAheadError struct{ tag string }

func (e *remoteAheadError) Error() string {
	return fmt.Sprintf("the remote has release tag %s that this clone does not", e.tag)
}

// remoteAhead compares the remote's release tags with the local ones.
func remoteAhead(local []gitrepo.Tag, remote map[string]plumbing.Hash, isRelease func(string) bool) error {
	have := make(map[string]plumbing.Hash, len(local))
	for _, t := range local {
		have[t.Name] = t.Ref
	}
	for name, h := range remote {
		if have[name] != h && isRelease(name) {
			return &remoteAheadError{tag: name}
		}
	}
	return nil
}

// isRelease says whether a tag is a release tag of the scheme.
func (o Options) isRelease(name string) bool {
	_, ok := o.Tags.Parse(name)
	return ok
}

// since bounds the forge listing: a merge request lands no earlier than
// the commit that landed it, so none of the range can have been merged
// before its oldest first-parent commit (less a margin for clock skew).
func since(rg *gitrepo.Range) time.Time {
	var t time.Time
	for _, c := range rg.FirstParent {
		if t.IsZero() || c.Committer.When.Before(t) {
			t = c.Committer.When
		}
	}
	if t.IsZero() {
		return t
	}
	return t.Add(-time.Hour)
}

func fromCommits(rg *gitrepo.Range) ([]Change, version.Impact) {
	var changes []Change
	highest := version.None
	for _, c := range rg.Commits {
		imp := impact.FromCommitMessage(c.Message)
		title, _, _ := strings.Cut(c.Message, "\n")
		changes = append(changes, Change{
			Kind: "commit", Title: strings.TrimSpace(title), Author: c.Author.Name, Commit: c.Hash.String(),
			Impact: imp.String(), impact: imp,
		})
		highest = max(highest, imp)
	}
	return changes, highest
}

func fromMergeRequests(ctx context.Context, o Options, rg *gitrepo.Range, previous string) (changes, unattributed []Change, highest version.Impact, err error) {
	if o.Forge == nil {
		return nil, nil, 0, errors.New("impact from labels needs a forge: set --token (or RELMAN_TOKEN) and --forge, or use --impact-from commits")
	}
	inRange := make(map[string]bool, len(rg.Commits))
	for _, c := range rg.Commits {
		inRange[c.Hash.String()] = true
	}
	if len(inRange) == 0 {
		return nil, nil, version.None, nil
	}
	mrs, err := o.Forge.MergedSince(ctx, forge.Query{TargetBranch: o.Branch, Since: since(rg)})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("list merge requests merged into %s: %w", o.Branch, err)
	}
	landed := map[string]bool{}
	var unlabeled []Change
	seen := map[int]bool{}
	for _, mr := range mrs {
		lc := mr.LandedCommit()
		if !inRange[lc] || seen[mr.Number] {
			continue
		}
		seen[mr.Number] = true
		landed[lc] = true
		imp, conflict := o.Labels.FromLabels(mr.Labels)
		ch := Change{Kind: "merge-request", Number: mr.Number, Title: mr.Title, URL: mr.URL, Author: mr.Author,
			Commit: lc, Impact: imp.String(), Labels: mr.Labels, impact: imp, conflict: conflict}
		if imp == version.None {
			unlabeled = append(unlabeled, ch)
			continue
		}
		if conflict {
			o.Log.Warningf("!%d %q has more than one impact label: using the highest, %s", mr.Number, mr.Title, imp)
		}
		changes = append(changes, ch)
		highest = max(highest, imp)
	}
	if len(unlabeled) > 0 {
		var b strings.Builder
		for _, ch := range unlabeled {
			fmt.Fprintf(&b, "\n  - #%d %s %s", ch.Number, ch.Title, ch.URL)
		}
		return nil, nil, 0, fmt.Errorf("%w: %d merged since %s have no impact label (%s, %s or %s):%s\n"+
			"add the label to each, then re-run this job; nothing was tagged",
			ErrUnlabeled, len(unlabeled), previous, o.Labels.Major, o.Labels.Minor, o.Labels.Patch, b.String())
	}
	for _, c := range rg.FirstParent {
		if landed[c.Hash.String()] {
			continue
		}
		title, _, _ := strings.Cut(c.Message, "\n")
		unattributed = append(unattributed, Change{Kind: "commit", Title: strings.TrimSpace(title), Author: c.Author.Name,
			Commit: c.Hash.String(), Impact: version.None.String()})
	}
	if len(unattributed) > 0 {
		o.Log.Noticef("%d commits since the latest release belong to no merge request and carry no impact: %s",
			len(unattributed), listCommits(unattributed, 5))
	}
	return changes, unattributed, highest, nil
}

func listCommits(cs []Change, limit int) string {
	var parts []string
	for i, c := range cs {
		if i == limit {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-limit))
			break
		}
		parts = append(parts, short(plumbing.NewHash(c.Commit))+" "+c.Title)
	}
	return strings.Join(parts, "; ")
}

func short(h plumbing.Hash) string { return h.String()[:12] }

func orNone(s string) string {
	if s == "" {
		return "none (starting from 0.0.0)"
	}
	return s
}

func lineName(l version.Line, def, prefix string) string {
	if l.Kind == version.MainLine {
		return def + " (all versions)"
	}
	return prefix + l.String()
}
