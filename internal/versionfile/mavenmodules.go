package versionfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// MavenModule is one pom of a Maven reactor, as MavenReactor reads it.
type MavenModule struct {
	// Path is the pom's path, relative to the repository root.
	Path string
	// GroupID (inherited from the <parent> when the pom has none),
	// ArtifactID and Packaging (jar when the pom says none).
	GroupID, ArtifactID, Packaging string
	// Line is the line of the pom's <artifactId>.
	Line int
	// Modules is how many <module> entries the pom lists.
	Modules int
	// DependsOn lists, as groupId:artifactId and sorted, the other
	// modules of the reactor this one names as a dependency, a plugin, a
	// plugin's dependency or a build extension (what Maven orders a
	// reactor by), managed ones left out.
	DependsOn []string
}

// MavenReactor reads the poms of the reactor whose root pom is root (empty
// means pom.xml): the root first, then its modules depth first, as Maven
// lists them. warn receives a warning for each <module> that does not
// exist (nil drops them).
func MavenReactor(files Files, root string, warn func(string)) ([]MavenModule, error) {
	m := Maven{Root: root, Warn: warn}
	r, err := m.load(files)
	if err != nil {
		return nil, err
	}
	out := make([]MavenModule, 0, len(r.poms))
	for _, p := range r.poms {
		mm := MavenModule{
			Path: p.path, GroupID: p.groupID(), ArtifactID: p.artifact.value,
			Packaging: p.packaging.value, Line: p.artifact.line, Modules: len(p.modules),
		}
		if mm.Packaging == "" {
			mm.Packaging = "jar"
		}
		seen := map[string]bool{}
		for _, ref := range p.refs {
			if ref.managed {
				continue
			}
			if t := r.refTarget(p, ref); t != nil && t != p && !seen[t.ga()] {
				seen[t.ga()] = true
				mm.DependsOn = append(mm.DependsOn, t.ga())
			}
		}
		sort.Strings(mm.DependsOn)
		out = append(out, mm)
	}
	return out, nil
}

// SetMavenDependencies points the dependencies of one pom at new
// versions: versions maps groupId:artifactId to the version each was
// released at. A dependency, managed dependency, plugin or extension of
// the pom that names one of them with a literal version below the new one
// takes it. A version kept in a property (${core.version}), a version
// range ([1.0,2.0)) and a version the pom inherits from a
// dependencyManagement elsewhere are left alone: relman cannot tell what
// else they govern. Only the version text changes.
func SetMavenDependencies(files Files, pomPath string, versions map[string]string) ([]Change, error) {
	pomPath = cleanPath(pomPath)
	data, err := readFile(files, pomPath, "a Maven pom")
	if err != nil {
		return nil, err
	}
	p, err := parsePom(pomPath, data)
	if err != nil {
		return nil, err
	}
	r := &reactor{
		root: p, poms: []*pom{p}, byPath: map[string]*pom{p.path: p}, byGA: map[string]*pom{p.ga(): p},
		parent: map[*pom]*pom{}, resolved: map[*pom]string{}, busy: map[*pom]bool{},
	}
	fe := fileEdits{path: pomPath, old: data}
	for _, ref := range p.refs {
		if !ref.version.present || !ref.version.plain || ref.version.value == "" || strings.ContainsAny(ref.version.value, "$[(,") {
			continue
		}
		group := ref.group.value
		if !ref.group.present && ref.plugin {
			group = "org.apache.maven.plugins"
		}
		g, err1 := r.resolve(p, group, 0)
		a, err2 := r.resolve(p, ref.artifact.value, 0)
		if err1 != nil || err2 != nil {
			continue
		}
		nv, ok := versions[g+":"+a]
		if !ok {
			continue
		}
		if err := checkVersion(nv); err != nil {
			return nil, fmt.Errorf("dependency %s:%s of %s: %w", g, a, pomPath, err)
		}
		if !mavenBefore(ref.version.value, nv) {
			continue
		}
		fe.edits = append(fe.edits, edit{start: ref.version.start, end: ref.version.end, text: nv})
	}
	return changes([]fileEdits{fe}), nil
}

// mavenBefore reports whether version a is below b, for versions both
// read as semantic versions (1.2, 1.2.0, 1.3.0-SNAPSHOT); anything else is
// not compared, and not changed.
func mavenBefore(a, b string) bool {
	va, err := semver.NewVersion(a)
	if err != nil {
		return false
	}
	vb, err := semver.NewVersion(b)
	if err != nil {
		return false
	}
	return va.LessThan(vb)
}
