package cli

import (
	"context"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/gitrepo"
)

// What the steps that work on a checkout resolve from their settings, the
// runner and the repository: the branch, the default branch and the forge.

// resolveBranch is the branch setting, else the runner's branch, else the
// checked-out branch.
func resolveBranch(setting string, run ci.Context, checkedOut string) string {
	if setting != "" {
		return setting
	}
	if run.Branch != "" {
		return run.Branch
	}
	return checkedOut
}

// resolveDefaultBranch works out the default branch; token is the forge
// token for fg's API, or "".
func resolveDefaultBranch(ctx context.Context, c *job, repo *gitrepo.Repo, remote string, fg detect.Target, token string) (string, error) {
	if b := c.common.defaultBranch; b != "" {
		return b, nil
	}
	if b := c.ci.DefaultBranch; b != "" {
		return b, nil
	}
	if b := repo.RemoteDefaultBranch(remote); b != "" {
		return b, nil
	}
	if token != "" && fg.Kind != "" {
		d, err := func() (string, error) {
			cl, err := fg.Client(token)
			if err != nil {
				return "", err
			}
			return cl.DefaultBranch(ctx)
		}()
		if err != nil {
			c.rep.Warningf("could not read the default branch from %s: %v", fg.Kind, err)
		} else if d != "" {
			return d, nil
		}
	}
	for _, b := range []string{"main", "master"} {
		if repo.BranchExists(remote, b) {
			return b, nil
		}
	}
	return "", usagef("cannot tell the default branch: set --default-branch (RELMAN_DEFAULT_BRANCH)")
}

// resolveForge works out the forge from the settings, the runner and the
// remote URL (see detect.Resolve).
func resolveForge(c *job, repo *gitrepo.Repo, remote string, settings detect.Settings) (detect.Target, error) {
	remoteURL, _ := repo.RemoteURL(remote)
	t, err := detect.Resolve(c.ci, remoteURL, settings)
	if err != nil {
		return t, usagef("forge: %w", err)
	}
	return t, nil
}

// forgeToken is cred's token when it may go to the forge's API, else ""
// (with a warning saying why).
func forgeToken(c *job, f detect.Target, cred credential) string {
	if f.Kind == "" || cred.token == "" {
		return cred.token
	}
	return cred.forHTTP(c, f.API(), f.Name())
}
