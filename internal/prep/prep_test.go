package prep

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/version"
	"github.com/relman-dev/relman/internal/versionfile"
)

type log struct{ lines []string }

func (l *log) Infof(f string, a ...any)    { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }
func (l *log) Noticef(f string, a ...any)  { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }
func (l *log) Warningf(f string, a ...any) { l.lines = append(l.lines, fmt.Sprintf(f, a...)) }

const pom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>lib</artifactId>
  <version>%s</version>
</project>
`

func editors(t *testing.T, buildSystem string) versionfile.Multi {
	t.Helper()
	m, err := versionfile.New(versionfile.Config{BuildSystem: buildSystem})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type fixture struct {
	g       *gittest.Repo
	editors versionfile.Multi
	python  bool
}

func (f fixture) run(t *testing.T, branch, ver, snapshot string, hook func(string, int)) (*Result, error) {
	t.Helper()
	dir := f.g.Clone(branch)
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	return Run(context.Background(), Options{
		Repo: repo, Branch: branch, DefaultBranch: "main", BranchPrefix: "release/",
		Version: semver.MustParse(ver), Remote: "origin", Editors: f.editors, Python: f.python,
		Snapshot: snapshot, Author: func() object.Signature { return gittest.Sig(gittest.Epoch) }, Log: &log{},
		beforePush: hook,
	})
}

// remoteFile reads a file at the tip of a remote branch.
func remoteFile(t *testing.T, g *gittest.Repo, branch, path string) (string, *object.Commit) {
	t.Helper()
	r, err := gitrepo.Open(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := r.ResolveCommit("refs/heads/" + branch)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := r.Files(h)
	b, err := files.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.Commit(h)
	return string(b), c
}

func TestPythonFromDefaultBranch(t *testing.T) {
	g := gittest.New(t)
	src := g.Commit("main", "feat: x", map[string]string{"VERSION": "1.2.0\n", "src.py": "x"})
	g.SetBranch("release/1", src)
	g.SetBranch("release/1.2", src)
	f := fixture{g: g, editors: editors(t, "python"), python: true}
	res, err := f.run(t, "main", "1.2.0", SnapshotNext, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"main": "1.3.0.dev0\n", "release/1": "1.3.0.dev0\n", "release/1.2": "1.2.1.dev0\n"}
	for b, v := range want {
		got, c := remoteFile(t, g, b, "VERSION")
		if got != v {
			t.Errorf("%s VERSION = %q, want %q", b, got, v)
		}
		if !strings.Contains(c.Message, "[skip ci]") || !strings.Contains(c.Message, "Relman-Prep: "+strings.TrimSpace(v)) || c.ParentHashes[0] != src {
			t.Errorf("%s prep commit %q parents %v", b, c.Message, c.ParentHashes)
		}
	}
	if len(res.Branches) != 3 || !res.Branches[0].Committed || res.Branches[0].Branch != "main" {
		t.Errorf("result %+v", res.Branches)
	}
	// Only the version file changed.
	r, _ := gitrepo.Open(g.Remote)
	defer r.Close()
	head, _ := r.ResolveCommit("refs/heads/main")
	changed, _ := r.ChangedPaths(src, head)
	if diff := cmp.Diff([]string{"VERSION"}, changed); diff != "" {
		t.Errorf("prep commit changed (-want +got):\n%s", diff)
	}
	// A second run has nothing to change: no commit.
	again, err := f.run(t, "main", "1.2.0", SnapshotNext, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range again.Branches {
		if p.Committed {
			t.Errorf("second run committed on %s", p.Branch)
		}
	}
}

func TestMavenBranches(t *testing.T) {
	tests := []struct {
		name, branch, version, snapshot string
		want                            map[string]string
	}{
		{"release/N", "release/1", "1.4.1", SnapshotNext, map[string]string{"release/1": "1.5.0-SNAPSHOT", "release/1.4": "1.4.2-SNAPSHOT"}},
		{"release/N.M", "release/1.4", "1.4.1", SnapshotNext, map[string]string{"release/1.4": "1.4.2-SNAPSHOT"}},
		{"snapshot branch", "main", "2.0.0", SnapshotBranch, map[string]string{"main": "main-SNAPSHOT", "release/2": "release-2-SNAPSHOT", "release/2.0": "release-2.0-SNAPSHOT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			src := g.Commit("main", "feat: x", map[string]string{"pom.xml": fmt.Sprintf(pom, "1.0.0-SNAPSHOT")})
			for _, b := range []string{"release/1", "release/1.4", "release/2", "release/2.0"} {
				g.SetBranch(b, src)
			}
			f := fixture{g: g, editors: editors(t, "maven")}
			if _, err := f.run(t, tt.branch, tt.version, tt.snapshot, nil); err != nil {
				t.Fatal(err)
			}
			for b, v := range tt.want {
				got, _ := remoteFile(t, g, b, "pom.xml")
				if got != fmt.Sprintf(pom, v) {
					t.Errorf("%s pom.xml:\n%s\nwant version %s", b, got, v)
				}
			}
			if tt.branch == "release/1.4" {
				if got, _ := remoteFile(t, g, "release/1", "pom.xml"); !strings.Contains(got, "1.0.0-SNAPSHOT") {
					t.Error("a release from release/1.4 touched release/1")
				}
			}
		})
	}
}

func TestPushRace(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "feat: x", map[string]string{"VERSION": "1.2.0\n"})
	f := fixture{g: g, editors: editors(t, "python"), python: true}
	// Someone merges into main while the prep commit is being pushed, once.
	var moved plumbing.Hash
	res, err := f.run(t, "main", "1.2.0", SnapshotNext, func(branch string, attempt int) {
		if attempt == 1 {
			g.Sync()
			moved = g.Commit("main", "fix: merged meanwhile", map[string]string{"other.py": "y"})
			g.Push()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	got, c := remoteFile(t, g, "main", "VERSION")
	if got != "1.3.0.dev0\n" || c.ParentHashes[0] != moved || !res.Branches[0].Committed {
		t.Errorf("after the race: VERSION %q, parent %s (want the concurrent commit %s)", got, c.ParentHashes[0], moved)
	}
	if o, _ := remoteFile(t, g, "main", "other.py"); o != "y" {
		t.Error("the concurrent commit was lost")
	}
	// A branch that never stops moving: a bounded number of tries, then a clear error.
	_, err = f.run(t, "main", "1.3.0", SnapshotNext, func(string, int) {
		g.Sync()
		g.Commit("main", "fix: again", map[string]string{"other.py": fmt.Sprint(len(g.Files(g.Head("main"))["other.py"]))})
		g.Push()
	})
	if !errors.Is(err, ErrPushRetries) {
		t.Errorf("err = %v, want ErrPushRetries", err)
	}
}

func TestNextVersion(t *testing.T) {
	v := semver.MustParse("1.4.2")
	main := version.Line{Kind: version.MainLine}
	minor := version.Line{Kind: version.MinorLine, Major: 1, Minor: 4}
	for _, tc := range []struct {
		line     version.Line
		python   bool
		snapshot string
		want     string
	}{
		{main, false, SnapshotNext, "1.5.0-SNAPSHOT"},
		{minor, false, SnapshotNext, "1.4.3-SNAPSHOT"},
		{main, true, SnapshotNext, "1.5.0.dev0"},
		{minor, true, SnapshotNext, "1.4.3.dev0"},
	} {
		got, err := NextVersion(tc.line, "main", v, tc.python, tc.snapshot)
		if err != nil || got != tc.want {
			t.Errorf("NextVersion(%v, python=%v) = %q, %v; want %q", tc.line, tc.python, got, err, tc.want)
		}
	}
	if _, err := NextVersion(main, "main", v, true, SnapshotBranch); err == nil {
		t.Error("python with snapshot branch accepted")
	}
}

func TestMissingBranchSkipped(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "feat: x", map[string]string{"VERSION": "1.2.0\n"})
	f := fixture{g: g, editors: editors(t, "python"), python: true}
	res, err := f.run(t, "main", "1.2.0", SnapshotNext, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Branches) != 3 || res.Branches[1].Committed || !strings.Contains(res.Branches[1].Note, "not on the remote") {
		t.Errorf("result %+v", res.Branches)
	}
}

// goldenTree reads a tree of versionfile's golden Maven cases.
func goldenTree(t *testing.T, name, dir string) map[string]string {
	t.Helper()
	root := filepath.Join("..", "versionfile", "testdata", "golden", name, dir)
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMavenGolden runs prep-commit on the golden reactors of
// internal/versionfile and checks that the prep commit holds exactly their
// out-prep files: only what versions:set changes, the CI-friendly
// properties as the project keeps them, and project.build.outputTimestamp
// at the prep commit's time.
func TestMavenGolden(t *testing.T) {
	tests := []struct{ name, release, next string }{
		{"maven-other-versions", "4.1.0", "4.2.0-SNAPSHOT"},
		{"maven-ci-friendly", "2.1.0", "2.2.0-SNAPSHOT"},
		{"maven-ci-friendly-sha1", "1.0.0", "1.1.0-SNAPSHOT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			src := g.Commit("main", "feat: the reactor", goldenTree(t, tt.name, "in"))
			repo, err := gitrepo.Open(g.Clone("main"))
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			l := &log{}
			eds, err := versionfile.New(versionfile.Config{BuildSystem: "maven", Warn: func(m string) { l.Warningf("%s", m) }})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), Options{
				Repo: repo, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/",
				Version: semver.MustParse(tt.release), Remote: "origin", Editors: eds, Snapshot: SnapshotNext, Log: l,
				// The golden out-prep files hold this time (versionfile's prepTime).
				Author: func() object.Signature { return gittest.Sig(time.Date(2025, 7, 1, 10, 5, 30, 0, time.UTC)) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Branches) == 0 || res.Branches[0].Version != tt.next || !res.Branches[0].Committed {
				t.Fatalf("result %+v, want %s committed on main", res.Branches, tt.next)
			}
			r, _ := gitrepo.Open(g.Remote)
			defer r.Close()
			head, _ := r.ResolveCommit("refs/heads/main")
			changed, err := r.ChangedPaths(src, head)
			if err != nil {
				t.Fatal(err)
			}
			files, _ := r.Files(head)
			got := map[string]string{}
			for _, p := range changed {
				b, _ := files.ReadFile(p)
				got[p] = string(b)
			}
			if diff := cmp.Diff(goldenTree(t, tt.name, "out-prep"), got); diff != "" {
				t.Errorf("the prep commit's changes differ from the golden out-prep (-want +got):\n%s", diff)
			}
		})
	}
}
