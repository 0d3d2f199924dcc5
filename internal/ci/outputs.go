package ci

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Output is one output of a step.
type Output struct {
	Name  string // kebab-case, e.g. "previous-version"
	Value string
}

// OutputDir is the directory, next to the GitLab dotenv report, that holds
// the outputs a dotenv line cannot carry.
const OutputDir = "relman-outputs"

// GitLab dotenv limits. GitLab rejects a dotenv report of 5 KB or more; relman
// keeps some room for other tools writing to the same file.
const (
	dotenvValueLimit = 1000
	dotenvFileLimit  = 4096
)

// SetOutputs publishes the step's outputs, in order. Call it once, with all
// of them; a second call fails with [ErrOutputsSet]. Nothing is written when
// an output name is invalid or an output would reveal a masked secret.
// Masked secrets in values are written as "***".
//
// GitHub: appended to $GITHUB_OUTPUT as name<<DELIM / value / DELIM, with a
// fresh random delimiter absent from the value, so a value cannot end early
// and forge other outputs. (go-githubactions v1.3.0's SetOutput uses a fixed
// delimiter, which is why it is not used here.) [ErrNoOutputFile] when
// GITHUB_OUTPUT is not set.
//
// GitLab: appended to the dotenv report ($RELMAN_DOTENV, default relman.env
// in Options.Dir) as RELMAN_<NAME>=value, NAME being the upper-snake output
// name: "previous-version" is RELMAN_PREVIOUS_VERSION. A dotenv line cannot
// hold every value: GitLab does not support newlines, strips surrounding
// blanks, keeps quotes, expands $VARIABLES in later jobs and limits the file
// to 5 KB. So a value that has a control character (newline included),
// surrounding white space, surrounding quotes, a "$" or a backtick, is invalid UTF-8, is
// longer than 1000 bytes or would take the file past 4 KB, is written as is
// to relman-outputs/<name> next to the dotenv report, and the report gets
// RELMAN_<NAME>_FILE=relman-outputs/<name> instead (the path is relative to
// Options.Dir, the job's directory, when the file is inside it). Add
// relman-outputs/ to the job's artifacts:paths so later jobs get the files.
// Single-line values are also logged as name=value.
//
// Local: "name: value" lines on Stdout (a multiline value on indented lines
// below its name) with [Text]; with [JSON], exactly one JSON object mapping
// each name to its value, in order, and nothing else.
func (r *Reporter) SetOutputs(outs []Output) error {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	if r.outputsSet {
		return fmt.Errorf("setting outputs: %w: a step sets all its outputs at once", ErrOutputsSet)
	}
	if err := checkNames(outs); err != nil {
		return fmt.Errorf("setting outputs: %w", err)
	}
	redacted := make([]Output, len(outs))
	for i, o := range outs {
		redacted[i] = Output{Name: o.Name, Value: r.redact(o.Value)}
	}
	var err error
	switch {
	case r.kind == GitHub:
		err = r.githubOutputs(redacted)
	case r.kind == GitLab:
		err = r.gitlabOutputs(redacted)
	case r.format == JSON:
		err = r.jsonOutputs(redacted)
	default:
		err = r.textOutputs(redacted)
	}
	if err != nil {
		return fmt.Errorf("setting outputs: %w", err)
	}
	r.outputsSet = true
	return nil
}

// checkNames wants kebab-case names, each given once. It also refuses "x"
// next to "x-file", whose GitLab keys could collide (RELMAN_X_FILE).
func checkNames(outs []Output) error {
	seen := make(map[string]bool, len(outs))
	for _, o := range outs {
		if !isKebab(o.Name) {
			return fmt.Errorf("%w %q: expected kebab-case such as previous-version", ErrBadOutputName, o.Name)
		}
		if seen[o.Name] {
			return fmt.Errorf("%w %q: given twice", ErrBadOutputName, o.Name)
		}
		seen[o.Name] = true
	}
	for _, o := range outs {
		if base, ok := strings.CutSuffix(o.Name, "-file"); ok && seen[base] {
			return fmt.Errorf("%w %q: clashes with %q on GitLab (%s_FILE)", ErrBadOutputName, o.Name, base, envKey(base))
		}
	}
	return nil
}

