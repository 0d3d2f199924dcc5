package versionfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// VersionFile is one entry of the version-files setting: a file and how its
// version is found. Build one with ParseVersionFile.
type VersionFile struct {
	// Path is the file, relative to the repository root.
	Path    string
	format  *format
	key     string         // for Chart.yaml: version or appVersion
	pattern *regexp.Regexp // for PATH=REGEX
}

// format is a kind of version file.
type format struct {
	name    string   // as written in specs and messages
	aliases []string // other accepted names, lower case
	keys    []string // options: the first is the default
	locate  func(data []byte, key string) ([]loc, error)
}

var formats = []*format{
	{name: "package.json", aliases: []string{"json", "npm"}, locate: locateJSON},
	{name: "gradle.properties", aliases: []string{"properties", "gradle"}, locate: locateProperties},
	{name: "pyproject.toml", aliases: []string{"pyproject"}, locate: locatePyproject},
	{name: "Chart.yaml", aliases: []string{"chart", "helm"}, keys: []string{"version", "appVersion"}, locate: locateChart},
	{name: "Cargo.toml", aliases: []string{"cargo"}, locate: locateCargo},
}

func formatNamed(s string) *format {
	l := strings.ToLower(s)
	for _, f := range formats {
		if l == strings.ToLower(f.name) {
			return f
		}
		for _, a := range f.aliases {
			if l == a {
				return f
			}
		}
	}
	return nil
}

func formatNames() string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// ParseVersionFile reads one version-files entry:
//
//   - PATH: the format from the file name (package.json, gradle.properties,
//     pyproject.toml, Chart.yaml, Cargo.toml);
//   - PATH:FORMAT for a file named otherwise, FORMAT being one of those
//     names (or json, properties, pyproject, chart, cargo);
//   - PATH:appVersion (or PATH:Chart.yaml:appVersion) for a Chart.yaml's
//     appVersion instead of its version;
//   - PATH=REGEX: the first match of REGEX, whose one capture group is the
//     version.
//
// What each format edits: package.json the top-level "version" string;
// gradle.properties the version= line; pyproject.toml [project] version,
// else [tool.poetry] version; Chart.yaml the top-level version: (or
// appVersion:); Cargo.toml [package] version and [workspace.package]
// version, whichever are there.
func ParseVersionFile(spec string) (*VersionFile, error) {
	s := strings.TrimSpace(spec)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("version-files entry %q: %s", spec, fmt.Sprintf(format, args...))
	}
	if i := strings.Index(s, "="); i >= 0 {
		p, expr := strings.TrimSpace(s[:i]), s[i+1:]
		if p == "" {
			return nil, bad("no file before =: expected PATH=REGEX")
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, bad("the pattern does not compile: %v", err)
		}
		if re.NumSubexp() != 1 {
			return nil, bad("the pattern has %d capture groups, expected exactly one around the version, like %s", re.NumSubexp(), `src/app/__init__.py=__version__ = "([^"]+)"`)
		}
		return newVersionFile(spec, p, nil, "", re)
	}
	p, opts, _ := strings.Cut(s, ":")
	p = strings.TrimSpace(p)
	if p == "" {
		return nil, bad("no file: expected PATH, PATH:FORMAT or PATH=REGEX")
	}
	var f *format
	key := ""
	if opts != "" {
		for _, o := range strings.Split(opts, ":") {
			o = strings.TrimSpace(o)
			if g := formatNamed(o); g != nil && f == nil {
				f = g
				continue
			}
			if key == "" {
				key = o
				continue
			}
			return nil, bad("%v %q: expected one of %s", ErrUnknownFormat, o, formatNames())
		}
	}
	if f == nil {
		f = formatNamed(path.Base(cleanPath(p)))
	}
	if f == nil {
		if key != "" {
			return nil, bad("%v %q: expected one of %s", ErrUnknownFormat, key, formatNames())
		}
		return nil, fmt.Errorf("version-files entry %q: %w: cannot tell the format of %s from its name: expected a file named %s, or PATH:FORMAT, or PATH=REGEX with one capture group around the version",
			spec, ErrUnknownFormat, p, formatNames())
	}
	if key != "" {
		ok := false
		for _, k := range f.keys {
			if strings.EqualFold(k, key) {
				key, ok = k, true
			}
		}
		if !ok {
			if len(f.keys) == 0 {
				return nil, fmt.Errorf("version-files entry %q: %w %q: %s takes no option; expected one of %s", spec, ErrUnknownFormat, key, f.name, formatNames())
			}
			return nil, fmt.Errorf("version-files entry %q: %w %q: %s takes %s", spec, ErrUnknownFormat, key, f.name, strings.Join(f.keys, " or "))
		}
	}
	if key == "" && len(f.keys) > 0 {
		key = f.keys[0]
	}
	return newVersionFile(spec, p, f, key, nil)
}

