package cli

import (
	"context"
	"strings"

	"github.com/relman-dev/relman/internal/prep"
	"github.com/relman-dev/relman/internal/tagstep"
)

// prepOptions are the settings of relman prep-commit.
type prepOptions struct {
	version  string // the release followed; "": the release tag at HEAD
	snapshot string // prep.SnapshotNext or prep.SnapshotBranch
	build    buildSystemOptions
	remote   remoteOptions
	packages string // the packages setting: a package config refuses the step
}

func prepCommand(s *settings) (string, step) {
	o := &prepOptions{}
	s.addChecked("version", "", "the release this run follows (the tag step's version output; default: the release tag at HEAD)", checkReleaseVersion).to(&o.version).regex = releaseVersionRegex
	s.addEnum("snapshot", prep.SnapshotNext, "next: the next minor (or patch on release/N.M) as -SNAPSHOT / .dev0; branch: <branch>-SNAPSHOT, set once", []string{prep.SnapshotNext, prep.SnapshotBranch}).to(&o.snapshot)
	addBuildSystemSettings(s, &o.build)
	addRemoteSettings(s, &o.remote)
	addPackagesSetting(s, &o.packages)
	return "relman prep-commit: set the next development version on every branch the release touched",
		func(ctx context.Context, c *job) error { return prepRun(ctx, c, o) }
}

func prepRun(ctx context.Context, c *job, o *prepOptions) error {
	bs, err := buildSystemFromSettings(c, o.build)
	if err != nil {
		return err
	}
	if o.snapshot == prep.SnapshotBranch && bs.name == "python" {
		return usagef("snapshot branch (<branch>-SNAPSHOT) is a Maven convention and not a PEP 440 version: use snapshot next with build-system python")
	}
	k, err := openCheckout(ctx, c, &o.remote)
	if err != nil {
		return err
	}
	defer k.repo.Close()
	if err := refusePackages(k, packagesRefusal{"prep-commit", o.packages, o.remote.branchPrefix}); err != nil {
		return err
	}
	v, err := releaseVersion(c, o.version, k.repo, k.head, k.tags)
	if err != nil {
		return err
	}
	res, err := prep.Run(ctx, prep.Options{
		Repo: k.repo, Branch: k.branch, DefaultBranch: k.defaultBranch, BranchPrefix: o.remote.branchPrefix,
		Version: v, Remote: k.remote, Auth: k.auth(), Editors: bs.editors, Python: bs.name == "python",
		Snapshot: o.snapshot, DryRun: k.dryRun, Log: c.rep,
		Author: k.ident.author, Committer: k.ident.committer,
	})
	if err != nil {
		return err
	}
	committed, commit, next := false, "", ""
	var branches []string
	var b strings.Builder
	b.WriteString("## relman prep-commit\n\n")
	if len(res.Branches) == 0 {
		b.WriteString("Nothing to prepare.\n")
	}
	for i, p := range res.Branches {
		if i == 0 {
			next = p.Version
			if p.Committed {
				commit = p.Commit.String()
			}
		}
		state := p.Note
		if p.Committed {
			committed = true
			branches = append(branches, p.Branch)
			state = "committed " + p.Commit.String()[:12]
		}
		b.WriteString("- `" + mdCode(p.Branch) + "` → `" + mdCode(p.Version) + "`: " + tagstep.EscapeMarkdown(state) + "\n")
	}
	if len(bs.editors) == 0 {
		next = ""
	}
	c.output("committed", boolString(committed))
	c.output("commit", commit)
	c.output("next-version", next)
	c.output("branches", strings.Join(branches, ","))
	c.summary = b.String()
	c.report = prepReport(res)
	return nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
