package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/cli"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// The packaging tests: action.yml, templates/, the README tables and
// examples/ against the catalog, against actionlint and gitlab-ci-local (the
// real clients, pinned and installed by scripts/install-tools.sh), and the
// binary against the environment the GitHub runner gives a Docker action.

// root is the repository root, where action.yml lives.
const root = "../.."

// TestPackagingFiles checks that action.yml, templates/ and the README
// tables are what the catalog renders (packaging_gen_test.go); -update
// rewrites them.
func TestPackagingFiles(t *testing.T) {
	files, err := renderAll(cli.Catalog())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		want := files[p]
		full := filepath.Join(root, p)
		b, err := os.ReadFile(full)
		if err != nil && !(*update && os.IsNotExist(err)) {
			t.Errorf("%s: %v (run go test ./internal/cli -run TestPackagingFiles -update)", p, err)
			continue
		}
		// A release's version commit pins the image references
		// (release.yml); the catalog renders the default branch's.
		got, whole := unpinImage(string(b)), want
		if p == "README.md" {
			i, j := strings.Index(got, readmeBegin), strings.Index(got, readmeEnd)
			if i < 0 || j < i {
				t.Errorf("README.md: no generated block: put the lines\n%s\n%s\nwhere the inputs and outputs tables go, then run with -update", readmeBegin, readmeEnd)
				continue
			}
			whole = got[:i] + want + got[j+len(readmeEnd):]
			got = got[i : j+len(readmeEnd)]
		}
		if got == want {
			continue
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(whole), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", p)
			continue
		}
		t.Errorf("%s is not what the catalog renders (run go test ./internal/cli -run TestPackagingFiles -update); -committed +rendered:\n%s",
			p, cmp.Diff(strings.Split(got, "\n"), strings.Split(want, "\n")))
	}
	var stale []string
	for _, pattern := range []string{"*", "*/*"} {
		m, _ := filepath.Glob(filepath.Join(root, "templates", pattern))
		stale = append(stale, m...)
	}
	for _, f := range stale {
		p, _ := filepath.Rel(root, f)
		p = filepath.ToSlash(p)
		if fi, err := os.Stat(f); err == nil && fi.IsDir() {
			if _, ok := files[p+"/template.yml"]; ok {
				continue
			}
		}
		if _, ok := files[p]; !ok {
			t.Errorf("%s is not rendered from any step of the catalog: remove it, or add the step to the catalog", p)
		}
	}
}

// pinnedImage is an image reference as a release's version commit writes
// it: the release's tag and digest.
var pinnedImage = regexp.MustCompile(regexp.QuoteMeta(imageRepo) + `:v[0-9]+\.[0-9]+\.[0-9]+@sha256:[0-9a-f]{64}`)

// unpinImage turns a release's image references back into the default
// branch's (defaultImage).
func unpinImage(s string) string { return pinnedImage.ReplaceAllLiteralString(s, defaultImage) }

