package releasedef

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/packages"
)

// SFDXFile is the Salesforce DX project file at the repository root.
const SFDXFile = "sfdx-project.json"

// GenericFile is relman's generic artifact manifest at the repository root.
const GenericFile = "relman-artifacts.yml"

// FromPackages is the manifest of a repository of packages, the packages
// relman tag releases one by one: each package is an artifact of the same
// name, whose tags are the package's (its tag-pattern with {path} its
// home directory, as packages.Package.Tags reads them), read in sfp's
// forms too (core_v1.2.0.6 is 1.2.0-6), so that the tags relman tag makes,
// <name>_vX.Y.Z and after a four-part tag <name>_vX.Y.Z.1, and those sfp
// makes pin alike. sfdx, the repository's sfdx-project.json when it has one
// (nil otherwise), gives the artifacts their labels (the "tags" of the
// packageDirectories entry of the same package) and the definition its
// package dependencies: the packageAliases of 04t ids that name none of the
// project's packages, neither the package config's nor sfdx-project.json's
// (as for an sfdx-project.json alone).
func FromPackages(cfg *packages.Config, sfdx *Manifest) *Manifest {
	m := &Manifest{File: cfg.File, Format: Generic}
	labels := map[string][]string{}
	if sfdx != nil {
		m.Format = SFDX
		m.DependencyFile = sfdx.File
		for _, a := range sfdx.Artifacts {
			labels[a.Name] = a.Labels
		}
	}
	own := map[string]bool{}
	for _, p := range cfg.Packages {
		own[p.Name] = true
		m.Artifacts = append(m.Artifacts, Artifact{
			Name:       p.Name,
			Path:       p.Home(),
			TagPattern: PackageTagPattern(p),
			SFPTags:    true,
			Labels:     labels[p.Name],
			Line:       p.Line,
		})
	}
	if sfdx != nil {
		for _, d := range sfdx.Dependencies {
			if base, _, _ := strings.Cut(d.Name, "@"); own[base] {
				continue // a version of one of the packages: it is an artifact
			}
			m.Dependencies = append(m.Dependencies, d)
		}
	}
	return m
}

// PackageTagPattern is the tag pattern of a package as an artifact's:
// {path} replaced by its home directory, as packages.Package.Tags does.
func PackageTagPattern(p packages.Package) string {
	return strings.ReplaceAll(p.TagPattern, "{path}", p.Home())
}

// ReadPackages reads the manifest of a repository of packages at commit
// (named ref in messages): the packages of cfg, with the labels and
// package dependencies of the sfdx-project.json at the commit, if any (see
// FromPackages). A relman-artifacts.yml beside the package config is not
// read: log says so, and how to read it instead.
func ReadPackages(repo ManifestFiles, commit plumbing.Hash, ref string, cfg *packages.Config, log Logger) (*Manifest, error) {
	if log == nil {
		log = nopLog{}
	}
	var sfdx *Manifest
	b, err := repo.ReadFile(commit, SFDXFile)
	switch {
	case err == nil:
		m, _, err := parseSFDX(SFDXFile, b)
		if err != nil {
			return nil, asBadInput(err)
		}
		sfdx = m
	case !errors.Is(err, gitrepo.ErrNoFile):
		return nil, err
	}
	if _, err := repo.ReadFile(commit, GenericFile); err == nil {
		log.Warningf("%s is not read: the artifacts are the packages of %s; to take them from %s, set --manifest %s (or packages: none)", GenericFile, cfg.File, GenericFile, GenericFile)
	} else if !errors.Is(err, gitrepo.ErrNoFile) {
		return nil, err
	}
	m := FromPackages(cfg, sfdx)
	if sfdx != nil {
		var others []string
		for _, a := range sfdx.Artifacts {
			if _, ok := cfg.Find(a.Name); !ok {
				others = append(others, a.Name)
			}
		}
		if len(others) > 0 {
			log.Infof("%s at %s also declares %s, not packages of %s: left out of the release definition", SFDXFile, ref, strings.Join(others, ", "), cfg.File)
		}
	}
	return m, nil
}

// Describe says where a manifest's artifacts come from, for the log.
func (m *Manifest) Describe() string {
	if m.DependencyFile != "" && m.DependencyFile != m.File {
		return fmt.Sprintf("%s (package dependencies from %s)", m.File, m.DependencyFile)
	}
	return m.File
}
