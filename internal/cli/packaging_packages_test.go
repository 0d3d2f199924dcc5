package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestGitLabPackagesExample runs examples/gitlab/packages/.gitlab-ci.yml
// with gitlab-ci-local, as TestGitLabComponents runs the other examples,
// on a sample repository holding the example's relman-packages.yml (core;
// api depends on core; web on api, minor bumps): a merge request pipeline
// (relman-check previews the packages merging releases), then the default
// branch's pipeline after the merge (relman-tag releases them; publish
// reads the packages output).
func TestGitLabPackagesExample(t *testing.T) {
	gcl := tool(t, "RELMAN_TEST_GITLAB_CI_LOCAL", "gitlab-ci-local")
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("gitlab-ci-local needs rsync: install it (scripts/install-tools.sh does as root)")
	}
	relman := buildRelman(t)
	dir := filepath.Join(root, "examples", "gitlab", "packages")
	example, err := os.ReadFile(filepath.Join(dir, ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(dir, "relman-packages.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !exampleComponent.Match(example) {
		t.Fatalf("the example does not include a relman component (gitlab.com/relman-dev/relman/NAME@VERSION)")
	}
	ci := exampleComponent.ReplaceAllStringFunc(string(example), func(m string) string {
		return "$CI_SERVER_FQDN/$CI_PROJECT_PATH/" + exampleComponent.FindStringSubmatch(m)[1] + "@$CI_COMMIT_SHA"
	})

	g := gittest.New(t)
	g.Commit("main", "three packages", map[string]string{
		"relman-packages.yml": string(config),
		"libs/core/a.txt":     "1\n", "services/api/a.txt": "1\n", "apps/web/a.txt": "1\n",
	})
	for _, tag := range []string{"core_v1.0.0", "api_v1.0.0", "web_v0.2.0"} {
		g.Tag(tag, g.Head("main"), true)
	}
	g.SetBranch("mr-7", g.CommitObject("Fix the core", map[string]string{"libs/core/a.txt": "2\n", "README.md": "more\n"}, g.Head("main")))
	mrsPath := filepath.Join(t.TempDir(), "mrs.json")
	writeJSON(t, mrsPath, []mrRecord{{Number: 7, Title: "Fix the core", Target: "main", Labels: []string{"ImpactPatch"}, HeadCommit: g.Head("mr-7").String()}})
	srv := fakeForge(t, "gitlab", mrsPath)
	url := g.ServeHTTP()

	pipeline := func(t *testing.T, checkout string, vars ...string) string {
		t.Helper()
		dir := g.CloneFrom(url, checkout)
		setUpForGitLabCILocal(t, dir, srv.URL)
		if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(ci), 0o644); err != nil {
			t.Fatal(err)
		}
		copyDir(t, filepath.Join(root, "templates"), filepath.Join(dir, "templates"))
		args := []string{"--force-shell-executor", "--no-color", "--home", filepath.Join(t.TempDir(), "gcl-home"),
			"--variable", "GITLAB_CI=true", "--variable", "CI_PROJECT_ID=42",
			"--variable", "RELMAN_TOKEN=test-token-gl-packages"}
		ignore := []string{"GITLAB_CI", "CI_PROJECT_ID"}
		for _, kv := range vars {
			k, _, _ := strings.Cut(kv, "=")
			args = append(args, "--variable", kv)
			ignore = append(ignore, k)
		}
		cmd := exec.Command(gcl, append(args, "--ignore-predefined-vars", strings.Join(ignore, ","))...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(relman)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+t.TempDir())
		cmd.Env = slices.DeleteFunc(cmd.Env, func(s string) bool { return strings.HasPrefix(s, "RELMAN_") })
		out, code := run(t, cmd)
		if code != 0 {
			t.Fatalf("gitlab-ci-local exit %d:\n%s", code, out)
		}
		if strings.Contains(out, "test-token-gl-packages") {
			t.Errorf("the token shows in the job logs:\n%s", out)
		}
		return out
	}

	t.Run("merge request pipeline", func(t *testing.T) {
		out := pipeline(t, "mr-7", "CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_IID=7",
			"CI_MERGE_REQUEST_TITLE=Fix the core", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main", "CI_MERGE_REQUEST_LABELS=")
		for _, want := range []string{
			`merging now releases core_v1\.0\.1 \(core\) on main`,
			`merging now releases api_v1\.0\.1 \(api\) on main`,
			`merging now releases web_v0\.3\.0 \(web\) on main`,
			`next-version=$`,
			`\| api \| ` + "`api_v1.0.0`" + ` \| patch \| \*\*` + "`api_v1.0.1`" + `\*\* \| depends on core \|`,
			"1 changed file outside every package, with no impact: `README.md`",
		} {
			if !regexp.MustCompile(`(?m)` + want).MatchString(out) {
				t.Errorf("the check job's log lacks %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, "relman tag") || strings.Contains(out, "publish") {
			t.Errorf("the merge request pipeline ran the release jobs:\n%s", out)
		}
	})

	t.Run("default branch pipeline", func(t *testing.T) {
		head := g.Head("mr-7")
		merge := g.CommitObject("Merge branch 'mr-7' into 'main'\n\nSee merge request !7", map[string]string{"libs/core/a.txt": "2\n", "README.md": "more\n"}, g.Head("main"), head)
		g.SetBranch("main", merge)
		writeJSON(t, mrsPath, []mrRecord{{Number: 7, Title: "Fix the core", Target: "main", Labels: []string{"ImpactPatch"},
			MergedAt: g.Now().Format(time.RFC3339), MergeCommit: merge.String(), HeadCommit: head.String()}})
		out := pipeline(t, "main")
		for _, want := range []string{`released: \[\{"name":"core","version":"1\.0\.1"`, `"name":"api","version":"1\.0\.1"`, `"name":"web","version":"0\.3\.0"`} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("the publish job's log lacks %s:\n%s", want, out)
			}
		}
		for _, tag := range []string{"core_v1.0.1", "api_v1.0.1", "web_v0.3.0"} {
			if g.RemoteTags()[tag].IsZero() {
				t.Errorf("no tag %s in the remote: %v", tag, g.RemoteTags())
			}
		}
	})
}
