package ci

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		env  env
		want Kind
	}{
		{name: "empty", env: env{}, want: Local},
		{name: "github", env: env{"GITHUB_ACTIONS": "true"}, want: GitHub},
		{name: "gitlab", env: env{"GITLAB_CI": "true"}, want: GitLab},
		{name: "github wins", env: env{"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}, want: GitHub},
		{name: "not exactly true", env: env{"GITHUB_ACTIONS": "1", "GITLAB_CI": "TRUE"}, want: Local},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Detect(tt.env.getenv)); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr error
	}{
		{in: "text", want: Text},
		{in: "json", want: JSON},
		{in: "JSON", wantErr: ErrBadFormat},
		{in: "", wantErr: ErrBadFormat},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseFormat (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRejectsUnknownValues(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{name: "kind", opts: Options{Kind: Kind(7)}},
		{name: "format", opts: Options{Format: Format(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
}

func TestNilWritersAndGetenv(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Infof("nobody listens")
	r.Section("a", "b")()
	if err := r.SetOutputs([]Output{{Name: "a", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
}

func TestLog(t *testing.T) {
	ts := fmt.Sprint(fixedNow.Unix())
	tests := []struct {
		name   string
		kind   Kind
		do     func(r *Reporter)
		stderr string
	}{
		{
			name: "local levels",
			kind: Local,
			do: func(r *Reporter) {
				r.Infof("hello %s", "world")
				r.Noticef("n %d", 1)
				r.Warningf("w")
				r.Errorf("e")
			},
			stderr: "hello world\nnotice: n 1\nwarning: w\nerror: e\n",
		},
		{
			name: "local section and summary",
			kind: Local,
			do: func(r *Reporter) {
				end := r.Section("build", "Building\nnow")
				r.Infof("inside")
				end()
				r.Summary("# Title\n\nbody")
			},
			stderr: "== Building now\ninside\n# Title\n\nbody\n",
		},
		{
			name:   "local strips terminal escapes",
			kind:   Local,
			do:     func(r *Reporter) { r.Infof("\x1b[31mred\x1b[0m\r\n\x07bell") },
			stderr: "[31mred[0m\nbell\n",
		},
		{
			name:   "github plain line",
			kind:   GitHub,
			do:     func(r *Reporter) { r.Infof("hello") },
			stderr: "hello\n",
		},
		{
			name: "github neutralizes commands in log lines",
			kind: GitHub,
			do: func(r *Reporter) {
				r.Infof("::set-output name=x::y")
				r.Infof("  ::add-mask::x")
				r.Infof("a\n::stop-commands::tok\nb")
				r.Infof("a\r::error::cr is dropped")
				r.Infof("\u200b::error::zero width")
				r.Infof("x ##[add-mask]y")
				r.Infof("fine: a::b")
			},
			stderr: `\::set-output name=x::y` + "\n" +
				`  \::add-mask::x` + "\n" +
				"a\n" + `\::stop-commands::tok` + "\nb\n" +
				"a::error::cr is dropped\n" +
				`\::error::zero width` + "\n" +
				"x ## [add-mask]y\n" +
				"fine: a::b\n",
		},
		{
			name: "github annotations are escaped",
			kind: GitHub,
			do: func(r *Reporter) {
				r.Noticef("multi\nline 100%% %s", "::x")
				r.Warningf("::set-output name=a::b")
				r.Errorf("e\r\nf%s", "\rg")
			},
			stderr: "::notice::multi%0Aline 100%25 ::x\n" +
				"::warning::::set-output name=a::b\n" +
				"::error::e%0Afg\n",
		},
		{
			name: "github group",
			kind: GitHub,
			do: func(r *Reporter) {
				end := r.Section("notes", "Release notes\n::endgroup::")
				r.Infof("inside")
				end()
				end()
			},
			stderr: "::group::Release notes ::endgroup::\ninside\n::endgroup::\n",
		},
		{
			name: "gitlab levels",
			kind: GitLab,
			do: func(r *Reporter) {
				r.Infof("info")
				r.Noticef("n")
				r.Warningf("w")
				r.Errorf("e")
			},
			stderr: "info\n" +
				"\x1b[0;36mNOTICE:\x1b[0m n\n" +
				"\x1b[0;33mWARNING:\x1b[0m w\n" +
				"\x1b[0;31mERROR:\x1b[0m e\n",
		},
		{
			name: "gitlab section",
			kind: GitLab,
			do: func(r *Reporter) {
				end := r.Section("Release Notes!", "Notes")
				r.Infof("inside")
				end()
				end()
			},
			stderr: "\x1b[0Ksection_start:" + ts + ":release_notes_[collapsed=true]\r\x1b[0KNotes\n" +
				"inside\n" +
				"\x1b[0Ksection_end:" + ts + ":release_notes_\r\x1b[0K\n",
		},
		{
			name: "gitlab neutralizes section markers",
			kind: GitLab,
			do: func(r *Reporter) {
				r.Infof("section_start:1:x\r\x1b[0Kevil")
				r.Warningf("\x1b[0Ksection_end:1:real\r\x1b[0K")
				r.Section("", "x\r\x1b[0KSECTION_END:1:y\r\x1b[0K")()
			},
			stderr: "section-start:1:x[0Kevil\n" +
				"\x1b[0;33mWARNING:\x1b[0m [0Ksection-end:1:real[0K\n" +
				"\x1b[0Ksection_start:" + ts + ":section[collapsed=true]\r\x1b[0Kx[0KSECTION-END:1:y[0K\n" +
				"\x1b[0Ksection_end:" + ts + ":section\r\x1b[0K\n",
		},
		{
			name:   "gitlab summary goes to the log",
			kind:   GitLab,
			do:     func(r *Reporter) { r.Summary("## Released 1.2.3\n") },
			stderr: "## Released 1.2.3\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.kind, Text)
			tt.do(h.r)
			if diff := cmp.Diff(tt.stderr, h.stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("", h.stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name       string
		kind       Kind
		noFile     bool
		calls      []string
		wantFile   string
		wantStderr string
	}{
		{
			name:     "github appends to the step summary",
			kind:     GitHub,
			calls:    []string{"# a", "b\n"},
			wantFile: "# a\nb\n",
		},
		{
			name:     "github summary is not a log: commands stay as written",
			kind:     GitHub,
			calls:    []string{"::set-output name=x::y\n\x1b[1m"},
			wantFile: "::set-output name=x::y\n[1m\n",
		},
		{
			name:       "github without GITHUB_STEP_SUMMARY logs it",
			kind:       GitHub,
			noFile:     true,
			calls:      []string{"::add-mask::x"},
			wantStderr: `\::add-mask::x` + "\n",
		},
		{
			name:       "local",
			kind:       Local,
			calls:      []string{"# a"},
			wantStderr: "# a\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.kind, Text)
			if tt.noFile {
				delete(h.env, "GITHUB_STEP_SUMMARY")
			}
			for _, md := range tt.calls {
				if err := h.r.Summary(md); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tt.wantFile, h.read(t, "step_summary")); diff != "" {
				t.Errorf("summary file (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, h.stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// hostile is untrusted text trying to become a runner command.
var hostile = []string{
	"::set-output name=x::y",
	"::add-mask::",
	"::stop-commands::abc",
	"  \t::error file=a,line=1::boom",
	"line1\n::endgroup::\nline3",
	"a\r::add-mask::x",
	"\r\n::group::x",
	"\u200b\u00a0::warning::zwsp",
	"\ufeff::debug::bom",
	"\u2028::notice::line separator",
	"\u0085::notice::nel",
	"x ##[add-mask]y",
	"#\u200b#[error]sneaky",
	"###[set-output name=a;]b",
	"%0A::set-output name=x::y",
	"\x1b[31mred\x1b[0m",
	"section_start:1:x\r\x1b[0Kfake",
	"\x1b[0Ksection_end:1:real\r\x1b[0K",
	"SECTION_START:1:X\rY",
	"section_section_start:1:z\r",
	"\xff\xfe invalid utf8 ::x",
	"\x00\x07\x08 controls",
}

// TestHostileGitHub checks that untrusted text never yields a workflow
// command other than the one the Reporter meant to write.
func TestHostileGitHub(t *testing.T) {
	for _, h := range hostile {
		tests := []struct {
			name string
			do   func(r *Reporter)
			want []ghCommand
		}{
			{name: "info", do: func(r *Reporter) { r.Infof("%s", h) }},
			{name: "notice", do: func(r *Reporter) { r.Noticef("%s", h) },
				want: []ghCommand{{"notice", skeleton(stripControls(h))}}},
			{name: "warning", do: func(r *Reporter) { r.Warningf("%s", h) },
				want: []ghCommand{{"warning", skeleton(stripControls(h))}}},
			{name: "error", do: func(r *Reporter) { r.Errorf("%s", h) },
				want: []ghCommand{{"error", skeleton(stripControls(h))}}},
			{name: "section", do: func(r *Reporter) { r.Section(h, h)() },
				want: []ghCommand{{"group", skeleton(oneLine(stripControls(h)))}, {"endgroup", ""}}},
			{name: "summary without file", do: func(r *Reporter) {
				r.getenv = env{}.getenv
				r.Summary(h)
			}},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%q", tt.name, h), func(t *testing.T) {
				hs := newHarness(t, GitHub, Text)
				tt.do(hs.r)
				got := githubCommands(hs.stderr.String())
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("commands in %q (-want +got):\n%s", hs.stderr.String(), diff)
				}
			})
		}
	}
}

// gitlabMarker is a section marker as GitLab's log parser reads one.
var gitlabMarker = regexp.MustCompile(`section_(?:start|end):\d+:[a-zA-Z0-9_.-]+(?:\[[^\]]*\])?\r\x1b\[0K`)

// TestHostileGitLab checks that untrusted text never yields a section
// marker, a carriage return or an escape sequence of its own.
func TestHostileGitLab(t *testing.T) {
	colors := strings.NewReplacer(ansiCyan, "", ansiYellow, "", ansiRed, "", ansiReset, "")
	for _, h := range hostile {
		tests := []struct {
			name        string
			do          func(r *Reporter)
			wantMarkers int
		}{
			{name: "info", do: func(r *Reporter) { r.Infof("%s", h) }},
			{name: "notice", do: func(r *Reporter) { r.Noticef("%s", h) }},
			{name: "warning", do: func(r *Reporter) { r.Warningf("%s", h) }},
			{name: "error", do: func(r *Reporter) { r.Errorf("%s", h) }},
			{name: "summary", do: func(r *Reporter) { r.Summary(h) }},
			{name: "outputs", do: func(r *Reporter) { r.SetOutputs([]Output{{Name: "x", Value: h}}) }},
			{name: "section", do: func(r *Reporter) { r.Section(h, h)() }, wantMarkers: 2},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%q", tt.name, h), func(t *testing.T) {
				hs := newHarness(t, GitLab, Text)
				tt.do(hs.r)
				log := hs.stderr.String()
				markers := gitlabMarker.FindAllString(log, -1)
				if diff := cmp.Diff(tt.wantMarkers, len(markers)); diff != "" {
					t.Errorf("markers %q in %q (-want +got):\n%s", markers, log, diff)
				}
				rest := colors.Replace(gitlabMarker.ReplaceAllString(log, ""))
				rest = strings.ReplaceAll(rest, "\x1b[0K", "") // around our markers
				if strings.ContainsAny(rest, "\r\x1b") || regexp.MustCompile(`(?i)section_(start|end):`).MatchString(rest) {
					t.Errorf("log %q lets untrusted text through", log)
				}
			})
		}
	}
}

// TestMaskNeverLeaks uses a masked secret everywhere, in every mode, and
// checks that no written byte holds it, except GitHub's ::add-mask:: lines.
func TestMaskNeverLeaks(t *testing.T) {
	const token = "s3cr3t-T0ken_value"
	const key = "-----BEGIN KEY-----\nabcdefgh12345678\n-----END KEY-----"
	modes := []struct {
		name   string
		kind   Kind
		format Format
	}{
		{"local text", Local, Text},
		{"local json", Local, JSON},
		{"github", GitHub, Text},
		{"gitlab", GitLab, Text},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			h := newHarness(t, m.kind, m.format)
			h.r.Mask(token)
			h.r.Mask(key)
			h.r.Mask(token) // again: no second ::add-mask::
			h.r.Mask("")
			for _, s := range []string{token, key, "pre" + token + "post", "s3cr3t\x1b-T0ken_value", token + "\r\n", "abcdefgh12345678"} {
				h.r.Infof("info %s", s)
				h.r.Noticef("notice %s", s)
				h.r.Warningf("warning %s", s)
				h.r.Errorf("error %s", s)
				h.r.Section(s, "title "+s)()
				if err := h.r.Summary("summary " + s); err != nil {
					t.Fatal(err)
				}
			}
			err := h.r.SetOutputs([]Output{
				{Name: "token", Value: token},
				{Name: "notes", Value: "before " + token + " after\nline2 " + key},
				{Name: "long", Value: strings.Repeat("x", 990) + token},
			})
			if err != nil {
				t.Fatal(err)
			}

			var addMask []string
			var logLines []string
			for _, line := range strings.SplitAfter(h.stderr.String(), "\n") {
				if strings.HasPrefix(line, "::add-mask::") {
					addMask = append(addMask, line)
					continue
				}
				logLines = append(logLines, line)
			}
			written := map[string]string{
				"stdout": h.stdout.String(),
				"stderr": strings.Join(logLines, ""),
			}
			for name, content := range h.allFiles(t) {
				written[name] = content
			}
			for name, content := range written {
				for _, s := range []string{token, key, "abcdefgh12345678", "-----BEGIN KEY-----"} {
					if strings.Contains(content, s) {
						t.Errorf("%s holds secret %q:\n%s", name, s, content)
					}
				}
			}

			var wantMask []string
			if m.kind == GitHub {
				wantMask = []string{
					"::add-mask::" + token + "\n",
					"::add-mask::-----BEGIN KEY-----%0Aabcdefgh12345678%0A-----END KEY-----\n",
					"::add-mask::-----BEGIN KEY-----\n",
					"::add-mask::abcdefgh12345678\n",
					"::add-mask::-----END KEY-----\n",
				}
			}
			if diff := cmp.Diff(wantMask, addMask); diff != "" {
				t.Errorf("add-mask commands (-want +got):\n%s", diff)
			}
		})
	}
}
