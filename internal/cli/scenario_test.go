package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/cli"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

var update = flag.Bool("update", false, "rewrite the expected states of testdata/scenario/*.txt")

// TestScenarios replays the release histories of testdata/scenario: merge
// requests with labels into the default branch and the release branches,
// and after each, the pipeline the seed describes (tag → backport-branch →
// prep-commit, Maven). After every pipeline the exact tags and the commit
// every branch points at are compared with the table in the file.
//
// The scenario language, one command a line:
//
//	setup maven VERSION            a reactor (root + 2 modules) at VERSION
//	setup packages                 a repository of packages (scenarioPackages):
//	                               pipelines then run only the tag step
//	pmr BRANCH N LABEL DIRS TITLE  merge request !N into BRANCH changing a file
//	                               in each of the comma-separated DIRS
//	race BRANCH N LABEL DIRS TITLE a pipeline's clone of BRANCH is made, then
//	                               pmr lands and its pipeline releases; the
//	                               stale pipeline runs after it: it must see
//	                               the other's tags, compute again, and
//	                               leave the remote's tags as they are
//	branch NAME FROM               create branch NAME at FROM's head
//	mr BRANCH N LABEL TITLE        merge request !N into BRANCH (odd N merge commit, even N squash)
//	label N LABEL                  set MR !N's labels (after the merge)
//	commit BRANCH MESSAGE          a direct push to BRANCH
//	pipeline BRANCH [VAR=VALUE]    the pipeline on BRANCH; must succeed
//	fails BRANCH TEXT              a job of the pipeline on BRANCH fails, its error contains TEXT
//	merge-branch SRC DST N LABEL TITLE
//	                               merge request !N merging branch SRC into DST
//	warns TEXT                     the last pipeline's log contains TEXT
//	expect                         followed by the state lines, up to a blank line
//
// A state line is "tag NAME = COMMIT" or "branch NAME = COMMIT" where a
// commit is written as what it is: "!N" (merge request N landed), "init",
// "release(V) on C", "prep(V) on C", "merge(C2) on C1" (a bring-up merge),
// down to three levels.
func TestScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/scenario/*.txt")
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) { runScenario(t, file) })
	}
}

type scenario struct {
	t        *testing.T
	g        *gittest.Repo
	mrsPath  string
	mrs      []mrRecord
	landed   map[plumbing.Hash]int
	forgeURL string
	lastLog  string
	pipeline int
	packages bool // setup packages: the tag step only, per package
}

func runScenario(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc := &scenario{t: t, g: gittest.New(t), landed: map[plumbing.Hash]int{}}
	sc.mrsPath = filepath.Join(t.TempDir(), "mrs.json")
	var unhandled []string
	srv := httptest.NewServer(fakeForgeHandler("gitlab", sc.mrsPath, func(*http.Request) {}, func(r string) { unhandled = append(unhandled, r) }))
	defer srv.Close()
	sc.forgeURL = srv.URL

	var out bytes.Buffer // the file rewritten with the actual states (-update)
	lines := strings.Split(string(raw), "\n")
	failed := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			out.WriteString(line + "\n")
			continue
		}
		where := fmt.Sprintf("%s:%d", file, i+1)
		if fields[0] == "expect" {
			var want []string
			j := i + 1
			for ; j < len(lines) && strings.TrimSpace(lines[j]) != ""; j++ {
				want = append(want, strings.TrimSpace(lines[j]))
			}
			got := sc.state()
			if diff := cmp.Diff(want, got); diff != "" && !*update {
				t.Errorf("%s: state after pipeline %d (-want +got):\n%s", where, sc.pipeline, diff)
				failed = true
			}
			out.WriteString("expect\n")
			for _, g := range got {
				out.WriteString("  " + g + "\n")
			}
			i = j - 1
			continue
		}
		out.WriteString(line + "\n")
		if err := sc.do(fields, line); err != nil {
			if *update { // keep what was learnt so far
				out.WriteString(strings.Join(lines[i+1:], "\n"))
				_ = os.WriteFile(file, out.Bytes(), 0o644)
			}
			t.Fatalf("%s: %s: %v", where, line, err)
		}
		if failed && !*update {
			t.Fatalf("%s: stopping after the first wrong state", where)
		}
	}
	if len(unhandled) > 0 {
		t.Errorf("the fake forge got requests it does not serve: %v", unhandled)
	}
	if *update {
		if err := os.WriteFile(file, bytes.TrimRight(out.Bytes(), "\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const scenarioRoot = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>widget-parent</artifactId>
  <version>%s</version>
  <packaging>pom</packaging>
  <modules>
    <module>api</module>
    <module>impl</module>
  </modules>
</project>
`

const scenarioModule = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.example</groupId>
    <artifactId>widget-parent</artifactId>
    <version>%s</version>
  </parent>
  <artifactId>%s</artifactId>
</project>
`

func (sc *scenario) do(f []string, line string) error {
	g := sc.g
	switch f[0] {
	case "setup":
		if f[1] == "packages" {
			sc.packages = true
			g.Commit("main", "build: packages", scenarioPackages)
			g.Push()
			return nil
		}
		g.Commit("main", "build: maven reactor", map[string]string{
			"pom.xml":      fmt.Sprintf(scenarioRoot, f[2]),
			"api/pom.xml":  fmt.Sprintf(scenarioModule, f[2], "widget-api"),
			"impl/pom.xml": fmt.Sprintf(scenarioModule, f[2], "widget-impl"),
		})
		g.Push()
	case "pmr":
		return sc.packageMR(f)
	case "branch":
		g.Sync()
		g.SetBranch(f[1], g.Head(f[2]))
		g.Push()
	case "race":
		g.Sync()
		stale := g.Clone(f[1])
		if err := sc.packageMR(f); err != nil {
			return err
		}
		if err := sc.runPipeline(f[1], nil, ""); err != nil {
			return err
		}
		before := sc.g.RemoteTags()
		if err := sc.runPipelineIn(stale, f[1], nil, ""); err != nil {
			return fmt.Errorf("the stale pipeline: %w", err)
		}
		if !strings.Contains(sc.lastLog, "computing again") {
			return fmt.Errorf("the stale pipeline did not see the other pipeline's tags:\n%s", sc.lastLog)
		}
		if after := sc.g.RemoteTags(); !cmp.Equal(before, after) {
			return fmt.Errorf("the stale pipeline changed the remote's tags: %s", cmp.Diff(before, after))
		}
	case "mr":
		g.Sync()
		n, _ := strconv.Atoi(f[2])
		title := strings.Join(f[4:], " ")
		var mr gittest.MR
		rec := mrRecord{Number: n, Title: title, Target: f[1]}
		if n%2 == 1 {
			mr = g.MergeMR(f[1], n, 1, title)
			rec.MergeCommit = mr.Landed.String()
		} else {
			mr = g.SquashMR(f[1], n, title)
			rec.SquashCommit = mr.Squash.String()
		}
		if f[3] != "-" {
			rec.Labels = []string{f[3]}
		}
		rec.HeadCommit, rec.MergedAt = mr.Head.String(), g.Now().Format(time.RFC3339)
		g.Push()
		sc.landed[mr.Landed] = n
		sc.mrs = append(sc.mrs, rec)
		return sc.saveMRs()
	case "merge-branch":
		g.Sync()
		n, _ := strconv.Atoi(f[3])
		src, dst := f[1], f[2]
		title := strings.Join(f[5:], " ")
		files := map[string]string{}
		for k, v := range g.Files(g.Head(src)) {
			files[k] = v
		}
		m := g.CommitObject(fmt.Sprintf("Merge branch '%s' into '%s'\n\n%s\n\nSee merge request !%d", src, dst, title, n), files, g.Head(dst), g.Head(src))
		g.SetBranch(dst, m)
		g.Push()
		sc.landed[m] = n
		sc.mrs = append(sc.mrs, mrRecord{Number: n, Title: title, Target: dst, Labels: []string{f[4]},
			MergeCommit: m.String(), HeadCommit: g.Head(src).String(), MergedAt: g.Now().Format(time.RFC3339)})
		return sc.saveMRs()
	case "commit":
		g.Sync()
		msg := strings.Join(f[2:], " ")
		g.Commit(f[1], msg, map[string]string{"direct/" + strconv.Itoa(len(msg)) + ".txt": msg})
		g.Push()
	case "label":
		n, _ := strconv.Atoi(f[1])
		for i := range sc.mrs {
			if sc.mrs[i].Number == n {
				sc.mrs[i].Labels = []string{f[2]}
			}
		}
		return sc.saveMRs()
	case "pipeline":
		return sc.runPipeline(f[1], f[2:], "")
	case "fails":
		return sc.runPipeline(f[1], nil, strings.Join(f[2:], " "))
	case "warns":
		if want := strings.Join(f[1:], " "); !strings.Contains(sc.lastLog, want) {
			return fmt.Errorf("the last pipeline's log does not contain %q:\n%s", want, sc.lastLog)
		}
	default:
		return fmt.Errorf("unknown command")
	}
	return nil
}

// scenarioPackages is a repository of five packages with a dependency
// chain (core ← api ← web), one tag pattern each, a package with a
// version file (web), and files outside every package.
var scenarioPackages = map[string]string{
	"relman-packages.yml": `tag-pattern: "{name}_v{version}"
packages:
  - name: core
    path: packages/core
  - name: api
    path: packages/api
    depends-on: [core]
  - name: web
    paths: [packages/web, shared/web-assets]
    tag-pattern: "{name}@{version}"
    version-files: [package.json]
    depends-on: [api]
  - name: cli
    path: tools/cli
    tag-pattern: "{path}/v{version}"
  - name: billing
    path: packages/billing
    dependency-bump: none
    depends-on: [core]
`,
	"README.md":                  "# monorepo\n",
	"ci/pipeline.yml":            "stages: [release]\n",
	"packages/core/src/core.go":  "package core\n",
	"packages/api/src/api.go":    "package api\n",
	"packages/web/package.json":  "{\n  \"name\": \"web\",\n  \"version\": \"0.0.0\"\n}\n",
	"packages/web/src/index.js":  "export {}\n",
	"shared/web-assets/logo.svg": "<svg/>\n",
	"tools/cli/main.go":          "package main\n",
	"packages/billing/bill.go":   "package billing\n",
}

// packageMR lands pmr BRANCH N LABEL DIRS TITLE: a merge request changing
// one file in each directory (odd N merge commit, even N squash).
func (sc *scenario) packageMR(f []string) error {
	g := sc.g
	g.Sync()
	n, _ := strconv.Atoi(f[2])
	title := strings.Join(f[5:], " ")
	files := map[string]string{}
	for _, d := range strings.Split(f[4], ",") {
		files[d+"/mr"+f[2]+".txt"] = title
	}
	rec := mrRecord{Number: n, Title: title, Target: f[1]}
	var head, landed plumbing.Hash
	if n%2 == 1 {
		head = g.CommitObject(title, files, g.Head(f[1]))
		landed = g.CommitObject("Merge branch 'mr-"+f[2]+"' into '"+f[1]+"'\n\n"+title+"\n\nSee merge request !"+f[2], g.Files(head), g.Head(f[1]), head)
		g.SetBranch(f[1], landed)
		rec.MergeCommit = landed.String()
	} else {
		head = g.CommitObject(title+" (wip)", files, g.Head(f[1]))
		landed = g.Commit(f[1], title, files)
		rec.SquashCommit = landed.String()
	}
	if f[3] != "-" {
		rec.Labels = strings.Split(f[3], ",")
	}
	rec.HeadCommit, rec.MergedAt = head.String(), g.Now().Format(time.RFC3339)
	g.Push()
	sc.landed[landed] = n
	sc.mrs = append(sc.mrs, rec)
	return sc.saveMRs()
}

func (sc *scenario) saveMRs() error {
	b, err := json.Marshal(sc.mrs)
	if err != nil {
		return err
	}
	return os.WriteFile(sc.mrsPath, b, 0o644)
}

// runPipeline runs the jobs of one pipeline on branch in a fresh clone, as
// GitLab CI would: tag, then (when it released) backport-branch and
// prep-commit with the tag job's outputs.
func (sc *scenario) runPipeline(branch string, vars []string, wantErr string) error {
	sc.g.Sync()
	return sc.runPipelineIn(sc.g.Clone(branch), branch, vars, wantErr)
}

// runPipelineIn runs the pipeline in the clone dir.
func (sc *scenario) runPipelineIn(dir, branch string, vars []string, wantErr string) error {
	sc.pipeline++
	env := map[string]string{
		"RELMAN_TOKEN": "test-token-scenario", "RELMAN_BUILD_SYSTEM": "maven", "RELMAN_DEFAULT_BRANCH": "main",
		"RELMAN_BRANCH": branch, "RELMAN_REPO": dir, "RELMAN_OUTPUT": "json",
	}
	if sc.packages {
		delete(env, "RELMAN_BUILD_SYSTEM")
	}
	for k, v := range forgeEnv("gitlab", sc.forgeURL) {
		env[k] = v
	}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var log strings.Builder
	run := func(args ...string) (map[string]string, error) {
		var stdout, stderr bytes.Buffer
		code := cli.Main(context.Background(), cli.Env{
			Args: args, Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] },
			Now: func() time.Time { return gittest.Epoch.Add(time.Duration(sc.pipeline) * 24 * time.Hour) },
		})
		log.WriteString(stderr.String())
		if m := leaks(append(stdout.Bytes(), stderr.Bytes()...), nil); m != nil {
			return nil, fmt.Errorf("relman %s printed a token: %s", args[0], m)
		}
		if code != 0 {
			return nil, fmt.Errorf("relman %s exited %d:\n%s", args[0], code, stderr.String())
		}
		outs := map[string]string{}
		if err := json.Unmarshal(stdout.Bytes(), &outs); err != nil {
			return nil, fmt.Errorf("relman %s: stdout is not one JSON object: %v\n%s", args[0], err, stdout.String())
		}
		return outs, nil
	}
	defer func() { sc.lastLog = log.String() }()
	err := func() error {
		outs, err := run("tag")
		if err != nil || outs["released"] != "true" {
			return err
		}
		if sc.packages {
			return sc.checkPackagesOutput(outs)
		}
		if _, err := run("backport-branch", "--version", outs["version"], "--impact", outs["impact"]); err != nil {
			return err
		}
		_, err = run("prep-commit", "--version", outs["version"])
		return err
	}()
	switch {
	case wantErr == "":
		return err
	case err == nil:
		return fmt.Errorf("the pipeline succeeded; want it to fail with %q", wantErr)
	case !strings.Contains(err.Error(), wantErr):
		return fmt.Errorf("the pipeline failed, but not with %q: %v", wantErr, err)
	}
	return nil
}

var trailerRE = regexp.MustCompile(`(?m)^Relman-(Release|Prep|Backport): (\S+)$`)

// packagesTrailerRE finds the releases of a release commit of packages.
var packagesTrailerRE = regexp.MustCompile(`(?m)^Relman-Release: (\S+) (\S+)$`)

// checkPackagesOutput asserts that the packages output lists exactly the
// tags pushed, each on the remote at the commit it names.
func (sc *scenario) checkPackagesOutput(outs map[string]string) error {
	var list []struct {
		Name, Version, Tag, Commit string
	}
	if err := json.Unmarshal([]byte(outs["released-packages"]), &list); err != nil {
		return fmt.Errorf("released-packages output %q: %v", outs["released-packages"], err)
	}
	var tags []string
	remote := sc.g.RemoteTags()
	r, err := gitrepo.Open(sc.g.Remote)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, p := range list {
		tags = append(tags, p.Tag)
		t, ok, err := r.Tag(p.Tag)
		if err != nil || !ok || remote[p.Tag].IsZero() {
			return fmt.Errorf("packages output names %s, which is not on the remote", p.Tag)
		}
		pt, err := r.Peel(t)
		if err != nil {
			return err
		}
		if pt.Commit.String() != p.Commit {
			return fmt.Errorf("packages output: %s at %s, but the tag points at %s", p.Tag, p.Commit, pt.Commit)
		}
	}
	if got := strings.Join(tags, ","); got != outs["tags"] {
		return fmt.Errorf("tags output %q, released-packages output %q", outs["tags"], got)
	}
	return nil
}

// state renders every tag and branch of the remote.
func (sc *scenario) state() []string {
	t := sc.t
	r, err := gitrepo.Open(sc.g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	tags, _ := r.Tags()
	for _, tg := range tags {
		p, err := r.Peel(tg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "tag "+tg.Name+" = "+sc.describe(r, p.Commit, 3))
		sc.checkPom(r, p.Commit, tg.Name, "tag "+tg.Name)
		if v, ok := strings.CutPrefix(tg.Name, "web@"); ok {
			files, err := r.Files(p.Commit)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := files.ReadFile("packages/web/package.json"); !strings.Contains(string(b), `"version": "`+v+`"`) {
				t.Errorf("tag %s: packages/web/package.json does not carry version %s:\n%s", tg.Name, v, b)
			}
		}
	}
	iter, _ := r.Git().Branches()
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		out = append(out, "branch "+ref.Name().Short()+" = "+sc.describe(r, ref.Hash(), 3))
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return versionKey(out[i]) < versionKey(out[j]) })
	return out
}

// versionKey orders state lines: tags by version, then branches by name.
func versionKey(line string) string {
	kind, rest, _ := strings.Cut(line, " ")
	name, _, _ := strings.Cut(rest, " ")
	var b strings.Builder
	b.WriteString(kind + " ")
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '/' }) {
		if n, err := strconv.Atoi(part); err == nil {
			fmt.Fprintf(&b, "%06d.", n)
		} else {
			b.WriteString(part + ".")
		}
	}
	return b.String()
}

// checkPom asserts that a release tag's poms all carry its version.
func (sc *scenario) checkPom(r *gitrepo.Repo, h plumbing.Hash, want, what string) {
	files, err := r.Files(h)
	if err != nil {
		sc.t.Fatal(err)
	}
	for _, p := range []string{"pom.xml", "api/pom.xml", "impl/pom.xml"} {
		b, err := files.ReadFile(p)
		if err != nil {
			continue // before the reactor was set up
		}
		if !strings.Contains(string(b), "<version>"+want+"</version>") {
			sc.t.Errorf("%s: %s does not carry version %s:\n%s", what, p, want, b)
		}
	}
}

func (sc *scenario) describe(r *gitrepo.Repo, h plumbing.Hash, depth int) string {
	if n, ok := sc.landed[h]; ok {
		return "!" + strconv.Itoa(n)
	}
	c, err := r.Commit(h)
	if err != nil {
		sc.t.Fatal(err)
	}
	if c.NumParents() == 0 {
		return "init"
	}
	if depth == 0 {
		return "…"
	}
	parent := func(i int) string { return sc.describe(r, c.ParentHashes[i], depth-1) }
	if ms := packagesTrailerRE.FindAllStringSubmatch(c.Message, -1); ms != nil {
		var rs []string
		for _, m := range ms {
			rs = append(rs, m[1]+" "+m[2])
		}
		return "release(" + strings.Join(rs, ", ") + ") on " + parent(0)
	}
	if m := trailerRE.FindStringSubmatch(c.Message); m != nil {
		switch m[1] {
		case "Release":
			return "release(" + m[2] + ") on " + parent(0)
		case "Prep":
			return "prep(" + m[2] + ") on " + parent(0)
		case "Backport":
			return "merge(" + parent(1) + ") on " + parent(0)
		}
	}
	subject, _, _ := strings.Cut(c.Message, "\n")
	return fmt.Sprintf("%q", subject)
}
