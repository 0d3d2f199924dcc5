package versionfile

import (
	"bytes"
	"fmt"
	"regexp"
)

// Python edits a Python project's VERSION file: one line holding a PEP 440
// version (1.2.3, 1.3.0.dev0), optionally followed by a line ending, which
// is kept.
type Python struct {
	// Path of the file; empty means VERSION.
	Path string
}

func (p Python) path() string {
	if p.Path == "" {
		return "VERSION"
	}
	return cleanPath(p.Path)
}

// Name is "python (PATH)".
func (p Python) Name() string { return "python (" + p.path() + ")" }

// Paths lists the VERSION file.
func (p Python) Paths(Files) ([]string, error) { return []string{p.path()}, nil }

// Current returns the version in the file.
func (p Python) Current(files Files) (string, error) {
	data, err := readFile(files, p.path(), "a file holding the version, like 1.2.3")
	if err != nil {
		return "", err
	}
	l, err := locatePython(data)
	if err != nil {
		return "", wrapLocate(p.path(), err)
	}
	return l.value, nil
}

// Set writes version into the file.
func (p Python) Set(files Files, version string) ([]Change, error) {
	plans, err := p.plan(files, version)
	if err != nil {
		return nil, err
	}
	return changes(plans), nil
}

func (p Python) plan(files Files, version string) ([]fileEdits, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	if !pep440.MatchString(version) {
		return nil, fmt.Errorf("%w %q for %s: expected a PEP 440 version like 1.2.3 or 1.3.0.dev0", ErrInvalidVersion, version, p.path())
	}
	data, err := readFile(files, p.path(), "a file holding the version, like 1.2.3")
	if err != nil {
		return nil, err
	}
	l, err := locatePython(data)
	if err != nil {
		return nil, wrapLocate(p.path(), err)
	}
	return []fileEdits{{path: p.path(), old: data, edits: []edit{{start: l.start, end: l.end, text: version}}}}, nil
}

// pep440 matches the public versions relman reads and writes: release
// segments, an optional pre-release, post-release, dev release and local
// label.
var pep440 = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?(\+[a-z0-9]+(\.[a-z0-9]+)*)?$`)

var pep440DevSuffix = regexp.MustCompile(`\.dev[0-9]+$`)

// PEP440Dev returns the PEP 440 development version that precedes release:
// PEP440Dev("1.3.0") is "1.3.0.dev0". A development version is returned as
// it is.
func PEP440Dev(release string) string {
	if pep440DevSuffix.MatchString(release) {
		return release
	}
	return release + ".dev0"
}

// locatePython finds the single version line.
func locatePython(data []byte) (loc, error) {
	var found loc
	n := 0
	at := bomLen(data)
	for line := 1; at <= len(data); line++ {
		end := bytes.IndexByte(data[at:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += at
		}
		text := data[at:end]
		trimmed := bytes.TrimLeft(text, " \t\r\f\v")
		start := at + len(text) - len(trimmed)
		trimmed = bytes.TrimRight(trimmed, " \t\r\f\v")
		if len(trimmed) > 0 {
			n++
			if n > 1 {
				return loc{}, locErr(line, ErrSyntax, "a second non-empty line %q: expected exactly one line holding the version, like 1.2.3", clip(trimmed))
			}
			found = loc{start: start, end: start + len(trimmed), line: line, value: string(trimmed)}
		}
		at = end + 1
	}
	if n == 0 {
		return loc{}, locErr(0, ErrNoVersion, "the file is empty: expected one line holding the version, like 1.2.3")
	}
	if !pep440.MatchString(found.value) {
		return loc{}, locErr(found.line, ErrSyntax, "found %q: expected one line holding a PEP 440 version, like 1.2.3 or 1.3.0.dev0", clip([]byte(found.value)))
	}
	return found, nil
}

// clip shortens text quoted in an error.
func clip(b []byte) string {
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
