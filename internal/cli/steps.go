package cli

import (
	"fmt"
	"io"
	"strings"
)

// The pipelines a step's GitLab component job runs in (rules:if).
const (
	releasePipelines = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH || $CI_COMMIT_BRANCH =~ /^release\\//"
	mrPipelines      = `$CI_PIPELINE_SOURCE == "merge_request_event"`
	manualPipelines  = `$CI_PIPELINE_SOURCE == "web"`
)

// stepDef is one entry of relman's list of steps. Dispatch, the usage
// texts, the catalog (relman catalog) and from it action.yml, the GitLab
// components and the README tables are all derived from this list: adding
// a step is its package, its cli file (define) and one entry here.
type stepDef struct {
	name   string // the command words: "tag", "s3 sync"
	forms  []form // usage lines, after "relman NAME"
	define func(*settings) (string, step)
	// outputs are the outputs the step always emits, with their
	// descriptions for action.yml, the components and the README.
	outputs []OutputInfo
	// pipelines is the GitLab rules:if of the step's component job.
	pipelines string
	// asset: the step takes one positional ASSET (relman s3 versions ASSET).
	asset bool
	// offline are the settings with which a dry run of the step needs
	// nothing but a local clone (no forge, no bucket, no config file); nil
	// when it needs more. TestCatalogOutputs runs these.
	offline []string
}

// form is one usage line of a step: its arguments and what it does.
type form struct{ args, what string }

// stepGroup is a command word whose steps are its subcommands.
type stepGroup struct {
	name, title, footer string
}

var groups = []stepGroup{
	{name: "s3", title: "release assets in a versioned S3 bucket",
		footer: `Run "relman s3 SUBCOMMAND --help" for its settings. ASSET is the file's path in the repository.`},
	{name: "releasedef", title: "release definitions pinned from git tags",
		footer: `Run "relman releasedef generate --help" for its settings.`},
}

