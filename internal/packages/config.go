// Package packages is relman's model of a repository that holds many
// packages, each released on its own: which packages there are (declared
// in relman-packages.yml, or discovered from sfdx-project.json, npm/pnpm
// workspaces, a Maven reactor or Go modules), which paths belong to each,
// how each names its release tags, and which depend on which. It reads
// files only through a Tree, so it sees the pipeline commit's files, not a
// work tree.
package packages

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/version"
)

// DefaultFile is the package config at the repository root that relman
// reads when the packages setting is empty.
const DefaultFile = "relman-packages.yml"

// maxConfigSize bounds the package config, as other config files are.
const maxConfigSize = 1 << 20

// Default tag patterns, per way of declaring packages.
const (
	PatternSFP   = "{name}_v{version}" // sfp: core_v1.2.0 (and core_v1.2.0.6)
	PatternGo    = "{path}/v{version}" // Go modules in subdirectories: api/v1.2.0
	PatternNPM   = "{name}@{version}"  // npm, lerna, changesets: @acme/ui@1.2.0
	PatternMaven = "{name}-{version}"  // maven-release-plugin: core-1.2.0
)

// Tree is what the packages are read from: the files of the pipeline
// commit (gitrepo.TreeFiles) or, in tests, a map.
type Tree interface {
	// ReadFile reads a file by slash-separated path; a missing file is an
	// error wrapping fs.ErrNotExist.
	ReadFile(path string) ([]byte, error)
	// ReadDir lists a directory ("" is the root): the names of its entries,
	// directories with a trailing "/", sorted. A missing directory is an
	// error wrapping fs.ErrNotExist.
	ReadDir(dir string) ([]string, error)
}

// Package is one package of the repository.
type Package struct {
	Name string
	// Paths are the directories (or files) that belong to the package,
	// slash-separated and relative to the root; the first is its home,
	// where its version files are.
	Paths []string
	// TagPattern names its release tags: {name}, {path} and {version}.
	TagPattern string
	// BuildSystem is simple, maven (the reactor whose root is pom.xml in
	// the package's home) or python (VERSION in its home).
	BuildSystem string
	// VersionFiles are version-files entries relative to the package's home.
	VersionFiles []string
	// DependsOn names the packages this one depends on.
	DependsOn []string
	// DependencyBump is the impact a release of a dependency gives this
	// package when it has no higher one of its own: patch (the default),
	// minor, or none (no propagation).
	DependencyBump version.Impact
	// Stable releases the package as 1.0.0 while it is on 0.x (the
	// stable-release switch, for this package only).
	Stable bool
	// Kind says how the package was declared: "config", "sfdx", "npm",
	// "maven" or "go". Discovered packages know how their manifests name
	// the other packages (Module), so a dependency's new version can be
	// written into them.
	Kind string
	// Module is the name other packages' manifests use for this package:
	// the npm package name, the Go module path, the Maven groupId:artifactId,
	// the sfdx package name. Empty when unknown.
	Module string
	// Line is the line of the package's entry in the config (0 when discovered).
	Line int
}

// Home is the package's first path: where its version files are.
func (p Package) Home() string { return p.Paths[0] }

// Owns reports whether a file (slash-separated, relative to the root)
// belongs to the package.
func (p Package) Owns(file string) bool {
	for _, d := range p.Paths {
		if d == "" || file == d || strings.HasPrefix(file, d+"/") {
			return true
		}
	}
	return false
}

// Tags is the package's tag scheme.
func (p Package) Tags() version.TagScheme {
	s := version.PatternScheme(strings.ReplaceAll(p.TagPattern, "{path}", p.Home()), p.Name)
	s.Builds = true
	return s
}

// Config is the packages of a repository.
type Config struct {
	// File is where the packages were read from, for messages.
	File string
	// Packages, dependencies before the packages that depend on them
	// (ties by name).
	Packages []Package
	// Config is the package config read ("" for a discovery alone), and
	// Discovered the package manager the packages were read from ("" for
	// none): see Sources.
	Config, Discovered string
}

// Find returns the package named name.
func (c *Config) Find(name string) (*Package, bool) {
	for i := range c.Packages {
		if c.Packages[i].Name == name {
			return &c.Packages[i], true
		}
	}
	return nil, false
}