func newVersionFile(spec, p string, f *format, key string, re *regexp.Regexp) (*VersionFile, error) {
	c := cleanPath(p)
	if !insideRoot(c) || c == "." {
		return nil, fmt.Errorf("version-files entry %q: %q is not a file inside the repository: expected a path relative to the repository root", spec, p)
	}
	return &VersionFile{Path: c, format: f, key: key, pattern: re}, nil
}

// String is the entry in the PATH[:FORMAT[:KEY]] or PATH=REGEX form.
func (v *VersionFile) String() string {
	if v.pattern != nil {
		return v.Path + "=" + v.pattern.String()
	}
	s := v.Path + ":" + v.format.name
	if len(v.format.keys) > 0 && v.key != v.format.keys[0] {
		s += ":" + v.key
	}
	return s
}

// Name is "version file PATH (FORMAT)".
func (v *VersionFile) Name() string {
	switch {
	case v.pattern != nil:
		return fmt.Sprintf("version file %s (pattern %s)", v.Path, v.pattern)
	case len(v.format.keys) > 0 && v.key != v.format.keys[0]:
		return fmt.Sprintf("version file %s (%s %s)", v.Path, v.format.name, v.key)
	}
	return fmt.Sprintf("version file %s (%s)", v.Path, v.format.name)
}

// Paths lists the file.
func (v *VersionFile) Paths(Files) ([]string, error) { return []string{v.Path}, nil }

func (v *VersionFile) what() string {
	if v.pattern != nil {
		return fmt.Sprintf("a file matching %s", v.pattern)
	}
	return "a " + v.format.name + " file"
}

func (v *VersionFile) locate(data []byte) ([]loc, error) {
	var ls []loc
	var err error
	if v.pattern != nil {
		ls, err = locateRegex(data, v.pattern)
	} else {
		ls, err = v.format.locate(data, v.key)
	}
	if err != nil {
		return nil, wrapLocate(v.Path, err)
	}
	for _, l := range ls {
		if l.value == "" {
			return nil, fileErr(v.Path, l.line, ErrNoVersion, "the version is empty: expected a version like 1.2.3")
		}
	}
	return ls, nil
}

// Current returns the file's version (for Cargo.toml, the [package]
// version when there is one).
func (v *VersionFile) Current(files Files) (string, error) {
	data, err := readFile(files, v.Path, v.what())
	if err != nil {
		return "", err
	}
	ls, err := v.locate(data)
	if err != nil {
		return "", err
	}
	return ls[0].value, nil
}

// Set writes version into the file.
func (v *VersionFile) Set(files Files, version string) ([]Change, error) {
	plans, err := v.plan(files, version)
	if err != nil {
		return nil, err
	}
	cs := changes(plans)
	for _, c := range cs {
		ls, err := v.locate(c.New)
		if err != nil {
			return nil, fmt.Errorf("check the edited file: %w", err)
		}
		for _, l := range ls {
			if l.value != version {
				return nil, fileErr(v.Path, l.line, ErrUnsupported, "after writing %s the file reads %s: make the pattern's capture group match the whole version", version, l.value)
			}
		}
	}
	return cs, nil
}

func (v *VersionFile) plan(files Files, version string) ([]fileEdits, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	data, err := readFile(files, v.Path, v.what())
	if err != nil {
		return nil, err
	}
	ls, err := v.locate(data)
	if err != nil {
		return nil, err
	}
	fe := fileEdits{path: v.Path, old: data}
	for _, l := range ls {
		fe.edits = append(fe.edits, edit{start: l.start, end: l.end, text: version})
	}
	return []fileEdits{fe}, nil
}

// loc is where a version is in a file.
type loc struct {
	start, end int
	line       int
	value      string
}

// locError is an error at a line of a file whose name the caller adds.
type locError struct {
	line int
	err  error
}

func (e *locError) Error() string { return e.err.Error() }
func (e *locError) Unwrap() error { return e.err }

func locErr(line int, sentinel error, format string, args ...any) error {
	return &locError{line: line, err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))}
}

func wrapLocate(p string, err error) error {
	var le *locError
	if errors.As(err, &le) {
		return &FileError{Path: p, Line: le.line, Err: le.err}
	}
	return &FileError{Path: p, Err: err}
}

func newLoc(data []byte, start, end int) loc {
	return loc{start: start, end: end, line: lineAt(data, start), value: string(data[start:end])}
}

