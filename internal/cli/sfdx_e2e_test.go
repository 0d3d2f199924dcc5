package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/cli"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/releasedef/sfptest"
)

// TestSFDXExample releases examples/sfdx, a Salesforce DX project of three
// packages (acme-sales depends on acme-core) that sfp released before,
// end to end, with the example's own CI files: merge requests with impact
// labels, the GitLab pipeline of its .gitlab-ci.yml (the tag and
// releasedef-generate components, their variables and the tag job's
// dotenv report passed on as GitLab does), then its GitHub workflow (the
// action's inputs and step outputs). After each pipeline the remote's tags
// are checked in sfp's form, and the release definition committed to the
// release-definitions branch is compared byte for byte and loaded with
// sfp's schema and loader.
func TestSFDXExample(t *testing.T) {
	example, err := filepath.Abs(filepath.Join(root, "examples", "sfdx"))
	if err != nil {
		t.Fatal(err)
	}
	templates, err := filepath.Abs(filepath.Join(root, "templates"))
	if err != nil {
		t.Fatal(err)
	}
	e := &sfdxRun{t: t, g: gittest.New(t), mrsPath: filepath.Join(t.TempDir(), "mrs.json")}
	writeJSON(t, e.mrsPath, []mrRecord{})
	e.gitlab = fakeForge(t, "gitlab", e.mrsPath).URL
	e.github = fakeForge(t, "github", e.mrsPath).URL
	g := e.g

	start := g.Commit("main", "chore: the Acme CRM project", readTree(t, example))
	// sfp released every package before relman: its annotated four-part tags.
	for _, tag := range []string{"acme-core_v1.2.0.6", "acme-sales_v0.4.0.3", "acme-service_v2.1.0.1"} {
		g.Tag(tag, start, true)
	}
	g.Push()

	core := "force-app/core/main/default/"
	sales := "force-app/sales/main/default/"
	service := "force-app/service/main/default/"
	e.mr(1, "ACME-101 Invoice due dates", []string{"ImpactMinor"}, map[string]string{
		core + "objects/Invoice__c/fields/DueDate__c.field-meta.xml": dueDateField,
	})
	e.mr(2, "ACME-102 Score and route by invoice status", []string{"ImpactPatch"}, map[string]string{
		sales + "classes/OpportunityScoring.cls":    strings.Replace(exampleFile(t, example, sales+"classes/OpportunityScoring.cls"), "10 * open", "15 * open", 1),
		service + "classes/CaseRouter.cls":          strings.Replace(exampleFile(t, example, service+"classes/CaseRouter.cls"), "'Medium'", "'Low'", 1),
		service + "classes/CaseRouter.cls-meta.xml": exampleFile(t, example, service+"classes/CaseRouter.cls-meta.xml"),
	})
	// Outside every package, no label: no impact, listed.
	e.mr(3, "Org settings for the service desk", nil, map[string]string{
		"unpackaged/main/default/settings/Case.settings-meta.xml": strings.Replace(exampleFile(t, example, "unpackaged/main/default/settings/Case.settings-meta.xml"), "true", "false", 1),
	})

	// Pipeline 1, GitLab: .gitlab-ci.yml's tag job, then its define job.
	jobs := gitlabExampleJobs(t, filepath.Join(example, ".gitlab-ci.yml"), templates)
	pipeline1 := g.Head("main")
	tagOut := e.gitlabJob(jobs["tag"], pipeline1, 1, nil)
	if tagOut["RELMAN_RELEASED"] != "true" {
		t.Fatalf("the tag job released nothing: %v\n%s", tagOut, e.log)
	}
	wantTags := []string{"acme-core_v1.3.0.1", "acme-sales_v0.5.0.1", "acme-service_v2.1.1.1"}
	if got := e.outputFile(tagOut, "TAGS"); got != strings.Join(wantTags, ",") {
		t.Errorf("tags output %q, want %q", got, strings.Join(wantTags, ","))
	}
	var released []struct {
		Name, Version, Tag, Impact string
		Previous                   string   `json:"previous-tag"`
		BumpedBy                   []string `json:"bumped-by"`
	}
	if err := json.Unmarshal([]byte(e.outputFile(tagOut, "RELEASED_PACKAGES")), &released); err != nil {
		t.Fatalf("released-packages: %v", err)
	}
	var summary []string
	for _, p := range released {
		summary = append(summary, fmt.Sprintf("%s %s %s from %s, %s, bumped by %v", p.Name, p.Version, p.Tag, p.Previous, p.Impact, p.BumpedBy))
	}
	wantSummary := []string{
		"acme-core 1.3.0 acme-core_v1.3.0.1 from acme-core_v1.2.0.6, minor, bumped by []",
		// Its own patch (!2) and acme-core's release, which bumps it by
		// relman-packages.yml's dependency-bump: minor; on 0.x a minor.
		"acme-sales 0.5.0 acme-sales_v0.5.0.1 from acme-sales_v0.4.0.3, minor, bumped by [acme-core]",
		"acme-service 2.1.1 acme-service_v2.1.1.1 from acme-service_v2.1.0.1, patch, bumped by []",
	}
	if diff := cmp.Diff(wantSummary, summary); diff != "" {
		t.Errorf("released packages (-want +got):\n%s", diff)
	}
	if !strings.Contains(e.log, "Org settings for the service desk") {
		t.Errorf("the change outside every package is not listed:\n%s", e.log)
	}
	releaseCommit := e.checkTags(pipeline1, append([]string{"acme-core_v1.2.0.6", "acme-sales_v0.4.0.3", "acme-service_v2.1.0.1"}, wantTags...), wantTags)
	e.checkSFDXVersions(releaseCommit, map[string]string{"acme-core": "1.3.0.NEXT", "acme-sales": "0.5.0.NEXT", "acme-service": "2.1.1.NEXT"},
		map[string]string{"acme-sales→acme-core": "1.3.0.LATEST"})

	defOut := e.gitlabJob(jobs["releasedef-generate"], pipeline1, 1, tagOut)
	if defOut["RELMAN_FILE"] != "releases/release-crm-1.yml" || defOut["RELMAN_ARTIFACTS"] != "3" || defOut["RELMAN_COMMIT"] == "" {
		t.Errorf("the define job's outputs: %v", defOut)
	}
	want1 := fmt.Sprintf(wantDefinition, "crm-1", pipeline1, pipeline1, "1.3.0-1", "0.5.0-1", "2.1.1-1")
	e.checkDefinition("releases/release-crm-1.yml", want1)

	// Pipeline 2, GitHub: the workflow of .github/workflows/release.yml. A
	// service change alone releases acme-service alone, in sfp's form
	// after its four-part tag; the definition still pins the packages
	// released by pipeline 1 (on its release commit, if it made one).
	e.mr(4, "ACME-110 Route web cases to the queue", []string{"ImpactMinor"}, map[string]string{
		service + "classes/CaseRouter.cls": strings.Replace(exampleFile(t, example, service+"classes/CaseRouter.cls"), "'Phone'", "'Web'", 1),
	})
	pipeline2 := g.Head("main")
	steps := e.githubWorkflow(filepath.Join(example, ".github", "workflows", "release.yml"), pipeline2, 2)
	if steps["tag"]["released"] != "true" || steps["tag"]["tags"] != "acme-service_v2.2.0.1" {
		t.Fatalf("the tag step: %v\n%s", steps["tag"], e.log)
	}
	e.checkTags(pipeline2, append([]string{"acme-core_v1.2.0.6", "acme-sales_v0.4.0.3", "acme-service_v2.1.0.1", "acme-service_v2.2.0.1"}, wantTags...), []string{"acme-service_v2.2.0.1"})
	if steps["def"]["file"] != "releases/release-crm-2.yml" || steps["def"]["artifacts"] != "3" {
		t.Errorf("the releasedef step's outputs: %v", steps["def"])
	}
	want2 := fmt.Sprintf(wantDefinition, "crm-2", pipeline2, pipeline2, "1.3.0-1", "0.5.0-1", "2.2.0-1")
	e.checkDefinition("releases/release-crm-2.yml", want2)
	if got := e.definition("releases/release-crm-1.yml"); got != want1 {
		t.Errorf("pipeline 2 changed release-crm-1.yml:\n%s", got)
	}

	// The same pipeline again: nothing to release, no new tag.
	again := e.githubWorkflow(filepath.Join(example, ".github", "workflows", "release.yml"), pipeline2, 3)
	if again["tag"]["released"] != "false" || again["def"] != nil {
		t.Errorf("the re-run: %v", again)
	}
	if n := len(g.RemoteTags()); n != 7 {
		t.Errorf("%d tags after the re-run, want 7: %v", n, g.RemoteTags())
	}

	t.Run("sfp loads the definitions and the config", func(t *testing.T) {
		sfp := sfptest.Find(t)
		dir := t.TempDir()
		var files []string
		for i, want := range []string{want1, want2} {
			p := filepath.Join(dir, fmt.Sprintf("release-crm-%d.yml", i+1))
			if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
		for _, v := range sfp.Definitions(t, files...) {
			if !v.OK() {
				t.Error(v)
			}
		}
		for _, v := range sfp.Configs(t, filepath.Join(example, "config", "release-config.yml")) {
			if !v.OK() {
				t.Error(v)
			}
		}
	})
}

// wantDefinition is the release definition of examples/sfdx: name, ref and
// commit (the pipeline commit), acme-core, acme-sales, acme-service.
const wantDefinition = `# Generated by relman releasedef generate: regenerate it rather than edit it.
release: %s
releaseConfigName: acme-crm
metadata:
  commit: %s
  ref: %s
skipIfAlreadyInstalled: true
skipArtifactUpdate: false
baselineOrg: prod
artifacts:
  acme-core: %s
  acme-sales: %s
  acme-service: %s
packageDependencies:
  Nebula Logger@4.7.1: 04t5Y0000015pGyQAI
promotePackagesBeforeDeploymentToOrg: prod
changelog:
  workItemFilters:
    - ACME-[0-9]{2,5}
  workItemUrl: https://acme.atlassian.net/browse
  limit: 30
`

const dueDateField = `<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>DueDate__c</fullName>
    <label>Due Date</label>
    <type>Date</type>
</CustomField>
`

// sfdxRun is the repository, its merge requests and the fake forges.
type sfdxRun struct {
	t              *testing.T
	g              *gittest.Repo
	mrsPath        string
	mrs            []mrRecord
	gitlab, github string
	log            string // the stderr of the last job or workflow
}

// mr merges a merge request of one commit touching files into main with a
// merge commit, and records it for the fake forges.
func (e *sfdxRun) mr(n int, title string, labels []string, files map[string]string) {
	t, g := e.t, e.g
	t.Helper()
	g.Sync()
	target := g.Head("main")
	head := g.CommitObject(title, files, target)
	merge := g.CommitObject(fmt.Sprintf("Merge branch 'mr-%d' into 'main'\n\n%s\n\nSee merge request !%d", n, title, n), g.Files(head), target, head)
	g.SetBranch("main", merge)
	g.Push()
	e.mrs = append(e.mrs, mrRecord{Number: n, Title: title, Target: "main", Labels: labels, MergedAt: g.Now().Format(time.RFC3339),
		MergeCommit: merge.String(), HeadCommit: head.String()})
	writeJSON(t, e.mrsPath, e.mrs)
}

// run runs relman in dir (a fresh CI checkout) with env, as the job's
// shell would: the working directory is the checkout.
func (e *sfdxRun) run(job, dir string, env map[string]string, args ...string) (stderr string, code int) {
	e.t.Helper()
	var out, errb bytes.Buffer
	e.t.Run(job, func(t *testing.T) {
		t.Chdir(dir)
		code = cli.Main(context.Background(), cli.Env{Args: args, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
			Now: func() time.Time { return e.g.Now() }})
	})
	// On GitHub the token is announced once, to be masked: nowhere else.
	masked := regexp.MustCompile(`(?m)^::add-mask::.*$`).ReplaceAll(append(out.Bytes(), errb.Bytes()...), nil)
	if m := leaks(masked, nil); m != nil {
		e.t.Errorf("relman %s printed a token: %s", args[0], m)
	}
	e.log = out.String() + errb.String()
	return e.log, code
}

// gitlabJob runs a component's job as GitLab would on pipeline commit sha:
// a fresh clone, the predefined variables, the project's RELMAN_TOKEN, the
// job's variables (inputs interpolated, $VARIABLES expanded) and, above
// them, the dotenv variables of the earlier stages' jobs. It returns the
// job's dotenv report.
func (e *sfdxRun) gitlabJob(job gitlabJob, sha plumbing.Hash, iid int, dotenv map[string]string) map[string]string {
	t := e.t
	t.Helper()
	e.g.Sync()
	dir := e.g.Clone("main")
	predefined := map[string]string{
		"CI": "true", "GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main", "CI_DEFAULT_BRANCH": "main",
		"CI_COMMIT_SHA": sha.String(), "CI_PIPELINE_IID": fmt.Sprint(iid), "CI_PROJECT_ID": "42", "CI_PROJECT_PATH": "acme/widget",
		"CI_PROJECT_URL": "https://gitlab.example/acme/widget", "CI_SERVER_URL": "https://gitlab.example", "CI_SERVER_HOST": "gitlab.example",
		"CI_API_V4_URL": e.gitlab + "/api/v4", "GITLAB_USER_NAME": "Release Bot", "GITLAB_USER_EMAIL": "bot@gitlab.example",
	}
	env := map[string]string{}
	for k, v := range predefined {
		env[k] = v
	}
	for k, v := range job.variables {
		env[k] = os.Expand(v, func(name string) string {
			if p, ok := predefined[name]; ok {
				return p
			}
			return "$" + name
		})
	}
	for k, v := range dotenv {
		env[k] = v
	}
	env["RELMAN_TOKEN"] = "test-token-gl-sfdx-e2e" // a project variable
	log, code := e.run(fmt.Sprintf("pipeline %d %s", iid, job.name), dir, env, job.args...)
	if code != 0 {
		t.Fatalf("the %s job exited %d:\n%s", job.name, code, log)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "relman.env"))
	if err != nil {
		t.Fatalf("the %s job wrote no dotenv report: %v\n%s", job.name, err, log)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("relman.env: not KEY=VALUE: %q", sc.Text())
		}
		out[k] = v
		// A long value is in a file next to the report.
		if name, ok := strings.CutSuffix(k, "_FILE"); ok && strings.HasPrefix(v, "relman-outputs/") {
			b, err := os.ReadFile(filepath.Join(dir, v))
			if err != nil {
				t.Fatalf("relman.env: %s: %v", k, err)
			}
			out[name+"\x00file"] = string(b)
		}
	}
	return out
}