// Sources are the files that declare the packages: the package config,
// and the manifests of the package manager it discovers them from. Where
// they are the same at two commits, so are the packages. Empty when they
// cannot be named (Go modules, found by listing directories).
func (c *Config) Sources() []string {
	var out []string
	if c.Config != "" {
		out = append(out, c.Config)
	}
	switch c.Discovered {
	case "":
	case "sfdx":
		out = append(out, "sfdx-project.json")
	case "npm":
		out = append(out, "package.json", "pnpm-workspace.yaml")
	case "maven":
		out = append(out, "pom.xml")
	default:
		return nil
	}
	return out
}

// Names lists the packages' names in order.
func (c *Config) Names() []string {
	out := make([]string, len(c.Packages))
	for i, p := range c.Packages {
		out[i] = p.Name
	}
	return out
}

// Owners lists the packages a file belongs to (usually one; none for a
// file outside every package).
func (c *Config) Owners(file string) []string {
	var out []string
	for _, p := range c.Packages {
		if p.Owns(file) {
			out = append(out, p.Name)
		}
	}
	return out
}

// ErrNoPackages is returned by Load when the packages setting is empty and
// the repository has no package config: it is one package.
var ErrNoPackages = errors.New("no package config")

// Discoveries are the package managers relman can read packages from.
var Discoveries = []string{"sfdx", "npm", "maven", "go"}

// Load reads the packages of a repository. setting is the packages
// setting: empty (relman-packages.yml if the tree has one, else
// ErrNoPackages), a discovery (sfdx, npm, maven, go: the packages that
// package manager declares, with its default tag pattern), or the path of
// a package config.
func Load(t Tree, setting string) (*Config, error) {
	setting = strings.TrimSpace(setting)
	for _, d := range Discoveries {
		if setting == d {
			pkgs, err := discover(t, d)
			if err != nil {
				return nil, err
			}
			return finish(&Config{File: discoveryFile(d), Packages: pkgs, Discovered: d})
		}
	}
	file := setting
	if file == "" {
		file = DefaultFile
	}
	clean := path.Clean(strings.TrimPrefix(file, "./"))
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("packages: %q is outside the repository: give a path relative to its root, or one of %s", file, strings.Join(Discoveries, ", "))
	}
	raw, err := t.ReadFile(clean)
	if errors.Is(err, fs.ErrNotExist) {
		if setting == "" {
			return nil, ErrNoPackages
		}
		return nil, fmt.Errorf("packages: %s is not in the pipeline commit: commit it, or set packages to one of %s to discover the packages", clean, strings.Join(Discoveries, ", "))
	}
	if err != nil {
		return nil, err
	}
	if len(raw) > maxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes, over the 1 MiB a package config may have", clean, len(raw))
	}
	c, err := parse(t, clean, raw)
	if err != nil {
		return nil, err
	}
	return finish(c)
}

// discoveryFile is the file a discovery reads, for messages.
func discoveryFile(kind string) string {
	switch kind {
	case "sfdx":
		return "sfdx-project.json"
	case "npm":
		return "package.json"
	case "maven":
		return "pom.xml"
	}
	return "go.mod files"
}

// FileError is an error in the package config, at a line.
type FileError struct {
	File string
	Line int
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

type errorList struct {
	file string
	errs []error
}

func (l *errorList) add(line int, format string, args ...any) {
	l.errs = append(l.errs, &FileError{File: l.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) err() error {
	sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].(*FileError).Line < l.errs[j].(*FileError).Line })
	return errors.Join(l.errs...)
}

const topKeys = "discover, tag-pattern, dependency-bump, packages"
const packageKeys = "name, path, paths, tag-pattern, build-system, version-files, depends-on, dependency-bump, stable-release"

// defaults are the settings of the config's top level that every package
// takes unless it sets its own.
type defaults struct {
	pattern string
	bump    version.Impact
	bumpSet bool
}

