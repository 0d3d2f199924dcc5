// Package prep is relman's prep-commit step: after a release it sets the
// next development version (X.Y+1.0-SNAPSHOT, X.Y.Z+1-SNAPSHOT, or PEP 440
// .dev0) on every branch the release touched, in commits that touch only
// version files, so that new merges never overwrite a released package.
package prep

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/backport"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/version"
	"github.com/relman-dev/relman/internal/versionfile"
)

// Trailer marks prep commits; backport-branch recognises them.
const Trailer = backport.PrepTrailer

// Snapshot styles.
const (
	SnapshotNext   = "next"   // the next minor or patch, -SNAPSHOT / .devN
	SnapshotBranch = "branch" // <branch>-SNAPSHOT, set once and never bumped
)

// Logger receives progress.
type Logger interface {
	Infof(format string, args ...any)
	Noticef(format string, args ...any)
	Warningf(format string, args ...any)
}

// Options configure one run.
type Options struct {
	Repo          *gitrepo.Repo
	Branch        string // the branch the release was made from
	DefaultBranch string
	BranchPrefix  string
	Version       *semver.Version // the release
	Remote        string
	Auth          gitrepo.Auth
	Editors       versionfile.Multi
	Python        bool   // PEP 440 development versions (X.Y.Z.dev0)
	Snapshot      string // SnapshotNext (default) or SnapshotBranch
	DryRun        bool
	Author        func() object.Signature
	// Committer is the prep commits' committer; nil means Author.
	Committer func() object.Signature
	Log       Logger
	// Attempts bounds the pushes per branch when the remote moves on (default 5).
	Attempts int

	beforePush func(branch string, attempt int) // tests: move the remote in between
}

// Prepared is the outcome for one branch.
type Prepared struct {
	Branch    string
	Version   string // the development version set
	Commit    plumbing.Hash
	Committed bool
	Note      string // why nothing was committed
}

// Result lists every branch the run looked at, the release branch first.
type Result struct {
	Branches []Prepared
	DryRun   bool
}

// ErrPushRetries is wrapped when the remote kept moving.
var ErrPushRetries = errors.New("the branch kept moving on the remote")

// NextVersion is the development version of a branch of the given line
// after release v.
func NextVersion(line version.Line, branch string, v *semver.Version, python bool, snapshot string) (string, error) {
	if snapshot == SnapshotBranch {
		if python {
			return "", errors.New("snapshot branch (<branch>-SNAPSHOT) is a Maven convention: PEP 440 has no such version; use snapshot next with python")
		}
		return strings.NewReplacer("/", "-", " ", "-").Replace(branch) + "-SNAPSHOT", nil
	}
	var next semver.Version
	if line.Kind == version.MinorLine {
		next = v.IncPatch()
	} else {
		next = v.IncMinor()
	}
	if python {
		return next.String() + ".dev0", nil
	}
	return next.String() + "-SNAPSHOT", nil
}

// Run performs the step.
func Run(ctx context.Context, o Options) (*Result, error) {
	res := &Result{DryRun: o.DryRun}
	if len(o.Editors) == 0 {
		o.Log.Noticef("the simple build system has no version files: nothing to prepare")
		return res, nil
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	line, err := version.LineFromBranch(o.Branch, o.DefaultBranch, o.BranchPrefix)
	if errors.Is(err, version.ErrNotReleaseBranch) {
		o.Log.Noticef("%v: nothing to prepare", err)
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	if !line.Contains(o.Version) {
		return nil, fmt.Errorf("version %s is not a release of %s: expected the version the tag step released from this branch", o.Version, o.Branch)
	}
	branches := append([]string{o.Branch}, backport.Targets(line, o.Version, o.BranchPrefix)...)
	// Work out every branch's version before writing anything.
	plan := make([]Prepared, len(branches))
	for i, b := range branches {
		bl, err := version.LineFromBranch(b, o.DefaultBranch, o.BranchPrefix)
		if err != nil {
			return nil, err
		}
		next, err := NextVersion(bl, b, o.Version, o.Python, o.Snapshot)
		if err != nil {
			return nil, err
		}
		plan[i] = Prepared{Branch: b, Version: next}
	}
	heads, err := o.Repo.RemoteHeads(ctx, o.Remote, o.Auth)
	if err != nil {
		return nil, err
	}
	for _, p := range plan {
		if _, ok := heads[p.Branch]; !ok {
			p.Note = "not on the remote (run backport-branch first)"
			o.Log.Noticef("%s is not on the remote: skipped (backport-branch creates it)", p.Branch)
			res.Branches = append(res.Branches, p)
			continue
		}
		done, err := prepare(ctx, o, p)
		if err != nil {
			return res, err
		}
		res.Branches = append(res.Branches, done)
	}
	return res, nil
}

func prepare(ctx context.Context, o Options, p Prepared) (Prepared, error) {
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		if err := o.Repo.FetchBranches(ctx, o.Remote, o.Auth, p.Branch); err != nil {
			return p, err
		}
		head, err := o.Repo.ResolveCommit("refs/remotes/" + o.Remote + "/" + p.Branch)
		if err != nil {
			return p, err
		}
		files, err := o.Repo.Files(head)
		if err != nil {
			return p, err
		}
		// One signature for the edit and the commit: Maven writes the
		// commit's time into project.build.outputTimestamp.
		author := o.Author()
		changes, err := o.Editors.At(author.When).Set(files, p.Version)
		if err != nil {
			return p, fmt.Errorf("set version %s on %s: %w", p.Version, p.Branch, err)
		}
		if len(changes) == 0 {
			p.Note = "already at " + p.Version
			o.Log.Infof("%s already says %s: no commit", p.Branch, p.Version)
			return p, nil
		}
		write := map[string][]byte{}
		var paths []string
		for _, c := range changes {
			write[c.Path] = c.New
			paths = append(paths, c.Path)
		}
		if o.DryRun {
			p.Note = "dry run"
			o.Log.Infof("dry run: would commit %s to %s on %s", p.Version, strings.Join(paths, ", "), p.Branch)
			return p, nil
		}
		h, err := o.Repo.CommitFiles(gitrepo.CommitOptions{
			Parent:    head,
			Files:     write,
			Message:   fmt.Sprintf("Prepare next development version %s [skip ci]\n\nRelease %s is out; new changes on %s go into %s.\n\n%s: %s\n", p.Version, o.Version, p.Branch, p.Version, Trailer, p.Version),
			Author:    author,
			Committer: committer(o, author),
		})
		if err != nil {
			return p, err
		}
		if o.beforePush != nil {
			o.beforePush(p.Branch, attempt)
		}
		err = o.Repo.PushRefs(ctx, o.Remote, o.Auth, false, h.String()+":refs/heads/"+p.Branch)
		if errors.Is(err, gitrepo.ErrRejected) {
			o.Log.Infof("%s moved on the remote: preparing it again on its new head (attempt %d of %d)", p.Branch, attempt, o.Attempts)
			continue
		}
		if err != nil {
			return p, err
		}
		p.Commit, p.Committed = h, true
		o.Log.Infof("set %s on %s (%s) in %s", p.Version, p.Branch, strings.Join(paths, ", "), h.String()[:12])
		return p, nil
	}
	return p, fmt.Errorf("%w: %s was updated %d times while preparing %s; re-run this job", ErrPushRetries, p.Branch, o.Attempts, p.Version)
}

// committer is the committer of a prep commit: o.Committer, else author.
func committer(o Options, author object.Signature) object.Signature {
	if o.Committer == nil {
		return author
	}
	return o.Committer()
}
