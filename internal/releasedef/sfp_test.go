package releasedef

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/releasedef/sfptest"
)

// The tests in this file check relman against sfp itself (@flxbl-io/sfp,
// pinned by scripts/sfp/package-lock.json): its release-definition schema
// and loader, its release-config schema and generator checks, and its
// `sfp releasedefinition generate`. They need RELMAN_TEST_SFP (set by
// scripts/install-tools.sh, which scripts/test.sh runs); see sfptest.Find.

func writeFiles(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// TestValidateSFPAgreesWithSFP checks relman's own check of a definition
// (run before every write) against sfp's loader, case by case.
func TestValidateSFPAgreesWithSFP(t *testing.T) {
	sfp := sfptest.Find(t)
	files := map[string]string{}
	for i, tt := range validateCases {
		files[fmt.Sprintf("case-%02d.yml", i)] = tt.def
	}
	paths := writeFiles(t, files)
	var list []string
	for i := range validateCases {
		list = append(list, paths[fmt.Sprintf("case-%02d.yml", i)])
	}
	for i, v := range sfp.Definitions(t, list...) {
		tt := validateCases[i]
		if v.OK() != tt.ok {
			t.Errorf("%s: sfp ok=%v, the case says %v:\n%s\n%s", tt.name, v.OK(), tt.ok, tt.def, v)
		}
		if goOK := ValidateSFP([]byte(tt.def), true) == nil; goOK != v.OK() {
			t.Errorf("%s: ValidateSFP ok=%v, sfp ok=%v:\n%s\n%s", tt.name, goOK, v.OK(), tt.def, v)
		}
	}
}

// TestSFPAcceptsGoldens loads every golden definition and the example of
// docs/releasedef.md with sfp's loader. A definition from a generic
// manifest is for other tooling: its package dependencies pin versions, so
// sfp's schema (for Salesforce 04t ids) refuses those and nothing else.
func TestSFPAcceptsGoldens(t *testing.T) {
	sfp := sfptest.Find(t)
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "releasedef.md"))
	if err != nil {
		t.Fatal(err)
	}
	example := docOutputExample(t, string(doc))
	files := append(goldens, writeFiles(t, map[string]string{"docs-example.yml": example})["docs-example.yml"])
	for _, v := range sfp.Definitions(t, files...) {
		if filepath.Base(v.File) != "generic.golden" {
			if !v.OK() {
				t.Error(v)
			}
			continue
		}
		if v.OK() {
			t.Errorf("%s: sfp accepts generic package dependencies: the test expects their versions to be refused", v.File)
		}
		for _, e := range v.Schema {
			if e.Keyword != "pattern" || !strings.HasPrefix(e.Path, "/packageDependencies/") {
				t.Errorf("%s: sfp refuses more than the versions of generic package dependencies:\n%s", v.File, v)
			}
		}
	}
}