// outputFile is a dotenv output, from its file when it was too long.
func (e *sfdxRun) outputFile(dotenv map[string]string, name string) string {
	if v, ok := dotenv["RELMAN_"+name+"\x00file"]; ok {
		return v
	}
	return dotenv["RELMAN_"+name]
}

// githubWorkflow runs the relman steps of a workflow as the runner would on
// a push of sha to main: each step's inputs from its with: (expressions
// ${{ github.run_number }} and ${{ steps.ID.outputs.NAME }}), its if:
// (steps.ID.outputs.NAME == 'VALUE'), its outputs from $GITHUB_OUTPUT.
// Steps that are not relman's are the checkout and shell steps: skipped.
// It returns the outputs of the steps that ran, by id.
func (e *sfdxRun) githubWorkflow(file string, sha plumbing.Hash, run int) map[string]map[string]string {
	t := e.t
	t.Helper()
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				ID   string            `yaml:"id"`
				If   string            `yaml:"if"`
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(wf.Jobs) != 1 {
		t.Fatalf("%s: %d jobs, the test runs one", file, len(wf.Jobs))
	}
	e.g.Sync()
	dir := e.g.Clone("main")
	outputs := map[string]map[string]string{}
	expr := regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	value := func(x string) string {
		switch {
		case x == "github.run_number":
			return fmt.Sprint(run)
		case strings.HasPrefix(x, "steps."):
			parts := strings.SplitN(x, ".", 4)
			if len(parts) != 4 || parts[2] != "outputs" {
				t.Fatalf("%s: unsupported expression %q", file, x)
			}
			return outputs[parts[1]][parts[3]]
		}
		t.Fatalf("%s: unsupported expression %q", file, x)
		return ""
	}
	cond := regexp.MustCompile(`^(steps\.[a-z]+\.outputs\.[a-z-]+) == '([^']*)'$`)
	for _, job := range wf.Jobs {
		for i, s := range job.Steps {
			if !exampleAction.MatchString(s.Uses) {
				continue
			}
			if s.If != "" {
				m := cond.FindStringSubmatch(s.If)
				if m == nil {
					t.Fatalf("%s: step %d: unsupported if: %q", file, i, s.If)
				}
				if value(m[1]) != m[2] {
					continue
				}
			}
			ghOut := filepath.Join(t.TempDir(), "output")
			env := map[string]string{
				"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch",
				"GITHUB_SHA": sha.String(), "GITHUB_REPOSITORY": "acme/widget", "GITHUB_SERVER_URL": "https://github.com",
				"GITHUB_API_URL": e.github, "GITHUB_RUN_NUMBER": fmt.Sprint(run), "GITHUB_OUTPUT": ghOut,
				"GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "summary"), "GITHUB_ACTOR": "release-bot",
				"INPUT_TOKEN": "test-token-gh-sfdx-e2e", // action.yml's default, github.token
			}
			for k, v := range s.With {
				env["INPUT_"+strings.ToUpper(k)] = expr.ReplaceAllStringFunc(v, func(m string) string { return value(expr.FindStringSubmatch(m)[1]) })
			}
			log, code := e.run(fmt.Sprintf("workflow run %d step %s", run, s.ID), dir, env, "action")
			if code != 0 {
				t.Fatalf("%s: step %s (%s) exited %d:\n%s", file, s.ID, s.With["step"], code, log)
			}
			outputs[s.ID] = readGitHubOutput(t, ghOut)
		}
	}
	return outputs
}

