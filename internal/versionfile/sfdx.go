package versionfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// SFDXFile is where a Salesforce DX project declares its packages.
const SFDXFile = "sfdx-project.json"

// SFDX edits the version of one package of a Salesforce DX project: the
// "versionNumber" of the packageDirectories entry whose "package" is
// Package, in sfdx-project.json.
//
// sfdx versions have four parts, MAJOR.MINOR.PATCH.BUILD, where BUILD is
// a number or the keyword NEXT (the next build, which Salesforce or sfp
// numbers when the package version is built). Current returns
// MAJOR.MINOR.PATCH. Set writes a three-part version X.Y.Z as X.Y.Z.NEXT:
// a NEXT (or LATEST) build keeps its keyword, and a numbered build becomes
// NEXT, because a build number names a build of the old version, which
// the new version does not have yet. Setting the X.Y.Z the entry already
// has changes nothing, whatever its build. A four-part version
// (1.3.0.2, 1.3.0.NEXT) is written as it is. An entry with a
// three-part versionNumber stays three-part.
type SFDX struct {
	// Path of the project file; empty means sfdx-project.json.
	Path string
	// Package is the entry's "package" name.
	Package string
}

func (e SFDX) path() string {
	if e.Path == "" {
		return SFDXFile
	}
	return cleanPath(e.Path)
}

// Name is "sfdx (sfdx-project.json package core)".
func (e SFDX) Name() string { return fmt.Sprintf("sfdx (%s package %s)", e.path(), e.Package) }

// Paths lists the project file.
func (e SFDX) Paths(Files) ([]string, error) { return []string{e.path()}, nil }

// Current returns the package's MAJOR.MINOR.PATCH.
func (e SFDX) Current(files Files) (string, error) {
	v, _, err := e.locate(files)
	if err != nil {
		return "", err
	}
	sv, err := parseSFDXVersion(v.str)
	if err != nil {
		return "", fileErr(e.path(), v.line, ErrSyntax, "package %s: versionNumber %v", e.Package, err)
	}
	return sv.semver(), nil
}

// Set writes version into the package's versionNumber.
func (e SFDX) Set(files Files, version string) ([]Change, error) {
	plans, err := e.plan(files, version)
	if err != nil {
		return nil, err
	}
	return changes(plans), nil
}

func (e SFDX) plan(files Files, version string) ([]fileEdits, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	nv, err := parseSFDXVersion(version)
	if err != nil || nv.build == "RELEASED" || nv.build == "LATEST" {
		return nil, fmt.Errorf("%w %q for package %s of %s: expected MAJOR.MINOR.PATCH (1.3.0) or MAJOR.MINOR.PATCH.BUILD (1.3.0.NEXT, 1.3.0.2); sfdx versions have no pre-release or build metadata", ErrInvalidVersion, version, e.Package, e.path())
	}
	v, data, err := e.locate(files)
	if err != nil {
		return nil, err
	}
	old, err := parseSFDXVersion(v.str)
	if err != nil {
		return nil, fileErr(e.path(), v.line, ErrSyntax, "package %s: versionNumber %v", e.Package, err)
	}
	text := old.own(nv)
	if v.escaped {
		return nil, fileErr(e.path(), v.line, ErrUnsupported, "package %s: versionNumber has escapes: write it without backslashes", e.Package)
	}
	return []fileEdits{{path: e.path(), old: data, edits: []edit{{start: v.start, end: v.end, text: text}}}}, nil
}

// locate finds the versionNumber string of the package's entry.
func (e SFDX) locate(files Files) (*jvalue, []byte, error) {
	data, err := readFile(files, e.path(), "a Salesforce DX project file with packageDirectories")
	if err != nil {
		return nil, nil, err
	}
	dir, err := sfdxEntry(e.path(), data, e.Package)
	if err != nil {
		return nil, nil, err
	}
	v, line := dir.get("versionNumber")
	switch {
	case v == nil:
		return nil, nil, fileErr(e.path(), dir.line, ErrNoVersion, "package %s has no versionNumber: expected \"versionNumber\": \"1.0.0.NEXT\"", e.Package)
	case v.kind != '"':
		return nil, nil, fileErr(e.path(), line, ErrNoVersion, "package %s: versionNumber is %s: expected a string like \"1.0.0.NEXT\"", e.Package, v.describe())
	}
	return v, data, nil
}

