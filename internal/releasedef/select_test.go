package releasedef

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// recorder is a Logger that keeps what it is told.
type recorder struct{ infos, warnings []string }

func (r *recorder) Infof(f string, a ...any) { r.infos = append(r.infos, fmt.Sprintf(f, a...)) }
func (r *recorder) Warningf(f string, a ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(f, a...))
}

// selectManifest has four artifacts with labels and two dependencies.
func selectManifest() *Manifest {
	return &Manifest{
		File: "sfdx-project.json",
		Artifacts: []Artifact{
			{Name: "core", Labels: []string{"backend", "critical"}},
			{Name: "ui", Labels: []string{"frontend"}},
			{Name: "reports", Labels: []string{"backend", "experimental"}},
			{Name: "docs"},
		},
		Dependencies: []Dependency{{Name: "Nebula Logger", ID: "04t5Y0000015pGyQAI"}, {Name: "Marketing Cloud", ID: "04t1E000001Iql5"}},
	}
}

func artifactNames(as []Artifact) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

func TestSelectArtifacts(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		want     []string
		warnings []string // substrings, in order
		err      string
	}{
		{name: "no filter", config: "", want: []string{"core", "ui", "reports", "docs"}},
		{name: "includeOnlyArtifacts", config: "includeOnlyArtifacts: [ui, core]", want: []string{"core", "ui"}},
		{name: "excludeArtifacts", config: "excludeArtifacts: [ui, docs]", want: []string{"core", "reports"}},
		{name: "include wins over exclude", config: "includeOnlyArtifacts: [ui]\nexcludeArtifacts: [ui, core]", want: []string{"ui"},
			warnings: []string{"c.yml: includeOnlyArtifacts (line 1) and excludeArtifacts (line 2) are mutually exclusive: includeOnlyArtifacts wins"}},
		{name: "includeOnlyArtifacts unknown name", config: "includeOnlyArtifacts: [ui, nope]",
			err: `c.yml:1: includeOnlyArtifacts: sfdx-project.json has no artifact "nope": expected one of core, ui, reports, docs`},
		{name: "excludeArtifacts unknown name warns", config: "excludeArtifacts: [nope]", want: []string{"core", "ui", "reports", "docs"},
			warnings: []string{`c.yml:1: excludeArtifacts: sfdx-project.json has no artifact "nope"`}},
		{name: "includeOnlyArtifactsWithTag", config: "includeOnlyArtifactsWithTag: [backend]", want: []string{"core", "reports"}},
		{name: "includeOnlyArtifactsWithTag any of", config: "includeOnlyArtifactsWithTag: [frontend, critical]", want: []string{"core", "ui"}},
		{name: "excludeArtifactsWithTag", config: "excludeArtifactsWithTag: [experimental, frontend]", want: []string{"core", "docs"}},
		{name: "tag include wins over tag exclude", config: "includeOnlyArtifactsWithTag: [backend]\nexcludeArtifactsWithTag: [experimental]", want: []string{"core", "reports"},
			warnings: []string{"includeOnlyArtifactsWithTag (line 1) and excludeArtifactsWithTag (line 2) are mutually exclusive: includeOnlyArtifactsWithTag wins"}},
		{name: "tag nobody has", config: "includeOnlyArtifactsWithTag: [mobile]", want: []string{}},
		{name: "includeOnlyArtifacts and includeOnlyArtifactsWithTag", config: "includeOnlyArtifacts: [core, ui, docs]\nincludeOnlyArtifactsWithTag: [backend, frontend]", want: []string{"core", "ui"}},
		{name: "includeOnlyArtifacts and excludeArtifactsWithTag", config: "includeOnlyArtifacts: [core, reports]\nexcludeArtifactsWithTag: [experimental]", want: []string{"core"}},
		{name: "excludeArtifacts and includeOnlyArtifactsWithTag", config: "excludeArtifacts: [core]\nincludeOnlyArtifactsWithTag: [backend]", want: []string{"reports"}},
		{name: "excludeArtifacts and excludeArtifactsWithTag", config: "excludeArtifacts: [docs]\nexcludeArtifactsWithTag: [frontend]", want: []string{"core", "reports"}},
		{name: "all four", config: "includeOnlyArtifacts: [core, reports]\nexcludeArtifacts: [core]\nincludeOnlyArtifactsWithTag: [critical]\nexcludeArtifactsWithTag: [critical]", want: []string{"core"},
			warnings: []string{"includeOnlyArtifacts wins", "includeOnlyArtifactsWithTag wins"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig("c.yml", []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			got, err := SelectArtifacts(c, selectManifest(), rec)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, artifactNames(got)); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
			checkContains(t, rec.warnings, tt.warnings)
		})
	}
}

