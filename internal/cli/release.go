package cli

import (
	"context"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/version"
)

// releaseVersion reads the version a step follows: the --version setting
// (the tag step's output), else the release tag at HEAD.
func releaseVersion(c *job, setting string, repo *gitrepo.Repo, head plumbing.Hash, scheme version.TagScheme) (*semver.Version, error) {
	if s := setting; s != "" {
		v, ok := version.ParseTag(s, "")
		if !ok {
			return nil, usagef("%s %q: expected a release version X.Y.Z (the tag step's version output)", c.s.named("version"), s)
		}
		return v, nil
	}
	v, tag, ok, err := tagstep.ReleaseAt(repo, head, scheme)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, usagef("no release tag on HEAD (%s): pass --version X.Y.Z, the tag step's version output", head.String()[:12])
	}
	c.rep.Infof("following release %s, tagged at HEAD", tag)
	return v, nil
}

// checkout is what every step that writes to the remote resolves first.
type checkout struct {
	repo          *gitrepo.Repo
	head          plumbing.Hash
	branch        string
	defaultBranch string
	remote        string
	tags          version.TagScheme // the tag-prefix setting
	forge         detect.Target
	// token is the forge token for the API at forge.apiURL, pushToken the
	// one for the remote: each empty unless the token belongs to that host.
	token, pushToken string
	cred             credential
	dryRun           bool
	ident            identity
}

func (k *checkout) auth() gitrepo.Auth {
	return gitrepo.Auth{Username: k.forge.PushUser, Token: k.pushToken}
}

// openCheckout opens the repository and resolves branch, default branch,
// remote, forge and token. The caller closes k.repo.
func openCheckout(ctx context.Context, c *job, o *remoteOptions) (*checkout, error) {
	k := &checkout{remote: c.common.remote, tags: o.tags, dryRun: c.common.dryRun, cred: resolveCredential(o.token, o.forge.APIURL, c.ci)}
	maskToken(c, k.cred.token)
	var err error
	if k.repo, err = gitrepo.Open(c.common.repo); err != nil {
		return nil, usageError{err}
	}
	ok := false
	defer func() {
		if !ok {
			k.repo.Close()
		}
	}()
	var checkedOut string
	if k.head, checkedOut, err = k.repo.Head(); err != nil {
		return nil, err
	}
	if k.branch = resolveBranch(c.common.branch, c.ci, checkedOut); k.branch == "" {
		return nil, usagef("HEAD is detached and no CI branch is set: pass --branch NAME (the branch this commit is released from)")
	}
	if k.forge, err = resolveForge(c, k.repo, k.remote, o.forge); err != nil {
		return nil, err
	}
	k.token = forgeToken(c, k.forge, k.cred)
	remoteURL, _ := k.repo.RemoteURL(k.remote)
	k.pushToken = k.cred.forRemote(c, k.remote, remoteURL)
	if k.forge.Kind == "gitlab" && k.pushToken != "" && k.pushToken == c.ci.GitLab.JobToken {
		// GitLab 17.2+ takes pushes with the job token when the project
		// allows it, from the user gitlab-ci-token only.
		k.forge.PushUser = "gitlab-ci-token"
	}
	if k.defaultBranch, err = resolveDefaultBranch(ctx, c, k.repo, k.remote, k.forge, k.token); err != nil {
		return nil, err
	}
	k.ident = resolveIdentity(c, k.repo, o.ident)
	ok = true
	return k, nil
}

// remoteOptions are the settings of steps that push, bound at parse time.
type remoteOptions struct {
	branchPrefix string            // "release/"
	tags         version.TagScheme // the tag-prefix setting
	forge        detect.Settings
	token        tokenSetting
	ident        identityOptions
}

// addRemoteSettings adds the settings of steps that push, bound to o.
func addRemoteSettings(s *settings, o *remoteOptions) {
	s.add("branch-prefix", "release/", "prefix of release branches (release/N, release/N.M)").to(&o.branchPrefix)
	s.add("tag-prefix", "", `prefix of release tags, e.g. "v"`).toFunc(func(v string) error {
		o.tags = version.PrefixScheme(v)
		return nil
	})
	s.addEnum("forge", "", "github or gitlab (default: detected from CI or the remote URL)", []string{"", "github", "gitlab"}).to(&o.forge.Forge)
	s.add("api-url", "", "forge API URL (default: GITHUB_API_URL, CI_API_V4_URL, or from the remote URL)").to(&o.forge.APIURL)
	s.add("project", "", "OWNER/NAME on GitHub, project id or path on GitLab (default: from CI or the remote URL)").to(&o.forge.Project)
	addTokenSetting(s, "forge token: authenticates pushes over HTTPS", &o.token)
	addIdentitySettings(s, "author and committer name of relman's commits and tags", &o.ident)
}
