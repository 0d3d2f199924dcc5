// Package versionfile reads and sets the version that a repository's build
// files carry: the poms of a Maven reactor (what mvn versions:set does), a
// Python VERSION file, a package's versionNumber in sfdx-project.json, and
// generic version files (package.json, gradle.properties, pyproject.toml,
// Chart.yaml, Cargo.toml, or a file and a regular expression). For a
// repository of packages it also points manifests at the new versions of
// their dependencies (package.json ranges, sfdx-project.json dependencies,
// go.mod requirements, pom dependencies) and reads what discovering the
// packages needs (ReadSFDX, ReadNPMPackage, ReadGoMod, MavenReactor).
//
// Editors work on file contents, not on the file system: they read through
// Files (a git tree or a directory) and return the edited files as Changes
// for the caller to write or commit. They change only the text of the
// version itself; every other byte (comments, indentation, attribute order,
// CRLF line endings, a UTF-8 byte order mark, the final newline or its
// absence) stays as it was. Setting the version a file already carries
// returns no Change.
package versionfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Files reads a file of the repository by slash-separated path relative to
// the root; it returns an error wrapping fs.ErrNotExist when the file is
// absent. gitrepo.TreeFiles and os.DirFS(dir).(fs.ReadFileFS) implement it.
type Files interface {
	ReadFile(path string) ([]byte, error)
}

// Change is one edited file: its path and its contents before and after.
type Change struct {
	Path     string
	Old, New []byte
}

// Editor reads and sets the version of one kind of version file.
type Editor interface {
	// Name says what the editor edits, for logs: "maven (pom.xml)".
	Name() string
	// Paths lists the files the editor reads and may change, in a fixed
	// order (for Maven: every pom of the reactor).
	Paths(files Files) ([]string, error)
	// Current returns the version the files carry now.
	Current(files Files) (string, error)
	// Set returns the files changed so that they carry version, leaving
	// every other byte alone. Files that already carry it are not
	// returned, so setting the same version twice returns nothing the
	// second time. On error nothing is returned.
	Set(files Files, version string) ([]Change, error)
}

// Errors that callers can test for with errors.Is.
var (
	// ErrInvalidVersion: the version to set is not one relman can write
	// into a version file.
	ErrInvalidVersion = errors.New("invalid version")
	// ErrNoVersion: a file has no version where its format keeps it, or
	// its version cannot be resolved.
	ErrNoVersion = errors.New("no version found")
	// ErrSyntax: a file does not parse as its format.
	ErrSyntax = errors.New("syntax error")
	// ErrUnsupported: a file keeps its version in a form relman does not
	// edit (markup or escapes inside the version, a version built from
	// several properties, ...).
	ErrUnsupported = errors.New("unsupported version form")
	// ErrUnknownFormat: a version-files entry names no known format.
	ErrUnknownFormat = errors.New("unknown version file format")
)

// FileError is an error about one file, at a line when Line > 0.
type FileError struct {
	Path string
	Line int
	Err  error
}

// Error is "PATH:LINE: message", or "PATH: message" without a line.
func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the cause, which wraps one of the package's sentinels or
// fs.ErrNotExist.
func (e *FileError) Unwrap() error { return e.Err }

func fileErr(p string, line int, sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if sentinel != nil {
		return &FileError{Path: p, Line: line, Err: fmt.Errorf("%w: %s", sentinel, msg)}
	}
	return &FileError{Path: p, Line: line, Err: errors.New(msg)}
}

// MapFiles holds files in memory by slash-separated path. It implements
// Files; tests and callers use it to layer changes over a tree.
type MapFiles map[string][]byte