// sfdxEntry finds the packageDirectories entry of package name.
func sfdxEntry(file string, data []byte, name string) (*jvalue, error) {
	root, err := parseJSONTree(data)
	if err != nil {
		return nil, wrapLocate(file, err)
	}
	dirs, err := sfdxDirs(file, root)
	if err != nil {
		return nil, err
	}
	var found *jvalue
	for _, d := range dirs.vals {
		p, _ := d.get("package")
		if p == nil || p.kind != '"' || p.str != name {
			continue
		}
		if found != nil {
			return nil, fileErr(file, d.line, ErrSyntax, "package %s has a second packageDirectories entry (the first is on line %d): expected one", name, found.line)
		}
		found = d
	}
	if found == nil {
		return nil, fileErr(file, dirs.line, ErrNoVersion, "no packageDirectories entry has \"package\": %q: expected one, like {\"path\": \"DIR\", \"package\": %q, \"versionNumber\": \"1.0.0.NEXT\"}", name, name)
	}
	return found, nil
}

// sfdxDirs is the packageDirectories array, whose items are all objects.
func sfdxDirs(file string, root *jvalue) (*jvalue, error) {
	if root.kind != '{' {
		return nil, fileErr(file, root.line, ErrSyntax, "found %s: expected an object with \"packageDirectories\"", root.describe())
	}
	dirs, line := root.get("packageDirectories")
	switch {
	case dirs == nil:
		return nil, fileErr(file, root.line, ErrNoVersion, "no \"packageDirectories\": expected \"packageDirectories\": [{\"path\": \"DIR\", \"package\": \"NAME\", \"versionNumber\": \"1.0.0.NEXT\"}]")
	case dirs.kind != '[':
		return nil, fileErr(file, line, ErrSyntax, "packageDirectories is %s: expected an array of objects", dirs.describe())
	}
	for _, d := range dirs.vals {
		if d.kind != '{' {
			return nil, fileErr(file, d.line, ErrSyntax, "a packageDirectories entry is %s: expected an object like {\"path\": \"DIR\", \"package\": \"NAME\"}", d.describe())
		}
	}
	return dirs, nil
}

// SFDXProject is what ReadSFDX reads of an sfdx-project.json.
type SFDXProject struct {
	// Line is the line of "packageDirectories".
	Line int
	// Packages are the packageDirectories entries with a "package", in
	// order; entries without one (unpackaged source) are left out.
	Packages []SFDXPackage
}

// SFDXPackage is a packageDirectories entry with a "package".
type SFDXPackage struct {
	Package string
	Line    int // of the entry
	Path    string
	// VersionNumber is empty when the entry has none.
	VersionNumber string
	Dependencies  []SFDXDependency
}

// SFDXDependency is one of a package's "dependencies".
type SFDXDependency struct {
	// Package is as written: a package name, or an alias such as
	// core@1.2.0-1 that packageAliases maps to a package version id.
	Package string
	// VersionNumber is empty when the dependency has none (an alias of a
	// package version).
	VersionNumber string
	Line          int
}

