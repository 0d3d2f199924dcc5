package versionfile

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const pomHead = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
`

// TestBadInput checks that bad files fail with an error naming the file,
// the line where there is one, what was found and what was expected; and
// that nothing is returned with the error.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		editor  Editor
		files   MapFiles
		version string
		want    string
		is      error
	}{
		{
			name:   "pom not well-formed",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `  <artifactId>a</artifactId>
  <version>1.0.0</versio>
</project>
`)},
			want: `pom.xml:4: syntax error: not well-formed XML: element <version> closed by </versio>`,
			is:   ErrSyntax,
		},
		{
			name:   "module pom not well-formed",
			editor: Maven{},
			files: MapFiles{
				"pom.xml":      []byte(pomHead + "<artifactId>a</artifactId><version>1</version><modules><module>core</module></modules></project>"),
				"core/pom.xml": []byte("<project>\n<artifactId>core</artifactId>\n<version>1 & 2</version></project>"),
			},
			want: `core/pom.xml:3: syntax error: not well-formed XML: invalid character entity & (no semicolon)`,
			is:   ErrSyntax,
		},
		{
			name:   "unclosed root",
			editor: Maven{},
			files:  MapFiles{"pom.xml": []byte(pomHead + "<artifactId>a</artifactId>\n")},
			want:   `pom.xml:4: syntax error: not well-formed XML: unexpected EOF`,
			is:     ErrSyntax,
		},
		{
			name:   "not a pom",
			editor: Maven{},
			files:  MapFiles{"pom.xml": []byte(`<settings><localRepository/></settings>`)},
			want:   `pom.xml:1: syntax error: the root element is <settings>, expected <project>: is this a Maven pom?`,
			is:     ErrSyntax,
		},
		{
			name:   "missing root pom",
			editor: Maven{Root: "app/pom.xml"},
			files:  MapFiles{"pom.xml": []byte(`<project/>`)},
			want:   `app/pom.xml: file does not exist: expected the root pom of the Maven reactor`,
			is:     fs.ErrNotExist,
		},
		{
			name:   "module outside the repository",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<artifactId>a</artifactId><version>1.0.0</version>
<modules><module>../other</module></modules></project>`)},
			want: `pom.xml:4: unsupported version form: module "../other" is outside the repository`,
			is:   ErrUnsupported,
		},
		{
			name:    "root pom without version",
			editor:  Maven{},
			files:   MapFiles{"pom.xml": []byte(pomHead + "<groupId>g</groupId><artifactId>a</artifactId></project>")},
			version: "1.0.0",
			want:    `pom.xml: no version found: the project has no <version> and no <parent> <version> to inherit: add a <version> to the <project>`,
			is:      ErrNoVersion,
		},
		{
			name:   "root pom inherits from an external parent",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.2.1</version></parent>
<artifactId>a</artifactId></project>`)},
			version: "1.0.0",
			want:    `pom.xml: no version found: the root project has no <version> of its own and inherits it from its parent org.springframework.boot:spring-boot-starter-parent, which is not part of the reactor: add a <version> to the root <project>`,
			is:      ErrNoVersion,
		},
		{
			name:   "undefined revision",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId>
<version>${revision}</version></project>`)},
			want: `pom.xml:4: no version found: cannot resolve version ${revision}: property "revision" is not defined in <properties> of this pom or of a parent in the reactor: define it in <properties> of the root pom`,
			is:   ErrNoVersion,
		},
		{
			name:   "version of text and properties",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId>
<version>${revision}-custom</version>
<properties><revision>1.0.0</revision></properties></project>`)},
			version: "1.0.0",
			want:    `pom.xml:4: unsupported version form: <version> ${revision}-custom combines text and properties; relman sets a literal version, one ${property}, or the CI-friendly ${revision}${changelist} and ${revision}${sha1}${changelist}: keep the text in a property, like <version>${revision}</version>`,
			is:      ErrUnsupported,
		},
		{
			name:   "CI-friendly changelist not defined",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId>
<version>${revision}${changelist}</version>
<properties><revision>1.0.0</revision></properties></project>`)},
			version: "1.0.0",
			want:    `pom.xml:4: no version found: cannot resolve version ${revision}${changelist}: property "changelist" is not defined in <properties> of this pom or of a parent in the reactor: define it in <properties> of the root pom`,
			is:      ErrNoVersion,
		},
		{
			name:   "CI-friendly changelist from another property",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId>
<version>${revision}${changelist}</version>
<properties><revision>1.0.0</revision><suffix>-SNAPSHOT</suffix>
<changelist>${suffix}</changelist></properties></project>`)},
			version: "1.0.0",
			want:    `pom.xml:6: unsupported version form: property <changelist>, part of <version> ${revision}${changelist}, is not plain text; relman keeps or empties the parts after the first: write it as text, like <changelist>-SNAPSHOT</changelist> or <changelist/>`,
			is:      ErrUnsupported,
		},
		{
			name:   "module at another version shares the version property",
			editor: Maven{},
			files: MapFiles{
				"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>r</artifactId><version>${revision}</version>
<properties><revision>1.0.0-SNAPSHOT</revision></properties>
<modules><module>tools</module></modules></project>`),
				"tools/pom.xml": []byte(pomHead + `<parent><groupId>g</groupId><artifactId>r</artifactId><version>${revision}</version></parent>
<artifactId>tools</artifactId>
<version>${revision}-tools</version></project>`),
			},
			version: "1.0.0",
			want:    `tools/pom.xml:5: unsupported version form: setting 1.0.0 would also change this module from 1.0.0-SNAPSHOT-tools to 1.0.0-tools, through a property it shares with the modules that change; versions:set keeps a module at another version: give this module a version or property of its own`,
			is:      ErrUnsupported,
		},
		{
			name:   "outputTimestamp in an unknown form",
			editor: Maven{Time: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)},
			files: MapFiles{"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId><version>1.0.0-SNAPSHOT</version>
<properties><project.build.outputTimestamp>2024-01-02 03:04:05</project.build.outputTimestamp></properties></project>`)},
			version: "1.0.0",
			want:    `pom.xml:4: unsupported version form: property <project.build.outputTimestamp>: "2024-01-02 03:04:05" is neither seconds since the epoch nor ISO-8601: expected a value like 2024-01-02T03:04:05Z or 1704164645 (Maven cannot read it either); fix the value`,
			is:      ErrUnsupported,
		},
		{
			name:   "comment inside version",
			editor: Maven{},
			files: MapFiles{"pom.xml": []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId>
<version>1.0.0<!-- next -->-SNAPSHOT</version></project>`)},
			version: "1.0.0",
			want:    `pom.xml:4: unsupported version form: <version> holds markup (a comment, CDATA or an entity reference); relman edits plain text only: write the version as plain text`,
			is:      ErrUnsupported,
		},
		{
			name:   "duplicate coordinates",
			editor: Maven{},
			files: MapFiles{
				"pom.xml":   []byte(pomHead + `<groupId>g</groupId><artifactId>a</artifactId><version>1</version><modules><module>a</module></modules></project>`),
				"a/pom.xml": []byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version></project>`),
			},
			want: `a/pom.xml:1: syntax error: project g:a is also pom.xml: each module of a reactor needs its own groupId:artifactId`,
			is:   ErrSyntax,
		},
		{
			name:    "maven invalid version",
			editor:  Maven{},
			files:   MapFiles{"pom.xml": []byte(`<project><artifactId>a</artifactId><version>1</version></project>`)},
			version: "1.0.0 <b>",
			want:    `invalid version "1.0.0 <b>": expected letters, digits and . _ + ~ - starting with a letter or digit, like 1.2.3 or 1.3.0-SNAPSHOT`,
			is:      ErrInvalidVersion,
		},
		{
			name:   "VERSION with two lines",
			editor: Python{},
			files:  MapFiles{"VERSION": []byte("1.2.3\n\n1.2.4\n")},
			want:   `VERSION:3: syntax error: a second non-empty line "1.2.4": expected exactly one line holding the version, like 1.2.3`,
			is:     ErrSyntax,
		},
		{
			name:   "VERSION with text",
			editor: Python{},
			files:  MapFiles{"VERSION": []byte("version = 1.2.3\n")},
			want:   `VERSION:1: syntax error: found "version = 1.2.3": expected one line holding a PEP 440 version, like 1.2.3 or 1.3.0.dev0`,
			is:     ErrSyntax,
		},
		{
			name:   "VERSION empty",
			editor: Python{},
			files:  MapFiles{"VERSION": []byte("\n")},
			want:   `VERSION: no version found: the file is empty: expected one line holding the version, like 1.2.3`,
			is:     ErrNoVersion,
		},
		{
			name:   "VERSION missing",
			editor: Python{},
			files:  MapFiles{},
			want:   `VERSION: file does not exist: expected a file holding the version, like 1.2.3`,
			is:     fs.ErrNotExist,
		},
		{
			name:    "VERSION gets a Maven version",
			editor:  Python{},
			files:   MapFiles{"VERSION": []byte("1.2.3\n")},
			version: "1.3.0-SNAPSHOT",
			want:    `invalid version "1.3.0-SNAPSHOT" for VERSION: expected a PEP 440 version like 1.2.3 or 1.3.0.dev0`,
			is:      ErrInvalidVersion,
		},
		{
			name:   "package.json not JSON",
			editor: mustSpec(t, "package.json"),
			files:  MapFiles{"package.json": []byte("{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\",\n}\n")},
			want:   `package.json:4: syntax error: not valid JSON: invalid character '}' looking for beginning of object key string`,
			is:     ErrSyntax,
		},
		{
			name:   "package.json without version",
			editor: mustSpec(t, "package.json"),
			files:  MapFiles{"package.json": []byte(`{"name": "x", "dependencies": {"y": {"version": "1.0.0"}}}`)},
			want:   `package.json: no version found: no top-level "version": expected {"version": "1.2.3", ...}`,
			is:     ErrNoVersion,
		},
		{
			name:   "package.json version number",
			editor: mustSpec(t, "web/package.json"),
			files:  MapFiles{"web/package.json": []byte("{\n\"version\": 1.0}")},
			want:   `web/package.json:2: no version found: the top-level "version" is not a string: expected "version": "1.2.3"`,
			is:     ErrNoVersion,
		},
		{
			name:   "package.json array",
			editor: mustSpec(t, "package.json"),
			files:  MapFiles{"package.json": []byte(`["version"]`)},
			want:   `package.json:1: syntax error: expected a JSON object at the top level, like {"version": "1.2.3"}`,
			is:     ErrSyntax,
		},
		{
			name:   "gradle.properties without version",
			editor: mustSpec(t, "gradle.properties"),
			files:  MapFiles{"gradle.properties": []byte("#version=1.0\nversionName=2\n")},
			want:   `gradle.properties: no version found: no version= line: expected a line like version=1.2.3`,
			is:     ErrNoVersion,
		},
		{
			name:   "gradle.properties with two versions",
			editor: mustSpec(t, "gradle.properties"),
			files:  MapFiles{"gradle.properties": []byte("version=1.0\nversion: 1.1\n")},
			want:   `gradle.properties:2: syntax error: a second version= line (the first is line 1): expected one`,
			is:     ErrSyntax,
		},
		{
			name:   "pyproject without version",
			editor: mustSpec(t, "pyproject.toml"),
			files:  MapFiles{"pyproject.toml": []byte("[project]\nname = \"x\"\ndynamic = [\"version\"]\n")},
			want:   `pyproject.toml: no version found: no [project] version and no [tool.poetry] version: expected version = "1.2.3" under [project]`,
			is:     ErrNoVersion,
		},
		{
			name:   "pyproject bad TOML",
			editor: mustSpec(t, "pyproject.toml"),
			files:  MapFiles{"pyproject.toml": []byte("[project]\nname = \"x\nversion = \"1.0\"\n")},
			want:   `pyproject.toml:2: syntax error: string does not end on its line`,
			is:     ErrSyntax,
		},
		{
			name:   "Cargo.toml inherits its version",
			editor: mustSpec(t, "crates/cli/Cargo.toml"),
			files:  MapFiles{"crates/cli/Cargo.toml": []byte("[package]\nname = \"cli\"\nversion.workspace = true\n")},
			want:   `crates/cli/Cargo.toml: no version found: no [package] version and no [workspace.package] version: expected version = "1.2.3" under [package]`,
			is:     ErrNoVersion,
		},
		{
			name:   "Cargo.toml duplicate",
			editor: mustSpec(t, "Cargo.toml"),
			files:  MapFiles{"Cargo.toml": []byte("[package]\nversion = \"1\"\nversion = \"2\"\n")},
			want:   `Cargo.toml:3: syntax error: package.version is defined twice (first on line 2): expected it once`,
			is:     ErrSyntax,
		},
		{
			name:   "Chart.yaml without version",
			editor: mustSpec(t, "Chart.yaml"),
			files:  MapFiles{"Chart.yaml": []byte("apiVersion: v2\nname: x\ndependencies:\n  - version: 1.0.0\n")},
			want:   `Chart.yaml: no version found: no top-level version: expected a line like version: 1.2.3`,
			is:     ErrNoVersion,
		},
		{
			name:   "Chart.yaml block version",
			editor: mustSpec(t, "Chart.yaml"),
			files:  MapFiles{"Chart.yaml": []byte("name: x\nversion: >-\n  1.0.0\n")},
			want:   `Chart.yaml:2: unsupported version form: version: >- is not a plain or quoted scalar: expected version: 1.2.3`,
			is:     ErrUnsupported,
		},
		{
			name:   "regex without match",
			editor: mustSpec(t, `setup.py=version="([^"]+)"`),
			files:  MapFiles{"setup.py": []byte("setup(version='1.0')\n")},
			want:   `setup.py: no version found: no match for version="([^"]+)": expected the version inside its capture group`,
			is:     ErrNoVersion,
		},
		{
			name:    "regex that does not read back",
			editor:  mustSpec(t, `v.txt=v(\d+)`),
			files:   MapFiles{"v.txt": []byte("v1\n")},
			version: "2.0",
			want:    `v.txt:1: unsupported version form: after writing 2.0 the file reads 2: make the pattern's capture group match the whole version`,
			is:      ErrUnsupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.version == "" {
				_, err = tt.editor.Current(tt.files)
				if err == nil {
					t.Fatal("Current: no error")
				}
				if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
					t.Errorf("Current error (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.is) {
					t.Errorf("Current error %v is not %v", err, tt.is)
				}
			}
			v := tt.version
			if v == "" {
				v = "9.9.9"
			}
			cs, err := tt.editor.Set(tt.files, v)
			if err == nil {
				t.Fatal("Set: no error")
			}
			if cs != nil {
				t.Errorf("Set returned changes with its error: %v", cs)
			}
			if tt.version != "" {
				if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
					t.Errorf("Set error (-want +got):\n%s", diff)
				}
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("Set error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestParseVersionFileErrors(t *testing.T) {
	tests := []struct {
		spec string
		want string
	}{
		{"notes.txt", `version-files entry "notes.txt": unknown version file format: cannot tell the format of notes.txt from its name: expected a file named package.json, gradle.properties, pyproject.toml, Chart.yaml, Cargo.toml, or PATH:FORMAT, or PATH=REGEX with one capture group around the version`},
		{"notes.txt:yaml", `version-files entry "notes.txt:yaml": unknown version file format "yaml": expected one of package.json, gradle.properties, pyproject.toml, Chart.yaml, Cargo.toml`},
		{"package.json:appVersion", `version-files entry "package.json:appVersion": unknown version file format "appVersion": package.json takes no option; expected one of package.json, gradle.properties, pyproject.toml, Chart.yaml, Cargo.toml`},
		{"Chart.yaml:kubeVersion", `version-files entry "Chart.yaml:kubeVersion": unknown version file format "kubeVersion": Chart.yaml takes version or appVersion`},
		{"x.py=version", `version-files entry "x.py=version": the pattern has 0 capture groups, expected exactly one around the version, like src/app/__init__.py=__version__ = "([^"]+)"`},
		{"x.py=(a)(b)", `version-files entry "x.py=(a)(b)": the pattern has 2 capture groups, expected exactly one around the version, like src/app/__init__.py=__version__ = "([^"]+)"`},
		{"x.py=(", "version-files entry \"x.py=(\": the pattern does not compile: error parsing regexp: missing closing ): `(`"},
		{"=(x)", `version-files entry "=(x)": no file before =: expected PATH=REGEX`},
		{"", `version-files entry "": no file: expected PATH, PATH:FORMAT or PATH=REGEX`},
		{"../package.json", `version-files entry "../package.json": "../package.json" is not a file inside the repository: expected a path relative to the repository root`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseVersionFile(tt.spec)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
