package packages

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/relman-dev/relman/internal/versionfile"
)

// DependencyEdits returns the edits of p's manifest that point it at the
// new versions of its dependencies: released maps package names to the
// versions this pipeline releases them at (1.3.0), and only p's DependsOn
// that are in it and were discovered the way p was (so that their Module
// is the name p's manifest uses for them) are edited:
//
//   - npm: the ranges in p's package.json (see versionfile.SetNPMDependencies:
//     ^1.2.0 becomes ^1.3.0; workspace:*, * and file: stay);
//   - sfdx: the "dependencies" of p's packageDirectories entry
//     (1.2.0.LATEST becomes 1.3.0.LATEST; see versionfile.SetSFDXDependencies);
//   - go: the require of each dependency's module path in p's go.mod
//     (v1.2.0 becomes v1.3.0, a pseudo-version too; replace directives and
//     go.sum stay; see versionfile.SetGoRequires);
//   - maven: dependencies, plugins and extensions in p's pom.xml that name
//     a dependency with a literal version (see
//     versionfile.SetMavenDependencies); versions in properties stay.
//
// Packages declared in relman-packages.yml (Kind "config") have no
// manifest relman knows, and get no edits. No entry ever moves down.
//
// files is read as it is: to edit a file several packages share
// (sfdx-project.json) or that p's own version edit changed, pass a view
// with the earlier changes made, as ReleaseChanges does. The Changes'
// Old is the file as files has it.
func (c *Config) DependencyEdits(files versionfile.Files, p Package, released map[string]string) ([]versionfile.Change, error) {
	versions := map[string]string{}
	var names []string
	for _, d := range p.DependsOn {
		v, ok := released[d]
		if !ok {
			continue
		}
		dp, ok := c.Find(d)
		if !ok || dp.Kind != p.Kind || dp.Module == "" {
			continue
		}
		versions[dp.Module] = v
		names = append(names, d)
	}
	if len(versions) == 0 {
		return nil, nil
	}
	var cs []versionfile.Change
	var err error
	switch p.Kind {
	case "npm":
		cs, err = versionfile.SetNPMDependencies(files, path.Join(p.Home(), "package.json"), versions)
	case "sfdx":
		cs, err = versionfile.SetSFDXDependencies(files, versionfile.SFDXFile, p.module(), versions)
	case "go":
		cs, err = versionfile.SetGoRequires(files, path.Join(p.Home(), "go.mod"), versions)
	case "maven":
		cs, err = versionfile.SetMavenDependencies(files, path.Join(p.Home(), "pom.xml"), versions)
	}
	if err != nil {
		return nil, fmt.Errorf("package %s: point it at the new versions of %s: %w", p.Name, strings.Join(names, ", "), err)
	}
	return cs, nil
}

// ReleaseOptions say what a pipeline releases, for ReleaseChanges.
type ReleaseOptions struct {
	// Versions maps the name of every package the pipeline releases
	// (with the ones a dependency's release bumps) to its new version.
	Versions map[string]string
	// Time is the release commit's time (Maven writes it into
	// project.build.outputTimestamp); zero leaves that alone.
	Time time.Time
	// Warn receives the editors' warnings; nil drops them.
	Warn func(string)
}

// Release is what the release commit of a pipeline changes.
type Release struct {
	// Changes are the changed files, each once, in the order they were
	// first changed: Old as files has it, New with every edit made.
	Changes []versionfile.Change
	// Changed maps each package whose edits changed a file to those
	// files, sorted. A package not in it needs no release commit: its
	// tag can point at the pipeline commit.
	Changed map[string][]string
}

// ReleaseChanges makes the edits of a pipeline's release commit: for each
// released package, in dependency order, its own version (Editors) and
// then its manifest's dependencies on the packages released with it
// (DependencyEdits), each edit made on the files as the ones before left
// them, so that edits of several packages to one file (sfdx-project.json
// holds them all) add up. Packages that are not released are not edited,
// even when a dependency of theirs is: they get no tag to carry it.
func (c *Config) ReleaseChanges(files versionfile.Files, o ReleaseOptions) (*Release, error) {
	ov := &layered{base: files, changed: map[string][]byte{}}
	old := map[string][]byte{}
	var order []string
	out := &Release{Changed: map[string][]string{}}
	record := func(name string, cs []versionfile.Change) {
		for _, ch := range cs {
			p := ch.Path
			if _, ok := old[p]; !ok {
				old[p] = ch.Old
				order = append(order, p)
			}
			ov.changed[p] = ch.New
			if !contains(out.Changed[name], p) {
				out.Changed[name] = append(out.Changed[name], p)
			}
		}
	}
	for _, p := range c.Packages {
		v, ok := o.Versions[p.Name]
		if !ok {
			continue
		}
		eds, err := p.Editors(o.Warn)
		if err != nil {
			return nil, err
		}
		cs, err := eds.At(o.Time).Set(ov, v)
		if err != nil {
			return nil, fmt.Errorf("package %s: set its version %s: %w", p.Name, v, err)
		}
		record(p.Name, cs)
		cs, err = c.DependencyEdits(ov, p, o.Versions)
		if err != nil {
			return nil, err
		}
		record(p.Name, cs)
	}
	for name := range out.Changed {
		sort.Strings(out.Changed[name])
	}
	for _, p := range order {
		if !bytes.Equal(old[p], ov.changed[p]) {
			out.Changes = append(out.Changes, versionfile.Change{Path: p, Old: old[p], New: ov.changed[p]})
		}
	}
	return out, nil
}

// layered reads the changed files from changed and the others from base.
type layered struct {
	base    versionfile.Files
	changed map[string][]byte
}

func (l *layered) ReadFile(p string) ([]byte, error) {
	if b, ok := l.changed[path.Clean(strings.TrimPrefix(p, "./"))]; ok {
		return bytes.Clone(b), nil
	}
	return l.base.ReadFile(p)
}
