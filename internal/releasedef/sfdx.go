package releasedef

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// jnode is a JSON value with the line it ends on.
type jnode struct {
	kind byte // '{', '[', 's' string, 'n' number, 'b' bool, '0' null
	line int
	str  string
	keys []string // object keys, in order
	kids []*jnode // object values (parallel to keys) or array items
	klns []int    // lines of the object keys
}

func (n *jnode) describe() string {
	switch n.kind {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 's':
		return fmt.Sprintf("the string %q", n.str)
	case 'n':
		return "the number " + n.str
	case 'b':
		return "the boolean " + n.str
	}
	return "null"
}

// parseJSON reads a JSON document into jnodes that know their lines.
func parseJSON(file string, data []byte) (*jnode, error) {
	var starts []int // offsets where lines start
	starts = append(starts, 0)
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	lineAt := func(off int64) int {
		return sort.Search(len(starts), func(i int) bool { return int64(starts[i]) > off })
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var parse func() (*jnode, error)
	parse = func() (*jnode, error) {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		n := &jnode{line: lineAt(dec.InputOffset() - 1)}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.kind = '{'
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return nil, err
					}
					k, _ := kt.(string)
					kl := lineAt(dec.InputOffset() - 1)
					for _, prev := range n.keys {
						if prev == k {
							return nil, &FileError{File: file, Line: kl, Msg: fmt.Sprintf("key %q is given twice in one object", k)}
						}
					}
					v, err := parse()
					if err != nil {
						return nil, err
					}
					n.keys, n.kids, n.klns = append(n.keys, k), append(n.kids, v), append(n.klns, kl)
				}
			case '[':
				n.kind = '['
				for dec.More() {
					v, err := parse()
					if err != nil {
						return nil, err
					}
					n.kids = append(n.kids, v)
				}
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return nil, err
			}
		case string:
			n.kind, n.str = 's', t
		case json.Number:
			n.kind, n.str = 'n', t.String()
		case bool:
			n.kind, n.str = 'b', fmt.Sprint(t)
		case nil:
			n.kind = '0'
		}
		return n, nil
	}
	root, err := parse()
	if err == nil {
		if _, err2 := dec.Token(); err2 != io.EOF {
			return nil, &FileError{File: file, Line: lineAt(dec.InputOffset()), Msg: "not valid JSON: unexpected text after the top-level object"}
		}
		return root, nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return nil, fe
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, &FileError{File: file, Line: lineAt(se.Offset - 1), Msg: "not valid JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &FileError{File: file, Line: len(starts), Msg: "not valid JSON: the file ends early"}
	}
	return nil, &FileError{File: file, Msg: "not valid JSON: " + err.Error()}
}

func (n *jnode) get(key string) (*jnode, int) {
	for i, k := range n.keys {
		if k == key {
			return n.kids[i], n.klns[i]
		}
	}
	return nil, 0
}

// packageVersionID is a Salesforce package version id, 15 or 18 characters.
var packageVersionID = regexp.MustCompile(`^04t([a-zA-Z0-9]{15}|[a-zA-Z0-9]{12})$`)

const sfdxShape = `expected an sfdx-project.json object with "packageDirectories" (an array of objects with "path", "package" and "versionNumber") and optionally "packageAliases" (an object of alias to id)`

// ParseSFDX reads the artifacts of an sfdx-project.json: every
// packageDirectories entry with a "package" (an optional "tags" array
// gives its labels), and the package dependencies: packageAliases whose
// value is a package version id (04t...), except aliases of the project's
// own packages ("core" or "core@1.2.0-1").
func ParseSFDX(file string, data []byte) (*Manifest, error) {
	m, dirsLine, err := parseSFDX(file, data)
	if err != nil {
		return nil, err
	}
	if len(m.Artifacts) == 0 {
		return nil, &FileError{File: file, Line: dirsLine, Msg: "packageDirectories has no entry with a \"package\": nothing to release"}
	}
	return m, nil
}

