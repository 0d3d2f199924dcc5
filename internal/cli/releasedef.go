package cli

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/forge/detect"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/releasedef"
	"github.com/relman-dev/relman/internal/tagstep"
)

// releasedefOptions are the settings of relman releasedef generate; the
// common branch setting is the branch the definition is committed to.
type releasedefOptions struct {
	name, config, ref, outputDir, manifest, metadata string
	packages                                         string
	token                                            tokenSetting
	ident                                            identityOptions
}

func releasedefGenerateCommand(s *settings) (string, step) {
	o := &releasedefOptions{}
	// The common --branch is the branch being released; here it is the
	// branch the definition is committed to.
	s.byName["branch"].usage = "commit the definition to this branch (created from the ref if absent) and push it; without it the file is written to the work tree"
	s.add("name", "", "release name: the definition's release and its file release-NAME.yml (required)").to(&o.name)
	s.add("config", "", "release definition config (YAML): artifact and dependency filters, release properties (required)").to(&o.config)
	s.add("ref", "", "git ref whose tags pin the versions (default: the pipeline commit, else HEAD)").to(&o.ref)
	s.add("output-dir", ".", "directory of the definition, relative to the repository root").to(&o.outputDir)
	s.add("manifest", "", "artifact manifest at the ref: an sfdx-project.json or a generic .yml manifest (default: the packages of the package config, else sfdx-project.json, else relman-artifacts.yml)").to(&o.manifest)
	addPackagesSetting(s, &o.packages)
	s.add("metadata", "", `extra metadata, a JSON object of strings, numbers and booleans, e.g. {"pipeline":"1234"}`).to(&o.metadata)
	addTokenSetting(s, "token to push the branch over HTTPS", &o.token)
	addIdentitySettings(s, "author and committer name of the commit", &o.ident)
	return "relman releasedef generate: write release-NAME.yml, pinning every artifact to the highest version tag reachable from the ref",
		func(ctx context.Context, c *job) error { return releasedefGenerateRun(ctx, c, o) }
}

