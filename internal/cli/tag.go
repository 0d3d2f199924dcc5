package cli

import (
	"context"
	"fmt"
	"regexp"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/version"
)

// tagOptions are the settings of relman tag.
type tagOptions struct {
	impactFrom string // auto, labels or commits
	stable     bool
	publish    bool
	labels     impact.Labels
	notes      tagstep.NotesOptions // work items and limit; the links come from the forge
	build      buildSystemOptions
	remote     remoteOptions
	packages   string
}

func tagCommand(s *settings) (string, step) {
	o := &tagOptions{}
	s.addEnum("impact-from", "auto", "where impacts come from: labels, commits, or auto (labels when a forge token is set)", []string{"auto", "labels", "commits"}).to(&o.impactFrom)
	s.addSwitch("stable-release", "force 1.0.0 on a 0.x line (STABLE_RELEASE: a non-zero integer or true/t/yes/y)", version.ParseStable, "STABLE_RELEASE").toBool(&o.stable)
	addBuildSystemSettings(s, &o.build)
	addPackagesSetting(s, &o.packages)
	s.addChecked("work-item-pattern", "", `regular expressions of work item ids in titles, comma or newline separated, e.g. "[A-Z]+-[0-9]+"`, checkWorkItemPatterns).toFunc(func(v string) error {
		o.notes.WorkItems = nil
		for _, p := range ci.SplitList(v) {
			re, err := regexp.Compile(p)
			if err != nil {
				return fmt.Errorf("%q is not a regular expression: %w", p, err)
			}
			o.notes.WorkItems = append(o.notes.WorkItems, re)
		}
		return nil
	})
	s.addChecked("work-item-url", "", "link of a work item: {id} is replaced by its id, e.g. https://jira.example.com/browse/{id}", checkHTTPURL).to(&o.notes.WorkItemURL)
	s.addNumber("notes-limit", "50", "changes listed in the release notes; the rest are counted", checkPositive).toInt(&o.notes.Limit)
	s.addBool("publish-release", "also publish a GitHub Release / GitLab Release on the tag, with the release notes (idempotent)").toBool(&o.publish)
	addLabelSettings(s, &o.labels)
	addRemoteSettings(s, &o.remote)
	return "relman tag: find the latest release, collect the changes merged since, compute the next version, tag it and push the tag",
		func(ctx context.Context, c *job) error { return tagRun(ctx, c, o) }
}

// addLabelSettings adds the names of the impact labels, bound to l.
func addLabelSettings(s *settings, l *impact.Labels) {
	s.add("label-major", impact.DefaultLabels.Major, "label of major changes").to(&l.Major)
	s.add("label-minor", impact.DefaultLabels.Minor, "label of minor changes").to(&l.Minor)
	s.add("label-patch", impact.DefaultLabels.Patch, "label of patch changes").to(&l.Patch)
}

func tagRun(ctx context.Context, c *job, o *tagOptions) error {
	labels := o.labels
	if err := labels.Validate(); err != nil {
		return usageError{err}
	}
	bs, err := buildSystemFromSettings(c, o.build)
	if err != nil {
		return err
	}
	k, err := openCheckout(ctx, c, &o.remote)
	if err != nil {
		return err
	}
	defer k.repo.Close()
	token, fg := k.token, k.forge
	notes := o.notes
	notes.Links = tagstep.Links{ProjectURL: fg.WebURL, GitLab: fg.Kind == detect.GitLab}

	opts := tagstep.Options{
		Repo: k.repo, Commit: k.head, Branch: k.branch, DefaultBranch: k.defaultBranch,
		BranchPrefix: o.remote.branchPrefix, Tags: k.tags, Remote: k.remote,
		Auth: k.auth(), Labels: labels, Stable: o.stable,
		DryRun: k.dryRun, Log: c.rep,
		Tagger: k.ident.committer, // git's tagger is the committer
		Notes:  notes,
	}
	opts.BuildSystem = bs.tagBuildSystem(c, k.ident)
	switch from := o.impactFrom; {
	case from == "commits", from == "auto" && (token == "" || fg.Kind == ""):
		opts.Source = tagstep.FromCommits
		c.rep.Infof("impact from commit messages (Conventional Commits and Impact: trailers)")
	default:
		if fg.Kind == "" {
			return usagef("impact-from labels needs a forge: set --forge github|gitlab, --api-url and --project")
		}
		if token == "" && k.cred.token != "" {
			return usagef("impact-from labels: the token from %s belongs to another host than the %s API at %s (see the warning above): pass it with --token to send it there, or set --api-url", k.cred.source, fg.Kind, hostOf(fg.API()))
		}
		if token == "" {
			return usagef("impact-from labels needs a forge token: set RELMAN_TOKEN (GitHub: GITHUB_TOKEN; GitLab: a project access token with api and write_repository scopes, because CI_JOB_TOKEN cannot list merge requests)")
		}
		lister, err := fg.Client(token)
		if err != nil {
			return usageError{err}
		}
		opts.Source, opts.Forge = tagstep.FromLabels, lister
		c.rep.Infof("impact from %s labels (%s, %s, %s) of %s", fg.Kind, labels.Major, labels.Minor, labels.Patch, fg.Project)
	}

	if o.publish && (token == "" || fg.Kind == "") {
		return usagef("publish-release needs a forge and a token: set RELMAN_TOKEN (and --forge outside CI)")
	}
	cfg, err := loadPackages(k.repo, k.head, o.packages)
	if err != nil {
		return err
	}
	if cfg != nil {
		if o.build.name != "simple" || o.build.versionFiles != "" {
			return usagef("%s and %s apply to a repository released as one package; with the packages of %s, set build-system and version-files per package there (or set packages: none)", c.s.named("build-system"), c.s.named("version-files"), cfg.File)
		}
		if v, _ := c.s.get("tag-prefix"); v != "" {
			return usagef("%s applies to a repository released as one package; the packages of %s name their tags by tag-pattern", c.s.named("tag-prefix"), cfg.File)
		}
		return tagPackagesRun(ctx, c, o, k, cfg, opts)
	}
	res, err := tagstep.Run(ctx, opts)
	if err != nil {
		return err
	}
	releaseURL := ""
	if o.publish && !k.dryRun {
		if releaseURL, err = publishRelease(ctx, c, fg, token, res); err != nil {
			return fmt.Errorf("the tag is pushed, but %w; re-run this job to publish it", err)
		}
	}
	tagOutputs(c, res)
	c.output("release-url", releaseURL)
	c.summary = tagSummary(res, opts.Notes)
	c.report = tagReport(res, opts.Notes, c.common.dryRunFlag, k.remote)
	return nil
}

// publishRelease publishes the release of the tag this run made, or of the
// tag that already held this release (a re-run after a failed publication).
func publishRelease(ctx context.Context, c *job, fg detect.Target, token string, res *tagstep.Result) (string, error) {
	tag, notes := res.Tag, res.Notes
	if !res.Released {
		tag, notes = res.ExistingTag, res.ExistingNotes
	}
	if tag == "" {
		return "", nil
	}
	p, err := fg.Client(token)
	if err != nil {
		return "", err
	}
	url, created, err := p.PublishRelease(ctx, forge.Release{Tag: tag, Name: tag, Body: notes, Latest: res.Latest})
	if err != nil {
		return "", err
	}
	if created {
		c.rep.Infof("published the %s release of %s: %s", fg.Kind, tag, url)
	} else {
		c.rep.Infof("the %s release of %s exists already: %s", fg.Kind, tag, url)
	}
	return url, nil
}
