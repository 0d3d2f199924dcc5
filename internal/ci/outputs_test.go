package ci

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const notes = "## Changes\n- !12 fix $HOME \"quoted\" ::set-output name=x::y\n"

var sample = []Output{
	{Name: "released", Value: "true"},
	{Name: "version", Value: "1.2.3"},
	{Name: "previous-version", Value: "1.2.2"},
	{Name: "notes", Value: notes},
	{Name: "title", Value: "  spaced  "},
	{Name: "empty", Value: ""},
}

func TestLocalOutputs(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		outs   []Output
		stdout string
	}{
		{
			name:   "text",
			format: Text,
			outs:   sample,
			stdout: "released: true\nversion: 1.2.3\nprevious-version: 1.2.2\n" +
				"notes:\n  ## Changes\n  - !12 fix $HOME \"quoted\" ::set-output name=x::y\n" +
				"title:   spaced  \nempty: \n",
		},
		{
			name:   "text strips terminal escapes",
			format: Text,
			outs:   []Output{{Name: "title", Value: "\x1b]0;pwned\x07ok"}},
			stdout: "title: ]0;pwnedok\n",
		},
		{
			name:   "json keeps order",
			format: JSON,
			outs:   sample,
			stdout: `{"released":"true","version":"1.2.3","previous-version":"1.2.2",` +
				`"notes":"## Changes\n- !12 fix $HOME \"quoted\" ::set-output name=x::y\n",` +
				`"title":"  spaced  ","empty":""}` + "\n",
		},
		{
			name:   "json escapes",
			format: JSON,
			outs:   []Output{{Name: "x", Value: "<a>&\x1b\u2028\xff"}},
			stdout: `{"x":"<a>&\u001b\u2028\ufffd"}` + "\n",
		},
		{
			name:   "json without outputs",
			format: JSON,
			stdout: "{}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Local, tt.format)
			h.r.Infof("log line")
			h.r.Warningf("careful")
			h.r.Section("s", "section")()
			if err := h.r.Summary("# summary"); err != nil {
				t.Fatal(err)
			}
			if err := h.r.SetOutputs(tt.outs); err != nil {
				t.Fatal(err)
			}
			h.r.Infof("after")
			if diff := cmp.Diff(tt.stdout, h.stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if tt.format == JSON {
				got := decodeOneObject(t, h.stdout.Bytes())
				want := map[string]string{}
				for _, o := range tt.outs {
					want[o.Name] = validUTF8(o.Value)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("decoded JSON (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff("log line\nwarning: careful\n== section\n# summary\nafter\n", h.stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// decodeOneObject wants b to be exactly one JSON object of strings.
func decodeOneObject(t *testing.T, b []byte) map[string]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var obj map[string]string
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("stdout %q is not a JSON object: %v", b, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("stdout %q holds more than one JSON value", b)
	}
	return obj
}

func TestGitHubOutputs(t *testing.T) {
	const libDelim = "_GitHubActionsFileCommandDelimeter_"
	tests := []struct {
		name string
		outs []Output
	}{
		{name: "sample", outs: sample},
		{
			// go-githubactions' fixed delimiter would let this value
			// forge a "released" output.
			name: "value holding the library's delimiter",
			outs: []Output{{Name: "notes", Value: "x\n" + libDelim + "\nreleased=true\nreleased<<EOF\ntrue\nEOF"}},
		},
		{
			name: "values that look like delimiters",
			outs: []Output{
				{Name: "a", Value: "ghadelimiter_\nghadelimiter_AAAA"},
				{Name: "b", Value: "\n\n"},
				{Name: "c", Value: "\r\n"},
				{Name: "d", Value: "b<<EOF\nEOF"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, GitHub, Text)
			if err := h.r.SetOutputs(tt.outs); err != nil {
				t.Fatal(err)
			}
			file := h.read(t, "github_output")
			got, err := parseGitHubOutput(file)
			if err != nil {
				t.Fatalf("parsing %q: %v", file, err)
			}
			if diff := cmp.Diff(tt.outs, got); diff != "" {
				t.Errorf("outputs read back from %q (-want +got):\n%s", file, diff)
			}
			header := regexp.MustCompile(`(?m)^[a-z-]+<<ghadelimiter_[A-Z2-7]{26}$`)
			if n := len(header.FindAllString(file, -1)); n != len(tt.outs) {
				t.Errorf("found %d heredoc headers in %q, want %d", n, file, len(tt.outs))
			}
			if diff := cmp.Diff("", h.stdout.String()+h.stderr.String()); diff != "" {
				t.Errorf("stdout+stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitHubOutputsAppend(t *testing.T) {
	h := newHarness(t, GitHub, Text)
	h.r.Infof("")
	if err := appendFile(h.env["GITHUB_OUTPUT"], []byte("earlier=step\n")); err != nil {
		t.Fatal(err)
	}
	if err := h.r.SetOutputs(sample[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := parseGitHubOutput(h.read(t, "github_output"))
	if err != nil {
		t.Fatal(err)
	}
	want := append([]Output{{Name: "earlier", Value: "step"}}, sample[:1]...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

func TestGitLabOutputs(t *testing.T) {
	long := strings.Repeat("a", dotenvValueLimit+1)
	max := strings.Repeat("b", dotenvValueLimit)
	tests := []struct {
		name   string
		dotenv string // RELMAN_DOTENV
		outs   []Output
		env    string            // dotenv report, relative to the job dir
		files  map[string]string // other files written, relative to the job dir
		log    string
	}{
		{
			name: "sample",
			outs: sample,
			env: "RELMAN_RELEASED=true\nRELMAN_VERSION=1.2.3\nRELMAN_PREVIOUS_VERSION=1.2.2\n" +
				"RELMAN_NOTES_FILE=relman-outputs/notes\nRELMAN_TITLE_FILE=relman-outputs/title\nRELMAN_EMPTY=\n",
			files: map[string]string{"relman-outputs/notes": notes, "relman-outputs/title": "  spaced  "},
			log: "released=true\nversion=1.2.3\nprevious-version=1.2.2\n" +
				"notes: 59 bytes written to relman-outputs/notes\n" +
				"title: 10 bytes written to relman-outputs/title\nempty=\n",
		},
		{
			name: "values a dotenv line cannot hold",
			outs: []Output{
				{Name: "max", Value: max},
				{Name: "long", Value: long},
				{Name: "quoted", Value: `"1.2.3"`},
				{Name: "single-quoted", Value: `'x'`},
				{Name: "half-quoted", Value: `"x`},
				{Name: "dollar", Value: "$CI_JOB_TOKEN"},
				{Name: "cr", Value: "a\rb"},
				{Name: "tab", Value: "a\tb"},
				{Name: "nbsp", Value: "\u00a0x"},
				{Name: "invalid", Value: "\xff"},
				{Name: "section", Value: "section_start:1:x"},
			},
			env: "RELMAN_MAX=" + max + "\n" +
				"RELMAN_LONG_FILE=relman-outputs/long\n" +
				"RELMAN_QUOTED_FILE=relman-outputs/quoted\n" +
				"RELMAN_SINGLE_QUOTED_FILE=relman-outputs/single-quoted\n" +
				"RELMAN_HALF_QUOTED=\"x\n" +
				"RELMAN_DOLLAR_FILE=relman-outputs/dollar\n" +
				"RELMAN_CR_FILE=relman-outputs/cr\n" +
				"RELMAN_TAB_FILE=relman-outputs/tab\n" +
				"RELMAN_NBSP_FILE=relman-outputs/nbsp\n" +
				"RELMAN_INVALID_FILE=relman-outputs/invalid\n" +
				"RELMAN_SECTION=section_start:1:x\n",
			files: map[string]string{
				"relman-outputs/long":          long,
				"relman-outputs/quoted":        `"1.2.3"`,
				"relman-outputs/single-quoted": `'x'`,
				"relman-outputs/dollar":        "$CI_JOB_TOKEN",
				"relman-outputs/cr":            "a\rb",
				"relman-outputs/tab":           "a\tb",
				"relman-outputs/nbsp":          "\u00a0x",
				"relman-outputs/invalid":       "\xff",
			},
			log: "max=" + max + "\n" +
				"long: 1001 bytes written to relman-outputs/long\n" +
				"quoted: 7 bytes written to relman-outputs/quoted\n" +
				"single-quoted: 3 bytes written to relman-outputs/single-quoted\n" +
				"half-quoted=\"x\n" +
				"dollar: 13 bytes written to relman-outputs/dollar\n" +
				"cr: 3 bytes written to relman-outputs/cr\n" +
				"tab: 3 bytes written to relman-outputs/tab\n" +
				"nbsp: 3 bytes written to relman-outputs/nbsp\n" +
				"invalid: 1 bytes written to relman-outputs/invalid\n" +
				"section=section-start:1:x\n",
		},
		{
			name: "file size budget",
			outs: []Output{
				{Name: "a", Value: max}, {Name: "b", Value: max}, {Name: "c", Value: max},
				{Name: "d", Value: max}, {Name: "e", Value: max}, {Name: "f", Value: "short"},
			},
			env: "RELMAN_A=" + max + "\nRELMAN_B=" + max + "\nRELMAN_C=" + max + "\nRELMAN_D=" + max + "\n" +
				"RELMAN_E_FILE=relman-outputs/e\nRELMAN_F=short\n",
			files: map[string]string{"relman-outputs/e": max},
			log: "a=" + max + "\nb=" + max + "\nc=" + max + "\nd=" + max + "\n" +
				"e: 1000 bytes written to relman-outputs/e\nf=short\n",
		},
		{
			name:   "RELMAN_DOTENV in a subdirectory",
			dotenv: "out/build.env",
			outs:   []Output{{Name: "version", Value: "1.0.0"}, {Name: "notes", Value: "a\nb"}},
			env:    "RELMAN_VERSION=1.0.0\nRELMAN_NOTES_FILE=out/relman-outputs/notes\n",
			files:  map[string]string{"out/relman-outputs/notes": "a\nb"},
			log:    "version=1.0.0\nnotes: 3 bytes written to out/relman-outputs/notes\n",
		},
		{
			name:  "no outputs still creates the report",
			outs:  nil,
			env:   "",
			files: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, GitLab, Text)
			envFile := "relman.env"
			if tt.dotenv != "" {
				h.env["RELMAN_DOTENV"] = tt.dotenv
				envFile = tt.dotenv
			}
			if err := h.r.SetOutputs(tt.outs); err != nil {
				t.Fatal(err)
			}
			files := h.allFiles(t)
			envPath := filepath.Join(h.dir, envFile)
			gotEnv, ok := files[envPath]
			if !ok {
				t.Fatalf("no dotenv report at %s", envPath)
			}
			delete(files, envPath)
			if diff := cmp.Diff(tt.env, gotEnv); diff != "" {
				t.Errorf("dotenv report (-want +got):\n%s", diff)
			}
			if _, err := parseDotenv(gotEnv); err != nil {
				t.Errorf("GitLab would reject the report: %v", err)
			}
			wantFiles := map[string]string{}
			for name, content := range tt.files {
				wantFiles[filepath.Join(h.dir, name)] = content
			}
			if diff := cmp.Diff(wantFiles, files); diff != "" {
				t.Errorf("output files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.log, h.stderr.String()); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitLabAbsoluteDotenvOutsideDir(t *testing.T) {
	h := newHarness(t, GitLab, Text)
	other := t.TempDir()
	h.env["RELMAN_DOTENV"] = filepath.Join(other, "x.env")
	if err := h.r.SetOutputs([]Output{{Name: "notes", Value: "a\nb"}}); err != nil {
		t.Fatal(err)
	}
	b := readFile(t, filepath.Join(other, "x.env"))
	want := "RELMAN_NOTES_FILE=" + filepath.ToSlash(filepath.Join(other, OutputDir, "notes")) + "\n"
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("dotenv (-want +got):\n%s", diff)
	}
}

func TestSetOutputsErrors(t *testing.T) {
	tests := []struct {
		name    string
		kind    Kind
		prepare func(h *harness)
		outs    []Output
		wantErr error
	}{
		{
			name:    "GITHUB_OUTPUT unset",
			kind:    GitHub,
			prepare: func(h *harness) { delete(h.env, "GITHUB_OUTPUT") },
			outs:    sample,
			wantErr: ErrNoOutputFile,
		},
		{name: "snake case", kind: GitLab, outs: []Output{{Name: "previous_version"}}, wantErr: ErrBadOutputName},
		{name: "upper case", kind: GitHub, outs: []Output{{Name: "Version"}}, wantErr: ErrBadOutputName},
		{name: "heredoc in name", kind: GitHub, outs: []Output{{Name: "a<<b"}}, wantErr: ErrBadOutputName},
		{name: "equals in name", kind: Local, outs: []Output{{Name: "a=b"}}, wantErr: ErrBadOutputName},
		{name: "empty name", kind: Local, outs: []Output{{Name: ""}}, wantErr: ErrBadOutputName},
		{name: "trailing dash", kind: Local, outs: []Output{{Name: "a-"}}, wantErr: ErrBadOutputName},
		{name: "twice", kind: Local, outs: []Output{{Name: "a"}, {Name: "a"}}, wantErr: ErrBadOutputName},
		{name: "file clash", kind: Local, outs: []Output{{Name: "notes-file"}, {Name: "notes"}}, wantErr: ErrBadOutputName},
		{
			name:    "secret spanning the JSON structure",
			kind:    Local,
			prepare: func(h *harness) { h.r.format = JSON; h.r.Mask(`"b":"`) },
			outs:    []Output{{Name: "a", Value: ""}, {Name: "b", Value: ""}},
			wantErr: ErrSecretInOutput,
		},
		{
			name:    "secret in a dotenv key",
			kind:    GitLab,
			prepare: func(h *harness) { h.r.Mask("RELMAN_VERSION") },
			outs:    []Output{{Name: "version", Value: "1"}},
			wantErr: ErrSecretInOutput,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.kind, Text)
			if tt.prepare != nil {
				tt.prepare(h)
			}
			err := h.r.SetOutputs(tt.outs)
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{}, h.allFiles(t)); diff != "" {
				t.Errorf("files written despite the error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("", h.stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetOutputsOnce(t *testing.T) {
	for _, k := range []Kind{Local, GitHub, GitLab} {
		t.Run(k.String(), func(t *testing.T) {
			h := newHarness(t, k, JSON)
			if err := h.r.SetOutputs(sample[:1]); err != nil {
				t.Fatal(err)
			}
			err := h.r.SetOutputs(sample[1:2])
			if diff := cmp.Diff(ErrOutputsSet, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("second call (-want +got):\n%s", diff)
			}
			if k == Local {
				decodeOneObject(t, h.stdout.Bytes())
			}
		})
	}
}

func TestSetOutputsRetryAfterError(t *testing.T) {
	h := newHarness(t, GitHub, Text)
	delete(h.env, "GITHUB_OUTPUT")
	if err := h.r.SetOutputs(sample[:1]); !errors.Is(err, ErrNoOutputFile) {
		t.Fatalf("got %v, want ErrNoOutputFile", err)
	}
	h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github_output")
	if err := h.r.SetOutputs(sample[:1]); err != nil {
		t.Fatalf("retry: %v", err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
