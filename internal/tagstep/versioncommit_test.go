package tagstep

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/versionfile"
)

const rootPom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>parent</artifactId>
  <version>%s</version>
  <packaging>pom</packaging>
  <modules>
    <module>core</module>
  </modules>
</project>
`

const corePom = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.example</groupId>
    <artifactId>parent</artifactId>
    <version>%s</version>
  </parent>
  <artifactId>core</artifactId>
</project>
`

func runBuild(t *testing.T, dir, buildSystem string) (*Result, error) {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	head, _, _ := repo.Head()
	eds, err := versionfile.New(versionfile.Config{BuildSystem: buildSystem})
	if err != nil {
		t.Fatal(err)
	}
	sig := func() object.Signature { return gittest.Sig(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) }
	log := &testLog{}
	return Run(context.Background(), Options{
		Repo: repo, Commit: head, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/", Remote: "origin",
		Source: FromCommits, Labels: impact.DefaultLabels, Tagger: sig, Log: log,
		BuildSystem: VersionCommit{Editors: eds, Author: sig, Log: log},
	})
}

func TestMavenReleaseCommit(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "feat: maven project", map[string]string{
		"pom.xml": fmt.Sprintf(rootPom, "1.0.0"), "core/pom.xml": fmt.Sprintf(corePom, "1.0.0"),
	})
	g.Tag("1.0.0", g.Head("main"), true)
	g.Commit("main", "Prepare 1.1.0-SNAPSHOT\n\nRelman-Prep: 1.1.0-SNAPSHOT\n", map[string]string{
		"pom.xml": fmt.Sprintf(rootPom, "1.1.0-SNAPSHOT"), "core/pom.xml": fmt.Sprintf(corePom, "1.1.0-SNAPSHOT"),
	})
	source := g.Commit("main", "feat: a feature", map[string]string{"core/src.java": "class A {}"})
	url := g.ServeHTTP()
	dirs := []string{g.CloneFrom(url, "main"), g.CloneFrom(url, "main")}

	res, err := runBuild(t, dirs[0], "maven")
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "1.1.0" || res.Commit == source {
		t.Fatalf("released %q on %s; want 1.1.0 on a version commit", res.Tag, res.Commit)
	}
	r, _ := gitrepo.Open(g.Remote)
	defer r.Close()
	if h, _ := r.ResolveCommit("refs/heads/main"); h != source {
		t.Errorf("the branch moved to %s; it must stay at the pipeline commit", h)
	}
	tagged := g.RemoteTags()["1.1.0"]
	c, err := r.Commit(tagged)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ParentHashes) != 1 || c.ParentHashes[0] != source {
		t.Errorf("tagged commit parents %v, want the pipeline commit %s", c.ParentHashes, source)
	}
	files, _ := r.Files(tagged)
	for path, tmpl := range map[string]string{"pom.xml": rootPom, "core/pom.xml": corePom} {
		got, _ := files.ReadFile(path)
		if diff := cmp.Diff(fmt.Sprintf(tmpl, "1.1.0"), string(got)); diff != "" {
			t.Errorf("%s at the tag (-want +got):\n%s", path, diff)
		}
	}
	// Re-run (the same clone, and another clone racing late): nothing new.
	for _, d := range dirs {
		again, err := runBuild(t, d, "maven")
		if err != nil {
			t.Fatal(err)
		}
		if again.Released || !again.Existing {
			t.Errorf("re-run = %+v, want the existing release", again)
		}
	}
	if n := len(g.RemoteTags()); n != 2 {
		t.Errorf("remote tags %v", g.RemoteTags())
	}
}

func TestMavenRaceSameCommit(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "feat: maven project", map[string]string{"pom.xml": fmt.Sprintf(rootPom, "0.1.0-SNAPSHOT"), "core/pom.xml": fmt.Sprintf(corePom, "0.1.0-SNAPSHOT")})
	url := g.ServeHTTP()
	dirs := []string{g.CloneFrom(url, "main"), g.CloneFrom(url, "main"), g.CloneFrom(url, "main")}
	var wg sync.WaitGroup
	results := make([]*Result, len(dirs))
	errs := make([]error, len(dirs))
	for i, d := range dirs {
		wg.Go(func() { results[i], errs[i] = runBuild(t, d, "maven") })
	}
	wg.Wait()
	released := 0
	for i := range dirs {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
			continue
		}
		if results[i].Released {
			released++
		}
	}
	if released != 1 {
		t.Errorf("%d runs released, want exactly 1", released)
	}
	tags := g.RemoteTags()
	if len(tags) != 1 {
		t.Errorf("remote tags %v, want only 0.1.0", tags)
	}
}

func TestPythonVersionAlreadySet(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	source := g.Commit("main", "fix: x\n\nImpact: patch", map[string]string{"VERSION": "1.0.1\n"})
	res, err := runBuild(t, g.Clone("main"), "python")
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "1.0.1" || res.Commit != source {
		t.Errorf("released %q on %s, want 1.0.1 on the pipeline commit %s (VERSION already says it)", res.Tag, res.Commit, source)
	}
}

