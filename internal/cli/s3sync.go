package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/s3step"
)

// relman s3 versioning, sync and status: the bucket against the
// repository.

func s3VersioningRun(ctx context.Context, c *job, o *s3Options) error {
	dry := c.common.dryRun
	st, _, err := s3Store(ctx, c, o)
	if err != nil {
		return err
	}
	r, err := s3step.EnableVersioning(ctx, s3step.VersioningOptions{Store: st, DryRun: dry})
	if err != nil {
		return err
	}
	prev := r.Previous
	if prev == "" {
		prev = "never enabled"
	}
	status := r.Status
	switch {
	case !r.Changed:
		c.rep.Infof("versioning of %s is already Enabled", st.Bucket())
	case dry:
		c.rep.Infof("would enable versioning of %s (now %s)", st.Bucket(), prev)
	default:
		c.rep.Noticef("enabled versioning of %s (was %s)", st.Bucket(), prev)
	}
	c.output("versioning", status)
	c.output("changed", strconv.FormatBool(r.Changed))
	c.summary = fmt.Sprintf("## relman s3 versioning\n\nBucket `%s`: versioning %s (was %s).\n", mdCode(st.Bucket()), cmp.Or(status, "not enabled"), prev)
	return nil
}

func s3SyncRun(ctx context.Context, c *job, o *s3Options) error {
	dry, del := c.common.dryRun, o.delete
	st, conc, err := s3Store(ctx, c, o)
	if err != nil {
		return err
	}
	repo, info, err := s3Git(c, o)
	if err != nil {
		return err
	}
	defer repo.Close()
	c.rep.Infof("release %s: commit %s, ref %s", info.Name(), info.Commit, s3OrNone(info.Ref))
	files, err := s3step.WorkTree(ctx, repo.Dir(), o.sel, c.rep)
	if err != nil {
		return usageError{err}
	}
	var total int64
	for _, f := range files {
		total += f.Size
	}
	c.rep.Infof("%d assets selected (%s), hashed with SHA-256", len(files), s3step.Size(total))
	r, err := s3step.Sync(ctx, s3step.SyncOptions{Store: st, Files: files, Git: info, Delete: del, DryRun: dry,
		Concurrency: conc, Log: c.rep, Now: c.env.Now})
	if err != nil {
		return err
	}
	verb := "uploaded"
	if dry {
		verb = "would upload"
	}
	c.rep.Infof("%s %d, skipped %d unchanged, deleted %d, %s", verb, len(r.Uploaded), len(r.Skipped), len(r.Deleted), s3step.Size(r.Bytes))
	if len(r.Unchanged) > 0 {
		c.rep.Infof("%d assets are gone from the repository but kept in the bucket (set --delete to hide them): %s", len(r.Unchanged), strings.Join(s3FirstN(r.Unchanged, 10), ", "))
	}
	switch {
	case dry:
		c.rep.Infof("would write manifest %s", r.ManifestKey)
	case r.ManifestCreated:
		c.rep.Noticef("release %s: manifest %s (version %s)", r.Name, r.ManifestKey, r.ManifestVersionID)
	default:
		c.rep.Infof("release %s: the same manifest is already at %s", r.Name, r.ManifestKey)
	}
	c.output("release", r.Name)
	c.output("uploaded", strconv.Itoa(len(r.Uploaded)))
	c.output("skipped", strconv.Itoa(len(r.Skipped)))
	c.output("deleted", strconv.Itoa(len(r.Deleted)))
	c.output("bytes", strconv.FormatInt(r.Bytes, 10))
	c.output("manifest-key", r.ManifestKey)
	c.output("manifest-version-id", r.ManifestVersionID)
	c.summary = s3SyncSummary(r, info)
	return nil
}

func s3OrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func s3FirstN(l []string, n int) []string {
	if len(l) > n {
		return append(append([]string{}, l[:n]...), fmt.Sprintf("and %d more", len(l)-n))
	}
	return l
}