func checkContains(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d messages, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("message %d: %q does not contain %q", i, got[i], want[i])
		}
	}
}

func TestSelectDependencies(t *testing.T) {
	all := map[string]string{"Nebula Logger": "04t5Y0000015pGyQAI", "Marketing Cloud": "04t1E000001Iql5"}
	tests := []struct {
		name     string
		config   string
		want     map[string]string
		warnings []string
		err      string
	}{
		{name: "all by default", want: all},
		{name: "includeOnlyPackageDependencies", config: "includeOnlyPackageDependencies: [Nebula Logger]", want: map[string]string{"Nebula Logger": "04t5Y0000015pGyQAI"}},
		{name: "excludePackageDependencies", config: "excludePackageDependencies: [Nebula Logger]", want: map[string]string{"Marketing Cloud": "04t1E000001Iql5"}},
		{name: "include wins over exclude", config: "includeOnlyPackageDependencies: [Nebula Logger]\nexcludePackageDependencies: [Nebula Logger]",
			want: map[string]string{"Nebula Logger": "04t5Y0000015pGyQAI"}, warnings: []string{"includeOnlyPackageDependencies wins"}},
		{name: "excludeAllPackageDependencies", config: "excludeAllPackageDependencies: true", want: map[string]string{}},
		{name: "excludeAllPackageDependencies false", config: "excludeAllPackageDependencies: false", want: all},
		{name: "excludeAll contradicts include", config: "excludeAllPackageDependencies: true\nincludeOnlyPackageDependencies: [Nebula Logger]",
			err: "c.yml:1: excludeAllPackageDependencies: true contradicts includeOnlyPackageDependencies (line 2): keep one"},
		{name: "unknown include", config: "includeOnlyPackageDependencies: [Nebula]",
			err: `c.yml:1: includeOnlyPackageDependencies: no package dependency "Nebula" in sfdx-project.json for the selected artifacts: expected one of Marketing Cloud, Nebula Logger`},
		{name: "unknown exclude warns", config: "excludePackageDependencies: [Nebula]", want: all,
			warnings: []string{`c.yml:1: excludePackageDependencies: no package dependency "Nebula"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig("c.yml", []byte(tt.config))
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			m := selectManifest()
			got, err := SelectDependencies(c, m, m.Artifacts, rec)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("dependencies (-want +got):\n%s", diff)
			}
			checkContains(t, rec.warnings, tt.warnings)
		})
	}
}

func TestSelectDependenciesGeneric(t *testing.T) {
	m := &Manifest{File: "m.yml", Format: Generic, Artifacts: []Artifact{
		{Name: "api", Dependencies: []Dependency{{"libpq", "16.2", 5}, {"openssl", "3.0", 6}}},
		{Name: "web", Dependencies: []Dependency{{"node", "20", 9}}},
		{Name: "worker", Dependencies: []Dependency{{"libpq", "15.0", 12}}},
	}}
	c := &Config{File: "c.yml", Lines: map[string]int{}}
	// Only the selected artifacts' dependencies count.
	got, err := SelectDependencies(c, m, m.Artifacts[:2], nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"libpq": "16.2", "openssl": "3.0", "node": "20"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Two selected artifacts pinning one dependency differently is an error.
	_, err = SelectDependencies(c, m, []Artifact{m.Artifacts[0], m.Artifacts[2]}, nil)
	want := `m.yml:12: dependency "libpq" is pinned to "15.0" here (worker) and to "16.2" at line 5 (api): pin one version`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}
