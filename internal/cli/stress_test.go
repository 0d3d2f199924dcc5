package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/cli"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/version"
)

// TestStress runs 8 pipelines at once against one bare remote served by
// git's own smart HTTP server, 20 times: each pipeline runs tag,
// backport-branch and prep-commit (Maven) from its own clone, on the newest
// commit of main, on an older one, or on release/1. Between repetitions new
// merge requests land. After each repetition it checks that every tag is
// where the rules say (its poms carry its version, versions grow with the
// history, one release per commit), that no branch lost a commit, and that
// every failed pipeline said clearly what to do. It prints the figures;
// RELMAN_STRESS_REPS overrides the number of repetitions.
func TestStress(t *testing.T) {
	reps := 20
	if v := os.Getenv("RELMAN_STRESS_REPS"); v != "" {
		fmt.Sscan(v, &reps)
	}
	const pipelines = 8
	g := gittest.New(t)
	poms := func(v string) map[string]string {
		return map[string]string{
			"pom.xml":      fmt.Sprintf(scenarioRoot, v),
			"api/pom.xml":  fmt.Sprintf(scenarioModule, v, "widget-api"),
			"impl/pom.xml": fmt.Sprintf(scenarioModule, v, "widget-impl"),
		}
	}
	// Released 1.0.0 and 2.0.0, with release/1, release/1.0, release/2
	// and release/2.0 prepared, as relman leaves a Maven project: main
	// releases 2.x, release/1 keeps the old 1.x line alive.
	g.Commit("main", "build: maven reactor", poms("1.0.0"))
	g.Tag("1.0.0", g.Head("main"), true)
	g.SetBranch("release/1", g.Head("main"))
	g.SetBranch("release/1.0", g.Head("main"))
	g.Commit("main", "feat!: version 2", poms("2.0.0"))
	g.Tag("2.0.0", g.Head("main"), true)
	g.SetBranch("release/2", g.Head("main"))
	g.SetBranch("release/2.0", g.Head("main"))
	for b, v := range map[string]string{"main": "2.1.0-SNAPSHOT", "release/2": "2.1.0-SNAPSHOT", "release/2.0": "2.0.1-SNAPSHOT",
		"release/1": "1.1.0-SNAPSHOT", "release/1.0": "1.0.1-SNAPSHOT"} {
		g.Commit(b, "Prepare "+v+"\n\nRelman-Prep: "+v+"\n", poms(v))
	}
	g.Push()
	remoteURL := g.ServeHTTP()
	mrsPath := filepath.Join(t.TempDir(), "mrs.json")
	srv := httptest.NewServer(fakeForgeHandler("gitlab", mrsPath, func(*http.Request) {}, func(r string) { t.Errorf("unhandled forge request %s", r) }))
	defer srv.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	var mrs []mrRecord
	labels := []string{"ImpactPatch", "ImpactPatch", "ImpactMinor"}
	number := 0
	land := func(branch string) {
		g.Sync()
		number++
		title := fmt.Sprintf("change %d", number)
		var mr gittest.MR
		rec := mrRecord{Number: number, Title: title, Target: branch, Labels: []string{labels[rng.IntN(len(labels))]}}
		if branch != "main" {
			rec.Labels = []string{"ImpactPatch"}
		}
		if number%2 == 0 {
			mr = g.SquashMR(branch, number, title)
			rec.SquashCommit = mr.Squash.String()
		} else {
			mr = g.MergeMR(branch, number, 1, title)
			rec.MergeCommit = mr.Landed.String()
		}
		rec.HeadCommit, rec.MergedAt = mr.Head.String(), g.Now().Format(time.RFC3339)
		g.Push()
		mrs = append(mrs, rec)
		b, _ := json.Marshal(mrs)
		if err := os.WriteFile(mrsPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clone := func(branch string) string {
		dir := filepath.Join(t.TempDir(), "clone")
		if _, err := git.PlainClone(dir, false, &git.CloneOptions{URL: remoteURL, ReferenceName: plumbing.NewBranchReferenceName(branch), Tags: git.AllTags}); err != nil {
			t.Fatal(err)
		}
		return dir
	}

	var runs, failures, anomalies, releases int
	failureKinds := map[string]int{}
	start := time.Now()
	for rep := 1; rep <= reps; rep++ {
		// Older clones first, then new merge requests, then the newest clones.
		type job struct{ branch, dir string }
		var jobs []job
		jobs = append(jobs, job{"main", clone("main")}, job{"main", clone("main")})
		land("main")
		if rep%3 == 0 {
			land("release/1")
		}
		land("main")
		for len(jobs) < pipelines-2 {
			jobs = append(jobs, job{"main", clone("main")})
		}
		jobs = append(jobs, job{"release/1", clone("release/1")}, job{"release/1", clone("release/1")})
		before := remoteHeads(t, g.Remote)

		var wg sync.WaitGroup
		errs := make([]error, len(jobs))
		rel := make([]bool, len(jobs))
		for i, j := range jobs {
			wg.Go(func() { rel[i], errs[i] = pipeline(j.dir, j.branch, srv.URL, rep) })
		}
		wg.Wait()
		for _, r := range rel {
			if r {
				releases++
			}
		}
		for _, err := range errs {
			runs++
			if err == nil {
				continue
			}
			failures++
			if kind, clear := classify(err); clear {
				failureKinds[kind]++
			} else {
				anomalies++
				t.Errorf("repetition %d: a pipeline failed without a clear message: %v", rep, err)
			}
		}
		for _, a := range checkRemote(t, g.Remote, before) {
			anomalies++
			t.Errorf("repetition %d: %s", rep, a)
		}
		if anomalies > 0 && os.Getenv("RELMAN_STRESS_DEBUG") != "" {
			out, _ := exec.Command("git", "-C", g.Remote, "log", "--graph", "--format=%h %s %d", "--all").CombinedOutput()
			t.Logf("remote history:\n%s", out)
			for i, e := range errs {
				t.Logf("pipeline %d on %s: %v", i, jobs[i].branch, e)
			}
			t.FailNow()
		}
	}
	fmt.Printf("stress: %d repetitions × %d pipelines = %d pipeline runs in %s; %d released, %d found nothing left to release; %d failed with a clear message %v; %d anomalies\n",
		reps, pipelines, runs, time.Since(start).Round(time.Second), releases, runs-releases-failures, failures, failureKinds, anomalies)
}

// pipeline runs the three jobs of one pipeline in dir, as GitLab CI would,
// and says whether its tag job released.
func pipeline(dir, branch, forgeURL string, rep int) (bool, error) {
	env := map[string]string{
		"RELMAN_TOKEN": "test-token-stress", "RELMAN_BUILD_SYSTEM": "maven", "RELMAN_DEFAULT_BRANCH": "main",
		"RELMAN_BRANCH": branch, "RELMAN_REPO": dir, "RELMAN_OUTPUT": "json",
	}
	for k, v := range forgeEnv("gitlab", forgeURL) {
		env[k] = v
	}
	run := func(args ...string) (map[string]string, error) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), cli.Env{Args: args, Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return gittest.Epoch.Add(time.Duration(rep) * time.Hour) }})
		if m := leaks(append(stdout.Bytes(), stderr.Bytes()...), nil); m != nil {
			return nil, fmt.Errorf("relman %s printed a token: %s", args[0], m)
		}
		if code != 0 {
			return nil, fmt.Errorf("relman %s exited %d: %s", args[0], code, lastLine(stderr.String()))
		}
		outs := map[string]string{}
		return outs, json.Unmarshal(stdout.Bytes(), &outs)
	}
	outs, err := run("tag")
	if err != nil || outs["released"] != "true" {
		return false, err
	}
	if _, err := run("backport-branch", "--version", outs["version"]); err != nil {
		return true, err
	}
	_, err = run("prep-commit", "--version", outs["version"])
	return true, err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-3):], " / ")
}

