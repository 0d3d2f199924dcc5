package tagstep

import (
	"fmt"
	"strings"

	"github.com/relman-dev/relman/internal/version"
)

// Links builds web links for release notes.
type Links struct {
	// ProjectURL is the project's web page, e.g. https://github.com/o/r.
	ProjectURL string
	// GitLab selects GitLab's link shapes (!12, /-/merge_requests, /-/compare).
	GitLab bool
}

func (l Links) commit(sha string) string {
	if l.ProjectURL == "" {
		return ""
	}
	if l.GitLab {
		return l.ProjectURL + "/-/commit/" + sha
	}
	return l.ProjectURL + "/commit/" + sha
}

func (l Links) compare(from, to string) string {
	if l.ProjectURL == "" || from == "" {
		return ""
	}
	if l.GitLab {
		return l.ProjectURL + "/-/compare/" + from + "..." + to
	}
	return l.ProjectURL + "/compare/" + from + "..." + to
}

func (l Links) ref(n int) string {
	if l.GitLab {
		return fmt.Sprintf("!%d", n)
	}
	return fmt.Sprintf("#%d", n)
}

// Notes renders the release notes in Markdown: the changes grouped by
// impact, each with its link and author, and a compare link.
func Notes(r *Result, l Links) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", r.Tag)
	groups := []struct {
		title string
		imp   version.Impact
	}{
		{"Breaking changes", version.Major},
		{"Features", version.Minor},
		{"Fixes", version.Patch},
		{"Other changes", version.None},
	}
	wrote := false
	for _, g := range groups {
		var items []string
		for _, c := range r.Changes {
			if c.impact != g.imp {
				continue
			}
			items = append(items, "- "+changeLine(c, l))
		}
		if len(items) == 0 {
			continue
		}
		wrote = true
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", g.title, strings.Join(items, "\n"))
	}
	if !wrote {
		fmt.Fprintf(&b, "%s\n\n", escapeMarkdown(r.Reason))
	}
	if u := l.compare(r.PreviousTag, r.Tag); u != "" {
		fmt.Fprintf(&b, "**Full changelog**: %s\n", u)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func changeLine(c Change, l Links) string {
	title := escapeMarkdown(c.Title)
	var ref string
	switch {
	case c.Kind == "merge-request" && c.URL != "":
		ref = fmt.Sprintf("[%s](%s)", l.ref(c.Number), c.URL)
	case c.Kind == "merge-request":
		ref = l.ref(c.Number)
	case l.commit(c.Commit) != "":
		ref = fmt.Sprintf("[%s](%s)", c.Commit[:7], l.commit(c.Commit))
	default:
		ref = c.Commit[:7]
	}
	line := title + " (" + ref + ")"
	if c.Author != "" {
		if c.Kind == "merge-request" {
			line += " by @" + escapeMarkdown(c.Author)
		} else {
			line += " by " + escapeMarkdown(c.Author)
		}
	}
	return line
}

// escapeMarkdown keeps untrusted text (titles, names) from becoming HTML,
// links or structure in Markdown: one line, and Markdown's special
// characters escaped.
func escapeMarkdown(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '{', '}', '[', ']', '<', '>', '(', ')', '#', '|', '!', '~':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