// locateRegex finds the first match's capture group.
func locateRegex(data []byte, re *regexp.Regexp) ([]loc, error) {
	m := re.FindSubmatchIndex(data)
	if m == nil {
		return nil, locErr(0, ErrNoVersion, "no match for %s: expected the version inside its capture group", re)
	}
	if m[2] < 0 {
		return nil, locErr(lineAt(data, m[0]), ErrNoVersion, "%s matches but its capture group does not: expected the version inside the group", re)
	}
	if i := bytes.IndexAny(data[m[2]:m[3]], "\r\n"); i >= 0 {
		// A version is one line: a group that spans a line break would
		// replace the break with the version (found by FuzzRegex).
		return nil, locErr(lineAt(data, m[2]+i), ErrUnsupported, "the capture group of %s spans a line break: expected the version on one line; narrow the group, e.g. ([^\\s]+)", re)
	}
	return []loc{newLoc(data, m[2], m[3])}, nil
}

// locateJSON finds the top-level "version" string of a JSON object.
func locateJSON(data []byte, _ string) ([]loc, error) {
	b, err := checkJSON(data)
	if err != nil {
		return nil, err
	}
	s := &jsonScan{data: data, pos: b}
	s.ws()
	if s.peek() != '{' {
		return nil, locErr(lineAt(data, s.pos), ErrSyntax, "expected a JSON object at the top level, like {\"version\": \"1.2.3\"}")
	}
	s.pos++
	var found []loc
	for {
		s.ws()
		if s.peek() == '}' || s.pos >= len(data) {
			break
		}
		ks, ke := s.str()
		var key string
		_ = json.Unmarshal(data[ks-1:ke+1], &key)
		s.ws()
		s.pos++ // ':'
		s.ws()
		if key == "version" {
			line := lineAt(data, s.pos)
			if len(found) > 0 {
				return nil, locErr(line, ErrSyntax, "a second top-level \"version\" (the first is on line %d): expected one", found[0].line)
			}
			if s.peek() != '"' {
				return nil, locErr(line, ErrNoVersion, "the top-level \"version\" is not a string: expected \"version\": \"1.2.3\"")
			}
			vs, ve := s.str()
			if strings.ContainsRune(string(data[vs:ve]), '\\') {
				return nil, locErr(line, ErrUnsupported, "the top-level \"version\" has escapes: write it without backslashes")
			}
			found = append(found, newLoc(data, vs, ve))
		} else {
			s.skip()
		}
		s.ws()
		if s.peek() == ',' {
			s.pos++
		}
	}
	if len(found) == 0 {
		return nil, locErr(0, ErrNoVersion, "no top-level \"version\": expected {\"version\": \"1.2.3\", ...}")
	}
	return found, nil
}

// jsonScan walks JSON already checked by json.Valid.
type jsonScan struct {
	data []byte
	pos  int
}

func (s *jsonScan) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

func (s *jsonScan) ws() {
	for s.pos < len(s.data) && strings.IndexByte(" \t\r\n", s.data[s.pos]) >= 0 {
		s.pos++
	}
}

// str skips a string and returns the range of its contents.
func (s *jsonScan) str() (int, int) {
	s.pos++ // opening quote
	start := s.pos
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\\':
			s.pos += 2
			continue
		case '"':
			end := s.pos
			s.pos++
			return start, end
		}
		s.pos++
	}
	return start, len(s.data)
}

// skip skips one value.
func (s *jsonScan) skip() {
	depth := 0
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case '"':
			s.str()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return
			}
			depth--
			if depth == 0 {
				s.pos++
				return
			}
		case ',':
			if depth == 0 {
				return
			}
		case ' ', '\t', '\r', '\n':
			if depth == 0 {
				return
			}
		}
		s.pos++
	}
}

// lines calls fn for each line of data with the range of its text (without
// the line ending: LF, CRLF or a lone CR, as properties and YAML read them)
// and its 1-based number as editors count lines (LFs).
func lines(data []byte, fn func(start, end, line int) error) error {
	at := bomLen(data)
	line := 1
	for at <= len(data) {
		end := at
		for end < len(data) && data[end] != '\n' && data[end] != '\r' {
			end++
		}
		if err := fn(at, end, line); err != nil {
			return err
		}
		switch {
		case end+1 < len(data) && data[end] == '\r' && data[end+1] == '\n':
			at = end + 2
			line++
		case end < len(data) && data[end] == '\n':
			at = end + 1
			line++
		default:
			at = end + 1
		}
	}
	return nil
}

