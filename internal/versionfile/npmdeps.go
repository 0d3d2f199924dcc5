package versionfile

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// NPMDependencyFields are the package.json objects whose entries name the
// packages a package depends on.
var NPMDependencyFields = []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"}

// SetNPMDependencies points the dependency ranges of a package.json at
// new versions: versions maps package names to the version each was
// released at. A range that is one version with an operator keeps the
// operator: ^1.2.0 becomes ^1.3.0, ~1.2.0 ~1.3.0, 1.2.0 1.3.0, and
// >=1.2.0, =1.2.0 and workspace:^1.2.0 likewise. Every other range is left
// alone: workspace:*, workspace:^, *, file:, link:, npm: aliases, tags,
// URLs, x-ranges and ranges of several comparators, which either follow
// the workspace by themselves or say something relman cannot rewrite. A
// peerDependencies range is changed only when the new version falls
// outside it (a peer range is kept wide on purpose), and no range moves
// down. Only the range text changes.
func SetNPMDependencies(files Files, file string, versions map[string]string) ([]Change, error) {
	file = cleanPath(file)
	data, err := readFile(files, file, "a package.json")
	if err != nil {
		return nil, err
	}
	root, err := parseJSONTree(data)
	if err != nil {
		return nil, wrapLocate(file, err)
	}
	if root.kind != '{' {
		return nil, fileErr(file, root.line, ErrSyntax, "found %s: expected a package.json object", root.describe())
	}
	fe := fileEdits{path: file, old: data}
	for _, field := range NPMDependencyFields {
		deps, line := root.get(field)
		if deps == nil {
			continue
		}
		if deps.kind != '{' {
			return nil, fileErr(file, line, ErrSyntax, "%s is %s: expected an object of package name to version range", field, deps.describe())
		}
		for i, name := range deps.keys {
			nv, ok := versions[name]
			if !ok {
				continue
			}
			if lastIndex(deps.keys, name) != i {
				continue // npm reads the last of duplicate keys
			}
			r := deps.vals[i]
			if r.kind != '"' {
				return nil, fileErr(file, deps.keyLines[i], ErrSyntax, "%s: %q is %s: expected a version range string", field, name, r.describe())
			}
			v, err := semver.StrictNewVersion(nv)
			if err != nil {
				return nil, fmt.Errorf("%w %q for %s: expected a semantic version like 1.3.0", ErrInvalidVersion, nv, name)
			}
			text, ok := npmRange(r.str, v, field == "peerDependencies")
			if !ok || text == r.str {
				continue
			}
			if r.escaped {
				return nil, fileErr(file, r.line, ErrUnsupported, "%s: the range of %q has escapes: write it without backslashes", field, name)
			}
			fe.edits = append(fe.edits, edit{start: r.start, end: r.end, text: text})
		}
	}
	return changes([]fileEdits{fe}), nil
}

// lastIndex is the index of the last s in list, or -1.
func lastIndex(list []string, s string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == s {
			return i
		}
	}
	return -1
}

// npmSingle is a range of one comparator with one full version.
var npmSingle = regexp.MustCompile(`^(workspace:)?(\^|~|>=|=)?(v?)([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// npmRange is r moved to v, and whether r is a range relman rewrites.
func npmRange(r string, v *semver.Version, peer bool) (string, bool) {
	m := npmSingle.FindStringSubmatch(r)
	if m == nil {
		return "", false
	}
	old, err := semver.StrictNewVersion(m[4])
	if err != nil || !old.LessThan(v) {
		return "", false
	}
	if peer {
		c, err := semver.NewConstraint(strings.TrimPrefix(r, "workspace:"))
		if err == nil && c.Check(v) {
			return "", false
		}
	}
	return m[1] + m[2] + m[3] + v.String(), true
}

// NPMPackage is what ReadNPMPackage reads of a package.json.
type NPMPackage struct {
	Name string
	// HasVersion says whether the package.json has a top-level "version"
	// string (a private package may have none).
	HasVersion bool
	Private    bool
	// Workspaces are the "workspaces" patterns (an array, or yarn's
	// {"packages": [...]}), nil when there are none.
	Workspaces     []string
	WorkspacesLine int
	// Dependencies are the names in NPMDependencyFields, sorted, each
	// once.
	Dependencies []string
}

// ReadNPMPackage reads a package.json. Its errors are FileErrors at the
// line of what is wrong.
func ReadNPMPackage(file string, data []byte) (*NPMPackage, error) {
	root, err := parseJSONTree(data)
	if err != nil {
		return nil, wrapLocate(file, err)
	}
	if root.kind != '{' {
		return nil, fileErr(file, root.line, ErrSyntax, "found %s: expected a package.json object", root.describe())
	}
	out := &NPMPackage{}
	if n, line := root.get("name"); n != nil {
		if n.kind != '"' {
			return nil, fileErr(file, line, ErrSyntax, "name is %s: expected the package's name, a string", n.describe())
		}
		out.Name = strings.TrimSpace(n.str)
	}
	if v, _ := root.get("version"); v != nil && v.kind == '"' {
		out.HasVersion = true
	}
	if p, _ := root.get("private"); p != nil && p.kind == 'b' && string(data[p.start:p.end]) == "true" {
		out.Private = true
	}
	if w, line := root.get("workspaces"); w != nil {
		list := w
		if w.kind == '{' {
			list, line = w.get("packages")
		}
		if list == nil || list.kind != '[' {
			return nil, fileErr(file, line, ErrSyntax, "workspaces is %s: expected an array of directory globs, like [\"packages/*\"], or {\"packages\": [...]}", w.describe())
		}
		out.Workspaces, out.WorkspacesLine = []string{}, line
		for _, it := range list.vals {
			if it.kind != '"' || strings.TrimSpace(it.str) == "" {
				return nil, fileErr(file, it.line, ErrSyntax, "a workspaces entry is %s: expected a directory glob, like \"packages/*\"", it.describe())
			}
			out.Workspaces = append(out.Workspaces, strings.TrimSpace(it.str))
		}
	}
	seen := map[string]bool{}
	for _, field := range NPMDependencyFields {
		deps, line := root.get(field)
		if deps == nil {
			continue
		}
		if deps.kind != '{' {
			return nil, fileErr(file, line, ErrSyntax, "%s is %s: expected an object of package name to version range", field, deps.describe())
		}
		for _, k := range deps.keys {
			if !seen[k] {
				seen[k] = true
				out.Dependencies = append(out.Dependencies, k)
			}
		}
	}
	sort.Strings(out.Dependencies)
	return out, nil
}
