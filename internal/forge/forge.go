// Package forge describes what relman needs from a code forge (GitHub or
// GitLab): the merge requests / pull requests merged into a branch, with
// their impact labels and the commit that landed each of them.
package forge

import (
	"errors"
	"time"
)

// MergeRequest is a merged merge request (GitLab) or pull request (GitHub).
type MergeRequest struct {
	Number   int       // GitLab iid, GitHub PR number
	Title    string    // untrusted text
	URL      string    // web link
	Author   string    // username
	Labels   []string  // label names as the forge returns them
	MergedAt time.Time // zero when the forge did not say
	// MergeCommit is the merge commit (GitHub: merge_commit_sha, which is the
	// merge, squash or last rebased commit; GitLab: merge_commit_sha).
	MergeCommit string
	// SquashCommit is GitLab's squash_commit_sha; empty on GitHub.
	SquashCommit string
	// HeadCommit is the last commit of the source branch (fast-forward merges).
	HeadCommit string
}

// LandedCommit is the commit that put the change on its target branch: the
// merge commit, else the squash commit, else (fast-forward) the head commit.
func (m MergeRequest) LandedCommit() string {
	switch {
	case m.MergeCommit != "":
		return m.MergeCommit
	case m.SquashCommit != "":
		return m.SquashCommit
	default:
		return m.HeadCommit
	}
}

// Query selects merged merge requests.
type Query struct {
	// TargetBranch is the branch the merge requests were merged into.
	TargetBranch string
	// Since bounds the listing: every merge request merged into TargetBranch
	// at or after Since must be returned. Others may be returned too; the
	// caller decides by commit reachability which ones are new.
	Since time.Time
}

// ErrUnauthorized is returned (wrapped) when the forge refuses the token.
var ErrUnauthorized = errors.New("the forge refused the token")

// ErrNotFound is returned (wrapped) when the project or repository does not exist
// or the token cannot see it.
var ErrNotFound = errors.New("project not found")

// Release is a forge release (GitHub Release, GitLab Release) on a tag.
type Release struct {
	Tag  string
	Name string
	Body string // Markdown
	// Latest: the release is the highest version of the project. GitHub
	// marks only such a release "Latest" (make_latest); a patch of an
	// older line never takes the mark from a newer release.
	Latest bool
}
