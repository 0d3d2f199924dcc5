package cli_test

import (
	"fmt"
	"slices"
	"strings"

	"github.com/relman-dev/relman/internal/cli"
)

// This file renders the packaging from the catalog (relman catalog):
// action.yml, one GitLab component per step under templates/, the
// continuous-release component and the README's inputs and outputs tables.
// TestPackagingFiles compares the committed files with what it renders;
// "go test ./internal/cli -run TestPackagingFiles -update" rewrites them.
//
// A step joins the packaging when it joins the catalog. What it needs here:
// a description of each of its outputs in outputDocs, and its pipelines in
// componentRules; allowed values of new settings go to settingOptions.

// outputDocs describes each step's outputs.
var outputDocs = map[string]map[string]string{
	"tag": {
		"released":         "`true` when this run made a release (with dry-run: would make one), else `false`",
		"version":          "the new version, e.g. `1.5.0` (empty when nothing was released)",
		"tag":              "the new tag, e.g. `v1.5.0`",
		"previous-version": "the latest release before this one",
		"previous-tag":     "the tag of the latest release before this one",
		"impact":           "the highest impact of the changes: `major`, `minor`, `patch` or `none`",
		"major":            "the major number of the new version",
		"minor":            "the minor number of the new version",
		"patch":            "the patch number of the new version",
		"release-line":     "`main` on the default branch, `N` on release/N, `N.M` on release/N.M",
		"commit":           "the commit the tag points at: the pipeline commit, or the version commit (maven, python, version-files)",
		"changes":          "the changes released, as a JSON list (number, title, url, author, commit, impact, labels)",
		"release-notes":    "Markdown release notes grouped by impact, with merge request links (multi-line)",
		"release-url":      "the GitHub Release / GitLab Release published with publish-release (else empty)",
	},
	"backport-branch": {
		"branches-created": "release branches created, comma separated",
		"branches-updated": "release branches brought up to the release, comma separated",
	},
	"prep-commit": {
		"committed":    "`true` when a prep commit was pushed",
		"commit":       "the prep commit on the branch the step ran on",
		"next-version": "the development version set on the branch the step ran on, e.g. `1.6.0-SNAPSHOT`",
		"branches":     "the branches that got a prep commit, comma separated",
	},
	"check": {
		"impact":       "the merge request's impact: `major`, `minor` or `patch`",
		"next-version": "the version the merge request would release if merged now",
	},
	"s3 versioning": {
		"versioning": "the bucket's versioning state, e.g. `Enabled`",
		"changed":    "`true` when this run enabled versioning",
	},
	"s3 sync": {
		"release":             "the release name of the manifest",
		"uploaded":            "the number of assets uploaded",
		"skipped":             "the number of assets already there with the same content",
		"deleted":             "the number of assets hidden behind delete markers",
		"bytes":               "the bytes uploaded",
		"manifest-key":        "the key of the release's manifest",
		"manifest-version-id": "the version id of the release's manifest",
	},
	"s3 status": {
		"in-sync": "`true` when every asset matches its newest object",
		"changed": "the number of assets whose content differs",
		"missing": "the number of assets with no object",
		"extra":   "the number of objects with no asset",
		"status":  "the changed, missing and extra assets, as a JSON object of lists",
	},
	"s3 versions": {
		"count":             "the number of versions",
		"latest-version-id": "the version id of the newest version",
		"versions":          "the versions, as a JSON list (version id, date, size, git commit and tag)",
	},
	"s3 diff": {
		"identical": "`true` when the two versions or releases are the same",
		"diff":      "the unified diff of a text asset, the sizes and hashes of a binary one, or the JSON object of added, removed and changed assets of two releases",
		"added":     "two releases: the number of assets added",
		"removed":   "two releases: the number of assets removed",
		"changed":   "two releases: the number of assets changed",
	},
	"s3 rollback": {
		"release":             "the release name of the rollback's manifest",
		"rollback-of":         "the release or version rolled back to",
		"copied":              "the number of assets copied forward",
		"unchanged":           "the number of assets already at the wanted content",
		"deleted":             "the number of assets hidden behind delete markers",
		"manifest-key":        "the key of the rollback's manifest",
		"manifest-version-id": "the version id of the rollback's manifest",
	},
	"releasedef generate": {
		"file":      "the release definition written, relative to the repository root",
		"artifacts": "the number of artifacts pinned",
		"commit":    "the commit that put the definition on branch (empty without branch)",
	},
}