// ReadSFDX reads the packages of an sfdx-project.json. Its errors are
// FileErrors at the line of what is wrong.
func ReadSFDX(file string, data []byte) (*SFDXProject, error) {
	root, err := parseJSONTree(data)
	if err != nil {
		return nil, wrapLocate(file, err)
	}
	dirs, err := sfdxDirs(file, root)
	if err != nil {
		return nil, err
	}
	out := &SFDXProject{Line: dirs.line}
	for _, d := range dirs.vals {
		p, line := d.get("package")
		if p == nil {
			continue
		}
		if p.kind != '"' || strings.TrimSpace(p.str) == "" {
			return nil, fileErr(file, line, ErrSyntax, "package is %s: expected the package's name", p.describe())
		}
		pkg := SFDXPackage{Package: p.str, Line: d.line}
		s, err := sfdxString(file, d, "path", pkg.Package, true)
		if err != nil {
			return nil, err
		}
		pkg.Path = s
		if pkg.VersionNumber, err = sfdxString(file, d, "versionNumber", pkg.Package, false); err != nil {
			return nil, err
		}
		if pkg.VersionNumber != "" {
			if _, err := parseSFDXVersion(pkg.VersionNumber); err != nil {
				_, vl := d.get("versionNumber")
				return nil, fileErr(file, vl, ErrSyntax, "package %s: versionNumber %v", pkg.Package, err)
			}
		}
		deps, dl := d.get("dependencies")
		if deps != nil && deps.kind != '[' {
			return nil, fileErr(file, dl, ErrSyntax, "package %s: dependencies is %s: expected an array of objects like {\"package\": \"NAME\", \"versionNumber\": \"1.0.0.LATEST\"}", pkg.Package, deps.describe())
		}
		if deps != nil {
			for _, dep := range deps.vals {
				if dep.kind != '{' {
					return nil, fileErr(file, dep.line, ErrSyntax, "package %s: a dependency is %s: expected an object like {\"package\": \"NAME\", \"versionNumber\": \"1.0.0.LATEST\"}", pkg.Package, dep.describe())
				}
				name, err := sfdxString(file, dep, "package", pkg.Package, true)
				if err != nil {
					return nil, err
				}
				vn, err := sfdxString(file, dep, "versionNumber", pkg.Package, false)
				if err != nil {
					return nil, err
				}
				pkg.Dependencies = append(pkg.Dependencies, SFDXDependency{Package: name, VersionNumber: vn, Line: dep.line})
			}
		}
		out.Packages = append(out.Packages, pkg)
	}
	return out, nil
}

// sfdxString reads a string member of an object.
func sfdxString(file string, obj *jvalue, key, pkg string, required bool) (string, error) {
	v, line := obj.get(key)
	switch {
	case v == nil && required:
		return "", fileErr(file, obj.line, ErrSyntax, "package %s: an entry has no %q: expected \"%s\": \"...\"", pkg, key, key)
	case v == nil:
		return "", nil
	case v.kind != '"' || strings.TrimSpace(v.str) == "":
		return "", fileErr(file, line, ErrSyntax, "package %s: %s is %s: expected a non-empty string", pkg, key, v.describe())
	}
	return v.str, nil
}

// SetSFDXDependencies points the dependencies of package pkg at new
// versions: for each dependency whose "package" is a key of versions and
// that has a "versionNumber", MAJOR.MINOR.PATCH becomes the new version's
// and the build is kept when it is a keyword (1.2.0.LATEST becomes
// 1.3.0.LATEST); a numbered build takes the new version's build when it
// has one, else becomes LATEST. A dependency already at the new version
// or above is left alone, and so is one named by a package version alias
// (core@1.2.0-1), which stands for a build relman cannot know.
func SetSFDXDependencies(files Files, file, pkg string, versions map[string]string) ([]Change, error) {
	file = cleanPath(file)
	data, err := readFile(files, file, "a Salesforce DX project file with packageDirectories")
	if err != nil {
		return nil, err
	}
	entry, err := sfdxEntry(file, data, pkg)
	if err != nil {
		return nil, err
	}
	deps, _ := entry.get("dependencies")
	if deps == nil || deps.kind != '[' {
		return nil, nil
	}
	fe := fileEdits{path: file, old: data}
	for _, dep := range deps.vals {
		name, _ := dep.get("package")
		vn, _ := dep.get("versionNumber")
		if name == nil || name.kind != '"' || vn == nil || vn.kind != '"' {
			continue
		}
		newVersion, ok := versions[name.str]
		if !ok {
			continue
		}
		nv, err := parseSFDXVersion(newVersion)
		if err != nil || nv.parts == 4 && !nv.numbered() {
			return nil, fmt.Errorf("%w %q for dependency %s of package %s: expected MAJOR.MINOR.PATCH or MAJOR.MINOR.PATCH.BUILD", ErrInvalidVersion, newVersion, name.str, pkg)
		}
		old, err := parseSFDXVersion(vn.str)
		if err != nil {
			return nil, fileErr(file, vn.line, ErrSyntax, "package %s: dependency %s: versionNumber %v", pkg, name.str, err)
		}
		if !old.before(nv) {
			continue
		}
		if vn.escaped {
			return nil, fileErr(file, vn.line, ErrUnsupported, "package %s: dependency %s: versionNumber has escapes: write it without backslashes", pkg, name.str)
		}
		fe.edits = append(fe.edits, edit{start: vn.start, end: vn.end, text: old.dep(nv)})
	}
	return changes([]fileEdits{fe}), nil
}

