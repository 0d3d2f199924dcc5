package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/releasedef"
)

const releasedefUsage = `relman releasedef: release definitions pinned from git tags

Usage:
  relman releasedef generate --name NAME --config FILE [--ref REF] [--output-dir DIR] [--branch BRANCH] [--metadata JSON]

Run "relman releasedef generate --help" for its settings.
`

// releasedefMain dispatches the releasedef subcommands.
func releasedefMain(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, releasedefUsage)
		return ExitUsage
	}
	switch args[0] {
	case "generate":
		return runStep(ctx, env, "releasedef generate", args[1:], releasedefGenerateCommand)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, releasedefUsage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "relman releasedef: unknown subcommand %q\n\n%s", args[0], releasedefUsage)
	return ExitUsage
}

func releasedefGenerateCommand(s *settings) (string, step) {
	// The common --branch is the branch being released; here it is the
	// branch the definition is committed to.
	s.byName["branch"].usage = "commit the definition to this branch (created from the ref if absent) and push it; without it the file is written to the work tree"
	s.add("name", "", "release name: the definition's release and its file release-NAME.yml (required)")
	s.add("config", "", "release definition config (YAML): artifact and dependency filters, release properties (required)")
	s.add("ref", "", "git ref whose tags pin the versions (default: the pipeline commit, else HEAD)")
	s.add("output-dir", ".", "directory of the definition, relative to the repository root")
	s.add("manifest", "", "artifact manifest at the ref: an sfdx-project.json or a generic .yml manifest (default: sfdx-project.json, else relman-artifacts.yml)")
	s.add("metadata", "", `extra metadata, a JSON object of strings, numbers and booleans, e.g. {"pipeline":"1234"}`)
	s.add("token", "", "token to push the branch over HTTPS", "GITHUB_TOKEN", "GITLAB_TOKEN")
	s.add("git-user-name", "", "committer name (default: the CI bot, else git config user.name, else relman)")
	s.add("git-user-email", "", "committer email")
	return "relman releasedef generate: write release-NAME.yml, pinning every artifact to the highest version tag reachable from the ref", releasedefGenerateRun
}

