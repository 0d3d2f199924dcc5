package releasedef

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a repository with version tags of three sfdx packages:
//
//	main:    c0 ── c1 ── c2 (ref) ── c3
//	                       \
//	feature:                f1
//
// core: 1.0.0-1 (annotated, c1), 1.0.0-10 (lightweight, c1), 1.0.0-2
// (annotated, c2, created last of the three), 9.9.9 on feature and 1.1.0 on
// c3 (neither reachable from c2), and tags that are no versions.
// ui: 2.0.0-3 (lightweight, c0) and 3.0.0 on feature. reports: none.
type fixture struct {
	repo *gitrepo.Repo
	ref  plumbing.Hash
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	g := gittest.New(t)
	c0 := g.Commit("main", "sfdx project", map[string]string{"sfdx-project.json": sfdxProject})
	g.Tag("ui_v2.0.0-3", c0, false)
	c1 := g.Commit("main", "core work", map[string]string{"src/core/a.cls": "a"})
	g.Tag("core_v1.0.0-1", c1, true)
	g.Tag("core_v1.0.0-10", c1, false)
	c2 := g.Commit("main", "more core work", map[string]string{"src/core/b.cls": "b"})
	g.Tag("core_v1.0.0-2", c2, true)
	g.Tag("core_vnext", c2, false)
	g.Tag("core_v1.2", c2, false)
	g.Tag("core_v3.0.0+build.7", c2, false)
	f1 := g.CommitObject("feature work", map[string]string{"src/ui/x.js": "x"}, c2)
	g.SetBranch("feature", f1)
	g.Tag("core_v9.9.9", f1, true)
	g.Tag("ui_v3.0.0", f1, false)
	c3 := g.Commit("main", "after the release", map[string]string{"src/core/c.cls": "c"})
	g.Tag("core_v1.1.0", c3, true)
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return fixture{repo: r, ref: c2}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	arts := []Artifact{
		{Name: "core", TagPattern: DefaultTagPattern},
		{Name: "ui", TagPattern: DefaultTagPattern},
		{Name: "reports", TagPattern: DefaultTagPattern},
	}
	got, err := Resolve(context.Background(), f.repo, f.ref, arts)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{}
	for n, p := range got.Pins {
		versions[n] = p.Version + " " + p.Tag
	}
	// core: 1.0.0-10 is the highest (numerically, though its tag is older
	// than 1.0.0-2's); 9.9.9 (feature), 1.1.0 (after the ref),
	// 3.0.0+build.7 (build metadata without a build number: not an sfp
	// version) and non-versions do not count. ui: 3.0.0 is on feature.
	want := map[string]string{
		"core": "1.0.0-10 core_v1.0.0-10",
		"ui":   "2.0.0-3 ui_v2.0.0-3",
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]Seen{"reports": nil}, got.Seen); diff != "" {
		t.Errorf("Resolve seen (-want +got):\n%s", diff)
	}
}

