package packages

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// fuzzTree is a tree of one file, the package config.
type fuzzTree map[string]string

func (t fuzzTree) ReadFile(p string) ([]byte, error) {
	if s, ok := t[p]; ok {
		return []byte(s), nil
	}
	return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
}

func (t fuzzTree) ReadDir(dir string) ([]string, error) {
	return nil, fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
}

// FuzzLoad: any package config either loads into packages whose names,
// paths and tag patterns are usable, in dependency order, or is refused
// with a FileError; it never panics.
func FuzzLoad(f *testing.F) {
	f.Add("packages:\n  - name: core\n    path: packages/core\n  - name: ui\n    paths: [ui, shared]\n    depends-on: [core]\n")
	f.Add("tag-pattern: \"{path}/v{version}\"\npackages:\n  - name: a\n    path: a\n    dependency-bump: none\n")
	f.Add("packages:\n  - name: a\n    path: a\n    depends-on: [b]\n  - name: b\n    path: b\n    depends-on: [a]\n")
	f.Add("packages: [{name: x, path: ../x}]")
	f.Fuzz(func(t *testing.T, config string) {
		c, err := Load(fuzzTree{DefaultFile: config}, "")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FileError", err)
			}
			return
		}
		pos := map[string]int{}
		for i, p := range c.Packages {
			pos[p.Name] = i
			if checkName(p.Name) != "" || len(p.Paths) == 0 || checkPattern(p.TagPattern) != "" {
				t.Fatalf("loaded an unusable package %+v", p)
			}
			for _, d := range p.Paths {
				if d == "." || d == ".." || strings.HasPrefix(d, "../") || strings.HasPrefix(d, "/") {
					t.Fatalf("package %s has path %q outside the repository", p.Name, d)
				}
			}
		}
		for i, p := range c.Packages {
			for _, d := range p.DependsOn {
				if j, ok := pos[d]; !ok || j >= i {
					t.Fatalf("package %s depends on %s, which is not before it", p.Name, d)
				}
			}
		}
	})
}