// The pipelines a component's job runs in (GitLab rules:if).
const (
	releaseRules = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_COMMIT_BRANCH =~ /^release\\//"
	mrRules      = `$CI_PIPELINE_SOURCE == "merge_request_event"`
	manualRules  = `$CI_PIPELINE_SOURCE == "web"`
)

// componentRules says when each step's component job runs.
var componentRules = map[string]string{
	"tag":                 releaseRules,
	"backport-branch":     releaseRules,
	"prep-commit":         releaseRules,
	"check":               mrRules,
	"releasedef generate": releaseRules,
	// s3: after a release, on the branches that release (s3 sync); the
	// others inspect or repair, so they are run by hand from the web UI.
	"s3 versioning": manualRules,
	"s3 sync":       releaseRules,
	"s3 status":     manualRules,
	"s3 versions":   manualRules,
	"s3 diff":       manualRules,
	"s3 rollback":   manualRules,
}

// settingOptions lists the values a setting accepts, for GitLab input
// options (only where the catalog default is one of them).
var settingOptions = map[string][]string{
	"build-system": {"simple", "maven", "python"},
	"impact-from":  {"auto", "labels", "commits"},
	"snapshot":     {"next", "branch"},
	"output":       {"text", "json"},
	"forge":        {"", "github", "gitlab"},
	"sse":          {"", "AES256", "aws:kms"},
}

// settingRegex is the regex: of GitLab inputs whose values have a shape
// (RE2, as GitLab reads it; the default must match).
var settingRegex = map[string]string{
	"stable-release": `^(|-?[0-9]+|[Tt]([Rr][Uu][Ee])?|[Yy]([Ee][Ss])?|[Ff]([Aa][Ll][Ss][Ee])?|[Nn][Oo]?)$`,
	"version":        `^(|v?[0-9]+\.[0-9]+\.[0-9]+)$`,
}

// settingNumbers are the settings that are GitLab inputs of type: number.
var settingNumbers = []string{"notes-limit", "concurrency"}

// chain is what the continuous-release component runs, in order.
var chain = []string{"tag", "backport-branch", "prep-commit"}

// chainFlows are settings of later steps that the tag job's dotenv report
// sets (RELMAN_VERSION, RELMAN_IMPACT): continuous-release has no input for
// them. token is never a component input: it is a masked CI/CD variable.
var chainFlows = []string{"version", "impact"}

const (
	// imageRepo is where the release publishes the image. On the default
	// branch action.yml and the components name its major tag (v1, moved by
	// each release of the highest line); the version commit of a release
	// pins them to vX.Y.Z@sha256:... (PATH:image= version-files, see
	// .github/workflows/release.yml).
	imageRepo        = "ghcr.io/relman-dev/relman"
	defaultImage     = imageRepo + ":v1"
	defaultStage     = "deploy"
	defaultJobPrefix = "relman-"
	generatedNote    = "# Generated from relman's catalog of steps (relman catalog) by\n#   go test ./internal/cli -run TestPackagingFiles -update\n# Change internal/cli (the settings, packaging_gen_test.go), not this file.\n"
	readmeBegin      = "<!-- BEGIN inputs and outputs: generated by go test ./internal/cli -run TestPackagingFiles -update -->"
	readmeEnd        = "<!-- END inputs and outputs -->"
)

// componentFile is the template of a step: "releasedef generate" is
// templates/releasedef-generate/template.yml, beside its README.md (the
// CI/CD Catalog's directory form).
func componentFile(step string) string {
	return "templates/" + componentName(step) + "/template.yml"
}

func componentReadme(step string) string {
	return "templates/" + componentName(step) + "/README.md"
}

func componentName(step string) string { return strings.ReplaceAll(step, " ", "-") }

