package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relman-dev/relman/internal/packages"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/versionfile"
)

// tagPackagesRun is relman tag in a repository of packages: every package
// with changes since its own latest release is released, all tags in one
// push.
func tagPackagesRun(ctx context.Context, c *job, o *tagOptions, k *checkout, cfg *packages.Config, single tagstep.Options) error {
	specs, err := packageSpecs(c, cfg)
	if err != nil {
		return err
	}
	c.rep.Infof("%d packages from %s: %s", len(cfg.Packages), cfg.File, strings.Join(cfg.Names(), ", "))
	res, err := tagstep.RunPackages(ctx, tagstep.PackagesOptions{
		Options: single, Packages: specs, Author: k.ident.author, Committer: k.ident.committer,
		ConfigFiles: cfg.Sources(),
	})
	if errors.Is(err, tagstep.ErrPackageBranch) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	urls := map[string]string{}
	if o.publish && !k.dryRun {
		for _, p := range res.Packages {
			if !p.Released && !p.Existing {
				continue
			}
			u, err := publishRelease(ctx, c, k.forge, k.token, p.Result)
			if err != nil {
				return fmt.Errorf("the tags are pushed, but %w; re-run this job to publish the releases", err)
			}
			urls[p.Name] = u
		}
	}
	packagesOutputs(c, res, urls)
	c.summary = packagesSummary(res)
	c.report = packagesReport(res, single.Notes, c.common.dryRunFlag, k.remote)
	return nil
}

// packageSpecs turns the package config into what the tag step needs: each
// package's tags, dependencies, own version editors and dependency edits.
func packageSpecs(c *job, cfg *packages.Config) ([]tagstep.Package, error) {
	warn := func(msg string) { c.rep.Warningf("%s", msg) }
	var out []tagstep.Package
	for _, p := range cfg.Packages {
		editors, err := p.Editors(warn)
		if err != nil {
			return nil, usagef("%s: %v", cfg.File, err)
		}
		spec := tagstep.Package{
			Name: p.Name, Paths: p.Paths, Tags: p.Tags(), DependsOn: p.DependsOn,
			DependencyBump: p.DependencyBump, Stable: p.Stable,
		}
		if len(editors) > 0 {
			spec.SetVersion = func(files versionfile.Files, v string, when time.Time) ([]versionfile.Change, error) {
				return editors.At(when).Set(files, v)
			}
		}
		if len(p.DependsOn) > 0 {
			spec.SetDependencies = func(files versionfile.Files, released map[string]string) ([]versionfile.Change, error) {
				return cfg.DependencyEdits(files, p, released)
			}
		}
		out = append(out, spec)
	}
	return out, nil
}

// packageOutput is one released package in the packages output.
type packageOutput struct {
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	Tag             string   `json:"tag"`
	PreviousVersion string   `json:"previous-version"`
	PreviousTag     string   `json:"previous-tag"`
	Impact          string   `json:"impact"`
	Commit          string   `json:"commit"`
	BumpedBy        []string `json:"bumped-by"`
	ReleaseURL      string   `json:"release-url,omitempty"`
}

func packagesOutputs(c *job, r *tagstep.PackagesResult, urls map[string]string) {
	list := []packageOutput{}
	for _, p := range r.ReleasedPackages() {
		po := packageOutput{Name: p.Name, Version: p.Version.String(), Tag: p.Tag, PreviousTag: p.PreviousTag,
			Impact: p.Impact.String(), BumpedBy: p.BumpedBy, ReleaseURL: urls[p.Name]}
		if po.BumpedBy == nil {
			po.BumpedBy = []string{}
		}
		if p.Previous != nil {
			po.PreviousVersion = p.Previous.String()
		}
		if !p.Commit.IsZero() {
			po.Commit = p.Commit.String()
		}
		list = append(list, po)
	}
	pj, _ := json.Marshal(list)
	changes := r.Changes
	if changes == nil {
		changes = []tagstep.Change{}
	}
	cj, _ := json.Marshal(changes)
	commit := ""
	if r.Released && !r.Commit.IsZero() {
		commit = r.Commit.String()
	}
	line := ""
	if !r.NotReleaseBranch {
		line = r.Line.String()
	}
	c.output("released", strconv.FormatBool(r.Released))
	for _, name := range []string{"version", "tag", "previous-version", "previous-tag", "major", "minor", "patch"} {
		c.output(name, "") // one version per package: see packages
	}
	c.output("impact", r.Impact.String())
	c.output("release-line", line)
	c.output("commit", commit)
	c.output("changes", string(cj))
	c.output("released-packages", string(pj))
	c.output("tags", strings.Join(r.Tags, ","))
	c.output("release-notes", packagesNotes(r))
	c.output("release-url", "")
}

// packagesNotes joins the released packages' notes, one section each.
func packagesNotes(r *tagstep.PackagesResult) string {
	var parts []string
	for _, p := range r.ReleasedPackages() {
		parts = append(parts, p.Notes)
	}
	return strings.Join(parts, "\n")
}