// steps is relman's list of steps, in the order of the help, the catalog
// and the packaging.
var steps = []stepDef{
	{name: "tag", define: tagCommand, pipelines: releasePipelines, offline: []string{},
		forms: []form{{"[settings]", "compute the next version from merged changes, tag and push it"}},
		outputs: []OutputInfo{
			{"released", "`true` when this run made a release (with dry-run: would make one), else `false`"},
			{"version", "the new version, e.g. `1.5.0` (empty when nothing was released)"},
			{"tag", "the new tag, e.g. `v1.5.0`"},
			{"previous-version", "the latest release before this one"},
			{"previous-tag", "the tag of the latest release before this one"},
			{"impact", "the highest impact of the changes: `major`, `minor`, `patch` or `none`"},
			{"major", "the major number of the new version"},
			{"minor", "the minor number of the new version"},
			{"patch", "the patch number of the new version"},
			{"release-line", "`main` on the default branch, `N` on release/N, `N.M` on release/N.M"},
			{"commit", "the commit the tag points at: the pipeline commit, or the version commit (maven, python, version-files)"},
			{"changes", "the changes released, as a JSON list (number, title, url, author, commit, impact, labels)"},
			{"release-notes", "Markdown release notes grouped by impact, with merge request links (multi-line)"},
			{"release-url", "the GitHub Release / GitLab Release published with publish-release (else empty)"},
			{"released-packages", "with packages: the packages released, as a JSON list (name, version, tag, previous-version, previous-tag, impact, commit, bumped-by, release-url); `[]` without"},
			{"tags", "the tags made, comma separated (one package: the tag)"},
		}},
	{name: "backport-branch", define: backportCommand, pipelines: releasePipelines, offline: []string{"--version", "1.0.1"},
		forms: []form{{"", "bring release/N and release/N.M up to the release, or create them"}},
		outputs: []OutputInfo{
			{"branches-created", "release branches created, comma separated"},
			{"branches-updated", "release branches brought up to the release, comma separated"},
		}},
	{name: "prep-commit", define: prepCommand, pipelines: releasePipelines, offline: []string{"--version", "1.0.1"},
		forms: []form{{"", "set the next development version on the branches the release touched"}},
		outputs: []OutputInfo{
			{"committed", "`true` when a prep commit was pushed"},
			{"commit", "the prep commit on the branch the step ran on"},
			{"next-version", "the development version set on the branch the step ran on, e.g. `1.6.0-SNAPSHOT`"},
			{"branches", "the branches that got a prep commit, comma separated"},
		}},
	{name: "check", define: checkCommand, pipelines: mrPipelines, offline: []string{"--target-branch", "main", "--labels", "ImpactPatch"},
		forms: []form{{"", "on a merge request: require one impact label, preview the version"}},
		outputs: []OutputInfo{
			{"impact", "the merge request's impact: `major`, `minor` or `patch`"},
			{"next-version", "the version the merge request would release if merged now (empty in a repository of packages: see packages)"},
			{"released-packages", "in a repository of packages, the packages merging now would release, as a JSON list (name, version, tag, previous-version, previous-tag, impact, bumped-by); `[]` when none"},
		}},
	// s3: after a release, on the branches that release (s3 sync); the
	// others inspect or repair, so they are run by hand from the web UI.
	{name: "s3 versioning", define: s3VersioningCommand, pipelines: manualPipelines,
		forms: []form{{"[settings]", "enable versioning on the bucket (idempotent)"}},
		outputs: []OutputInfo{
			{"versioning", "the bucket's versioning state, e.g. `Enabled`"},
			{"changed", "`true` when this run enabled versioning"},
		}},
	{name: "s3 sync", define: s3SyncCommand, pipelines: releasePipelines,
		forms: []form{{"[settings]", "upload changed assets by content, write the release manifest"}},
		outputs: []OutputInfo{
			{"release", "the release name of the manifest"},
			{"uploaded", "the number of assets uploaded"},
			{"skipped", "the number of assets already there with the same content"},
			{"deleted", "the number of assets hidden behind delete markers"},
			{"bytes", "the bytes uploaded"},
			{"manifest-key", "the key of the release's manifest"},
			{"manifest-version-id", "the version id of the release's manifest"},
		}},
	{name: "s3 status", define: s3StatusCommand, pipelines: manualPipelines,
		forms: []form{{"[settings]", "compare the work tree (or --tag) with the bucket"}},
		outputs: []OutputInfo{
			{"in-sync", "`true` when every asset matches its newest object"},
			{"changed", "the number of assets whose content differs"},
			{"missing", "the number of assets with no object"},
			{"extra", "the number of objects with no asset"},
			{"status", "the changed, missing and extra assets, as a JSON object of lists"},
		}},
	{name: "s3 versions", define: s3VersionsCommand, pipelines: manualPipelines, asset: true,
		forms: []form{{"ASSET [settings]", "list an asset's versions with their git commit and tag"}},
		outputs: []OutputInfo{
			{"count", "the number of versions"},
			{"latest-version-id", "the version id of the newest version"},
			{"versions", "the versions, as a JSON list (version id, date, size, git commit and tag)"},
		}},
	{name: "s3 diff", define: s3DiffCommand, pipelines: manualPipelines, asset: true,
		forms: []form{
			{"ASSET --from V [--to V] [settings]", "diff two versions (ids or release tags) of an asset"},
			{"--from-release T1 --to-release T2", "diff two releases' manifests"},
		},
		outputs: []OutputInfo{
			{"identical", "`true` when the two versions or releases are the same"},
			{"diff", "the unified diff of a text asset, the sizes and hashes of a binary one, or the JSON object of added, removed and changed assets of two releases"},
			{"added", "two releases: the number of assets added"},
			{"removed", "two releases: the number of assets removed"},
			{"changed", "two releases: the number of assets changed"},
		}},
	{name: "s3 rollback", define: s3RollbackCommand, pipelines: manualPipelines, asset: true,
		forms: []form{
			{"ASSET --to VERSION_ID|TAG", "copy an old version forward as the newest"},
			{"--release TAG [--delete]", "copy every asset of a release forward"},
		},
		outputs: []OutputInfo{
			{"release", "the release name of the rollback's manifest"},
			{"rollback-of", "the release or version rolled back to"},
			{"copied", "the number of assets copied forward"},
			{"unchanged", "the number of assets already at the wanted content"},
			{"deleted", "the number of assets hidden behind delete markers"},
			{"manifest-key", "the key of the rollback's manifest"},
			{"manifest-version-id", "the version id of the rollback's manifest"},
		}},
	{name: "releasedef generate", define: releasedefGenerateCommand, pipelines: releasePipelines,
		forms: []form{{"--name NAME --config FILE [--ref REF] [--output-dir DIR] [--branch BRANCH] [--metadata JSON]",
			"write release-NAME.yml pinning every artifact's version from git tags"}},
		outputs: []OutputInfo{
			{"file", "the release definition written, relative to the repository root"},
			{"artifacts", "the number of artifacts pinned"},
			{"commit", "the commit that put the definition on branch (empty without branch)"},
		}},
}

