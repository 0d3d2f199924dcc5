package ci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seeds are values that have broken output formats elsewhere.
var seeds = []string{
	"", "1.2.3", " ", "a\nb", "\n", "\r\n", "a\rb", "$HOME", "`id`", `"quoted"`, "'q'",
	"x=y", "RELMAN_X=1", "#comment", "\x00", "\xff\xfe", "\u2028",
	"ghadelimiter_ABC", "_GitHubActionsFileCommandDelimeter_",
	"x\n_GitHubActionsFileCommandDelimeter_\nreleased=true",
	"::set-output name=x::y", "section_start:1:x\r\x1b[0K",
	strings.Repeat("v", dotenvValueLimit), strings.Repeat("v", dotenvValueLimit+1),
}

// FuzzDotenv checks that whatever the values, GitLab reads the dotenv report
// back with one line per output, and every value (inline or in its file) is
// the one given.
func FuzzDotenv(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "1.0.0")
		f.Add("1.0.0", s)
	}
	f.Fuzz(func(t *testing.T, version, notes string) {
		h := newHarness(t, GitLab, Text)
		outs := []Output{{Name: "version", Value: version}, {Name: "release-notes", Value: notes}}
		if err := h.r.SetOutputs(outs); err != nil {
			t.Fatal(err)
		}
		report := h.read(t, "relman.env")
		vars, err := parseDotenv(report)
		if err != nil {
			t.Fatalf("GitLab would reject %q: %v", report, err)
		}
		if len(vars) != len(outs) {
			t.Fatalf("report %q has %d lines, want %d", report, len(vars), len(outs))
		}
		for i, o := range outs {
			v := vars[i]
			switch v.Key {
			case envKey(o.Name):
				if v.Value != o.Value {
					t.Errorf("%s = %q, want %q", v.Key, v.Value, o.Value)
				}
				if strings.ContainsAny(v.Value, "$`") {
					t.Errorf("%s = %q would be expanded by later jobs, or run by a shell sourcing the report", v.Key, v.Value)
				}
			case envKey(o.Name) + "_FILE":
				b, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(v.Value)))
				if err != nil {
					t.Fatalf("%s: %v", v.Key, err)
				}
				if string(b) != o.Value {
					t.Errorf("%s holds %q, want %q", v.Value, b, o.Value)
				}
			default:
				t.Errorf("line %d has key %q, want %s or %s_FILE", i, v.Key, envKey(o.Name), envKey(o.Name))
			}
		}
	})
}

// FuzzGitHubOutput checks that whatever the values, the runner reads
// GITHUB_OUTPUT back as exactly the outputs given.
func FuzzGitHubOutput(f *testing.F) {
	for _, s := range seeds {
		f.Add(s, "1.0.0")
		f.Add("1.0.0", s)
	}
	f.Fuzz(func(t *testing.T, version, notes string) {
		h := newHarness(t, GitHub, Text)
		outs := []Output{{Name: "version", Value: version}, {Name: "release-notes", Value: notes}}
		if err := h.r.SetOutputs(outs); err != nil {
			t.Fatal(err)
		}
		file := h.read(t, "github_output")
		got, err := parseGitHubOutput(file)
		if err != nil {
			t.Fatalf("runner would reject %q: %v", file, err)
		}
		if diff := cmp.Diff(outs, got); diff != "" {
			t.Errorf("outputs read back from %q (-want +got):\n%s", file, diff)
		}
	})
}

// FuzzLog checks that untrusted text never becomes a GitHub workflow command
// or a GitLab section marker, and that JSON stdout stays one object.
func FuzzLog(f *testing.F) {
	for _, s := range append(seeds, hostile...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		gh := newHarness(t, GitHub, Text)
		gh.r.Infof("%s", s)
		gh.r.Summary(s) // to the file
		gh.r.Warningf("%s", s)
		want := []ghCommand{{"warning", skeleton(stripControls(s))}}
		if diff := cmp.Diff(want, githubCommands(gh.stderr.String())); diff != "" {
			t.Errorf("GitHub commands in %q (-want +got):\n%s", gh.stderr.String(), diff)
		}

		gl := newHarness(t, GitLab, Text)
		gl.r.Infof("%s", s)
		gl.r.Errorf("%s", s)
		gl.r.Summary(s)
		gl.r.Section(s, s)()
		log := gl.stderr.String()
		if n := len(gitlabMarker.FindAllString(log, -1)); n != 2 {
			t.Errorf("GitLab log %q has %d section markers, want 2", log, n)
		}

		lo := newHarness(t, Local, JSON)
		lo.r.Infof("%s", s)
		lo.r.Summary(s)
		if err := lo.r.SetOutputs([]Output{{Name: "x", Value: s}}); err != nil {
			t.Fatal(err)
		}
		got := decodeOneObject(t, lo.stdout.Bytes())
		if diff := cmp.Diff(map[string]string{"x": validUTF8(s)}, got); diff != "" {
			t.Errorf("JSON outputs (-want +got):\n%s", diff)
		}
	})
}

// FuzzMask checks that a masked secret never reaches a written byte (other
// than GitHub's ::add-mask:: lines): everything is redacted, or SetOutputs
// refuses.
func FuzzMask(f *testing.F) {
	f.Add("s3cr3t-T0ken_value", "token: s3cr3t-T0ken_value")
	f.Add("b*", "bbbb*")
	f.Add("line one\nline two", "line one\nline two")
	f.Add(`"b":"`, "")
	f.Add("\x1b", "a\x1bb")
	f.Add("RELMAN_X", "x")
	f.Fuzz(func(t *testing.T, secret, text string) {
		for _, k := range []Kind{Local, GitHub, GitLab} {
			h := newHarness(t, k, JSON)
			h.r.Mask(secret)
			h.r.Infof("%s", text)
			h.r.Noticef("%s", text)
			h.r.Section(text, text)()
			h.r.Summary(text)
			h.r.SetOutputs([]Output{{Name: "x", Value: text}, {Name: "y", Value: secret}})

			var log strings.Builder
			for _, line := range strings.SplitAfter(h.stderr.String(), "\n") {
				if !strings.HasPrefix(line, "::add-mask::") {
					log.WriteString(line)
				}
			}
			written := map[string]string{"stdout": h.stdout.String(), "stderr": log.String()}
			for name, content := range h.allFiles(t) {
				written[name] = content
			}
			h.r.mu.Lock()
			masked := h.r.secrets
			h.r.mu.Unlock()
			for name, content := range written {
				for _, m := range masked {
					// The log is written line by line: a multiline secret
					// is masked there through its lines, which are in
					// masked on their own when at least minMaskPart long.
					// Shorter lines ("{", "0") are not secret enough to
					// blank out ordinary text, so consecutive log lines
					// may spell such a secret (found by FuzzMask: secret
					// "0\n0", text "0").
					if name == "stderr" && strings.ContainsAny(m, "\r\n") {
						continue
					}
					if strings.Contains(content, m) {
						t.Errorf("%s: %s holds masked %q:\n%q", k, name, m, content)
					}
				}
			}
		}
	})
}
