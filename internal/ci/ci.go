// Package ci is how a relman step talks to the runner it runs under: GitHub
// Actions, GitLab CI, or a terminal. A [Reporter] writes log lines,
// annotations, collapsible sections, a Markdown summary and the step's
// outputs in the form each runner understands, and keeps untrusted text
// (merge request titles, branch names) from being read as a runner command.
//
// Where things go:
//
//   - Everything meant for people (log lines, annotations, sections, and the
//     summary outside GitHub) goes to Stderr. Stdout carries only outputs, and
//     only when running locally: "name: value" lines with [Text], exactly one
//     JSON object with [JSON].
//   - GitHub: outputs are appended to $GITHUB_OUTPUT in the multiline form
//     name<<DELIM / value / DELIM with a random delimiter; the summary is
//     appended to $GITHUB_STEP_SUMMARY; annotations and groups are workflow
//     commands.
//   - GitLab: outputs are appended to a dotenv report, $RELMAN_DOTENV or
//     relman.env in Options.Dir, as RELMAN_<NAME>=value (see
//     [Reporter.SetOutputs] for values a dotenv line cannot hold, which go
//     to files under relman-outputs/ instead); sections are collapsible log
//     sections; warnings and errors are coloured WARNING:/ERROR: lines.
//
// A GitLab job that passes relman's outputs on declares both files:
//
//	artifacts:
//	  paths: [relman-outputs/]
//	  reports:
//	    dotenv: relman.env
//
// Masked secrets ([Reporter.Mask]) are replaced by "***" in everything the
// Reporter writes, in every mode. On GitHub the runner is also told to mask
// them (::add-mask::), which is the only place the secret itself is written.
package ci

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// Kind is the kind of runner a step runs under.
type Kind int

// The runners relman knows.
const (
	Local  Kind = iota // a terminal or a script
	GitHub             // GitHub Actions
	GitLab             // GitLab CI
)

