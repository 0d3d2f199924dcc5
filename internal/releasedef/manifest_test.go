package releasedef

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sfdxProject = `{
  "packageDirectories": [
    { "path": "src/core", "package": "core", "versionNumber": "1.2.0.NEXT", "tags": ["backend"], "default": true },
    { "path": "src/ui", "package": "ui", "versionNumber": "2.0.0.NEXT", "dependencies": [{ "package": "core" }] },
    { "path": "unpackaged" }
  ],
  "namespace": "",
  "sourceApiVersion": "60.0",
  "packageAliases": {
    "core": "0Ho5g0000008OB7CAM",
    "core@1.1.0-3": "04t5g000000UqBVAA0",
    "ui": "0Ho5g0000008OBCCA2",
    "Nebula Logger@4.7.1": "04t5Y0000015pGyQAI",
    "Marketing Cloud": "04t1E000001Iql5"
  }
}
`

func TestParseSFDX(t *testing.T) {
	m, err := ParseSFDX("sfdx-project.json", []byte(sfdxProject))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		File: "sfdx-project.json", Format: SFDX,
		Artifacts: []Artifact{
			{Name: "core", Path: "src/core", TagPattern: "{name}_v{version}", SFPTags: true, Labels: []string{"backend"}, Line: 3},
			{Name: "ui", Path: "src/ui", TagPattern: "{name}_v{version}", SFPTags: true, Line: 4},
		},
		// Local packages (0Ho ids) and versions of local packages (core@...)
		// are not dependencies; 04t aliases of other packages are.
		Dependencies: []Dependency{
			{Name: "Nebula Logger@4.7.1", ID: "04t5Y0000015pGyQAI", Line: 13},
			{Name: "Marketing Cloud", ID: "04t1E000001Iql5", Line: 14},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("ParseSFDX (-want +got):\n%s", diff)
	}
}

func TestParseSFDXErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{"p.json:1: not valid JSON: the file ends early"}},
		{"syntax", "{\n  \"packageDirectories\": [\n    {\"path\": \"a\",}\n  ]\n}\n", []string{"p.json:3: not valid JSON: invalid character '}'"}},
		{"trailing text", "{\"packageDirectories\": []}\n{}\n", []string{"p.json:2: not valid JSON: unexpected text after the top-level object"}},
		{"not an object", "[]", []string{"p.json:1: found an array; expected an sfdx-project.json object"}},
		{"no packageDirectories", "{}", []string{"p.json:1: no packageDirectories;"}},
		{"packageDirectories type", "{\n\"packageDirectories\": {}\n}", []string{"p.json:2: packageDirectories: expected an array, found an object"}},
		{"no packages", "{\"packageDirectories\": [{\"path\": \"a\"}]}", []string{`p.json:1: packageDirectories has no entry with a "package": nothing to release`}},
		{"package type", "{\"packageDirectories\": [\n{\"path\": \"a\", \"package\": 3}]}", []string{"p.json:2: package: expected a package name (a non-empty string), found the number 3"}},
		{"no versionNumber", "{\"packageDirectories\": [\n{\"path\": \"a\", \"package\": \"a\"}]}", []string{`p.json:2: package "a" has no versionNumber`}},
		{"no path", "{\"packageDirectories\": [\n{\"package\": \"a\", \"versionNumber\": \"1.0.0.NEXT\"}]}", []string{`p.json:2: package "a" has no path`}},
		{"tags type", "{\"packageDirectories\": [\n{\"path\": \"a\", \"package\": \"a\", \"versionNumber\": \"1.0.0.NEXT\",\n \"tags\": \"x\"}]}", []string{"p.json:3: tags: expected an array of strings, found the string \"x\""}},
		{"duplicate package", "{\"packageDirectories\": [\n{\"path\": \"a\", \"package\": \"a\", \"versionNumber\": \"1.0.0.NEXT\"},\n{\"path\": \"b\", \"package\": \"a\", \"versionNumber\": \"1.0.0.NEXT\"}]}", []string{`p.json:3: package "a" is listed twice in packageDirectories (first at line 2)`}},
		{"duplicate key", "{\"packageDirectories\": [],\n\"packageDirectories\": []}", []string{`p.json:2: key "packageDirectories" is given twice in one object`}},
		{"bad 04t", "{\"packageDirectories\": [{\"path\": \"a\", \"package\": \"a\", \"versionNumber\": \"1.0.0.NEXT\"}],\n\"packageAliases\": {\n\"x\": \"04tXYZ\"}}", []string{`p.json:3: packageAliases: "x": "04tXYZ" is not a package version id`}},
		{"alias type", "{\"packageDirectories\": [{\"path\": \"a\", \"package\": \"a\", \"versionNumber\": \"1.0.0.NEXT\"}],\n\"packageAliases\": {\n\"x\": 4}}", []string{`p.json:3: packageAliases: "x": expected an id (a string), found the number 4`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSFDX("p.json", []byte(tt.in))
			checkFileErrors(t, err, tt.want)
		})
	}
}

