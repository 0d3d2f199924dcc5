package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// actionMain is the entry point of the GitHub Action's container
// (action.yml, Dockerfile: ENTRYPOINT ["relman", "action"]). The runner
// passes every input as INPUT_<NAME>; the step to run comes from the step
// input, which may be two words ("s3 sync", "releasedef generate"), and the
// step reads its own settings from the other inputs. The runner does not
// enforce required inputs, so a missing step is reported here.
func actionMain(ctx context.Context, env Env, args []string) int {
	if env.Getenv("GITHUB_ACTIONS") != "true" {
		fmt.Fprintf(env.Stderr, "relman action: runs inside the relman GitHub Action (GITHUB_ACTIONS=true); elsewhere run relman STEP, e.g. relman tag\n")
		return ExitUsage
	}
	words := strings.Fields(env.Getenv(inputName("step")))
	if len(words) == 0 {
		fmt.Fprintf(env.Stderr, "::error::relman: the action input step is required: set step to one of %s\n", strings.Join(stepNames(), ", "))
		return ExitUsage
	}
	if step := strings.Join(words, " "); !slices.Contains(stepNames(), step) {
		fmt.Fprintf(env.Stderr, "::error::relman: input step: unknown step %q: expected one of %s\n", step, strings.Join(stepNames(), ", "))
		return ExitUsage
	}
	env.Args = append(words, args...)
	return Main(ctx, env)
}
