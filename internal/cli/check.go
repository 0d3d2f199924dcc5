package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/go-git/go-git/v5/plumbing"

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
	packages     string // the packages setting
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
	addPackagesSetting(s, &o.packages)
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
	var pkgs *check.Packages
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
		tagNames := make([]string, len(tags))
		for i, t := range tags {
			tagNames[i] = t.Name
		}
		releases = o.remote.tags.Releases(tagNames)
		if releases == nil {
			releases = version.Releases{} // known: none yet, the first release is previewed
		}
		if defaultBranch == "" {
			if defaultBranch, err = resolveDefaultBranch(ctx, c, repo, c.common.remote, fg, token); err != nil {
				return err
			}
		}
		if pkgs, err = mergeRequestPackages(ctx, c, repo, o, mergeRequestTarget{mr.target, defaultBranch}, fg, cred, tagNames); err != nil {
			return err
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
		BranchPrefix: o.remote.branchPrefix, Releases: releases, Stable: o.stable, Packages: pkgs,
	})
	for _, n := range res.Notes {
		c.rep.Noticef("%s", n)
	}
	next, nextTag := "", ""
	if res.Next != nil {
		next, nextTag = res.Next.String(), o.remote.tags.Follow(res.LatestTag).Name(res.Next)
		c.rep.Infof("merging now releases %s on %s", nextTag, mr.target)
	}
	for _, p := range res.Packages {
		if p.Released() {
			c.rep.Infof("merging now releases %s (%s) on %s", p.NextTag, p.Name, mr.target)
		}
	}
	c.output("impact", res.Impact.String())
	c.output("next-version", next)
	c.output("released-packages", checkPackagesJSON(res))
	c.summary = checkSummary(mr, res, fg)
	c.report = checkReport(mr, res, fg, nextTag)
	if !res.OK() {
		if !c.rep.Report(c.report) {
			if err := c.rep.Summary(c.summary); err != nil {
				c.rep.Warningf("write the step summary: %v", err)
			}
		}
		return fmt.Errorf("%w:\n  - %s", errCheckFailed(mr, fg), strings.Join(res.Problems, "\n  - "))
	}
	return nil
}

// mergeRequestTarget is the branch a merge request targets, and the
// default branch.
type mergeRequestTarget struct{ branch, defaultBranch string }

// mergeRequestPackages reads the packages of the merge request's commit
// (HEAD) and the files it changes: the diff of that commit against its
// merge base with the target branch. nil when the repository is released
// as one package.
func mergeRequestPackages(ctx context.Context, c *job, repo *gitrepo.Repo, o *checkOptions, t mergeRequestTarget, fg detect.Target, cred credential, tags []string) (*check.Packages, error) {
	head, _, err := repo.Head()
	if err != nil {
		return nil, err
	}
	cfg, err := loadPackages(repo, head, o.packages)
	if err != nil || cfg == nil {
		return nil, err
	}
	pk := &check.Packages{Config: cfg, Tags: tags}
	if _, _, ok := check.PackageBranch(t.branch, o.remote.branchPrefix, cfg); t.branch != t.defaultBranch && !ok {
		return pk, nil // no release branch: nothing is released, no diff needed
	}
	target, err := targetCommit(ctx, c, repo, t.branch, fg, cred)
	if err != nil {
		return nil, err
	}
	base, err := repo.MergeBase(target, head)
	if err != nil {
		return nil, fmt.Errorf("find where the merge request left %s: %w (relman check needs the history of both: set fetch-depth: 0 in actions/checkout, GIT_DEPTH: 0 in GitLab)", t.branch, err)
	}
	if base.IsZero() {
		return nil, fmt.Errorf("the merge request's commit %s and %s (%s) have no common history, so relman cannot tell which packages it changes: a shallow clone? set fetch-depth: 0 in actions/checkout, GIT_DEPTH: 0 in GitLab",
			head.String()[:12], t.branch, target.String()[:12])
	}
	if pk.Changed, err = repo.ChangedPaths(base, head); err != nil {
		return nil, err
	}
	return pk, nil
}

