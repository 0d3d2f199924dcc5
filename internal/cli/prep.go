package cli

import (
	"context"
	"strings"

	"github.com/relman-dev/relman/internal/prep"
	"github.com/relman-dev/relman/internal/tagstep"
)

func prepCommand(s *settings) (string, step) {
	s.addChecked("version", "", "the release this run follows (the tag step's version output; default: the release tag at HEAD)", checkReleaseVersion).regex = releaseVersionRegex
	s.addEnum("snapshot", prep.SnapshotNext, "next: the next minor (or patch on release/N.M) as -SNAPSHOT / .dev0; branch: <branch>-SNAPSHOT, set once", []string{prep.SnapshotNext, prep.SnapshotBranch})
	addBuildSystemSettings(s)
	addRemoteSettings(s)
	return "relman prep-commit: set the next development version on every branch the release touched", prepRun
}

func prepRun(ctx context.Context, c *job) error {
	s := c.s
	bs, err := buildSystemFromSettings(c)
	if err != nil {
		return err
	}
	snapshot, err := s.oneOf("snapshot", prep.SnapshotNext, prep.SnapshotBranch)
	if err != nil {
		return err
	}
	if snapshot == prep.SnapshotBranch && bs.name == "python" {
		return usagef("snapshot branch (<branch>-SNAPSHOT) is a Maven convention and not a PEP 440 version: use snapshot next with build-system python")
	}
	k, err := openCheckout(ctx, c)
	if err != nil {
		return err
	}
	defer k.repo.Close()
	v, err := releaseVersion(c, k.repo, k.head, k.tags)
	if err != nil {
		return err
	}
	res, err := prep.Run(ctx, prep.Options{
		Repo: k.repo, Branch: k.branch, DefaultBranch: k.defaultBranch, BranchPrefix: s.str("branch-prefix"),
		Version: v, Remote: k.remote, Auth: k.auth(), Editors: bs.editors, Python: bs.name == "python",
		Snapshot: snapshot, DryRun: k.dryRun, Log: c.rep,
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