// parse reads relman-packages.yml: every error in it is reported, each
// with its line.
func parse(t Tree, file string, raw []byte) (*Config, error) {
	l := &errorList{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &FileError{File: file, Msg: fmt.Sprintf("not YAML: %v", err)}
	}
	if len(doc.Content) == 0 {
		return nil, &FileError{File: file, Msg: "empty: list the packages under packages:, or remove the file to release the repository as one package"}
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, &FileError{File: file, Line: top.Line, Msg: "expected a mapping with the keys " + topKeys}
	}
	d := defaults{bump: version.Patch}
	var discovery string
	var entries *yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			l.add(k.Line, "%s is given twice (first at line %d)", k.Value, prev)
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "discover":
			discovery = scalar(l, v, k.Value)
			if discovery != "" && !contains(Discoveries, discovery) {
				l.add(v.Line, "discover: %q is not a package manager relman reads: expected one of %s", discovery, strings.Join(Discoveries, ", "))
				discovery = ""
			}
		case "tag-pattern":
			d.pattern = scalar(l, v, k.Value)
			if msg := checkPattern(d.pattern); msg != "" {
				l.add(v.Line, "tag-pattern %q: %s", d.pattern, msg)
			}
		case "dependency-bump":
			d.bump, d.bumpSet = parseBump(l, v), true
		case "packages":
			entries = v
		default:
			l.add(k.Line, "unknown key %q: expected %s", k.Value, topKeys)
		}
	}
	var pkgs []Package
	if discovery != "" {
		found, err := discover(t, discovery)
		if err != nil {
			l.errs = append(l.errs, &FileError{File: file, Line: seen["discover"], Msg: err.Error()})
		}
		for _, p := range found {
			if d.pattern != "" {
				p.TagPattern = d.pattern
			}
			if d.bumpSet {
				p.DependencyBump = d.bump
			}
			pkgs = append(pkgs, p)
		}
	}
	if entries != nil {
		if entries.Kind != yaml.SequenceNode {
			l.add(entries.Line, "packages: expected a list of packages, each a mapping with the keys %s", packageKeys)
		} else {
			found := len(pkgs)
			refined := map[string]int{}
			for _, e := range entries.Content {
				p, ok := parsePackage(l, e, d)
				if !ok {
					continue
				}
				// An entry for a discovered package refines it, once;
				// a second entry of a name is reported by finish.
				if i := indexOf(pkgs[:found], p.Name); i >= 0 {
					if prev, twice := refined[p.Name]; twice {
						l.add(e.Line, "package %s is refined twice (first at line %d): give its settings in one entry", p.Name, prev)
						continue
					}
					refined[p.Name] = e.Line
					pkgs[i] = refine(pkgs[i], p, e)
					continue
				}
				if len(p.Paths) == 0 {
					l.add(e.Line, "package %s has no path: set path: (its directory, relative to the repository root)", p.Name)
					continue
				}
				pkgs = append(pkgs, p)
			}
		}
	}
	if len(pkgs) == 0 && len(l.errs) == 0 {
		l.add(top.Line, "no packages: list them under packages: (name and path each), or set discover: to one of %s", strings.Join(Discoveries, ", "))
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	return &Config{File: file, Packages: pkgs, Config: file, Discovered: discovery}, nil
}

// refine applies a config entry to a discovered package: the keys the
// entry sets win.
func refine(p, e Package, n *yaml.Node) Package {
	set := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		set[n.Content[i].Value] = true
	}
	if set["path"] || set["paths"] {
		p.Paths = e.Paths
	}
	if set["tag-pattern"] {
		p.TagPattern = e.TagPattern
	}
	if set["build-system"] {
		p.BuildSystem = e.BuildSystem
	}
	if set["version-files"] {
		p.VersionFiles = e.VersionFiles
	}
	if set["depends-on"] {
		p.DependsOn = e.DependsOn
	}
	if set["dependency-bump"] {
		p.DependencyBump = e.DependencyBump
	}
	if set["stable-release"] {
		p.Stable = e.Stable
	}
	p.Line = e.Line
	return p
}

