package forgetest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/forge/forgetest"
)

func TestNewHistory(t *testing.T) {
	h := forgetest.NewHistory(t, forgetest.Options{Changes: 6, FirstNumber: 10})
	again := forgetest.NewHistory(t, forgetest.Options{Changes: 6, FirstNumber: 10})
	if h.Tip != again.Tip {
		t.Errorf("history is not reproducible: tips %s and %s", h.Tip, again.Tip)
	}
	var kinds []forgetest.Kind
	for _, c := range h.Changes {
		kinds = append(kinds, c.Kind)
		if !h.IsAncestor(t, c.Landed(), h.Tip) {
			t.Errorf("change %d: landed commit %s is not reachable from main", c.Number, c.Landed())
		}
		if h.IsAncestor(t, c.Landed(), h.Released) {
			t.Errorf("change %d: landed commit %s is reachable from the release", c.Number, c.Landed())
		}
		if got, want := h.IsAncestor(t, c.Head, h.Tip), c.Kind != forgetest.Squash; got != want {
			t.Errorf("change %d (%s): head reachable from main = %v, want %v", c.Number, c.Kind, got, want)
		}
	}
	want := []forgetest.Kind{
		forgetest.MergeCommit, forgetest.Squash, forgetest.FastForward,
		forgetest.MergeCommit, forgetest.Squash, forgetest.FastForward,
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	if h.Changes[0].Number != 10 {
		t.Errorf("first number = %d, want 10", h.Changes[0].Number)
	}
	if !h.IsAncestor(t, h.Released, h.Tip) {
		t.Errorf("release is not reachable from main")
	}
	if _, err := h.Repo.Reference("refs/tags/v1.0.0", true); err != nil {
		t.Errorf("tag v1.0.0: %v", err)
	}
}
