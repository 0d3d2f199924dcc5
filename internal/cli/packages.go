package cli

import (
	"errors"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/packages"
)

// addPackagesSetting adds the packages setting, bound to v.
func addPackagesSetting(s *settings, v *string) {
	s.add("packages", "", "the repository's packages, each released on its own: empty (relman-packages.yml at the root when there is one, else one package), none (one package), sfdx, npm, maven or go (the packages that package manager declares), or the path of a package config").to(v)
}

// loadPackages reads the packages of the pipeline commit; nil means the
// repository is released as one package. A bad package config is bad
// configuration (exit 2).
func loadPackages(repo *gitrepo.Repo, head plumbing.Hash, setting string) (*packages.Config, error) {
	if setting == "none" {
		return nil, nil
	}
	files, err := repo.Files(head)
	if err != nil {
		return nil, err
	}
	cfg, err := packages.Load(files, setting)
	if errors.Is(err, packages.ErrNoPackages) {
		return nil, nil
	}
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}