// sfdxVersion is MAJOR.MINOR.PATCH[.BUILD].
type sfdxVersion struct {
	nums  [3]uint64
	text  [3]string // the numbers as written
	build string    // a number, NEXT, LATEST, RELEASED (upper case), or empty
	raw   string    // the build as written
	parts int       // 3 or 4
}

var sfdxVersionRE = regexp.MustCompile(`^([0-9]+)\.([0-9]+)\.([0-9]+)(?:\.([0-9]+|[A-Za-z]+))?$`)

func parseSFDXVersion(s string) (sfdxVersion, error) {
	m := sfdxVersionRE.FindStringSubmatch(s)
	if m == nil {
		return sfdxVersion{}, fmt.Errorf("%q is not MAJOR.MINOR.PATCH.BUILD: expected a version like \"1.2.0.NEXT\" or \"1.2.0.4\"", clip([]byte(s)))
	}
	v := sfdxVersion{parts: 3}
	for i := range 3 {
		n, err := strconv.ParseUint(m[i+1], 10, 64)
		if err != nil {
			return sfdxVersion{}, fmt.Errorf("%q has a number too large", clip([]byte(s)))
		}
		v.nums[i], v.text[i] = n, m[i+1]
	}
	if m[4] != "" {
		v.parts, v.raw, v.build = 4, m[4], strings.ToUpper(m[4])
		switch v.build {
		case "NEXT", "LATEST", "RELEASED":
		default:
			if _, err := strconv.ParseUint(m[4], 10, 64); err != nil {
				return sfdxVersion{}, fmt.Errorf("%q has the build %q: expected a number, NEXT, LATEST or RELEASED", clip([]byte(s)), m[4])
			}
		}
	}
	return v, nil
}

func (v sfdxVersion) semver() string { return strings.Join(v.text[:], ".") }

func (v sfdxVersion) numbered() bool { return v.parts == 4 && v.build[0] >= '0' && v.build[0] <= '9' }

// before reports whether v is lower than n: by MAJOR.MINOR.PATCH, then by
// numbered builds.
func (v sfdxVersion) before(n sfdxVersion) bool {
	for i := range 3 {
		if v.nums[i] != n.nums[i] {
			return v.nums[i] < n.nums[i]
		}
	}
	if v.numbered() && n.numbered() {
		a, _ := strconv.ParseUint(v.build, 10, 64)
		b, _ := strconv.ParseUint(n.build, 10, 64)
		return a < b
	}
	return false
}

// own is the versionNumber v of a package set to n (see SFDX).
func (v sfdxVersion) own(n sfdxVersion) string {
	switch {
	case n.parts == 4:
		return n.full()
	case v.semver() == n.semver():
		return v.full()
	case v.parts == 3:
		return n.semver()
	case v.numbered():
		return n.semver() + ".NEXT"
	}
	return n.semver() + "." + v.raw
}

// dep is the versionNumber v of a dependency moved to the released
// version n (see SetSFDXDependencies).
func (v sfdxVersion) dep(n sfdxVersion) string {
	switch {
	case v.parts == 3:
		return n.semver()
	case !v.numbered():
		return n.semver() + "." + v.raw
	case n.parts == 4:
		return n.full()
	}
	return n.semver() + ".LATEST"
}

func (v sfdxVersion) full() string {
	if v.parts == 4 {
		return v.semver() + "." + v.raw
	}
	return v.semver()
}