func releasedefGenerateRun(ctx context.Context, c *job) error {
	s := c.s
	token := s.str("token")
	if token != "" {
		c.rep.Mask(token)
	}
	dryRun, err := s.boolean("dry-run")
	if err != nil {
		return err
	}
	name := s.str("name")
	if err := releasedef.CheckName(name); err != nil {
		return usageError{err}
	}
	configPath := s.str("config")
	if configPath == "" {
		return usagef("no release definition config: set --config FILE (an empty file selects every artifact)")
	}
	configData, err := os.ReadFile(configPath)
	if err != nil {
		return usagef("read the release definition config: %w (set --config to an existing YAML file)", err)
	}
	cfg, err := releasedef.ParseConfig(configPath, configData)
	if err != nil {
		return usageError{err}
	}
	metadata, err := releasedef.ParseMetadata(s.str("metadata"))
	if err != nil {
		return usageError{err}
	}
	outDir := s.str("output-dir")
	if outDir == "" {
		outDir = "."
	}
	branch := s.str("branch")
	if branch != "" && filepath.IsAbs(outDir) {
		return usagef("output-dir %q: with --branch it must be a directory inside the repository, relative to its root", outDir)
	}
	relFile := path.Join(filepath.ToSlash(outDir), releasedef.FileName(name))
	if branch != "" && strings.HasPrefix(relFile, "../") {
		return usagef("output-dir %q leaves the repository: with --branch it must stay inside it", outDir)
	}

	repo, err := gitrepo.Open(s.str("repo"))
	if err != nil {
		return usageError{err}
	}
	defer repo.Close()
	ref := s.str("ref")
	if ref == "" {
		ref = pipelineCommit(c)
	}
	commit, err := repo.ResolveCommit(ref)
	if err != nil {
		return usagef("ref %q is not a branch, tag or commit of the repository: %w (fetch it, e.g. fetch-depth: 0, or set --ref)", ref, err)
	}

	manifestPath := s.str("manifest")
	var manifestData []byte
	if manifestPath == "" {
		for _, p := range []string{"sfdx-project.json", "relman-artifacts.yml"} { // in this order
			b, err := repo.ReadFile(commit, p)
			if err == nil {
				manifestPath, manifestData = p, b
				break
			}
			if !errors.Is(err, gitrepo.ErrNoFile) {
				return err
			}
		}
		if manifestPath == "" {
			return usagef("no sfdx-project.json or relman-artifacts.yml at %s (%s): commit one, or set --manifest PATH to the artifact manifest", ref, commit.String()[:12])
		}
	} else {
		if _, err := releasedef.FormatOf(manifestPath); err != nil {
			return usageError{err}
		}
		manifestData, err = repo.ReadFile(commit, filepath.ToSlash(path.Clean(manifestPath)))
		if errors.Is(err, gitrepo.ErrNoFile) {
			return usagef("manifest %s: not found at %s (%s): the manifest is read from the ref, relative to the repository root; commit it or fix --manifest", manifestPath, ref, commit.String()[:12])
		}
		if err != nil {
			return err
		}
	}
	manifest, err := releasedef.ParseManifest(manifestPath, manifestData)
	if err != nil {
		return usageError{err}
	}
	c.rep.Infof("%d artifacts in %s at %s (%s)", len(manifest.Artifacts), manifestPath, ref, commit.String()[:12])

	def, err := releasedef.Generate(ctx, releasedef.Options{
		Name: name, Config: cfg, Manifest: manifest, Repo: repo, Commit: commit, Ref: ref, Metadata: metadata, Log: c.rep,
	})
	if err != nil {
		var fe *releasedef.FileError
		var ie *releasedef.InputError
		if errors.As(err, &fe) || errors.As(err, &ie) {
			return usageError{err}
		}
		return err
	}
	for _, n := range sortedPins(def) {
		p := def.Pins[n]
		c.rep.Infof("%s %s (tag %s on %s)", n, p.Version, p.Tag, p.Commit.String()[:12])
	}
	content, err := releasedef.Render(def)
	if err != nil {
		return err
	}
	if err := releasedef.ValidateSFP(content, manifest.Format == releasedef.SFDX); err != nil {
		return fmt.Errorf("the generated definition does not match sfp's shape (a relman bug): %w", err)
	}

	commitOut := ""
	fileOut := relFile
	switch {
	case branch != "" && dryRun:
		c.rep.Noticef("dry run: would commit %s to branch %s of %s and push it", relFile, branch, s.str("remote"))
		logDefinition(c, content)
	case branch != "":
		remote := s.str("remote")
		res, err := repo.CommitFile(ctx, gitrepo.CommitFileOptions{
			Remote: remote, Auth: gitrepo.Auth{Username: pushUser(c, repo, remote), Token: token},
			Branch: branch, Base: commit, Path: relFile, Content: content,
			Message: fmt.Sprintf("chore(release): release definition %s for %s [skip ci]\n\nGenerated by relman releasedef generate from %s (%s).\n", name, commit.String()[:12], ref, commit),
			Author:  signature(c.s, c, repo),
		})
		if err != nil {
			return err
		}
		switch {
		case res.Commit.IsZero() && res.Created:
			c.rep.Noticef("created branch %s at %s, which already holds %s", branch, res.Parent.String()[:12], relFile)
		case res.Commit.IsZero():
			c.rep.Noticef("%s on %s is already up to date: nothing to commit", relFile, branch)
		default:
			commitOut = res.Commit.String()
			how := "committed"
			if res.Created {
				how = "created branch " + branch + " from " + ref + " and committed"
			}
			if res.Attempts > 1 {
				how += fmt.Sprintf(" (after %d rejected pushes, on the new head)", res.Attempts-1)
			}
			c.rep.Noticef("%s %s to %s as %s and pushed it to %s", how, relFile, branch, res.Commit.String()[:12], remote)
		}
	case dryRun:
		c.rep.Noticef("dry run: would write %s", relFile)
		logDefinition(c, content)
	default:
		dir := outDir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(repo.Dir(), dir)
		} else {
			fileOut = filepath.Join(outDir, releasedef.FileName(name))
		}
		if err := writeFileAtomic(filepath.Join(dir, releasedef.FileName(name)), content); err != nil {
			return err
		}
		c.rep.Noticef("wrote %s", fileOut)
	}
	c.output("file", fileOut)
	c.output("artifacts", strconv.Itoa(len(def.Artifacts)))
	c.output("commit", commitOut)
	c.summary = releasedefSummary(def, fileOut, branch, commitOut, dryRun)
	return nil
}

