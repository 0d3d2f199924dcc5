package ci

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunnerFilesThroughSymlinks checks that relman never writes through a
// symbolic link a repository could commit in place of its runner files: the
// dotenv report, relman-outputs/ and the files in it, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY. The link's target stays untouched and the error
// names the file and the fix.
func TestRunnerFilesThroughSymlinks(t *testing.T) {
	long := strings.Repeat("notes ", 300) // too long for a dotenv line: a file
	tests := []struct {
		name string
		kind Kind
		link string // the path (in the job's directory) made a link to the target
		dir  bool   // the target is a directory
		run  func(h *harness) error
	}{
		{name: "relman.env", kind: GitLab, link: "relman.env",
			run: func(h *harness) error { return h.r.SetOutputs([]Output{{Name: "version", Value: "1.2.3"}}) }},
		{name: "relman-outputs/release-notes", kind: GitLab, link: "relman-outputs/release-notes",
			run: func(h *harness) error { return h.r.SetOutputs([]Output{{Name: "release-notes", Value: long}}) }},
		{name: "relman-outputs/", kind: GitLab, link: "relman-outputs", dir: true,
			run: func(h *harness) error { return h.r.SetOutputs([]Output{{Name: "release-notes", Value: long}}) }},
		{name: "GITHUB_OUTPUT", kind: GitHub, link: "github_output",
			run: func(h *harness) error { return h.r.SetOutputs([]Output{{Name: "version", Value: "1.2.3"}}) }},
		{name: "GITHUB_STEP_SUMMARY", kind: GitHub, link: "step_summary",
			run: func(h *harness) error { return h.r.Summary("## released") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.kind, Text)
			outside := t.TempDir()
			target := filepath.Join(outside, "authorized_keys")
			if tc.dir {
				target = outside
			} else if err := os.WriteFile(target, []byte("ssh-ed25519 AAAA mine\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(h.dir, filepath.FromSlash(tc.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			err := tc.run(h)
			if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "remove the link") {
				t.Fatalf("err = %v, want %v naming %s and the fix", err, ErrSymlink, link)
			}
			entries, _ := os.ReadDir(outside)
			if tc.dir && len(entries) != 0 {
				t.Errorf("wrote into the link's target directory: %v", entries)
			}
			if !tc.dir {
				if b, _ := os.ReadFile(target); string(b) != "ssh-ed25519 AAAA mine\n" {
					t.Errorf("the link's target changed: %q", b)
				}
				if len(entries) != 1 {
					t.Errorf("files next to the target: %v", entries)
				}
			}
		})
	}
}

// TestDotenvAppendsOnItsOwnLine checks that a report another tool left
// without a final newline keeps its last line, and relman's first line is a
// line of its own.
func TestDotenvAppendsOnItsOwnLine(t *testing.T) {
	h := newHarness(t, GitLab, Text)
	if err := os.WriteFile(filepath.Join(h.dir, "relman.env"), []byte("OTHER_TOOL=1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.r.SetOutputs([]Output{{Name: "version", Value: "1.2.3"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.read(t, "relman.env"), "OTHER_TOOL=1\nRELMAN_VERSION=1.2.3\n"; got != want {
		t.Errorf("relman.env = %q, want %q", got, want)
	}
}

// TestDotenvSafeToSource checks that a value with a backtick, which a shell
// sourcing the report would run even inside double quotes (a JSON value),
// goes to its file.
func TestDotenvSafeToSource(t *testing.T) {
	h := newHarness(t, GitLab, Text)
	v := `[{"title":"` + "`touch pwned`" + `"}]`
	if err := h.r.SetOutputs([]Output{{Name: "changes", Value: v}}); err != nil {
		t.Fatal(err)
	}
	if got, want := h.read(t, "relman.env"), "RELMAN_CHANGES_FILE=relman-outputs/changes\n"; got != want {
		t.Errorf("relman.env = %q, want %q", got, want)
	}
	if got := h.read(t, "relman-outputs/changes"); got != v {
		t.Errorf("relman-outputs/changes = %q, want %q", got, v)
	}
}
