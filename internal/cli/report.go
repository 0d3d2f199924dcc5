package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/relman-dev/relman/internal/backport"
	"github.com/relman-dev/relman/internal/prep"
	"github.com/relman-dev/relman/internal/tagstep"
)

// The reports printed at a terminal (local runs, --output text): what was
// (or would be) done and why, a table of the changes, and what to do next.
// Plain text, no colour and no Markdown: the Markdown summary is for the
// CI step summary, the outputs for --output json and the runners.

// tagReport is the tag step's terminal report.
func tagReport(r *tagstep.Result, l tagstep.NotesOptions, dryRunFlag bool, remote string) string {
	var b strings.Builder
	switch {
	case r.Released && r.DryRun:
		fmt.Fprintf(&b, "Would release %s (dry run: nothing was written)\n", r.Tag)
	case r.Released:
		fmt.Fprintf(&b, "Released %s\n", r.Tag)
	case r.Existing:
		fmt.Fprintf(&b, "Already released as %s: nothing to do\n", r.ExistingTag)
	default:
		b.WriteString("Nothing to release\n")
	}
	if r.Reason != "" && !r.Existing {
		fmt.Fprintf(&b, "  why:      %s\n", r.Reason)
	}
	if !r.NotReleaseBranch {
		fmt.Fprintf(&b, "  branch:   %s (release line %s)\n", oneLine(r.Branch), r.Line)
	}
	if r.PreviousTag != "" {
		fmt.Fprintf(&b, "  previous: %s\n", r.PreviousTag)
	}
	if r.Released {
		fmt.Fprintf(&b, "  impact:   %s\n", r.Impact)
		switch {
		case r.Commit.IsZero():
			fmt.Fprintf(&b, "  commit:   a version commit on %s\n", r.Source.String()[:12])
		case r.Commit == r.Source:
			fmt.Fprintf(&b, "  commit:   %s (the pipeline commit)\n", r.Commit.String()[:12])
		default:
			fmt.Fprintf(&b, "  commit:   %s (version commit on %s)\n", r.Commit.String()[:12], r.Source.String()[:12])
		}
	}
	changesTable(&b, r.Changes, l, "AUTHOR", func(ch tagstep.Change) string { return cell(ch.Author, 24) })
	if n := len(r.Unattributed); n > 0 {
		fmt.Fprintf(&b, "\n%d commits belong to no merge request and carry no impact.\n", n)
	}
	b.WriteString("\nNext: ")
	switch {
	case r.Released && r.DryRun && dryRunFlag:
		fmt.Fprintf(&b, "run the same command without --dry-run to create %s and push it to %s.\n", r.Tag, remote)
	case r.Released && r.DryRun:
		fmt.Fprintf(&b, "turn dry-run off (RELMAN_DRY_RUN) to create %s and push it to %s.\n", r.Tag, remote)
	case r.Released:
		b.WriteString("relman backport-branch brings the release branches up to it, relman prep-commit sets the next development version; relman --output json gives the outputs to scripts.\n")
	case r.Existing:
		b.WriteString("nothing; a new release needs a new change on this branch.\n")
	case r.NotReleaseBranch:
		b.WriteString("run on the default branch or a release/N or release/N.M branch (or pass --branch).\n")
	default:
		b.WriteString("merge a change with an impact (a feat or fix commit, an Impact: trailer, or an impact label), then run again.\n")
	}
	return b.String()
}

// changesTable writes the table of changes, at most the notes limit: the
// change, its impact, a column (AUTHOR, or PACKAGES) and its title.
func changesTable(b *strings.Builder, changes []tagstep.Change, l tagstep.NotesOptions, column string, value func(tagstep.Change) string) {
	if len(changes) == 0 {
		return
	}
	fmt.Fprintf(b, "\nChanges (%d):\n", len(changes))
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  CHANGE\tIMPACT\t%s\tTITLE\n", column)
	limit := l.Limit
	if limit <= 0 {
		limit = 50
	}
	for i, ch := range changes {
		if i == limit {
			fmt.Fprintf(tw, "  …\t\t\tand %d more\n", len(changes)-limit)
			break
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", changeRef(ch, l), ch.Impact, value(ch), cell(ch.Title, 72))
	}
	tw.Flush()
}

// changeRef is how a report names a change: !12 / #12, or a short commit.
func changeRef(ch tagstep.Change, l tagstep.NotesOptions) string {
	if ch.Kind == "merge-request" {
		return l.Ref(ch.Number)
	}
	if len(ch.Commit) > 7 {
		return ch.Commit[:7]
	}
	return ch.Commit
}

// cell fits untrusted text into one table cell: one line, tabs gone, at
// most max characters.
func cell(s string, max int) string {
	s = oneLine(strings.ReplaceAll(s, "\t", " "))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// backportReport is the backport-branch step's terminal report.
func backportReport(r *backport.Result, branch, version string) string {
	var b strings.Builder
	dry := ""
	if r.DryRun {
		dry = " (dry run: nothing was pushed)"
	}
	if len(r.Updates) == 0 {
		fmt.Fprintf(&b, "No release branch to bring up for release %s from %s%s\n", version, oneLine(branch), dry)
		b.WriteString("\nNext: relman prep-commit sets the next development version.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "Release branches for %s from %s%s:\n", version, oneLine(branch), dry)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, u := range r.Updates {
		fmt.Fprintf(tw, "  %s\t%s\n", oneLine(u.Branch), u.Kind)
	}
	tw.Flush()
	if r.DryRun {
		b.WriteString("\nNext: run the same command without dry-run to push these branches.\n")
	} else {
		b.WriteString("\nNext: relman prep-commit sets the next development version on these branches.\n")
	}
	return b.String()
}

// prepReport is the prep-commit step's terminal report.
func prepReport(r *prep.Result) string {
	var b strings.Builder
	if len(r.Branches) == 0 {
		b.WriteString("Nothing to prepare (the simple build system has no version files)\n")
		return b.String()
	}
	dry := ""
	if r.DryRun {
		dry = " (dry run: nothing was committed or pushed)"
	}
	fmt.Fprintf(&b, "Next development versions%s:\n", dry)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, p := range r.Branches {
		state := p.Note
		if p.Committed {
			state = "committed " + p.Commit.String()[:12]
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", oneLine(p.Branch), p.Version, oneLine(state))
	}
	tw.Flush()
	if r.DryRun {
		b.WriteString("\nNext: run the same command without dry-run to commit and push.\n")
	}
	return b.String()
}