func s3SyncSummary(r *s3step.SyncResult, g s3step.GitInfo) string {
	var b strings.Builder
	title := "synced"
	if r.DryRun {
		title = "would sync (dry run)"
	}
	fmt.Fprintf(&b, "## relman s3 sync: %s release `%s`\n\n", title, mdCode(r.Name))
	fmt.Fprintf(&b, "Commit `%s`. Uploaded %d, skipped %d unchanged, deleted %d; %s uploaded.\n\n",
		mdCode(g.Commit), len(r.Uploaded), len(r.Skipped), len(r.Deleted), s3step.Size(r.Bytes))
	if r.ManifestVersionID != "" {
		fmt.Fprintf(&b, "Manifest `%s`, version `%s`.\n\n", mdCode(r.ManifestKey), mdCode(r.ManifestVersionID))
	}
	list := func(title string, l []string) {
		if len(l) == 0 {
			return
		}
		fmt.Fprintf(&b, "| %s |\n|---|\n", title)
		for _, p := range s3FirstN(l, 50) {
			fmt.Fprintf(&b, "| %s |\n", mdText(p))
		}
		b.WriteString("\n")
	}
	list("Uploaded", r.Uploaded)
	list("Deleted", r.Deleted)
	return b.String()
}

func s3StatusRun(ctx context.Context, c *job, o *s3Options) error {
	st, conc, err := s3Store(ctx, c, o)
	if err != nil {
		return err
	}
	var files []s3step.File
	if tag := o.tag; tag != "" {
		repo, err := gitrepo.Open(c.common.repo)
		if err != nil {
			return usageError{err}
		}
		defer repo.Close()
		files, err = s3step.GitTree(ctx, repo, tag, o.sel, c.rep)
		if err != nil {
			return usageError{err}
		}
		c.rep.Infof("comparing the files committed at %s", tag)
	} else {
		dir := c.common.repo
		if repo, err := gitrepo.Open(dir); err == nil {
			dir = repo.Dir()
			repo.Close()
		}
		files, err = s3step.WorkTree(ctx, dir, o.sel, c.rep)
		if err != nil {
			return usageError{err}
		}
	}
	r, err := s3step.Status(ctx, s3step.StatusOptions{Store: st, Files: files, Concurrency: conc})
	if err != nil {
		return err
	}
	for _, p := range r.Changed {
		c.rep.Infof("changed: %s", p)
	}
	for _, p := range r.Missing {
		c.rep.Infof("missing: %s", p)
	}
	for _, p := range r.Extra {
		c.rep.Infof("extra:   %s", p)
	}
	if r.Clean() {
		c.rep.Infof("in sync: %d assets", len(r.InSync))
	} else {
		c.rep.Infof("out of sync: %d changed, %d missing, %d extra, %d in sync", len(r.Changed), len(r.Missing), len(r.Extra), len(r.InSync))
	}
	detail, _ := json.Marshal(map[string][]string{"changed": s3NonNil(r.Changed), "missing": s3NonNil(r.Missing), "extra": s3NonNil(r.Extra)})
	c.output("in-sync", strconv.FormatBool(r.Clean()))
	c.output("changed", strconv.Itoa(len(r.Changed)))
	c.output("missing", strconv.Itoa(len(r.Missing)))
	c.output("extra", strconv.Itoa(len(r.Extra)))
	c.output("status", string(detail))
	var b strings.Builder
	fmt.Fprintf(&b, "## relman s3 status: %s\n\n| | assets |\n|---|---|\n| in sync | %d |\n| changed | %d |\n| missing | %d |\n| extra | %d |\n",
		map[bool]string{true: "in sync", false: "out of sync"}[r.Clean()], len(r.InSync), len(r.Changed), len(r.Missing), len(r.Extra))
	c.summary = b.String()
	return nil
}

func s3NonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
