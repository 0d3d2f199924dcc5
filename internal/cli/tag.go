package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/version"
)

func tagCommand(s *settings) (string, step) {
	s.addEnum("impact-from", "auto", "where impacts come from: labels, commits, or auto (labels when a forge token is set)", []string{"auto", "labels", "commits"})
	s.addSwitch("stable-release", "force 1.0.0 on a 0.x line (STABLE_RELEASE: a non-zero integer or true/t/yes/y)", version.ParseStable, "STABLE_RELEASE")
	addBuildSystemSettings(s)
	s.addChecked("work-item-pattern", "", `regular expressions of work item ids in titles, comma or newline separated, e.g. "[A-Z]+-[0-9]+"`, checkWorkItemPatterns)
	s.addChecked("work-item-url", "", "link of a work item: {id} is replaced by its id, e.g. https://jira.example.com/browse/{id}", checkHTTPURL)
	s.addNumber("notes-limit", "50", "changes listed in the release notes; the rest are counted", checkPositive)
	s.addBool("publish-release", "also publish a GitHub Release / GitLab Release on the tag, with the release notes (idempotent)")
	s.add("label-major", impact.DefaultLabels.Major, "label of major changes")
	s.add("label-minor", impact.DefaultLabels.Minor, "label of minor changes")
	s.add("label-patch", impact.DefaultLabels.Patch, "label of patch changes")
	addRemoteSettings(s)
	return "relman tag: find the latest release, collect the changes merged since, compute the next version, tag it and push the tag", tagRun
}