// ReadFile returns a copy of the file at p.
func (m MapFiles) ReadFile(p string) ([]byte, error) {
	b, ok := m[cleanPath(p)]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

// overlay reads changed files from changes and the rest from base.
type overlay struct {
	base    Files
	changed map[string][]byte
}

func (o overlay) ReadFile(p string) ([]byte, error) {
	if b, ok := o.changed[cleanPath(p)]; ok {
		return bytes.Clone(b), nil
	}
	return o.base.ReadFile(p)
}

// Multi is several editors used as one: the build system's editor and the
// version-files entries. Current is the first editor's; Set applies them in
// order, each seeing the files as the ones before left them, and returns one
// Change per file.
type Multi []Editor

// Name joins the editors' names.
func (m Multi) Name() string {
	names := make([]string, len(m))
	for i, e := range m {
		names[i] = e.Name()
	}
	return strings.Join(names, ", ")
}

// Paths lists every editor's files once, in order.
func (m Multi) Paths(files Files) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range m {
		ps, err := e.Paths(files)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// Current returns the first editor's version.
func (m Multi) Current(files Files) (string, error) {
	if len(m) == 0 {
		return "", fmt.Errorf("%w: no version files are configured", ErrNoVersion)
	}
	return m[0].Current(files)
}

// Set applies every editor in order.
func (m Multi) Set(files Files, version string) ([]Change, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	ov := overlay{base: files, changed: map[string][]byte{}}
	var order []string
	old := map[string][]byte{}
	for _, e := range m {
		cs, err := e.Set(ov, version)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			p := cleanPath(c.Path)
			if _, ok := old[p]; !ok {
				old[p] = c.Old
				order = append(order, p)
			}
			ov.changed[p] = c.New
		}
	}
	var out []Change
	for _, p := range order {
		if !bytes.Equal(old[p], ov.changed[p]) {
			out = append(out, Change{Path: p, Old: old[p], New: ov.changed[p]})
		}
	}
	return out, nil
}

// At returns the editors for a version commit made at t: an editor whose
// edit depends on the commit's time takes it from t (Maven writes it into
// project.build.outputTimestamp), so that the same commit gives the same
// bytes.
func (m Multi) At(t time.Time) Multi {
	out := make(Multi, len(m))
	for i, e := range m {
		if te, ok := e.(interface{ at(time.Time) Editor }); ok {
			e = te.at(t)
		}
		out[i] = e
	}
	return out
}

// Config selects the editors of a repository.
type Config struct {
	// BuildSystem is "simple", "python" or "maven" (empty means simple).
	BuildSystem string
	// VersionFiles are version-files entries, see ParseVersionFile.
	VersionFiles []string
	// Warn receives warnings about the files (a Maven <module> that does
	// not exist), each once; nil drops them.
	Warn func(msg string)
}

// New returns the editors for a build system and version-files entries:
// Maven{} for maven, Python{} for python, nothing for simple, followed by
// one editor per version-files entry. With nothing to edit it returns an
// empty Multi, whose Set changes nothing.
func New(c Config) (Multi, error) {
	var m Multi
	switch strings.ToLower(strings.TrimSpace(c.BuildSystem)) {
	case "", "simple":
	case "maven":
		m = append(m, Maven{Warn: once(c.Warn)})
	case "python":
		m = append(m, Python{})
	default:
		return nil, fmt.Errorf("unknown build system %q: expected simple, python or maven", c.BuildSystem)
	}
	for _, s := range c.VersionFiles {
		if strings.TrimSpace(s) == "" {
			continue
		}
		vf, err := ParseVersionFile(s)
		if err != nil {
			return nil, err
		}
		m = append(m, vf)
	}
	return m, nil
}

// once passes each distinct message to warn once: every Paths, Current and
// Set reads the files again.
func once(warn func(string)) func(string) {
	if warn == nil {
		return nil
	}
	seen := map[string]bool{}
	return func(msg string) {
		if !seen[msg] {
			seen[msg] = true
			warn(msg)
		}
	}
}

// validVersion is what an editor writes: it needs no quoting or escaping in
// any of the formats (XML, JSON, TOML, YAML, properties, a plain line).
var validVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._+~-]*$`)

func checkVersion(v string) error {
	if len(v) > 200 || !validVersion.MatchString(v) {
		return fmt.Errorf("%w %q: expected letters, digits and . _ + ~ - starting with a letter or digit, like 1.2.3 or 1.3.0-SNAPSHOT", ErrInvalidVersion, v)
	}
	return nil
}

// edit replaces data[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// fileEdits are the edits of one file.
type fileEdits struct {
	path  string
	old   []byte
	edits []edit
}

// apply returns data with the edits made; edits must not overlap.
func apply(data []byte, edits []edit) []byte {
	es := append([]edit(nil), edits...)
	sort.Slice(es, func(i, j int) bool { return es[i].start < es[j].start })
	var b bytes.Buffer
	b.Grow(len(data))
	at := 0
	for _, e := range es {
		b.Write(data[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(data[at:])
	return b.Bytes()
}

// changes turns planned edits into Changes, leaving out unchanged files.
func changes(plans []fileEdits) []Change {
	var out []Change
	for _, p := range plans {
		n := apply(p.old, p.edits)
		if !bytes.Equal(n, p.old) {
			out = append(out, Change{Path: p.path, Old: p.old, New: n})
		}
	}
	return out
}

// cleanPath normalizes a slash-separated path relative to the root.
func cleanPath(p string) string {
	p = path.Clean(strings.ReplaceAll(p, `\`, "/"))
	return strings.TrimPrefix(p, "./")
}

// insideRoot reports whether a cleaned path stays inside the repository.
func insideRoot(p string) bool {
	return p != ".." && !strings.HasPrefix(p, "../") && !strings.HasPrefix(p, "/")
}

// readFile reads p, turning a missing file into an error that names it and
// what was expected there.
func readFile(files Files, p, expected string) ([]byte, error) {
	b, err := files.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &FileError{Path: p, Err: fmt.Errorf("%w: expected %s", fs.ErrNotExist, expected)}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// lineAt is the 1-based line of byte offset off.
func lineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// utf8BOM is the byte order mark some editors put at the start of files.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// bomLen is 3 when data starts with a UTF-8 byte order mark.
func bomLen(data []byte) int {
	if bytes.HasPrefix(data, utf8BOM) {
		return 3
	}
	return 0
}