func parsePackage(l *errorList, n *yaml.Node, d defaults) (Package, bool) {
	if n.Kind != yaml.MappingNode {
		l.add(n.Line, "a package is a mapping with the keys %s", packageKeys)
		return Package{}, false
	}
	p := Package{TagPattern: d.pattern, DependencyBump: d.bump, BuildSystem: "simple", Kind: "config", Line: n.Line}
	if p.TagPattern == "" {
		p.TagPattern = PatternSFP
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			l.add(k.Line, "%s is given twice (first at line %d)", k.Value, prev)
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "name":
			p.Name = scalar(l, v, "name")
			if msg := checkName(p.Name); msg != "" {
				l.add(v.Line, "name %q: %s", p.Name, msg)
			}
		case "path":
			if s := scalar(l, v, "path"); s != "" {
				p.Paths = append(p.Paths, cleanDir(l, v.Line, s))
			}
		case "paths":
			for _, s := range list(l, v, "paths") {
				p.Paths = append(p.Paths, cleanDir(l, v.Line, s))
			}
		case "tag-pattern":
			p.TagPattern = scalar(l, v, "tag-pattern")
			if msg := checkPattern(p.TagPattern); msg != "" {
				l.add(v.Line, "tag-pattern %q: %s", p.TagPattern, msg)
			}
		case "build-system":
			p.BuildSystem = scalar(l, v, "build-system")
			if !contains([]string{"simple", "maven", "python"}, p.BuildSystem) {
				l.add(v.Line, "build-system %q: expected simple, maven (pom.xml in the package's directory) or python (VERSION in it)", p.BuildSystem)
			}
		case "version-files":
			p.VersionFiles = list(l, v, "version-files")
		case "depends-on":
			p.DependsOn = list(l, v, "depends-on")
		case "dependency-bump":
			p.DependencyBump = parseBump(l, v)
		case "stable-release":
			s := scalar(l, v, "stable-release")
			on, err := version.ParseStable(s)
			if err != nil {
				l.add(v.Line, "stable-release: %v", err)
			}
			p.Stable = on
		default:
			l.add(k.Line, "unknown key %q in a package: expected %s", k.Value, packageKeys)
		}
	}
	if p.Name == "" {
		if _, ok := seen["name"]; !ok {
			l.add(n.Line, "a package needs a name: (it names its tags: %s)", p.TagPattern)
		}
		return Package{}, false
	}
	if len(p.Paths) > 1 && seen["path"] > 0 && seen["paths"] > 0 {
		l.add(seen["paths"], "package %s has both path and paths: use paths (the first is its home) or path alone", p.Name)
	}
	return p, true
}

func parseBump(l *errorList, v *yaml.Node) version.Impact {
	s := scalar(l, v, "dependency-bump")
	switch s {
	case "patch":
		return version.Patch
	case "minor":
		return version.Minor
	case "none":
		return version.None
	case "major":
		l.add(v.Line, "dependency-bump: major is not allowed: a dependency's release never makes a major release of the packages that use it; expected patch, minor or none")
	default:
		l.add(v.Line, "dependency-bump %q: expected patch (the default), minor or none", s)
	}
	return version.Patch
}

func scalar(l *errorList, v *yaml.Node, key string) string {
	if v.Kind != yaml.ScalarNode {
		l.add(v.Line, "%s: expected a string", key)
		return ""
	}
	return strings.TrimSpace(v.Value)
}

func list(l *errorList, v *yaml.Node, key string) []string {
	if v.Kind == yaml.ScalarNode {
		if s := strings.TrimSpace(v.Value); s != "" {
			return []string{s}
		}
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		l.add(v.Line, "%s: expected a list of strings", key)
		return nil
	}
	var out []string
	for _, e := range v.Content {
		if e.Kind != yaml.ScalarNode || strings.TrimSpace(e.Value) == "" {
			l.add(e.Line, "%s: expected a list of strings", key)
			continue
		}
		out = append(out, strings.TrimSpace(e.Value))
	}
	return out
}

// cleanDir reads a package path: relative, inside the repository.
func cleanDir(l *errorList, line int, s string) string {
	c := path.Clean(strings.TrimPrefix(strings.TrimSuffix(s, "/"), "./"))
	switch {
	case path.IsAbs(c), c == "..", strings.HasPrefix(c, "../"):
		l.add(line, "path %q is outside the repository: give it relative to the repository root", s)
	case c == ".":
		l.add(line, "path %q is the whole repository: a package is a directory in it (without a package config the repository is released as one package)", s)
	case c == ".git" || strings.HasPrefix(c, ".git/"):
		l.add(line, "path %q is inside .git", s)
	}
	return c
}