// String returns "local", "github" or "gitlab".
func (k Kind) String() string {
	switch k {
	case Local:
		return "local"
	case GitHub:
		return "github"
	case GitLab:
		return "gitlab"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Detect tells the runner from the environment: GITHUB_ACTIONS=true is
// GitHub, GITLAB_CI=true is GitLab, anything else is Local.
func Detect(getenv func(string) string) Kind {
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		return GitHub
	case getenv("GITLAB_CI") == "true":
		return GitLab
	}
	return Local
}

// Format is how outputs are printed when running locally (--output). It is
// ignored in CI, where outputs go to the runner's files.
type Format int

// The output formats.
const (
	Text Format = iota // "name: value" lines
	JSON               // one JSON object
)

// String returns "text" or "json".
func (f Format) String() string {
	switch f {
	case Text:
		return "text"
	case JSON:
		return "json"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat reads the value of --output.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "text":
		return Text, nil
	case "json":
		return JSON, nil
	}
	return 0, fmt.Errorf("%w: got --output %q, expected text or json", ErrBadFormat, s)
}

// Errors returned by this package.
var (
	// ErrBadFormat is an unknown --output value.
	ErrBadFormat = errors.New("unknown output format")
	// ErrBadOutputName is an output name that is not kebab-case, or is
	// given twice.
	ErrBadOutputName = errors.New("invalid output name")
	// ErrOutputsSet means SetOutputs was called a second time.
	ErrOutputsSet = errors.New("outputs already set")
	// ErrNoOutputFile means GITHUB_OUTPUT is not set on GitHub.
	ErrNoOutputFile = errors.New("GITHUB_OUTPUT is not set")
	// ErrSecretInOutput means a masked secret would have been written
	// despite redaction (it spans the structure of the output format).
	ErrSecretInOutput = errors.New("a masked secret would appear in the outputs")
)

// Options configures a Reporter.
type Options struct {
	Kind   Kind
	Format Format // Local only
	// Getenv reads the environment (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
	// RELMAN_DOTENV). Nil means an empty environment.
	Getenv func(string) string
	// Stdout receives local outputs only; Stderr everything else. Nil
	// discards.
	Stdout, Stderr io.Writer
	// Dir is the working directory that relative file names are resolved
	// against; empty means ".".
	Dir string
	// Now is the clock for GitLab section timestamps; nil means time.Now.
	Now func() time.Time
}

// Reporter writes a step's log, annotations, summary and outputs for one
// runner. Its methods are safe for concurrent use. Errors writing the log are
// ignored, as with the log package; errors writing files are returned.
type Reporter struct {
	kind   Kind
	format Format
	getenv func(string) string
	dir    string
	now    func() time.Time

	out    io.Writer // Stdout: local outputs only, redacted by the caller
	stderr io.Writer // redacting, never fails
	gha    *githubactions.Action
	masker *githubactions.Action // writes ::add-mask:: unredacted

	mu      sync.Mutex
	secrets []string // longest first

	outMu      sync.Mutex
	outputsSet bool
}

// New returns a Reporter for opts.
func New(opts Options) (*Reporter, error) {
	if opts.Kind < Local || opts.Kind > GitLab {
		return nil, fmt.Errorf("creating reporter: unknown runner kind %d", int(opts.Kind))
	}
	if opts.Format < Text || opts.Format > JSON {
		return nil, fmt.Errorf("creating reporter: %w %d", ErrBadFormat, int(opts.Format))
	}
	r := &Reporter{
		kind:   opts.Kind,
		format: opts.Format,
		getenv: opts.Getenv,
		dir:    opts.Dir,
		now:    opts.Now,
	}
	if r.getenv == nil {
		r.getenv = func(string) string { return "" }
	}
	if r.dir == "" {
		r.dir = "."
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.out = opts.Stdout
	if r.out == nil {
		r.out = io.Discard
	}
	rawErr := quietWriter{opts.Stderr}
	r.stderr = redactWriter{r, rawErr}
	if r.kind == GitHub {
		r.gha = githubactions.New(githubactions.WithGetenv(r.getenv), githubactions.WithWriter(r.stderr))
		r.masker = githubactions.New(githubactions.WithGetenv(r.getenv), githubactions.WithWriter(rawErr))
	}
	return r, nil
}

// minMaskPart is the shortest line of a multiline secret that is masked on
// its own; shorter lines ("{", "}") would blank out ordinary text.
const minMaskPart = 4

// Mask registers a secret. From now on it is written as "***" everywhere:
// log, annotations, summary and outputs. On GitHub the runner is told as
// well (::add-mask::), the one place the secret itself is written. The lines
// of a multiline secret are masked on their own too, because runners log and
// mask line by line. Empty secrets and secrets made only of "*" and spaces
// are ignored.
func (r *Reporter) Mask(secret string) {
	parts := []string{secret}
	if t := strings.TrimSpace(secret); t != secret {
		parts = append(parts, t)
	}
	if strings.ContainsAny(secret, "\r\n") {
		for line := range strings.FieldsFuncSeq(secret, func(c rune) bool { return c == '\r' || c == '\n' }) {
			if line = strings.TrimSpace(line); len(line) >= minMaskPart {
				parts = append(parts, line)
			}
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range parts {
		if strings.TrimSpace(strings.Trim(p, "*")) == "" || slices.Contains(r.secrets, p) {
			continue
		}
		if r.masker != nil {
			r.masker.AddMask(p)
		}
		r.secrets = append(r.secrets, p)
	}
	slices.SortStableFunc(r.secrets, func(a, b string) int { return len(b) - len(a) })
}

// redact replaces every masked secret in s with "***", until none is left:
// one pass can leave one behind ("bb*" with secret "b*" gives "b***"). This
// ends because each replacement removes a character other than '*'.
func (r *Reporter) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for again := true; again; {
		again = false
		for _, secret := range r.secrets {
			if strings.Contains(s, secret) {
				s = strings.ReplaceAll(s, secret, "***")
				again = true
			}
		}
	}
	return s
}

// leaks reports whether s still holds a masked secret.
func (r *Reporter) leaks(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// Infof writes a plain log line.
func (r *Reporter) Infof(format string, args ...any) {
	r.logLine(r.clean(fmt.Sprintf(format, args...)))
}

// Noticef writes a notice: a GitHub notice annotation, a "NOTICE:" line on
// GitLab, "notice: ..." locally.
func (r *Reporter) Noticef(format string, args ...any) {
	r.annotate(levelNotice, fmt.Sprintf(format, args...))
}

// Warningf writes a warning: a GitHub warning annotation, a yellow
// "WARNING:" line on GitLab, "warning: ..." locally.
func (r *Reporter) Warningf(format string, args ...any) {
	r.annotate(levelWarning, fmt.Sprintf(format, args...))
}

// Errorf writes an error: a GitHub error annotation, a red "ERROR:" line on
// GitLab, "error: ..." locally. It does not stop the step.
func (r *Reporter) Errorf(format string, args ...any) {
	r.annotate(levelError, fmt.Sprintf(format, args...))
}

type level int

const (
	levelNotice level = iota
	levelWarning
	levelError
)

// GitLab log colours, as the GitLab runner prints its own warnings.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[0;31m"
	ansiYellow = "\x1b[0;33m"
	ansiCyan   = "\x1b[0;36m"
)

func (r *Reporter) annotate(l level, msg string) {
	switch r.kind {
	case GitHub:
		// The library escapes %, \r and \n, so the message stays on the
		// command's line and cannot start a command of its own.
		msg = r.plain(msg)
		switch l {
		case levelNotice:
			r.gha.Noticef("%s", msg)
		case levelWarning:
			r.gha.Warningf("%s", msg)
		default:
			r.gha.Errorf("%s", msg)
		}
	case GitLab:
		prefix := map[level]string{
			levelNotice:  ansiCyan + "NOTICE:" + ansiReset + " ",
			levelWarning: ansiYellow + "WARNING:" + ansiReset + " ",
			levelError:   ansiRed + "ERROR:" + ansiReset + " ",
		}[l]
		r.logLine(prefix + r.clean(msg))
	default:
		prefix := map[level]string{levelNotice: "notice: ", levelWarning: "warning: ", levelError: "error: "}[l]
		r.logLine(prefix + r.clean(msg))
	}
}

// Section starts a collapsible section of the log and returns the function
// that ends it (calling it more than once is harmless). On GitHub it is a
// group (groups do not nest); on GitLab a section collapsed by default, whose
// id is reduced to [a-z0-9_]; locally just the title line.
func (r *Reporter) Section(id, title string) (end func()) {
	var once sync.Once
	switch r.kind {
	case GitHub:
		r.gha.Group(oneLine(r.plain(title)))
		return func() { once.Do(r.gha.EndGroup) }
	case GitLab:
		id = sectionID(id)
		fmt.Fprintf(r.stderr, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n",
			r.now().Unix(), id, oneLine(r.clean(title)))
		return func() {
			once.Do(func() {
				fmt.Fprintf(r.stderr, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", r.now().Unix(), id)
			})
		}
	default:
		r.logLine("== " + oneLine(r.clean(title)))
		return func() {}
	}
}

// Summary publishes a Markdown report of the step. On GitHub it is appended
// to $GITHUB_STEP_SUMMARY (or logged when that is not set); elsewhere it is
// written to the log.
func (r *Reporter) Summary(markdown string) error {
	if r.kind == GitHub {
		if name := r.getenv("GITHUB_STEP_SUMMARY"); name != "" {
			text := r.plain(markdown)
			if !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			if err := appendFile(r.path(name), []byte(text)); err != nil {
				return fmt.Errorf("writing step summary: %w", err)
			}
			return nil
		}
	}
	r.logLine(r.clean(markdown))
	return nil
}

// logLine writes s, which must already be cleaned, as one write ending in a
// newline.
func (r *Reporter) logLine(s string) {
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	io.WriteString(r.stderr, s)
}

// path resolves a file name against the working directory.
func (r *Reporter) path(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(r.dir, name)
}

// redactWriter redacts masked secrets from every write. Callers write whole
// lines, so a secret is never split across two writes.
type redactWriter struct {
	r *Reporter
	w io.Writer
}

func (w redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// quietWriter drops write errors (and writes to a nil writer): a log that
// cannot be written must not stop a release half-way, and the GitHub library
// panics on write errors.
type quietWriter struct{ w io.Writer }

func (w quietWriter) Write(p []byte) (int, error) {
	if w.w != nil {
		w.w.Write(p)
	}
	return len(p), nil
}

// Report writes a step's report for people at a terminal: in Local mode
// with [Text] it goes to Stdout in place of the outputs (which stay for
// [JSON] and the runners), cleaned of control characters and with masked
// secrets redacted. It reports whether it wrote; elsewhere it writes
// nothing, and the caller publishes the Markdown summary and the outputs.
func (r *Reporter) Report(text string) bool {
	if r.kind != Local || r.format != Text {
		return false
	}
	text = r.clean(text)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	io.WriteString(r.out, text)
	return true
}
