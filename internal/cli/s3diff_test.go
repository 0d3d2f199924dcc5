package cli

import (
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/ci"
)

// TestDiffLinesAreNeutralised checks that the lines of a diffed asset cannot
// act as runner commands or terminal escapes: s3 diff logs them as any
// other untrusted text.
func TestDiffLinesAreNeutralised(t *testing.T) {
	diff := "--- config/app.yaml@v1\n+++ config/app.yaml@v2\n@@ -1,2 +1,2 @@\n" +
		" ::error title=pwned::line\n" +
		"+::add-mask::everything\n" +
		"-\x1b[0Ksection_start:1:evil[collapsed=true]\r\x1b[0Kevil\n" +
		"+\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\n" +
		" ##[set-output name=x;]y\n"
	for _, kind := range []ci.Kind{ci.GitHub, ci.GitLab, ci.Local} {
		t.Run(kind.String(), func(t *testing.T) {
			var log strings.Builder
			rep, err := ci.New(ci.Options{Kind: kind, Stderr: &log})
			if err != nil {
				t.Fatal(err)
			}
			logDiff(rep, diff)
			got := log.String()
			for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
				if rest := strings.TrimLeft(line, " \t+-"); kind == ci.GitHub && strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
					t.Errorf("a workflow command: %q", line)
				} else if kind == ci.GitHub && strings.Contains(rest, "##[") {
					t.Errorf("a legacy workflow command: %q", line)
				}
			}
			if strings.ContainsAny(got, "\x1b\r\x07") {
				t.Errorf("an escape or CR reached the log: %q", got)
			}
			if kind == ci.GitLab && strings.Contains(got, "section_start:") {
				t.Errorf("a GitLab section marker reached the log: %q", got)
			}
			if !strings.Contains(got, "@@ -1,2 +1,2 @@") || !strings.Contains(got, "::error title=pwned::line") {
				t.Errorf("the diff itself is lost: %q", got)
			}
		})
	}
}
