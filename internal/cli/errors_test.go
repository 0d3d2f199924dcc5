package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/releasedef"
	"github.com/relman-dev/relman/internal/tagstep"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, ExitOK},
		{"usage", usagef("--dry-run: %q is not a switch value", "maybe"), ExitUsage},
		{"usage wrapped", fmt.Errorf("tag: %w", usagef("no bucket")), ExitUsage},
		{"release definition file", fmt.Errorf("generate: %w", &releasedef.FileError{File: "c.yml", Line: 3, Msg: "bad"}), ExitUsage},
		{"release definition input", &releasedef.InputError{Msg: "bad name"}, ExitUsage},
		{"not a repository", fmt.Errorf("open /x: %w", gitrepo.ErrNotRepository), ExitUsage},
		{"tag conflict", fmt.Errorf("tag 1.2.0: %w", tagstep.ErrTagConflict), ExitFailed},
		{"push rejected", gitrepo.ErrRejected, ExitFailed},
		{"anything else", errors.New("network down"), ExitFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitCode(tc.err); got != tc.want {
				t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

// TestErrorsNameTheSetting checks that an error about a setting's value
// names it the way the user gave it: flag, variable or action input.
func TestErrorsNameTheSetting(t *testing.T) {
	const endpoint = "http://AKIDEXAMPLE:secret@127.0.0.1:9/"
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag", []string{"s3", "status", "--bucket", "b", "--endpoint", endpoint}, nil, "--endpoint http://127.0.0.1:9/: holds credentials"},
		{"variable", []string{"s3", "status", "--bucket", "b"}, map[string]string{"RELMAN_ENDPOINT": endpoint}, "RELMAN_ENDPOINT http://127.0.0.1:9/: holds credentials"},
		{"action input", []string{"s3", "status", "--bucket", "b"}, map[string]string{"GITHUB_ACTIONS": "true", "INPUT_ENDPOINT": endpoint, "GITHUB_OUTPUT": "/dev/null"}, "input endpoint http://127.0.0.1:9/: holds credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), Env{Args: tc.args, Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return tc.env[k] }})
			var log []string // but the runner's masking commands, the one place a secret is written
			for _, l := range strings.Split(stderr.String(), "\n") {
				if !strings.HasPrefix(l, "::add-mask::") {
					log = append(log, l)
				}
			}
			if got := strings.Join(log, "\n"); code != ExitUsage || !strings.Contains(got, tc.want) || strings.Contains(got, "secret") {
				t.Errorf("exit %d, stderr %q; want exit %d and %q, without the secret", code, stderr.String(), ExitUsage, tc.want)
			}
		})
	}
}
