package packages

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/version"
	"github.com/relman-dev/relman/internal/versionfile"
)

// discover reads the packages a package manager declares:
//
//   - sfdx: the packageDirectories entries of sfdx-project.json that have
//     a "package" (the others are unpackaged source). A package is named
//     by its "package", owns its "path", keeps its version in its
//     "versionNumber" and depends on the packages of the project its
//     "dependencies" name (core, or an alias core@1.2.0-1 of a version of
//     core); dependencies on packages from elsewhere (04t aliases) are
//     not packages of the repository. Tags: core_v1.2.0.
//   - npm: the workspaces of the root package.json ("workspaces": an
//     array, or {"packages": [...]}), or of pnpm-workspace.yaml
//     ("packages:"), which wins when both are there, as it does for pnpm.
//     Entries are directories or globs (* and ? within a name, ** for any
//     depth), and !glob leaves directories out. Every matched directory
//     with a package.json that has a "name" is a package, named so, whose
//     package.json carries its version (when it has a "version") and
//     whose dependencies, devDependencies, peerDependencies and
//     optionalDependencies name the packages it depends on. A glob that
//     matches a directory without either is no package there; a
//     directory listed by name must have both. Private packages are
//     packages too: relman tags releases, and publishing them or not is
//     the pipeline's business (lerna versions them, changesets too).
//     Tags: @acme/ui@1.2.0.
//   - maven: the modules of the reactor of the root pom.xml (with those
//     of its profiles, to any depth); every module whose packaging is not
//     pom is a package, named by its artifactId, that owns its directory,
//     is versioned as a reactor of its own (build-system maven, its own
//     pom.xml) and depends on the modules it names as dependencies,
//     plugins or extensions. Aggregators, parents and BOMs (packaging
//     pom) are not packages: declare one in relman-packages.yml next to
//     discover: maven to release it. Tags: core-1.2.0.
//   - go: every go.mod below the root, not the root's own: Go tags a
//     module in a subdirectory DIR as DIR/vX.Y.Z, and a module at the
//     root has no directory to tell its tags from the others'. A module
//     is named by its directory and depends on the modules of the
//     repository it requires. Go modules keep no version in a file; the
//     tag is the release. Tags: tools/gen/v1.2.0.
//
// Discovered packages have Line 0; their errors carry the line of the
// manifest.
func discover(t Tree, kind string) ([]Package, error) {
	switch kind {
	case "sfdx":
		return discoverSFDX(t)
	case "npm":
		return discoverNPM(t)
	case "maven":
		return discoverMaven(t)
	case "go":
		return discoverGo(t)
	}
	return nil, fmt.Errorf("discover: %q is not a package manager relman reads: expected one of %s", kind, strings.Join(Discoveries, ", "))
}