type actionMeta struct {
	Name     string
	Branding struct{ Icon, Color string }
	Inputs   map[string]struct {
		Description string
		Required    bool
		Default     *string
	}
	Outputs map[string]struct{ Description string }
	Runs    struct {
		Using, Image string
		Args         []string
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestPackagingAgreesWithCatalog reads action.yml, the components and the
// README tables as their users do and checks names, defaults and
// descriptions against the catalog, independently of the renderer.
func TestPackagingAgreesWithCatalog(t *testing.T) {
	steps := cli.Catalog()

	t.Run("action.yml", func(t *testing.T) {
		var a actionMeta
		readYAML(t, "action.yml", &a)
		if a.Runs.Using != "docker" || unpinImage(a.Runs.Image) != "docker://"+defaultImage || !slices.Equal(a.Runs.Args, []string{"action"}) {
			t.Errorf("runs = %+v, want using docker, image docker://%s (or a release's pin), args [action]: the runner pulls the published image instead of building one", a.Runs, defaultImage)
		}
		if a.Branding.Icon == "" || a.Branding.Color == "" {
			t.Errorf("branding missing: %+v", a.Branding)
		}
		want := map[string]bool{"step": true}
		if in := a.Inputs["step"]; !in.Required || in.Default != nil {
			t.Errorf("input step: want required without default, got %+v", in)
		}
		for _, st := range steps {
			if !strings.Contains(a.Inputs["step"].Description, st.Name) {
				t.Errorf("input step: description does not name step %s", st.Name)
			}
			for _, s := range st.Settings {
				want[s.Name] = true
				in, ok := a.Inputs[s.Name]
				if !ok {
					t.Errorf("setting %s of %s: no input %s", s.Name, st.Name, s.Name)
					continue
				}
				if !strings.Contains(in.Description, s.Usage+defaultNote(s)) {
					t.Errorf("input %s: description %q does not say %q (step %s)", s.Name, in.Description, s.Usage+defaultNote(s), st.Name)
				}
				switch {
				case s.Name == "token":
					if in.Default == nil || *in.Default != "${{ github.token }}" {
						t.Errorf("input token: default must be ${{ github.token }}")
					}
				case in.Default != nil:
					t.Errorf("input %s has default %q: the runner would pass it as INPUT_* and hide RELMAN_* variables; say the default in the description", s.Name, *in.Default)
				}
				if in.Required {
					t.Errorf("input %s is required, but only some steps need it: the binary checks it", s.Name)
				}
			}
			for _, o := range st.Outputs {
				if _, ok := a.Outputs[o.Name]; !ok {
					t.Errorf("output %s of %s not declared", o.Name, st.Name)
				}
			}
		}
		for name := range a.Inputs {
			if !want[name] {
				t.Errorf("input %s is no setting of any step", name)
			}
		}
	})

	for _, st := range steps {
		t.Run(componentFile(st.Name), func(t *testing.T) {
			checkComponent(t, componentFile(st.Name), []cli.StepInfo{st}, nil)
		})
	}
	t.Run(componentFile("continuous-release"), func(t *testing.T) {
		var sel []cli.StepInfo
		for _, st := range steps {
			if slices.Contains(chain, st.Name) {
				sel = append(sel, st)
			}
		}
		spec := checkComponent(t, componentFile("continuous-release"), sel, chainFlows)
		if got := spec["build-system"].Options; !slices.Equal(got, []string{"simple", "maven", "python"}) {
			t.Errorf("build-system options = %v, want simple, maven, python", got)
		}
	})

	t.Run("README.md", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(root, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		readme := string(b)
		i, j := strings.Index(readme, readmeBegin), strings.Index(readme, readmeEnd)
		if i < 0 || j < i {
			t.Fatalf("README.md: no inputs and outputs tables between %s and %s", readmeBegin, readmeEnd)
		}
		tables := readmeTables(readme[i:j])
		for _, st := range steps {
			rows, ok := tables[st.Name]
			if !ok {
				t.Errorf("README: no table for step %s", st.Name)
				continue
			}
			var want [][2]string
			for _, s := range st.Settings {
				def := ""
				if s.Default != "" {
					def = "`" + s.Default + "`"
				}
				want = append(want, [2]string{"`" + s.Name + "`", def + " | " + mdCell(s.Usage)})
			}
			for _, o := range st.Outputs {
				want = append(want, [2]string{"`" + o.Name + "`", mdCell(o.Description)})
			}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("README table of %s (-catalog +README):\n%s", st.Name, diff)
			}
		}
	})
}

// readmeTables reads the rows of the README's per-step tables: step →
// [name, the rest of the row].
func readmeTables(s string) map[string][][2]string {
	out := map[string][][2]string{}
	step := ""
	for line := range strings.SplitSeq(s, "\n") {
		if name, ok := strings.CutPrefix(line, "### `"); ok {
			step = strings.TrimSuffix(name, "`")
			out[step] = nil
			continue
		}
		if step == "" || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.SplitN(strings.Trim(line, "| "), " | ", 2)
		if len(cells) == 2 {
			out[step] = append(out[step], [2]string{cells[0], cells[1]})
		}
	}
	return out
}

type componentInput struct {
	Description string
	Type        string
	Default     any
	Options     []string
	Regex       string
}

// checkComponent reads a component as GitLab does (a spec document, then the
// jobs) and checks it against steps; skip lists settings it has no input for.
func checkComponent(t *testing.T, path string, steps []cli.StepInfo, skip []string) map[string]componentInput {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var spec struct {
		Spec struct{ Inputs map[string]componentInput }
	}
	if err := dec.Decode(&spec); err != nil {
		t.Fatalf("%s: spec: %v", path, err)
	}
	var jobs map[string]struct {
		Stage     string
		Variables map[string]string
		Script    []string
		Needs     []string
		Rules     []map[string]string
		Artifacts struct {
			Paths   []string
			Reports struct{ Dotenv string }
		}
	}
	if err := dec.Decode(&jobs); err != nil {
		t.Fatalf("%s: jobs: %v", path, err)
	}
	inputs := spec.Spec.Inputs
	for _, name := range []string{"stage", "job-prefix", "image"} {
		if _, ok := inputs[name]; !ok {
			t.Errorf("no input %s", name)
		}
	}
	body := string(b[bytes.Index(b, []byte("\n---\n")):])
	for name := range inputs {
		if !strings.Contains(body, "$[[ inputs."+name+" ]]") {
			t.Errorf("input %s is not used", name)
		}
	}
	for _, st := range steps {
		job, ok := jobs["$[[ inputs.job-prefix ]]"+componentName(st.Name)]
		if !ok {
			t.Errorf("no job $[[ inputs.job-prefix ]]%s", componentName(st.Name))
			continue
		}
		if job.Stage != "$[[ inputs.stage ]]" || job.Artifacts.Reports.Dotenv != "relman.env" || !slices.Contains(job.Artifacts.Paths, "relman-outputs/") {
			t.Errorf("job %s: want stage from the input and relman.env, relman-outputs/ as artifacts", st.Name)
		}
		if len(job.Rules) == 0 {
			t.Errorf("job %s has no rules", st.Name)
		}
		if !slices.Contains(job.Script, "relman "+st.Name) {
			t.Errorf("job %s does not run relman %s: %q", st.Name, st.Name, job.Script)
		}
		for _, s := range st.Settings {
			if s.Name == "token" || slices.Contains(skip, s.Name) {
				if _, ok := inputs[s.Name]; ok {
					t.Errorf("%s must not be an input", s.Name)
				}
				continue
			}
			in, ok := inputs[s.Name]
			if !ok {
				t.Errorf("setting %s of %s: no input", s.Name, st.Name)
				continue
			}
			if got := job.Variables[envName(s.Name)]; got != "$[[ inputs."+s.Name+" ]]" {
				t.Errorf("job %s: %s = %q, want the input %s", st.Name, envName(s.Name), got, s.Name)
			}
			if !strings.Contains(in.Description, s.Usage) {
				t.Errorf("input %s: description %q does not say %q", s.Name, in.Description, s.Usage)
			}
			switch {
			case s.Bool:
				if in.Type != "boolean" || in.Default != false {
					t.Errorf("input %s: want type boolean, default false; got %q, %v", s.Name, in.Type, in.Default)
				}
			case in.Type == "number":
				if n, ok := in.Default.(int); !ok || strconv.Itoa(n) != s.Default {
					t.Errorf("input %s: type number, default %v, want %s", s.Name, in.Default, s.Default)
				}
			case in.Type != "" || in.Default != s.Default:
				t.Errorf("input %s: default %v, want %q (type string)", s.Name, in.Default, s.Default)
			}
			if len(in.Options) > 0 && !slices.Contains(in.Options, s.Default) {
				t.Errorf("input %s: options %v lack the default %q", s.Name, in.Options, s.Default)
			}
			if in.Regex != "" {
				re, err := regexp.Compile(in.Regex)
				if err != nil {
					t.Errorf("input %s: regex %q: %v", s.Name, in.Regex, err)
				} else if !re.MatchString(s.Default) {
					t.Errorf("input %s: regex %q refuses the default %q", s.Name, in.Regex, s.Default)
				}
			}
		}
	}
	for name := range jobs {
		if !strings.HasPrefix(name, "$[[ inputs.job-prefix ]]") {
			t.Errorf("top-level key %q: a component defines only jobs named with the job-prefix input, no global keywords", name)
		}
	}
	return inputs
}

// tool finds a pinned tool: the path in env (scripts/test.sh sets it), else
// name on PATH. Missing, it fails the test in CI and skips it elsewhere.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v: run scripts/install-tools.sh", env, p, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("%s is missing in CI: set %s (scripts/test.sh installs it with scripts/install-tools.sh)", name, env)
	}
	t.Skipf("%s is not installed: run the tests with scripts/test.sh, or eval \"$(bash scripts/install-tools.sh)\" first (in CI this fails)", name)
	return ""
}