func packagesSummary(r *tagstep.PackagesResult) string {
	var b strings.Builder
	released := r.ReleasedPackages()
	switch {
	case r.Released && r.DryRun:
		fmt.Fprintf(&b, "## relman tag: would release %d packages (dry run)\n\n", len(released))
	case r.Released:
		fmt.Fprintf(&b, "## relman tag: released %d packages\n\n", len(released))
	default:
		b.WriteString("## relman tag: nothing to release\n\n")
		fmt.Fprintf(&b, "%s.\n\n", mdText(r.Reason))
	}
	if !r.NotReleaseBranch {
		fmt.Fprintf(&b, "Branch `%s`, release line %s.\n\n", mdCode(r.Branch), r.Line)
	}
	if len(r.Packages) > 0 && !r.NotReleaseBranch {
		b.WriteString("| Package | Release | Previous | Impact | Why |\n|---|---|---|---|---|\n")
		for _, p := range r.Packages {
			rel := "—"
			switch {
			case p.Released:
				rel = "`" + mdCode(p.Tag) + "`"
			case p.Existing:
				rel = "`" + mdCode(p.ExistingTag) + "` (already)"
			}
			prev := "—"
			if p.PreviousTag != "" {
				prev = "`" + mdCode(p.PreviousTag) + "`"
			}
			imp := "—"
			if p.Released {
				imp = p.Impact.String()
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(p.Name), rel, prev, imp, mdText(oneLine(p.Reason)))
		}
		b.WriteString("\n")
	}
	for _, p := range released {
		fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n%s\n</details>\n\n", mdText(p.Tag), p.Notes)
	}
	if n := len(r.Outside); n > 0 {
		fmt.Fprintf(&b, "%d changes touch no package and carry no impact.\n", n)
	}
	if n := len(r.Unattributed); n > 0 {
		fmt.Fprintf(&b, "%d commits belong to no merge request and carry no impact.\n", n)
	}
	return b.String()
}

func packagesReport(r *tagstep.PackagesResult, l tagstep.NotesOptions, dryRunFlag bool, remote string) string {
	var b strings.Builder
	released := r.ReleasedPackages()
	switch {
	case r.Released && r.DryRun:
		fmt.Fprintf(&b, "Would release %s (dry run: nothing was written)\n", strings.Join(r.Tags, ", "))
	case r.Released:
		fmt.Fprintf(&b, "Released %s\n", strings.Join(r.Tags, ", "))
	default:
		b.WriteString("Nothing to release\n")
		if r.Reason != "" {
			fmt.Fprintf(&b, "  why:      %s\n", r.Reason)
		}
	}
	if !r.NotReleaseBranch {
		fmt.Fprintf(&b, "  branch:   %s (release line %s)\n", oneLine(r.Branch), r.Line)
	}
	if r.Released {
		switch {
		case r.Commit.IsZero():
			fmt.Fprintf(&b, "  commit:   a release commit on %s\n", r.Source.String()[:12])
		case r.Commit == r.Source:
			fmt.Fprintf(&b, "  commit:   %s (the pipeline commit)\n", r.Commit.String()[:12])
		default:
			fmt.Fprintf(&b, "  commit:   %s (release commit on %s)\n", r.Commit.String()[:12], r.Source.String()[:12])
		}
	}
	if len(r.Packages) > 0 && !r.NotReleaseBranch {
		b.WriteString("\nPackages:\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  PACKAGE\tRELEASE\tPREVIOUS\tIMPACT\tWHY")
		for _, p := range r.Packages {
			rel, imp := "-", "-"
			switch {
			case p.Released:
				rel, imp = p.Tag, p.Impact.String()
			case p.Existing:
				rel = p.ExistingTag + " (already)"
			}
			prev := p.PreviousTag
			if prev == "" {
				prev = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", cell(p.Name, 32), rel, prev, imp, cell(p.Reason, 72))
		}
		tw.Flush()
	}
	changesTable(&b, r.Changes, l, "PACKAGES", func(ch tagstep.Change) string { return cell(strings.Join(ch.Packages, ", "), 40) })
	if n := len(r.Outside); n > 0 {
		fmt.Fprintf(&b, "\n%d changes touch no package and carry no impact:\n", n)
		for i, ch := range r.Outside {
			if i == 5 {
				fmt.Fprintf(&b, "  … and %d more\n", n-5)
				break
			}
			fmt.Fprintf(&b, "  %s %s (%s)\n", changeRef(ch, l), cell(ch.Title, 60), cell(strings.Join(ch.Paths, ", "), 60))
		}
	}
	if n := len(r.Unattributed); n > 0 {
		fmt.Fprintf(&b, "\n%d commits belong to no merge request and carry no impact.\n", n)
	}
	b.WriteString("\nNext: ")
	switch {
	case r.Released && r.DryRun && dryRunFlag:
		fmt.Fprintf(&b, "run the same command without --dry-run to create the %d tags and push them to %s.\n", len(released), remote)
	case r.Released && r.DryRun:
		fmt.Fprintf(&b, "turn dry-run off (RELMAN_DRY_RUN) to create the %d tags and push them to %s.\n", len(released), remote)
	case r.Released:
		b.WriteString("relman releasedef generate pins the released versions; relman --output json gives the outputs (packages: a JSON list) to scripts.\n")
	case r.NotReleaseBranch:
		b.WriteString("run on the default branch or a package's release branch, release/PACKAGE/N (or pass --branch).\n")
	default:
		b.WriteString("merge a change with an impact into a package (a feat or fix commit, an Impact: trailer, or an impact label), then run again.\n")
	}
	return b.String()
}
