package releasedef

import (
	"context"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/packages"
)

// packagesRepo commits files on main and opens the repository.
func packagesRepo(t *testing.T, files map[string]string) (*gittest.Repo, *gitrepo.Repo, plumbing.Hash) {
	t.Helper()
	g := gittest.New(t)
	h := g.Commit("main", "packages", files)
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return g, r, h
}

// loadPackages reads the packages of a commit as relman tag does.
func loadPackages(t *testing.T, r *gitrepo.Repo, h plumbing.Hash, setting string) *packages.Config {
	t.Helper()
	files, err := r.Files(h)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := packages.Load(files, setting)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const packagesConfig = `packages:
  - name: core
    path: sfdx/core
  - name: api
    path: services/api
    tag-pattern: "{path}/v{version}"
  - name: "@acme/ui"
    path: web/ui
    tag-pattern: "{name}@{version}"
    depends-on: [core]
`

// TestFromPackages: each package is an artifact of its name, with the tag
// scheme the tag step uses for it; sfdx-project.json gives labels to the
// packages it declares and the package dependencies that are not packages.
func TestFromPackages(t *testing.T) {
	_, r, h := packagesRepo(t, map[string]string{
		packages.DefaultFile: packagesConfig,
		SFDXFile: `{
  "packageDirectories": [
    { "path": "sfdx/core", "package": "core", "versionNumber": "1.0.0.NEXT", "tags": ["backend"] },
    { "path": "sfdx/legacy", "package": "legacy", "versionNumber": "1.0.0.NEXT" },
    { "path": "sfdx/unpackaged" }
  ],
  "packageAliases": {
    "core": "0Ho5g0000008OB7CAM",
    "core@1.0.0-1": "04t5g000000UqBVAA0",
    "legacy@2.0.0-1": "04t5g000000UqBWAA0",
    "Nebula Logger@4.7.1": "04t5Y0000015pGyQAI"
  }
}
`,
	})
	cfg := loadPackages(t, r, h, "")
	rec := &recorder{}
	m, err := ReadPackages(r, h, "main", cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		File: packages.DefaultFile, Format: SFDX, DependencyFile: SFDXFile,
		Artifacts: []Artifact{
			{Name: "@acme/ui", Path: "web/ui", TagPattern: "{name}@{version}", SFPTags: true, Line: 7},
			{Name: "api", Path: "services/api", TagPattern: "services/api/v{version}", SFPTags: true, Line: 4},
			{Name: "core", Path: "sfdx/core", TagPattern: "{name}_v{version}", SFPTags: true, Labels: []string{"backend"}, Line: 2},
		},
		// legacy is a package of the sfdx project, though not one of
		// relman's: its versions are no dependencies, as for sfdx-project.json alone.
		Dependencies: []Dependency{
			{Name: "Nebula Logger@4.7.1", ID: "04t5Y0000015pGyQAI", Line: 11},
		},
	}
	// Packages come in dependency order, ties by name: core before @acme/ui.
	order := map[string]int{}
	for i, p := range cfg.Packages {
		order[p.Name] = i
	}
	if !(order["core"] < order["@acme/ui"]) {
		t.Fatalf("packages out of dependency order: %v", cfg.Names())
	}
	byName := func(arts []Artifact) map[string]Artifact {
		out := map[string]Artifact{}
		for _, a := range arts {
			out[a.Name] = a
		}
		return out
	}
	if diff := cmp.Diff(byName(want.Artifacts), byName(m.Artifacts)); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Dependencies, m.Dependencies); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	if m.File != want.File || m.Format != want.Format || m.DependencyFile != want.DependencyFile {
		t.Errorf("manifest %s (%v, dependencies from %s), want %s (%v, %s)", m.File, m.Format, m.DependencyFile, want.File, want.Format, want.DependencyFile)
	}
	if got := strings.Join(rec.infos, "\n"); !strings.Contains(got, "also declares legacy, not packages of relman-packages.yml") {
		t.Errorf("no notice of the sfdx package left out:\n%s", got)
	}
	// Each artifact reads its tags as the tag step does.
	for _, p := range cfg.Packages {
		a := byName(m.Artifacts)[p.Name]
		got, want := newMatcher(a).TagScheme, p.Tags()
		if got.Prefix != want.Prefix || got.Suffix != want.Suffix {
			t.Errorf("%s: artifact tags %s{version}%s, the package's %s{version}%s", p.Name, got.Prefix, got.Suffix, want.Prefix, want.Suffix)
		}
	}
}

