package packages

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/version"
)

// cfg is a config package as parsePackage makes it.
func cfg(name string, line int, paths ...string) Package {
	return Package{Name: name, Paths: paths, TagPattern: PatternSFP, BuildSystem: "simple", DependencyBump: version.Patch, Kind: "config", Line: line}
}

func TestLoad(t *testing.T) {
	npm := txtarTree(t, "npm")
	tests := []struct {
		name    string
		tree    tree
		setting string
		file    string
		want    []Package
	}{
		{
			name: "every key",
			tree: tree{DefaultFile: `# the packages
tag-pattern: "{name}/v{version}"
dependency-bump: minor
packages:
  - name: api
    path: services/api/
    build-system: maven
    depends-on: [core]
  - name: core
    paths: [lib/core, ./proto]
    version-files: [package.json, "VERSION.txt=^(.+)$"]
    dependency-bump: none
    stable-release: "yes"
  - name: web
    path: web
    tag-pattern: "web-{version}"
    build-system: python
    depends-on: api
`},
			file: DefaultFile,
			want: []Package{
				{Name: "core", Paths: []string{"lib/core", "proto"}, TagPattern: "{name}/v{version}", BuildSystem: "simple",
					VersionFiles: []string{"package.json", "VERSION.txt=^(.+)$"}, DependencyBump: version.None, Stable: true, Kind: "config", Line: 9},
				{Name: "api", Paths: []string{"services/api"}, TagPattern: "{name}/v{version}", BuildSystem: "maven",
					DependsOn: []string{"core"}, DependencyBump: version.Minor, Kind: "config", Line: 5},
				{Name: "web", Paths: []string{"web"}, TagPattern: "web-{version}", BuildSystem: "python",
					DependsOn: []string{"api"}, DependencyBump: version.Minor, Kind: "config", Line: 14},
			},
		},
		{
			name: "another file, defaults",
			tree: tree{"ci/packages.yaml": "packages:\n  - {name: b, path: b}\n  - {name: a, path: a}\n"}, setting: " ./ci/packages.yaml ",
			file: "ci/packages.yaml",
			want: []Package{cfg("a", 3, "a"), cfg("b", 2, "b")},
		},
		{
			name: "discover, refine and add",
			tree: npm.with(map[string]string{DefaultFile: `discover: npm
dependency-bump: minor
packages:
  - name: "@acme/ui"
    tag-pattern: "ui-v{version}"
    dependency-bump: patch
    stable-release: true
  - name: web
    depends-on: ["@acme/ui"]
    paths: [apps/web, apps/shared]
  - name: docs
    path: docs
    depends-on: [web]
`}),
			file: DefaultFile,
			want: []Package{
				{Name: "@acme/tokens", Paths: []string{"packages/tokens"}, TagPattern: PatternNPM, BuildSystem: "simple", VersionFiles: []string{"package.json"},
					DependencyBump: version.Minor, Kind: "npm", Module: "@acme/tokens"},
				{Name: "@acme/ui", Paths: []string{"packages/ui"}, TagPattern: "ui-v{version}", BuildSystem: "simple", VersionFiles: []string{"package.json"},
					DependsOn: []string{"@acme/tokens"}, DependencyBump: version.Patch, Stable: true, Kind: "npm", Module: "@acme/ui", Line: 4},
				{Name: "@acme/util", Paths: []string{"packages/util"}, TagPattern: PatternNPM, BuildSystem: "simple", DependencyBump: version.Minor, Kind: "npm", Module: "@acme/util"},
				{Name: "web", Paths: []string{"apps/web", "apps/shared"}, TagPattern: PatternNPM, BuildSystem: "simple", VersionFiles: []string{"package.json"},
					DependsOn: []string{"@acme/ui"}, DependencyBump: version.Minor, Kind: "npm", Module: "web", Line: 8},
				{Name: "docs", Paths: []string{"docs"}, TagPattern: PatternSFP, BuildSystem: "simple", DependsOn: []string{"web"},
					DependencyBump: version.Minor, Kind: "config", Line: 11},
			},
		},
		{
			name: "discover with a top-level tag pattern",
			tree: txtarTree(t, "go").with(map[string]string{DefaultFile: "discover: go\ntag-pattern: \"{name}@v{version}\"\n"}),
			file: DefaultFile,
			want: []Package{
				{Name: "lib", Paths: []string{"lib"}, TagPattern: "{name}@v{version}", BuildSystem: "simple", DependencyBump: version.Patch, Kind: "go", Module: "example.com/repo/lib"},
				{Name: "api/v2", Paths: []string{"api/v2"}, TagPattern: "{name}@v{version}", BuildSystem: "simple", DependsOn: []string{"lib"}, DependencyBump: version.Patch, Kind: "go", Module: "example.com/repo/api/v2"},
				{Name: "tools/gen", Paths: []string{"tools/gen"}, TagPattern: "{name}@v{version}", BuildSystem: "simple", DependsOn: []string{"api/v2", "lib"}, DependencyBump: version.Patch, Kind: "go", Module: "example.com/repo/tools/gen"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.tree, tc.setting)
			if err != nil {
				t.Fatal(err)
			}
			if c.File != tc.file {
				t.Errorf("File = %q, want %q", c.File, tc.file)
			}
			if diff := cmp.Diff(tc.want, c.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}

	if _, err := Load(tree{"README.md": "x"}, ""); !errors.Is(err, ErrNoPackages) {
		t.Errorf("no config: %v, want ErrNoPackages", err)
	}
	if _, err := Load(tree{"README.md": "x"}, "  "); !errors.Is(err, ErrNoPackages) {
		t.Errorf("blank setting: %v, want ErrNoPackages", err)
	}
}

// TestDependencyOrder checks that dependencies come before the packages
// that depend on them, ties by name, whatever the order of the config.
func TestDependencyOrder(t *testing.T) {
	tests := []struct {
		name string
		deps map[string][]string // package → depends-on, listed in this order: z.. first
		want []string
	}{
		{name: "independent, by name", deps: map[string][]string{"c": nil, "a": nil, "b": nil}, want: []string{"a", "b", "c"}},
		{name: "chain", deps: map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, want: []string{"c", "b", "a"}},
		{name: "diamond", deps: map[string][]string{"app": {"ui", "api"}, "ui": {"core"}, "api": {"core"}, "core": nil, "docs": nil},
			want: []string{"core", "api", "ui", "app", "docs"}},
		{name: "deep first", deps: map[string][]string{"a": {"z"}, "b": nil, "z": {"y"}, "y": nil}, want: []string{"y", "z", "a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("packages:\n")
			var names []string
			for n := range tc.deps {
				names = append(names, n)
			}
			// list them in reverse order of name, so that the input order
			// is not the answer
			for i := 0; i < len(names); i++ {
				for j := i + 1; j < len(names); j++ {
					if names[j] > names[i] {
						names[i], names[j] = names[j], names[i]
					}
				}
			}
			for _, n := range names {
				b.WriteString("  - name: " + n + "\n    path: " + n + "\n")
				if d := tc.deps[n]; len(d) > 0 {
					b.WriteString("    depends-on: [" + strings.Join(d, ", ") + "]\n")
				}
			}
			c, err := Load(tree{DefaultFile: b.String()}, "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Names()); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

// atLine matches an error of the package config at a line.
var atLine = regexp.MustCompile(`^relman-packages\.yml:[0-9]+: `)

func TestLoadErrors(t *testing.T) {
	one := func(extra string) tree {
		return tree{DefaultFile: "packages:\n  - name: core\n    path: core\n" + extra}
	}
	tests := []struct {
		name    string
		tree    tree
		setting string
		want    string
	}{
		{name: "outside the repository", setting: "../packages.yml",
			want: `packages: "../packages.yml" is outside the repository: give a path relative to its root, or one of sfdx, npm, maven, go`},
		{name: "absolute", setting: "/etc/packages.yml", want: `packages: "/etc/packages.yml" is outside the repository`},
		{name: "missing named file", tree: tree{}, setting: "ci/packages.yml",
			want: "packages: ci/packages.yml is not in the pipeline commit: commit it, or set packages to one of sfdx, npm, maven, go to discover the packages"},
		{name: "too large", tree: tree{DefaultFile: "packages:\n" + strings.Repeat("#", 1<<20)},
			want: "relman-packages.yml: 1048586 bytes, over the 1 MiB a package config may have"},
		{name: "not yaml", tree: tree{DefaultFile: "packages: [\n"}, want: "relman-packages.yml: not YAML: yaml: line 1: did not find expected node content"},
		{name: "empty", tree: tree{DefaultFile: "# nothing\n"},
			want: "relman-packages.yml: empty: list the packages under packages:, or remove the file to release the repository as one package"},
		{name: "not a mapping", tree: tree{DefaultFile: "- core\n"},
			want: "relman-packages.yml:1: expected a mapping with the keys discover, tag-pattern, dependency-bump, packages"},
		{name: "unknown key", tree: one("tags: x\n"),
			want: `relman-packages.yml:4: unknown key "tags": expected discover, tag-pattern, dependency-bump, packages`},
		{name: "key twice", tree: one("tag-pattern: \"{name}-{version}\"\ntag-pattern: \"{name}-{version}\"\n"),
			want: "relman-packages.yml:5: tag-pattern is given twice (first at line 4)"},
		{name: "unknown discovery", tree: one("discover: cargo\n"),
			want: `relman-packages.yml:4: discover: "cargo" is not a package manager relman reads: expected one of sfdx, npm, maven, go`},
		{name: "discovery fails", tree: one("discover: npm\n"),
			want: "relman-packages.yml:4: packages npm: there is no package.json at the repository root"},
		{name: "no version in tag-pattern", tree: one("tag-pattern: \"{name}\"\n"),
			want: `relman-packages.yml:4: tag-pattern "{name}": needs {version} exactly once, e.g. {name}_v{version}, {name}/v{version}, {name}@{version} or {path}/v{version}`},
		{name: "unknown placeholder", tree: one("tag-pattern: \"{module}-{version}\"\n"),
			want: `relman-packages.yml:4: tag-pattern "{module}-{version}": knows only the placeholders {name}, {path} and {version}`},
		{name: "tag-pattern no tag can hold", tree: one("tag-pattern: \"{name} {version}\"\n"),
			want: `relman-packages.yml:4: tag-pattern "{name} {version}": cannot be part of a git tag name`},
		{name: "dependency-bump major", tree: one("dependency-bump: major\n"),
			want: "relman-packages.yml:4: dependency-bump: major is not allowed: a dependency's release never makes a major release of the packages that use it; expected patch, minor or none"},
		{name: "dependency-bump unknown", tree: one("    dependency-bump: big\n"),
			want: `relman-packages.yml:4: dependency-bump "big": expected patch (the default), minor or none`},
		{name: "dependency-bump not a string", tree: one("    dependency-bump: [minor]\n"),
			want: "relman-packages.yml:4: dependency-bump: expected a string"},
		{name: "packages not a list", tree: tree{DefaultFile: "packages:\n  core: core\n"},
			want: "relman-packages.yml:2: packages: expected a list of packages, each a mapping with the keys name, path, paths, tag-pattern, build-system, version-files, depends-on, dependency-bump, stable-release"},
		{name: "package not a mapping", tree: tree{DefaultFile: "packages:\n  - core\n"},
			want: "relman-packages.yml:2: a package is a mapping with the keys name, path, paths"},
		{name: "no packages", tree: tree{DefaultFile: "tag-pattern: \"{name}-{version}\"\n"},
			want: "relman-packages.yml:1: no packages: list them under packages: (name and path each), or set discover: to one of sfdx, npm, maven, go"},
		{name: "no name", tree: tree{DefaultFile: "packages:\n  - path: core\n"},
			want: "relman-packages.yml:2: a package needs a name: (it names its tags: {name}_v{version})"},
		{name: "bad name", tree: tree{DefaultFile: "packages:\n  - name: -core\n    path: core\n"},
			want: `relman-packages.yml:2: name "-core": cannot be part of a git tag name (no spaces, ~ ^ : ? * [ \ { }, .., or a leading -)`},
		{name: "control character in a name", tree: tree{DefaultFile: "packages:\n  - name: \"co\\tre\"\n    path: core\n"},
			want: `relman-packages.yml:2: name "co\tre": has a control character`},
		{name: "no path", tree: tree{DefaultFile: "packages:\n  - name: core\n"},
			want: "relman-packages.yml:2: package core has no path: set path: (its directory, relative to the repository root)"},
		{name: "path outside", tree: tree{DefaultFile: "packages:\n  - name: core\n    path: ../core\n"},
			want: `relman-packages.yml:3: path "../core" is outside the repository: give it relative to the repository root`},
		{name: "path is the root", tree: tree{DefaultFile: "packages:\n  - name: core\n    path: ./\n"},
			want: `relman-packages.yml:3: path "./" is the whole repository: a package is a directory in it (without a package config the repository is released as one package)`},
		{name: "path in .git", tree: tree{DefaultFile: "packages:\n  - name: core\n    path: .git/hooks\n"},
			want: `relman-packages.yml:3: path ".git/hooks" is inside .git`},
		{name: "paths not a list", tree: tree{DefaultFile: "packages:\n  - name: core\n    paths: {a: b}\n"},
			want: "relman-packages.yml:2: package core has no path: set path: (its directory, relative to the repository root)\nrelman-packages.yml:3: paths: expected a list of strings"},
		{name: "paths entry empty", tree: tree{DefaultFile: "packages:\n  - name: core\n    paths:\n      - core\n      - \"\"\n"},
			want: "relman-packages.yml:5: paths: expected a list of strings"},
		{name: "path and paths", tree: tree{DefaultFile: "packages:\n  - name: core\n    path: core\n    paths: [lib]\n"},
			want: "relman-packages.yml:4: package core has both path and paths: use paths (the first is its home) or path alone"},
		{name: "bad package tag-pattern", tree: one("    tag-pattern: \"{name}-{version}-{version}\"\n"),
			want: `relman-packages.yml:4: tag-pattern "{name}-{version}-{version}": needs {version} exactly once`},
		{name: "bad build-system", tree: one("    build-system: gradle\n"),
			want: `relman-packages.yml:4: build-system "gradle": expected simple, maven (pom.xml in the package's directory) or python (VERSION in it)`},
		{name: "bad stable-release", tree: one("    stable-release: maybe\n"),
			want: "relman-packages.yml:4: stable-release: "},
		{name: "unknown package key", tree: one("    version: 1.0.0\n"),
			want: `relman-packages.yml:4: unknown key "version" in a package: expected name, path, paths, tag-pattern, build-system, version-files, depends-on, dependency-bump, stable-release`},
		{name: "package key twice", tree: one("    path: other\n"),
			want: "relman-packages.yml:4: path is given twice (first at line 3)"},
		{name: "declared twice", tree: one("  - name: core\n    path: other\n"),
			want: "relman-packages.yml:4: package core is declared twice (first at line 2)"},
		{name: "refined twice", tree: txtarTree(t, "npm").with(map[string]string{DefaultFile: "discover: npm\npackages:\n  - name: web\n    dependency-bump: none\n  - name: web\n    stable-release: true\n"}),
			want: "relman-packages.yml:5: package web is refined twice (first at line 3): give its settings in one entry"},
		{name: "tags alike", tree: one("  - name: web\n    path: web\n    tag-pattern: \"core_v{version}\"\n"),
			want: "relman-packages.yml:4: the tags of web (core_v1.0.0) read as tags of core ({name}_v{version}): give one of them another tag-pattern"},
		{name: "unknown dependency", tree: one("    depends-on: [util, api]\n  - name: api\n    path: api\n"),
			want: "relman-packages.yml:2: package core depends on util, which is not a package here: expected one of api, core"},
		{name: "depends on itself", tree: one("    depends-on: core\n"),
			want: "relman-packages.yml:2: package core depends on itself"},
		{name: "cycle", tree: tree{DefaultFile: `packages:
  - {name: a, path: a, depends-on: [b]}
  - {name: b, path: b, depends-on: [c]}
  - {name: c, path: c, depends-on: [a]}
  - {name: d, path: d}
`},
			want: "relman-packages.yml: the dependencies form a cycle: a → b → c → a; a package cannot be released before itself, so remove one of these depends-on"},
		{name: "every error at once, by line", tree: tree{DefaultFile: "packages:\n  - name: a\n    path: /abs\n    build-system: ant\n  - name: b\n"},
			want: "relman-packages.yml:3: path \"/abs\" is outside the repository: give it relative to the repository root\n" +
				"relman-packages.yml:4: build-system \"ant\": expected simple, maven (pom.xml in the package's directory) or python (VERSION in it)\n" +
				"relman-packages.yml:5: package b has no path: set path: (its directory, relative to the repository root)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.tree
			if tr == nil {
				tr = tree{}
			}
			c, err := Load(tr, tc.setting)
			if err == nil {
				t.Fatalf("no error; packages %v", c.Names())
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to start with:\n%s", err, tc.want)
			}
			var fe *FileError
			if atLine.MatchString(tc.want) && !errors.As(err, &fe) {
				t.Errorf("%v is not a FileError", err)
			}
		})
	}
}

func TestPackageHelpers(t *testing.T) {
	c := &Config{Packages: []Package{
		{Name: "core", Paths: []string{"lib/core", "proto/core.proto"}},
		{Name: "web", Paths: []string{"web"}},
	}}
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"lib/core/a.go", []string{"core"}},
		{"lib/core", []string{"core"}},
		{"lib/corex/a.go", nil},
		{"proto/core.proto", []string{"core"}},
		{"web/index.html", []string{"web"}},
		{"README.md", nil},
	} {
		if got := c.Owners(tc.file); !cmp.Equal(got, tc.want) {
			t.Errorf("Owners(%s) = %q, want %q", tc.file, got, tc.want)
		}
	}
	if p, ok := c.Find("web"); !ok || p.Home() != "web" {
		t.Errorf("Find(web) = %v, %v", p, ok)
	}
	if _, ok := c.Find("nope"); ok {
		t.Error("Find(nope) found a package")
	}
	if got := (&FileError{File: "f.yml", Msg: "m"}).Error(); got != "f.yml: m" {
		t.Errorf("FileError without a line: %q", got)
	}
}