// docOutputExample is the YAML example under "## The output".
func docOutputExample(t *testing.T, doc string) string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n## The output\n")
	if !ok {
		t.Fatal(`docs/releasedef.md has no "## The output" section`)
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if !ok {
		t.Fatal("docs/releasedef.md: no YAML example under ## The output")
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// TestSFPAcceptsRenderedScalars renders definitions whose strings YAML
// could read as something else (numbers, booleans, null, dates: sfp reads
// with js-yaml's default schema, which has timestamps) and checks that sfp
// reads them as the strings they are.
func TestSFPAcceptsRenderedScalars(t *testing.T) {
	sfp := sfptest.Find(t)
	tricky := []string{"2024.06", "2024-06-01", "2024-06-01T10:00:00Z", "1e3", "0x1F", "0o17", "12:30", "1_000", ".inf", "-.5", "yes", "No", "on", "null", "~", "true", "False", "<<", "=", "#x", "-", "@a", "`b", "a: b", "[x]", "*x", "&x", "!x", "%x", "|", ">", "'", `"`}
	var files []string
	dir := t.TempDir()
	for i, s := range tricky {
		d := &Definition{
			Release: s, ReleaseConfigName: s, SkipIfAlreadyInstalled: true,
			Metadata:            map[string]any{s: s, "ref": s},
			Artifacts:           map[string]string{s: "1.0.0-1"},
			PackageDependencies: map[string]string{s: "04t5Y0000015pGyQAI"},
			BaselineOrg:         &s, PromotePackagesBeforeDeploymentToOrg: &s,
			Changelog: &Changelog{WorkItemFilters: []string{s}, WorkItemURL: &s},
		}
		b, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("tricky-%02d.yml", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	for i, v := range sfp.Definitions(t, files...) {
		if !v.OK() {
			b, _ := os.ReadFile(v.File)
			t.Errorf("%q: %s\n%s", tricky[i], v, b)
		}
	}
}

// TestSFPConfigs: every config that sfp's schema and generator accept,
// relman accepts, except true typos (sfp's schema takes any key), which
// relman refuses with their line.
func TestSFPConfigs(t *testing.T) {
	sfp := sfptest.Find(t)
	tests := []struct {
		name, config string
		relmanErr    string // "" when relman accepts it
	}{
		{name: "empty", config: "{}\n"},
		{name: "sfp's full layout", config: `releaseName: crm
pool: ci-pool
dependencyOn: [platform, billing]
excludeArtifacts: [legacy]
excludeArtifactsWithTag: [experimental]
excludePackageDependencies: [Marketing Cloud]
releasedefinitionProperties:
  skipIfAlreadyInstalled: true
  skipArtifactUpdate: false
  baselineOrg: prod
  promotePackagesBeforeDeploymentToOrg: uat
  changelog:
    workItemFilters: ["BRO-[0-9]{3,4}", "#\\d+"]
    workItemUrl: https://bro.atlassian.net/browse
    limit: 30
    showAllArtifacts: true
`},
		{name: "include lists", config: "releaseName: core\nincludeOnlyArtifacts: [core]\nincludeOnlyPackageDependencies: [Nebula Logger@4.7.1]\n"},
		{name: "exclude all dependencies", config: "excludeAllPackageDependencies: true\nreleasedefinitionProperties:\n  skipArtifactUpdate: true\n"},
		{name: "empty filters", config: "releasedefinitionProperties:\n  changelog:\n    workItemFilters: []\n"},
		{name: "relman's keys", config: "onMissingTag: warn\nincludeOnlyArtifactsWithTag: [backend]\nskipIfAlreadyInstalled: false\n"},
		{name: "typo at the top level", config: "releaseName: crm\nexcludeArtifact: [legacy]\n", relmanErr: `c.yml:2: unknown key "excludeArtifact"`},
		{name: "typo in the properties", config: "releasedefinitionProperties:\n  skipIfAlreadyInstaled: true\n", relmanErr: `c.yml:2: unknown key "skipIfAlreadyInstaled" in releasedefinitionProperties`},
	}
	files := map[string]string{}
	for i, tt := range tests {
		files[fmt.Sprintf("config-%02d.yml", i)] = tt.config
	}
	paths := writeFiles(t, files)
	var list []string
	for i := range tests {
		list = append(list, paths[fmt.Sprintf("config-%02d.yml", i)])
	}
	for i, v := range sfp.Configs(t, list...) {
		tt := tests[i]
		if !v.OK() {
			t.Errorf("%s: sfp refuses the config, the test needs one it accepts:\n%s", tt.name, v)
		}
		_, err := ParseConfig("c.yml", []byte(tt.config))
		switch {
		case tt.relmanErr == "" && err != nil:
			t.Errorf("%s: sfp accepts the config, relman refuses it: %v", tt.name, err)
		case tt.relmanErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.relmanErr)):
			t.Errorf("%s: relman: %v, want an error starting %q", tt.name, err, tt.relmanErr)
		}
	}
}

// sideProject is an sfdx project whose packages are tagged the ways sfp
// and people tag them (see sideRepo).
const sideProject = `{
  "packageDirectories": [
    { "path": "src/core", "package": "core", "versionNumber": "1.2.0.NEXT", "default": true },
    { "path": "src/ui", "package": "ui", "versionNumber": "2.0.0.NEXT" },
    { "path": "src/hotfix", "package": "hotfix", "versionNumber": "1.3.0.NEXT" },
    { "path": "src/sales", "package": "sales", "versionNumber": "1.0.0.NEXT" },
    { "path": "src/sales-vip", "package": "sales_vip", "versionNumber": "3.0.0.NEXT" },
    { "path": "src/light", "package": "light", "versionNumber": "1.0.0.NEXT" },
    { "path": "src/three", "package": "three", "versionNumber": "1.0.0.NEXT" },
    { "path": "src/dashed", "package": "dashed", "versionNumber": "1.0.0.NEXT" },
    { "path": "src/reports", "package": "reports", "versionNumber": "1.0.0.NEXT", "tags": ["experimental"] },
    { "path": "src/merged", "package": "merged", "versionNumber": "2.0.0.NEXT" },
    { "path": "src/patch3", "package": "patch3", "versionNumber": "1.0.0.NEXT" },
    { "path": "src/next", "package": "next", "versionNumber": "1.1.0.NEXT" },
    { "path": "src/missing", "package": "missing", "versionNumber": "1.0.0.NEXT" },
    { "path": "config" }
  ],
  "sourceApiVersion": "60.0",
  "packageAliases": {
    "core": "0Ho5g0000008OB7CAM",
    "core@1.2.0-9": "04t5g000000UqBVAA0",
    "Nebula Logger@4.7.1": "04t5Y0000015pGyQAI",
    "Marketing Cloud": "04t1E000001Iql5"
  }
}
`

// sideRepo builds the repository both tools read (annotated tags as sfp
// publish makes them, one hour apart, so that their creation order is
// their order here):
//
//	main:  c0 ── c1 ─────── c2 (ref) ── c3
//	             │\        /
//	             │ m1 ────┘   (merged branch: second parent of c2)
//	             f1           (feature branch, never merged)
//
// c1: core_v1.2.0.9, ui_v2.0.0.1, hotfix_v1.3.0.1, sales_v1.0.0.1,
// light_v1.0.0.3 (lightweight), three_v1.0.0, dashed_v1.0.0-4 (relman's
// dash form), reports_v1.0.0.1, merged_v1.0.0.1, patch3_v1.0.0-ALIGN,
// next_v1.1.0.NEXT. f1: reports_v1.1.0.1. m1: merged_v2.0.0.1. c2:
// core_v1.2.0.10, ui_v2.0.0.2-ALIGN, hotfix_v1.2.0.5 (newer, lower),
// sales_vip_v3.0.0.1. c3: reports_v1.2.0.1. missing: no tag.
func sideRepo(t *testing.T) (clone string, ref plumbing.Hash) {
	t.Helper()
	g := gittest.New(t)
	files := map[string]string{"sfdx-project.json": sideProject}
	for _, d := range []string{"core", "ui", "hotfix", "sales", "sales-vip", "light", "three", "dashed", "reports", "merged", "patch3", "next", "missing"} {
		files["src/"+d+"/README.md"] = d + "\n"
	}
	c1 := g.Commit("main", "sfdx project", files)
	for _, tag := range []string{"core_v1.2.0.9", "ui_v2.0.0.1", "hotfix_v1.3.0.1", "sales_v1.0.0.1", "three_v1.0.0", "dashed_v1.0.0-4", "reports_v1.0.0.1", "merged_v1.0.0.1", "patch3_v1.0.0-ALIGN", "next_v1.1.0.NEXT"} {
		g.Tag(tag, c1, true)
	}
	g.Tag("light_v1.0.0.3", c1, false)
	f1 := g.CommitObject("feature: reports", map[string]string{"src/reports/f.txt": "f"}, c1)
	g.SetBranch("feature", f1)
	g.Tag("reports_v1.1.0.1", f1, true)
	m1 := g.CommitObject("merged: new work", map[string]string{"src/merged/m.txt": "m"}, c1)
	g.SetBranch("merged-work", m1)
	g.Tag("merged_v2.0.0.1", m1, true)
	tree := g.Files(m1)
	c2 := g.CommitObject("Merge branch 'merged-work'", tree, c1, m1)
	g.SetBranch("main", c2)
	for _, tag := range []string{"core_v1.2.0.10", "ui_v2.0.0.2-ALIGN", "hotfix_v1.2.0.5", "sales_vip_v3.0.0.1"} {
		g.Tag(tag, c2, true)
	}
	c3 := g.Commit("main", "after the release", map[string]string{"src/reports/later.txt": "later"})
	g.Tag("reports_v1.2.0.1", c3, true)
	return g.Clone("main"), c2
}

// difference is a key whose value sfp and relman write differently, with
// why; "-" is a key one of them leaves out.
type difference struct{ sfp, relman, why string }

// Why each difference is deliberate: docs/releasedef.md, "relman and sfp",
// lists the same.
const (
	whyHighest   = "highest version, not the newest tag"
	whyLight     = "lightweight tags count"
	whyLookAlike = "look-alike package names kept apart"
	whyDash      = "relman's X.Y.Z-B tags read too"
	whyMerged    = "every commit reachable from the ref, not only first parents"
	whyAlign3    = "-ALIGN stripped from X.Y.Z-ALIGN too"
	whyOwnAlias  = "aliases of the project's own package versions are no dependencies"
	whyMetadata  = "metadata always names the ref and the commit"
	whyBaseline  = "every release property copied (sfp drops baselineOrg)"
	whyFalse     = "skipIfAlreadyInstalled: false survives"
	whyTagFilter = "tag filters applied"
	whyTopLevel  = "release properties read at the top level too"
)

// tagDifferences are the artifacts every side-by-side config shows.
var tagDifferences = map[string]difference{
	"artifacts.hotfix": {"1.2.0-5", "1.3.0-1", whyHighest},
	"artifacts.light":  {"-", "1.0.0-3", whyLight},
	"artifacts.sales":  {"3.0.0-1", "1.0.0-1", whyLookAlike},
	"artifacts.dashed": {"-", "1.0.0-4", whyDash},
	"artifacts.merged": {"1.0.0-1", "2.0.0-1", whyMerged},
	"artifacts.patch3": {"1.0.0-ALIGN", "1.0.0", whyAlign3},
}

func with(base map[string]difference, more map[string]difference) map[string]difference {
	out := map[string]difference{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// TestSFPSideBySide runs `sfp releasedefinition generate` and relman on the
// same repository and configs, and checks that every difference between
// the two definitions is one of the deliberate ones (and that each of those
// still shows). Both definitions must load in sfp's loader. With -v it
// prints the comparison (scripts/sfp-compare.sh).
func TestSFPSideBySide(t *testing.T) {
	sfp := sfptest.Find(t)
	clone, ref := sideRepo(t)
	short := ref.String()[:12]
	tests := []struct {
		name, config, metadata string
		want                   map[string]difference
	}{
		{
			name: "sfp-layout",
			config: `releaseName: crm
pool: ci-pool
dependencyOn: [platform]
onMissingTag: warn
excludePackageDependencies: [Marketing Cloud]
releasedefinitionProperties:
  skipIfAlreadyInstalled: true
  skipArtifactUpdate: true
  baselineOrg: prod
  promotePackagesBeforeDeploymentToOrg: uat
  changelog:
    workItemFilters: ["BRO-[0-9]{3,4}"]
    workItemUrl: https://bro.atlassian.net/browse
    limit: 30
    showAllArtifacts: false
`,
			metadata: `{"pipeline":"1234"}`,
			want: with(tagDifferences, map[string]difference{
				"packageDependencies.core@1.2.0-9": {"04t5g000000UqBVAA0", "-", whyOwnAlias},
				"metadata.commit":                  {"-", ref.String(), whyMetadata},
				"metadata.ref":                     {"-", short, whyMetadata},
				"baselineOrg":                      {"-", "prod", whyBaseline},
			}),
		},
		{
			name: "filters",
			config: `excludeAllPackageDependencies: true
excludeArtifactsWithTag: [experimental]
onMissingTag: skip
releasedefinitionProperties:
  skipIfAlreadyInstalled: false
`,
			want: with(tagDifferences, map[string]difference{
				"metadata.commit":        {"-", ref.String(), whyMetadata},
				"metadata.ref":           {"-", short, whyMetadata},
				"skipIfAlreadyInstalled": {"true", "false", whyFalse},
				"artifacts.reports":      {"1.0.0-1", "-", whyTagFilter},
			}),
		},
		{
			name: "top-level",
			config: `releaseName: core
includeOnlyArtifacts: [core, ui, hotfix]
skipArtifactUpdate: true
promotePackagesBeforeDeploymentToOrg: uat
`,
			want: map[string]difference{
				"artifacts.hotfix":                     tagDifferences["artifacts.hotfix"],
				"packageDependencies.core@1.2.0-9":     {"04t5g000000UqBVAA0", "-", whyOwnAlias},
				"metadata.commit":                      {"-", ref.String(), whyMetadata},
				"metadata.ref":                         {"-", short, whyMetadata},
				"skipArtifactUpdate":                   {"false", "true", whyTopLevel},
				"promotePackagesBeforeDeploymentToOrg": {"-", "uat", whyTopLevel},
			},
		},
	}
	r, err := gitrepo.Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	manifest, err := ParseSFDX("sfdx-project.json", []byte(sideProject))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var mu sync.Mutex // go-git's repository is not safe for concurrent use
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // sfp takes seconds to start
			configFile := filepath.Join(out, tt.name+".yml")
			if err := os.WriteFile(configFile, []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			sfpDef, _ := sfp.Generate(t, sfptest.GenerateOptions{Dir: clone, Config: configFile, Name: "2024.06", Ref: ref.String(), Metadata: tt.metadata})

			cfg, err := ParseConfig(configFile, []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			md, err := ParseMetadata(tt.metadata)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			d, err := Generate(context.Background(), Options{Name: "2024.06", Config: cfg, Manifest: manifest, Repo: r, Commit: ref, Ref: short, Metadata: md})
			mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			relmanDef, err := Render(d)
			if err != nil {
				t.Fatal(err)
			}
			files := writeFiles(t, map[string]string{"sfp.yml": sfpDef, "relman.yml": string(relmanDef)})
			for _, v := range sfp.Definitions(t, files["sfp.yml"], files["relman.yml"]) {
				if !v.OK() {
					t.Errorf("%s\n%s", v, map[bool]string{true: sfpDef, false: string(relmanDef)}[strings.HasSuffix(v.File, "sfp.yml")])
				}
			}

			sfpKeys, relmanKeys := flatten(t, sfpDef), flatten(t, string(relmanDef))
			got := map[string]difference{}
			var table []string
			for _, k := range unionKeys(sfpKeys, relmanKeys) {
				s, rm := value(sfpKeys, k), value(relmanKeys, k)
				note := "same"
				if s != rm {
					got[k] = difference{s, rm, tt.want[k].why}
					note = "differs: " + cmpNote(tt.want[k].why)
				}
				table = append(table, fmt.Sprintf("  %-42s %-20s %-20s %s", k, s, rm, note))
			}
			t.Logf("config %s:\n%s\n  %-42s %-20s %-20s\n%s", tt.name, indent(tt.config), "key", "sfp", "relman", strings.Join(table, "\n"))
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(difference{})); diff != "" {
				t.Errorf("differences between sfp and relman (-deliberate +found): every difference must be fixed or listed (here and in docs/releasedef.md):\n%s\nsfp:\n%s\nrelman:\n%s", diff, sfpDef, relmanDef)
			}
		})
	}
}

func cmpNote(why string) string {
	if why == "" {
		return "NOT LISTED"
	}
	return why
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// flatten reads a definition into dotted keys (artifacts.core) and values.
func flatten(t *testing.T, def string) map[string]string {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(def), &m); err != nil {
		t.Fatalf("%v:\n%s", err, def)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if mm, ok := v.(map[string]any); ok && len(mm) > 0 {
			for k, x := range mm {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
			return
		}
		out[prefix] = fmt.Sprint(v)
	}
	walk("", m)
	return out
}

func value(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return "-"
}

var sortKey = regexp.MustCompile(`^(release|releaseConfigName|metadata|skipIfAlreadyInstalled|skipArtifactUpdate|baselineOrg|artifacts|packageDependencies|promotePackagesBeforeDeploymentToOrg|changelog)`)

func unionKeys(a, b map[string]string) []string {
	order := map[string]int{}
	for i, k := range []string{"release", "releaseConfigName", "metadata", "skipIfAlreadyInstalled", "skipArtifactUpdate", "baselineOrg", "artifacts", "packageDependencies", "promotePackagesBeforeDeploymentToOrg", "changelog"} {
		order[k] = i
	}
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := order[sortKey.FindString(keys[i])], order[sortKey.FindString(keys[j])]
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	return keys
}