// checkName refuses names that cannot be part of a tag name.
func checkName(n string) string {
	switch {
	case n == "":
		return "empty"
	case strings.ContainsAny(n, " ~^:?*[\\\x7f{}"), strings.Contains(n, ".."), strings.Contains(n, "@{"),
		strings.HasPrefix(n, "-"), strings.HasPrefix(n, "/"), strings.HasSuffix(n, "/"), strings.HasSuffix(n, "."), strings.Contains(n, "//"):
		return "cannot be part of a git tag name (no spaces, ~ ^ : ? * [ \\ { }, .., or a leading -)"
	}
	for _, r := range n {
		if r < 0x20 {
			return "has a control character"
		}
	}
	return ""
}

// checkPattern checks a tag pattern: {version} once, and nothing a tag
// name cannot hold.
func checkPattern(p string) string {
	if strings.Count(p, "{version}") != 1 {
		return "needs {version} exactly once, e.g. {name}_v{version}, {name}/v{version}, {name}@{version} or {path}/v{version}"
	}
	rest := strings.NewReplacer("{version}", "", "{name}", "n", "{path}", "p").Replace(p)
	if strings.ContainsAny(rest, "{}") {
		return "knows only the placeholders {name}, {path} and {version}"
	}
	if msg := checkName(strings.NewReplacer("{version}", "1.0.0", "{name}", "n", "{path}", "p").Replace(p)); msg != "" {
		return msg
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func indexOf(pkgs []Package, name string) int {
	for i, p := range pkgs {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// finish checks what concerns the packages together (unique names,
// distinct tag schemes, known dependencies, no cycle) and orders them:
// dependencies first.
func finish(c *Config) (*Config, error) {
	l := &errorList{file: c.File}
	byName := map[string]*Package{}
	for i := range c.Packages {
		p := &c.Packages[i]
		if q, dup := byName[p.Name]; dup {
			l.add(p.Line, "package %s is declared twice (first at line %d)", p.Name, q.Line)
			continue
		}
		byName[p.Name] = p
	}
	// Two packages whose tags look alike would read each other's releases.
	// Each pair is reported once.
	alike := map[[2]int]bool{}
	for i := range c.Packages {
		for j := range c.Packages {
			a, b := &c.Packages[i], &c.Packages[j]
			if i == j || a.Name == b.Name || alike[[2]int{j, i}] {
				continue
			}
			if _, ok := a.Tags().Parse(b.Tags().Name(one)); ok {
				alike[[2]int{i, j}] = true
				l.add(b.Line, "the tags of %s (%s) read as tags of %s (%s): give one of them another tag-pattern", b.Name, b.Tags().Name(one), a.Name, a.TagPattern)
			}
		}
	}
	for _, p := range c.Packages {
		for _, d := range p.DependsOn {
			if _, ok := byName[d]; !ok {
				l.add(p.Line, "package %s depends on %s, which is not a package here: expected one of %s", p.Name, d, strings.Join(sortedNames(byName), ", "))
			}
			if d == p.Name {
				l.add(p.Line, "package %s depends on itself", p.Name)
			}
		}
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	order, cycle := topo(c.Packages)
	if cycle != nil {
		return nil, &FileError{File: c.File, Msg: fmt.Sprintf("the dependencies form a cycle: %s; a package cannot be released before itself, so remove one of these depends-on", strings.Join(cycle, " → "))}
	}
	c.Packages = order
	return c, nil
}

var one = semver.MustParse("1.0.0")

func sortedNames(m map[string]*Package) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// topo orders packages dependencies first, ties by name; cycle lists one
// cycle when there is one.
func topo(pkgs []Package) (order []Package, cycle []string) {
	byName := map[string]Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	names := sortedNames(func() map[string]*Package {
		m := map[string]*Package{}
		for i := range pkgs {
			m[pkgs[i].Name] = &pkgs[i]
		}
		return m
	}())
	const (
		white = iota
		grey
		black
	)
	colour := map[string]int{}
	var stack []string
	var visit func(n string) bool
	visit = func(n string) bool {
		switch colour[n] {
		case grey:
			i := len(stack) - 1
			for i > 0 && stack[i] != n {
				i--
			}
			cycle = append(append([]string{}, stack[i:]...), n)
			return false
		case black:
			return true
		}
		colour[n] = grey
		stack = append(stack, n)
		deps := append([]string{}, byName[n].DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			if !visit(d) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		colour[n] = black
		order = append(order, byName[n])
		return true
	}
	for _, n := range names {
		if !visit(n) {
			return nil, cycle
		}
	}
	return order, nil
}