// readGitHubOutput reads $GITHUB_OUTPUT: name<<DELIMITER, the value's
// lines, DELIMITER.
func readGitHubOutput(t *testing.T, file string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no step outputs: %v", err)
	}
	out := map[string]string{}
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("$GITHUB_OUTPUT: unexpected line %q", lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// checkTags checks the remote's tags: exactly all, and each of made on the
// pipeline commit or on relman's release commit on it (one parent, the
// pipeline commit, the Relman-Release trailer); made together, they share
// one. It returns the commit the tags of made point at.
func (e *sfdxRun) checkTags(pipeline plumbing.Hash, all, made []string) plumbing.Hash {
	t := e.t
	t.Helper()
	remote := e.g.RemoteTags()
	var names []string
	for n := range remote {
		names = append(names, n)
	}
	sort.Strings(names)
	sort.Strings(all)
	if diff := cmp.Diff(all, names); diff != "" {
		t.Errorf("the remote's tags (-want +got):\n%s", diff)
	}
	r, err := gitrepo.Open(e.g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var at plumbing.Hash
	for _, n := range made {
		h := remote[n]
		if at.IsZero() {
			at = h
		} else if h != at {
			t.Errorf("%s is on %s, the other tags of the pipeline on %s", n, h, at)
		}
		if h == pipeline {
			continue
		}
		c, err := r.Commit(h)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.ParentHashes) != 1 || c.ParentHashes[0] != pipeline || !strings.Contains(c.Message, "\nRelman-Release: ") {
			t.Errorf("%s is on %s (%q), neither the pipeline commit %s nor a release commit on it", n, h, c.Message, pipeline)
		}
	}
	return at
}

// checkSFDXVersions checks the sfdx-project.json of the release commit:
// each package's versionNumber, and the versionNumber of a package's
// dependency on another ("acme-sales→acme-core").
func (e *sfdxRun) checkSFDXVersions(commit plumbing.Hash, versions, deps map[string]string) {
	t := e.t
	t.Helper()
	var proj struct {
		PackageDirectories []struct {
			Package, VersionNumber string
			Dependencies           []struct{ Package, VersionNumber string }
		}
	}
	e.g.Sync() // the release commit is the remote's
	if err := json.Unmarshal([]byte(e.g.Files(commit)["sfdx-project.json"]), &proj); err != nil {
		t.Fatalf("sfdx-project.json of the release: %v", err)
	}
	got := map[string]string{}
	gotDeps := map[string]string{}
	for _, d := range proj.PackageDirectories {
		if d.Package == "" {
			continue
		}
		got[d.Package] = d.VersionNumber
		for _, dep := range d.Dependencies {
			if dep.VersionNumber != "" {
				gotDeps[d.Package+"→"+dep.Package] = dep.VersionNumber
			}
		}
	}
	if diff := cmp.Diff(versions, got); diff != "" {
		t.Errorf("the released sfdx-project.json's versionNumbers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(deps, gotDeps); diff != "" {
		t.Errorf("the released sfdx-project.json's dependencies (-want +got):\n%s", diff)
	}
}

// definition reads a file of the remote's release-definitions branch.
func (e *sfdxRun) definition(path string) string {
	t := e.t
	t.Helper()
	r, err := git.PlainOpen(e.g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := r.Reference(plumbing.NewBranchReferenceName("release-definitions"), true)
	if err != nil {
		t.Fatalf("no branch release-definitions on the remote: %v", err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.File(path)
	if err != nil {
		t.Fatalf("release-definitions has no %s: %v", path, err)
	}
	s, err := f.Contents()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Message, "[skip ci]") {
		t.Errorf("the definition's commit %q does not skip CI", c.Message)
	}
	return s
}

func (e *sfdxRun) checkDefinition(path, want string) {
	e.t.Helper()
	if diff := cmp.Diff(want, e.definition(path)); diff != "" {
		e.t.Errorf("%s on release-definitions (-want +got):\n%s", path, diff)
	}
}

// gitlabJob is a component's job: its variables and its relman command.
type gitlabJob struct {
	name      string
	variables map[string]string
	args      []string
}

// gitlabExampleJobs reads the components an example .gitlab-ci.yml
// includes and renders each one's job from templates/: the variables with
// the inputs interpolated (the example's, else the spec's defaults), and the
// relman command of its script. The jobs are keyed by component name.
func gitlabExampleJobs(t *testing.T, file, templates string) map[string]gitlabJob {
	t.Helper()
	var ci struct {
		Include []struct {
			Component string         `yaml:"component"`
			Inputs    map[string]any `yaml:"inputs"`
		} `yaml:"include"`
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &ci); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	jobs := map[string]gitlabJob{}
	for _, inc := range ci.Include {
		m := exampleComponent.FindStringSubmatch(inc.Component)
		if m == nil {
			t.Fatalf("%s: include %q is not a relman component", file, inc.Component)
		}
		tmpl, err := os.ReadFile(filepath.Join(templates, m[1], "template.yml"))
		if err != nil {
			t.Fatal(err)
		}
		specText, jobText, ok := strings.Cut(string(tmpl), "\n---\n")
		if !ok {
			t.Fatalf("templates/%s/template.yml: no --- between the spec and the job", m[1])
		}
		var spec struct {
			Spec struct {
				Inputs map[string]struct {
					Default any `yaml:"default"`
				} `yaml:"inputs"`
			} `yaml:"spec"`
		}
		if err := yaml.Unmarshal([]byte(specText), &spec); err != nil {
			t.Fatalf("templates/%s: %v", m[1], err)
		}
		inputs := map[string]string{}
		for k, v := range spec.Spec.Inputs {
			inputs[k] = fmt.Sprint(v.Default)
		}
		for k, v := range inc.Inputs {
			if _, ok := spec.Spec.Inputs[k]; !ok {
				t.Fatalf("%s: component %s has no input %q", file, m[1], k)
			}
			inputs[k] = fmt.Sprint(v)
		}
		interp := regexp.MustCompile(`\$\[\[\s*inputs\.([a-z-]+)\s*\]\]`)
		rendered := interp.ReplaceAllStringFunc(jobText, func(s string) string { return inputs[interp.FindStringSubmatch(s)[1]] })
		var defs map[string]struct {
			Variables map[string]string `yaml:"variables"`
			Script    []string          `yaml:"script"`
		}
		if err := yaml.Unmarshal([]byte(rendered), &defs); err != nil {
			t.Fatalf("templates/%s rendered: %v\n%s", m[1], err, rendered)
		}
		for name, d := range defs {
			if len(d.Script) != 1 || !strings.HasPrefix(d.Script[0], "relman ") {
				t.Fatalf("templates/%s: job %s: script %q, the test runs one relman command", m[1], name, d.Script)
			}
			jobs[m[1]] = gitlabJob{name: name, variables: d.Variables, args: strings.Fields(strings.TrimPrefix(d.Script[0], "relman "))}
		}
	}
	return jobs
}

// readTree reads every file under dir, by slash-separated relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func exampleFile(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
