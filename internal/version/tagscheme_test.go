package version

import (
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"
)

func TestTagScheme(t *testing.T) {
	v := semver.MustParse("1.2.3")
	for _, tc := range []struct {
		name      string
		scheme    TagScheme
		tag       string // Name(v)
		reads     map[string]string
		refuses   []string
		followsV1 string // Follow("v1.0.0").Name(v)
	}{
		{name: "no prefix", scheme: PrefixScheme(""), tag: "1.2.3",
			reads: map[string]string{"1.2.3": "1.2.3", "v2.0.0": "2.0.0"}, refuses: []string{"1.2.3-rc.1", "x1.2.3", "1.2", ""}, followsV1: "v1.2.3"},
		{name: "v", scheme: PrefixScheme("v"), tag: "v1.2.3",
			reads: map[string]string{"v1.2.3": "1.2.3", "vv1.2.3": "1.2.3"}, refuses: []string{"1.2.3"}, followsV1: "v1.2.3"},
		{name: "other prefix", scheme: PrefixScheme("app-"), tag: "app-1.2.3",
			reads: map[string]string{"app-1.2.3": "1.2.3"}, refuses: []string{"app-v1.2.3", "1.2.3"}, followsV1: "app-1.2.3"},
		{name: "pattern", scheme: PatternScheme("{name}_v{version}", "core"), tag: "core_v1.2.3",
			reads: map[string]string{"core_v1.2.3": "1.2.3"}, refuses: []string{"ui_v1.2.3", "core_v1.2.3.4", "1.2.3"}, followsV1: "core_v1.2.3"},
		{name: "pattern with a suffix", scheme: PatternScheme("{name}/{version}-final", "api"), tag: "api/1.2.3-final",
			reads: map[string]string{"api/1.2.3-final": "1.2.3"}, refuses: []string{"api/1.2.3", "api/-final"}, followsV1: "api/1.2.3-final"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.scheme.Name(v); got != tc.tag {
				t.Errorf("Name = %q, want %q", got, tc.tag)
			}
			if got, ok := tc.scheme.Parse(tc.tag); !ok || !got.Equal(v) {
				t.Errorf("Parse(Name(v)) = %v, %v", got, ok)
			}
			var names []string
			for tag, want := range tc.reads {
				names = append(names, tag)
				if got, ok := tc.scheme.Parse(tag); !ok || got.String() != want {
					t.Errorf("Parse(%q) = %v, %v; want %s", tag, got, ok, want)
				}
			}
			for _, tag := range tc.refuses {
				names = append(names, tag)
				if got, ok := tc.scheme.Parse(tag); ok {
					t.Errorf("Parse(%q) = %v: want no release", tag, got)
				}
			}
			if got := tc.scheme.Follow("v1.0.0").Name(v); got != tc.followsV1 {
				t.Errorf("Follow(v1.0.0).Name = %q, want %q", got, tc.followsV1)
			}
			if got := tc.scheme.Follow("1.0.0"); got != tc.scheme {
				t.Errorf("Follow(1.0.0) = %+v, want the scheme itself", got)
			}
			got := map[string]string{}
			for _, r := range tc.scheme.Releases(names) {
				got[r.Tag] = r.Version.String()
			}
			if diff := cmp.Diff(tc.reads, got); diff != "" {
				t.Errorf("Releases (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTagSchemeCut(t *testing.T) {
	s := PatternScheme("{name}_v{version}", "core")
	for tag, want := range map[string]string{"core_v1.2.0.6": "1.2.0.6", "core_v1.2.0.6-ALIGN": "1.2.0.6-ALIGN", "core_v": "", "ui_v1.0.0": ""} {
		got, ok := s.Cut(tag)
		if got != want || ok != (want != "") {
			t.Errorf("Cut(%q) = %q, %v; want %q", tag, got, ok, want)
		}
	}
}

func TestImpactOf(t *testing.T) {
	for v, want := range map[string]Impact{"1.2.3": Patch, "1.2.0": Minor, "2.0.0": Major, "0.3.0": Minor, "0.0.1": Patch, "0.0.0": Major} {
		if got := ImpactOf(semver.MustParse(v)); got != want {
			t.Errorf("ImpactOf(%s) = %s, want %s", v, got, want)
		}
	}
}

func TestTagSchemeBuilds(t *testing.T) {
	s := PatternScheme("{name}_v{version}", "core")
	s.Builds = true
	tests := []struct {
		tag  string
		want string // "" when not a release
	}{
		{"core_v1.2.0", "1.2.0"},
		{"core_v1.2.0.6", "1.2.0"},
		{"core_v1.2.0.06", ""},
		{"core_v1.2.0.x", ""},
		{"core_v1.2.0.6.7", ""},
		{"core_v1.2.6", "1.2.6"},
		{"core_v1.2", ""},
		{"ui_v1.2.0.6", ""},
	}
	for _, tt := range tests {
		v, ok := s.Parse(tt.tag)
		got := ""
		if ok {
			got = v.String()
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.tag, got, tt.want)
		}
	}
	if _, ok := PatternScheme("{name}_v{version}", "core").Parse("core_v1.2.0.6"); ok {
		t.Errorf("without Builds, core_v1.2.0.6 must not read as a release")
	}
	next := semver.MustParse("1.3.0")
	if got := s.Follow("core_v1.2.0.6").Name(next); got != "core_v1.3.0.1" {
		t.Errorf("after core_v1.2.0.6 the next tag is %s, want core_v1.3.0.1 (sfp's build form, first build)", got)
	}
	if got := s.Follow("core_v1.2.0").Name(next); got != "core_v1.3.0" {
		t.Errorf("after core_v1.2.0 the next tag is %s, want core_v1.3.0", got)
	}
}

// TestLatestOfBuilds: of two builds of one version, the latest release is
// the higher build (numerically), not the shorter tag name.
func TestLatestOfBuilds(t *testing.T) {
	s := PatternScheme("{name}_v{version}", "core")
	s.Builds = true
	rs := s.Releases([]string{"core_v1.2.0.9", "core_v1.2.0.10", "core_v1.1.0.30"})
	got, ok := rs.LatestIn(Line{Kind: MainLine})
	if !ok || got.Tag != "core_v1.2.0.10" {
		t.Errorf("latest = %+v, want core_v1.2.0.10", got)
	}
}
