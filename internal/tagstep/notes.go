package tagstep

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

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

// Compare is the link comparing two tags ("" without a project URL).
func (l Links) Compare(from, to string) string {
	if l.ProjectURL == "" || from == "" || to == "" {
		return ""
	}
	if l.GitLab {
		return l.ProjectURL + "/-/compare/" + from + "..." + to
	}
	return l.ProjectURL + "/compare/" + from + "..." + to
}

// Ref is how the forge writes a merge request number: !12 or #12.
func (l Links) Ref(n int) string {
	if l.GitLab {
		return fmt.Sprintf("!%d", n)
	}
	return fmt.Sprintf("#%d", n)
}

// NotesOptions shape the release notes.
type NotesOptions struct {
	Links
	// WorkItems find work item ids (e.g. `[A-Z]+-[0-9]+`) in titles.
	WorkItems []*regexp.Regexp
	// WorkItemURL links a work item: "{id}" is replaced by the id; without
	// it the id is appended.
	WorkItemURL string
	// Limit caps the changes listed; the rest are counted ("and 3 more").
	// Zero means 50.
	Limit int
}

// WorkItemLink is the link of one work item id.
func (o NotesOptions) WorkItemLink(id string) string {
	if o.WorkItemURL == "" {
		return ""
	}
	if strings.Contains(o.WorkItemURL, "{id}") {
		return strings.ReplaceAll(o.WorkItemURL, "{id}", id)
	}
	return o.WorkItemURL + id
}

// workItems lists the distinct work item ids in s, in order.
func (o NotesOptions) workItems(s string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, re := range o.WorkItems {
		for _, id := range re.FindAllString(s, -1) {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

var noteGroups = []struct {
	title string
	imp   version.Impact
}{
	{"Breaking changes", version.Major},
	{"Features", version.Minor},
	{"Fixes", version.Patch},
	{"Other changes", version.None},
}

// Notes renders the release notes in Markdown: the changes grouped by
// impact, each with its link, author and work items, then a compare link.
// Titles and names are untrusted: they are escaped so that they cannot add
// HTML, links, headings or table structure.
func Notes(r *Result, o NotesOptions) string {
	limit := o.Limit
	if limit <= 0 {
		limit = 50
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", EscapeMarkdown(r.Tag))
	listed, wrote := 0, false
	for _, g := range noteGroups {
		var items []string
		for _, c := range r.Changes {
			if c.impact != g.imp || listed >= limit {
				continue
			}
			listed++
			items = append(items, "- "+changeLine(c, o))
		}
		if len(items) == 0 {
			continue
		}
		wrote = true
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", g.title, strings.Join(items, "\n"))
	}
	if rest := len(r.Changes) - listed; rest > 0 {
		fmt.Fprintf(&b, "…and %d more.\n\n", rest)
	}
	if !wrote {
		fmt.Fprintf(&b, "%s\n\n", EscapeMarkdown(r.Reason))
	}
	if u := o.Compare(r.PreviousTag, r.Tag); u != "" {
		fmt.Fprintf(&b, "**Full changelog**: %s\n", u)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func changeLine(c Change, o NotesOptions) string {
	var ref string
	switch {
	case c.Kind == "merge-request" && c.URL != "":
		ref = fmt.Sprintf("[%s](%s)", o.Ref(c.Number), safeURL(c.URL))
	case c.Kind == "merge-request":
		ref = o.Ref(c.Number)
	case o.commit(c.Commit) != "":
		ref = fmt.Sprintf("[%s](%s)", c.Commit[:7], o.commit(c.Commit))
	default:
		ref = c.Commit[:7]
	}
	line := EscapeMarkdown(c.Title) + " (" + ref + ")"
	if c.Author != "" {
		if c.Kind == "merge-request" {
			line += " by @" + EscapeMarkdown(c.Author)
		} else {
			line += " by " + EscapeMarkdown(c.Author)
		}
	}
	if ids := o.workItems(c.Title); len(ids) > 0 {
		var links []string
		for _, id := range ids {
			if u := o.WorkItemLink(id); u != "" {
				links = append(links, fmt.Sprintf("[%s](%s)", EscapeMarkdown(id), safeURL(u)))
			} else {
				links = append(links, EscapeMarkdown(id))
			}
		}
		line += " — " + strings.Join(links, ", ")
	}
	return line
}

// safeURL keeps a link target from breaking out of Markdown's (...).
func safeURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(u)
}

// EscapeMarkdown keeps untrusted text (titles, names) from becoming HTML,
// links or structure in Markdown: one line, and Markdown's special
// characters escaped. Control characters (C0 and C1, so ANSI escapes too)
// and bidirectional controls, which can make the text read in another
// order than it is written (Trojan Source), are dropped; an "@" gets a
// zero-width space after it, so that "@everyone" or "@org/team" in a title
// mentions no one where the notes are posted (GitHub, GitLab, chat).
func EscapeMarkdown(s string) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if bidiControl(r) {
			return -1
		}
		return r
	}, s)), " ")
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			continue
		case strings.ContainsRune("\\`*_{}[]<>()#|!~&", r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		if r == '@' {
			b.WriteRune('\u200b')
		}
	}
	return b.String()
}

// bidiControl reports the characters that change the direction of text:
// the embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
// the directional marks (U+200E, U+200F, U+061C).
func bidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}
