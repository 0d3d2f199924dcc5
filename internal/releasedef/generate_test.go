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
	for n, p := range got {
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
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve (-want +got):\n%s", diff)
	}
}

func TestMatcher(t *testing.T) {
	tests := []struct {
		pattern, name, tag string
		want               string // "" when the tag is not the artifact's
	}{
		{DefaultTagPattern, "core", "core_v1.2.3", "1.2.3"},
		{DefaultTagPattern, "core", "core_v1.2.3-4", "1.2.3-4"},
		{DefaultTagPattern, "core", "core_v2_v1.0.0", ""}, // the tag of a package "core_v2"
		{DefaultTagPattern, "core", "core_v1.2", ""},
		{DefaultTagPattern, "core", "core_v01.2.3", ""},
		{DefaultTagPattern, "core", "core_v1.2.3+b", ""},
		{DefaultTagPattern, "core", "core_v1.2.3-4+b", "1.2.3-4+b"},
		{DefaultTagPattern, "core", "xcore_v1.2.3", ""},
		{"{name}-{version}-final", "a", "a-1.0.0-final", "1.0.0"},
		{"{name}-{version}-final", "a", "a-1.0.0", ""},
		{"v{version}", "only", "v1.0.0", "1.0.0"},
		{"{version}", "only", "1.0.0", "1.0.0"},
		{"{name}@{version}", "@scope/pkg", "@scope/pkg@1.0.0", "1.0.0"},
	}
	for _, tt := range tests {
		m := newMatcher(Artifact{Name: tt.name, TagPattern: tt.pattern})
		_, got, ok := m.version(tt.tag)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("%s %s: version(%q) = %q, %v; want %q", tt.pattern, tt.name, tt.tag, got, ok, tt.want)
		}
	}
}

func TestGenerateMissingTag(t *testing.T) {
	f := newFixture(t)
	m, err := ParseSFDX("sfdx-project.json", []byte(sfdxProject))
	if err != nil {
		t.Fatal(err)
	}
	m.Artifacts = append(m.Artifacts, Artifact{Name: "reports", TagPattern: DefaultTagPattern})
	tests := []struct {
		onMissing string
		err       string
		warnings  []string
		infos     []string
	}{
		{onMissing: "", err: "no version tag reachable from the ref: reports has no tag like reports_v1.0.0 reachable from main"},
		{onMissing: "onMissingTag: error", err: "set onMissingTag: warn or skip in c.yml to leave it out"},
		{onMissing: "onMissingTag: warn", warnings: []string{"reports has no tag like reports_v1.0.0 reachable from main"}},
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
excludePackageDependencies: [Marketing Cloud]
skipIfAlreadyInstalled: false
baselineOrg: prod
promotePackagesBeforeDeploymentToOrg: uat
changelog:
  workItemFilters: ["BRO-[0-9]{3,4}", "#\\d+"]
  workItemUrl: https://bro.atlassian.net/browse
  limit: 30
  repoUrl: https://github.com/acme/crm
  showAllArtifacts: true
`, metadata: map[string]any{"pipeline": "1234", "attempt": 2, "manual": false}},
		{name: "sfdx-filtered", manifestFile: "sfdx-project.json", manifest: sfdxProject, config: `includeOnlyArtifactsWithTag: [backend]
excludeAllPackageDependencies: true
releasedefinitionProperties:
  skipIfAlreadyInstalled: true
`},
		{name: "generic", manifestFile: "relman-artifacts.yml", manifest: generic, config: "excludeArtifactsWithTag: [frontend]\n"},
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
				d, err := Generate(context.Background(), Options{Name: "2024.06", ConfigName: tt.name, Config: c, Manifest: m,
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

func TestValidateSFP(t *testing.T) {
	ok := "release: r\nartifacts:\n  core: 1.0.0-1\n"
	if err := ValidateSFP([]byte(ok), true); err != nil {
		t.Errorf("valid: %v", err)
	}
	for name, bad := range map[string]string{
		"no release":      "artifacts: {}\n",
		"no artifacts":    "release: r\n",
		"bad version":     "release: r\nartifacts:\n  core: v1.0.0\n",
		"bad 04t":         "release: r\nartifacts: {}\npackageDependencies:\n  x: 0Ho123\n",
		"unknown key":     "release: r\nartifacts: {}\nfoo: 1\n",
		"baseline alone":  "release: r\nartifacts: {}\nbaselineOrg: prod\n",
		"skip not a bool": "release: r\nartifacts: {}\nskipIfAlreadyInstalled: 'false'\n",
		"limit":           "release: r\nartifacts: {}\nchangelog:\n  limit: '3'\n",
	} {
		if err := ValidateSFP([]byte(bad), true); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
