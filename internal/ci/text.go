package ci

import (
	"regexp"
	"strings"
	"unicode"
)

// plain makes text safe to embed in a line the Reporter builds itself (an
// escaped workflow command, the step summary): control characters other than
// newline and tab are dropped, CRLF becomes LF, invalid UTF-8 becomes U+FFFD
// and masked secrets are redacted.
func (r *Reporter) plain(s string) string {
	return r.redact(stripControls(r.redact(s)))
}

// clean makes untrusted text safe to log as it is: [Reporter.plain], then
// no line can act as a runner command. On GitHub, a line that would start
// with "::" gets a backslash before the "::" and "##[" (the legacy command
// prefix, honoured anywhere in a line) becomes "## ["; on GitLab
// "section_start:" and "section_end:" become "section-start:" and
// "section-end:" (ESC and CR are already gone, so no marker can form).
func (r *Reporter) clean(s string) string {
	s = r.plain(s)
	switch r.kind {
	case GitHub:
		lines := strings.Split(s, "\n")
		for i, line := range lines {
			lines[i] = neutralizeGitHubLine(line)
		}
		s = strings.Join(lines, "\n")
	case GitLab:
		s = neutralizeGitLab(s)
	}
	return s
}

// stripControls drops control characters except '\n' and '\t', turning CRLF
// into LF first, and replaces invalid UTF-8 with U+FFFD. Dropping a lone CR
// matters on both runners: GitHub's runner reads CR as a line break, and
// GitLab's section markers need one.
func stripControls(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		if unicode.IsControl(c) && c != '\n' && c != '\t' {
			continue
		}
		b.WriteRune(c) // an invalid byte arrives as utf8.RuneError
	}
	return b.String()
}

// neutralizeGitHubLine keeps one log line from being a workflow command. The
// runner takes a line as a command when, after leading white space, it starts
// with "::", or when it holds "##[" anywhere. It compares culture-sensitively,
// which skips default-ignorable characters (zero-width space, variation
// selectors...), so a line is judged with those removed; only a line found
// dangerous loses them.
func neutralizeGitHubLine(line string) string {
	skeleton := strings.Map(func(c rune) rune {
		if ignorable(c) {
			return -1
		}
		return c
	}, line)
	rest := strings.TrimLeftFunc(skeleton, unicode.IsSpace)
	if !strings.Contains(skeleton, "##[") && !strings.HasPrefix(rest, "::") {
		return line
	}
	skeleton = strings.ReplaceAll(skeleton, "##[", "## [")
	rest = strings.TrimLeftFunc(skeleton, unicode.IsSpace)
	if strings.HasPrefix(rest, "::") {
		skeleton = skeleton[:len(skeleton)-len(rest)] + `\` + rest
	}
	return skeleton
}

// ignorable approximates Unicode's Default_Ignorable_Code_Point.
func ignorable(c rune) bool {
	return unicode.Is(unicode.Cf, c) ||
		unicode.Is(unicode.Variation_Selector, c) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, c)
}

var sectionMarker = regexp.MustCompile(`(?i)section_(start|end):`)

// neutralizeGitLab rewrites "section_start:" and "section_end:" (in any
// case) so that logged text cannot open or close a GitLab log section.
func neutralizeGitLab(s string) string {
	return sectionMarker.ReplaceAllStringFunc(s, func(m string) string {
		return strings.Replace(m, "_", "-", 1)
	})
}

// oneLine joins the lines of s with spaces, for titles.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// sectionID reduces id to the characters GitLab allows in a section name
// that relman uses: lower-case ASCII letters, digits and '_'.
func sectionID(id string) string {
	b := []byte(strings.ToLower(id))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "section"
	}
	return string(b)
}

// isKebab reports whether name is a kebab-case output name such as
// "previous-version".
func isKebab(name string) bool {
	return kebab.MatchString(name)
}

var kebab = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
