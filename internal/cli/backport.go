package cli

import (
	"context"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/relman-dev/relman/internal/backport"
	"github.com/relman-dev/relman/internal/version"
)

// backportOptions are the settings of relman backport-branch.
type backportOptions struct {
	version  string // the release followed; "": the release tag at HEAD
	impact   string // the release's impact, checked against the version
	build    buildSystemOptions
	remote   remoteOptions
	packages string // the packages setting: a package config refuses the step
}

func backportCommand(s *settings) (string, step) {
	o := &backportOptions{}
	s.addChecked("version", "", "the release this run follows (the tag step's version output; default: the release tag at HEAD)", checkReleaseVersion).to(&o.version).regex = releaseVersionRegex
	s.addChecked("impact", "", "the release's impact (the tag step's impact output); the version decides, this is checked against it", checkImpact).to(&o.impact)
	addBuildSystemSettings(s, &o.build)
	addRemoteSettings(s, &o.remote)
	addPackagesSetting(s, &o.packages)
	return "relman backport-branch: after a release, bring the release branches release/N and release/N.M up to it, or create them",
		func(ctx context.Context, c *job) error { return backportRun(ctx, c, o) }
}

func backportRun(ctx context.Context, c *job, o *backportOptions) error {
	bs, err := buildSystemFromSettings(c, o.build)
	if err != nil {
		return err
	}
	k, err := openCheckout(ctx, c, &o.remote)
	if err != nil {
		return err
	}
	defer k.repo.Close()
	if err := refusePackages(k, packagesRefusal{"backport-branch", o.packages, o.remote.branchPrefix}); err != nil {
		return err
	}
	v, err := releaseVersion(c, o.version, k.repo, k.head, k.tags)
	if err != nil {
		return err
	}
	if o.impact != "" {
		want, err := version.ParseImpact(o.impact)
		if err != nil {
			return usageError{err}
		}
		if got := version.ImpactOf(v); want != got && !(v.Major() == 0 && want == version.Major && got == version.Minor) {
			c.rep.Warningf("impact %s does not match version %s (a %s release): following the version", want, v, got)
		}
	}
	res, err := backport.Run(ctx, backport.Options{
		Repo: k.repo, Source: k.head, Branch: k.branch, DefaultBranch: k.defaultBranch,
		BranchPrefix: o.remote.branchPrefix, Version: v, Remote: k.remote, Auth: k.auth(),
		VersionFiles: bs.versionFiles, DryRun: k.dryRun, Log: c.rep,
		Author: k.ident.author, Committer: k.ident.committer,
	})
	if err != nil {
		return err
	}
	c.output("branches-created", strings.Join(res.Created(), ","))
	c.output("branches-updated", strings.Join(res.Updated(), ","))
	var b strings.Builder
	b.WriteString("## relman backport-branch\n\n")
	if len(res.Updates) == 0 {
		b.WriteString("No release branch to bring up for a release from `" + mdCode(k.branch) + "`.\n")
	}
	for _, u := range res.Updates {
		b.WriteString("- `" + mdCode(u.Branch) + "`: " + u.Kind + "\n")
	}
	c.summary = b.String()
	c.report = backportReport(res, k.branch, v.String())
	return nil
}

// packagesRefusal names the step refusePackages refuses, and its settings.
type packagesRefusal struct {
	step, setting, prefix string
}

// refusePackages refuses a step that knows one release line per branch
// (backport-branch, prep-commit) in a repository of packages, each of
// which has its own lines (exit 2).
func refusePackages(k *checkout, o packagesRefusal) error {
	cfg, err := loadPackages(k.repo, k.head, o.setting)
	if err != nil || cfg == nil {
		return err
	}
	p := cfg.Packages[0]
	return usagef("per-package release lines are not supported by %s yet, and %s declares packages (%s). "+
		"Instead cut a package's release branch %s<package>/N by hand from its release, e.g. git push %s %s^{commit}:refs/heads/%s%s/1; "+
		"the tag step then releases that package on it. Or set packages: none to release the repository as one package",
		o.step, cfg.File, strings.Join(cfg.Names(), ", "), o.prefix, k.remote, p.Tags().Name(semver.New(1, 2, 0, "", "")), o.prefix, p.Name)
}
