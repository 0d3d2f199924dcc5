package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/tagstep"
)

// The tag step's outputs and its Markdown summary for the CI step summary.

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
	c.output("released-packages", "[]")
	c.output("tags", tag)
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