// TestFromPackagesWithoutSFDX: without an sfdx-project.json the manifest
// is generic and has no dependencies; a relman-artifacts.yml beside the
// package config is not read, with a warning saying how to read it.
func TestFromPackagesWithoutSFDX(t *testing.T) {
	_, r, h := packagesRepo(t, map[string]string{
		packages.DefaultFile: packagesConfig,
		GenericFile:          "artifacts:\n  - name: other\n",
	})
	cfg := loadPackages(t, r, h, "")
	rec := &recorder{}
	m, err := ReadPackages(r, h, "main", cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	if m.Format != Generic || len(m.Dependencies) != 0 || len(m.Artifacts) != 3 || m.DependencyFile != "" {
		t.Errorf("manifest: %+v", m)
	}
	want := "relman-artifacts.yml is not read: the artifacts are the packages of relman-packages.yml; to take them from relman-artifacts.yml, set --manifest relman-artifacts.yml (or packages: none)"
	if diff := cmp.Diff([]string{want}, rec.warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestReadPackagesBadSFDX: a broken sfdx-project.json is bad input with
// its line, even when the packages come from a package config.
func TestReadPackagesBadSFDX(t *testing.T) {
	_, r, h := packagesRepo(t, map[string]string{
		packages.DefaultFile: packagesConfig,
		SFDXFile:             "{\n  \"packageDirectories\": 3\n}\n",
	})
	_, err := ReadPackages(r, h, "main", loadPackages(t, r, h, ""), nil)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(err.Error(), "packageDirectories: expected an array") {
		t.Fatalf("error %v, want sfdx-project.json:2: packageDirectories: expected an array", err)
	}
}

// TestPackagesPinTagStepTags: the tags the tag step writes for a package
// (its scheme's Name, after Follow of the latest tag) are pinned by the
// release definition, each at the version the tag step released; sfp's
// own four-part tags too.
func TestPackagesPinTagStepTags(t *testing.T) {
	g, r, h := packagesRepo(t, map[string]string{packages.DefaultFile: packagesConfig})
	cfg := loadPackages(t, r, h, "")
	pkg := func(name string) packages.Package {
		p, ok := cfg.Find(name)
		if !ok {
			t.Fatalf("no package %s", name)
		}
		return *p
	}
	v := semver.MustParse
	// core: first released by sfp (core_v1.2.0.6), then by relman, which
	// keeps sfp's form: core_v1.3.0.1. api: relman's three-part tags.
	// @acme/ui: 1.0.0 then 1.1.0.
	type release struct {
		pkg, previous string
		version       string
	}
	steps := []release{
		{"api", "", "0.1.0"},
		{"@acme/ui", "", "1.0.0"},
		{"api", "services/api/v0.1.0", "0.2.0"},
		{"core", "core_v1.2.0.6", "1.3.0"},
		{"@acme/ui", "@acme/ui@1.0.0", "1.1.0"},
	}
	g.Tag("core_v1.2.0.6", h, true)
	tip := h
	var made []string
	for i, s := range steps {
		tip = g.Commit("main", "change "+s.pkg, map[string]string{"f" + string(rune('a'+i)): s.pkg})
		scheme := pkg(s.pkg).Tags()
		if s.previous != "" {
			scheme = scheme.Follow(s.previous)
		}
		name := scheme.Name(v(s.version))
		g.Tag(name, tip, true)
		made = append(made, name)
	}
	if diff := cmp.Diff([]string{"services/api/v0.1.0", "@acme/ui@1.0.0", "services/api/v0.2.0", "core_v1.3.0.1", "@acme/ui@1.1.0"}, made); diff != "" {
		t.Fatalf("the tag step's tag names changed (-want +got):\n%s", diff)
	}
	m := FromPackages(cfg, nil)
	res, err := Resolve(context.Background(), r, tip, m.Artifacts)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for n, p := range res.Pins {
		got[n] = p.Tag + " " + p.Version
	}
	want := map[string]string{
		"api":      "services/api/v0.2.0 0.2.0",
		"@acme/ui": "@acme/ui@1.1.0 1.1.0",
		"core":     "core_v1.3.0.1 1.3.0-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pins (-want +got):\n%s", diff)
	}
}

// TestPackageTagsAgree: for every tag the tag step reads as a release of a
// package, the release definition pins that release: the same
// MAJOR.MINOR.PATCH (with sfp's build number after a dash). The tag step
// reads no prerelease; the definition also reads sfp's .NEXT, .LATEST and
// -ALIGN forms and X.Y.Z-B, as for an sfdx-project.json.
func TestPackageTagsAgree(t *testing.T) {
	_, r, h := packagesRepo(t, map[string]string{packages.DefaultFile: packagesConfig})
	cfg := loadPackages(t, r, h, "")
	m := FromPackages(cfg, nil)
	read := 0
	versions := []string{"1.2.3", "1.2.3.4", "0.1.0", "10.20.30.40", "1.2.3.0", "1.2.3-4", "1.2.3.NEXT", "1.2.3.4-ALIGN", "1.2", "1.2.3.4.5", "01.2.3", "1.2.3.04", "v1.2.3", "1.2.3-rc.1", "1.2.3+b"}
	for i, p := range cfg.Packages {
		mt := newMatcher(m.Artifacts[i])
		if m.Artifacts[i].Name != p.Name {
			t.Fatalf("artifact %d is %s, package %s", i, m.Artifacts[i].Name, p.Name)
		}
		for _, raw := range versions {
			tag := strings.ReplaceAll(PackageTagPattern(p), "{name}", p.Name)
			tag = strings.Replace(tag, "{version}", raw, 1)
			sv, stepOK := p.Tags().Parse(tag)
			dv, defOK := mt.version(tag)
			if stepOK && !defOK {
				t.Errorf("%s: the tag step reads %s as release %s, the definition does not pin it", p.Name, tag, sv)
				continue
			}
			if !stepOK {
				continue
			}
			read++
			base := semver.New(dv.v.Major(), dv.v.Minor(), dv.v.Patch(), "", "")
			if !base.Equal(sv) {
				t.Errorf("%s: %s is release %s for the tag step, %s in the definition", p.Name, tag, sv, dv.s)
			}
			if dv.v.Prerelease() != "" && strings.Count(raw, ".") != 3 {
				t.Errorf("%s: %s: the definition pins %s, a prerelease the tag step does not make", p.Name, tag, dv.s)
			}
		}
	}
	if want := 5 * len(cfg.Packages); read != want {
		t.Errorf("the tag step read %d of the tags as releases, want %d (X.Y.Z, X.Y.Z.B, 0.1.0, X.Y.Z.B, X.Y.Z.0 for each package)", read, want)
	}
}

// TestResolveReleaseCommits: the tag step tags a detached release commit
// (version files edited, parent the pipeline commit, a Relman-Release
// trailer) that no branch contains. With the trailer set its tags count
// when the parent is in the ref's history: at the pipeline commit and at
// later commits of the branch; not at commits before it, and a detached
// commit without the trailer or with another parent does not count.
func TestResolveReleaseCommits(t *testing.T) {
	g := gittest.New(t)
	c1 := g.Commit("main", "one", map[string]string{"sfdx/core/a.cls": "1"})
	c2 := g.Commit("main", "two", map[string]string{"sfdx/core/a.cls": "2"})
	rel := g.CommitObject("Release core 1.3.0 [skip ci]\n\nRelman-Release: core 1.3.0\n", map[string]string{"sfdx-project.json": "{}"}, c2)
	g.Tag("core_v1.3.0", rel, true)
	other := g.CommitObject("Release ui 2.0.0\n\nno trailer\n", map[string]string{"sfdx-project.json": "{}"}, c2)
	g.Tag("ui_v2.0.0", other, true)
	g.Tag("ui_v1.0.0", c1, true)
	side := g.CommitObject("side", map[string]string{"x": "1"}, c1)
	sideRel := g.CommitObject("Release api 9.0.0\n\nRelman-Release: api 9.0.0\n", map[string]string{"y": "1"}, side)
	g.Tag("api_v9.0.0", sideRel, true)
	g.Tag("api_v1.0.0", c1, false)
	c3 := g.Commit("main", "three", map[string]string{"sfdx/core/a.cls": "3"})
	r, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	arts := []Artifact{
		{Name: "core", TagPattern: DefaultTagPattern, SFPTags: true},
		{Name: "ui", TagPattern: DefaultTagPattern, SFPTags: true},
		{Name: "api", TagPattern: DefaultTagPattern, SFPTags: true},
	}
	tests := []struct {
		name    string
		tip     plumbing.Hash
		trailer string
		want    map[string]string
	}{
		{"later commit", c3, "Relman-Release", map[string]string{"core": "core_v1.3.0", "ui": "ui_v1.0.0", "api": "api_v1.0.0"}},
		{"pipeline commit", c2, "Relman-Release", map[string]string{"core": "core_v1.3.0", "ui": "ui_v1.0.0", "api": "api_v1.0.0"}},
		{"the release commit", rel, "Relman-Release", map[string]string{"core": "core_v1.3.0", "ui": "ui_v1.0.0", "api": "api_v1.0.0"}},
		{"before", c1, "Relman-Release", map[string]string{"ui": "ui_v1.0.0", "api": "api_v1.0.0"}},
		{"without the trailer", c3, "", map[string]string{"ui": "ui_v1.0.0", "api": "api_v1.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ResolveWith(context.Background(), ResolveOptions{Repo: r, Tip: tt.tip, ReleaseTrailer: tt.trailer}, arts)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for n, p := range res.Pins {
				got[n] = p.Tag
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pins (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSFDXDiscoveryAgrees: the packages relman tag discovers in an
// sfdx-project.json (packages: sfdx, or discover: sfdx in
// relman-packages.yml) are the artifacts releasedef reads from it alone:
// the same names, paths, tags, labels and package dependencies.
func TestSFDXDiscoveryAgrees(t *testing.T) {
	project := `{
  "packageDirectories": [
    { "path": "force-app/core", "package": "acme-core", "versionNumber": "1.2.0.NEXT", "default": true, "tags": ["backend"] },
    { "path": "force-app/sales", "package": "acme-sales", "versionNumber": "0.3.0.NEXT",
      "dependencies": [{ "package": "acme-core", "versionNumber": "1.2.0.LATEST" }, { "package": "Nebula Logger@4.7.1" }] },
    { "path": "./force-app/ui/", "package": "acme-ui", "versionNumber": "2.0.0.NEXT" },
    { "path": "unpackaged" }
  ],
  "sourceApiVersion": "60.0",
  "packageAliases": {
    "acme-core": "0Ho5g0000008OB7CAM",
    "acme-core@1.1.0-3": "04t5g000000UqBVAA0",
    "acme-sales": "0Ho5g0000008OBCCA2",
    "acme-ui": "0Ho5g0000008OBDCA2",
    "Nebula Logger@4.7.1": "04t5Y0000015pGyQAI"
  }
}
`
	alone, err := ParseSFDX(SFDXFile, []byte(project))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, setting string
		files         map[string]string
	}{
		{"packages: sfdx", "sfdx", nil},
		{"discover: sfdx", "", map[string]string{packages.DefaultFile: "discover: sfdx\npackages:\n  - name: acme-ui\n    dependency-bump: minor\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{SFDXFile: project, "force-app/core/main/default/classes/A.cls": "class A {}"}
			for k, v := range tt.files {
				files[k] = v
			}
			_, r, h := packagesRepo(t, files)
			cfg := loadPackages(t, r, h, tt.setting)
			m, err := ReadPackages(r, h, "main", cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			strip := func(arts []Artifact) map[string]Artifact {
				out := map[string]Artifact{}
				for _, a := range arts {
					a.Line = 0 // lines of different files
					// The path is informational; the packages' is clean.
					a.Path = path.Clean(strings.TrimPrefix(a.Path, "./"))
					out[a.Name] = a
				}
				return out
			}
			if diff := cmp.Diff(strip(alone.Artifacts), strip(m.Artifacts)); diff != "" {
				t.Errorf("artifacts of the packages (-sfdx-project.json alone +packages):\n%s", diff)
			}
			if diff := cmp.Diff(alone.Dependencies, m.Dependencies); diff != "" {
				t.Errorf("package dependencies (-sfdx-project.json alone +packages):\n%s", diff)
			}
			for _, p := range cfg.Packages {
				a := strip(alone.Artifacts)[p.Name]
				got, want := newMatcher(a).TagScheme, p.Tags()
				if got.Prefix != want.Prefix || got.Suffix != want.Suffix {
					t.Errorf("%s: sfdx-project.json's tags %s{version}%s, the package's %s{version}%s", p.Name, got.Prefix, got.Suffix, want.Prefix, want.Suffix)
				}
			}
			if sales, ok := cfg.Find("acme-sales"); !ok || !cmp.Equal(sales.DependsOn, []string{"acme-core"}) {
				t.Errorf("acme-sales: %+v, want it to depend on acme-core", sales)
			}
		})
	}
}
