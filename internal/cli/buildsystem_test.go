package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitVersionFiles(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{name: "commas and newlines", in: "package.json, Chart.yaml\nChart.yaml:appVersion,", want: []string{"package.json", "Chart.yaml", "Chart.yaml:appVersion"}},
		{name: "a repetition count", in: `package.json,VERSION.txt=v([0-9]+\.[0-9]{1,3}\.[0-9]+)`, want: []string{"package.json", `VERSION.txt=v([0-9]+\.[0-9]{1,3}\.[0-9]+)`}},
		{name: "a comma in a class", in: `a.txt=[,;]([0-9.]+),b.txt=x(\d+)`, want: []string{`a.txt=[,;]([0-9.]+)`, `b.txt=x(\d+)`}},
		{name: "an escaped comma", in: `a.txt=v\,([0-9.]+),package.json`, want: []string{`a.txt=v\,([0-9.]+)`, "package.json"}},
		{name: "a bracket in a path", in: "a(b.txt:toml,c.txt=(x)", want: []string{"a(b.txt:toml", "c.txt=(x)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, splitVersionFiles(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
