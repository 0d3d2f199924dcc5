package packages

import (
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/version"
)

// FuzzLoad checks the package config reader on any relman-packages.yml
// (next to an npm workspace, for discover: npm): no panic; on success
// every package has a unique name, a path, a tag pattern with {version}
// once and a dependency bump below major, and comes after the packages
// it depends on.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"packages:\n  - name: core\n    path: core\n",
		"tag-pattern: \"{name}/v{version}\"\ndependency-bump: minor\npackages:\n  - {name: a, paths: [a, b], depends-on: [c]}\n  - {name: c, path: c, build-system: maven, stable-release: y}\n",
		"discover: npm\npackages:\n  - name: web\n    depends-on: []\n  - name: docs\n    path: docs\n    depends-on: [web]\n",
		"packages:\n  - {name: a, path: a, depends-on: [b]}\n  - {name: b, path: b, depends-on: [a]}\n",
		"packages:\n  - name: a\n    path: ../a\n    tag-pattern: \"{x}\"\n    dependency-bump: major\n",
		"discover: go\n", "[]", "packages: {}", "",
	} {
		f.Add(s)
	}
	base := txtarTree(f, "npm")
	f.Fuzz(func(t *testing.T, content string) {
		c, err := Load(base.with(map[string]string{DefaultFile: content}), "")
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, p := range c.Packages {
			if seen[p.Name] || p.Name == "" {
				t.Fatalf("package name %q twice or empty", p.Name)
			}
			if len(p.Paths) == 0 {
				t.Fatalf("package %s has no path", p.Name)
			}
			if strings.Count(p.TagPattern, "{version}") != 1 {
				t.Fatalf("package %s: tag pattern %q", p.Name, p.TagPattern)
			}
			if p.DependencyBump == version.Major {
				t.Fatalf("package %s: dependency-bump major", p.Name)
			}
			for _, d := range p.DependsOn {
				if !seen[d] {
					t.Fatalf("package %s comes before its dependency %s", p.Name, d)
				}
			}
			seen[p.Name] = true
		}
	})
}