// readManifest reads a manifest a discovery needs, saying what to do when
// it is missing.
func readManifest(t Tree, file, kind string) ([]byte, error) {
	raw, err := t.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("packages %s: there is no %s at the repository root: commit it, or set packages to what declares the packages here (one of %s, or a package config)", kind, file, strings.Join(Discoveries, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("packages %s: %w", kind, err)
	}
	return raw, nil
}

// discovered is a package as every discovery starts it.
func discovered(kind, name, dir, pattern, module string) Package {
	return Package{
		Name: name, Paths: []string{dir}, TagPattern: pattern, BuildSystem: "simple",
		DependencyBump: version.Patch, Kind: kind, Module: module,
	}
}

// renameFix is the way out when a manifest names a package in a way that
// cannot be part of a tag.
const renameFix = "rename it, or list the packages in relman-packages.yml with names of your own (without discover:)"

func discoverSFDX(t Tree) ([]Package, error) {
	const file = versionfile.SFDXFile
	raw, err := readManifest(t, file, "sfdx")
	if err != nil {
		return nil, err
	}
	proj, err := versionfile.ReadSFDX(file, raw)
	if err != nil {
		return nil, err
	}
	l := &errorList{file: file}
	index := map[string]int{}
	var pkgs []Package
	var deps [][]versionfile.SFDXDependency
	for _, e := range proj.Packages {
		if i, dup := index[e.Package]; dup {
			l.add(e.Line, "package %s is listed twice in packageDirectories (first at line %d): give each package one entry", e.Package, proj.Packages[i].Line)
			continue
		}
		index[e.Package] = len(pkgs)
		if msg := checkName(e.Package); msg != "" {
			l.add(e.Line, "package %q names its tags (%s), but it %s: %s", e.Package, PatternSFP, msg, renameFix)
		}
		if e.VersionNumber == "" {
			l.add(e.Line, "package %s has no versionNumber: expected \"versionNumber\": \"1.0.0.NEXT\", where relman writes the package's new version", e.Package)
		}
		pkgs = append(pkgs, discovered("sfdx", e.Package, cleanDir(l, e.Line, e.Path), PatternSFP, e.Package))
		deps = append(deps, e.Dependencies)
	}
	for i := range pkgs {
		seen := map[string]bool{}
		for _, d := range deps[i] {
			name, _, _ := strings.Cut(d.Package, "@")
			if _, here := index[name]; !here || seen[name] {
				continue // a package from elsewhere
			}
			seen[name] = true
			pkgs[i].DependsOn = append(pkgs[i].DependsOn, name)
		}
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, &FileError{File: file, Line: proj.Line, Msg: "no packageDirectories entry has a \"package\": sfdx discovery releases packages, so give the entries to release a \"package\" and a \"versionNumber\", or release the repository as one package (packages: none)"}
	}
	return pkgs, nil
}

// workspaceGlob is one entry of a workspaces list.
type workspaceGlob struct {
	text string
	line int
}

func discoverNPM(t Tree) ([]Package, error) {
	file, globs, err := workspaceGlobs(t)
	if err != nil {
		return nil, err
	}
	dirs, listed, err := expandGlobs(t, file, globs)
	if err != nil {
		return nil, err
	}
	l := &errorList{file: file}
	byName := map[string]string{}
	var pkgs []Package
	var deps [][]string
	for _, dir := range dirs {
		pj := path.Join(dir, "package.json")
		raw, err := t.ReadFile(pj)
		if errors.Is(err, fs.ErrNotExist) {
			if line, ok := listed[dir]; ok {
				l.add(line, "workspace %s has no package.json: add one with a \"name\", or remove the entry", dir)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("packages npm: %w", err)
		}
		np, err := versionfile.ReadNPMPackage(pj, raw)
		if err != nil {
			return nil, err
		}
		if np.Name == "" {
			if line, ok := listed[dir]; ok {
				l.add(line, "workspace %s: %s has no \"name\": give the package a name, which names its tags (%s)", dir, pj, PatternNPM)
			}
			continue
		}
		if other, dup := byName[np.Name]; dup {
			return nil, fmt.Errorf("packages npm: %s and %s/package.json are both named %s: npm needs workspace names to be unique; rename one", path.Join(other, "package.json"), dir, np.Name)
		}
		byName[np.Name] = dir
		if msg := checkName(np.Name); msg != "" {
			return nil, fmt.Errorf("packages npm: %s: package %q names its tags (%s), but it %s: %s", pj, np.Name, PatternNPM, msg, renameFix)
		}
		p := discovered("npm", np.Name, dir, PatternNPM, np.Name)
		if np.HasVersion {
			p.VersionFiles = []string{"package.json"}
		}
		pkgs = append(pkgs, p)
		deps = append(deps, np.Dependencies)
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	for i := range pkgs {
		for _, d := range deps[i] {
			if _, here := byName[d]; here && d != pkgs[i].Name {
				pkgs[i].DependsOn = append(pkgs[i].DependsOn, d)
			}
		}
	}
	if len(pkgs) == 0 {
		var list []string
		for _, g := range globs {
			list = append(list, g.text)
		}
		return nil, fmt.Errorf("packages npm: the workspaces of %s (%s) match no directory with a package.json that has a \"name\": fix the globs, or release the repository as one package (packages: none)", file, strings.Join(list, ", "))
	}
	return pkgs, nil
}

// workspaceGlobs reads the workspaces: pnpm-workspace.yaml's packages, else
// the root package.json's workspaces.
func workspaceGlobs(t Tree) (string, []workspaceGlob, error) {
	const pnpm = "pnpm-workspace.yaml"
	raw, err := t.ReadFile(pnpm)
	switch {
	case err == nil:
		globs, err := pnpmGlobs(pnpm, raw)
		return pnpm, globs, err
	case !errors.Is(err, fs.ErrNotExist):
		return "", nil, fmt.Errorf("packages npm: %w", err)
	}
	raw, err = readManifest(t, "package.json", "npm")
	if err != nil {
		return "", nil, err
	}
	np, err := versionfile.ReadNPMPackage("package.json", raw)
	if err != nil {
		return "", nil, err
	}
	if np.Workspaces == nil {
		return "", nil, &FileError{File: "package.json", Msg: "no \"workspaces\" (and no pnpm-workspace.yaml): npm discovery releases the workspace packages: list their directories, like \"workspaces\": [\"packages/*\"], or release the repository as one package (packages: none)"}
	}
	if len(np.Workspaces) == 0 {
		return "", nil, &FileError{File: "package.json", Line: np.WorkspacesLine, Msg: "\"workspaces\" is empty: list the packages' directories, like [\"packages/*\"]"}
	}
	var globs []workspaceGlob
	for _, w := range np.Workspaces {
		globs = append(globs, workspaceGlob{text: w, line: np.WorkspacesLine})
	}
	return "package.json", globs, nil
}

// pnpmGlobs reads the packages: of a pnpm-workspace.yaml.
func pnpmGlobs(file string, raw []byte) ([]workspaceGlob, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &FileError{File: file, Msg: fmt.Sprintf("not YAML: %v", err)}
	}
	const shape = "expected packages: and a list of directory globs, like\n  packages:\n    - \"packages/*\""
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &FileError{File: file, Msg: shape}
	}
	top := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "packages" {
			list = top.Content[i+1]
		}
	}
	switch {
	case list == nil:
		return nil, &FileError{File: file, Line: top.Line, Msg: "no packages: " + shape}
	case list.Kind != yaml.SequenceNode:
		return nil, &FileError{File: file, Line: list.Line, Msg: "packages: " + shape}
	case len(list.Content) == 0:
		return nil, &FileError{File: file, Line: list.Line, Msg: "packages: is empty: " + shape}
	}
	var out []workspaceGlob
	for _, n := range list.Content {
		if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
			return nil, &FileError{File: file, Line: n.Line, Msg: "packages: every entry is a directory glob: " + shape}
		}
		out = append(out, workspaceGlob{text: strings.TrimSpace(n.Value), line: n.Line})
	}
	return out, nil
}

