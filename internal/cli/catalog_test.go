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
	for _, step := range Catalog() {
		if !slices.Contains([]string{"tag", "backport-branch", "prep-commit"}, step.Name) {
			continue
		}
		t.Run(step.Name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{step.Name, "--dry-run", "--output", "json", "--repo", dir}
			if step.Name != "tag" {
				args = append(args, "--version", "1.0.1")
			}
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
			want := slices.Clone(step.Outputs)
			slices.Sort(names)
			slices.Sort(want)
			if diff := cmp.Diff(want, names); diff != "" {
				t.Errorf("outputs (-catalog +emitted):\n%s", diff)
			}
		})
	}
}
