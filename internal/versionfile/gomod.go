package versionfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// GoMod is what ReadGoMod reads of a go.mod: the module path and the
// requirements.
type GoMod struct {
	Module     string
	ModuleLine int
	Requires   []GoRequire
}

// GoRequire is one requirement of a go.mod.
type GoRequire struct {
	Path, Version string
	Line          int
	// the version token's byte range (its contents, for a quoted one)
	start, end int
	quoted     bool
}

// modToken is a token of a go.mod: a word or a quoted string (text is
// decoded), or one of the punctuation characters ( ) [ ] { } ,.
type modToken struct {
	text       string
	start, end int // for a quoted string, its contents
	quoted     bool
}

// modLine is the tokens of one line, comments left out.
type modLine struct {
	toks []modToken
	line int
}

// lexGoMod splits a go.mod into lines of tokens as the go command does.
func lexGoMod(data []byte) ([]modLine, error) {
	var out []modLine
	cur := modLine{line: 1}
	line := 1
	i := bomLen(data)
	for i < len(data) {
		c := data[i]
		switch {
		case c == '\n':
			if len(cur.toks) > 0 {
				out = append(out, cur)
			}
			line++
			cur = modLine{line: line}
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '/' && i+1 < len(data) && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case strings.IndexByte("()[]{},", c) >= 0:
			cur.toks = append(cur.toks, modToken{text: string(c), start: i, end: i + 1})
			i++
		case c == '"' || c == '`':
			j := i + 1
			for j < len(data) && data[j] != c && data[j] != '\n' {
				if c == '"' && data[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(data) || data[j] != c {
				return nil, locErr(line, ErrSyntax, "a quoted string does not end on its line")
			}
			text, err := strconv.Unquote(string(data[i : j+1]))
			if err != nil {
				return nil, locErr(line, ErrSyntax, "bad quoted string %s: %v", clip(data[i:j+1]), err)
			}
			cur.toks = append(cur.toks, modToken{text: text, start: i + 1, end: j, quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(data) && !isModDelim(data, j) {
				j++
			}
			cur.toks = append(cur.toks, modToken{text: string(data[i:j]), start: i, end: j})
			i = j
		}
	}
	if len(cur.toks) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

func isModDelim(data []byte, j int) bool {
	switch c := data[j]; c {
	case ' ', '\t', '\r', '\n', '"', '`', '(', ')', '[', ']', '{', '}', ',':
		return true
	case '/':
		return j+1 < len(data) && data[j+1] == '/'
	}
	return false
}

// ReadGoMod reads the module path and requirements of a go.mod. Its
// errors are FileErrors at the line of what is wrong.
func ReadGoMod(file string, data []byte) (*GoMod, error) {
	lines, err := lexGoMod(data)
	if err != nil {
		return nil, wrapLocate(file, err)
	}
	out := &GoMod{}
	block := ""
	blockLine := 0
	entry := func(verb string, l modLine, toks []modToken) error {
		switch verb {
		case "module":
			if len(toks) != 1 || toks[0].text == "" {
				return fileErr(file, l.line, ErrSyntax, "expected module PATH")
			}
			if out.Module != "" {
				return fileErr(file, l.line, ErrSyntax, "a second module directive (the first is on line %d): expected one", out.ModuleLine)
			}
			out.Module, out.ModuleLine = toks[0].text, l.line
		case "require":
			if len(toks) != 2 {
				return fileErr(file, l.line, ErrSyntax, "expected require PATH VERSION, like require example.com/lib v1.2.0")
			}
			out.Requires = append(out.Requires, GoRequire{
				Path: toks[0].text, Version: toks[1].text, Line: l.line,
				start: toks[1].start, end: toks[1].end, quoted: toks[1].quoted,
			})
		}
		return nil
	}
	for _, l := range lines {
		t := l.toks
		if block != "" {
			if len(t) == 1 && t[0].text == ")" && !t[0].quoted {
				block = ""
				continue
			}
			if err := entry(block, l, t); err != nil {
				return nil, err
			}
			continue
		}
		if len(t) == 2 && t[1].text == "(" && !t[1].quoted {
			block, blockLine = t[0].text, l.line
			continue
		}
		if err := entry(t[0].text, l, t[1:]); err != nil {
			return nil, err
		}
	}
	if block != "" {
		return nil, fileErr(file, blockLine, ErrSyntax, "the %s ( block does not end: expected a line with )", block)
	}
	if out.Module == "" {
		return nil, fileErr(file, 0, ErrSyntax, "no module directive: expected module PATH")
	}
	return out, nil
}

// SetGoRequires points the requirements of a go.mod at new versions:
// versions maps module paths to the version each was released at (1.3.0
// or v1.3.0). A requirement below the new version (a release or a
// pseudo-version) takes it; one at it or above is left alone. A version
// whose major does not match the module path (v2.0.0 for a path without
// /v2) is an error: Go cannot require it. replace directives, go.sum and
// the requirements of other modules are not changed: a module that
// builds the new requirement from the repository itself has a replace
// directive for it, and go.sum gets the new version's hashes from the
// next go mod tidy.
func SetGoRequires(files Files, file string, versions map[string]string) ([]Change, error) {
	file = cleanPath(file)
	data, err := readFile(files, file, "a go.mod")
	if err != nil {
		return nil, err
	}
	mod, err := ReadGoMod(file, data)
	if err != nil {
		return nil, err
	}
	fe := fileEdits{path: file, old: data}
	for _, r := range mod.Requires {
		nv, ok := versions[r.Path]
		if !ok {
			continue
		}
		v, err := semver.StrictNewVersion(strings.TrimPrefix(nv, "v"))
		if err != nil || v.Metadata() != "" {
			return nil, fmt.Errorf("%w %q for module %s: expected a semantic version like 1.3.0", ErrInvalidVersion, nv, r.Path)
		}
		if want := pathMajor(r.Path); v.Major() != want && (want > 1 || v.Major() > 1) {
			return nil, fileErr(file, r.Line, ErrUnsupported, "module %s cannot be required at v%s: %s; release it under a module path ending in /v%d (and import it so), or keep it on v%d",
				r.Path, v, majorRule(r.Path, want), v.Major(), want)
		}
		old, err := semver.NewVersion(strings.TrimPrefix(r.Version, "v"))
		if err != nil || !old.LessThan(v) {
			continue
		}
		fe.edits = append(fe.edits, edit{start: r.start, end: r.end, text: "v" + v.String()})
	}
	return changes([]fileEdits{fe}), nil
}

var (
	majorSuffix   = regexp.MustCompile(`/v([0-9]+)$`)
	gopkgInSuffix = regexp.MustCompile(`^gopkg\.in/.*\.v([0-9]+)(-unstable)?$`)
)

// pathMajor is the major version a module path takes: N for a path ending
// in /vN (N ≥ 2) or gopkg.in's .vN, else 0 or 1 (returned as 1).
func pathMajor(p string) uint64 {
	for _, re := range []*regexp.Regexp{gopkgInSuffix, majorSuffix} {
		if m := re.FindStringSubmatch(p); m != nil {
			n, err := strconv.ParseUint(m[1], 10, 64)
			if err == nil && (n >= 2 || re == gopkgInSuffix) {
				if n == 0 {
					return 1
				}
				return n
			}
		}
	}
	return 1
}

func majorRule(p string, major uint64) string {
	if major <= 1 {
		return "a module path without a major version suffix takes v0 and v1 versions only"
	}
	return fmt.Sprintf("module path %s takes v%d versions only", p, major)
}