func tagRun(ctx context.Context, c *job) error {
	s := c.s
	stable, err := s.boolean("stable-release")
	if err != nil {
		return err
	}
	labels := impact.Labels{Major: s.str("label-major"), Minor: s.str("label-minor"), Patch: s.str("label-patch")}
	if err := labels.Validate(); err != nil {
		return usageError{err}
	}
	from, err := s.oneOf("impact-from", "auto", "labels", "commits")
	if err != nil {
		return err
	}
	bs, err := buildSystemFromSettings(c)
	if err != nil {
		return err
	}
	notes, err := notesFromSettings(s)
	if err != nil {
		return err
	}
	k, err := openCheckout(ctx, c)
	if err != nil {
		return err
	}
	defer k.repo.Close()
	token, fg := k.token, k.forge
	notes.Links = tagstep.Links{ProjectURL: fg.WebURL, GitLab: fg.Kind == "gitlab"}

	opts := tagstep.Options{
		Repo: k.repo, Commit: k.head, Branch: k.branch, DefaultBranch: k.defaultBranch,
		BranchPrefix: s.str("branch-prefix"), Tags: k.tags, Remote: k.remote,
		Auth: k.auth(), Labels: labels, Stable: stable,
		DryRun: k.dryRun, Log: c.rep,
		Tagger: k.ident.committer, // git's tagger is the committer
		Notes:  notes,
	}
	opts.BuildSystem = bs.tagBuildSystem(c, k.ident)
	switch {
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

	publish, err := s.boolean("publish-release")
	if err != nil {
		return err
	}
	if publish && (token == "" || fg.Kind == "") {
		return usagef("publish-release needs a forge and a token: set RELMAN_TOKEN (and --forge outside CI)")
	}
	res, err := tagstep.Run(ctx, opts)
	if err != nil {
		return err
	}
	releaseURL := ""
	if publish && !k.dryRun {
		if releaseURL, err = publishRelease(ctx, c, fg, token, res); err != nil {
			return fmt.Errorf("the tag is pushed, but %w; re-run this job to publish it", err)
		}
	}
	tagOutputs(c, res)
	c.output("release-url", releaseURL)
	c.summary = tagSummary(res, opts.Notes)
	c.report = tagReport(res, opts.Notes, s.set["dry-run"], k.remote)
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

func notesFromSettings(s *settings) (tagstep.NotesOptions, error) {
	var o tagstep.NotesOptions
	for _, p := range strings.FieldsFunc(s.str("work-item-pattern"), func(r rune) bool { return r == ',' || r == '\n' }) {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return o, usagef("%s %q is not a regular expression: %v", s.named("work-item-pattern"), p, err)
		}
		o.WorkItems = append(o.WorkItems, re)
	}
	o.WorkItemURL = s.str("work-item-url")
	if o.WorkItemURL != "" && !strings.HasPrefix(o.WorkItemURL, "https://") && !strings.HasPrefix(o.WorkItemURL, "http://") {
		return o, usagef("%s %q: expected an http(s) URL, e.g. https://jira.example.com/browse/{id}", s.named("work-item-url"), o.WorkItemURL)
	}
	limit, err := strconv.Atoi(s.str("notes-limit"))
	if err != nil || limit < 1 {
		return o, usagef("%s %q: expected a positive number of changes", s.named("notes-limit"), s.str("notes-limit"))
	}
	o.Limit = limit
	return o, nil
}

// resolveBranch is the branch setting, else the runner's branch, else the
// checked-out branch.
func resolveBranch(s *settings, run ci.Context, checkedOut string) string {
	if b := s.str("branch"); b != "" {
		return b
	}
	if run.Branch != "" {
		return run.Branch
	}
	return checkedOut
}

// resolveDefaultBranch works out the default branch; token is the forge
// token for fg's API, or "".
func resolveDefaultBranch(ctx context.Context, s *settings, c *job, repo *gitrepo.Repo, remote string, fg detect.Target, token string) (string, error) {
	if b := s.str("default-branch"); b != "" {
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
func resolveForge(s *settings, c *job, repo *gitrepo.Repo, remote string) (detect.Target, error) {
	remoteURL, _ := repo.RemoteURL(remote)
	t, err := detect.Resolve(c.ci, remoteURL, detect.Settings{Forge: s.str("forge"), APIURL: s.str("api-url"), Project: s.str("project")})
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

func tagOutputs(c *job, r *tagstep.Result) {
	ver, tag, major, minor, patch, commit := "", "", "", "", "", ""
	if r.Released {
		ver, tag = r.Version.String(), r.Tag
		major = strconv.FormatUint(r.Version.Major(), 10)
		minor = strconv.FormatUint(r.Version.Minor(), 10)
		patch = strconv.FormatUint(r.Version.Patch(), 10)
	}
	if r.Commit != plumbing.ZeroHash {
		commit = r.Commit.String()
	}
	prev := ""
	if r.Previous != nil {
		prev = r.Previous.String()
	}
	changes := r.Changes
	if changes == nil {
		changes = []tagstep.Change{}
	}
	cj, _ := json.Marshal(changes)
	line := ""
	if !r.NotReleaseBranch {
		line = r.Line.String()
	}
	c.output("released", strconv.FormatBool(r.Released))
	c.output("version", ver)
	c.output("tag", tag)
	c.output("previous-version", prev)
	c.output("previous-tag", r.PreviousTag)
	c.output("impact", r.Impact.String())
	c.output("major", major)
	c.output("minor", minor)
	c.output("patch", patch)
	c.output("release-line", line)
	c.output("commit", commit)
	c.output("changes", string(cj))
	notes := ""
	if r.Released {
		notes = r.Notes
	}
	c.output("release-notes", notes)
}

func tagSummary(r *tagstep.Result, l tagstep.NotesOptions) string {
	var b strings.Builder
	switch {
	case r.Released && r.DryRun:
		fmt.Fprintf(&b, "## relman tag: would release %s (dry run)\n\n", r.Tag)
	case r.Released:
		fmt.Fprintf(&b, "## relman tag: released %s\n\n", r.Tag)
	default:
		b.WriteString("## relman tag: nothing to release\n\n")
	}
	fmt.Fprintf(&b, "%s.\n\n", tagstep.EscapeMarkdown(r.Reason))
	if r.PreviousTag != "" {
		fmt.Fprintf(&b, "Previous release: `%s`. ", r.PreviousTag)
	}
	if !r.NotReleaseBranch {
		fmt.Fprintf(&b, "Branch `%s`, release line %s.\n\n", mdCode(r.Branch), r.Line)
	}
	if len(r.Changes) > 0 {
		b.WriteString("| Change | Title | Author | Impact |\n|---|---|---|---|\n")
		limit := l.Limit
		if limit <= 0 {
			limit = 50
		}
		for i, ch := range r.Changes {
			if i == limit {
				fmt.Fprintf(&b, "| … | and %d more | | |\n", len(r.Changes)-limit)
				break
			}
			ref := ch.Commit[:7]
			if ch.Kind == "merge-request" {
				ref = l.Ref(ch.Number)
				if ch.URL != "" {
					ref = fmt.Sprintf("[%s](%s)", ref, strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "|", "%7C").Replace(ch.URL))
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", ref, tagstep.EscapeMarkdown(ch.Title), tagstep.EscapeMarkdown(ch.Author), ch.Impact)
		}
		b.WriteString("\n")
	}
	if len(r.Unattributed) > 0 {
		fmt.Fprintf(&b, "%d commits belong to no merge request and carry no impact.\n", len(r.Unattributed))
	}
	return b.String()
}

func mdCode(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "`", "'")
}

// mdText makes untrusted text safe inside Markdown and table cells.
func mdText(s string) string { return tagstep.EscapeMarkdown(s) }
