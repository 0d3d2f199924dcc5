// Package releasedef generates release definitions: for a release name and
// a git commit, the exact version of every artifact of the repository,
// resolved from its version tags reachable from that commit, filtered by a
// release definition config (sfp's release config), in the YAML shape
// sfp's loader (sfp release) reads. Artifacts come from an
// sfdx-project.json or from relman's generic manifest. Generation is
// deterministic: the same inputs give the same bytes.
package releasedef

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrMissingTag is returned when an artifact has no version tag reachable
// from the ref and the config does not say warn or skip.
var ErrMissingTag = errors.New("no version tag reachable from the ref")

// InputError is bad input that is not in a file (a release name, the
// metadata); errors in files are *FileError.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func badInput(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Logger receives what generation has to say.
type Logger interface {
	Infof(format string, args ...any)
	Warningf(format string, args ...any)
}

// Options are the inputs of a release definition.
type Options struct {
	// Name is the release name: the definition's "release" and its file
	// name release-<Name>.yml.
	Name     string
	Config   *Config
	Manifest *Manifest
	// Repo gives the tags; Commit is the ref resolved, Ref as given.
	Repo   Tags
	Commit plumbing.Hash
	Ref    string
	// Metadata is added to the definition's metadata next to ref and
	// commit; values are strings, numbers or booleans.
	Metadata map[string]any
	// ReleaseTrailer marks the release commits of relman's tag step,
	// whose tags count when their parent is in the ref's history (see
	// ResolveOptions); empty: only tags on the ref's history count.
	ReleaseTrailer string
	Log            Logger
}

// Definition is a release definition.
type Definition struct {
	Release string
	// ReleaseConfigName is the config's releaseName; empty when the
	// config has none (sfp then writes none either).
	ReleaseConfigName string
	Metadata          map[string]any
	// SkipIfAlreadyInstalled and SkipArtifactUpdate are always written,
	// with sfp's defaults true and false unless the config says otherwise.
	SkipIfAlreadyInstalled               bool
	SkipArtifactUpdate                   bool
	BaselineOrg                          *string
	Artifacts                            map[string]string
	PackageDependencies                  map[string]string
	PromotePackagesBeforeDeploymentToOrg *string
	Changelog                            *Changelog

	// Pins are the tags behind Artifacts, for reports.
	Pins map[string]Pin
	// Missing lists the selected artifacts left out for want of a tag.
	Missing []string
}

// FileName is the definition's file name.
func FileName(name string) string { return "release-" + name + ".yml" }

var releaseName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)

// CheckName checks a release name, which becomes part of a file name.
func CheckName(name string) error {
	if name == "" {
		return badInput("no release name: set --name, e.g. --name 2024.06")
	}
	if !releaseName.MatchString(name) || strings.Contains(name, "..") {
		return badInput("release name %q: expected letters, digits, '.', '_', '+' and '-' only, starting with a letter or digit (it names the file release-NAME.yml)", name)
	}
	return nil
}

// Generate selects the artifacts and package dependencies the config asks
// for, resolves each artifact's version at the commit, and returns the
// definition. Config mistakes against the manifest (an included name that
// is not there) are *FileError values.
func Generate(ctx context.Context, o Options) (*Definition, error) {
	if err := CheckName(o.Name); err != nil {
		return nil, err
	}
	for k := range o.Metadata {
		if k == "ref" || k == "commit" {
			return nil, badInput("metadata key %q is reserved: relman sets ref and commit itself", k)
		}
	}
	cfg := o.Config
	if cfg == nil {
		cfg = &Config{Lines: map[string]int{}}
	}
	log := o.Log
	if log == nil {
		log = nopLog{}
	}
	arts, err := SelectArtifacts(cfg, o.Manifest, log)
	if err != nil {
		return nil, err
	}
	deps, err := SelectDependencies(cfg, o.Manifest, arts, log)
	if err != nil {
		return nil, err
	}
	res, err := ResolveWith(ctx, ResolveOptions{Repo: o.Repo, Tip: o.Commit, ReleaseTrailer: o.ReleaseTrailer}, arts)
	if err != nil {
		return nil, err
	}
	pins := res.Pins
	d := &Definition{
		Release:                              o.Name,
		Metadata:                             map[string]any{"ref": o.Ref, "commit": o.Commit.String()},
		SkipIfAlreadyInstalled:               true,
		BaselineOrg:                          cfg.BaselineOrg,
		Artifacts:                            map[string]string{},
		PackageDependencies:                  deps,
		PromotePackagesBeforeDeploymentToOrg: cfg.PromotePackagesBeforeDeploymentToOrg,
		Changelog:                            cfg.Changelog,
		Pins:                                 pins,
	}
	if cfg.ReleaseName != nil {
		d.ReleaseConfigName = *cfg.ReleaseName
	}
	if cfg.SkipIfAlreadyInstalled != nil {
		d.SkipIfAlreadyInstalled = *cfg.SkipIfAlreadyInstalled
	}
	if cfg.SkipArtifactUpdate != nil {
		d.SkipArtifactUpdate = *cfg.SkipArtifactUpdate
	}
	for k, v := range o.Metadata {
		d.Metadata[k] = v
	}
	var missing []string
	for _, a := range arts {
		p, ok := pins[a.Name]
		if !ok {
			missing = append(missing, a.Name)
			continue
		}
		d.Artifacts[a.Name] = p.Version
	}
	sort.Strings(missing)
	d.Missing = missing
	if len(missing) > 0 {
		short := o.Commit.String()[:12]
		why := func(n string) string {
			return fmt.Sprintf("%s has no tag like %s reachable from %s (%s): %s", n, exampleTag(arts, n), o.Ref, short, seenTags(arts, n, res.Seen[n], o.Ref))
		}
		switch cfg.OnMissingTag {
		case MissingTagError:
			var lines []string
			for _, n := range missing {
				lines = append(lines, why(n))
			}
			fix := "tag its released version, or set onMissingTag: warn or skip in %s to leave it out"
			if len(missing) > 1 {
				fix = "tag their released versions, or set onMissingTag: warn or skip in %s to leave them out"
			}
			return nil, fmt.Errorf("%w: %s; "+fix, ErrMissingTag, strings.Join(lines, "; "), configFile(cfg))
		case MissingTagWarn:
			for _, n := range missing {
				log.Warningf("%s: left out of the release definition", why(n))
			}
		case MissingTagSkip:
			log.Infof("left out for want of a version tag reachable from %s: %s", o.Ref, strings.Join(missing, ", "))
		}
	}
	if len(d.Artifacts) == 0 {
		log.Warningf("the release definition lists no artifact")
	}
	return d, nil
}