func releasedefGenerateRun(ctx context.Context, c *job, o *releasedefOptions) error {
	s := c.s
	cred := resolveCredential(o.token, "", c.ci)
	maskToken(c, cred.token)
	dryRun := c.common.dryRun
	name := o.name
	if err := releasedef.CheckName(name); err != nil {
		return usageError{err}
	}
	configPath := o.config
	if configPath == "" {
		return usagef("no release definition config: set --config FILE (an empty file selects every artifact)")
	}
	configData, err := releasedef.ReadConfigFile(configPath)
	if err != nil {
		return err
	}
	cfg, err := releasedef.ParseConfig(configPath, configData)
	if err != nil {
		return usageError{err}
	}
	metadata, err := releasedef.ParseMetadata(o.metadata)
	if err != nil {
		return usageError{err}
	}
	outDir := o.outputDir
	if outDir == "" {
		outDir = "."
	}
	branch := c.common.branch
	if err := releasedef.CheckBranch(branch); err != nil {
		return usagef("%s %w", s.named("branch"), err)
	}
	if branch != "" && filepath.IsAbs(outDir) {
		return usagef("%s %q: with %s it must be a directory inside the repository, relative to its root", s.named("output-dir"), outDir, s.named("branch"))
	}
	relFile := path.Join(filepath.ToSlash(outDir), releasedef.FileName(name))
	if !filepath.IsAbs(outDir) && (relFile == ".." || strings.HasPrefix(relFile, "../")) {
		return usagef("%s %q leaves the repository: a relative output-dir must stay inside it (an absolute one is written as given, without --branch)", s.named("output-dir"), outDir)
	}
	if err := releasedef.CheckGitPath(relFile); err != nil {
		return usagef("%s: %w", s.named("output-dir"), err)
	}

	repo, err := gitrepo.Open(c.common.repo)
	if err != nil {
		return usageError{err}
	}
	defer repo.Close()
	ref := o.ref
	if ref == "" {
		ref = pipelineCommit(c)
	}
	commit, err := repo.ResolveCommit(ref)
	if err != nil {
		return usagef("ref %q is not a branch, tag or commit of the repository: %w (fetch it, e.g. fetch-depth: 0, or set --ref)", ref, err)
	}

	manifest, err := releasedefManifest(c, repo, commit, ref, o)
	if err != nil {
		return err
	}

	def, err := releasedef.Generate(ctx, releasedef.Options{
		Name: name, Config: cfg, Manifest: manifest, Repo: repo, Commit: commit, Ref: ref, Metadata: metadata,
		ReleaseTrailer: tagstep.ReleaseTrailer, Log: c.rep,
	})
	if err != nil {
		return err // a FileError or InputError is bad configuration: see exitCode
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
		c.rep.Noticef("dry run: would commit %s to branch %s of %s and push it", relFile, branch, c.common.remote)
		logDefinition(c, content)
	case branch != "":
		remote := c.common.remote
		remoteURL, _ := repo.RemoteURL(remote)
		ident := resolveIdentity(c, repo, o.ident)
		res, err := repo.CommitFile(ctx, gitrepo.CommitFileOptions{
			Remote: remote, Auth: gitrepo.Auth{Username: pushUser(c, repo, remote), Token: cred.forRemote(c, remote, remoteURL)},
			Branch: branch, Base: commit, Path: relFile, Content: content,
			Message: fmt.Sprintf("chore(release): release definition %s for %s [skip ci]\n\nGenerated by relman releasedef generate from %s (%s).\n", name, commit.String()[:12], ref, commit),
			Author:  ident.author(), Committer: ident.committer(),
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
			if err := releasedef.CheckInside(repo.Dir(), dir); err != nil {
				return fmt.Errorf("%s %q %w", s.named("output-dir"), outDir, err) // an InputError is bad usage: see exitCode
			}
		} else {
			fileOut = filepath.Join(outDir, releasedef.FileName(name))
		}
		if err := releasedef.WriteFileAtomic(filepath.Join(dir, releasedef.FileName(name)), content); err != nil {
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

// releasedefManifest reads the artifacts at the commit: the manifest
// --manifest names; else the packages of the package config (the packages
// setting, as relman tag reads it), with sfdx-project.json's labels and
// package dependencies; else sfdx-project.json, else relman-artifacts.yml.
func releasedefManifest(c *job, repo *gitrepo.Repo, commit plumbing.Hash, ref string, o *releasedefOptions) (*releasedef.Manifest, error) {
	at := fmt.Sprintf("at %s (%s)", ref, commit.String()[:12])
	if o.manifest != "" {
		if p := strings.TrimSpace(o.packages); p != "" && p != "none" {
			c.rep.Infof("the artifacts are those of %s (%s): %s is not read", o.manifest, c.s.named("manifest"), c.s.named("packages"))
		}
		m, _, err := releasedef.ReadManifest(repo, commit, ref, o.manifest)
		if err != nil {
			return nil, err
		}
		c.rep.Infof("%d artifacts in %s %s", len(m.Artifacts), m.File, at)
		return m, nil
	}
	pkgs, err := loadPackages(repo, commit, o.packages)
	if err != nil {
		return nil, err
	}
	if pkgs == nil {
		m, _, err := releasedef.ReadManifest(repo, commit, ref, "")
		if err != nil {
			return nil, err
		}
		c.rep.Infof("%d artifacts in %s %s", len(m.Artifacts), m.File, at)
		return m, nil
	}
	m, err := releasedef.ReadPackages(repo, commit, ref, pkgs, c.rep)
	if err != nil {
		return nil, err
	}
	c.rep.Infof("%d artifacts, the packages of %s %s: %s", len(m.Artifacts), m.Describe(), at, strings.Join(pkgs.Names(), ", "))
	return m, nil
}

// pipelineCommit is the commit the pipeline runs for, else HEAD.
func pipelineCommit(c *job) string {
	if c.ci.Commit != "" {
		return c.ci.Commit
	}
	return "HEAD"
}

// pushUser is the user of token pushes to the forge of remote, GitHub's
// when the forge cannot be told.
func pushUser(c *job, repo *gitrepo.Repo, remote string) string {
	u, _ := repo.RemoteURL(remote)
	if t, _ := detect.Resolve(c.ci, u, detect.Settings{}); t.PushUser != "" {
		return t.PushUser
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