func TestBadVersionFileWritesNothing(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	g.Commit("main", "fix: x", map[string]string{"VERSION": "1.0.0\nsecond line\n"})
	_, err := runBuild(t, g.Clone("main"), "python")
	if err == nil || !strings.Contains(err.Error(), "VERSION") {
		t.Fatalf("err = %v, want an error naming VERSION", err)
	}
	if len(g.RemoteTags()) != 1 {
		t.Errorf("tags written: %v", g.RemoteTags())
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

// TestMavenReleaseCommitGolden runs the tag step on the golden reactors of
// internal/versionfile and checks that the version commit holds exactly
// their out files: only what versions:set changes, with
// project.build.outputTimestamp at the version commit's time.
func TestMavenReleaseCommitGolden(t *testing.T) {
	tests := []struct {
		name, previous, want string
		stable               bool
		warning              string
	}{
		{name: "maven-other-versions", previous: "4.0.0", want: "4.1.0"},
		{name: "maven-ci-friendly", previous: "2.0.0", want: "2.1.0"},
		{name: "maven-ci-friendly-sha1", previous: "0.9.0", want: "1.0.0", stable: true, warning: `module "experimental": experimental/pom.xml does not exist; skipped`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			g.Tag(tt.previous, g.Head("main"), true)
			source := g.Commit("main", "feat: the reactor", goldenTree(t, tt.name, "in"))
			repo, err := gitrepo.Open(g.Clone("main"))
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			log := &testLog{}
			eds, err := versionfile.New(versionfile.Config{BuildSystem: "maven", Warn: func(m string) { log.Warningf("%s", m) }})
			if err != nil {
				t.Fatal(err)
			}
			// The golden out files hold this time (versionfile's releaseTime).
			sig := func() object.Signature { return gittest.Sig(time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)) }
			res, err := Run(context.Background(), Options{
				Repo: repo, Commit: source, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/", Remote: "origin",
				Source: FromCommits, Labels: impact.DefaultLabels, Stable: tt.stable, Tagger: sig, Log: log,
				BuildSystem: VersionCommit{Editors: eds, Author: sig, Log: log},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Tag != tt.want {
				t.Fatalf("released %q, want %s", res.Tag, tt.want)
			}
			r, _ := gitrepo.Open(g.Remote)
			defer r.Close()
			tagged := g.RemoteTags()[tt.want]
			changed, err := r.ChangedPaths(source, tagged)
			if err != nil {
				t.Fatal(err)
			}
			files, _ := r.Files(tagged)
			got := map[string]string{}
			for _, p := range changed {
				b, _ := files.ReadFile(p)
				got[p] = string(b)
			}
			if diff := cmp.Diff(goldenTree(t, tt.name, "out"), got); diff != "" {
				t.Errorf("the version commit's changes differ from the golden out (-want +got):\n%s", diff)
			}
			if tt.warning != "" && !log.has("warning", tt.warning) {
				t.Errorf("no warning %q in the log", tt.warning)
			}
		})
	}
}

// TestStableRerunOnReleasedCommit: STABLE_RELEASE on a 0.x line releases
// 1.0.0 even when the pipeline commit is already released as 0.x (no new
// change since 0.4.4), for a tag on the commit itself and for a version
// commit on top of it; a re-run after 1.0.0 changes nothing.
func TestStableRerunOnReleasedCommit(t *testing.T) {
	for _, bs := range []string{"simple", "python"} {
		t.Run(bs, func(t *testing.T) {
			g := gittest.New(t)
			source := g.Commit("main", "fix: last 0.x fix", map[string]string{"VERSION": "0.4.4.dev0\n", "src.py": "x"})
			if bs == "python" {
				files := g.Files(source)
				files["VERSION"] = "0.4.4\n"
				g.Tag("0.4.4", g.CommitObject("Release 0.4.4", files, source), true)
			} else {
				g.Tag("0.4.4", source, true)
			}
			g.Push()
			dir := g.Clone("main")
			run := func() *Result {
				t.Helper()
				repo, err := gitrepo.Open(dir)
				if err != nil {
					t.Fatal(err)
				}
				defer repo.Close()
				head, _, _ := repo.Head()
				eds, err := versionfile.New(versionfile.Config{BuildSystem: bs})
				if err != nil {
					t.Fatal(err)
				}
				sig := func() object.Signature { return gittest.Sig(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) }
				log := &testLog{}
				var build BuildSystem = Simple{}
				if len(eds) > 0 {
					build = VersionCommit{Editors: eds, Author: sig, Log: log}
				}
				res, err := Run(context.Background(), Options{
					Repo: repo, Commit: head, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/", Remote: "origin",
					Source: FromCommits, Labels: impact.DefaultLabels, Tagger: sig, Log: log, Stable: true,
					BuildSystem: build,
				})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			res := run()
			if !res.Released || res.Tag != "1.0.0" {
				t.Fatalf("released %v %q (%s), want 1.0.0", res.Released, res.Tag, res.Reason)
			}
			if bs == "python" {
				if res.Commit == source {
					t.Errorf("python: 1.0.0 points at the pipeline commit, want a version commit on it")
				}
			} else if res.Commit != source {
				t.Errorf("simple: 1.0.0 points at %s, want the pipeline commit %s", res.Commit, source)
			}
			again := run()
			if again.Released || !again.Existing || again.ExistingTag != "1.0.0" {
				t.Errorf("re-run: released %v existing %v %q, want the existing 1.0.0", again.Released, again.Existing, again.ExistingTag)
			}
		})
	}
}
