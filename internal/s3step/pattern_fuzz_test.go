package s3step

import (
	"strings"
	"testing"
)

// FuzzPatterns checks the include/exclude patterns (settings and the
// release definition): compiling never panics; a pattern never has a ".git",
// "..", "." or empty segment; a pattern without wildcards matches its own
// path, and an anchored one (with a "/") matches nothing else. Inputs are
// capped at 64 bytes: "**" segments backtrack, and patterns are the
// project's own configuration, not hostile input.
func FuzzPatterns(f *testing.F) {
	for _, s := range [][2]string{
		{"dist/**", "dist/a/b.txt"}, {"*.md", "docs/a.md"}, {"/README.md", "README.md"}, {"docs/", "docs/x"},
		{"a/../b", "b"}, {".git/config", ".git/config"}, {"[", "["}, {"a\\b", "a/b"}, {" x ", "x"},
		{"**/**/a", "a"}, {"a//b", "a/b"}, {"./a", "a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, name string) {
		if len(pat) > 64 || len(name) > 64 {
			return
		}
		ps, err := compile([]string{pat})
		if err != nil {
			return
		}
		for _, p := range ps {
			for _, seg := range p.segs {
				if seg == ".git" || seg == ".." || seg == "." || seg == "" {
					t.Fatalf("pattern %q compiled to a %q segment: %q", pat, seg, p.segs)
				}
			}
			got := p.match(name)
			if got != p.match(name) {
				t.Fatalf("pattern %q matches %q only sometimes", pat, name)
			}
			if p.lit == "" {
				continue
			}
			if !p.match(p.lit) {
				t.Fatalf("literal pattern %q does not match its own path %q", pat, p.lit)
			}
			anchored := strings.Contains(strings.TrimPrefix(strings.TrimSpace(pat), "/"), "/") || strings.HasPrefix(strings.TrimSpace(pat), "/")
			if anchored && got && name != p.lit {
				t.Fatalf("anchored literal pattern %q matches %q", pat, name)
			}
			if !anchored && got && name != p.lit && !strings.HasSuffix(name, "/"+p.lit) {
				t.Fatalf("literal pattern %q matches %q, which does not end in it", pat, name)
			}
		}
	})
}
