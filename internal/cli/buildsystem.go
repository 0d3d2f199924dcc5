package cli

import (
	"strings"

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

// buildSystemOptions are the build-system and version-files settings.
type buildSystemOptions struct{ name, versionFiles string }

func addBuildSystemSettings(s *settings, o *buildSystemOptions) {
	s.addEnum("build-system", "simple", "simple (the pipeline commit), maven (every pom of the reactor) or python (VERSION)", []string{"simple", "maven", "python"}).to(&o.name)
	s.add("version-files", "", "more files that carry the version, comma or newline separated: package.json, gradle.properties, pyproject.toml, Chart.yaml, Cargo.toml, PATH:FORMAT, PATH=REGEX, or PATH:image=REPO[@DIGEST] (the file's REPO:TAG image references, set to the release's tag and digest)").to(&o.versionFiles)
}

func buildSystemFromSettings(c *job, o buildSystemOptions) (*buildSystem, error) {
	s, name := c.s, o.name
	var files []string
	var pins versionfile.Multi
	for _, f := range splitVersionFiles(o.versionFiles) {
		if imagepin.IsEntry(f) {
			p, err := imagepin.Parse(f)
			if err != nil {
				return nil, usagef("%s: %v", s.named("version-files"), err)
			}
			pins = append(pins, p)
			continue
		}
		files = append(files, f)
	}
	editors, err := versionfile.New(versionfile.Config{
		BuildSystem: name, VersionFiles: files,
		Warn: func(msg string) { c.rep.Warningf("%s", msg) },
	})
	if err != nil {
		return nil, usagef("%s: %v", s.named("version-files"), err)
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
func (b *buildSystem) tagBuildSystem(c *job, id identity) tagstep.BuildSystem {
	if len(b.editors) == 0 {
		return tagstep.Simple{}
	}
	return tagstep.VersionCommit{Editors: b.editors, Author: id.author, Committer: id.committer, Log: c.rep}
}

// splitVersionFiles splits the version-files setting at newlines and at
// commas, but not at a comma inside the braces, brackets or parentheses of
// a PATH=REGEX pattern ("f.txt=v([0-9]{1,3})" is one item), nor at an
// escaped one ("\,").
func splitVersionFiles(v string) []string {
	var out []string
	var cur strings.Builder
	depth, class, escaped, regex := 0, false, false, false
	flush := func() {
		if f := strings.TrimSpace(cur.String()); f != "" {
			out = append(out, f)
		}
		cur.Reset()
		depth, class, escaped, regex = 0, false, false, false
	}
	for _, r := range v {
		switch {
		case r == '\n':
			flush()
			continue
		case !regex:
			// A path: up to the "=" of PATH=REGEX.
			if r == ',' {
				flush()
				continue
			}
			regex = r == '='
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case class:
			class = r != ']'
		case r == '[':
			class = true
		case r == '(' || r == '{':
			depth++
		case (r == ')' || r == '}') && depth > 0:
			depth--
		case r == ',' && depth == 0:
			flush()
			continue
		}
		cur.WriteRune(r)
	}
	flush()
	return out
}