var buildMu sync.Mutex

// buildRelman builds the binary as the Dockerfile does (static, -trimpath,
// stripped) into a temporary directory and returns its path.
func buildRelman(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build relman: %v", err)
	}
	out := filepath.Join(t.TempDir(), "bin", "relman")
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	buildMu.Lock()
	b, err := cmd.CombinedOutput()
	buildMu.Unlock()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

// run runs a command and returns its combined output and exit code.
func run(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	return out.String(), code
}

// exampleAction is how examples/ use the action; tests point it at ./.
var exampleAction = regexp.MustCompile(`relman-dev/relman@v\d+`)

// TestActionlint lints every GitHub workflow in examples/ with actionlint,
// with the examples' uses: of the action pointed at this checkout's
// action.yml (uses: ./), and checks that actionlint rejects a workflow
// with an unknown input or without the required step input.
func TestActionlint(t *testing.T) {
	actionlint := tool(t, "RELMAN_TEST_ACTIONLINT", "actionlint")
	examples, err := filepath.Glob(filepath.Join(root, "examples", "github", "*.yml"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no GitHub workflows in examples/github: %v", err)
	}
	// The example repositories' own workflows too (examples/sfdx).
	own, _ := filepath.Glob(filepath.Join(root, "examples", "*", ".github", "workflows", "*.yml"))
	if len(own) == 0 {
		t.Fatalf("no workflows in examples/*/.github/workflows")
	}
	examples = append(examples, own...)
	action, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	// project lays out a repository as actionlint finds one: .git and
	// .github/workflows, with this checkout's action.yml and Dockerfile at
	// its root.
	project := func(t *testing.T, workflows map[string]string) string {
		dir := t.TempDir()
		for _, d := range []string{".git", ".github/workflows"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "action.yml"), action, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
			t.Fatal(err)
		}
		for name, body := range workflows {
			if err := os.WriteFile(filepath.Join(dir, ".github", "workflows", name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	lint := func(t *testing.T, dir string) (string, int) {
		files, _ := filepath.Glob(filepath.Join(dir, ".github", "workflows", "*.yml"))
		cmd := exec.Command(actionlint, append([]string{"-no-color", "-shellcheck=", "-pyflakes="}, files...)...)
		cmd.Dir = dir
		return run(t, cmd)
	}

	t.Run("examples as published", func(t *testing.T) {
		cmd := exec.Command(actionlint, append([]string{"-no-color", "-shellcheck=", "-pyflakes="}, examples...)...)
		if out, code := run(t, cmd); code != 0 {
			t.Errorf("actionlint exit %d:\n%s", code, out)
		}
	})
	t.Run("examples with uses: ./", func(t *testing.T) {
		wfs := map[string]string{}
		for _, f := range examples {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !exampleAction.Match(b) {
				t.Errorf("%s does not use the action (relman-dev/relman@vN)", f)
			}
			wfs[filepath.Base(f)] = exampleAction.ReplaceAllString(string(b), "./")
		}
		if out, code := lint(t, project(t, wfs)); code != 0 {
			t.Errorf("actionlint exit %d:\n%s", code, out)
		}
	})

	const workflow = `on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
      - id: relman
        uses: ./
        with:
%s      - run: echo "$VERSION"
        env:
          VERSION: ${{ steps.relman.outputs.%s }}
`
	for _, tc := range []struct {
		name, with, output, want string
	}{
		{"every input and output", "", "", ""},
		{"unknown input", "          step: tag\n          no-such-input: x\n", "version", `input "no-such-input" is not defined in action "relman"`},
		{"missing step", "          build-system: maven\n", "version", `missing input "step" which is required by action "relman"`},
		{"unknown output", "          step: tag\n", "no-such-output", `property "no-such-output" is not defined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			with, output := tc.with, tc.output
			if tc.name == "every input and output" {
				var a actionMeta
				readYAML(t, "action.yml", &a)
				var names []string
				for n := range a.Inputs {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					with += "          " + n + ": x\n"
				}
				output = "release-notes"
			}
			out, code := lint(t, project(t, map[string]string{"release.yml": strings.Replace(strings.Replace(workflow, "%s", with, 1), "%s", output, 1)}))
			switch {
			case tc.want == "" && code != 0:
				t.Errorf("actionlint exit %d:\n%s", code, out)
			case tc.want != "" && code == 0:
				t.Errorf("actionlint passed, want a failure with %q", tc.want)
			case tc.want != "" && !strings.Contains(out, tc.want):
				t.Errorf("actionlint output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

// TestActionRunnerContract runs the binary the way the GitHub runner runs
// the Docker action: the entrypoint relman action, every input of
// action.yml as INPUT_<NAME> with hyphens kept (empty when not given, the
// token from its default), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
// GITHUB_EVENT_PATH, GITHUB_REF, and nothing else: no PATH, so no git;
// and checks the outputs file byte for byte. TestImage runs the same
// contract in the image.
func TestActionRunnerContract(t *testing.T) {
	relman := buildRelman(t)
	actionContract(t, func(t *testing.T, a actionRun) (string, int) {
		cmd := exec.Command(relman, "action")
		cmd.Dir = a.workspace
		cmd.Env = append(slices.Clone(a.env), "GITHUB_WORKSPACE="+a.workspace, "GITHUB_EVENT_PATH="+a.event, "HOME="+a.home,
			"GITHUB_OUTPUT="+a.output, "GITHUB_STEP_SUMMARY="+a.summary)
		return run(t, cmd)
	})
}

// actionRun is one run of the action: the runner's variables but the
// paths, which the caller gives as it mounts them.
type actionRun struct {
	env                                     []string // INPUT_*, GITHUB_* but the paths, RELMAN_* job variables
	workspace, event, home, output, summary string   // host paths
}

// actionContract is the GitHub runner's contract with the action: a
// repository with two labelled pull requests since v1.0.0 behind a fake
// GitHub API on loopback and an origin over smart HTTP; run runs the
// action in it.
func actionContract(t *testing.T, run func(*testing.T, actionRun) (log string, code int)) {
	var a actionMeta
	readYAML(t, "action.yml", &a)

	g := gittest.New(t)
	g.Tag("v1.0.0", g.Head("main"), true)
	work := t.TempDir()
	mrsPath := filepath.Join(work, "mrs.json")
	var mrs []mrRecord
	for _, mr := range []struct {
		n     int
		title string
		label string
	}{{7, "Add the export button", "Feature"}, {8, "Fix the date parser", "Fix"}} {
		m := g.MergeMR("main", mr.n, 1, mr.title)
		mrs = append(mrs, mrRecord{Number: mr.n, Title: mr.title, Target: "main", Labels: []string{mr.label},
			MergedAt: g.Now().Format(time.RFC3339), MergeCommit: m.Landed.String(), HeadCommit: m.Head.String()})
	}
	writeJSON(t, mrsPath, mrs)
	srv := fakeForge(t, "github", mrsPath)
	// The remote over smart HTTP, as on GitHub: the binary runs without
	// PATH, so this also shows it needs no git binary (the image has none).
	dir := g.CloneFrom(g.ServeHTTP(), "main")

	event := filepath.Join(work, "event.json")
	writeJSON(t, event, map[string]any{"ref": "refs/heads/main", "repository": map[string]any{"full_name": "acme/widget", "default_branch": "main"}})
	env := []string{
		"CI=true", "GITHUB_ACTIONS=true",
		"GITHUB_EVENT_NAME=push",
		"GITHUB_REF=refs/heads/main", "GITHUB_REF_NAME=main", "GITHUB_REF_TYPE=branch",
		"GITHUB_REPOSITORY=acme/widget", "GITHUB_SERVER_URL=https://github.com", "GITHUB_API_URL=" + srv.URL,
		// A job variable: an input left empty must not hide it.
		"RELMAN_LABEL_PATCH=Fix",
	}
	given := map[string]string{
		"step":        "tag",
		"label-minor": "Feature", // a hyphenated input reaching the binary
		"impact-from": "labels",
		"token":       "test-token-gh-contract", // the runner evaluates ${{ github.token }}
	}
	for name := range a.Inputs {
		env = append(env, "INPUT_"+strings.ToUpper(name)+"="+given[name])
	}
	runAction := func(t *testing.T, env []string) (string, int, string, string) {
		files := t.TempDir() // the runner's _runner_file_commands
		ar := actionRun{env: env, workspace: dir, event: event, home: work,
			output: filepath.Join(files, "set_output"), summary: filepath.Join(files, "step_summary")}
		for _, f := range []string{ar.output, ar.summary} {
			if err := os.WriteFile(f, nil, 0o666); err != nil { // the runner creates them
				t.Fatal(err)
			}
		}
		log, code := run(t, ar)
		o, _ := os.ReadFile(ar.output)
		s, _ := os.ReadFile(ar.summary)
		return log, code, string(o), string(s)
	}

	t.Run("tag", func(t *testing.T) {
		log, code, outputs, summary := runAction(t, env)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, log)
		}
		got := normaliseDelimiters(t, outputs)
		golden := filepath.Join("testdata", "packaging", "github-output.golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
			t.Errorf("GITHUB_OUTPUT (-golden +got; -update rewrites testdata/packaging/github-output.golden):\n%s", diff)
		}
		if !strings.Contains(summary, "relman tag: released v1.1.0") {
			t.Errorf("step summary:\n%s", summary)
		}
		if !strings.Contains(log, "::add-mask::test-token-gh-contract") || strings.Count(log, "test-token-gh-contract") != 1 ||
			strings.Contains(outputs+summary, "test-token") {
			t.Errorf("the token must be masked and shown nowhere else:\n%s", log)
		}
		if tags := g.RemoteTags(); tags["v1.1.0"].IsZero() {
			t.Errorf("remote tags %v, want v1.1.0", tags)
		}
	})
	t.Run("missing step", func(t *testing.T) {
		env := slices.DeleteFunc(slices.Clone(env), func(s string) bool { return strings.HasPrefix(s, "INPUT_STEP=") })
		log, code, outputs, _ := runAction(t, append(env, "INPUT_STEP="))
		if code != cli.ExitUsage || !strings.Contains(log, "::error::relman: the action input step is required") || outputs != "" {
			t.Errorf("exit %d, outputs %q:\n%s", code, outputs, log)
		}
	})
	t.Run("unknown step", func(t *testing.T) {
		env := slices.DeleteFunc(slices.Clone(env), func(s string) bool { return strings.HasPrefix(s, "INPUT_STEP=") })
		log, code, _, _ := runAction(t, append(env, "INPUT_STEP=tag now"))
		if code != cli.ExitUsage || !strings.Contains(log, `::error::relman: input step: unknown step "tag now"`) {
			t.Errorf("exit %d:\n%s", code, log)
		}
	})
}

var delimiterLine = regexp.MustCompile(`(?m)^([a-z0-9-]+)<<(ghadelimiter_[A-Za-z0-9]+)$`)

// normaliseDelimiters replaces the random heredoc delimiters of a
// GITHUB_OUTPUT file with DELIMITER, after checking that each closes its
// value and appears nowhere else.
func normaliseDelimiters(t *testing.T, s string) string {
	t.Helper()
	for _, m := range delimiterLine.FindAllStringSubmatch(s, -1) {
		d := m[2]
		if n := strings.Count(s, d); n != 2 {
			t.Errorf("delimiter of %s appears %d times, want 2", m[1], n)
		}
		if !strings.Contains(s, "\n"+d+"\n") {
			t.Errorf("delimiter of %s does not close its value", m[1])
		}
		s = strings.ReplaceAll(s, d, "DELIMITER")
	}
	return s
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeForge serves the merge requests of mrsPath as kind's API on
// loopback, failing the test on any route it does not serve.
func fakeForge(t *testing.T, kind, mrsPath string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	var unhandled []string
	srv := httptest.NewServer(fakeForgeHandler(kind, mrsPath, func(*http.Request) {}, func(route string) {
		mu.Lock()
		defer mu.Unlock()
		unhandled = append(unhandled, route)
	}))
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if len(unhandled) > 0 {
			t.Errorf("the fake %s API got requests it does not serve: %v", kind, unhandled)
		}
	})
	return srv
}

// exampleComponent is how examples/ include the components; tests point
// them at the sample repository's own templates/ (see TestGitLabComponents).
var exampleComponent = regexp.MustCompile(`gitlab\.com/relman-dev/relman/([a-z-]+)@\S+`)

// TestGitLabComponents runs each examples/gitlab/<build system>/.gitlab-ci.yml
// with gitlab-ci-local on a sample repository with a bare remote and the
// fake GitLab API on loopback. gitlab-ci-local resolves include: component:
// from the working tree when the component's project is the repository's
// own (the remote gcl-origin) and its version is the commit being run:
// $CI_SERVER_FQDN/$CI_PROJECT_PATH/continuous-release@$CI_COMMIT_SHA, the
// form GitLab documents for testing a component in its own project. So the
// test copies templates/ into the sample repository and rewrites the
// examples' gitlab.com/relman-dev/relman/NAME@VERSION to that.
func TestGitLabComponents(t *testing.T) {
	gcl := tool(t, "RELMAN_TEST_GITLAB_CI_LOCAL", "gitlab-ci-local")
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("gitlab-ci-local needs rsync: install it (scripts/install-tools.sh does as root)")
	}
	relman := buildRelman(t)
	for _, tc := range []struct {
		buildSystem string
		files       map[string]string // the project at the latest release
		versionFile string            // where the prep commit sets the version
		next        map[string]string // branch → the prep commit's version file
	}{
		{buildSystem: "simple"},
		{
			buildSystem: "python", files: map[string]string{"VERSION": "1.1.0.dev0\n"}, versionFile: "VERSION",
			next: map[string]string{"main": "1.2.0.dev0\n", "release/1": "1.2.0.dev0\n", "release/1.1": "1.1.1.dev0\n"},
		},
		{
			buildSystem: "maven", files: map[string]string{"pom.xml": pom("1.1.0-SNAPSHOT")}, versionFile: "pom.xml",
			next: map[string]string{"main": pom("1.2.0-SNAPSHOT"), "release/1": pom("1.2.0-SNAPSHOT"), "release/1.1": pom("1.1.1-SNAPSHOT")},
		},
	} {
		t.Run(tc.buildSystem, func(t *testing.T) {
			t.Parallel()
			example, err := os.ReadFile(filepath.Join(root, "examples", "gitlab", tc.buildSystem, ".gitlab-ci.yml"))
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
			if tc.files != nil {
				g.Commit("main", "start 1.1.0 development", tc.files)
			}
			g.Tag("1.0.0", g.Head("main"), true)
			mrsPath := filepath.Join(t.TempDir(), "mrs.json")
			m := g.MergeMR("main", 7, 2, "Add the export button")
			writeJSON(t, mrsPath, []mrRecord{{Number: 7, Title: "Add the export button", Target: "main", Labels: []string{"ImpactMinor"},
				MergedAt: g.Now().Format(time.RFC3339), MergeCommit: m.Landed.String(), HeadCommit: m.Head.String()}})
			srv := fakeForge(t, "gitlab", mrsPath)
			dir := g.CloneFrom(g.ServeHTTP(), "main") // origin over smart HTTP, as on GitLab
			released := g.Head("main")
			setUpForGitLabCILocal(t, dir, srv.URL)
			if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(ci), 0o644); err != nil {
				t.Fatal(err)
			}
			copyDir(t, filepath.Join(root, "templates"), filepath.Join(dir, "templates"))

			pipeline := func(t *testing.T) string {
				cmd := exec.Command(gcl, "--force-shell-executor", "--no-color", "--home", filepath.Join(t.TempDir(), "gcl-home"),
					"--variable", "GITLAB_CI=true", "--variable", "CI_PROJECT_ID=42",
					"--variable", "RELMAN_TOKEN=test-token-gl-components",
					"--ignore-predefined-vars", "GITLAB_CI,CI_PROJECT_ID")
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(relman)+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+t.TempDir())
				cmd.Env = slices.DeleteFunc(cmd.Env, func(s string) bool { return strings.HasPrefix(s, "RELMAN_") })
				out, code := run(t, cmd)
				if code != 0 {
					t.Fatalf("gitlab-ci-local exit %d:\n%s", code, out)
				}
				if strings.Contains(out, "test-token-gl-components") {
					t.Errorf("the token shows in the job logs:\n%s", out)
				}
				return out
			}

			out := pipeline(t)
			if !regexp.MustCompile(`(?m)^.*released version 1\.1\.0 \(tag 1\.1\.0\)$`).MatchString(out) {
				t.Errorf("the downstream job did not print the released version from the dotenv report:\n%s", out)
			}
			remote, err := git.PlainOpen(g.Remote)
			if err != nil {
				t.Fatal(err)
			}
			if tag := g.RemoteTags()["1.1.0"]; tag.IsZero() {
				t.Errorf("no tag 1.1.0 in the remote:\n%s", out)
			} else if tc.versionFile == "" && tag != released {
				t.Errorf("tag 1.1.0 on %s, want the pipeline commit %s", tag, released)
			}
			for _, branch := range []string{"release/1", "release/1.1"} {
				if _, err := remote.Reference(plumbing.NewBranchReferenceName(branch), true); err != nil {
					t.Errorf("branch %s is not in the remote: %v", branch, err)
				}
			}
			for branch, want := range tc.next {
				ref, err := remote.Reference(plumbing.NewBranchReferenceName(branch), true)
				if err != nil {
					t.Errorf("%s: %v", branch, err)
					continue
				}
				c, err := remote.CommitObject(ref.Hash())
				if err != nil {
					t.Fatal(err)
				}
				f, err := c.File(tc.versionFile)
				if err != nil {
					t.Fatalf("%s: %v", branch, err)
				}
				got, _ := f.Contents()
				if got != want || !strings.Contains(c.Message, "[skip ci]") || !strings.Contains(c.Message, "Relman-Prep:") {
					t.Errorf("%s: the prep commit %q sets %s to %q, want %q", branch, c.Message, tc.versionFile, got, want)
				}
			}
			if tc.next == nil {
				if head, _ := remote.Reference(plumbing.NewBranchReferenceName("main"), true); head == nil || head.Hash() != released {
					t.Errorf("simple: main moved, want no prep commit")
				}
			}

			// The same pipeline again: nothing to release, the later jobs
			// skip, no new tag.
			out = pipeline(t)
			if !strings.Contains(out, "relman: nothing was released") || regexp.MustCompile(`released version \d`).MatchString(out) {
				t.Errorf("second pipeline:\n%s", out)
			}
			if n := len(g.RemoteTags()); n != 2 {
				t.Errorf("remote tags after the second pipeline: %v", g.RemoteTags())
			}
		})
	}
}

func pom(version string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>widget</artifactId>
  <version>` + version + `</version>
</project>
`
}

// setUpForGitLabCILocal gives a clone what gitlab-ci-local reads: the
// project's identity from the remote gcl-origin (its API at api, the
// project acme/widget), the default branch from origin/HEAD, the user from
// git config.
func setUpForGitLabCILocal(t *testing.T, dir, api string) {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "gcl-origin", URLs: []string{api + "/acme/widget.git"}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Storer.SetReference(plumbing.NewSymbolicReference("refs/remotes/origin/HEAD", "refs/remotes/origin/main")); err != nil {
		t.Fatal(err)
	}
	cfg, err := r.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.User.Name, cfg.User.Email = "Release Bot", "release-bot@example.com"
	if err := r.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// TestDockerfile checks what the Dockerfile promises without building it
// (TestImage builds and runs it): FROM scratch, so it builds without pulling
// a base image; only COPY of what scripts/image.sh puts in the context, so
// one build serves every platform without emulation; an exec-form
// entrypoint; no USER (GitHub runs Docker actions as root); and that the
// binary, built the same way, leaves room under the 20 MB image goal.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var from, entrypoint, verbs []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "SSL_CERT_FILE") {
			continue
		}
		verb, rest, _ := strings.Cut(line, " ")
		verbs = append(verbs, verb)
		switch verb {
		case "FROM":
			from = append(from, rest)
		case "ENTRYPOINT":
			entrypoint = append(entrypoint, rest)
		}
	}
	if !slices.Equal(from, []string{"scratch"}) {
		t.Errorf("FROM %q: want FROM scratch only (no base image to pull)", from)
	}
	for _, v := range verbs {
		if !slices.Contains([]string{"FROM", "ARG", "COPY", "ENV", "ENTRYPOINT", "LABEL"}, v) {
			t.Errorf("Dockerfile instruction %s: want only FROM, ARG, COPY, ENV, LABEL, ENTRYPOINT (no RUN: nothing runs at build time, so every platform builds without emulation; no USER: GitHub runs Docker actions as root)", v)
		}
	}
	if len(entrypoint) != 1 || !json.Valid([]byte(entrypoint[0])) {
		t.Errorf("want one exec-form (JSON) ENTRYPOINT, got %q", entrypoint)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts", "image.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("scripts/image.sh does not build relman with %s", want)
		}
	}

	relman := buildRelman(t)
	fi, err := os.Stat(relman)
	if err != nil {
		t.Fatal(err)
	}
	// Compressed, as a registry stores it, the binary is 40% of this.
	if max := int64(21 << 20); fi.Size() > max {
		t.Errorf("the binary is %d bytes, over %d: the image would pass its 20 MB goal", fi.Size(), max)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(context.Background(), relman, "version")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil || !strings.HasPrefix(out.String(), "relman ") {
		t.Errorf("relman version: %v %q", err, out.String())
	}
}

// TestComponentInputTypes includes the tag component with gitlab-ci-local
// and shows that its typed inputs refuse what relman would refuse, before
// any job runs: a value outside options, a number that is none, a switch
// that is not a boolean (stable-release is one like every switch; the
// seed's spellings are for the STABLE_RELEASE variable); and accept good
// values.
func TestComponentInputTypes(t *testing.T) {
	gcl := tool(t, "RELMAN_TEST_GITLAB_CI_LOCAL", "gitlab-ci-local")
	for _, tc := range []struct{ input, want string }{
		{"stable-release: maybe", "`stable-release` input: provided value is not a boolean"},
		{"build-system: gradle", "`build-system` input: `gradle` cannot be used because it is not in the list of allowed options"},
		{"notes-limit: many", "`notes-limit` input: provided value is not a number"},
		{"forge: bitbucket", "`forge` input: `bitbucket` cannot be used"},
		{"stable-release: true", ""},
		{"notes-limit: 10", ""},
	} {
		t.Run(tc.input, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, filepath.Join(root, "templates"), filepath.Join(dir, "templates"))
			ci := "include:\n  - local: " + componentFile("tag") + "\n    inputs:\n      " + tc.input + "\n"
			if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(ci), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "ci"}} {
				if out, code := run(t, gitCmd(dir, args...)); code != 0 {
					t.Fatalf("git %v: %s", args, out)
				}
			}
			cmd := exec.Command(gcl, "--list", "--no-color", "--home", filepath.Join(t.TempDir(), "gcl-home"))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
			out, code := run(t, cmd)
			switch {
			case tc.want == "" && (code != 0 || !strings.Contains(out, "relman-tag")):
				t.Errorf("gitlab-ci-local refused %s: exit %d\n%s", tc.input, code, out)
			case tc.want != "" && (code == 0 || !strings.Contains(out, tc.want)):
				t.Errorf("gitlab-ci-local took %s: exit %d, want %q\n%s", tc.input, code, tc.want, out)
			}
		})
	}
}
