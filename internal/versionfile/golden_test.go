package versionfile

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the expected files under testdata/golden/*/out")

// readTree reads every file under dir, by slash-separated path.
func readTree(t *testing.T, dir string) MapFiles {
	t.Helper()
	m := MapFiles{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		m[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return m
}

func mustSpec(t *testing.T, spec string) *VersionFile {
	t.Helper()
	v, err := ParseVersionFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Times of the version commits in the Maven golden cases: the tag step's
// release commit and the prep commit after it.
var (
	releaseTime = time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	prepTime    = time.Date(2025, 7, 1, 10, 5, 30, 0, time.UTC)
)

// TestGolden sets a version in each testdata/golden/NAME/in tree and
// compares the changed files with testdata/golden/NAME/out (or the out
// directory the case names), which holds exactly the files that change.
// The Maven cases set the release (the tag step's version commit) into
// out and the next SNAPSHOT (prep-commit, which starts from the same
// branch) into out-prep; testdata/golden/NAME/README.md explains each
// edit by the versions:set rule it follows. Run with -update to rewrite
// the out directories.
func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		out     string // default out
		editor  Editor
		before  string // the version Current reads from in
		version string
	}{
		{name: "maven-single", editor: Maven{}, before: "0.9.0-SNAPSHOT", version: "0.9.0"},
		{name: "maven-reactor", editor: Maven{Root: "pom.xml"}, before: "1.4.0-SNAPSHOT", version: "1.4.0"},
		{name: "maven-reactor", out: "out-prep", editor: Maven{Time: prepTime}, before: "1.4.0-SNAPSHOT", version: "1.5.0-SNAPSHOT"},
		{name: "maven-revision", editor: Maven{}, before: "2.1.0-SNAPSHOT", version: "2.1.0"},
		{name: "maven-other-versions", editor: Maven{Time: releaseTime}, before: "4.1.0-SNAPSHOT", version: "4.1.0"},
		{name: "maven-other-versions", out: "out-prep", editor: Maven{Time: prepTime}, before: "4.1.0-SNAPSHOT", version: "4.2.0-SNAPSHOT"},
		{name: "maven-ci-friendly", editor: Maven{Time: releaseTime}, before: "2.1.0-SNAPSHOT", version: "2.1.0"},
		{name: "maven-ci-friendly", out: "out-prep", editor: Maven{Time: prepTime}, before: "2.1.0-SNAPSHOT", version: "2.2.0-SNAPSHOT"},
		{name: "maven-ci-friendly-sha1", editor: Maven{Time: releaseTime}, before: "1.0.0-SNAPSHOT", version: "1.0.0"},
		{name: "maven-ci-friendly-sha1", out: "out-prep", editor: Maven{Time: prepTime}, before: "1.0.0-SNAPSHOT", version: "1.1.0-SNAPSHOT"},
		{name: "python", editor: Python{}, before: "1.2.3", version: PEP440Dev("1.3.0")},
		{name: "python-dev", editor: Python{Path: "VERSION"}, before: "1.3.0.dev0", version: "1.3.0"},
		{name: "package-json", editor: mustSpec(t, "package.json"), before: "2.4.1", version: "2.5.0"},
		{name: "gradle-properties", editor: mustSpec(t, "gradle.properties"), before: "3.1.0-SNAPSHOT", version: "3.1.0"},
		{name: "pyproject", editor: mustSpec(t, "pyproject.toml"), before: "0.7.2", version: "0.8.0.dev0"},
		{name: "pyproject-poetry", editor: mustSpec(t, "pyproject.toml"), before: "1.0.0b1", version: "1.0.0"},
		{name: "chart", editor: mustSpec(t, "charts/web/Chart.yaml"), before: "0.3.0", version: "0.4.0"},
		{name: "chart-appversion", editor: mustSpec(t, "Chart.yaml:appVersion"), before: "2.4.1", version: "2.5.0"},
		{name: "cargo", editor: mustSpec(t, "Cargo.toml"), before: "0.5.0", version: "0.6.0"},
		{name: "cargo-workspace-first", editor: mustSpec(t, "Cargo.toml"), before: "0.5.0", version: "0.6.0"},
		{name: "regex", editor: mustSpec(t, `src/app/__init__.py=__version__ = "([^"]+)"`), before: "4.0.0", version: "4.1.0"},
	}
	for _, tt := range tests {
		if tt.out == "" {
			tt.out = "out"
		}
		t.Run(tt.name+"/"+tt.out, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden", tt.name)
			in := readTree(t, filepath.Join(dir, "in"))
			if len(in) == 0 {
				t.Fatalf("no input files under %s/in", dir)
			}
			before, err := tt.editor.Current(in)
			if err != nil {
				t.Fatal(err)
			}
			if before != tt.before {
				t.Errorf("Current before = %q, want %q", before, tt.before)
			}
			cs, err := tt.editor.Set(in, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			after := MapFiles{}
			for p, b := range in {
				after[p] = b
			}
			for _, c := range cs {
				if string(c.Old) != string(in[c.Path]) {
					t.Errorf("%s: Change.Old is not the input file", c.Path)
				}
				got[c.Path] = string(c.New)
				after[c.Path] = c.New
			}
			out := filepath.Join(dir, tt.out)
			if *update {
				if err := os.RemoveAll(out); err != nil {
					t.Fatal(err)
				}
				for p, b := range got {
					f := filepath.Join(out, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(f, []byte(b), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := map[string]string{}
			for p, b := range readTree(t, out) {
				want[p] = string(b)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("changed files differ from %s (-want +got); rerun with -update if intended:\n%s", out, diff)
			}
			now, err := tt.editor.Current(after)
			if err != nil {
				t.Fatal(err)
			}
			if now != tt.version {
				t.Errorf("Current after = %q, want %q", now, tt.version)
			}
			again, err := tt.editor.Set(after, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Errorf("setting %s twice changed %d files the second time, want none", tt.version, len(again))
			}
		})
	}
}
