package packages

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/relman-dev/relman/internal/versionfile"
)

var update = flag.Bool("update", false, "rewrite the expected files under testdata/release")

// mustLoad loads the packages of a testdata/discover tree.
func mustLoad(t *testing.T, name, setting string) (tree, *Config) {
	t.Helper()
	tr := txtarTree(t, name)
	c, err := Load(tr, setting)
	if err != nil {
		t.Fatal(err)
	}
	return tr, c
}

func find(t *testing.T, c *Config, name string) Package {
	t.Helper()
	p, ok := c.Find(name)
	if !ok {
		t.Fatalf("no package %s in %v", name, c.Names())
	}
	return *p
}

func TestEditors(t *testing.T) {
	npmTree, npmC := mustLoad(t, "npm", "npm")
	mvnTree, mvnC := mustLoad(t, "maven", "maven")
	sfdxTree, sfdxC := mustLoad(t, "sfdx", "sfdx")
	goTree, goC := mustLoad(t, "go", "go")
	svcTree := tree{
		"svc/VERSION":          "1.0.0\n",
		"svc/chart/Chart.yaml": "apiVersion: v2\r\nname: svc\r\nversion: 0.1.0\r\nappVersion: \"1.0.0\" # the image\r\n",
		"VERSION":              "9.9.9\n",
	}
	svc := Package{Name: "svc", Paths: []string{"svc", "shared"}, BuildSystem: "python", VersionFiles: []string{"chart/Chart.yaml:appVersion"}, Kind: "config"}
	tests := []struct {
		name    string
		tree    tree
		pkg     Package
		names   string
		paths   []string
		current string
		version string
		// edits are, per changed file, pairs of from → to
		edits map[string][]string
	}{
		{name: "npm package.json in the home", tree: npmTree, pkg: find(t, npmC, "@acme/ui"),
			names: "version file package.json (package.json) in packages/ui/", paths: []string{"packages/ui/package.json"},
			current: "1.2.0", version: "1.3.0",
			edits: map[string][]string{"packages/ui/package.json": {`"version": "1.2.0"`, `"version": "1.3.0"`}}},
		{name: "npm package without a version", tree: npmTree, pkg: find(t, npmC, "@acme/util"), version: "0.1.0"},
		{name: "maven module as a reactor of its own", tree: mvnTree, pkg: find(t, mvnC, "core"),
			names: "maven (core/pom.xml)", paths: []string{"core/pom.xml"}, current: "1.2.0", version: "1.3.0",
			edits: map[string][]string{"core/pom.xml": {"<version>1.2.0</version>", "<version>1.3.0</version>"}}},
		{name: "sfdx versionNumber", tree: sfdxTree, pkg: find(t, sfdxC, "app"),
			names: "sfdx (sfdx-project.json package app)", paths: []string{"sfdx-project.json"}, current: "2.0.1", version: "2.1.0",
			edits: map[string][]string{"sfdx-project.json": {`"versionNumber": "2.0.1.4"`, `"versionNumber": "2.1.0.NEXT"`}}},
		{name: "python and a version file in the home", tree: svcTree, pkg: svc,
			names: "python (svc/VERSION), version file chart/Chart.yaml (Chart.yaml appVersion) in svc/",
			paths: []string{"svc/VERSION", "svc/chart/Chart.yaml"}, current: "1.0.0", version: "1.1.0",
			edits: map[string][]string{
				"svc/VERSION":          {"1.0.0\n", "1.1.0\n"},
				"svc/chart/Chart.yaml": {`appVersion: "1.0.0" # the image`, `appVersion: "1.1.0" # the image`},
			}},
		{name: "go module: tags only", tree: goTree, pkg: find(t, goC, "tools/gen"), version: "1.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eds, err := tc.pkg.Editors(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := eds.Name(); got != tc.names {
				t.Errorf("Name = %q, want %q", got, tc.names)
			}
			paths, err := eds.Paths(tc.tree)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.paths, paths); diff != "" {
				t.Errorf("Paths (-want +got):\n%s", diff)
			}
			cur, err := eds.Current(tc.tree)
			switch {
			case tc.current == "" && !errors.Is(err, versionfile.ErrNoVersion):
				t.Errorf("Current = %q, %v; want ErrNoVersion", cur, err)
			case tc.current != "" && (err != nil || cur != tc.current):
				t.Errorf("Current = %q, %v; want %s", cur, err, tc.current)
			}
			cs, err := eds.Set(tc.tree, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			var want []versionfile.Change
			for _, p := range paths {
				pairs, ok := tc.edits[p]
				if !ok {
					continue
				}
				old := tc.tree[p]
				n := old
				for i := 0; i < len(pairs); i += 2 {
					if strings.Count(n, pairs[i]) != 1 {
						t.Fatalf("bad test: %q is not once in %s", pairs[i], p)
					}
					n = strings.Replace(n, pairs[i], pairs[i+1], 1)
				}
				want = append(want, versionfile.Change{Path: p, Old: []byte(old), New: []byte(n)})
			}
			if diff := cmp.Diff(want, cs); diff != "" {
				t.Errorf("Set (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEditorsErrors(t *testing.T) {
	svc := Package{Name: "svc", Paths: []string{"svc"}, BuildSystem: "simple", VersionFiles: []string{"chart/Chart.yaml"}, Kind: "config"}
	eds, err := svc.Editors(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eds.Set(tree{"chart/Chart.yaml": "version: 1.0.0\n"}, "1.1.0")
	if err == nil || err.Error() != "svc/chart/Chart.yaml: file does not exist: expected a Chart.yaml file" {
		t.Errorf("missing version file: %v", err)
	}
	_, err = eds.Current(tree{"svc/chart/Chart.yaml": "name: x\n"})
	if err == nil || err.Error() != "svc/chart/Chart.yaml: no version found: no top-level version: expected a line like version: 1.2.3" || !errors.Is(err, versionfile.ErrNoVersion) {
		t.Errorf("no version: %v", err)
	}
	_, err = eds.Paths(tree{})
	if err != nil {
		t.Errorf("Paths: %v", err)
	}

	for _, tc := range []struct {
		name string
		pkg  Package
		want string
	}{
		{"bad version-files entry", Package{Name: "svc", Paths: []string{"svc"}, VersionFiles: []string{"version.txt"}},
			`package svc: version-files entry "version.txt": unknown version file format: cannot tell the format of version.txt from its name`},
		{"entry leaving the home", Package{Name: "svc", Paths: []string{"svc"}, VersionFiles: []string{"../package.json"}},
			`package svc: version-files entry "../package.json": "../package.json" is not a file inside the repository`},
		{"unknown build system", Package{Name: "svc", Paths: []string{"svc"}, BuildSystem: "gradle"},
			`package svc: unknown build system "gradle": expected simple, python or maven`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.pkg.Editors(nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}

	// The Maven editor's warnings arrive once each.
	var warnings []string
	mvn := Package{Name: "core", Paths: []string{"core"}, BuildSystem: "maven"}
	eds, err = mvn.Editors(func(w string) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatal(err)
	}
	files := tree{"core/pom.xml": "<project><artifactId>core</artifactId><version>1.0.0</version><modules><module>gone</module></modules></project>"}
	_, _ = eds.Paths(files)
	_, _ = eds.Set(files, "1.1.0")
	if len(warnings) != 1 || !strings.Contains(warnings[0], "core/pom.xml:1: module \"gone\": core/gone/pom.xml does not exist") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestDependencyEdits(t *testing.T) {
	npmTree, npmC := mustLoad(t, "npm", "npm")
	goTree, goC := mustLoad(t, "go", "go")
	tests := []struct {
		name     string
		tree     tree
		c        *Config
		pkg      Package
		released map[string]string
		want     map[string][]string
		err      string
	}{
		{name: "npm ranges", tree: npmTree, c: npmC, pkg: find(t, npmC, "web"),
			released: map[string]string{"@acme/ui": "1.3.0", "@acme/util": "0.2.0", "@acme/tokens": "0.4.2", "web": "3.0.1"},
			want:     map[string][]string{"apps/web/package.json": {`"@acme/ui": "^1.2.0"`, `"@acme/ui": "^1.3.0"`, `"@acme/tokens": "~0.4.1"`, `"@acme/tokens": "~0.4.2"`}}},
		{name: "only released dependencies", tree: npmTree, c: npmC, pkg: find(t, npmC, "web"), released: map[string]string{"web": "3.0.1"}},
		{name: "a package of another kind", tree: npmTree, c: &Config{Packages: append([]Package{{Name: "@acme/ui", Paths: []string{"packages/ui"}, Kind: "config"}}, npmC.Packages...)},
			pkg: find(t, npmC, "web"), released: map[string]string{"@acme/ui": "1.3.0"}},
		{name: "a config package has no manifest", tree: npmTree, c: npmC,
			pkg: Package{Name: "docs", Paths: []string{"docs"}, DependsOn: []string{"@acme/ui"}, Kind: "config"}, released: map[string]string{"@acme/ui": "1.3.0"}},
		{name: "go requires", tree: goTree, c: goC, pkg: find(t, goC, "tools/gen"), released: map[string]string{"lib": "1.2.1"},
			want: map[string][]string{"tools/gen/go.mod": {"example.com/repo/lib v1.2.0", "example.com/repo/lib v1.2.1"}}},
		{name: "go: a major Go cannot require", tree: goTree, c: goC, pkg: find(t, goC, "tools/gen"), released: map[string]string{"lib": "2.0.0", "api/v2": "2.2.0"},
			err: "package tools/gen: point it at the new versions of api/v2, lib: tools/gen/go.mod:7: unsupported version form: module example.com/repo/lib cannot be required at v2.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := tc.c.DependencyEdits(tc.tree, tc.pkg, tc.released)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || cs != nil {
					t.Fatalf("got %v, %d changes; want error %q", err, len(cs), tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want []versionfile.Change
			for p, pairs := range tc.want {
				n := tc.tree[p]
				for i := 0; i < len(pairs); i += 2 {
					if strings.Count(n, pairs[i]) != 1 {
						t.Fatalf("bad test: %q is not once in %s", pairs[i], p)
					}
					n = strings.Replace(n, pairs[i], pairs[i+1], 1)
				}
				want = append(want, versionfile.Change{Path: p, Old: []byte(tc.tree[p]), New: []byte(n)})
			}
			if diff := cmp.Diff(want, cs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReleaseChanges makes the release commit's edits of each discovered
// tree and compares the changed files, and which packages changed which,
// with testdata/release/NAME.txtar (go test -update rewrites them).
func TestReleaseChanges(t *testing.T) {
	tests := []struct {
		name, tree, setting string
		versions            map[string]string
	}{
		{name: "sfdx", tree: "sfdx", setting: "sfdx", versions: map[string]string{"core": "1.3.0", "utils": "0.3.1", "app": "2.0.2"}},
		{name: "sfdx-one", tree: "sfdx", setting: "sfdx", versions: map[string]string{"core": "1.3.0"}},
		{name: "npm", tree: "npm", setting: "npm", versions: map[string]string{"@acme/tokens": "0.5.0", "@acme/ui": "1.2.1", "@acme/util": "0.0.1", "web": "3.0.1"}},
		{name: "maven", tree: "maven", setting: "maven", versions: map[string]string{"core": "1.3.0", "api": "0.3.1"}},
		{name: "go", tree: "go", setting: "go", versions: map[string]string{"lib": "1.3.0", "api/v2": "2.1.1", "tools/gen": "0.1.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, c := mustLoad(t, tc.tree, tc.setting)
			r, err := c.ReleaseChanges(tr, ReleaseOptions{Versions: tc.versions, Time: time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			a := &txtar.Archive{Comment: []byte(fmt.Sprintf("The release commit's files for %s.\n", versionList(tc.versions)))}
			var changed []string
			for name, paths := range r.Changed {
				changed = append(changed, name+": "+strings.Join(paths, " ")+"\n")
			}
			sort.Strings(changed)
			a.Files = append(a.Files, txtar.File{Name: "changed", Data: []byte(strings.Join(changed, ""))})
			for _, ch := range r.Changes {
				if !bytes.Equal(ch.Old, []byte(tr[ch.Path])) {
					t.Errorf("%s: Old is not the file of the tree", ch.Path)
				}
				a.Files = append(a.Files, txtar.File{Name: ch.Path, Data: ch.New})
			}
			got := txtar.Format(a)
			file := filepath.Join("testdata", "release", tc.name+".txtar")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", file, diff)
			}
			// Every edit is an edit of version text: the files differ
			// from the tree's in as many lines as they have.
			for _, ch := range r.Changes {
				if bytes.Count(ch.Old, []byte{'\n'}) != bytes.Count(ch.New, []byte{'\n'}) {
					t.Errorf("%s: the number of lines changed", ch.Path)
				}
			}
			// Doing it again on the released files changes nothing.
			after := tr.with(nil)
			for _, ch := range r.Changes {
				after[ch.Path] = string(ch.New)
			}
			again, err := c.ReleaseChanges(after, ReleaseOptions{Versions: tc.versions})
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Changes) != 0 || len(again.Changed) != 0 {
				t.Errorf("a second run changed %v", again.Changed)
			}
		})
	}
}

func versionList(m map[string]string) string {
	var out []string
	for n, v := range m {
		out = append(out, n+" "+v)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func TestReleaseChangesErrors(t *testing.T) {
	tr, c := mustLoad(t, "sfdx", "sfdx")
	_, err := c.ReleaseChanges(tr, ReleaseOptions{Versions: map[string]string{"core": "1.3.0-rc.1"}})
	if err == nil || !strings.Contains(err.Error(), `package core: set its version 1.3.0-rc.1: invalid version "1.3.0-rc.1" for package core of sfdx-project.json`) {
		t.Errorf("prerelease: %v", err)
	}
	_, err = c.ReleaseChanges(tr.without("sfdx-project.json"), ReleaseOptions{Versions: map[string]string{"core": "1.3.0"}})
	if err == nil || !strings.Contains(err.Error(), "package core: set its version 1.3.0: sfdx-project.json: file does not exist") {
		t.Errorf("no project file: %v", err)
	}
	r, err := c.ReleaseChanges(tr, ReleaseOptions{})
	if err != nil || len(r.Changes) != 0 || len(r.Changed) != 0 {
		t.Errorf("nothing released: %+v, %v", r, err)
	}
}

// TestEditorsMavenInherited: a module released on its own needs a version
// of its own; one that inherits its parent's is refused, saying so.
func TestEditorsMavenInherited(t *testing.T) {
	tr, c := mustLoad(t, "maven", "maven")
	tr = tr.with(map[string]string{"core/pom.xml": strings.Replace(tr["core/pom.xml"], "  <version>1.2.0</version>\n", "", 1)})
	eds, err := find(t, c, "core").Editors(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eds.Set(tr, "1.3.0")
	want := "core/pom.xml: no version found: the root project has no <version> of its own and inherits it from its parent com.acme:acme-parent, which is not part of the reactor: add a <version> to the root <project>"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
