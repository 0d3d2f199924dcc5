package releasedef

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// DefaultTagPattern is the tag of an artifact's version unless its manifest
// says otherwise; it is the sfdx/sfp convention (core_v1.4.0-12).
const DefaultTagPattern = "{name}_v{version}"

// Artifact is one deployable unit whose version is pinned from git tags.
type Artifact struct {
	Name string
	Path string
	// TagPattern is the name of its version tags, with {name} and
	// {version} placeholders.
	TagPattern string
	// SFPTags says that the {version} of its tags may also be in sfp's
	// forms, 1.2.0.6 and 1.2.0.6-ALIGN (sfdx packages).
	SFPTags bool
	// Labels are matched by includeOnlyArtifactsWithTag and
	// excludeArtifactsWithTag.
	Labels []string
	// Dependencies are external dependencies pinned by this artifact
	// (generic manifests only), name to version or id.
	Dependencies []Dependency
	Line         int
}

// Dependency is an external dependency pinned to a version or package id.
type Dependency struct {
	Name string
	ID   string
	Line int
}

// Format is the kind of manifest the artifacts come from.
type Format int

const (
	// SFDX is a Salesforce sfdx-project.json.
	SFDX Format = iota
	// Generic is relman's artifact manifest (YAML).
	Generic
)

func (f Format) String() string { return [...]string{"sfdx-project.json", "generic manifest"}[f] }

// Manifest is the list of artifacts of a repository.
type Manifest struct {
	File      string
	Format    Format
	Artifacts []Artifact
	// Dependencies are the project-wide package dependencies
	// (sfdx-project.json: packageAliases whose value is a 04t id).
	Dependencies []Dependency
	// DependencyFile is where Dependencies are read from when it is not
	// File (the packages of a package config take theirs from
	// sfdx-project.json); empty: File.
	DependencyFile string
}

// dependencyFile is the file of the manifest's project-wide dependencies.
func (m *Manifest) dependencyFile() string {
	if m.DependencyFile != "" {
		return m.DependencyFile
	}
	return m.File
}

// FormatOf tells the manifest format from a file name: .json is an
// sfdx-project.json, .yml and .yaml a generic manifest.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return SFDX, nil
	case ".yml", ".yaml":
		return Generic, nil
	}
	return 0, fmt.Errorf("manifest %s: unknown format: expected an sfdx-project.json (.json) or a generic artifact manifest (.yml or .yaml)", name)
}

// ParseManifest reads a manifest in the format its name says.
func ParseManifest(file string, data []byte) (*Manifest, error) {
	f, err := FormatOf(file)
	if err != nil {
		return nil, err
	}
	if f == SFDX {
		return ParseSFDX(file, data)
	}
	return ParseGeneric(file, data)
}

const genericShape = `expected a mapping with "artifacts" (a list of {name, path, tagPattern, labels, dependencies}) and optionally "tagPattern"`

const artifactShape = `expected keys: name (required), path, tagPattern (with {version}, e.g. "{name}_v{version}"), labels (a list of strings), dependencies (a mapping of name to pinned version)`

