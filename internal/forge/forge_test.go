package forge_test

import (
	"testing"

	"github.com/relman-dev/relman/internal/forge"
)

func TestLandedCommit(t *testing.T) {
	tests := []struct {
		name string
		mr   forge.MergeRequest
		want string
	}{
		{name: "merge commit wins", mr: forge.MergeRequest{MergeCommit: "m", SquashCommit: "s", HeadCommit: "h"}, want: "m"},
		{name: "squash commit next", mr: forge.MergeRequest{SquashCommit: "s", HeadCommit: "h"}, want: "s"},
		{name: "fast-forward: the head", mr: forge.MergeRequest{HeadCommit: "h"}, want: "h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.mr.LandedCommit(); got != tt.want {
				t.Errorf("LandedCommit() = %q, want %q", got, tt.want)
			}
		})
	}
}
