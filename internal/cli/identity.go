package cli

import (
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/gitrepo"
)

// identity is who relman's commits and tags are by. Each field is, in
// order: the git-user-name / git-user-email setting; git's own variables
// (GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL for the author, GIT_COMMITTER_NAME,
// GIT_COMMITTER_EMAIL for the committer and the tagger); then the runner's
// default: on GitHub the github-actions bot, on GitLab the user who started
// the pipeline (GITLAB_USER_NAME, GITLAB_USER_EMAIL), locally git config
// user.name and user.email (the repository's, then the global config,
// honouring GIT_CONFIG_GLOBAL); then relman.
type identity struct {
	author, committer func() object.Signature
}

// identityOptions are the git-user-name and git-user-email settings.
type identityOptions struct{ name, email string }

// addIdentitySettings adds git-user-name and git-user-email, bound to o;
// what says whose name it is.
func addIdentitySettings(s *settings, what string, o *identityOptions) {
	s.add("git-user-name", "", what+" (default: GIT_AUTHOR_NAME / GIT_COMMITTER_NAME, else the CI bot, else git config user.name, else relman)").to(&o.name)
	s.add("git-user-email", "", "author and committer email (default: GIT_AUTHOR_EMAIL / GIT_COMMITTER_EMAIL, else the CI bot, else git config user.email)").to(&o.email)
}

func resolveIdentity(c *job, repo *gitrepo.Repo, o identityOptions) identity {
	getenv := c.env.Getenv
	defName, defEmail := "relman", "relman@users.noreply.localhost"
	switch c.ci.Kind {
	case ci.GitHub:
		defName, defEmail = "github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"
	case ci.GitLab:
		if n := c.ci.GitLab.UserName; n != "" {
			defName = n
		}
		if e := c.ci.GitLab.UserEmail; e != "" {
			defEmail = e
		}
	default:
		if repo != nil {
			n, e := repo.ConfigUser(getenv)
			if n != "" {
				defName = n
			}
			if e != "" {
				defEmail = e
			}
		}
	}
	pick := func(setting, gitVar, def string) string {
		if setting != "" {
			return setting
		}
		if v := getenv(gitVar); v != "" {
			return v
		}
		return def
	}
	sig := func(role string) func() object.Signature {
		name := pick(o.name, "GIT_"+role+"_NAME", defName)
		email := pick(o.email, "GIT_"+role+"_EMAIL", defEmail)
		return func() object.Signature { return object.Signature{Name: name, Email: email, When: c.env.Now()} }
	}
	return identity{author: sig("AUTHOR"), committer: sig("COMMITTER")}
}