func checkFileErrors(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("%v is not a *FileError", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d:\n got %s\nwant %s...", i, lines[i], w)
		}
	}
}

func TestParseGeneric(t *testing.T) {
	in := `tagPattern: "{name}/v{version}"
artifacts:
  - name: api
    path: services/api
    labels: [backend, critical]
    dependencies:
      libpq: 16.2
      openssl: "3.0.13"
  - name: web
    tagPattern: "web-{version}"
  - name: worker
    dependencies:
      libpq: 16.2
`
	m, err := ParseGeneric("relman-artifacts.yml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		File: "relman-artifacts.yml", Format: Generic,
		Artifacts: []Artifact{
			{Name: "api", Path: "services/api", TagPattern: "{name}/v{version}", Labels: []string{"backend", "critical"},
				Dependencies: []Dependency{{"libpq", "16.2", 7}, {"openssl", "3.0.13", 8}}, Line: 3},
			{Name: "web", TagPattern: "web-{version}", Line: 9},
			{Name: "worker", TagPattern: "{name}/v{version}", Dependencies: []Dependency{{"libpq", "16.2", 13}}, Line: 11},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("ParseGeneric (-want +got):\n%s", diff)
	}
}

func TestParseGenericErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{"m.yml: empty manifest"}},
		{"not a mapping", "- a\n", []string{"m.yml:1: found a list; expected a mapping"}},
		{"no artifacts", "tagPattern: '{version}'\n", []string{"m.yml:1: no artifacts"}},
		{"empty list", "artifacts: []\n", []string{"m.yml:1: artifacts: the list is empty"}},
		{"unknown top key", "artifact: []\n", []string{`m.yml:1: unknown key "artifact"`, "m.yml:1: no artifacts"}},
		{"unknown artifact key", "artifacts:\n  - name: a\n    tag: x\n", []string{`m.yml:3: unknown key "tag" in an artifact; expected keys: name (required)`}},
		{"no name", "artifacts:\n  - path: a\n", []string{"m.yml:2: artifact without a name"}},
		{"bad name", "artifacts:\n  - name: 'a b'\n", []string{`m.yml:2: name: "a b": expected a name without spaces`}},
		{"twice", "artifacts:\n  - name: a\n  - name: a\n", []string{`m.yml:3: artifact "a" is listed twice (first at line 2)`}},
		{"pattern without version", "artifacts:\n  - name: a\n    tagPattern: '{name}'\n", []string{`m.yml:3: tagPattern: "{name}": expected {version} exactly once`}},
		{"pattern placeholder", "tagPattern: '{nam}-{version}'\nartifacts:\n  - name: a\n", []string{`m.yml:1: tagPattern: "{nam}-{version}": unknown placeholder`}},
		{"labels type", "artifacts:\n  - name: a\n    labels: x\n", []string{`m.yml:3: labels: expected a list of names`}},
		{"dependencies type", "artifacts:\n  - name: a\n    dependencies: [x]\n", []string{`m.yml:3: dependencies: expected a mapping of name to pinned version, found a list`}},
		{"dependency value", "artifacts:\n  - name: a\n    dependencies:\n      x:\n", []string{`m.yml:4: dependency "x": expected a pinned version or id, found nothing (null)`}},
		{"dependency on a local artifact", "artifacts:\n  - name: a\n    dependencies:\n      b: 1.0.0\n  - name: b\n", []string{`m.yml:4: dependency "b" of a is an artifact of this manifest`}},
		{"not yaml", "artifacts: [\n", []string{"m.yml:1: not valid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGeneric("m.yml", []byte(tt.in))
			checkFileErrors(t, err, tt.want)
		})
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]Format{"sfdx-project.json": SFDX, "x/artifacts.YAML": Generic, "relman-artifacts.yml": Generic} {
		if got, err := FormatOf(name); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := FormatOf("artifacts.toml"); err == nil {
		t.Error("FormatOf(artifacts.toml): no error")
	}
}
