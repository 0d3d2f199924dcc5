package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/ci"
)

// FuzzSplitList checks the list settings (labels, and the S3 include and
// exclude patterns): items are never empty and never hold a separator, keep
// their order, and a list joined back with commas splits the same way.
func FuzzSplitList(f *testing.F) {
	for _, s := range []string{
		"", ",", "a,b", " ImpactMajor , ImpactPatch ", "a\nb\r\nc", "a,,b", "\n\n", " , ",
		"dist/**,!x", "a\u2028b", "a\x00b", "::set-output name=x::y\nb", "\xff,\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		check := func(name string, split func(string) []string, seps string, trimmed bool) {
			items := split(v)
			rest := v
			for _, it := range items {
				if it == "" {
					t.Fatalf("%s(%q) = %q: an empty item", name, v, items)
				}
				if strings.ContainsAny(it, seps) {
					t.Fatalf("%s(%q) = %q: item %q holds a separator", name, v, items, it)
				}
				if trimmed && strings.TrimSpace(it) != it {
					t.Fatalf("%s(%q) = %q: item %q is not trimmed", name, v, items, it)
				}
				i := strings.Index(rest, it)
				if i < 0 {
					t.Fatalf("%s(%q) = %q: item %q is not in the value, in order", name, v, items, it)
				}
				rest = rest[i+len(it):]
			}
			if again := split(strings.Join(items, ",")); !slices.Equal(again, items) {
				t.Fatalf("%s(%q) = %q, but joined and split again = %q", name, v, items, again)
			}
		}
		check("ci.SplitList", ci.SplitList, ",\n", true)
		check("s3SplitList", s3SplitList, ",\n\r", false)
	})
}
