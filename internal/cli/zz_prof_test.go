package cli

import (
	"context"
	"io"
	"os"
	"testing"
)

func TestZZProf(t *testing.T) {
	dir := os.Getenv("PROF_REPO")
	if dir == "" {
		t.Skip()
	}
	args := []string{"tag", "--impact-from", "commits", "--output", "json", "--repo", dir}
	code := Main(context.Background(), Env{Args: args, Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
	t.Log(code)
}