// targetCommit is the target branch's commit: fetched from the remote (a
// CI clone may hold an old copy, or none), else the clone's copy.
func targetCommit(ctx context.Context, c *job, repo *gitrepo.Repo, branch string, fg detect.Target, cred credential) (plumbing.Hash, error) {
	remote := c.common.remote
	if u, err := repo.RemoteURL(remote); err == nil {
		token := cred.forRemote(c, remote, u)
		user := fg.PushUser
		if fg.Kind == "gitlab" && token != "" && token == c.ci.GitLab.JobToken {
			user = "gitlab-ci-token"
		}
		h, ok, err := repo.FetchBranch(ctx, remote, branch, gitrepo.Auth{Username: user, Token: token})
		switch {
		case err == nil && ok:
			return h, nil
		case err == nil:
			return plumbing.ZeroHash, fmt.Errorf("the merge request's target branch %s is not on %s: check its target branch (or --target-branch)", branch, remote)
		}
		c.rep.Warningf("%v: comparing with the clone's copy of %s", err, branch)
	}
	for _, rev := range []string{"refs/remotes/" + remote + "/" + branch, "refs/heads/" + branch} {
		if h, err := repo.ResolveCommit(rev); err == nil {
			return h, nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("the clone has no copy of the target branch %s (neither refs/remotes/%s/%s nor refs/heads/%s), so relman cannot tell which packages the merge request changes: fetch it before relman check (git fetch %s %s)",
		branch, remote, branch, branch, remote, branch)
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
	if len(r.Packages) > 0 {
		b.WriteString("| Package | Latest release | Impact | Merging now releases | Why |\n|---|---|---|---|---|\n")
		for _, p := range r.Packages {
			latest, next := "none", "nothing"
			if p.LatestTag != "" {
				latest = mdCodeCell(p.LatestTag)
			}
			if p.Released() {
				next = "**" + mdCodeCell(p.NextTag) + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(p.Name), latest, p.Impact, next, mdText(packageWhy(p)))
		}
		b.WriteString("\n")
	}
	if n := len(r.Outside); n > 0 {
		fmt.Fprintf(&b, "%s outside every package, with no impact: %s.\n\n", plural(n, "changed file"), mdFileList(r.Outside, 10))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "- :x: %s\n", tagstep.EscapeMarkdown(p))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", tagstep.EscapeMarkdown(n))
	}
	return b.String()
}

// mdCodeCell is a code span in a table cell: a pipe would end the cell
// even inside the span, so it is escaped (GFM shows it as |).
func mdCodeCell(s string) string {
	return "`" + strings.ReplaceAll(mdCode(s), "|", `\|`) + "`"
}

// packageWhy says why merging releases a package.
func packageWhy(p check.PackageResult) string {
	switch {
	case len(p.BumpedBy) > 0 && p.Touched:
		return "changed, and depends on " + strings.Join(p.BumpedBy, ", ")
	case len(p.BumpedBy) > 0:
		return "depends on " + strings.Join(p.BumpedBy, ", ")
	}
	return "changed"
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// mdFileList lists files as code spans, at most max of them.
func mdFileList(files []string, max int) string {
	var parts []string
	for i, f := range files {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(files)-max))
			break
		}
		parts = append(parts, "`"+mdCode(f)+"`")
	}
	return strings.Join(parts, ", ")
}

// checkPackage is one entry of the check step's packages output: a package
// merging now releases.
type checkPackage struct {
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	Tag             string   `json:"tag"`
	PreviousVersion string   `json:"previous-version"`
	PreviousTag     string   `json:"previous-tag"`
	Impact          string   `json:"impact"`
	BumpedBy        []string `json:"bumped-by"`
}

// checkPackagesJSON is the packages output: the packages merging now
// releases, dependencies first ([] when none, or when the repository is
// one package).
func checkPackagesJSON(r check.Result) string {
	out := []checkPackage{}
	for _, p := range r.Packages {
		if !p.Released() {
			continue
		}
		e := checkPackage{Name: p.Name, Version: p.Next.String(), Tag: p.NextTag, PreviousTag: p.LatestTag, Impact: p.Impact.String(), BumpedBy: p.BumpedBy}
		if p.Latest != nil {
			e.PreviousVersion = p.Latest.String()
		}
		if e.BumpedBy == nil {
			e.BumpedBy = []string{}
		}
		out = append(out, e)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// checkReport is the check's terminal report.
func checkReport(mr mrContext, r check.Result, fg detect.Target, nextTag string) string {
	var b strings.Builder
	ref := "the merge request"
	if mr.number > 0 {
		ref = (tagstep.Links{GitLab: fg.Kind == "gitlab"}).Ref(mr.number)
	}
	if mr.title != "" {
		ref += " " + cell(mr.title, 72)
	}
	state := "Ready to merge"
	if !r.OK() {
		state = "Not ready to merge"
	}
	fmt.Fprintf(&b, "%s: %s → %s (impact %s)\n", state, ref, oneLine(mr.target), r.Impact)
	if r.Latest != nil {
		fmt.Fprintf(&b, "  latest:   %s\n", r.LatestTag)
	}
	if r.Next != nil {
		fmt.Fprintf(&b, "  releases: %s\n", nextTag)
	}
	if len(r.Packages) > 0 {
		b.WriteString("\nPackages:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  PACKAGE\tLATEST\tIMPACT\tRELEASES\tWHY")
		for _, p := range r.Packages {
			latest, next := "-", "nothing"
			if p.LatestTag != "" {
				latest = p.LatestTag
			}
			if p.Released() {
				next = p.NextTag
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", oneLine(p.Name), oneLine(latest), p.Impact, oneLine(next), packageWhy(p))
		}
		tw.Flush()
	}
	if n := len(r.Outside); n > 0 {
		fmt.Fprintf(&b, "\n%s outside every package, with no impact: %s\n", plural(n, "changed file"), fileList(r.Outside, 10))
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	// The problems follow as the error.
	return b.String()
}

// fileList lists files on one line, at most max of them.
func fileList(files []string, max int) string {
	var parts []string
	for i, f := range files {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(files)-max))
			break
		}
		parts = append(parts, oneLine(f))
	}
	return strings.Join(parts, ", ")
}
