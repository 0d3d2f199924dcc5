package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/s3step"
	"github.com/relman-dev/relman/internal/s3store"
)

// relman s3 versions, diff and rollback: an asset's or a release's history
// in the bucket.

func s3AssetSetting(c *job, a string, required bool) (string, error) {
	if a == "" {
		if required {
			return "", usagef("no ASSET: pass the file's path in the repository, e.g. relman s3 %s config/app.yaml", s3SubName(c))
		}
		return "", nil
	}
	p, err := s3store.CleanPath(a)
	if err != nil {
		return "", usageError{err}
	}
	return p, nil
}

// s3SubName is the subcommand's name, read from its synopsis.
func s3SubName(c *job) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(c.synopsis, "relman s3 "), ":")
	name, _, _ = strings.Cut(name, " ")
	return name
}

func s3VersionsRun(ctx context.Context, c *job, o *s3Options) error {
	asset, err := s3AssetSetting(c, o.asset, true)
	if err != nil {
		return err
	}
	st, conc, err := s3Store(ctx, c, o)
	if err != nil {
		return err
	}
	vs, err := s3step.Versions(ctx, s3step.VersionsOptions{Store: st, Asset: asset, Concurrency: conc})
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## relman s3 versions `%s`\n\n| Version | Date | Size | Commit | Tag | |\n|---|---|---|---|---|---|\n", mdCode(asset))
	for _, v := range vs {
		mark := ""
		if v.Latest {
			mark = "latest"
		}
		if v.DeleteMarker {
			mark = strings.TrimSpace(mark + " deleted")
		}
		if v.RollbackOf != "" {
			mark = strings.TrimSpace(mark + " rollback of " + v.RollbackOf)
		}
		c.rep.Infof("%s  %s  %10s  %s  %s  %s", v.VersionID, v.Date, s3step.Size(v.Size), s3Short(v.Commit), cmp.Or(v.Tag, "-"), mark)
		fmt.Fprintf(&b, "| `%s` | %s | %d | `%s` | %s | %s |\n", mdCode(v.VersionID), v.Date, v.Size, s3Short(v.Commit), mdText(v.Tag), mdText(mark))
	}
	j, _ := json.Marshal(vs)
	c.output("count", strconv.Itoa(len(vs)))
	c.output("latest-version-id", vs[0].VersionID)
	c.output("versions", string(j))
	c.summary = b.String()
	return nil
}

func s3Short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func s3DiffRun(ctx context.Context, c *job, o *s3Options) error {
	asset, err := s3AssetSetting(c, o.asset, false)
	if err != nil {
		return err
	}
	fromRel, toRel := o.fromRelease, o.toRelease
	from, to := o.from, o.to
	switch {
	case fromRel != "" || toRel != "":
		if fromRel == "" || toRel == "" || asset != "" || from != "" || to != "" {
			return usagef("diff of two releases: set --from-release and --to-release only (or ASSET with --from and --to)")
		}
	case asset == "":
		return usagef("diff: pass ASSET --from V [--to V], or --from-release T1 --to-release T2")
	case from == "":
		return usagef("diff %s: set --from (a version id or a release tag)", asset)
	}
	st, _, err := s3Store(ctx, c, o)
	if err != nil {
		return err
	}
	r, err := s3step.Diff(ctx, s3step.DiffOptions{Store: st, Asset: asset, From: from, To: to, FromRelease: fromRel, ToRelease: toRel})
	if err != nil {
		return err
	}
	c.output("identical", strconv.FormatBool(r.Identical))
	var b strings.Builder
	if fromRel != "" {
		for _, p := range r.Added {
			c.rep.Infof("added:   %s", p)
		}
		for _, p := range r.Removed {
			c.rep.Infof("removed: %s", p)
		}
		for _, p := range r.Changed {
			c.rep.Infof("changed: %s", p)
		}
		c.rep.Infof("%s → %s: %d added, %d removed, %d changed", fromRel, toRel, len(r.Added), len(r.Removed), len(r.Changed))
		j, _ := json.Marshal(map[string][]string{"added": s3NonNil(r.Added), "removed": s3NonNil(r.Removed), "changed": s3NonNil(r.Changed)})
		c.output("added", strconv.Itoa(len(r.Added)))
		c.output("removed", strconv.Itoa(len(r.Removed)))
		c.output("changed", strconv.Itoa(len(r.Changed)))
		c.output("diff", string(j))
		fmt.Fprintf(&b, "## relman s3 diff `%s` → `%s`\n\n%d added, %d removed, %d changed.\n", mdCode(fromRel), mdCode(toRel), len(r.Added), len(r.Removed), len(r.Changed))
		c.summary = b.String()
		return nil
	}
	text := r.Text
	switch {
	case r.Identical:
		c.rep.Infof("%s: %s and %s are identical (sha256 %s)", asset, r.FromVersion, r.ToVersion, r.FromSHA256)
	case r.Binary:
		text = fmt.Sprintf("binary %s differs:\n  %s: %d bytes, sha256 %s\n  %s: %d bytes, sha256 %s\n", asset, r.FromVersion, r.FromSize, r.FromSHA256, r.ToVersion, r.ToSize, r.ToSHA256)
		c.rep.Infof("%s", strings.TrimSpace(text))
	default:
		logDiff(c.rep, text)
	}
	c.output("diff", text)
	fmt.Fprintf(&b, "## relman s3 diff `%s`\n\n", mdCode(asset))
	if text != "" {
		fmt.Fprintf(&b, "````diff\n%s````\n", strings.ReplaceAll(text, "````", "` ` ` `"))
	} else {
		b.WriteString("Identical.\n")
	}
	c.summary = b.String()
	return nil
}