// envKey is the dotenv key of an output: RELMAN_ and the upper-snake name.
func envKey(name string) string {
	return "RELMAN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func (r *Reporter) githubOutputs(outs []Output) error {
	if len(outs) == 0 {
		return nil
	}
	name := r.getenv("GITHUB_OUTPUT")
	if name == "" {
		return fmt.Errorf("%w: run relman as a step of a GitHub Actions job, or without GITHUB_ACTIONS=true to print outputs", ErrNoOutputFile)
	}
	var b strings.Builder
	for _, o := range outs {
		delim, err := r.delimiter(o.Value)
		if err != nil {
			return fmt.Errorf("output %s: %w", o.Name, err)
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	if r.leaks(b.String()) {
		return ErrSecretInOutput
	}
	if err := appendFile(r.path(name), []byte(b.String())); err != nil {
		return fmt.Errorf("writing GITHUB_OUTPUT: %w", err)
	}
	return nil
}

// delimiter returns a random heredoc delimiter that value does not contain.
func (r *Reporter) delimiter(value string) (string, error) {
	for range 8 {
		d := "ghadelimiter_" + rand.Text()
		if !strings.Contains(value, d) && !r.leaks(d) {
			return d, nil
		}
	}
	return "", errors.New("could not pick a delimiter absent from the value")
}

// dotenvInline reports whether v can be a dotenv value that GitLab reads
// back unchanged and does not expand.
func dotenvInline(v string) bool {
	// "$" is expanded by later jobs; a backtick runs a command when the
	// report is sourced by a shell, even inside double quotes.
	if len(v) > dotenvValueLimit || !utf8.ValidString(v) || strings.TrimSpace(v) != v || strings.ContainsAny(v, "$`") {
		return false
	}
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return false
	}
	return strings.IndexFunc(v, unicode.IsControl) < 0
}

type outputFile struct {
	path, ref, name, value string
}

func (r *Reporter) gitlabOutputs(outs []Output) error {
	envName := r.getenv("RELMAN_DOTENV")
	if envName == "" {
		envName = "relman.env"
	}
	envPath := r.path(envName)
	size := 0
	if fi, err := os.Lstat(envPath); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("dotenv report: %w", symlinkError(envPath))
		}
		size = int(fi.Size())
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading dotenv report: %w", err)
	}
	// A report another tool left without a final newline: relman's first
	// line must not be glued to its last.
	sep := ""
	if nl, err := endsInNewline(envPath); err != nil {
		return fmt.Errorf("reading dotenv report: %w", err)
	} else if !nl {
		sep = "\n"
	}
	size += len(sep)

	var env strings.Builder
	var files []outputFile
	var logs []string
	for _, o := range outs {
		line := envKey(o.Name) + "=" + o.Value + "\n"
		if dotenvInline(o.Value) && size+env.Len()+len(line) <= dotenvFileLimit {
			env.WriteString(line)
			logs = append(logs, o.Name+"="+o.Value)
			continue
		}
		f := outputFile{path: filepath.Join(filepath.Dir(envPath), OutputDir, o.Name), name: o.Name, value: o.Value}
		f.ref = r.ref(f.path)
		if !dotenvInline(f.ref) {
			return fmt.Errorf("output %s: cannot name file %q in a dotenv report: set RELMAN_DOTENV to a simpler path", o.Name, f.ref)
		}
		env.WriteString(envKey(o.Name) + "_FILE=" + f.ref + "\n")
		files = append(files, f)
		logs = append(logs, fmt.Sprintf("%s: %d bytes written to %s", o.Name, len(o.Value), f.ref))
	}
	if r.leaks(env.String()) {
		return ErrSecretInOutput
	}
	for _, f := range files {
		if r.leaks(f.value) {
			return ErrSecretInOutput
		}
	}

	if len(files) > 0 {
		if err := mkdirNoFollow(filepath.Dir(files[0].path)); err != nil {
			return fmt.Errorf("creating output directory: %w", err)
		}
		// Every file is checked before any is written.
		for _, f := range files {
			if fi, err := os.Lstat(f.path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("writing output %s: %w", f.name, symlinkError(f.path))
			}
		}
	}
	for _, f := range files {
		if err := writeFile(f.path, []byte(f.value)); err != nil {
			return fmt.Errorf("writing output %s: %w", f.name, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(envPath), 0o755); err != nil {
		return fmt.Errorf("creating dotenv report directory: %w", err)
	}
	if err := appendFile(envPath, []byte(sep+env.String())); err != nil {
		return fmt.Errorf("writing dotenv report: %w", err)
	}
	for _, l := range logs {
		r.logLine(r.clean(l))
	}
	return nil
}

// ref names path for later jobs: relative to the job's directory when it is
// inside it, else absolute; with forward slashes.
func (r *Reporter) ref(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	dir, err := filepath.Abs(r.dir)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

func (r *Reporter) jsonOutputs(outs []Output) error {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, o := range outs {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, o.Name)
		b.WriteByte(':')
		writeJSONString(&b, o.Value)
	}
	b.WriteString("}\n")
	if r.leaks(b.String()) {
		return ErrSecretInOutput
	}
	if _, err := r.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing outputs: %w", err)
	}
	return nil
}

// writeJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

func (r *Reporter) textOutputs(outs []Output) error {
	var b strings.Builder
	for _, o := range outs {
		v := strings.TrimRight(stripControls(o.Value), "\n")
		if !strings.Contains(v, "\n") {
			fmt.Fprintf(&b, "%s: %s\n", o.Name, v)
			continue
		}
		fmt.Fprintf(&b, "%s:\n", o.Name)
		for line := range strings.SplitSeq(v, "\n") {
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	if _, err := r.out.Write([]byte(r.redact(b.String()))); err != nil {
		return fmt.Errorf("writing outputs: %w", err)
	}
	return nil
}
