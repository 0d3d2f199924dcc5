// Package cli is relman's command line: it reads settings from flags,
// action inputs and variables, runs one step, and hands its outputs to the
// runner it runs under (GitHub Actions, GitLab CI, or a terminal).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/relman-dev/relman/internal/ci"
)

// Exit statuses.
const (
	ExitOK     = 0 // success, including "nothing to release"
	ExitFailed = 1 // the step failed; nothing half-done is left behind
	ExitUsage  = 2 // bad usage or bad configuration
)

// Env is what the process gives the command line.
type Env struct {
	Args   []string // without the program name
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Now is the clock (tag dates); time.Now when nil.
	Now func() time.Time
}

// Version is the relman version, set at build time with -ldflags.
var Version = "dev"

// Main runs relman and returns its exit status.
func Main(ctx context.Context, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if len(env.Args) == 0 {
		fmt.Fprint(env.Stderr, usageText())
		return ExitUsage
	}
	cmd, args := env.Args[0], env.Args[1:]
	if st := findStep(cmd); st != nil {
		return runStep(ctx, env, st.name, args, st.define)
	}
	if g := findGroup(cmd); g != nil {
		return groupMain(ctx, env, g, args)
	}
	switch cmd {
	case "action":
		return actionMain(ctx, env, args) // the GitHub Action's entrypoint: the step from INPUT_STEP
	case "catalog":
		// Every step's settings and outputs, as JSON: the source of
		// action.yml, the GitLab components and the README tables.
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(Catalog()); err != nil {
			fmt.Fprintf(env.Stderr, "relman catalog: %v\n", err)
			return ExitFailed
		}
		return ExitOK
	case "version", "--version":
		fmt.Fprintf(env.Stdout, "relman %s\n", Version)
		return ExitOK
	case "help", "-h", "--help":
		if len(args) > 0 {
			return Main(ctx, Env{Args: []string{args[0], "--help"}, Stdout: env.Stdout, Stderr: env.Stderr, Getenv: env.Getenv, Now: env.Now})
		}
		fmt.Fprint(env.Stdout, usageText())
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "relman: unknown command %q\n\n%s", cmd, usageText())
	return ExitUsage
}

// groupMain dispatches "relman GROUP SUBCOMMAND" (relman s3 sync).
func groupMain(ctx context.Context, env Env, g *stepGroup, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, g.usage())
		return ExitUsage
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, g.usage())
		return ExitOK
	}
	st := findStep(g.name + " " + sub)
	if st == nil {
		fmt.Fprintf(env.Stderr, "relman %s: unknown subcommand %q\n\n%s", g.name, sub, g.usage())
		return ExitUsage
	}
	if st.asset {
		var asset string
		var err error
		rest, asset, err = takeAsset(env, st, rest)
		if err != nil {
			fmt.Fprintf(env.Stderr, "relman %s: %v\n", st.name, err)
			return ExitUsage
		}
		if asset != "" {
			rest = append([]string{"--asset", asset}, rest...)
		}
	}
	return runStep(ctx, env, st.name, rest, st.define)
}

// step is one command: it reads its settings and runs, returning the
// outputs and a Markdown summary.
type step func(ctx context.Context, c *job) error

// job carries what every step needs; it is built once per run and not
// shared between steps.
type job struct {
	env      Env
	s        *settings
	rep      *ci.Reporter
	ci       ci.Context    // what the runner says, read once per run
	common   commonOptions // the settings every step shares
	args     []string
	outputs  []ci.Output
	summary  string // Markdown, for the CI step summary
	report   string // plain text, for people at a terminal (see report.go)
	synopsis string
}

func (c *job) output(name, value string) {
	c.outputs = append(c.outputs, ci.Output{Name: name, Value: value})
}

// commonOptions are the settings every step shares, bound at parse time.
type commonOptions struct {
	repo          string
	branch        string // "": the CI branch, else the checked-out branch
	defaultBranch string
	remote        string
	dryRun        bool
	dryRunFlag    bool // --dry-run was given on the command line
	output        ci.Format
}

// addCommonSettings adds the settings every step shares, bound to o.
func addCommonSettings(s *settings, o *commonOptions) {
	s.add("repo", ".", "the repository directory").to(&o.repo)
	s.add("branch", "", "the branch being released (default: the CI branch, else the checked-out branch)").to(&o.branch)
	s.add("default-branch", "", "the default branch (default: from CI, the remote's HEAD, or the forge)").to(&o.defaultBranch)
	s.add("remote", "origin", "the remote to push to").to(&o.remote)
	dry := s.addBool("dry-run", "compute and print what would change, write nothing")
	dry.bind = func(s *settings) error {
		on, err := s.boolean("dry-run")
		o.dryRun, o.dryRunFlag = on, s.set["dry-run"]
		return err
	}
	s.addEnum("output", "text", "local output format: text or json", []string{"text", "json"}).toFunc(func(v string) error {
		f, err := ci.ParseFormat(v)
		o.output = f
		return err
	})
}

// runStep parses the settings common to every step, builds the reporter for
// the runner, runs the step and reports its outputs or its error.
func runStep(ctx context.Context, env Env, name string, args []string, define func(*settings) (string, step)) int {
	s := newSettings(name, env.Getenv, env.Stderr)
	var common commonOptions
	addCommonSettings(s, &common)
	synopsis, exec := define(s)
	s.fs.SetOutput(io.Discard) // errors are reported below, the usage on --help only
	s.fs.Usage = func() {}

	rest, err := s.parse(args)
	if errors.Is(err, flag.ErrHelp) {
		s.usage(env.Stderr, synopsis)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "relman %s: %v\nRun \"relman %s --help\" for its settings.\n", name, err, name)
		return exitCode(err)
	}
	run := ci.ReadContext(env.Getenv) // the runner's variables, read once
	rep, err := ci.New(ci.Options{Kind: run.Kind, Format: common.output, Getenv: env.Getenv, Stdout: env.Stdout, Stderr: env.Stderr, Dir: common.repo})
	if err != nil {
		fmt.Fprintf(env.Stderr, "relman %s: %v\n", name, err)
		return ExitUsage
	}
	c := &job{env: env, s: s, rep: rep, ci: run, common: common, args: rest, synopsis: synopsis}
	if len(rest) > 0 {
		rep.Errorf("relman %s: unexpected argument %q: settings are flags like --dry-run", name, rest[0])
		return ExitUsage
	}

	end := rep.Section("relman_"+strings.ReplaceAll(name, "-", "_"), "relman "+name)
	err = exec(ctx, c)
	end()
	if err != nil {
		rep.Errorf("relman %s: %v", name, err)
		return exitCode(err)
	}
	if c.report != "" && rep.Report(c.report) {
		return ExitOK // locally, the report stands for the summary and the outputs
	}
	if c.summary != "" {
		if err := rep.Summary(c.summary); err != nil {
			rep.Warningf("write the step summary: %v", err)
		}
	}
	if err := rep.SetOutputs(c.outputs); err != nil {
		rep.Errorf("relman %s: write outputs: %v", name, err)
		return ExitFailed
	}
	return ExitOK
}