// findStep is the step named by its command words, or nil.
func findStep(name string) *stepDef {
	for i := range steps {
		if steps[i].name == name {
			return &steps[i]
		}
	}
	return nil
}

// findGroup is the group of subcommands of a command word, or nil.
func findGroup(name string) *stepGroup {
	for i := range groups {
		if groups[i].name == name {
			return &groups[i]
		}
	}
	return nil
}

// subSteps lists the steps of a group, in order.
func (g *stepGroup) subSteps() []*stepDef {
	var out []*stepDef
	for i := range steps {
		if group, _, ok := strings.Cut(steps[i].name, " "); ok && group == g.name {
			out = append(out, &steps[i])
		}
	}
	return out
}

// stepNames lists the names of every step.
func stepNames() []string {
	var names []string
	for _, st := range steps {
		names = append(names, st.name)
	}
	return names
}

// usageLine writes "  relman WORDS" padded to width, then what.
func usageLine(w io.Writer, width int, words, what string) {
	if what == "" {
		fmt.Fprintf(w, "  relman %s\n", words)
		return
	}
	fmt.Fprintf(w, "  %-*s %s\n", width, "relman "+words, what)
}

// usageText is relman's help: every step (or group of steps) and the
// commands of relman itself.
func usageText() string {
	var b strings.Builder
	b.WriteString("relman: release management for git repositories\n\nUsage:\n")
	done := map[string]bool{}
	for _, st := range steps {
		word, _, _ := strings.Cut(st.name, " ")
		if g := findGroup(word); g != nil && len(g.subSteps()) > 1 {
			if !done[word] {
				done[word] = true
				var subs []string
				for _, sub := range g.subSteps() {
					subs = append(subs, strings.TrimPrefix(sub.name, word+" "))
				}
				usageLine(&b, 27, word+" SUBCOMMAND", fmt.Sprintf("%s: %s (relman %s help)", g.title, strings.Join(subs, ", "), word))
			}
			continue
		}
		words := st.name
		if st.name == "tag" {
			words += " " + st.forms[0].args
		}
		usageLine(&b, 27, words, st.forms[0].what)
	}
	usageLine(&b, 27, "version", "print relman's version")
	usageLine(&b, 27, "help [command]", "show help")
	b.WriteString("\nRun \"relman tag --help\" for the settings of a step.\n")
	return b.String()
}

// usage is a group's help: every form of each of its steps.
func (g *stepGroup) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "relman %s: %s\n\nUsage:\n", g.name, g.title)
	width := 0
	subs := g.subSteps()
	if len(subs) > 1 {
		width = 52
	}
	for _, st := range subs {
		for _, f := range st.forms {
			what := f.what
			if width == 0 {
				what = ""
			}
			usageLine(&b, width, strings.TrimSpace(st.name+" "+f.args), what)
		}
	}
	b.WriteString("\n" + g.footer + "\n")
	return b.String()
}