// logDiff logs a unified diff. Its lines are the asset's own: like any
// untrusted text they go through the reporter, so that none can act as a
// runner command (" ::error::", "::add-mask::", a GitLab section marker) or
// a terminal escape.
func logDiff(rep *ci.Reporter, text string) {
	if text = strings.TrimSuffix(text, "\n"); text != "" {
		rep.Infof("%s", text)
	}
}

func s3RollbackRun(ctx context.Context, c *job, o *s3Options) error {
	asset, err := s3AssetSetting(c, o.asset, false)
	if err != nil {
		return err
	}
	dry, del := c.common.dryRun, o.delete
	release, to := o.release, o.to
	switch {
	case release != "" && (asset != "" || to != ""):
		return usagef("rollback: pass either ASSET --to VERSION_ID|TAG, or --release TAG")
	case release == "" && asset == "":
		return usagef("rollback: pass ASSET --to VERSION_ID|TAG, or --release TAG")
	case asset != "" && to == "":
		return usagef("rollback %s: set --to (a version id or a release tag)", asset)
	case asset != "" && del:
		return usagef("rollback: --delete goes with --release")
	}
	st, conc, err := s3Store(ctx, c, o)
	if err != nil {
		return err
	}
	r, err := s3step.Rollback(ctx, s3step.RollbackOptions{Store: st, Asset: asset, To: to, Release: release, Delete: del,
		DryRun: dry, Concurrency: conc, Log: c.rep, Now: c.env.Now})
	if err != nil {
		return err
	}
	switch {
	case dry:
		c.rep.Infof("would copy %d forward, %d already there, delete %d", len(r.Copied), len(r.Unchanged), len(r.Deleted))
	case r.ManifestCreated:
		c.rep.Noticef("rolled back to %s: copied %d forward, %d already there, deleted %d; manifest %s", r.RollbackOf, len(r.Copied), len(r.Unchanged), len(r.Deleted), r.ManifestKey)
	default:
		c.rep.Infof("already rolled back to %s: manifest %s", r.RollbackOf, r.ManifestKey)
	}
	c.output("release", r.Name)
	c.output("rollback-of", r.RollbackOf)
	c.output("copied", strconv.Itoa(len(r.Copied)))
	c.output("unchanged", strconv.Itoa(len(r.Unchanged)))
	c.output("deleted", strconv.Itoa(len(r.Deleted)))
	c.output("manifest-key", r.ManifestKey)
	c.output("manifest-version-id", r.ManifestVersionID)
	c.summary = fmt.Sprintf("## relman s3 rollback to `%s`\n\nCopied %d old versions forward, %d already current, deleted %d. Manifest `%s`.\n",
		mdCode(r.RollbackOf), len(r.Copied), len(r.Unchanged), len(r.Deleted), mdCode(r.ManifestKey))
	return nil
}