func TestResolveHighestNotNewest(t *testing.T) {
	g := gittest.New(t)
	c1 := g.Commit("main", "one", map[string]string{"a": "1"})
	g.Tag("api/v1.10.0", c1, false) // lightweight, oldest, highest
	c2 := g.Commit("main", "two", map[string]string{"a": "2"})
	g.Tag("api/v1.9.0", c2, true) // annotated, newest commit and tag, lower
	g.Tag("api/v1.10.0-rc.1", c2, true)
	g.Tag("web-2.0.0", c2, false)
	g.Tag("web-10.0.0", c1, true)
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := Resolve(context.Background(), r, c2, []Artifact{
		{Name: "api", TagPattern: "{name}/v{version}"},
		{Name: "web", TagPattern: "{name}-{version}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Pin{
		"api": {Version: "1.10.0", Tag: "api/v1.10.0", Commit: c1},
		"web": {Version: "10.0.0", Tag: "web-10.0.0", Commit: c1},
	}
	if diff := cmp.Diff(want, got.Pins); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
}

// TestResolveSFPTags pins packages tagged as sfp tags them: sfp publish's
// <package>_vX.Y.Z.B (annotated) and sfp repo:patch's ...-ALIGN, with
// build numbers compared as numbers, the highest version rather than the
// newest tag, and look-alike package names kept apart.
func TestResolveSFPTags(t *testing.T) {
	g := gittest.New(t)
	c1 := g.Commit("main", "one", map[string]string{"a": "1"})
	g.Tag("core_v1.2.0.9", c1, true)
	g.Tag("sales_v1.0.0.1", c1, true)
	c2 := g.Commit("main", "two", map[string]string{"a": "2"})
	g.Tag("core_v1.2.0.10", c2, true)
	g.Tag("ui_v2.0.0.1", c1, true)
	g.Tag("ui_v2.0.0.2-ALIGN", c2, true)
	g.Tag("hotfix_v1.3.0.1", c1, true)
	g.Tag("hotfix_v1.2.0.5", c2, true) // newer tag, lower version
	g.Tag("sales_vip_v3.0.0.1", c2, true)
	g.Tag("light_v1.0.0.3", c1, false)
	g.Tag("three_v1.0.0", c1, true)
	g.Tag("mixed_v1.0.0-7", c1, true) // relman's form
	g.Tag("mixed_v1.0.0.6", c2, true)
	g.Tag("zero_v1.0.0.07", c2, true) // leading zero: no version
	g.Tag("zero_v01.0.0.1", c2, true)
	g.Tag("zero_v1.0.0.7.1", c2, true)
	feature := g.CommitObject("feature", map[string]string{"b": "1"}, c2)
	g.Tag("zero_v9.0.0.1", feature, true)
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var arts []Artifact
	for _, n := range []string{"core", "ui", "hotfix", "sales", "sales_vip", "light", "three", "mixed", "zero"} {
		arts = append(arts, Artifact{Name: n, TagPattern: DefaultTagPattern, SFPTags: true})
	}
	got, err := Resolve(context.Background(), r, c2, arts)
	if err != nil {
		t.Fatal(err)
	}
	versions := map[string]string{}
	for n, p := range got.Pins {
		versions[n] = p.Version + " " + p.Tag
	}
	want := map[string]string{
		"core":      "1.2.0-10 core_v1.2.0.10",
		"ui":        "2.0.0-2 ui_v2.0.0.2-ALIGN",
		"hotfix":    "1.3.0-1 hotfix_v1.3.0.1",
		"sales":     "1.0.0-1 sales_v1.0.0.1",
		"sales_vip": "3.0.0-1 sales_vip_v3.0.0.1",
		"light":     "1.0.0-3 light_v1.0.0.3",
		"three":     "1.0.0 three_v1.0.0",
		"mixed":     "1.0.0-7 mixed_v1.0.0-7",
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
	wantSeen := map[string][]Seen{"zero": {
		{Tag: "zero_v01.0.0.1", Why: "not a version"},
		{Tag: "zero_v1.0.0.07", Why: "not a version"},
		{Tag: "zero_v1.0.0.7.1", Why: "not a version"},
		{Tag: "zero_v9.0.0.1", Why: "not reachable"},
	}}
	if diff := cmp.Diff(wantSeen, got.Seen); diff != "" {
		t.Errorf("Resolve seen (-want +got):\n%s", diff)
	}
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		pattern, name, tag string
		want               string // "" when the tag is not the artifact's
		sfp                bool
	}{
		{DefaultTagPattern, "core", "core_v1.2.3", "1.2.3", false},
		{DefaultTagPattern, "core", "core_v1.2.3-4", "1.2.3-4", false},
		{DefaultTagPattern, "core", "core_v2_v1.0.0", "", true}, // the tag of a package "core_v2"
		{DefaultTagPattern, "core", "core_v1.2", "", false},
		{DefaultTagPattern, "core", "core_v01.2.3", "", false},
		{DefaultTagPattern, "core", "core_v1.2.3+b", "", false},
		{DefaultTagPattern, "core", "core_v1.2.3-4+b", "1.2.3-4+b", false},
		{DefaultTagPattern, "core", "xcore_v1.2.3", "", false},
		{"{name}-{version}-final", "a", "a-1.0.0-final", "1.0.0", false},
		{"{name}-{version}-final", "a", "a-1.0.0", "", false},
		{"v{version}", "only", "v1.0.0", "1.0.0", false},
		{"{version}", "only", "1.0.0", "1.0.0", false},
		{"{name}@{version}", "@scope/pkg", "@scope/pkg@1.0.0", "1.0.0", false},
		// sfp's forms, for sfdx packages only.
		{DefaultTagPattern, "core", "core_v1.2.0.6", "1.2.0-6", true},
		{DefaultTagPattern, "core", "core_v1.2.0.6", "", false},
		{DefaultTagPattern, "core", "core_v1.2.0.6-ALIGN", "1.2.0-6", true},
		{DefaultTagPattern, "core", "core_v1.2.0-ALIGN", "1.2.0", true},
		{DefaultTagPattern, "core", "core_v1.2.0-ALIGN", "1.2.0-ALIGN", false},
		{DefaultTagPattern, "core", "core_v1.2.0.NEXT", "1.2.0-NEXT", true},
		{DefaultTagPattern, "core", "core_v1.2.0.LATEST", "1.2.0-LATEST", true},
		{DefaultTagPattern, "core", "core_v1.2.0", "1.2.0", true},
		{DefaultTagPattern, "core", "core_v1.2.0-6", "1.2.0-6", true},
		{DefaultTagPattern, "core", "core_v1.2.0.6.1", "", true},
		{DefaultTagPattern, "core", "core_v1.2.0.06", "", true},
		{DefaultTagPattern, "core", "core_v1.2.0.6-align", "", true},
		{DefaultTagPattern, "core", "core_vip_v1.2.0.6", "", true}, // the tag of a package "core_vip"
	}
	for _, tt := range tests {
		m := newMatcher(Artifact{Name: tt.name, TagPattern: tt.pattern, SFPTags: tt.sfp})
		tv, ok := m.version(tt.tag)
		if ok != (tt.want != "") || tv.s != tt.want {
			t.Errorf("%s %s sfp=%v: version(%q) = %q, %v; want %q", tt.pattern, tt.name, tt.sfp, tt.tag, tv.s, ok, tt.want)
		}
	}
}

func TestGenerateMissingTag(t *testing.T) {
	f := newFixture(t)
	m, err := ParseSFDX("sfdx-project.json", []byte(sfdxProject))
	if err != nil {
		t.Fatal(err)
	}
	m.Artifacts = append(m.Artifacts, Artifact{Name: "reports", TagPattern: DefaultTagPattern, SFPTags: true})
	tests := []struct {
		onMissing string
		err       string
		warnings  []string
		infos     []string
	}{
		{onMissing: "", err: `no version tag reachable from the ref: reports has no tag like reports_v1.0.0.1 reachable from main (` + f.ref.String()[:12] + `): no tag starts with "reports_v"; tag its released version`},
		{onMissing: "onMissingTag: error", err: "set onMissingTag: warn or skip in c.yml to leave it out"},
		{onMissing: "onMissingTag: warn", warnings: []string{`reports has no tag like reports_v1.0.0.1 reachable from main (` + f.ref.String()[:12] + `): no tag starts with "reports_v": left out of the release definition`}},
		{onMissing: "onMissingTag: skip", infos: []string{"left out for want of a version tag reachable from main: reports"}},
	}
	for _, tt := range tests {
		t.Run(tt.onMissing, func(t *testing.T) {
			c, err := ParseConfig("c.yml", []byte(tt.onMissing))
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			d, err := Generate(context.Background(), Options{Name: "r1", Config: c, Manifest: m, Repo: f.repo, Commit: f.ref, Ref: "main", Log: rec})
			if tt.err != "" {
				if !errors.Is(err, ErrMissingTag) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want ErrMissingTag with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"reports"}, d.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s", diff)
			}
			if _, ok := d.Artifacts["reports"]; ok {
				t.Error("reports is in the definition")
			}
			checkContains(t, rec.warnings, tt.warnings)
			var infos []string
			for _, i := range rec.infos {
				if strings.HasPrefix(i, "left out") {
					infos = append(infos, i)
				}
			}
			checkContains(t, infos, tt.infos)
		})
	}
}

// TestGenerateMissingTagSeen names the tags seen when none fits, for each
// artifact without a version.
func TestGenerateMissingTagSeen(t *testing.T) {
	g := gittest.New(t)
	c1 := g.Commit("main", "project", map[string]string{"sfdx-project.json": `{"packageDirectories": [
  {"path": "a", "package": "core", "versionNumber": "1.0.0.NEXT"},
  {"path": "b", "package": "ui", "versionNumber": "1.0.0.NEXT"},
  {"path": "c", "package": "docs", "versionNumber": "1.0.0.NEXT"}]}`})
	g.Tag("core_v1.0", c1, true)
	g.Tag("core_vnext", c1, false)
	later := g.Commit("main", "later", map[string]string{"a/x": "x"})
	g.Tag("core_v1.1.0.1", later, true)
	g.Tag("ui_v2.0.0.1", later, true)
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := ParseSFDX("sfdx-project.json", []byte(g.Files(c1)["sfdx-project.json"]))
	if err != nil {
		t.Fatal(err)
	}
	short := c1.String()[:12]
	_, err = Generate(context.Background(), Options{Name: "r", Config: &Config{File: "c.yml"}, Manifest: m, Repo: r, Commit: c1, Ref: "v1"})
	want := "no version tag reachable from the ref: " +
		"core has no tag like core_v1.0.0.1 reachable from v1 (" + short + "): seen core_v1.0 (not a version), core_v1.1.0.1 (not reachable from v1), core_vnext (not a version); " +
		"a version tag is core_v{version} with {version} X.Y.Z, X.Y.Z.B, X.Y.Z.B-ALIGN or X.Y.Z-B; " +
		"docs has no tag like docs_v1.0.0.1 reachable from v1 (" + short + `): no tag starts with "docs_v"; ` +
		"ui has no tag like ui_v1.0.0.1 reachable from v1 (" + short + "): seen ui_v2.0.0.1 (not reachable from v1); " +
		"a version tag is ui_v{version} with {version} X.Y.Z, X.Y.Z.B, X.Y.Z.B-ALIGN or X.Y.Z-B; " +
		"tag their released versions, or set onMissingTag: warn or skip in c.yml to leave them out"
	if !errors.Is(err, ErrMissingTag) || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

func TestGenerateBadInput(t *testing.T) {
	f := newFixture(t)
	m, _ := ParseSFDX("sfdx-project.json", []byte(sfdxProject))
	for name, o := range map[string]Options{
		"no name":       {},
		"name with /":   {Name: "a/b"},
		"name with ..":  {Name: "a..b"},
		"reserved meta": {Name: "r", Metadata: map[string]any{"commit": "x"}},
	} {
		o.Manifest, o.Repo, o.Commit = m, f.repo, f.ref
		_, err := Generate(context.Background(), o)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: error = %v, want an *InputError", name, err)
		}
	}
}

func TestParseMetadata(t *testing.T) {
	got, err := ParseMetadata(`{"pipeline": "1234", "attempt": 2, "ratio": 0.5, "manual": false}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{`[]`, `{"a": {}}`, `{"a": null}`, `{"a": [1]}`, `{`, `{"a":1} {}`, `null`, `{"": 1}`} {
		if _, err := ParseMetadata(bad); err == nil {
			t.Errorf("ParseMetadata(%s): no error", bad)
		}
	}
}

// TestGolden renders definitions and compares them with testdata/*.golden
// (go test -update rewrites them). Each is generated twice: the bytes
// must be identical, and valid for sfp.
func TestGolden(t *testing.T) {
	f := newFixture(t)
	generic := `tagPattern: "{name}_v{version}"
artifacts:
  - name: core
    labels: [backend]
    dependencies:
      libpq: "16.2"
      "true": "yes"
  - name: ui
    labels: [frontend]
    dependencies:
      node: 20
`
	tests := []struct {
		name, manifestFile, manifest, config string
		metadata                             map[string]any
	}{
		{name: "sfdx-minimal", manifestFile: "sfdx-project.json", manifest: sfdxProject, config: ""},
		{name: "sfdx-full", manifestFile: "sfdx-project.json", manifest: sfdxProject, config: `excludeArtifacts: [nothing-like-this]
releaseName: crm
excludePackageDependencies: [Marketing Cloud]
skipIfAlreadyInstalled: true
skipArtifactUpdate: true
baselineOrg: prod
promotePackagesBeforeDeploymentToOrg: uat
changelog:
  workItemFilters: ["BRO-[0-9]{3,4}", "#\\d+"]
  workItemUrl: https://bro.atlassian.net/browse
  limit: 30
  showAllArtifacts: true
`, metadata: map[string]any{"pipeline": "1234", "attempt": 2, "manual": false}},
		{name: "sfdx-filtered", manifestFile: "sfdx-project.json", manifest: sfdxProject, config: `releaseName: backend
includeOnlyArtifactsWithTag: [backend]
excludeAllPackageDependencies: true
releasedefinitionProperties:
  skipIfAlreadyInstalled: false
`},
		{name: "generic", manifestFile: "relman-artifacts.yml", manifest: generic, config: "releaseName: platform\nexcludeArtifactsWithTag: [frontend]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			render := func() []byte {
				c, err := ParseConfig(tt.name+".yml", []byte(tt.config))
				if err != nil {
					t.Fatal(err)
				}
				m, err := ParseManifest(tt.manifestFile, []byte(tt.manifest))
				if err != nil {
					t.Fatal(err)
				}
				d, err := Generate(context.Background(), Options{Name: "2024.06", Config: c, Manifest: m,
					Repo: f.repo, Commit: f.ref, Ref: "main", Metadata: tt.metadata})
				if err != nil {
					t.Fatal(err)
				}
				b, err := Render(d)
				if err != nil {
					t.Fatal(err)
				}
				if err := ValidateSFP(b, m.Format == SFDX); err != nil {
					t.Errorf("not valid for sfp: %v\n%s", err, b)
				}
				return b
			}
			got := render()
			if again := render(); !bytes.Equal(got, again) {
				t.Errorf("two runs differ:\n%s\n---\n%s", got, again)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// validateCases are release definitions and whether sfp's loader accepts
// them; TestValidateSFP checks ValidateSFP against them and
// TestValidateSFPAgreesWithSFP checks them against sfp itself.
var validateCases = []struct {
	name, def string
	ok        bool
}{
	{"minimal", "release: r\nartifacts:\n  core: 1.0.0-1\n", true},
	{"every key", "release: r\nreleaseConfigName: crm\nmetadata:\n  a: 1\nskipIfAlreadyInstalled: true\nskipArtifactUpdate: false\nbaselineOrg: prod\n" +
		"artifacts:\n  core: 1.0.0-1\npackageDependencies:\n  x: 04t5Y0000015pGyQAI\n  y: 04t1E000001Iql5\npromotePackagesBeforeDeploymentToOrg: uat\n" +
		"changelog:\n  workItemFilters: [a]\n  workItemUrl: u\n  limit: 3\n  showAllArtifacts: true\n", true},
	{"legacy workItemFilter", "release: r\nartifacts: {}\nchangelog:\n  workItemFilter: a\n", true},
	{"empty baselineOrg", "release: r\nartifacts: {}\nbaselineOrg: ''\nskipIfAlreadyInstalled: false\n", true},
	{"no release", "artifacts: {}\n", false},
	{"no artifacts", "release: r\n", false},
	{"bad 04t", "release: r\nartifacts: {}\npackageDependencies:\n  x: 0Ho123\n", false},
	{"unknown key", "release: r\nartifacts: {}\nfoo: 1\n", false},
	{"baseline alone", "release: r\nartifacts: {}\nbaselineOrg: prod\n", false},
	{"baseline, skip false", "release: r\nartifacts: {}\nbaselineOrg: prod\nskipIfAlreadyInstalled: false\n", false},
	{"skip not a bool", "release: r\nartifacts: {}\nskipIfAlreadyInstalled: 'false'\n", false},
	{"skipArtifactUpdate not a bool", "release: r\nartifacts: {}\nskipArtifactUpdate: 1\n", false},
	{"release not a string", "release: 2024.06\nartifacts: {}\n", false},
	{"version not a string", "release: r\nartifacts:\n  core: 1.0\n", false},
	{"limit", "release: r\nartifacts: {}\nchangelog:\n  workItemFilters: [a]\n  limit: '3'\n", false},
	{"changelog without filters", "release: r\nartifacts: {}\nchangelog:\n  limit: 3\n", false},
	{"changelog with both filters", "release: r\nartifacts: {}\nchangelog:\n  workItemFilter: a\n  workItemFilters: [a]\n", false},
	{"changelog repoUrl", "release: r\nartifacts: {}\nchangelog:\n  workItemFilters: [a]\n  repoUrl: https://github.com/acme/crm\n", false},
	{"filters not strings", "release: r\nartifacts: {}\nchangelog:\n  workItemFilters: [1]\n", false},
	{"metadata not a mapping", "release: r\nartifacts: {}\nmetadata: [a]\n", false},
}

func TestValidateSFP(t *testing.T) {
	for _, tt := range validateCases {
		err := ValidateSFP([]byte(tt.def), true)
		if (err == nil) != tt.ok {
			t.Errorf("%s: ValidateSFP = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
	// A version sfp would take but no tag gives is relman's own check.
	if err := ValidateSFP([]byte("release: r\nartifacts:\n  core: v1.0.0\n"), true); err == nil {
		t.Error("artifact version v1.0.0: no error")
	}
	// Generic manifests pin versions, not package version ids.
	if err := ValidateSFP([]byte("release: r\nartifacts: {}\npackageDependencies:\n  libpq: '16.2'\n"), false); err != nil {
		t.Errorf("generic dependency: %v", err)
	}
}

// TestRenderQuotes: strings that a YAML reader would take for something
// else are quoted, the merge key << included (js-yaml, which sfp reads
// with, merges on it). TestSFPAcceptsRenderedScalars reads them with sfp.
func TestRenderQuotes(t *testing.T) {
	d := &Definition{Release: "2024.06", Metadata: map[string]any{"<<": "yes", "a": "~"}, Artifacts: map[string]string{"null": "1.0.0"}}
	b, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`release: "2024.06"`, `"<<": "yes"`, `a: "~"`, `"null": 1.0.0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("no %s in\n%s", want, b)
		}
	}
	var back map[string]any
	if err := yaml.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
}