// parseSFDX reads an sfdx-project.json, which may have no package (then
// it only gives labels and dependencies to the packages of a package
// config); dirsLine is the line of its packageDirectories.
func parseSFDX(file string, data []byte) (m *Manifest, dirsLine int, err error) {
	root, err := parseJSON(file, data)
	if err != nil {
		return nil, 0, err
	}
	m = &Manifest{File: file, Format: SFDX}
	l := &errorList{file: file}
	if root.kind != '{' {
		l.add(root.line, "found %s; %s", root.describe(), sfdxShape)
		return nil, 0, l.err()
	}
	dirs, _ := root.get("packageDirectories")
	if dirs == nil {
		l.add(1, "no packageDirectories; %s", sfdxShape)
		return nil, 0, l.err()
	}
	if dirs.kind != '[' {
		l.add(dirs.line, "packageDirectories: expected an array, found %s; %s", dirs.describe(), sfdxShape)
		return nil, 0, l.err()
	}
	seen := map[string]int{}
	for _, d := range dirs.kids {
		if d.kind != '{' {
			l.add(d.line, "packageDirectories: expected an object, found %s", d.describe())
			continue
		}
		pkg, pline := d.get("package")
		if pkg == nil {
			continue // unpackaged source: not an artifact
		}
		if pkg.kind != 's' || strings.TrimSpace(pkg.str) == "" {
			l.add(pline, "package: expected a package name (a non-empty string), found %s", pkg.describe())
			continue
		}
		a := Artifact{Name: pkg.str, TagPattern: DefaultTagPattern, SFPTags: true, Line: pline}
		if err := checkName(a.Name); err != nil {
			l.add(pline, "package: %v", err)
		}
		if p, line := d.get("path"); p == nil {
			l.add(pline, "package %q has no path: expected \"path\": \"DIR\"", a.Name)
		} else if p.kind != 's' {
			l.add(line, "path: expected a string, found %s", p.describe())
		} else {
			a.Path = p.str
		}
		if v, line := d.get("versionNumber"); v == nil {
			l.add(pline, "package %q has no versionNumber: expected \"versionNumber\": \"1.0.0.NEXT\"", a.Name)
		} else if v.kind != 's' {
			l.add(line, "versionNumber: expected a string like \"1.0.0.NEXT\", found %s", v.describe())
		}
		if t, line := d.get("tags"); t != nil {
			if t.kind != '[' {
				l.add(line, "tags: expected an array of strings, found %s", t.describe())
			} else {
				for _, it := range t.kids {
					if it.kind != 's' || it.str == "" {
						l.add(it.line, "tags: expected a string, found %s", it.describe())
						continue
					}
					a.Labels = append(a.Labels, it.str)
				}
			}
		}
		if prev, dup := seen[a.Name]; dup {
			l.add(pline, "package %q is listed twice in packageDirectories (first at line %d)", a.Name, prev)
			continue
		}
		seen[a.Name] = pline
		m.Artifacts = append(m.Artifacts, a)
	}
	if aliases, line := root.get("packageAliases"); aliases != nil {
		if aliases.kind != '{' {
			l.add(line, "packageAliases: expected an object of alias to id, found %s", aliases.describe())
		} else {
			for i, alias := range aliases.keys {
				v := aliases.kids[i]
				if v.kind != 's' {
					l.add(aliases.klns[i], "packageAliases: %q: expected an id (a string), found %s", alias, v.describe())
					continue
				}
				if !strings.HasPrefix(v.str, "04t") {
					continue // a package id (0Ho...): the project's own package
				}
				base, _, _ := strings.Cut(alias, "@")
				if _, local := seen[base]; local {
					continue // a version of one of the project's packages
				}
				if !packageVersionID.MatchString(v.str) {
					l.add(aliases.klns[i], "packageAliases: %q: %q is not a package version id: expected 04t and 12 or 15 letters and digits", alias, v.str)
					continue
				}
				m.Dependencies = append(m.Dependencies, Dependency{Name: alias, ID: v.str, Line: aliases.klns[i]})
			}
		}
	}
	if err := l.err(); err != nil {
		return nil, 0, err
	}
	return m, dirs.line, nil
}