// locateProperties finds the version= line of a Java properties file.
func locateProperties(data []byte, _ string) ([]loc, error) {
	var found []loc
	continued := false
	err := lines(data, func(start, end, line int) error {
		text := data[start:end]
		wasContinued := continued
		continued = endsWithOddBackslashes(text)
		if wasContinued {
			return nil
		}
		i := 0
		for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\f') {
			i++
		}
		if i == len(text) || text[i] == '#' || text[i] == '!' {
			continued = false
			return nil
		}
		k := i
		for k < len(text) && !strings.ContainsRune("=: \t\f", rune(text[k])) {
			if text[k] == '\\' {
				k++
			}
			k++
		}
		if k > len(text) {
			k = len(text)
		}
		if string(text[i:k]) != "version" {
			return nil
		}
		v := k
		for v < len(text) && (text[v] == ' ' || text[v] == '\t' || text[v] == '\f') {
			v++
		}
		if v < len(text) && (text[v] == '=' || text[v] == ':') {
			v++
		}
		for v < len(text) && (text[v] == ' ' || text[v] == '\t' || text[v] == '\f') {
			v++
		}
		e := len(text)
		for e > v && (text[e-1] == ' ' || text[e-1] == '\t' || text[e-1] == '\f') {
			e--
		}
		switch {
		case continued || strings.ContainsRune(string(text[v:e]), '\\'):
			return locErr(line, ErrUnsupported, "the version has backslashes or continues on the next line: write version=1.2.3 on one line")
		case v == e:
			return locErr(line, ErrNoVersion, "version= is empty: expected version=1.2.3")
		case len(found) > 0:
			return locErr(line, ErrSyntax, "a second version= line (the first is line %d): expected one", found[0].line)
		}
		found = append(found, loc{start: start + v, end: start + e, line: line, value: string(text[v:e])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, locErr(0, ErrNoVersion, "no version= line: expected a line like version=1.2.3")
	}
	return found, nil
}

func endsWithOddBackslashes(b []byte) bool {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// locateChart finds a top-level key (version or appVersion) of a YAML
// mapping such as a Helm Chart.yaml.
func locateChart(data []byte, key string) ([]loc, error) {
	var found []loc
	err := lines(data, func(start, end, line int) error {
		text := data[start:end]
		rest, ok := cutKey(text, key)
		if !ok {
			return nil
		}
		if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' {
			return nil // key:value is not a mapping entry
		}
		v := len(text) - len(rest)
		for v < len(text) && (text[v] == ' ' || text[v] == '\t') {
			v++
		}
		if len(found) > 0 {
			return locErr(line, ErrSyntax, "a second top-level %s: (the first is line %d): expected one", key, found[0].line)
		}
		if v == len(text) || text[v] == '#' {
			return locErr(line, ErrNoVersion, "%s: has no value on its line: expected %s: 1.2.3", key, key)
		}
		var s, e int
		switch c := text[v]; c {
		case '"', '\'':
			q := strings.IndexByte(string(text[v+1:]), c)
			if q < 0 {
				return locErr(line, ErrUnsupported, "the %s string does not end on its line: expected %s: \"1.2.3\"", key, key)
			}
			s, e = v+1, v+1+q
			after := strings.TrimLeft(string(text[e+1:]), " \t")
			if strings.ContainsRune(string(text[s:e]), '\\') || (after != "" && after[0] != '#') {
				return locErr(line, ErrUnsupported, "the %s string has escapes or text after it: expected %s: \"1.2.3\"", key, key)
			}
		case '|', '>', '&', '*', '!', '[', '{', '-', '?', '%', '@', '`':
			return locErr(line, ErrUnsupported, "%s: %s is not a plain or quoted scalar: expected %s: 1.2.3", key, clip(text[v:]), key)
		default:
			s = v
			e = len(text)
			if i := strings.Index(string(text[v:]), " #"); i >= 0 {
				e = v + i
			}
			if i := strings.Index(string(text[v:]), "\t#"); i >= 0 && v+i < e {
				e = v + i
			}
			for e > s && (text[e-1] == ' ' || text[e-1] == '\t') {
				e--
			}
		}
		found = append(found, loc{start: start + s, end: start + e, line: line, value: string(text[s:e])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, locErr(0, ErrNoVersion, "no top-level %s: expected a line like %s: 1.2.3", key, key)
	}
	return found, nil
}

// cutKey returns what follows "key:" when text starts with the key, bare or
// quoted, at column 0.
func cutKey(text []byte, key string) ([]byte, bool) {
	for _, k := range []string{key, `"` + key + `"`, `'` + key + `'`} {
		t := string(text)
		if !strings.HasPrefix(t, k) {
			continue
		}
		t = strings.TrimLeft(t[len(k):], " \t")
		if strings.HasPrefix(t, ":") {
			return text[len(text)-len(t)+1:], true
		}
	}
	return nil, false
}
