package ci

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
)

// fixedNow is the clock of every test Reporter.
var fixedNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// env is a fake environment.
type env map[string]string

func (e env) getenv(k string) string { return e[k] }

// harness is a Reporter with its streams and files captured.
type harness struct {
	r              *Reporter
	stdout, stderr bytes.Buffer
	dir            string
	env            env
}

// newHarness returns a Reporter of kind k writing into a temp directory. On
// GitHub, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name files there.
func newHarness(t *testing.T, k Kind, f Format) *harness {
	t.Helper()
	h := &harness{dir: t.TempDir(), env: env{}}
	switch k {
	case GitHub:
		h.env["GITHUB_ACTIONS"] = "true"
		h.env["GITHUB_OUTPUT"] = filepath.Join(h.dir, "github_output")
		h.env["GITHUB_STEP_SUMMARY"] = filepath.Join(h.dir, "step_summary")
	case GitLab:
		h.env["GITLAB_CI"] = "true"
	}
	r, err := New(Options{
		Kind: k, Format: f, Getenv: h.env.getenv,
		Stdout: &h.stdout, Stderr: &h.stderr,
		Dir: h.dir, Now: func() time.Time { return fixedNow },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.r = r
	return h
}

// read returns the content of a file in the harness directory, "" if absent.
func (h *harness) read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, name))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// allFiles returns every file written under the harness directory.
func (h *harness) allFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(h.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// ghCommand is a workflow command as the GitHub runner would parse it.
type ghCommand struct {
	Name, Data string
}

// githubCommands parses a log the way the GitHub runner does: lines end at
// CR or LF; a line is a command when, after leading white space, it starts
// with "::" (v2), or when it holds "##[" anywhere (v1). Like the runner's
// culture-sensitive comparison, default-ignorable characters are skipped.
func githubCommands(log string) []ghCommand {
	var cmds []ghCommand
	for line := range strings.FieldsFuncSeq(log, func(c rune) bool { return c == '\r' || c == '\n' }) {
		line = skeleton(line)
		if rest := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(rest, "::") {
			info, data, ok := strings.Cut(rest[2:], "::")
			if ok {
				name, _, _ := strings.Cut(info, " ")
				cmds = append(cmds, ghCommand{Name: name, Data: unescapeData(data)})
				continue
			}
		}
		if i := strings.Index(line, "##["); i >= 0 {
			if j := strings.Index(line[i:], "]"); j >= 0 {
				name, _, _ := strings.Cut(line[i+3:i+j], " ")
				cmds = append(cmds, ghCommand{Name: "v1:" + name, Data: line[i+j+1:]})
			}
		}
	}
	return cmds
}

func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// parseGitHubOutput parses a GITHUB_OUTPUT file the way the runner does
// (Linux): NAME=VALUE lines, or NAME<<DELIM, value lines, DELIM.
func parseGitHubOutput(text string) ([]Output, error) {
	var outs []Output
	i := 0
	readLine := func() (line string, newline, eof bool) {
		if i >= len(text) {
			return "", false, true
		}
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			line = text[i:]
			i = len(text)
			return line, false, false
		}
		line = text[i : i+j]
		i += j + 1
		return line, true, false
	}
	for i < len(text) {
		line, _, _ := readLine()
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			outs = append(outs, Output{Name: line[:eq], Value: line[eq+1:]})
		case hd >= 0:
			name, delim := line[:hd], line[hd+2:]
			start, end := i, i
			for {
				l, nl, eof := readLine()
				if eof {
					return nil, fmt.Errorf("delimiter %q not found", delim)
				}
				if !nl {
					return nil, fmt.Errorf("line %q of %s without newline", l, name)
				}
				if l == delim {
					break
				}
				end = i - 1
			}
			v := ""
			if end > start {
				v = text[start:end]
			}
			outs = append(outs, Output{Name: name, Value: v})
		default:
			return nil, fmt.Errorf("invalid line %q", line)
		}
	}
	return outs, nil
}

// dotenvVar is one line of a dotenv report as GitLab reads it.
type dotenvVar struct {
	Key, Value string
}

// parseDotenv reads a dotenv report the way GitLab does
// (Ci::ParseDotenvArtifactService): every line is KEY=VALUE, both stripped;
// keys are [A-Za-z0-9_]+; no empty lines, no comments.
func parseDotenv(text string) ([]dotenvVar, error) {
	var vars []dotenvVar
	if text == "" {
		return nil, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("no final newline")
	}
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("invalid format: %q", line)
		}
		k, v = strings.Trim(k, rubySpace), strings.Trim(v, rubySpace)
		if k == "" || strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil, fmt.Errorf("invalid key %q", k)
		}
		vars = append(vars, dotenvVar{k, v})
	}
	return vars, nil
}

const rubySpace = "\x00\t\n\v\f\r "

// skeleton drops default-ignorable characters, which the runner's
// culture-sensitive comparisons skip.
func skeleton(s string) string {
	return strings.Map(func(c rune) rune {
		if ignorable(c) {
			return -1
		}
		return c
	}, s)
}

// validUTF8 replaces each invalid byte of s with U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	return strings.Map(func(c rune) rune { return c }, s)
}