func configFile(c *Config) string {
	if c.File == "" {
		return "the config"
	}
	return c.File
}

func artifactNamed(arts []Artifact, name string) Artifact {
	for _, a := range arts {
		if a.Name == name {
			return a
		}
	}
	return Artifact{Name: name, TagPattern: DefaultTagPattern}
}

func exampleTag(arts []Artifact, name string) string {
	a := artifactNamed(arts, name)
	return strings.NewReplacer("{name}", a.Name, "{version}", newMatcher(a).exampleVersion()).Replace(a.TagPattern)
}

// maxSeen is how many of the tags seen an error names.
const maxSeen = 8

// seenTags says which tags were seen instead of a version tag.
func seenTags(arts []Artifact, name string, seen []Seen, ref string) string {
	m := newMatcher(artifactNamed(arts, name))
	if len(seen) == 0 {
		return fmt.Sprintf("no tag starts with %q", m.Prefix)
	}
	var parts []string
	for i, s := range seen {
		if i == maxSeen {
			parts = append(parts, fmt.Sprintf("and %d more", len(seen)-maxSeen))
			break
		}
		why := s.Why
		if why == "not reachable" {
			why = "not reachable from " + ref
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", s.Tag, why))
	}
	forms := "X.Y.Z or X.Y.Z-B"
	if m.sfp {
		forms = "X.Y.Z, X.Y.Z.B, X.Y.Z.B-ALIGN or X.Y.Z-B"
	}
	return fmt.Sprintf("seen %s; a version tag is %s{version}%s with {version} %s", strings.Join(parts, ", "), m.Prefix, m.Suffix, forms)
}

type nopLog struct{}

func (nopLog) Infof(string, ...any)    {}
func (nopLog) Warningf(string, ...any) {}

// SelectArtifacts applies the artifact filters of the config to the
// manifest: the name filters (includeOnlyArtifacts wins over
// excludeArtifacts, with a warning), then the tag filters against the
// artifacts' labels (includeOnlyArtifactsWithTag wins over
// excludeArtifactsWithTag, with a warning). The result keeps the
// manifest's order.
func SelectArtifacts(c *Config, m *Manifest, log Logger) ([]Artifact, error) {
	if log == nil {
		log = nopLog{}
	}
	l := &errorList{file: configFile(c)}
	byName := map[string]bool{}
	var all []string
	for _, a := range m.Artifacts {
		byName[a.Name] = true
		all = append(all, a.Name)
	}
	keep := func(Artifact) bool { return true }
	switch {
	case len(c.IncludeOnlyArtifacts) > 0:
		if len(c.ExcludeArtifacts) > 0 {
			log.Warningf("%s: includeOnlyArtifacts (line %d) and excludeArtifacts (line %d) are mutually exclusive: includeOnlyArtifacts wins, excludeArtifacts is ignored",
				configFile(c), c.Lines["includeOnlyArtifacts"], c.Lines["excludeArtifacts"])
		}
		want := map[string]bool{}
		for _, e := range c.IncludeOnlyArtifacts {
			if !byName[e.Name] {
				l.add(e.Line, "includeOnlyArtifacts: %s has no artifact %q: expected one of %s", m.File, e.Name, strings.Join(all, ", "))
			}
			want[e.Name] = true
		}
		keep = func(a Artifact) bool { return want[a.Name] }
	case len(c.ExcludeArtifacts) > 0:
		drop := map[string]bool{}
		for _, e := range c.ExcludeArtifacts {
			if !byName[e.Name] {
				log.Warningf("%s:%d: excludeArtifacts: %s has no artifact %q", configFile(c), e.Line, m.File, e.Name)
			}
			drop[e.Name] = true
		}
		keep = func(a Artifact) bool { return !drop[a.Name] }
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	hasAny := func(a Artifact, tags []Entry) bool {
		for _, t := range tags {
			if slices.Contains(a.Labels, t.Name) {
				return true
			}
		}
		return false
	}
	byTag := func(Artifact) bool { return true }
	switch {
	case len(c.IncludeOnlyArtifactsWithTag) > 0:
		if len(c.ExcludeArtifactsWithTag) > 0 {
			log.Warningf("%s: includeOnlyArtifactsWithTag (line %d) and excludeArtifactsWithTag (line %d) are mutually exclusive: includeOnlyArtifactsWithTag wins, excludeArtifactsWithTag is ignored",
				configFile(c), c.Lines["includeOnlyArtifactsWithTag"], c.Lines["excludeArtifactsWithTag"])
		}
		byTag = func(a Artifact) bool { return hasAny(a, c.IncludeOnlyArtifactsWithTag) }
	case len(c.ExcludeArtifactsWithTag) > 0:
		byTag = func(a Artifact) bool { return !hasAny(a, c.ExcludeArtifactsWithTag) }
	}
	var out []Artifact
	for _, a := range m.Artifacts {
		if !keep(a) {
			continue
		}
		if !byTag(a) {
			if len(c.IncludeOnlyArtifacts) > 0 {
				log.Infof("%s is in includeOnlyArtifacts but its tags leave it out", a.Name)
			}
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// SelectDependencies returns the package dependencies of the definition:
// the manifest's project-wide ones and those of the selected artifacts,
// filtered by includeOnlyPackageDependencies (which wins, with a warning)
// or excludePackageDependencies; none with excludeAllPackageDependencies.
func SelectDependencies(c *Config, m *Manifest, arts []Artifact, log Logger) (map[string]string, error) {
	if log == nil {
		log = nopLog{}
	}
	l := &errorList{file: configFile(c)}
	type dep struct {
		id   string
		from string
		line int
	}
	all := map[string]dep{}
	ml := &errorList{file: m.dependencyFile()}
	add := func(d Dependency, from string) {
		if prev, ok := all[d.Name]; ok && prev.id != d.ID {
			ml.add(d.Line, "dependency %q is pinned to %q here (%s) and to %q at line %d (%s): pin one version", d.Name, d.ID, from, prev.id, prev.line, prev.from)
			return
		}
		all[d.Name] = dep{id: d.ID, from: from, line: d.Line}
	}
	for _, d := range m.Dependencies {
		add(d, "packageAliases")
	}
	for _, a := range arts {
		for _, d := range a.Dependencies {
			add(d, a.Name)
		}
	}
	if err := ml.err(); err != nil {
		return nil, err
	}
	out := map[string]string{}
	if c.ExcludeAllPackageDependencies {
		if len(c.IncludeOnlyPackageDependencies) > 0 {
			l.add(c.Lines["excludeAllPackageDependencies"], "excludeAllPackageDependencies: true contradicts includeOnlyPackageDependencies (line %d): keep one", c.Lines["includeOnlyPackageDependencies"])
			return nil, l.err()
		}
		return out, nil
	}
	known := func() string {
		var n []string
		for k := range all {
			n = append(n, k)
		}
		sort.Strings(n)
		if len(n) == 0 {
			return "none (the manifest pins no package dependency)"
		}
		return strings.Join(n, ", ")
	}
	switch {
	case len(c.IncludeOnlyPackageDependencies) > 0:
		if len(c.ExcludePackageDependencies) > 0 {
			log.Warningf("%s: includeOnlyPackageDependencies (line %d) and excludePackageDependencies (line %d) are mutually exclusive: includeOnlyPackageDependencies wins, excludePackageDependencies is ignored",
				configFile(c), c.Lines["includeOnlyPackageDependencies"], c.Lines["excludePackageDependencies"])
		}
		for _, e := range c.IncludeOnlyPackageDependencies {
			d, ok := all[e.Name]
			if !ok {
				l.add(e.Line, "includeOnlyPackageDependencies: no package dependency %q in %s for the selected artifacts: expected one of %s", e.Name, m.dependencyFile(), known())
				continue
			}
			out[e.Name] = d.id
		}
	default:
		drop := map[string]bool{}
		for _, e := range c.ExcludePackageDependencies {
			if _, ok := all[e.Name]; !ok {
				log.Warningf("%s:%d: excludePackageDependencies: no package dependency %q in %s", configFile(c), e.Line, e.Name, m.dependencyFile())
			}
			drop[e.Name] = true
		}
		for k, d := range all {
			if !drop[k] {
				out[k] = d.id
			}
		}
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	return out, nil
}
