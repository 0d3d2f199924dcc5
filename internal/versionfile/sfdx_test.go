package versionfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sfdxProject is an sfdx-project.json as teams write them: two packages,
// an unpackaged directory, dependencies on a package of the project, on
// a package version alias and on a package from elsewhere.
const sfdxProject = `{
  "packageDirectories": [
    { "path": "src/core", "package": "core", "versionNumber": "1.2.0.NEXT", "default": false },
    {
      "path": "src/app",
      "package": "app",
      "versionName": "Spring",
      "versionNumber": "2.0.1.4",
      "dependencies": [
        { "package": "core", "versionNumber": "1.2.0.LATEST" },
        { "package": "core@1.1.0-3" },
        { "package": "ext-lib", "versionNumber": "3.1.0.LATEST" },
        { "package": "utils", "versionNumber": "0.3.0.2" }
      ],
      "default": true
    },
    { "path": "src/utils", "package": "utils", "versionNumber": "0.3.0.NEXT" },
    { "path": "unpackaged" }
  ],
  "packageAliases": {
    "core": "0Ho000000000001AAA",
    "core@1.1.0-3": "04t000000000001AAA",
    "ext-lib": "0Ho000000000002AAA"
  },
  "sourceApiVersion": "60.0"
}
`

func TestSFDXEditor(t *testing.T) {
	crlf := "\ufeff" + strings.ReplaceAll(sfdxProject, "\n", "\r\n")
	tests := []struct {
		name    string
		file    string
		pkg     string
		version string
		current string
		// from → to: the one replacement Set makes; empty: no change
		from, to string
	}{
		{name: "next kept", file: sfdxProject, pkg: "core", version: "1.3.0", current: "1.2.0",
			from: `"versionNumber": "1.2.0.NEXT"`, to: `"versionNumber": "1.3.0.NEXT"`},
		{name: "numbered build becomes next", file: sfdxProject, pkg: "app", version: "2.1.0", current: "2.0.1",
			from: `"versionNumber": "2.0.1.4"`, to: `"versionNumber": "2.1.0.NEXT"`},
		{name: "same version, any build", file: sfdxProject, pkg: "app", version: "2.0.1", current: "2.0.1"},
		{name: "same version with next", file: sfdxProject, pkg: "core", version: "1.2.0", current: "1.2.0"},
		{name: "four parts as given", file: sfdxProject, pkg: "core", version: "1.3.0.5", current: "1.2.0",
			from: `"versionNumber": "1.2.0.NEXT"`, to: `"versionNumber": "1.3.0.5"`},
		{name: "crlf and bom kept", file: crlf, pkg: "utils", version: "0.4.0", current: "0.3.0",
			from: `"versionNumber": "0.3.0.NEXT"`, to: `"versionNumber": "0.4.0.NEXT"`},
		{name: "three parts stay three", file: `{"packageDirectories":[{"path":"a","package":"a","versionNumber":"1.0.0"}]}`, pkg: "a", version: "1.1.0", current: "1.0.0",
			from: `"1.0.0"`, to: `"1.1.0"`},
		{name: "last of duplicate keys", file: `{"packageDirectories":[{"path":"a","package":"a","versionNumber":"9.9.9.NEXT","versionNumber":"1.0.0.NEXT"}]}`, pkg: "a", version: "1.1.0", current: "1.0.0",
			from: `"1.0.0.NEXT"`, to: `"1.1.0.NEXT"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := SFDX{Package: tc.pkg}
			files := MapFiles{"sfdx-project.json": []byte(tc.file)}
			got, err := e.Current(files)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.current {
				t.Errorf("Current = %q, want %q", got, tc.current)
			}
			cs, err := e.Set(files, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if tc.from == "" {
				if len(cs) != 0 {
					t.Fatalf("Set changed %s:\n%s", cs[0].Path, cs[0].New)
				}
				return
			}
			if strings.Count(tc.file, tc.from) != 1 {
				t.Fatalf("bad test: %q is not once in the file", tc.from)
			}
			want := []Change{{Path: "sfdx-project.json", Old: []byte(tc.file), New: []byte(strings.Replace(tc.file, tc.from, tc.to, 1))}}
			if diff := cmp.Diff(want, cs); diff != "" {
				t.Errorf("Set (-want +got):\n%s", diff)
			}
			again, err := e.Set(MapFiles{"sfdx-project.json": cs[0].New}, tc.version)
			if err != nil || len(again) != 0 {
				t.Errorf("setting %s again: %v, %d changes", tc.version, err, len(again))
			}
		})
	}
	if got := (SFDX{Package: "core"}).Name(); got != "sfdx (sfdx-project.json package core)" {
		t.Errorf("Name = %q", got)
	}
	if got, _ := (SFDX{Path: "./x/sfdx-project.json", Package: "core"}).Paths(nil); !cmp.Equal(got, []string{"x/sfdx-project.json"}) {
		t.Errorf("Paths = %q", got)
	}
}

func TestSFDXEditorErrors(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		version string
		want    string
		is      error
	}{
		{name: "no file", version: "1.0.0", want: "sfdx-project.json: file does not exist: expected a Salesforce DX project file with packageDirectories"},
		{name: "not json", file: "{\n  \"packageDirectories\": [,]\n}", version: "1.0.0",
			want: "sfdx-project.json:2: syntax error: not valid JSON: invalid character ',' looking for beginning of value", is: ErrSyntax},
		{name: "not an object", file: `[1]`, version: "1.0.0", want: `sfdx-project.json:1: syntax error: found an array: expected an object with "packageDirectories"`, is: ErrSyntax},
		{name: "no packageDirectories", file: `{"name": "x"}`, version: "1.0.0",
			want: `sfdx-project.json:1: no version found: no "packageDirectories": expected "packageDirectories": [{"path": "DIR", "package": "NAME", "versionNumber": "1.0.0.NEXT"}]`, is: ErrNoVersion},
		{name: "packageDirectories not an array", file: "{\n\"packageDirectories\": {}}", version: "1.0.0",
			want: `sfdx-project.json:2: syntax error: packageDirectories is an object: expected an array of objects`, is: ErrSyntax},
		{name: "entry not an object", file: "{\"packageDirectories\": [\n\"core\"]}", version: "1.0.0",
			want: `sfdx-project.json:2: syntax error: a packageDirectories entry is the string "core": expected an object like {"path": "DIR", "package": "NAME"}`, is: ErrSyntax},
		{name: "no such package", file: `{"packageDirectories": [{"path": "a", "package": "a", "versionNumber": "1.0.0.NEXT"}]}`, version: "1.0.0",
			want: `sfdx-project.json:1: no version found: no packageDirectories entry has "package": "core": expected one, like {"path": "DIR", "package": "core", "versionNumber": "1.0.0.NEXT"}`, is: ErrNoVersion},
		{name: "twice", file: "{\"packageDirectories\": [\n{\"package\": \"core\"},\n{\"package\": \"core\"}]}", version: "1.0.0",
			want: `sfdx-project.json:3: syntax error: package core has a second packageDirectories entry (the first is on line 2): expected one`, is: ErrSyntax},
		{name: "no versionNumber", file: "{\"packageDirectories\": [\n{\"path\": \"a\", \"package\": \"core\"}]}", version: "1.0.0",
			want: `sfdx-project.json:2: no version found: package core has no versionNumber: expected "versionNumber": "1.0.0.NEXT"`, is: ErrNoVersion},
		{name: "versionNumber a number", file: "{\"packageDirectories\": [{\"package\": \"core\",\n\"versionNumber\": 1}]}", version: "1.0.0",
			want: `sfdx-project.json:2: no version found: package core: versionNumber is a number: expected a string like "1.0.0.NEXT"`, is: ErrNoVersion},
		{name: "versionNumber malformed", file: "{\"packageDirectories\": [{\"package\": \"core\",\n\"versionNumber\": \"1.2\"}]}", version: "1.0.0",
			want: `sfdx-project.json:2: syntax error: package core: versionNumber "1.2" is not MAJOR.MINOR.PATCH.BUILD: expected a version like "1.2.0.NEXT" or "1.2.0.4"`, is: ErrSyntax},
		{name: "unknown build keyword", file: `{"packageDirectories": [{"package": "core", "versionNumber": "1.2.0.SOON"}]}`, version: "1.0.0",
			want: `sfdx-project.json:1: syntax error: package core: versionNumber "1.2.0.SOON" has the build "SOON": expected a number, NEXT, LATEST or RELEASED`, is: ErrSyntax},
		{name: "escapes", file: `{"packageDirectories": [{"package": "core", "versionNumber": "1.2.0\u002eNEXT"}]}`, version: "1.3.0",
			want: `sfdx-project.json:1: unsupported version form: package core: versionNumber has escapes: write it without backslashes`, is: ErrUnsupported},
		{name: "prerelease", file: sfdxProject, version: "1.3.0-rc.1",
			want: `invalid version "1.3.0-rc.1" for package core of sfdx-project.json: expected MAJOR.MINOR.PATCH (1.3.0) or MAJOR.MINOR.PATCH.BUILD (1.3.0.NEXT, 1.3.0.2); sfdx versions have no pre-release or build metadata`, is: ErrInvalidVersion},
		{name: "latest is no own version", file: sfdxProject, version: "1.3.0.LATEST", want: `invalid version "1.3.0.LATEST"`, is: ErrInvalidVersion},
		{name: "not writable", file: sfdxProject, version: `1"`, want: `invalid version "1\""`, is: ErrInvalidVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := MapFiles{}
			if tc.file != "" {
				files["sfdx-project.json"] = []byte(tc.file)
			}
			cs, err := SFDX{Package: "core"}.Set(files, tc.version)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Set: %v, want %q", err, tc.want)
			}
			if cs != nil {
				t.Errorf("changes returned with the error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v is not %v", err, tc.is)
			}
		})
	}
}

func TestReadSFDX(t *testing.T) {
	got, err := ReadSFDX("sfdx-project.json", []byte(sfdxProject))
	if err != nil {
		t.Fatal(err)
	}
	want := &SFDXProject{Line: 2, Packages: []SFDXPackage{
		{Package: "core", Line: 3, Path: "src/core", VersionNumber: "1.2.0.NEXT"},
		{Package: "app", Line: 4, Path: "src/app", VersionNumber: "2.0.1.4", Dependencies: []SFDXDependency{
			{Package: "core", VersionNumber: "1.2.0.LATEST", Line: 10},
			{Package: "core@1.1.0-3", Line: 11},
			{Package: "ext-lib", VersionNumber: "3.1.0.LATEST", Line: 12},
			{Package: "utils", VersionNumber: "0.3.0.2", Line: 13},
		}},
		{Package: "utils", Line: 17, Path: "src/utils", VersionNumber: "0.3.0.NEXT"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadSFDX (-want +got):\n%s", diff)
	}

	bad := []struct{ name, file, want string }{
		{"package not a string", "{\"packageDirectories\": [{\"path\": \"a\",\n\"package\": 1}]}", `sfdx-project.json:2: syntax error: package is a number: expected the package's name`},
		{"no path", "{\"packageDirectories\": [\n{\"package\": \"a\"}]}", `sfdx-project.json:2: syntax error: package a: an entry has no "path": expected "path": "..."`},
		{"path empty", "{\"packageDirectories\": [{\"package\": \"a\",\n\"path\": \"\"}]}", `sfdx-project.json:2: syntax error: package a: path is the string "": expected a non-empty string`},
		{"bad versionNumber", "{\"packageDirectories\": [{\"package\": \"a\", \"path\": \"a\",\n\"versionNumber\": \"v1\"}]}", `sfdx-project.json:2: syntax error: package a: versionNumber "v1" is not MAJOR.MINOR.PATCH.BUILD`},
		{"dependencies not an array", "{\"packageDirectories\": [{\"package\": \"a\", \"path\": \"a\",\n\"dependencies\": {}}]}", `sfdx-project.json:2: syntax error: package a: dependencies is an object: expected an array of objects like {"package": "NAME", "versionNumber": "1.0.0.LATEST"}`},
		{"dependency not an object", "{\"packageDirectories\": [{\"package\": \"a\", \"path\": \"a\", \"dependencies\": [\n\"b\"]}]}", `sfdx-project.json:2: syntax error: package a: a dependency is the string "b"`},
		{"dependency without package", "{\"packageDirectories\": [{\"package\": \"a\", \"path\": \"a\", \"dependencies\": [\n{\"versionNumber\": \"1.0.0.LATEST\"}]}]}", `sfdx-project.json:2: syntax error: package a: an entry has no "package"`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSFDX("sfdx-project.json", []byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadSFDX: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSetSFDXDependencies(t *testing.T) {
	tests := []struct {
		name     string
		pkg      string
		versions map[string]string
		// pairs of from → to, each once in the file
		edits []string
		err   string
	}{
		{name: "latest kept", pkg: "app", versions: map[string]string{"core": "1.3.0"},
			edits: []string{`"package": "core", "versionNumber": "1.2.0.LATEST"`, `"package": "core", "versionNumber": "1.3.0.LATEST"`}},
		{name: "numbered build becomes latest", pkg: "app", versions: map[string]string{"utils": "0.4.0"},
			edits: []string{`"versionNumber": "0.3.0.2"`, `"versionNumber": "0.4.0.LATEST"`}},
		{name: "numbered build takes the new build", pkg: "app", versions: map[string]string{"utils": "0.3.0.5"},
			edits: []string{`"versionNumber": "0.3.0.2"`, `"versionNumber": "0.3.0.5"`}},
		{name: "several", pkg: "app", versions: map[string]string{"core": "2.0.0", "utils": "0.3.1"},
			edits: []string{`"1.2.0.LATEST"`, `"2.0.0.LATEST"`, `"0.3.0.2"`, `"0.3.1.LATEST"`}},
		{name: "not down", pkg: "app", versions: map[string]string{"core": "1.1.0"}},
		{name: "same", pkg: "app", versions: map[string]string{"core": "1.2.0"}},
		{name: "alias and others untouched", pkg: "app", versions: map[string]string{"core@1.1.0-3": "1.3.0", "other": "1.0.0"}},
		{name: "no dependencies", pkg: "core", versions: map[string]string{"utils": "1.0.0"}},
		{name: "bad version", pkg: "app", versions: map[string]string{"core": "1.3.0-rc.1"}, err: `invalid version "1.3.0-rc.1" for dependency core of package app`},
		{name: "no such package", pkg: "nope", versions: map[string]string{"core": "1.3.0"}, err: `no packageDirectories entry has "package": "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := MapFiles{"sfdx-project.json": []byte(sfdxProject)}
			cs, err := SetSFDXDependencies(files, "sfdx-project.json", tc.pkg, tc.versions)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || cs != nil {
					t.Fatalf("got %v, %d changes; want error %q", err, len(cs), tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := sfdxProject
			for i := 0; i < len(tc.edits); i += 2 {
				if strings.Count(want, tc.edits[i]) != 1 {
					t.Fatalf("bad test: %q is not once in the file", tc.edits[i])
				}
				want = strings.Replace(want, tc.edits[i], tc.edits[i+1], 1)
			}
			var wantCs []Change
			if want != sfdxProject {
				wantCs = []Change{{Path: "sfdx-project.json", Old: []byte(sfdxProject), New: []byte(want)}}
			}
			if diff := cmp.Diff(wantCs, cs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