// classify accepts the failures a concurrent pipeline may meet, each of
// which tells the user what to do.
func classify(err error) (string, bool) {
	msg := err.Error()
	for _, known := range []struct{ kind, text string }{
		{"race: re-run", "re-run the job"},
		{"race: re-run", "re-run this job"},
		{"push rejected after retries", "the remote rejected the push"},
	} {
		if strings.Contains(msg, known.text) {
			return known.kind, true
		}
	}
	return "", false
}

func remoteHeads(t *testing.T, remote string) map[string]plumbing.Hash {
	r, err := gitrepo.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	heads := map[string]plumbing.Hash{}
	iter, _ := r.Git().Branches()
	_ = iter.ForEach(func(ref *plumbing.Reference) error { heads[ref.Name().Short()] = ref.Hash(); return nil })
	return heads
}

// checkRemote verifies the invariants of the remote after a repetition.
func checkRemote(t *testing.T, remote string, before map[string]plumbing.Hash) []string {
	r, err := gitrepo.Open(remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	var bad []string
	// No branch lost a commit: every branch only moved forward.
	after := remoteHeads(t, remote)
	for b, old := range before {
		now, ok := after[b]
		if !ok {
			bad = append(bad, "branch "+b+" disappeared")
			continue
		}
		if anc, err := r.IsAncestor(ctx, old, now); err != nil || !anc {
			bad = append(bad, fmt.Sprintf("branch %s moved from %s to %s, which does not contain it", b, old, now))
		}
	}
	// Every tag: its poms say its version; one release per source commit;
	// along the history, versions grow.
	tags, _ := r.Tags()
	type rel struct {
		name   string
		v      *semver.Version
		source plumbing.Hash
	}
	var rels []rel
	bySource := map[plumbing.Hash]string{}
	byVersion := map[string]string{}
	for _, tg := range tags {
		v, ok := version.ParseTag(tg.Name, "")
		if !ok {
			bad = append(bad, "tag "+tg.Name+" is not a release version")
			continue
		}
		if other, dup := byVersion[v.String()]; dup {
			bad = append(bad, fmt.Sprintf("version %s tagged twice: %s and %s", v, other, tg.Name))
		}
		byVersion[v.String()] = tg.Name
		p, err := r.Peel(tg)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		files, _ := r.Files(p.Commit)
		pom, err := files.ReadFile("pom.xml")
		if err != nil || !strings.Contains(string(pom), "<version>"+v.String()+"</version>") {
			bad = append(bad, fmt.Sprintf("tag %s: pom.xml does not carry %s", tg.Name, v))
		}
		source := p.Commit
		if c, err := r.Commit(p.Commit); err == nil && strings.Contains(c.Message, "Relman-Release:") {
			source = c.ParentHashes[0]
		}
		if other, dup := bySource[source]; dup {
			bad = append(bad, fmt.Sprintf("commit %s released twice: %s and %s", source, other, tg.Name))
		}
		bySource[source] = tg.Name
		rels = append(rels, rel{tg.Name, v, source})
	}
	for _, a := range rels {
		for _, b := range rels {
			if a.name == b.name || a.v.Major() != b.v.Major() {
				continue
			}
			if anc, _ := r.IsAncestor(ctx, a.source, b.source); anc && !a.v.LessThan(b.v) {
				bad = append(bad, fmt.Sprintf("out of order: %s is on an ancestor of %s's commit but is not lower", a.name, b.name))
			}
		}
	}
	return bad
}
