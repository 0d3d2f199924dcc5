// Command relman is release management for git repositories: one binary for
// GitHub Actions, GitLab CI/CD and the command line.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/relman-dev/relman/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, cli.Env{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
