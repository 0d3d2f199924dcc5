package impact

import (
	"slices"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/version"
)

// FuzzFromLabels checks label parsing against its contract: with valid
// label names, every label names at most one impact; the result is the
// highest impact named, whatever the order, the case or repeated labels;
// and "conflicting" means that two different impacts were named. labels
// is a newline-separated list, as CI_MERGE_REQUEST_LABELS can carry.
func FuzzFromLabels(f *testing.F) {
	d := DefaultLabels
	f.Add(d.Major, d.Minor, d.Patch, "ImpactMajor")
	f.Add(d.Major, d.Minor, d.Patch, "impactminor\nImpactPatch")
	f.Add(d.Major, d.Minor, d.Patch, "bug\nIMPACTPATCH\nImpactPatch")
	f.Add(d.Major, d.Minor, d.Patch, "")
	f.Add("semver:major", "semver:minor", "semver:patch", "semver:minor\nsemver:MAJOR\nx")
	f.Add("s", "ſ", "p", "S")      // long s folds to s
	f.Add("k", "\u212a", "p", "K") // Kelvin sign folds to k
	f.Add("a", "A", "b", "a")      // duplicate names: Validate refuses
	f.Fuzz(func(t *testing.T, major, minor, patch, list string) {
		names := Labels{Major: major, Minor: minor, Patch: patch}
		labels := strings.Split(list, "\n")
		imp, conflicting := names.FromLabels(labels)
		if imp < version.None || imp > version.Major {
			t.Fatalf("FromLabels(%q) = %d: out of range", labels, imp)
		}
		if imp == version.None && conflicting {
			t.Fatalf("FromLabels(%q): conflicting without an impact", labels)
		}
		if imp != version.None {
			name := map[version.Impact]string{version.Major: major, version.Minor: minor, version.Patch: patch}[imp]
			if !slices.ContainsFunc(labels, func(l string) bool { return strings.EqualFold(l, name) }) {
				t.Fatalf("FromLabels(%q) = %v, but no label names it (%q)", labels, imp, name)
			}
		}
		// Order and repetition do not matter.
		rev := slices.Clone(labels)
		slices.Reverse(rev)
		if i2, c2 := names.FromLabels(append(rev, labels...)); i2 != imp || c2 != conflicting {
			t.Fatalf("FromLabels(%q) = %v, %v but reversed and repeated = %v, %v", labels, imp, conflicting, i2, c2)
		}
		if names.Validate() != nil {
			return
		}
		// Valid names: each label names at most one impact, and the
		// result follows from which impacts are named.
		named := map[version.Impact]bool{}
		for _, l := range labels {
			n := 0
			for _, p := range []struct {
				imp  version.Impact
				name string
			}{{version.Major, major}, {version.Minor, minor}, {version.Patch, patch}} {
				if strings.EqualFold(l, p.name) {
					named[p.imp] = true
					n++
				}
			}
			if n > 1 {
				t.Fatalf("label %q names %d impacts with names %+v that Validate accepted", l, n, names)
			}
		}
		want := version.None
		for i := range named {
			want = max(want, i)
		}
		if imp != want || conflicting != (len(named) > 1) {
			t.Fatalf("FromLabels(%q) = %v, %v; want %v, %v", labels, imp, conflicting, want, len(named) > 1)
		}
		// Labels that name no impact change nothing.
		other := []string{"", "unrelated", major + "x"}
		other = slices.DeleteFunc(other, func(l string) bool {
			return strings.EqualFold(l, major) || strings.EqualFold(l, minor) || strings.EqualFold(l, patch)
		})
		if i2, c2 := names.FromLabels(append(other, labels...)); i2 != imp || c2 != conflicting {
			t.Fatalf("FromLabels with unrelated labels %q = %v, %v; want %v, %v", other, i2, c2, imp, conflicting)
		}
	})
}