// ParseGeneric reads relman's generic artifact manifest:
//
//	tagPattern: "{name}/v{version}"   # optional, the default of every artifact
//	artifacts:
//	  - name: api
//	    path: services/api
//	    tagPattern: "api-{version}"   # optional
//	    labels: [backend]
//	    dependencies:
//	      libpq: "16.2"
func ParseGeneric(file string, data []byte) (*Manifest, error) {
	m := &Manifest{File: file, Format: Generic}
	l := &errorList{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FileError{File: file, Line: yamlErrorLine(err), Msg: fmt.Sprintf("not valid YAML: %s", yamlErrorText(err))}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &FileError{File: file, Msg: "empty manifest: " + genericShape}
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		l.add(root.Line, "found %s; %s", describe(root), genericShape)
		return nil, l.err()
	}
	defPattern := DefaultTagPattern
	var arts *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolveAlias(root.Content[i+1])
		switch k.Value {
		case "tagPattern":
			if s, ok := str(l, "tagPattern", v); ok {
				if err := checkPattern(s); err != nil {
					l.add(v.Line, "tagPattern: %v", err)
				} else {
					defPattern = s
				}
			}
		case "artifacts":
			arts = v
		default:
			l.add(k.Line, "unknown key %q; %s", k.Value, genericShape)
		}
	}
	if arts == nil {
		l.add(root.Line, "no artifacts: %s", genericShape)
		return nil, l.err()
	}
	if arts.Kind != yaml.SequenceNode {
		l.add(arts.Line, "artifacts: expected a list, found %s; %s", describe(arts), artifactShape)
		return nil, l.err()
	}
	seen := map[string]int{}
	for _, n := range arts.Content {
		n = resolveAlias(n)
		if n.Kind != yaml.MappingNode {
			l.add(n.Line, "artifact: expected a mapping, found %s; %s", describe(n), artifactShape)
			continue
		}
		a := Artifact{TagPattern: defPattern, Line: n.Line}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], resolveAlias(n.Content[i+1])
			switch k.Value {
			case "name":
				if s, ok := nonEmpty(l, "name", v); ok {
					if err := checkName(s); err != nil {
						l.add(v.Line, "name: %v", err)
					}
					a.Name = s
				}
			case "path":
				if s, ok := str(l, "path", v); ok {
					a.Path = s
				}
			case "tagPattern":
				if s, ok := str(l, "tagPattern", v); ok {
					if err := checkPattern(s); err != nil {
						l.add(v.Line, "tagPattern: %v", err)
					} else {
						a.TagPattern = s
					}
				}
			case "labels":
				for _, e := range names(l, "labels", v) {
					a.Labels = append(a.Labels, e.Name)
				}
			case "dependencies":
				a.Dependencies = dependencies(l, v)
			default:
				l.add(k.Line, "unknown key %q in an artifact; %s", k.Value, artifactShape)
			}
		}
		if a.Name == "" {
			l.add(n.Line, "artifact without a name; %s", artifactShape)
			continue
		}
		if prev, dup := seen[a.Name]; dup {
			l.add(n.Line, "artifact %q is listed twice (first at line %d)", a.Name, prev)
			continue
		}
		seen[a.Name] = n.Line
		m.Artifacts = append(m.Artifacts, a)
	}
	for _, a := range m.Artifacts {
		for _, d := range a.Dependencies {
			if _, local := seen[d.Name]; local {
				l.add(d.Line, "dependency %q of %s is an artifact of this manifest: its version comes from its tags; remove it from dependencies", d.Name, a.Name)
			}
		}
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	if len(m.Artifacts) == 0 {
		return nil, &FileError{File: file, Line: arts.Line, Msg: "artifacts: the list is empty; " + artifactShape}
	}
	return m, nil
}

func dependencies(l *errorList, v *yaml.Node) []Dependency {
	if v.Kind != yaml.MappingNode {
		l.add(v.Line, "dependencies: expected a mapping of name to pinned version, found %s", describe(v))
		return nil
	}
	var out []Dependency
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], resolveAlias(v.Content[i+1])
		if seen[k.Value] {
			l.add(k.Line, "dependency %q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" || val.Tag == "!!bool" || strings.TrimSpace(val.Value) == "" {
			l.add(val.Line, "dependency %q: expected a pinned version or id, found %s", k.Value, describe(val))
			continue
		}
		out = append(out, Dependency{Name: k.Value, ID: val.Value, Line: k.Line})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// checkName refuses artifact names that cannot be part of a tag name.
func checkName(s string) error {
	if strings.ContainsAny(s, " \t\r\n{}*?[\\^~:") {
		return fmt.Errorf("%q: expected a name without spaces, braces or the characters * ? [ \\ ^ ~ : that git refuses in tags", s)
	}
	return nil
}

// checkPattern checks a tag pattern: {version} exactly once, only the
// {name} and {version} placeholders.
func checkPattern(p string) error {
	if n := strings.Count(p, "{version}"); n != 1 {
		return fmt.Errorf("%q: expected {version} exactly once, e.g. \"{name}_v{version}\"", p)
	}
	rest := strings.NewReplacer("{version}", "", "{name}", "").Replace(p)
	if strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("%q: unknown placeholder: expected only {name} and {version}", p)
	}
	if strings.ContainsAny(rest, " \t\r\n*?[\\^~:") {
		return fmt.Errorf("%q: expected no spaces or * ? [ \\ ^ ~ : (git refuses them in tags)", p)
	}
	return nil
}
