package tagstep

import (
	"context"
	"fmt"
	"slices"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/versionfile"
)

// ReleaseTrailer marks relman's detached release version commits.
const ReleaseTrailer = "Relman-Release"

// VersionCommit is the build system of Maven and Python (and generic
// version files): it writes the release version into the version files.
// If they already say it, the pipeline commit is tagged; otherwise a commit
// on a detached HEAD whose parent is the pipeline commit carries the
// change, and the tag points at it. The branch never changes.
type VersionCommit struct {
	Editors versionfile.Multi
	Author  func() object.Signature
	// Committer is the version commit's committer; nil means Author.
	Committer func() object.Signature
	Log       Logger
}

// callOr is f(), or def when f is nil.
func callOr(f func() object.Signature, def object.Signature) object.Signature {
	if f == nil {
		return def
	}
	return f()
}

// ReleaseCommit writes the version commit (nothing in a dry run, where the
// zero hash stands for the commit that would be made).
func (b VersionCommit) ReleaseCommit(_ context.Context, repo *gitrepo.Repo, source plumbing.Hash, v *semver.Version, dryRun bool) (plumbing.Hash, error) {
	files, err := repo.Files(source)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	// One signature for the edit and the commit: Maven writes the
	// commit's time into project.build.outputTimestamp.
	author := b.Author()
	changes, err := b.Editors.At(author.When).Set(files, v.String())
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("set version %s (%s): %w", v, b.Editors.Name(), err)
	}
	if len(changes) == 0 {
		b.Log.Infof("the version files already say %s: tagging the pipeline commit", v)
		return source, nil
	}
	paths := make([]string, len(changes))
	write := map[string][]byte{}
	for i, c := range changes {
		paths[i] = c.Path
		write[c.Path] = c.New
	}
	if dryRun {
		b.Log.Infof("dry run: would commit version %s to %v on a detached commit whose parent is %s", v, paths, short(source))
		return plumbing.ZeroHash, nil
	}
	h, err := repo.CommitFiles(gitrepo.CommitOptions{
		Parent:    source,
		Files:     write,
		Message:   fmt.Sprintf("Release %s [skip ci]\n\n%s: %s\n", v, ReleaseTrailer, v),
		Author:    author,
		Committer: callOr(b.Committer, author),
	})
	if err != nil {
		return plumbing.ZeroHash, err
	}
	b.Log.Infof("committed version %s to %v on detached commit %s (parent %s)", v, paths, short(h), short(source))
	return h, nil
}

// SameRelease is true when tagged is source, or a commit whose only parent
// is source and which changes nothing but version files: the release
// commit of an earlier run of this job.
func (b VersionCommit) SameRelease(repo *gitrepo.Repo, tagged, source plumbing.Hash) (bool, error) {
	if tagged == source {
		return true, nil
	}
	c, err := repo.Commit(tagged)
	if err != nil {
		return false, err
	}
	if len(c.ParentHashes) != 1 || c.ParentHashes[0] != source {
		return false, nil
	}
	files, err := repo.Files(source)
	if err != nil {
		return false, err
	}
	allowed, err := b.Editors.Paths(files)
	if err != nil {
		return false, err
	}
	changed, err := repo.ChangedPaths(source, tagged)
	if err != nil {
		return false, err
	}
	for _, p := range changed {
		if !slices.Contains(allowed, p) {
			return false, nil
		}
	}
	return true, nil
}
