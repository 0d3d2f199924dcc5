package packages

import (
	"errors"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/version"
)

// pkg is a discovered package as the tests expect it.
func pkg(kind, name, dir, pattern, module string, deps ...string) Package {
	p := discovered(kind, name, dir, pattern, module)
	p.DependsOn = deps
	return p
}

func TestDiscover(t *testing.T) {
	withVersion := func(p Package) Package { p.VersionFiles = []string{"package.json"}; return p }
	maven := func(p Package) Package { p.BuildSystem = "maven"; return p }
	tests := []struct {
		name, tree, kind string
		want             []Package
		// tags are the packages' tags of 1.2.0, in order
		tags []string
	}{
		{
			name: "sfdx", tree: "sfdx", kind: "sfdx",
			want: []Package{
				pkg("sfdx", "core", "src/core", PatternSFP, "core"),
				pkg("sfdx", "utils", "src/utils", PatternSFP, "utils", "core"),
				pkg("sfdx", "app", "src/app", PatternSFP, "app", "core", "utils"),
			},
			tags: []string{"core_v1.2.0", "utils_v1.2.0", "app_v1.2.0"},
		},
		{
			name: "npm workspaces", tree: "npm", kind: "npm",
			want: []Package{
				withVersion(pkg("npm", "@acme/tokens", "packages/tokens", PatternNPM, "@acme/tokens")),
				withVersion(pkg("npm", "@acme/ui", "packages/ui", PatternNPM, "@acme/ui", "@acme/tokens")),
				pkg("npm", "@acme/util", "packages/util", PatternNPM, "@acme/util"),
				withVersion(pkg("npm", "web", "apps/web", PatternNPM, "web", "@acme/tokens", "@acme/ui", "@acme/util")),
			},
			tags: []string{"@acme/tokens@1.2.0", "@acme/ui@1.2.0", "@acme/util@1.2.0", "web@1.2.0"},
		},
		{
			name: "pnpm workspace", tree: "pnpm", kind: "npm",
			want: []Package{
				withVersion(pkg("npm", "b", "libs/group/b", PatternNPM, "b")),
				withVersion(pkg("npm", "a", "libs/a", PatternNPM, "a", "b")),
			},
			tags: []string{"b@1.2.0", "a@1.2.0"},
		},
		{
			name: "maven reactor", tree: "maven", kind: "maven",
			want: []Package{
				maven(pkg("maven", "core", "core", PatternMaven, "com.acme:core")),
				maven(pkg("maven", "gen-plugin", "gen-plugin", PatternMaven, "com.acme:gen-plugin")),
				maven(pkg("maven", "api", "services/api", PatternMaven, "com.acme:api", "core", "gen-plugin")),
				maven(pkg("maven", "extra", "extra", PatternMaven, "com.acme.extra:extra", "api")),
			},
			tags: []string{"core-1.2.0", "gen-plugin-1.2.0", "api-1.2.0", "extra-1.2.0"},
		},
		{
			name: "go modules", tree: "go", kind: "go",
			want: []Package{
				pkg("go", "lib", "lib", PatternGo, "example.com/repo/lib"),
				pkg("go", "api/v2", "api/v2", "api/v{version}", "example.com/repo/api/v2", "lib"),
				pkg("go", "tools/gen", "tools/gen", PatternGo, "example.com/repo/tools/gen", "api/v2", "lib"),
			},
			tags: []string{"lib/v1.2.0", "api/v1.2.0", "tools/gen/v1.2.0"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(txtarTree(t, tc.tree), tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, c.Packages); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if c.File != discoveryFile(tc.kind) {
				t.Errorf("File = %q", c.File)
			}
			var tags []string
			for _, p := range c.Packages {
				tags = append(tags, p.Tags().Name(semver.MustParse("1.2.0")))
			}
			if diff := cmp.Diff(tc.tags, tags); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiscoverErrors(t *testing.T) {
	sfdx := txtarTree(t, "sfdx")
	npm := txtarTree(t, "npm")
	pnpm := txtarTree(t, "pnpm")
	mvn := txtarTree(t, "maven")
	gomods := txtarTree(t, "go")
	sfdxFile := func(dirs string) tree {
		return tree{"sfdx-project.json": `{
  "packageDirectories": [` + dirs + `
  ]
}`}
	}
	pom := func(body string) string {
		return "<project>\n  <groupId>com.acme</groupId>\n" + body + "</project>\n"
	}
	tests := []struct {
		name string
		tree tree
		kind string
		want string
	}{
		// sfdx
		{name: "sfdx: no project", tree: npm, kind: "sfdx",
			want: "packages sfdx: there is no sfdx-project.json at the repository root: commit it, or set packages to what declares the packages here (one of sfdx, npm, maven, go, or a package config)"},
		{name: "sfdx: not json", tree: tree{"sfdx-project.json": "{\n  \"packageDirectories\": [\n    {\"path\": \"a\",}\n  ]\n}"}, kind: "sfdx",
			want: "sfdx-project.json:3: syntax error: not valid JSON: invalid character '}' looking for beginning of object key string"},
		{name: "sfdx: no package", tree: sfdxFile(`
    { "path": "force-app", "default": true }`), kind: "sfdx",
			want: `sfdx-project.json:2: no packageDirectories entry has a "package": sfdx discovery releases packages, so give the entries to release a "package" and a "versionNumber", or release the repository as one package (packages: none)`},
		{name: "sfdx: twice", tree: sfdxFile(`
    { "path": "a", "package": "core", "versionNumber": "1.0.0.NEXT" },
    { "path": "b", "package": "core", "versionNumber": "1.0.0.NEXT" }`), kind: "sfdx",
			want: "sfdx-project.json:4: package core is listed twice in packageDirectories (first at line 3): give each package one entry"},
		{name: "sfdx: name no tag can hold", tree: sfdxFile(`
    { "path": "a", "package": "My Package", "versionNumber": "1.0.0.NEXT" }`), kind: "sfdx",
			want: `sfdx-project.json:3: package "My Package" names its tags ({name}_v{version}), but it cannot be part of a git tag name (no spaces, ~ ^ : ? * [ \ { }, .., or a leading -): rename it, or list the packages in relman-packages.yml with names of your own (without discover:)`},
		{name: "sfdx: no versionNumber, path outside", tree: sfdxFile(`
    { "path": "a", "package": "core" },
    { "path": "../b", "package": "app", "versionNumber": "1.0.0.NEXT" }`), kind: "sfdx",
			want: "sfdx-project.json:3: package core has no versionNumber: expected \"versionNumber\": \"1.0.0.NEXT\", where relman writes the package's new version\n" +
				`sfdx-project.json:4: path "../b" is outside the repository: give it relative to the repository root`},
		{name: "sfdx: path is the root", tree: sfdxFile(`
    { "path": ".", "package": "core", "versionNumber": "1.0.0.NEXT" }`), kind: "sfdx",
			want: `sfdx-project.json:3: path "." is the whole repository`},
		{name: "sfdx: depends on itself", tree: sfdxFile(`
    { "path": "a", "package": "core", "versionNumber": "1.0.0.NEXT", "dependencies": [{"package": "core", "versionNumber": "1.0.0.LATEST"}] }`), kind: "sfdx",
			want: "sfdx-project.json: package core depends on itself"},
		{name: "sfdx: cycle", tree: sfdxFile(`
    { "path": "a", "package": "core", "versionNumber": "1.0.0.NEXT", "dependencies": [{"package": "app@1.0.0-1"}] },
    { "path": "b", "package": "app", "versionNumber": "1.0.0.NEXT", "dependencies": [{"package": "core", "versionNumber": "1.0.0.LATEST"}] }`), kind: "sfdx",
			want: "sfdx-project.json: the dependencies form a cycle: app → core → app; a package cannot be released before itself, so remove one of these depends-on"},
		{name: "sfdx: bad versionNumber", tree: sfdx.with(map[string]string{"sfdx-project.json": strings.Replace(sfdx["sfdx-project.json"], "1.2.0.NEXT", "1.2", 1)}), kind: "sfdx",
			want: `sfdx-project.json:7: syntax error: package core: versionNumber "1.2" is not MAJOR.MINOR.PATCH.BUILD`},

		// npm
		{name: "npm: no package.json", tree: sfdx, kind: "npm",
			want: "packages npm: there is no package.json at the repository root: commit it, or set packages to what declares the packages here"},
		{name: "npm: no workspaces", tree: tree{"package.json": `{"name": "one"}`}, kind: "npm",
			want: `package.json: no "workspaces" (and no pnpm-workspace.yaml): npm discovery releases the workspace packages: list their directories, like "workspaces": ["packages/*"], or release the repository as one package (packages: none)`},
		{name: "npm: empty workspaces", tree: tree{"package.json": "{\n\"workspaces\": []}"}, kind: "npm",
			want: `package.json:2: "workspaces" is empty: list the packages' directories, like ["packages/*"]`},
		{name: "npm: workspaces not a list", tree: tree{"package.json": "{\n\"workspaces\": true}"}, kind: "npm",
			want: `package.json:2: syntax error: workspaces is a boolean: expected an array of directory globs`},
		{name: "npm: listed directory without package.json", tree: npm.without("apps/web/package.json").with(map[string]string{"apps/web/README.md": "x"}), kind: "npm",
			want: `package.json:4: workspace apps/web has no package.json: add one with a "name", or remove the entry`},
		{name: "npm: listed directory without a name", tree: npm.with(map[string]string{"apps/web/package.json": `{"version": "1.0.0"}`}), kind: "npm",
			want: `package.json:4: workspace apps/web: apps/web/package.json has no "name": give the package a name, which names its tags ({name}@{version})`},
		{name: "npm: same name twice", tree: npm.with(map[string]string{"apps/web/package.json": `{"name": "@acme/ui"}`}), kind: "npm",
			want: "packages npm: apps/web/package.json and packages/ui/package.json are both named @acme/ui: npm needs workspace names to be unique; rename one"},
		{name: "npm: name no tag can hold", tree: npm.with(map[string]string{"apps/web/package.json": `{"name": "web:app"}`}), kind: "npm",
			want: `packages npm: apps/web/package.json: package "web:app" names its tags ({name}@{version}), but it cannot be part of a git tag name`},
		{name: "npm: workspace outside", tree: tree{"package.json": `{"workspaces": ["../other/*"]}`}, kind: "npm",
			want: `package.json:1: workspace "../other/*" is outside the repository: give it relative to the repository root`},
		{name: "npm: braces", tree: tree{"package.json": `{"workspaces": ["{apps,libs}/*"]}`}, kind: "npm",
			want: `package.json:1: workspace "{apps,libs}/*": relman reads *, ?, [...] and ** in workspace globs, not {a,b}: list each directory glob on its own`},
		{name: "npm: bad glob", tree: tree{"package.json": `{"workspaces": ["libs/[a"]}`}, kind: "npm",
			want: `package.json:1: workspace "libs/[a" is not a valid glob: syntax error in pattern`},
		{name: "npm: nothing matches", tree: tree{"package.json": `{"workspaces": ["packages/*", "!packages/a"]}`, "packages/a/package.json": `{"name": "a"}`}, kind: "npm",
			want: `packages npm: the workspaces of package.json (packages/*, !packages/a) match no directory with a package.json that has a "name": fix the globs, or release the repository as one package (packages: none)`},
		{name: "npm: bad package.json", tree: npm.with(map[string]string{"packages/ui/package.json": "{\n\"name\": 1}"}), kind: "npm",
			want: `packages/ui/package.json:2: syntax error: name is a number: expected the package's name, a string`},
		{name: "npm: cycle through devDependencies", tree: npm.with(map[string]string{"packages/tokens/package.json": `{"name": "@acme/tokens", "devDependencies": {"web": "*"}}`}), kind: "npm",
			want: "package.json: the dependencies form a cycle: @acme/tokens → web → @acme/tokens"},
		{name: "pnpm: not yaml", tree: pnpm.with(map[string]string{"pnpm-workspace.yaml": "packages: [\n"}), kind: "npm",
			want: "pnpm-workspace.yaml: not YAML: yaml: line 1: did not find expected node content"},
		{name: "pnpm: no packages", tree: pnpm.with(map[string]string{"pnpm-workspace.yaml": "catalog:\n  react: ^18\n"}), kind: "npm",
			want: "pnpm-workspace.yaml:1: no packages: expected packages: and a list of directory globs"},
		{name: "pnpm: packages not a list", tree: pnpm.with(map[string]string{"pnpm-workspace.yaml": "packages: libs/*\n"}), kind: "npm",
			want: "pnpm-workspace.yaml:1: packages: expected packages: and a list of directory globs"},
		{name: "pnpm: empty", tree: pnpm.with(map[string]string{"pnpm-workspace.yaml": "packages: []\n"}), kind: "npm",
			want: "pnpm-workspace.yaml:1: packages: is empty"},
		{name: "pnpm: entry not a string", tree: pnpm.with(map[string]string{"pnpm-workspace.yaml": "packages:\n  - libs/*\n  - {a: b}\n"}), kind: "npm",
			want: "pnpm-workspace.yaml:3: packages: every entry is a directory glob"},
		{name: "pnpm: not a mapping", tree: pnpm.with(map[string]string{"pnpm-workspace.yaml": "- libs/*\n"}), kind: "npm",
			want: "pnpm-workspace.yaml: expected packages: and a list of directory globs"},

		// maven
		{name: "maven: no pom", tree: npm, kind: "maven", want: "packages maven: there is no pom.xml at the repository root"},
		{name: "maven: no modules", tree: tree{"pom.xml": pom("  <artifactId>one</artifactId>\n  <version>1.0.0</version>\n")}, kind: "maven",
			want: "pom.xml: no <modules>: maven discovery releases the modules of a reactor; a project without modules is one package (packages: none, build-system: maven)"},
		{name: "maven: only pom modules", tree: tree{
			"pom.xml":     pom("  <artifactId>p</artifactId>\n  <version>1</version>\n  <packaging>pom</packaging>\n  <modules><module>bom</module></modules>\n"),
			"bom/pom.xml": pom("  <artifactId>bom</artifactId>\n  <version>1</version>\n  <packaging>pom</packaging>\n"),
		}, kind: "maven",
			want: "pom.xml: every module of the reactor has packaging pom: maven discovery releases the modules that build an artifact (jar, war, maven-plugin, ...); list the packages in relman-packages.yml to release pom modules"},
		{name: "maven: same artifactId", tree: mvn.with(map[string]string{"extra/pom.xml": strings.Replace(mvn["extra/pom.xml"], "<artifactId>extra</artifactId>", "<artifactId>core</artifactId>", 1)}), kind: "maven",
			want: "extra/pom.xml:10: artifactId core is also the artifactId of core/pom.xml: maven discovery names packages by artifactId, so they must differ; rename one, or list the packages in relman-packages.yml with names of your own"},
		{name: "maven: module pom not pom.xml", tree: mvn.without("extra/pom.xml").with(map[string]string{
			"pom.xml":         strings.Replace(mvn["pom.xml"], "<module>extra</module>", "<module>extra/build.xml</module>", 1),
			"extra/build.xml": mvn["extra/pom.xml"],
		}), kind: "maven",
			want: "extra/build.xml: the module's pom is not named pom.xml: relman releases a module from the pom.xml of its directory; rename it, or list the packages in relman-packages.yml"},
		{name: "maven: bad pom", tree: mvn.with(map[string]string{"core/pom.xml": "<project>\n<artifactId>core</artifactId>\n<version>1</versio>\n</project>"}), kind: "maven",
			want: "core/pom.xml:3: syntax error: not well-formed XML: element <version> closed by </versio>"},
		{name: "maven: artifactId no tag can hold", tree: mvn.with(map[string]string{"extra/pom.xml": strings.Replace(mvn["extra/pom.xml"], "<artifactId>extra</artifactId>", "<artifactId>extra..x</artifactId>", 1)}), kind: "maven",
			want: `extra/pom.xml:10: artifactId "extra..x" names the module's tags ({name}-{version}), but it cannot be part of a git tag name`},

		// go
		{name: "go: only the root module", tree: tree{"go.mod": "module example.com/one\n", "main.go": "package main"}, kind: "go",
			want: "packages go: no go.mod below the repository root: go discovery releases the modules in subdirectories (tags DIR/vX.Y.Z); a repository whose only module is at its root is one package (packages: none)"},
		{name: "go: same module twice", tree: gomods.with(map[string]string{"lib/go.mod": "module example.com/repo/tools/gen\n"}), kind: "go",
			want: "tools/gen/go.mod:1: module example.com/repo/tools/gen is also declared by lib/go.mod: give each module its own path"},
		{name: "go: bad go.mod", tree: gomods.with(map[string]string{"lib/go.mod": "module example.com/repo/lib\nrequire (\n"}), kind: "go",
			want: "lib/go.mod:2: syntax error: the require ( block does not end: expected a line with )"},
		{name: "go: directory no tag can hold", tree: tree{"a b/go.mod": "module example.com/ab\n"}, kind: "go",
			want: `a b/go.mod: the module's directory "a b" names its tags ({path}/v{version}), but it cannot be part of a git tag name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.tree, tc.kind)
			if err == nil {
				t.Fatalf("no error; packages %v", c.Names())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
			if errors.Is(err, ErrNoPackages) {
				t.Errorf("%v is ErrNoPackages", err)
			}
		})
	}
}

func TestDiscoverDefaults(t *testing.T) {
	// What every discovered package starts with.
	for _, kind := range Discoveries {
		tr := map[string]string{"sfdx": "sfdx", "npm": "npm", "maven": "maven", "go": "go"}[kind]
		c, err := Load(txtarTree(t, tr), kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Packages {
			if p.Kind != kind || p.Line != 0 || p.Stable || p.DependencyBump != version.Patch || p.Module == "" || len(p.Paths) != 1 {
				t.Errorf("%s: %+v", kind, p)
			}
		}
	}
	if _, err := discover(tree{}, "cargo"); err == nil || err.Error() != `discover: "cargo" is not a package manager relman reads: expected one of sfdx, npm, maven, go` {
		t.Errorf("unknown discovery: %v", err)
	}
}

func TestMatchSegs(t *testing.T) {
	for _, tc := range []struct {
		glob, dir string
		want      bool
	}{
		{"packages/*", "packages/a", true},
		{"packages/*", "packages/a/b", false},
		{"packages/**", "packages", true},
		{"packages/**", "packages/a/b", true},
		{"**/fixtures/**", "libs/b/fixtures/c", true},
		{"**/fixtures/**", "fixtures", true},
		{"**/fixtures", "libs/fixtures/c", false},
		{"libs/?-ui", "libs/a-ui", true},
		{"libs/[ab]", "libs/c", false},
	} {
		if got := matchSegs(strings.Split(tc.glob, "/"), strings.Split(tc.dir, "/")); got != tc.want {
			t.Errorf("matchSegs(%s, %s) = %v", tc.glob, tc.dir, got)
		}
	}
}
