package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/relman-dev/relman/internal/check"
	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/version"
)

// checkOptions are the settings of relman check.
type checkOptions struct {
	labels       []string // the merge request's labels; nil: from the forge or the runner
	targetBranch string
	number       int // 0: from the runner
	stable       bool
	names        impact.Labels
	remote       remoteOptions
}

func checkCommand(s *settings) (string, step) {
	o := &checkOptions{}
	s.add("labels", "", "the merge request's labels, comma separated (default: from the forge, the pull_request event or CI_MERGE_REQUEST_LABELS)").toFunc(func(v string) error {
		o.labels = ci.SplitList(v)
		return nil
	})
	s.add("target-branch", "", "the merge request's target branch (default: the pull_request event or CI_MERGE_REQUEST_TARGET_BRANCH_NAME)").to(&o.targetBranch)
	s.addChecked("number", "", "the merge request's number (default: the pull_request event or CI_MERGE_REQUEST_IID)", checkPositive).toInt(&o.number)
	s.addSwitch("stable-release", "the target's STABLE_RELEASE switch, for the version preview", version.ParseStable, "STABLE_RELEASE").toBool(&o.stable)
	addLabelSettings(s, &o.names)
	addRemoteSettings(s, &o.remote)
	return "relman check: on a merge request, require exactly one impact label that fits the target branch, and preview the version it releases",
		func(ctx context.Context, c *job) error { return checkRun(ctx, c, o) }
}

// mrContext is the merge request being checked.
type mrContext struct {
	number int
	title  string
	target string
	labels []string
	known  bool // labels came from the runner
}

func runnerMergeRequest(run ci.Context) mrContext {
	m := run.MergeRequest
	if m == nil {
		return mrContext{}
	}
	return mrContext{number: m.Number, title: m.Title, target: m.Target, labels: m.Labels, known: true}
}

func checkRun(ctx context.Context, c *job, o *checkOptions) error {
	names := o.names
	if err := names.Validate(); err != nil {
		return usageError{err}
	}
	mr := runnerMergeRequest(c.ci)
	if o.number != 0 {
		mr.number = o.number
	}
	if o.targetBranch != "" {
		mr.target = o.targetBranch
	}
	if mr.target == "" {
		return usagef("no merge request here: run relman check in a merge request pipeline (GitLab) or on pull_request events (GitHub), or pass --target-branch and --labels")
	}
	cred := resolveCredential(o.remote.token, o.remote.forge.APIURL, c.ci)
	maskToken(c, cred.token)
	token := ""

	// Releases and the default branch come from the clone, when there is one.
	var releases version.Releases
	defaultBranch := c.common.defaultBranch
	if defaultBranch == "" {
		defaultBranch = c.ci.DefaultBranch
	}
	var fg detect.Target
	var err error
	repo, rerr := gitrepo.Open(c.common.repo)
	if rerr == nil {
		defer repo.Close()
		if fg, err = resolveForge(c, repo, c.common.remote, o.remote.forge); err != nil {
			return err
		}
		token = forgeToken(c, fg, cred)
		if shallow, _ := repo.Shallow(); shallow {
			c.rep.Warningf("shallow clone: tags may be missing, so the version preview may be wrong (set fetch-depth: 0 / GIT_DEPTH: 0)")
		}
		tags, err := repo.Tags()
		if err != nil {
			return err
		}
		names := make([]string, len(tags))
		for i, t := range tags {
			names[i] = t.Name
		}
		releases = o.remote.tags.Releases(names)
		if defaultBranch == "" {
			if defaultBranch, err = resolveDefaultBranch(ctx, c, repo, c.common.remote, fg, token); err != nil {
				return err
			}
		}
	} else {
		c.rep.Noticef("no git repository at %s: the version preview needs the clone's tags", c.common.repo)
		if defaultBranch == "" {
			return usagef("cannot tell the default branch: set --default-branch")
		}
	}

	// Labels: the setting, else the forge as it is now (a re-run after
	// labelling sees the new label), else what the runner says.
	labels := o.labels
	switch {
	case len(labels) > 0:
	case token != "" && fg.Kind != "" && mr.number > 0:
		cl, err := fg.Client(token)
		if err != nil {
			return usageError{err}
		}
		m, err := cl.MergeRequest(ctx, mr.number)
		if err != nil {
			return err
		}
		labels, mr.title = m.Labels, m.Title
	case mr.known:
		labels = mr.labels
	default:
		return usagef("no labels: pass --labels, or a token and --number so that relman can read them")
	}

	res := check.Run(check.Input{
		Labels: labels, Names: names, Target: mr.target, DefaultBranch: defaultBranch,
		BranchPrefix: o.remote.branchPrefix, Releases: releases, Stable: o.stable,
	})
	for _, n := range res.Notes {
		c.rep.Noticef("%s", n)
	}
	next := ""
	if res.Next != nil {
		next = res.Next.String()
		c.rep.Infof("merging now releases %s on %s", o.remote.tags.Follow(res.LatestTag).Name(res.Next), mr.target)
	}
	c.output("impact", res.Impact.String())
	c.output("next-version", next)
	c.summary = checkSummary(mr, res, fg)
	if !res.OK() {
		if err := c.rep.Summary(c.summary); err != nil {
			c.rep.Warningf("write the step summary: %v", err)
		}
		return fmt.Errorf("%w:\n  - %s", errCheckFailed(mr, fg), strings.Join(res.Problems, "\n  - "))
	}
	return nil
}

func errCheckFailed(mr mrContext, fg detect.Target) error {
	ref := "the merge request"
	if mr.number > 0 {
		ref = (tagstep.Links{GitLab: fg.Kind == "gitlab"}).Ref(mr.number)
	}
	return errors.New(ref + " is not ready to merge")
}

func checkSummary(mr mrContext, r check.Result, fg detect.Target) string {
	var b strings.Builder
	ref := "This merge request"
	if mr.number > 0 {
		ref = (tagstep.Links{GitLab: fg.Kind == "gitlab"}).Ref(mr.number)
	}
	if r.OK() {
		fmt.Fprintf(&b, "## relman check: ready\n\n")
	} else {
		fmt.Fprintf(&b, "## relman check: not ready to merge\n\n")
	}
	if mr.title != "" {
		fmt.Fprintf(&b, "%s %s → `%s`\n\n", ref, tagstep.EscapeMarkdown(mr.title), mdCode(mr.target))
	}
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Impact | %s |\n", r.Impact)
	if r.Latest != nil {
		fmt.Fprintf(&b, "| Latest release of the line | %s |\n", r.Latest)
	}
	if r.Next != nil {
		fmt.Fprintf(&b, "| Merging now releases | **%s** |\n", r.Next)
	}
	b.WriteString("\n")
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "- :x: %s\n", tagstep.EscapeMarkdown(p))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", tagstep.EscapeMarkdown(n))
	}
	return b.String()
}
