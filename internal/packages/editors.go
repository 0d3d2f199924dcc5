package packages

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/relman-dev/relman/internal/versionfile"
)

// Editors returns the editors of the package's own version, in this order:
// its build system (maven: the reactor whose root is pom.xml in its home;
// python: VERSION in its home), for an sfdx package the versionNumber of
// its entry in sfdx-project.json, then its version-files entries, which
// are relative to its home. Every path the editors read, report and
// change is relative to the repository root. A package with nothing to
// edit (build-system simple and no version files, a Go module) gets an
// empty Multi, whose Set changes nothing and whose Current is an error
// wrapping versionfile.ErrNoVersion. warn receives the Maven editor's
// warnings, each once; nil drops them.
func (p Package) Editors(warn func(string)) (versionfile.Multi, error) {
	home := p.Home()
	var m versionfile.Multi
	switch strings.ToLower(strings.TrimSpace(p.BuildSystem)) {
	case "", "simple":
	case "maven":
		m = append(m, versionfile.Maven{Root: path.Join(home, "pom.xml"), Warn: once(warn)})
	case "python":
		m = append(m, versionfile.Python{Path: path.Join(home, "VERSION")})
	default:
		return nil, fmt.Errorf("package %s: unknown build system %q: expected simple, python or maven", p.Name, p.BuildSystem)
	}
	if p.Kind == "sfdx" {
		m = append(m, versionfile.SFDX{Path: versionfile.SFDXFile, Package: p.module()})
	}
	for _, s := range p.VersionFiles {
		if strings.TrimSpace(s) == "" {
			continue
		}
		vf, err := versionfile.ParseVersionFile(s)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", p.Name, err)
		}
		m = append(m, inHome(home, vf))
	}
	return m, nil
}

// module is the name the package's manifest and its dependents' use.
func (p Package) module() string {
	if p.Module != "" {
		return p.Module
	}
	return p.Name
}

// once passes each distinct message to warn once.
func once(warn func(string)) func(string) {
	if warn == nil {
		return nil
	}
	seen := map[string]bool{}
	return func(msg string) {
		if !seen[msg] {
			seen[msg] = true
			warn(msg)
		}
	}
}

// inHome returns e, whose paths are relative to home, as an editor whose
// paths are relative to the repository root.
func inHome(home string, e versionfile.Editor) versionfile.Editor {
	if home == "" {
		return e
	}
	return homeEditor{home: home, e: e}
}

// homeEditor runs an editor in a package's home: it reads through a view
// of the home and reports paths, changes and errors relative to the root.
type homeEditor struct {
	home string
	e    versionfile.Editor
}

func (h homeEditor) Name() string { return h.e.Name() + " in " + h.home + "/" }

func (h homeEditor) Paths(files versionfile.Files) ([]string, error) {
	ps, err := h.e.Paths(subFiles{files, h.home})
	if err != nil {
		return nil, h.err(err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = path.Join(h.home, p)
	}
	return out, nil
}

func (h homeEditor) Current(files versionfile.Files) (string, error) {
	v, err := h.e.Current(subFiles{files, h.home})
	return v, h.err(err)
}

func (h homeEditor) Set(files versionfile.Files, version string) ([]versionfile.Change, error) {
	cs, err := h.e.Set(subFiles{files, h.home}, version)
	if err != nil {
		return nil, h.err(err)
	}
	for i := range cs {
		cs[i].Path = path.Join(h.home, cs[i].Path)
	}
	return cs, nil
}

// err makes the path of a versionfile.FileError relative to the root:
// the editor made it, relative to the home, for this call.
func (h homeEditor) err(err error) error {
	var fe *versionfile.FileError
	if errors.As(err, &fe) {
		fe.Path = path.Join(h.home, fe.Path)
	}
	return err
}

// subFiles reads the files below dir.
type subFiles struct {
	base versionfile.Files
	dir  string
}

func (s subFiles) ReadFile(p string) ([]byte, error) { return s.base.ReadFile(path.Join(s.dir, p)) }