// yq quotes s as a single-quoted YAML scalar.
func yq(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// envName is the variable of a setting: RELMAN_ and upper snake case.
func envName(name string) string {
	return "RELMAN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// variant is one meaning of a setting or output name, shared by steps.
type variant struct {
	steps []string
	text  string
}

// merged is a setting across every step that has it.
type merged struct {
	cli.SettingInfo
	variants []variant // one per distinct usage and default
}

// mergeSettings lists every setting of steps by name, in order of first
// appearance, with the usages that differ between steps.
func mergeSettings(steps []cli.StepInfo) []*merged {
	var out []*merged
	byName := map[string]*merged{}
	for _, st := range steps {
		for _, s := range st.Settings {
			text := s.Usage + defaultNote(s)
			m := byName[s.Name]
			if m == nil {
				m = &merged{SettingInfo: s}
				byName[s.Name] = m
				out = append(out, m)
			}
			i := slices.IndexFunc(m.variants, func(v variant) bool { return v.text == text })
			if i < 0 {
				m.variants = append(m.variants, variant{text: text})
				i = len(m.variants) - 1
			}
			m.variants[i].steps = append(m.variants[i].steps, st.Name)
		}
	}
	return out
}

func defaultNote(s cli.SettingInfo) string {
	if s.Default == "" {
		return ""
	}
	return " (default: " + s.Default + ")"
}

// describe joins the variants of a name: the text itself when all steps
// agree, else each text after the steps it is for, the most common last:
// "releasedef generate: one text. Other steps: another text".
func describe(vs []variant) string {
	if len(vs) == 1 {
		return vs[0].text
	}
	vs = slices.Clone(vs)
	slices.SortStableFunc(vs, func(a, b variant) int { return len(a.steps) - len(b.steps) })
	var parts []string
	for i, v := range vs {
		who := strings.Join(v.steps, ", ")
		if i == len(vs)-1 && len(v.steps) > 1 {
			who = "Other steps"
		}
		parts = append(parts, who+": "+v.text)
	}
	return strings.Join(parts, ". ")
}

// actionOutputs lists every output of every step with its description.
func actionOutputs(steps []cli.StepInfo) ([]string, map[string][]variant, error) {
	var names []string
	docs := map[string][]variant{}
	for _, st := range steps {
		for _, o := range st.Outputs {
			text, ok := outputDocs[st.Name][o]
			if !ok {
				return nil, nil, fmt.Errorf("output %s of step %s has no description: add it to outputDocs in internal/cli/packaging_gen_test.go", o, st.Name)
			}
			if _, seen := docs[o]; !seen {
				names = append(names, o)
			}
			vs := docs[o]
			i := slices.IndexFunc(vs, func(v variant) bool { return v.text == text })
			if i < 0 {
				vs = append(vs, variant{text: text})
				i = len(vs) - 1
			}
			vs[i].steps = append(vs[i].steps, st.Name)
			docs[o] = vs
		}
	}
	return names, docs, nil
}

// renderAction renders action.yml. Inputs have no default (the runner
// passes a default as INPUT_*, which would hide RELMAN_* variables), except
// token, which defaults to the workflow's token.
func renderAction(steps []cli.StepInfo) (string, error) {
	var b strings.Builder
	b.WriteString(generatedNote)
	b.WriteString("name: relman\n")
	b.WriteString("description: " + yq("Release management: the next semantic version from merged pull request labels, release branches and prep commits") + "\n")
	b.WriteString("author: relman-dev\n")
	b.WriteString("branding:\n  icon: tag\n  color: blue\n")
	b.WriteString("inputs:\n")
	var names []string
	for _, st := range steps {
		names = append(names, st.Name)
	}
	b.WriteString("  step:\n")
	b.WriteString("    description: " + yq("the step to run: "+strings.Join(names, ", ")) + "\n")
	b.WriteString("    required: true\n")
	for _, m := range mergeSettings(steps) {
		fmt.Fprintf(&b, "  %s:\n", m.Name)
		desc := describe(m.variants)
		if m.Name == "token" {
			desc += " (default: the workflow's github.token)"
		}
		b.WriteString("    description: " + yq(desc) + "\n")
		b.WriteString("    required: false\n")
		if m.Name == "token" {
			b.WriteString("    default: ${{ github.token }}\n")
		}
	}
	outs, docs, err := actionOutputs(steps)
	if err != nil {
		return "", err
	}
	b.WriteString("outputs:\n")
	for _, o := range outs {
		fmt.Fprintf(&b, "  %s:\n    description: %s\n", o, yq(describe(docs[o])))
	}
	b.WriteString("runs:\n  using: docker\n  image: docker://" + defaultImage + "\n  args:\n    - action\n")
	return b.String(), nil
}

// componentInputs are the settings of steps a component takes as inputs.
func componentInputs(steps []cli.StepInfo, skip ...string) []*merged {
	var out []*merged
	for _, m := range mergeSettings(steps) {
		if m.Name == "token" || slices.Contains(skip, m.Name) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func writeSpec(b *strings.Builder, what string, inputs []*merged) {
	b.WriteString("spec:\n  inputs:\n")
	b.WriteString("    stage:\n      description: 'the stage of the jobs'\n      default: " + defaultStage + "\n")
	b.WriteString("    job-prefix:\n      description: " + yq("prefix of the job names: the jobs are "+what) + "\n      default: " + defaultJobPrefix + "\n")
	b.WriteString("    image:\n      description: 'the relman image; GitLab runs the job script in it with its shell'\n      default: " + defaultImage + "\n")
	for _, m := range inputs {
		fmt.Fprintf(b, "    %s:\n", m.Name)
		b.WriteString("      description: " + yq(componentDescription(m)) + "\n")
		if m.Bool {
			b.WriteString("      type: boolean\n      default: false\n")
			continue
		}
		if slices.Contains(settingNumbers, m.Name) {
			b.WriteString("      type: number\n      default: " + m.Default + "\n")
			continue
		}
		b.WriteString("      default: " + yq(m.Default) + "\n")
		if opts := settingOptions[m.Name]; slices.Contains(opts, m.Default) {
			var q []string
			for _, o := range opts {
				q = append(q, yq(o))
			}
			b.WriteString("      options: [" + strings.Join(q, ", ") + "]\n")
		}
		if re, ok := settingRegex[m.Name]; ok {
			b.WriteString("      regex: " + yq(re) + "\n")
		}
	}
}

// componentDescription is the usage: the default is the input's default.
func componentDescription(m *merged) string {
	vs := make([]variant, len(m.variants))
	for i, v := range m.variants {
		vs[i] = variant{steps: v.steps, text: strings.TrimSuffix(v.text, defaultNote(m.SettingInfo))}
	}
	return describe(vs)
}

// How a job's variables are written: in full, in full under the anchor
// &relman-settings, or as the alias *relman-settings.
const (
	varsPlain = iota
	varsAnchor
	varsAlias
)

func writeJob(b *strings.Builder, step string, vars int, inputs []*merged, needs []string, onlyIfReleased bool) {
	fmt.Fprintf(b, "'$[[ inputs.job-prefix ]]%s':\n", componentName(step))
	b.WriteString("  stage: $[[ inputs.stage ]]\n")
	b.WriteString("  image:\n    name: $[[ inputs.image ]]\n    entrypoint: ['']\n")
	switch vars {
	case varsPlain:
		b.WriteString("  variables:\n")
	case varsAnchor:
		b.WriteString("  variables: &relman-settings\n")
	case varsAlias:
		b.WriteString("  variables: *relman-settings\n")
	}
	if vars != varsAlias {
		b.WriteString("    GIT_DEPTH: '0'\n")
		for _, m := range inputs {
			fmt.Fprintf(b, "    %s: '$[[ inputs.%s ]]'\n", envName(m.Name), m.Name)
		}
	}
	fmt.Fprintf(b, "  rules:\n    - if: %s\n", componentRules[step])
	if len(needs) > 0 {
		b.WriteString("  needs:\n")
		for _, n := range needs {
			fmt.Fprintf(b, "    - '$[[ inputs.job-prefix ]]%s'\n", componentName(n))
		}
	}
	b.WriteString("  script:\n")
	if onlyIfReleased {
		b.WriteString("    - 'if [ \"$RELMAN_RELEASED\" != true ]; then echo \"relman: nothing was released\"; exit 0; fi'\n")
	}
	fmt.Fprintf(b, "    - relman %s\n", step)
	b.WriteString("  artifacts:\n    paths: [relman-outputs/]\n    reports:\n      dotenv: relman.env\n")
}

// renderComponent renders the component of one step.
func renderComponent(st cli.StepInfo) (string, error) {
	if _, ok := componentRules[st.Name]; !ok {
		return "", fmt.Errorf("step %s has no pipelines to run in: add it to componentRules in internal/cli/packaging_gen_test.go", st.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# GitLab CI/CD component: %s\n", st.Synopsis)
	b.WriteString(generatedNote)
	inputs := componentInputs([]cli.StepInfo{st})
	writeSpec(&b, "<job-prefix>"+componentName(st.Name), inputs)
	b.WriteString("---\n")
	writeJob(&b, st.Name, varsPlain, inputs, nil, false)
	return b.String(), nil
}

// renderComponentReadme renders the README.md the CI/CD Catalog shows for
// a component: what it does, how to include it, its inputs and outputs.
func renderComponentReadme(name, what string, steps []cli.StepInfo, inputs []*merged) (string, error) {
	var b strings.Builder
	b.WriteString("<!-- Generated from relman's catalog of steps by go test ./internal/cli -run TestPackagingFiles -update:\n     change internal/cli (the settings, packaging_gen_test.go), not this file. -->\n")
	fmt.Fprintf(&b, "# relman %s\n\n%s\n\n", name, what)
	b.WriteString("```yaml\ninclude:\n")
	fmt.Fprintf(&b, "  - component: gitlab.com/relman-dev/relman/%s@1   # 1: the newest 1.x.y; or pin 1.4.2\n", name)
	b.WriteString("    inputs:\n      stage: release\n```\n\n")
	b.WriteString("The jobs run in the relman image of the same release (the `image` input's\n")
	b.WriteString("default is that release's `" + imageRepo + ":vX.Y.Z@sha256:…`), on\n")
	b.WriteString("the default branch and `release/…` branches unless said otherwise, with\n")
	b.WriteString("`GIT_DEPTH: 0`. The forge token is the masked CI/CD variable `RELMAN_TOKEN`,\n")
	b.WriteString("never an input: see the project README, \"GitLab components\".\n\n")
	b.WriteString("## Inputs\n\n| input | type | default | description |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| `stage` | string | `%s` | the stage of the jobs |\n", defaultStage)
	fmt.Fprintf(&b, "| `job-prefix` | string | `%s` | prefix of the job names |\n", defaultJobPrefix)
	fmt.Fprintf(&b, "| `image` | string | `%s` | the relman image; GitLab runs the job script in it with its shell |\n", defaultImage)
	for _, m := range inputs {
		typ, def := "string", ""
		switch {
		case m.Bool:
			typ, def = "boolean", "`false`"
		case slices.Contains(settingNumbers, m.Name):
			typ, def = "number", "`"+m.Default+"`"
		case m.Default != "":
			def = "`" + m.Default + "`"
		}
		if opts := settingOptions[m.Name]; slices.Contains(opts, m.Default) {
			typ = "one of " + strings.Join(slices.DeleteFunc(slices.Clone(opts), func(o string) bool { return o == "" }), ", ")
			if m.Default == "" {
				typ += " or empty"
			}
		}
		if _, ok := settingRegex[m.Name]; ok {
			typ = "string (checked)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", m.Name, typ, def, mdCell(componentDescription(m)))
	}
	b.WriteString("\n## Outputs\n\nIn the job's dotenv report `relman.env` (a job that `needs:` it gets them):\n\n| variable | description |\n|---|---|\n")
	seen := map[string]bool{}
	for _, st := range steps {
		for _, o := range st.Outputs {
			if seen[o] {
				continue
			}
			seen[o] = true
			text, ok := outputDocs[st.Name][o]
			if !ok {
				return "", fmt.Errorf("output %s of step %s has no description: add it to outputDocs in internal/cli/packaging_gen_test.go", o, st.Name)
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", envName(o), mdCell(text))
		}
	}
	return b.String(), nil
}

// renderContinuousRelease renders the component that chains the steps of
// chain, the later ones running only when the tag job released.
func renderContinuousRelease(steps []cli.StepInfo) (string, error) {
	var sel []cli.StepInfo
	for _, name := range chain {
		i := slices.IndexFunc(steps, func(s cli.StepInfo) bool { return s.Name == name })
		if i < 0 {
			return "", fmt.Errorf("continuous-release chains %s, which is not in the catalog", name)
		}
		sel = append(sel, steps[i])
	}
	var b strings.Builder
	b.WriteString("# GitLab CI/CD component: continuous release. On the default branch and on\n")
	b.WriteString("# release/N, release/N.M branches: tag the release, bring the release\n")
	b.WriteString("# branches up to it, and set the next development version.\n")
	b.WriteString("# The tag job's dotenv report (RELMAN_VERSION, RELMAN_IMPACT, ...) reaches\n")
	b.WriteString("# the later jobs and any job that needs it.\n")
	b.WriteString(generatedNote)
	inputs := componentInputs(sel, chainFlows...)
	var jobs []string
	for _, s := range chain {
		jobs = append(jobs, "<job-prefix>"+s)
	}
	writeSpec(&b, strings.Join(jobs, ", "), inputs)
	b.WriteString("---\n")
	for i, s := range chain {
		if i > 0 {
			b.WriteString("\n")
		}
		vars := varsAnchor
		if i > 0 {
			vars = varsAlias
		}
		writeJob(&b, s, vars, inputs, chain[:i], i > 0)
	}
	return b.String(), nil
}

// renderReadme renders the README's inputs and outputs tables, between
// readmeBegin and readmeEnd.
func renderReadme(steps []cli.StepInfo) (string, error) {
	var b strings.Builder
	b.WriteString(readmeBegin + "\n\n")
	b.WriteString("One name per setting: the action input and the component input\n")
	b.WriteString("`build-system` are the flag `--build-system` and the variable\n")
	b.WriteString("`RELMAN_BUILD_SYSTEM`. The action also takes `step`; its `token` defaults to\n")
	b.WriteString("the workflow's `github.token`. Components also take `stage` (default\n")
	b.WriteString("`" + defaultStage + "`), `job-prefix` (default `" + defaultJobPrefix + "`) and `image` (default\n")
	b.WriteString("`" + defaultImage + "`), and take the token from the `RELMAN_TOKEN`\n")
	b.WriteString("variable, never from an input. `continuous-release` takes the inputs of\n")
	b.WriteString("`" + strings.Join(chain, "`, `") + "` but `" + strings.Join(chainFlows, "` and `") + "`, which come from the tag job.\n")
	b.WriteString("Outputs are step outputs on GitHub, and `RELMAN_*` variables of the job's\n")
	b.WriteString("dotenv report on GitLab (a value that does not fit on one line: the file\n")
	b.WriteString("named by `RELMAN_<NAME>_FILE`).\n")
	for _, st := range steps {
		fmt.Fprintf(&b, "\n### `%s`\n\n", st.Name)
		fmt.Fprintf(&b, "%s.", strings.TrimPrefix(st.Synopsis, "relman "+st.Name+": "))
		if _, ok := componentRules[st.Name]; ok {
			fmt.Fprintf(&b, " Component: `%s`.", componentFile(st.Name))
		}
		b.WriteString("\n\n| input | default | description |\n|---|---|---|\n")
		for _, s := range st.Settings {
			def := ""
			if s.Default != "" {
				def = "`" + s.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.Name, def, mdCell(s.Usage))
		}
		b.WriteString("\n| output | description |\n|---|---|\n")
		for _, o := range st.Outputs {
			text, ok := outputDocs[st.Name][o]
			if !ok {
				return "", fmt.Errorf("output %s of step %s has no description: add it to outputDocs in internal/cli/packaging_gen_test.go", o, st.Name)
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", o, mdCell(text))
		}
	}
	b.WriteString("\n" + readmeEnd)
	return b.String(), nil
}

// mdCell makes s safe in a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

// renderAll renders every generated file: path → content (README.md: the
// generated block only).
func renderAll(steps []cli.StepInfo) (map[string]string, error) {
	out := map[string]string{}
	var err error
	if out["action.yml"], err = renderAction(steps); err != nil {
		return nil, err
	}
	for _, st := range steps {
		if out[componentFile(st.Name)], err = renderComponent(st); err != nil {
			return nil, err
		}
		if out[componentReadme(st.Name)], err = renderComponentReadme(componentName(st.Name), strings.TrimPrefix(st.Synopsis, "relman "+st.Name+": ")+".",
			[]cli.StepInfo{st}, componentInputs([]cli.StepInfo{st})); err != nil {
			return nil, err
		}
	}
	if out[componentFile("continuous-release")], err = renderContinuousRelease(steps); err != nil {
		return nil, err
	}
	var sel []cli.StepInfo
	for _, name := range chain {
		i := slices.IndexFunc(steps, func(s cli.StepInfo) bool { return s.Name == name })
		sel = append(sel, steps[i])
	}
	if out[componentReadme("continuous-release")], err = renderComponentReadme("continuous-release",
		"On the default branch and on release/N, release/N.M branches: tag the release ("+"`relman tag`), bring the release branches up to it (`relman backport-branch`) and set the next development version (`relman prep-commit`). The later jobs run only when the tag job released.",
		sel, componentInputs(sel, chainFlows...)); err != nil {
		return nil, err
	}
	if out["README.md"], err = renderReadme(steps); err != nil {
		return nil, err
	}
	return out, nil
}