// maxGlobDepth bounds how deep ** and the go.mod search look.
const maxGlobDepth = 32

// skipDir reports the directories no workspace glob or module search
// enters: installed dependencies and git's own.
func skipDir(name string) bool { return name == "node_modules" || name == ".git" }

// expandGlobs lists the directories the workspace globs match, sorted;
// listed holds the directories given by name (not by a glob), with their
// lines.
func expandGlobs(t Tree, file string, globs []workspaceGlob) ([]string, map[string]int, error) {
	l := &errorList{file: file}
	found := map[string]bool{}
	listed := map[string]int{}
	var exclude [][]string
	for _, g := range globs {
		text, neg := strings.CutPrefix(g.text, "!")
		c := path.Clean(strings.TrimPrefix(strings.TrimSpace(text), "./"))
		switch {
		case path.IsAbs(c), c == "..", strings.HasPrefix(c, "../"):
			l.add(g.line, "workspace %q is outside the repository: give it relative to the repository root", g.text)
			continue
		case strings.ContainsAny(c, "{}"):
			l.add(g.line, "workspace %q: relman reads *, ?, [...] and ** in workspace globs, not {a,b}: list each directory glob on its own", g.text)
			continue
		}
		segs := strings.Split(c, "/")
		if c == "." {
			segs = nil
		}
		for _, s := range segs {
			if _, err := path.Match(s, ""); err != nil {
				l.add(g.line, "workspace %q is not a valid glob: %v", g.text, err)
				segs = nil
				break
			}
		}
		if neg {
			exclude = append(exclude, segs)
			continue
		}
		if !strings.ContainsAny(c, "*?[") && c != "." {
			listed[c] = g.line
			found[c] = true
			continue
		}
		if err := glob(t, "", segs, 0, found); err != nil {
			return nil, nil, err
		}
	}
	if err := l.err(); err != nil {
		return nil, nil, err
	}
	var out []string
	for d := range found {
		if d == "" || d == "." {
			continue // the root package is not a workspace
		}
		excluded := false
		for _, x := range exclude {
			if matchSegs(x, strings.Split(d, "/")) {
				excluded = true
				break
			}
		}
		if !excluded {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out, listed, nil
}

// glob adds the directories below dir that segs match to found.
func glob(t Tree, dir string, segs []string, depth int, found map[string]bool) error {
	if len(segs) == 0 {
		found[dir] = true
		return nil
	}
	if depth > maxGlobDepth {
		return nil
	}
	seg := segs[0]
	if !strings.ContainsAny(seg, "*?[") {
		return glob(t, path.Join(dir, seg), segs[1:], depth+1, found)
	}
	subs, err := subdirs(t, dir)
	if err != nil {
		return err
	}
	if seg == "**" {
		if err := glob(t, dir, segs[1:], depth, found); err != nil {
			return err
		}
		for _, s := range subs {
			if strings.HasPrefix(s, ".") {
				continue
			}
			if err := glob(t, path.Join(dir, s), segs, depth+1, found); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range subs {
		if strings.HasPrefix(s, ".") && !strings.HasPrefix(seg, ".") {
			continue // * does not match dot directories
		}
		if ok, _ := path.Match(seg, s); ok {
			if err := glob(t, path.Join(dir, s), segs[1:], depth+1, found); err != nil {
				return err
			}
		}
	}
	return nil
}

// subdirs lists the directories in dir, by name; a missing dir has none.
func subdirs(t Tree, dir string) ([]string, error) {
	entries, err := t.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e, "/"); ok && !skipDir(name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// matchSegs reports whether a directory (by path segments) matches a glob
// (by segments, ** matching any number of them).
func matchSegs(glob, dir []string) bool {
	if len(glob) == 0 {
		return len(dir) == 0
	}
	if glob[0] == "**" {
		for i := 0; i <= len(dir); i++ {
			if matchSegs(glob[1:], dir[i:]) {
				return true
			}
		}
		return false
	}
	if len(dir) == 0 {
		return false
	}
	if ok, _ := path.Match(glob[0], dir[0]); !ok {
		return false
	}
	return matchSegs(glob[1:], dir[1:])
}

func discoverMaven(t Tree) ([]Package, error) {
	if _, err := readManifest(t, "pom.xml", "maven"); err != nil {
		return nil, err
	}
	mods, err := versionfile.MavenReactor(t, "pom.xml", nil)
	if err != nil {
		return nil, err
	}
	if mods[0].Modules == 0 {
		return nil, &FileError{File: "pom.xml", Msg: "no <modules>: maven discovery releases the modules of a reactor; a project without modules is one package (packages: none, build-system: maven)"}
	}
	byGA := map[string]string{}
	var pkgs []Package
	var deps [][]string
	for _, m := range mods[1:] {
		if m.Packaging == "pom" {
			continue // an aggregator, a parent or a BOM
		}
		if path.Base(m.Path) != "pom.xml" {
			return nil, &FileError{File: m.Path, Msg: "the module's pom is not named pom.xml: relman releases a module from the pom.xml of its directory; rename it, or list the packages in relman-packages.yml"}
		}
		if other, dup := byGA[m.ArtifactID]; dup {
			return nil, &FileError{File: m.Path, Line: m.Line, Msg: fmt.Sprintf("artifactId %s is also the artifactId of %s: maven discovery names packages by artifactId, so they must differ; rename one, or list the packages in relman-packages.yml with names of your own", m.ArtifactID, other)}
		}
		byGA[m.ArtifactID] = m.Path
		if msg := checkName(m.ArtifactID); msg != "" {
			return nil, &FileError{File: m.Path, Line: m.Line, Msg: fmt.Sprintf("artifactId %q names the module's tags (%s), but it %s: %s", m.ArtifactID, PatternMaven, msg, renameFix)}
		}
		p := discovered("maven", m.ArtifactID, path.Dir(m.Path), PatternMaven, m.GroupID+":"+m.ArtifactID)
		p.BuildSystem = "maven"
		pkgs = append(pkgs, p)
		deps = append(deps, m.DependsOn)
	}
	if len(pkgs) == 0 {
		return nil, &FileError{File: "pom.xml", Msg: "every module of the reactor has packaging pom: maven discovery releases the modules that build an artifact (jar, war, maven-plugin, ...); list the packages in relman-packages.yml to release pom modules"}
	}
	byModule := map[string]string{}
	for _, p := range pkgs {
		byModule[p.Module] = p.Name
	}
	for i := range pkgs {
		for _, ga := range deps[i] {
			if name, ok := byModule[ga]; ok {
				pkgs[i].DependsOn = append(pkgs[i].DependsOn, name)
			}
		}
	}
	return pkgs, nil
}

func discoverGo(t Tree) ([]Package, error) {
	var dirs []string
	if err := findGoMods(t, "", 0, &dirs); err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, errors.New("packages go: no go.mod below the repository root: go discovery releases the modules in subdirectories (tags DIR/vX.Y.Z); a repository whose only module is at its root is one package (packages: none)")
	}
	byModule := map[string]string{}
	var pkgs []Package
	var reqs [][]versionfile.GoRequire
	for _, dir := range dirs {
		file := path.Join(dir, "go.mod")
		raw, err := t.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("packages go: %w", err)
		}
		mod, err := versionfile.ReadGoMod(file, raw)
		if err != nil {
			return nil, err
		}
		if other, dup := byModule[mod.Module]; dup {
			return nil, &FileError{File: file, Line: mod.ModuleLine, Msg: fmt.Sprintf("module %s is also declared by %s/go.mod: give each module its own path", mod.Module, other)}
		}
		byModule[mod.Module] = dir
		if msg := checkName(dir); msg != "" {
			return nil, &FileError{File: file, Msg: fmt.Sprintf("the module's directory %q names its tags (%s), but it %s: rename the directory", dir, PatternGo, msg)}
		}
		pkgs = append(pkgs, discovered("go", dir, dir, goPattern(dir, mod.Module), mod.Module))
		reqs = append(reqs, mod.Requires)
	}
	for i := range pkgs {
		seen := map[string]bool{}
		for _, r := range reqs[i] {
			if name, ok := byModule[r.Path]; ok && name != pkgs[i].Name && !seen[name] {
				seen[name] = true
				pkgs[i].DependsOn = append(pkgs[i].DependsOn, name)
			}
		}
	}
	return pkgs, nil
}

// goPattern is the tag pattern of the module in dir: Go's DIR/vX.Y.Z,
// where a major version subdirectory (lib/v2 holding module .../lib/v2)
// is not part of DIR: its tags are lib/v2.x.y.
func goPattern(dir, module string) string {
	base := path.Base(dir)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" &&
		base != "v0" && base != "v1" && strings.HasSuffix(module, "/"+base) {
		if path.Dir(dir) == "." {
			return "v{version}"
		}
		return path.Dir(dir) + "/v{version}"
	}
	return PatternGo
}

// findGoMods adds the directories below dir that hold a go.mod, sorted,
// skipping what the go command skips (testdata, vendor, names starting
// with . or _).
func findGoMods(t Tree, dir string, depth int, out *[]string) error {
	if depth > maxGlobDepth {
		return nil
	}
	entries, err := t.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("packages go: %w", err)
	}
	for _, e := range entries {
		if e == "go.mod" && dir != "" {
			*out = append(*out, dir)
		}
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e, "/")
		if !ok || skipDir(name) || name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		if err := findGoMods(t, path.Join(dir, name), depth+1, out); err != nil {
			return err
		}
	}
	return nil
}
