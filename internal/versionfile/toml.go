package versionfile

import (
	"fmt"
	"strings"
)

// tomlEntry is one key/value of a TOML document, with its full dotted key.
type tomlEntry struct {
	key   string
	str   bool // a single-line string without escapes: start:end is its text
	start int
	end   int
	line  int
}

// scanTOML reads the key/value structure of a TOML document: enough to find
// string values by their full key, with their byte ranges.
func scanTOML(data []byte) ([]tomlEntry, error) {
	s := &tomlScan{data: data, pos: bomLen(data)}
	var table []string
	seen := map[string]int{}
	var out []tomlEntry
	arrays := 0
	for {
		s.blank()
		if s.pos >= len(data) {
			return out, nil
		}
		line := lineAt(data, s.pos)
		if data[s.pos] == '[' {
			s.pos++
			array := s.peek() == '['
			if array {
				s.pos++
			}
			s.spaces()
			k, err := s.key()
			if err != nil {
				return nil, err
			}
			s.spaces()
			if s.peek() != ']' || (array && s.at(1) != ']') {
				return nil, locErr(line, ErrSyntax, "table header is not closed with ]: expected [name]")
			}
			s.pos++
			if array {
				s.pos++
			}
			table = k
			if array {
				arrays++
				table = append(table, fmt.Sprintf("[%d]", arrays))
			}
			if err := s.endLine(); err != nil {
				return nil, err
			}
			continue
		}
		k, err := s.key()
		if err != nil {
			return nil, err
		}
		s.spaces()
		if s.peek() != '=' {
			return nil, locErr(line, ErrSyntax, "expected = after the key %s", strings.Join(k, "."))
		}
		s.pos++
		s.spaces()
		full := append(append([]string(nil), table...), k...)
		if err := s.value(strings.Join(full, "."), &out, seen); err != nil {
			return nil, err
		}
		if err := s.endLine(); err != nil {
			return nil, err
		}
	}
}

type tomlScan struct {
	data []byte
	pos  int
}

func (s *tomlScan) peek() byte { return s.at(0) }

func (s *tomlScan) at(i int) byte {
	if s.pos+i < len(s.data) {
		return s.data[s.pos+i]
	}
	return 0
}

func (s *tomlScan) line() int { return lineAt(s.data, s.pos) }

func (s *tomlScan) spaces() {
	for s.peek() == ' ' || s.peek() == '\t' {
		s.pos++
	}
}

// blank skips white space, newlines and comments.
func (s *tomlScan) blank() {
	for s.pos < len(s.data) {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.pos++
		case '#':
			s.comment()
		default:
			return
		}
	}
}

func (s *tomlScan) comment() {
	for s.pos < len(s.data) && s.data[s.pos] != '\n' {
		s.pos++
	}
}

// endLine expects only spaces and a comment before the end of the line.
func (s *tomlScan) endLine() error {
	s.spaces()
	if s.peek() == '#' {
		s.comment()
	}
	if s.peek() == '\r' {
		s.pos++
	}
	switch s.peek() {
	case '\n':
		s.pos++
		return nil
	case 0:
		if s.pos >= len(s.data) {
			return nil
		}
	}
	return locErr(s.line(), ErrSyntax, "unexpected %q: expected the end of the line", rune(s.peek()))
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// key reads a dotted key.
func (s *tomlScan) key() ([]string, error) {
	var parts []string
	for {
		s.spaces()
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			start, end, err := s.quoted(c)
			if err != nil {
				return nil, err
			}
			parts = append(parts, string(s.data[start:end]))
		case isBare(c):
			start := s.pos
			for isBare(s.peek()) {
				s.pos++
			}
			parts = append(parts, string(s.data[start:s.pos]))
		default:
			return nil, locErr(s.line(), ErrSyntax, "expected a key, found %q", rune(c))
		}
		s.spaces()
		if s.peek() != '.' {
			return parts, nil
		}
		s.pos++
	}
}

// quoted reads a single-line string and returns the range of its text.
func (s *tomlScan) quoted(q byte) (int, int, error) {
	line := s.line()
	s.pos++
	start := s.pos
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; {
		case c == '\\' && q == '"':
			s.pos += 2
			continue
		case c == q:
			s.pos++
			return start, s.pos - 1, nil
		case c == '\n':
			return 0, 0, locErr(line, ErrSyntax, "string does not end on its line")
		case c < 0x20 && c != '\t' || c == 0x7f:
			return 0, 0, locErr(line, ErrSyntax, "control character %q in a string: expected it escaped", rune(c))
		}
		s.pos++
	}
	return 0, 0, locErr(line, ErrSyntax, "string does not end")
}

