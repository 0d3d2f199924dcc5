package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestTerminalReports: locally, with --output text, backport-branch and
// prep-commit print a short report on stdout, not the Markdown summary and
// not the outputs as key: value lines.
func TestTerminalReports(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	g.Commit("main", "fix: x", map[string]string{"VERSION": "1.0.1\n"})
	dir := g.Clone("main")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"backport-branch", []string{"backport-branch", "--dry-run", "--version", "1.0.1"}, []string{
			"Release branches for 1.0.1 from main (dry run: nothing was pushed):\n",
			"  release/1    created\n",
			"  release/1.0  created\n",
			"Next: run the same command without dry-run to push these branches.\n",
		}},
		{"prep-commit", []string{"prep-commit", "--dry-run", "--version", "1.0.1", "--build-system", "python"}, []string{
			"Next development versions (dry run: nothing was committed or pushed):\n",
			"  main         1.1.0.dev0  dry run\n",
			"Next: run the same command without dry-run to commit and push.\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), Env{Args: append(tt.args, "--repo", dir), Stdout: &stdout, Stderr: &stderr})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			out := stdout.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, bad := range []string{"## relman", "branches-created:", "next-version:"} {
				if strings.Contains(out+stderr.String(), bad) {
					t.Errorf("output has %q (Markdown summary or outputs dump):\nstdout:\n%s\nstderr:\n%s", bad, out, stderr.String())
				}
			}
		})
	}
}
