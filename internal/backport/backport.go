// Package backport is relman's backport-branch step: after a release it
// brings the release branches release/N and release/N.M up to the released
// source commit, or creates them, in one push that is never forced.
package backport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/version"
)

// Trailer marks relman's bring-up merge commits.
const Trailer = "Relman-Backport"

// PrepTrailer marks relman's prep commits (see package prep).
const PrepTrailer = "Relman-Prep"

// Logger receives progress.
type Logger interface {
	Infof(format string, args ...any)
	Noticef(format string, args ...any)
	Warningf(format string, args ...any)
}

// Options configure one run.
type Options struct {
	Repo          *gitrepo.Repo
	Source        plumbing.Hash // the released source commit (the pipeline commit)
	Branch        string        // the branch the release was made from
	DefaultBranch string
	BranchPrefix  string
	Version       *semver.Version
	Remote        string
	Auth          gitrepo.Auth
	// VersionFiles lists the files that carry the version at a commit
	// (empty for the simple build system).
	VersionFiles func(files *gitrepo.TreeFiles) ([]string, error)
	DryRun       bool
	Author       func() object.Signature
	// Committer is the merge commits' committer; nil means Author.
	Committer func() object.Signature
	Log       Logger

	beforePush func(attempt int) // tests: move the remote in between
}

// Update is what happens to one release branch.
type Update struct {
	Branch string
	Old    plumbing.Hash // zero when created
	New    plumbing.Hash
	Kind   string // "created", "fast-forward", "merge", "up-to-date"
}

// Result lists the branch updates.
type Result struct {
	Updates []Update
	DryRun  bool
}

// Created and Updated name the branches by kind of change.
func (r *Result) Created() []string {
	return r.names(func(u Update) bool { return u.Kind == "created" })
}

// Updated names the branches moved (fast-forward or merge).
func (r *Result) Updated() []string {
	return r.names(func(u Update) bool { return u.Kind == "fast-forward" || u.Kind == "merge" })
}

func (r *Result) names(keep func(Update) bool) []string {
	out := []string{}
	for _, u := range r.Updates {
		if keep(u) {
			out = append(out, u.Branch)
		}
	}
	return out
}

// ErrDiverged is wrapped when a release branch has commits of its own.
var ErrDiverged = errors.New("release branch has diverged")

// Targets are the release branches a release from branch touches, in order.
func Targets(line version.Line, v *semver.Version, prefix string) []string {
	major := fmt.Sprintf("%s%d", prefix, v.Major())
	minor := fmt.Sprintf("%s%d.%d", prefix, v.Major(), v.Minor())
	switch line.Kind {
	case version.MainLine:
		return []string{major, minor}
	case version.MajorLine:
		return []string{minor}
	}
	return nil
}

// Run performs the step.
func Run(ctx context.Context, o Options) (*Result, error) {
	line, err := version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix)
	if errors.Is(err, version.ErrNotReleaseBranch) {
		o.Log.Noticef("%v: no release branches to bring up", err)
		return &Result{DryRun: o.DryRun}, nil
	}
	if err != nil {
		return nil, err
	}
	if !line.Contains(o.Version) {
		return nil, fmt.Errorf("version %s is not a release of %s: expected the version the tag step released from this branch", o.Version, o.Branch)
	}
	targets := Targets(line, o.Version, o.BranchPrefix)
	if len(targets) == 0 {
		o.Log.Infof("a release from %s propagates to no other branch", o.Branch)
		return &Result{DryRun: o.DryRun}, nil
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		res, err := once(ctx, o, targets, attempt)
		if !errors.Is(err, gitrepo.ErrRejected) || attempt == attempts || o.DryRun {
			return res, err
		}
		o.Log.Infof("a release branch moved on the remote while this job ran: computing again (%v)", err)
	}
}

func once(ctx context.Context, o Options, targets []string, attempt int) (*Result, error) {
	heads, err := o.Repo.RemoteHeads(ctx, o.Remote, o.Auth)
	if err != nil {
		return nil, err
	}
	var existing []string
	for _, t := range targets {
		if _, ok := heads[t]; ok {
			existing = append(existing, t)
		}
	}
	if err := o.Repo.FetchBranches(ctx, o.Remote, o.Auth, existing...); err != nil {
		return nil, err
	}
	res := &Result{DryRun: o.DryRun}
	var specs []string
	for _, t := range targets {
		old, ok := heads[t]
		u := Update{Branch: t, Old: old}
		switch {
		case !ok:
			u.Kind, u.New, u.Old = "created", o.Source, plumbing.ZeroHash
		default:
			u.New, u.Kind, err = bringUp(ctx, o, t, old)
			if err != nil {
				return nil, err
			}
		}
		res.Updates = append(res.Updates, u)
		if u.Kind != "up-to-date" {
			specs = append(specs, u.New.String()+":refs/heads/"+t)
		}
	}
	for _, u := range res.Updates {
		switch u.Kind {
		case "up-to-date":
			o.Log.Infof("%s is up to date", u.Branch)
		case "created":
			o.Log.Infof("%s %s at %s", verb(o.DryRun, "create", "created"), u.Branch, short(u.New))
		case "fast-forward":
			o.Log.Infof("%s %s from %s to %s (fast-forward)", verb(o.DryRun, "bring up", "brought up"), u.Branch, short(u.Old), short(u.New))
		case "merge":
			o.Log.Infof("%s %s with merge commit %s (it only differs by relman's version commits)", verb(o.DryRun, "bring up", "brought up"), u.Branch, short(u.New))
		}
	}
	if len(specs) == 0 || o.DryRun {
		return res, nil
	}
	if o.beforePush != nil {
		o.beforePush(attempt)
	}
	if err := o.Repo.PushRefs(ctx, o.Remote, o.Auth, true, specs...); err != nil {
		return nil, err
	}
	return res, nil
}