// value reads a value and records string values (also inside inline tables)
// under their full key.
func (s *tomlScan) value(key string, out *[]tomlEntry, seen map[string]int) error {
	line := s.line()
	record := func(e tomlEntry) error {
		if first, ok := seen[e.key]; ok {
			return locErr(line, ErrSyntax, "%s is defined twice (first on line %d): expected it once", e.key, first)
		}
		seen[e.key] = line
		*out = append(*out, e)
		return nil
	}
	c := s.peek()
	switch {
	case c == '"' || c == '\'':
		triple := string([]byte{c, c, c})
		if strings.HasPrefix(string(s.data[s.pos:]), triple) {
			s.pos += 3
			for s.pos < len(s.data) {
				if c == '"' && s.data[s.pos] == '\\' {
					s.pos += 2
					continue
				}
				if strings.HasPrefix(string(s.data[s.pos:]), triple) {
					s.pos += 3
					for s.peek() == c { // up to two quotes may end the content
						s.pos++
					}
					return record(tomlEntry{key: key, line: line})
				}
				s.pos++
			}
			return locErr(line, ErrSyntax, "multi-line string does not end")
		}
		start, end, err := s.quoted(c)
		if err != nil {
			return err
		}
		plain := !strings.ContainsRune(string(s.data[start:end]), '\\')
		return record(tomlEntry{key: key, str: plain, start: start, end: end, line: line})
	case c == '[':
		s.pos++
		for {
			s.blank()
			if s.peek() == ']' {
				s.pos++
				return record(tomlEntry{key: key, line: line})
			}
			if s.pos >= len(s.data) {
				return locErr(line, ErrSyntax, "array does not end: expected ]")
			}
			if err := s.value(key+".[]", out, map[string]int{}); err != nil {
				return err
			}
			s.blank()
			switch s.peek() {
			case ',':
				s.pos++
			case ']':
			default:
				return locErr(s.line(), ErrSyntax, "expected , or ] in the array of %s", key)
			}
		}
	case c == '{':
		s.pos++
		inner := map[string]int{}
		for {
			s.blank()
			if s.peek() == '}' {
				s.pos++
				return record(tomlEntry{key: key, line: line})
			}
			if s.pos >= len(s.data) {
				return locErr(line, ErrSyntax, "inline table does not end: expected }")
			}
			k, err := s.key()
			if err != nil {
				return err
			}
			s.spaces()
			if s.peek() != '=' {
				return locErr(s.line(), ErrSyntax, "expected = after the key %s", strings.Join(k, "."))
			}
			s.pos++
			s.spaces()
			if err := s.value(key+"."+strings.Join(k, "."), out, inner); err != nil {
				return err
			}
			s.blank()
			switch s.peek() {
			case ',':
				s.pos++
			case '}':
			default:
				return locErr(s.line(), ErrSyntax, "expected , or } in the inline table %s", key)
			}
		}
	default:
		start := s.pos
		for s.pos < len(s.data) && !strings.ContainsRune(" \t\r\n,]}#", rune(s.data[s.pos])) {
			s.pos++
		}
		if s.pos == start {
			return locErr(line, ErrSyntax, "expected a value for %s", key)
		}
		return record(tomlEntry{key: key, line: line})
	}
}

// tomlStrings returns the string entries of data by key, and whether each
// key is present at all.
func tomlStrings(data []byte) (map[string]tomlEntry, error) {
	es, err := scanTOML(data)
	if err != nil {
		return nil, err
	}
	m := make(map[string]tomlEntry, len(es))
	for _, e := range es {
		m[e.key] = e
	}
	return m, nil
}

func tomlLoc(data []byte, e tomlEntry, table string) (loc, error) {
	if !e.str {
		return loc{}, locErr(e.line, ErrUnsupported, "[%s] version is not a plain string: expected version = \"1.2.3\"", table)
	}
	return loc{start: e.start, end: e.end, line: e.line, value: string(data[e.start:e.end])}, nil
}

// locatePyproject finds [project] version, else [tool.poetry] version.
func locatePyproject(data []byte, _ string) ([]loc, error) {
	m, err := tomlStrings(data)
	if err != nil {
		return nil, err
	}
	for _, t := range []string{"project", "tool.poetry"} {
		if e, ok := m[t+".version"]; ok {
			l, err := tomlLoc(data, e, t)
			if err != nil {
				return nil, err
			}
			return []loc{l}, nil
		}
	}
	return nil, locErr(0, ErrNoVersion, "no [project] version and no [tool.poetry] version: expected version = \"1.2.3\" under [project]")
}

// locateCargo finds [package] version and [workspace.package] version.
func locateCargo(data []byte, _ string) ([]loc, error) {
	m, err := tomlStrings(data)
	if err != nil {
		return nil, err
	}
	var out []loc
	for _, t := range []string{"package", "workspace.package"} {
		if e, ok := m[t+".version"]; ok {
			l, err := tomlLoc(data, e, t)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, locErr(0, ErrNoVersion, "no [package] version and no [workspace.package] version: expected version = \"1.2.3\" under [package]")
	}
	return out, nil
}
