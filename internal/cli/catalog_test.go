package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestCatalogOutputs runs each step and checks that it emits exactly the
// outputs the catalog (and so action.yml and the components) declares.
func TestCatalogOutputs(t *testing.T) {
	g := gittest.New(t)
	g.Tag("1.0.0", g.Head("main"), true)
	g.Commit("main", "fix: x", nil)
	dir := g.Clone("main")
	ran := 0
	for _, step := range Catalog() {
		def := findStep(step.Name)
		if def.offline == nil {
			continue // needs a bucket or a config file: see the s3 and releasedef scripts
		}
		ran++
		t.Run(step.Name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{step.Name, "--dry-run", "--output", "json", "--repo", dir}, def.offline...)
			code := Main(context.Background(), Env{Args: args, Stdout: &stdout, Stderr: &stderr})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var got map[string]string
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			var names []string
			for k := range got {
				names = append(names, k)
			}
			var want []string
			for _, o := range step.Outputs {
				want = append(want, o.Name)
			}
			slices.Sort(names)
			slices.Sort(want)
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("outputs (-catalog +emitted):\n%s", diff)
			}
		})
	}
	if ran < 4 {
		t.Errorf("ran %d steps offline, want tag, backport-branch, prep-commit and check at least", ran)
	}
}
