package cli

import (
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/imagepin"
	"github.com/relman-dev/relman/internal/tagstep"
	"github.com/relman-dev/relman/internal/versionfile"
)

// buildSystem is the build-system and version-files settings resolved:
// which files carry the version, and how to edit them.
type buildSystem struct {
	name    string
	editors versionfile.Multi
}

func addBuildSystemSettings(s *settings) {
	s.add("build-system", "simple", "simple (the pipeline commit), maven (every pom of the reactor) or python (VERSION)")
	s.add("version-files", "", "more files that carry the version, comma or newline separated: package.json, gradle.properties, pyproject.toml, Chart.yaml, Cargo.toml, PATH:FORMAT, PATH=REGEX, or PATH:image=REPO[@DIGEST] (the file's REPO:TAG image references, set to the release's tag and digest)")
}

func buildSystemFromSettings(s *settings) (*buildSystem, error) {
	name, err := s.oneOf("build-system", "simple", "maven", "python")
	if err != nil {
		return nil, err
	}
	var files []string
	var pins versionfile.Multi
	for _, f := range strings.FieldsFunc(s.str("version-files"), func(r rune) bool { return r == ',' || r == '\n' }) {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if imagepin.IsEntry(f) {
			p, err := imagepin.Parse(f)
			if err != nil {
				return nil, usagef("version-files: %v", err)
			}
			pins = append(pins, p)
			continue
		}
		files = append(files, f)
	}
	editors, err := versionfile.New(versionfile.Config{BuildSystem: name, VersionFiles: files})
	if err != nil {
		return nil, usagef("version-files: %v", err)
	}
	editors = append(editors, pins...)
	return &buildSystem{name: name, editors: editors}, nil
}

// versionFiles lists the files that carry the version at a commit.
func (b *buildSystem) versionFiles(files *gitrepo.TreeFiles) ([]string, error) {
	if len(b.editors) == 0 {
		return nil, nil
	}
	return b.editors.Paths(files)
}

// tagBuildSystem is what the tag step points the tag at.
func (b *buildSystem) tagBuildSystem(c *job, author func() object.Signature) tagstep.BuildSystem {
	if len(b.editors) == 0 {
		return tagstep.Simple{}
	}
	return tagstep.VersionCommit{Editors: b.editors, Author: author, Log: c.rep}
}
