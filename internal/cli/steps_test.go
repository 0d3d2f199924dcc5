package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestStepRegistry checks that every entry of the list of steps is
// complete and reachable: unique names, a synopsis, described outputs,
// pipelines for its component, help through dispatch, and a line in the
// help that names it.
func TestStepRegistry(t *testing.T) {
	seen := map[string]bool{}
	help := usageText()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if seen[st.name] {
				t.Fatalf("step %s listed twice", st.name)
			}
			seen[st.name] = true
			word, sub, grouped := strings.Cut(st.name, " ")
			if grouped && findGroup(word) == nil {
				t.Errorf("step %s: no group %q", st.name, word)
			}
			if len(st.forms) == 0 || st.forms[0].what == "" {
				t.Errorf("step %s: no usage form", st.name)
			}
			if st.pipelines == "" {
				t.Errorf("step %s: no pipelines for its GitLab component", st.name)
			}
			if len(st.outputs) == 0 {
				t.Errorf("step %s: no outputs", st.name)
			}
			outs := map[string]bool{}
			for _, o := range st.outputs {
				if o.Name == "" || o.Description == "" || outs[o.Name] {
					t.Errorf("step %s: output %+v: want a unique name and a description", st.name, o)
				}
				outs[o.Name] = true
			}
			s := newSettings(st.name, func(string) string { return "" }, &bytes.Buffer{})
			addCommonSettings(s, new(commonOptions))
			synopsis, run := st.define(s)
			if !strings.HasPrefix(synopsis, "relman "+st.name) || run == nil {
				t.Errorf("step %s: synopsis %q, run %v", st.name, synopsis, run != nil)
			}

			var stdout, stderr bytes.Buffer
			args := append(strings.Fields(st.name), "--help")
			if code := Main(context.Background(), Env{Args: args, Stdout: &stdout, Stderr: &stderr}); code != ExitOK || !strings.Contains(stderr.String(), synopsis) {
				t.Errorf("relman %s --help: exit %d, stderr %q", st.name, code, stderr.String())
			}
			if grouped {
				g := findGroup(word)
				if !strings.Contains(help, "relman "+word) || !strings.Contains(g.usage(), "relman "+word+" "+sub) {
					t.Errorf("step %s: not in the help of relman or of relman %s", st.name, word)
				}
			} else if !strings.Contains(help, "relman "+st.name+" ") {
				t.Errorf("step %s: not in relman's help:\n%s", st.name, help)
			}
		})
	}
	for _, g := range groups {
		if len(g.subSteps()) == 0 {
			t.Errorf("group %s has no steps", g.name)
		}
	}
}

// TestGroupDispatch checks the dispatch of the subcommands of a group.
func TestGroupDispatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no subcommand", []string{"s3"}, ExitUsage, "", "relman s3 versions ASSET [settings]"},
		{"help", []string{"help", "s3"}, ExitOK, "relman s3 rollback --release TAG [--delete]", ""},
		{"unknown", []string{"releasedef", "publish"}, ExitUsage, "", `unknown subcommand "publish"`},
		{"two assets", []string{"s3", "versions", "a", "b"}, ExitUsage, "", `unexpected argument "b": one ASSET only`},
		{"unknown command", []string{"deploy"}, ExitUsage, "", `unknown command "deploy"`},
		{"no bucket", []string{"s3", "status"}, ExitUsage, "", "no bucket: set --bucket (RELMAN_BUCKET)"},
		{"bad prefix", []string{"s3", "sync", "--bucket", "b", "--prefix", "../x"}, ExitUsage, "", "prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), Env{Args: tc.args, Stdout: &stdout, Stderr: &stderr})
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout %q (want %q)\nstderr %q (want %q)", code, tc.code, stdout.String(), tc.stdout, stderr.String(), tc.stderr)
			}
		})
	}
}
