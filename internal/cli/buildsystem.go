package cli

import (
	"github.com/relman-dev/relman/internal/gitrepo"
)

// buildSystem is the build-system setting resolved: how versions are
// written to files.
type buildSystem struct {
	name string
}

func addBuildSystemSettings(s *settings) {
	s.add("build-system", "simple", "simple (nothing to write), maven (pom.xml) or python (VERSION)")
}

func buildSystemFromSettings(s *settings) (*buildSystem, error) {
	name, err := s.oneOf("build-system", "simple")
	if err != nil {
		return nil, err
	}
	return &buildSystem{name: name}, nil
}

// versionFiles lists the files that carry the version at a commit.
func (b *buildSystem) versionFiles(*gitrepo.TreeFiles) ([]string, error) {
	return nil, nil
}