// pipelineCommit is the commit the pipeline runs for, else HEAD.
func pipelineCommit(c *job) string {
	switch c.kind {
	case ci.GitHub:
		if h := c.s.getenv("GITHUB_SHA"); h != "" {
			return h
		}
	case ci.GitLab:
		if h := c.s.getenv("CI_COMMIT_SHA"); h != "" {
			return h
		}
	}
	return "HEAD"
}

func pushUser(c *job, repo *gitrepo.Repo, remote string) string {
	switch c.kind {
	case ci.GitHub:
		return "x-access-token"
	case ci.GitLab:
		return "oauth2"
	}
	u, _ := repo.RemoteURL(remote)
	if host, _ := splitRemote(u); strings.Contains(host, "gitlab") {
		return "oauth2"
	}
	return "x-access-token"
}

func sortedPins(d *releasedef.Definition) []string {
	var names []string
	for n := range d.Pins {
		if _, ok := d.Artifacts[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func logDefinition(c *job, content []byte) {
	for _, line := range strings.Split(strings.TrimRight(string(content), "\n"), "\n") {
		c.rep.Infof("  %s", line)
	}
}

// writeFileAtomic writes through a temporary file in the same directory so
// that a failure leaves no half-written definition.
func writeFileAtomic(name string, b []byte) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	f, err := os.CreateTemp(dir, ".release-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, name)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, werr)
	}
	return nil
}

func releasedefSummary(d *releasedef.Definition, file, branch, commit string, dryRun bool) string {
	var b strings.Builder
	title := "wrote"
	if dryRun {
		title = "would write"
	}
	fmt.Fprintf(&b, "## relman releasedef: %s `%s`\n\n", title, mdCode(file))
	fmt.Fprintf(&b, "Release `%s`, %d artifacts", mdCode(d.Release), len(d.Artifacts))
	if ref, ok := d.Metadata["ref"].(string); ok {
		fmt.Fprintf(&b, " pinned at `%s`", mdCode(ref))
	}
	if commit != "" {
		fmt.Fprintf(&b, "; committed to `%s` as %s", mdCode(branch), commit[:12])
	}
	b.WriteString(".\n\n")
	if len(d.Artifacts) > 0 {
		b.WriteString("| Artifact | Version | Tag |\n|---|---|---|\n")
		for _, n := range sortedPins(d) {
			p := d.Pins[n]
			fmt.Fprintf(&b, "| %s | %s | `%s` |\n", mdText(n), mdText(p.Version), mdCode(p.Tag))
		}
		b.WriteString("\n")
	}
	if len(d.Missing) > 0 {
		fmt.Fprintf(&b, "Left out for want of a version tag: %s.\n\n", mdText(strings.Join(d.Missing, ", ")))
	}
	if len(d.PackageDependencies) > 0 {
		fmt.Fprintf(&b, "%d package dependencies.\n", len(d.PackageDependencies))
	}
	return b.String()
}