func verb(dry bool, would, did string) string {
	if dry {
		return "would " + would
	}
	return did
}

// bringUp computes the new head of release branch t (now at old) so that it
// contains the source commit.
func bringUp(ctx context.Context, o Options, t string, old plumbing.Hash) (plumbing.Hash, string, error) {
	if old == o.Source {
		return old, "up-to-date", nil
	}
	if anc, err := o.Repo.IsAncestor(ctx, o.Source, old); err != nil {
		return old, "", err
	} else if anc {
		// The source is already in the branch (e.g. an earlier bring-up merge).
		return old, "up-to-date", nil
	}
	if ff, err := o.Repo.IsAncestor(ctx, old, o.Source); err != nil {
		return old, "", err
	} else if ff {
		return o.Source, "fast-forward", nil
	}
	base, err := o.Repo.MergeBase(old, o.Source)
	if err != nil {
		return old, "", err
	}
	if base.IsZero() {
		return old, "", fmt.Errorf("%w: %s and %s share no history; check the branch, then move it by hand", ErrDiverged, t, o.Branch)
	}
	own, err := o.Repo.Walk(ctx, old, base)
	if err != nil {
		return old, "", err
	}
	var foreign, prepped []string
	for _, c := range own.Commits {
		if !isRelmanCommit(c) {
			subject, _, _ := strings.Cut(c.Message, "\n")
			foreign = append(foreign, short(c.Hash)+" "+subject)
			continue
		}
		// A prep commit changes version files only: what it changed is a
		// version file, whatever build-system this run was given.
		if isPrepCommit(c) && len(c.ParentHashes) == 1 {
			paths, err := o.Repo.ChangedPaths(c.ParentHashes[0], c.Hash)
			if err != nil {
				return old, "", err
			}
			prepped = append(prepped, paths...)
		}
	}
	kept := map[string][]byte{}
	filesOnly := false
	if len(foreign) == 0 {
		kept, foreign, err = versionFilesKept(o, base, old, prepped)
		if err != nil {
			return old, "", err
		}
		filesOnly = true
	}
	if len(foreign) > 0 {
		hint := ""
		if filesOnly {
			hint = "If those files carry the version, give this step the build-system and version-files settings the tag and prep-commit steps use. "
		}
		return old, "", fmt.Errorf("%w: %s has commits that are not in %s and are not relman's own version commits:\n  %s\n"+
			"relman brings release branches up by fast-forward, or by a merge when only its version commits differ, and never forces a push. %s"+
			"Fix it by hand: merge %s into %s (or move those commits to %s), push, then re-run this job",
			ErrDiverged, t, o.Branch, strings.Join(foreign, "\n  "), hint, o.Branch, t, o.Branch)
	}
	author, committer := o.Author(), object.Signature{}
	if o.Committer != nil {
		committer = o.Committer()
	}
	msg := fmt.Sprintf("Merge %s %s into %s [skip ci]\n\n%s: %s\n", o.Branch, o.Version, t, Trailer, o.Version)
	h, err := o.Repo.CommitFiles(gitrepo.CommitOptions{
		Parent: o.Source, Parents: []plumbing.Hash{old, o.Source}, Files: kept, Message: msg, Author: author, Committer: committer,
	})
	if err != nil {
		return old, "", err
	}
	return h, "merge", nil
}

// versionFilesKept checks that the target changed nothing but version
// files since the merge base, and returns the target's version files.
// prepped are the files relman's prep commits changed: version files too.
func versionFilesKept(o Options, base, target plumbing.Hash, prepped []string) (map[string][]byte, []string, error) {
	tf, err := o.Repo.Files(target)
	if err != nil {
		return nil, nil, err
	}
	changed, err := o.Repo.ChangedPaths(base, target)
	if err != nil {
		return nil, nil, err
	}
	var allowed []string
	if o.VersionFiles != nil {
		if allowed, err = o.VersionFiles(tf); err != nil {
			return nil, nil, fmt.Errorf("read the version files of the release branch: %w", err)
		}
	}
	allowed = append(allowed, prepped...)
	kept := map[string][]byte{}
	var foreign []string
	for _, p := range changed {
		if !slices.Contains(allowed, p) {
			foreign = append(foreign, "changes "+p)
			continue
		}
		b, err := tf.ReadFile(p)
		if err != nil {
			return nil, nil, err
		}
		kept[p] = b
	}
	return kept, foreign, nil
}

func isRelmanCommit(c *object.Commit) bool {
	for _, line := range strings.Split(c.Message, "\n") {
		if strings.HasPrefix(line, PrepTrailer+": ") || strings.HasPrefix(line, Trailer+": ") {
			return true
		}
	}
	return false
}

func isPrepCommit(c *object.Commit) bool {
	for _, line := range strings.Split(c.Message, "\n") {
		if strings.HasPrefix(line, PrepTrailer+": ") {
			return true
		}
	}
	return false
}

func short(h plumbing.Hash) string { return h.String()[:12] }
