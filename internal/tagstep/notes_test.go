package tagstep

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/version"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func mr(n int, title, author string, imp version.Impact) Change {
	return Change{Kind: "merge-request", Number: n, Title: title, URL: "https://gitlab.example/acme/widget/-/merge_requests/" + itoa(n),
		Author: author, Commit: strings.Repeat("a", 40), Impact: imp.String(), impact: imp}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestNotesGolden(t *testing.T) {
	res := &Result{
		Released: true, Tag: "2.4.0", Version: semver.MustParse("2.4.0"), PreviousTag: "2.3.1",
		Changes: []Change{
			mr(11, "Add the export button (ABC-12, ABC-13)", "ana", version.Minor),
			mr(12, "Fix the date parser for ABC-7", "bo", version.Patch),
			mr(13, "Drop the v1 API", "cy", version.Major),
			mr(14, "<script>alert(1)</script> | [x](javascript:alert(1)) **bold** # heading", "ev<il>", version.Patch),
			mr(15, "Multi\nline\r\ntitle\x1b[31m with ANSI", "dee", version.Patch),
		},
	}
	opts := NotesOptions{
		Links:       Links{ProjectURL: "https://gitlab.example/acme/widget", GitLab: true},
		WorkItems:   []*regexp.Regexp{regexp.MustCompile(`[A-Z]+-[0-9]+`)},
		WorkItemURL: "https://jira.example.com/browse/{id}",
	}
	golden(t, "notes-gitlab.md", Notes(res, opts))

	// GitHub links, no tracker, and a limit of 2: "and 3 more".
	opts = NotesOptions{Links: Links{ProjectURL: "https://github.com/acme/widget"}, Limit: 2}
	golden(t, "notes-github-limit.md", Notes(res, opts))
}

func TestNotesNeverBreakOut(t *testing.T) {
	hostile := []string{
		"<img src=x onerror=alert(1)>", "]]>(evil)", "a|b|c", "line\n## injected heading", "`code`", "\x1b]0;title\x07",
		"[link](https://evil.example)", "<!-- comment -->", "&lt;already&gt;",
	}
	for _, h := range hostile {
		res := &Result{Tag: "1.0.0", Changes: []Change{mr(1, h, h, version.Patch)}}
		notes := Notes(res, NotesOptions{})
		for _, line := range strings.Split(notes, "\n") {
			if strings.HasPrefix(line, "## injected") {
				t.Errorf("title %q made a heading:\n%s", h, notes)
			}
		}
		if regexp.MustCompile(`(^|[^\\])<[a-z!]`).MatchString(notes) {
			t.Errorf("title %q left raw HTML:\n%s", h, notes)
		}
		if strings.ContainsAny(notes, "\x1b\x07\r") {
			t.Errorf("title %q left control characters: %q", h, notes)
		}
		if regexp.MustCompile(`(^|[^\\])\[link\]`).MatchString(notes) {
			t.Errorf("title %q made a link:\n%s", h, notes)
		}
	}
}

func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"<b>x</b>", "a|b", "[x](y)", "\n# h", "\x1b[31m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := EscapeMarkdown(s)
		if strings.ContainsAny(out, "\n\r\x1b") {
			t.Fatalf("EscapeMarkdown(%q) = %q: a line break or escape survived", s, out)
		}
		if regexp.MustCompile(`(^|[^\\])[<|\[]`).MatchString(out) {
			t.Fatalf("EscapeMarkdown(%q) = %q: an unescaped < | or [", s, out)
		}
		if strings.ContainsFunc(out, func(r rune) bool { return bidiControl(r) || unicode.IsControl(r) }) {
			t.Fatalf("EscapeMarkdown(%q) = %q: a control or bidirectional character survived", s, out)
		}
		if strings.Count(out, "@") != strings.Count(out, "@\u200b") {
			t.Fatalf("EscapeMarkdown(%q) = %q: an @ that can mention", s, out)
		}
	})
}

// TestEscapeMarkdownHostile checks titles written to mention everyone, to
// read in another order than they are written, or to reach a terminal.
func TestEscapeMarkdownHostile(t *testing.T) {
	for in, want := range map[string]string{
		"Fix the parser @everyone @here":              "Fix the parser @\u200beveryone @\u200bhere",
		"cc @acme/security-team":                      "cc @\u200bacme/security-team",
		"access = \u202euser\u2066 admin\u2069\u202c": "access = user admin",
		"marks \u200e\u200f\u061c gone":               "marks gone",
		"C1 \u009b31m CSI and \u0085 NEL":             "C1 31m CSI and NEL",
	} {
		if got := EscapeMarkdown(in); got != want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", in, got, want)
		}
	}
}
