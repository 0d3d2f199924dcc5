package versionfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// replaceEach applies pairs of from → to to s, each from once in s.
func replaceEach(t *testing.T, s string, pairs []string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Count(s, pairs[i]) != 1 {
			t.Fatalf("bad test: %q is not once in the file", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

// wantChange is the one Change that turns old into new, or none.
func wantChange(p, old, new string) []Change {
	if old == new {
		return nil
	}
	return []Change{{Path: p, Old: []byte(old), New: []byte(new)}}
}

const appPackageJSON = `{
  "name": "@acme/app",
  "version": "1.0.0",
  "private": true,
  "dependencies": {
    "@acme/ui": "^1.2.0",
    "@acme/util": "~0.4.1",
    "@acme/exact": "2.0.0",
    "@acme/ws": "workspace:*",
    "@acme/wsrange": "workspace:^1.2.0",
    "@acme/file": "file:../file",
    "@acme/complex": ">=1.0.0 <2.0.0",
    "react": "^18.2.0"
  },
  "devDependencies": {
    "@acme/tools": ">=3.1.0",
    "@acme/ui": "^1.2.0"
  },
  "peerDependencies": {
    "@acme/core": "^1.0.0",
    "@acme/old": "^1.0.0"
  },
  "optionalDependencies": {
    "@acme/opt": "v1.0.0"
  }
}
`

func TestSetNPMDependencies(t *testing.T) {
	crlf := strings.ReplaceAll(appPackageJSON, "\n", "\r\n")
	tests := []struct {
		name     string
		file     string
		versions map[string]string
		edits    []string
		err      string
		is       error
	}{
		{name: "caret in every field", versions: map[string]string{"@acme/ui": "1.3.0"},
			edits: []string{`"@acme/ui": "^1.2.0",
    "@acme/util"`, `"@acme/ui": "^1.3.0",
    "@acme/util"`, `"@acme/ui": "^1.2.0"
  }`, `"@acme/ui": "^1.3.0"
  }`}},
		{name: "tilde, exact, >=, v, workspace range", versions: map[string]string{"@acme/util": "0.5.0", "@acme/exact": "2.1.0", "@acme/tools": "3.2.0", "@acme/opt": "1.0.1", "@acme/wsrange": "1.4.0"},
			edits: []string{`"~0.4.1"`, `"~0.5.0"`, `"2.0.0"`, `"2.1.0"`, `">=3.1.0"`, `">=3.2.0"`, `"v1.0.0"`, `"v1.0.1"`, `"workspace:^1.2.0"`, `"workspace:^1.4.0"`}},
		{name: "untouched forms", versions: map[string]string{"@acme/ws": "9.0.0", "@acme/file": "9.0.0", "@acme/complex": "1.5.0", "@acme/none": "1.0.0"}},
		{name: "peer in range kept", versions: map[string]string{"@acme/core": "1.9.0"}},
		{name: "peer out of range moved", versions: map[string]string{"@acme/old": "2.0.0"},
			edits: []string{`"@acme/old": "^1.0.0"`, `"@acme/old": "^2.0.0"`}},
		{name: "never down", versions: map[string]string{"@acme/ui": "1.1.0", "@acme/exact": "2.0.0"}},
		{name: "crlf kept", file: crlf, versions: map[string]string{"@acme/util": "0.5.0"},
			edits: []string{`"~0.4.1"`, `"~0.5.0"`}},
		{name: "prerelease to release", file: `{"dependencies": {"a": "^1.3.0-beta.2"}}`, versions: map[string]string{"a": "1.3.0"},
			edits: []string{`^1.3.0-beta.2`, `^1.3.0`}},
		{name: "last duplicate key", file: `{"dependencies": {"a": "^1.0.0", "a": "^1.1.0"}}`, versions: map[string]string{"a": "1.2.0"},
			edits: []string{`"a": "^1.1.0"`, `"a": "^1.2.0"`}},
		{name: "escaped range", file: `{"dependencies": {"a": "\u005e1.0.0"}}`, versions: map[string]string{"a": "1.2.0"},
			err: `package.json:1: unsupported version form: dependencies: the range of "a" has escapes: write it without backslashes`, is: ErrUnsupported},
		{name: "range not a string", file: "{\"dependencies\": {\n\"a\": 1}}", versions: map[string]string{"a": "1.2.0"},
			err: `package.json:2: syntax error: dependencies: "a" is a number: expected a version range string`, is: ErrSyntax},
		{name: "field not an object", file: "{\n\"devDependencies\": []}", versions: map[string]string{"a": "1.2.0"},
			err: `package.json:2: syntax error: devDependencies is an array: expected an object of package name to version range`, is: ErrSyntax},
		{name: "bad version", versions: map[string]string{"@acme/ui": "1.3"}, err: `invalid version "1.3" for @acme/ui: expected a semantic version like 1.3.0`, is: ErrInvalidVersion},
		{name: "not json", file: "{\n", versions: map[string]string{"a": "1.0.0"}, err: "package.json:2: syntax error: not valid JSON", is: ErrSyntax},
		{name: "not an object", file: `"x"`, versions: map[string]string{"a": "1.0.0"}, err: `package.json:1: syntax error: found the string "x": expected a package.json object`, is: ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = appPackageJSON
			}
			cs, err := SetNPMDependencies(MapFiles{"packages/app/package.json": []byte(file)}, "./packages/app/package.json", tc.versions)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || cs != nil {
					t.Fatalf("got %v, %d changes; want error %q", err, len(cs), tc.err)
				}
				if !errors.Is(err, tc.is) {
					t.Errorf("%v is not %v", err, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := wantChange("packages/app/package.json", file, replaceEach(t, file, tc.edits))
			if diff := cmp.Diff(want, cs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadNPMPackage(t *testing.T) {
	got, err := ReadNPMPackage("package.json", []byte(appPackageJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := &NPMPackage{Name: "@acme/app", HasVersion: true, Private: true, Dependencies: []string{
		"@acme/complex", "@acme/core", "@acme/exact", "@acme/file", "@acme/old", "@acme/opt", "@acme/tools", "@acme/ui", "@acme/util", "@acme/ws", "@acme/wsrange", "react",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name, file string
		want       *NPMPackage
		err        string
	}{
		{name: "workspaces array", file: "{\"private\": false,\n\"workspaces\": [\"packages/*\", \"apps/web\"]}",
			want: &NPMPackage{Workspaces: []string{"packages/*", "apps/web"}, WorkspacesLine: 2}},
		{name: "yarn workspaces object", file: "{\"workspaces\": {\"nohoist\": [],\n\"packages\": [\"libs/**\"]}}",
			want: &NPMPackage{Workspaces: []string{"libs/**"}, WorkspacesLine: 2}},
		{name: "empty workspaces", file: `{"workspaces": []}`, want: &NPMPackage{Workspaces: []string{}, WorkspacesLine: 1}},
		{name: "workspaces a string", file: "{\n\"workspaces\": \"packages/*\"}", err: `package.json:2: syntax error: workspaces is the string "packages/*": expected an array of directory globs, like ["packages/*"], or {"packages": [...]}`},
		{name: "workspaces object without packages", file: "{\n\"workspaces\": {}}", err: `package.json:0: syntax error: workspaces is an object`},
		{name: "workspace not a string", file: "{\"workspaces\": [\n1]}", err: `package.json:2: syntax error: a workspaces entry is a number: expected a directory glob, like "packages/*"`},
		{name: "name not a string", file: "{\n\"name\": [] }", err: `package.json:2: syntax error: name is an array: expected the package's name, a string`},
		{name: "dependencies not an object", file: "{\"name\": \"a\",\n\"peerDependencies\": \"b\"}", err: `package.json:2: syntax error: peerDependencies is the string "b": expected an object of package name to version range`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadNPMPackage("package.json", []byte(tc.file))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.err, "package.json:0: ")) {
					t.Fatalf("got %v, want error %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

const toolsGoMod = `// The code generator.
module example.com/repo/tools/gen

go 1.22

require example.com/repo/lib v1.2.0

require (
	example.com/repo/api/v2 v2.1.0 // the API
	"example.com/repo/quoted" "v0.3.0"
	example.com/repo/pseudo v0.0.0-00010101000000-000000000000
	github.com/google/go-cmp v0.6.0 // indirect
)

replace example.com/repo/lib => ../../lib

replace (
	example.com/repo/api/v2 v2.1.0 => ../../api/v2
)
`

func TestReadGoMod(t *testing.T) {
	got, err := ReadGoMod("tools/gen/go.mod", []byte(toolsGoMod))
	if err != nil {
		t.Fatal(err)
	}
	if got.Module != "example.com/repo/tools/gen" || got.ModuleLine != 2 {
		t.Errorf("module %q at line %d", got.Module, got.ModuleLine)
	}
	want := []GoRequire{
		{Path: "example.com/repo/lib", Version: "v1.2.0", Line: 6},
		{Path: "example.com/repo/api/v2", Version: "v2.1.0", Line: 9},
		{Path: "example.com/repo/quoted", Version: "v0.3.0", Line: 10},
		{Path: "example.com/repo/pseudo", Version: "v0.0.0-00010101000000-000000000000", Line: 11},
		{Path: "github.com/google/go-cmp", Version: "v0.6.0", Line: 12},
	}
	if diff := cmp.Diff(want, got.Requires, cmpopts.IgnoreUnexported(GoRequire{})); diff != "" {
		t.Errorf("requires (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"no module", "go 1.22\n", "x/go.mod: syntax error: no module directive: expected module PATH"},
		{"two modules", "module a\nmodule b\n", "x/go.mod:2: syntax error: a second module directive (the first is on line 1): expected one"},
		{"bad require", "module a\nrequire (\n\tb\n)\n", "x/go.mod:3: syntax error: expected require PATH VERSION, like require example.com/lib v1.2.0"},
		{"open block", "module a\nrequire (\n\tb v1.0.0\n", "x/go.mod:2: syntax error: the require ( block does not end: expected a line with )"},
		{"open quote", "module \"a\n", "x/go.mod:1: syntax error: a quoted string does not end on its line"},
		{"bad quote", "module \"a\\q\"\n", `x/go.mod:1: syntax error: bad quoted string "a\q": invalid syntax`},
		{"module without path", "module\n", "x/go.mod:1: syntax error: expected module PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadGoMod("x/go.mod", []byte(tc.file))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSetGoRequires(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		versions map[string]string
		edits    []string
		err      string
		is       error
	}{
		{name: "single line", versions: map[string]string{"example.com/repo/lib": "1.3.0"},
			edits: []string{"lib v1.2.0", "lib v1.3.0"}},
		{name: "block, comment kept, v prefix accepted", versions: map[string]string{"example.com/repo/api/v2": "v2.2.0"},
			edits: []string{"api/v2 v2.1.0 // the API", "api/v2 v2.2.0 // the API"}},
		{name: "quoted", versions: map[string]string{"example.com/repo/quoted": "0.4.0"},
			edits: []string{`"v0.3.0"`, `"v0.4.0"`}},
		{name: "pseudo-version moves up", versions: map[string]string{"example.com/repo/pseudo": "0.1.0"},
			edits: []string{"v0.0.0-00010101000000-000000000000", "v0.1.0"}},
		{name: "replace directives stay", versions: map[string]string{"example.com/repo/lib": "1.2.0"}},
		{name: "never down", versions: map[string]string{"example.com/repo/lib": "1.1.9"}},
		{name: "crlf", file: strings.ReplaceAll(toolsGoMod, "\n", "\r\n"), versions: map[string]string{"example.com/repo/lib": "1.3.0"},
			edits: []string{"lib v1.2.0\r\n", "lib v1.3.0\r\n"}},
		{name: "major without suffix", versions: map[string]string{"example.com/repo/lib": "2.0.0"},
			err: "tools/gen/go.mod:6: unsupported version form: module example.com/repo/lib cannot be required at v2.0.0: a module path without a major version suffix takes v0 and v1 versions only; release it under a module path ending in /v2 (and import it so), or keep it on v1", is: ErrUnsupported},
		{name: "major other than suffix", versions: map[string]string{"example.com/repo/api/v2": "3.0.0"},
			err: "module path example.com/repo/api/v2 takes v2 versions only", is: ErrUnsupported},
		{name: "bad version", versions: map[string]string{"example.com/repo/lib": "1.3"}, err: `invalid version "1.3" for module example.com/repo/lib`, is: ErrInvalidVersion},
		{name: "gopkg.in", file: "module a\nrequire gopkg.in/yaml.v3 v3.0.0\n", versions: map[string]string{"gopkg.in/yaml.v3": "3.0.1"},
			edits: []string{"v3.0.0", "v3.0.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = toolsGoMod
			}
			cs, err := SetGoRequires(MapFiles{"tools/gen/go.mod": []byte(file)}, "tools/gen/go.mod", tc.versions)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || cs != nil {
					t.Fatalf("got %v, %d changes; want error %q", err, len(cs), tc.err)
				}
				if !errors.Is(err, tc.is) {
					t.Errorf("%v is not %v", err, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := wantChange("tools/gen/go.mod", file, replaceEach(t, file, tc.edits))
			if diff := cmp.Diff(want, cs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

const reactorRoot = pomHead + `  <groupId>com.acme</groupId>
  <artifactId>parent</artifactId>
  <version>1.0.0</version>
  <packaging>pom</packaging>
  <modules>
    <module>core</module>
    <module>services</module>
  </modules>
  <profiles><profile><modules><module>extra</module></modules></profile></profiles>
</project>
`

func reactorFiles() MapFiles {
	return MapFiles{
		"pom.xml": []byte(reactorRoot),
		"core/pom.xml": []byte(pomHead + `  <parent><groupId>com.acme</groupId><artifactId>parent</artifactId><version>1.0.0</version></parent>
  <artifactId>core</artifactId>
  <version>1.2.0</version>
</project>
`),
		"services/pom.xml": []byte(pomHead + `  <parent><groupId>com.acme</groupId><artifactId>parent</artifactId><version>1.0.0</version></parent>
  <artifactId>services</artifactId>
  <packaging>pom</packaging>
  <modules><module>api</module></modules>
</project>
`),
		"services/api/pom.xml": []byte(pomHead + `  <parent><groupId>com.acme</groupId><artifactId>services</artifactId><version>1.0.0</version></parent>
  <artifactId>api</artifactId>
  <version>0.3.0</version>
  <packaging>war</packaging>
  <properties><core.version>1.2.0</core.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>extra</artifactId><version>0.9.0</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>${project.groupId}</groupId><artifactId>core</artifactId><version>1.2.0</version></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>${core.version}</version><classifier>tests</classifier></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>core</artifactId><version>[1.0,2.0)</version><type>test-jar</type></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.9</version></dependency>
  </dependencies>
  <build><plugins><plugin><groupId>com.acme</groupId><artifactId>gen-plugin</artifactId><version>0.1.0</version></plugin></plugins></build>
</project>
`),
		"extra/pom.xml": []byte(pomHead + `  <parent><groupId>com.acme</groupId><artifactId>parent</artifactId><version>1.0.0</version></parent>
  <groupId>com.acme.extra</groupId>
  <artifactId>extra</artifactId>
  <version>0.9.0</version>
</project>
`),
	}
}

func TestMavenReactorModules(t *testing.T) {
	var warnings []string
	files := reactorFiles()
	files["pom.xml"] = []byte(strings.Replace(reactorRoot, "<module>services</module>", "<module>services</module><module>gone</module>", 1))
	got, err := MavenReactor(files, "", func(w string) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatal(err)
	}
	want := []MavenModule{
		{Path: "pom.xml", GroupID: "com.acme", ArtifactID: "parent", Packaging: "pom", Line: 4, Modules: 4},
		{Path: "core/pom.xml", GroupID: "com.acme", ArtifactID: "core", Packaging: "jar", Line: 4},
		{Path: "services/pom.xml", GroupID: "com.acme", ArtifactID: "services", Packaging: "pom", Line: 4, Modules: 1},
		{Path: "services/api/pom.xml", GroupID: "com.acme", ArtifactID: "api", Packaging: "war", Line: 4, DependsOn: []string{"com.acme:core"}},
		{Path: "extra/pom.xml", GroupID: "com.acme.extra", ArtifactID: "extra", Packaging: "jar", Line: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `module "gone": gone/pom.xml does not exist`) {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestSetMavenDependencies(t *testing.T) {
	api := string(reactorFiles()["services/api/pom.xml"])
	tests := []struct {
		name     string
		versions map[string]string
		edits    []string
	}{
		{name: "literal through project.groupId; property, range, other group left", versions: map[string]string{"com.acme:core": "1.3.0"},
			edits: []string{"<artifactId>core</artifactId><version>1.2.0</version>", "<artifactId>core</artifactId><version>1.3.0</version>"}},
		{name: "managed and plugin", versions: map[string]string{"com.acme:extra": "1.0.0", "com.acme:gen-plugin": "0.2.0"},
			edits: []string{"<version>0.9.0</version>", "<version>1.0.0</version>", "<version>0.1.0</version>", "<version>0.2.0</version>"}},
		{name: "never down", versions: map[string]string{"com.acme:core": "1.1.0"}},
		{name: "other modules", versions: map[string]string{"com.acme.extra:extra": "1.0.0", "org.slf4j:slf4j": "3.0.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := SetMavenDependencies(reactorFiles(), "services/api/pom.xml", tc.versions)
			if err != nil {
				t.Fatal(err)
			}
			want := wantChange("services/api/pom.xml", api, replaceEach(t, api, tc.edits))
			if diff := cmp.Diff(want, cs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := SetMavenDependencies(reactorFiles(), "services/api/pom.xml", map[string]string{"com.acme:core": "1 2"}); !errors.Is(err, ErrInvalidVersion) {
		t.Errorf("bad version: %v", err)
	}
	if _, err := SetMavenDependencies(reactorFiles(), "nope/pom.xml", nil); err == nil || err.Error() != "nope/pom.xml: file does not exist: expected a Maven pom" {
		t.Errorf("missing pom: %v", err)
	}
}
