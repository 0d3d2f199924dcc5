package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/s3step"
	"github.com/relman-dev/relman/internal/s3store"
)

// takeAsset removes the one positional ASSET from args, wherever it is
// among the flags.
func takeAsset(env Env, st *stepDef, args []string) ([]string, string, error) {
	probe := newSettings(st.name, env.Getenv, io.Discard)
	probe.addBool("dry-run", "")
	st.define(probe)
	var out []string
	asset := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) && asset == "" {
				asset = args[i+1]
				out = append(out, args[i+2:]...)
			}
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			out = append(out, a)
			n := strings.TrimLeft(a, "-")
			if strings.Contains(n, "=") {
				continue
			}
			if st, ok := probe.byName[n]; ok && st.isBool {
				if i+1 < len(args) && switchWord(args[i+1]) {
					i++
					out = append(out, args[i]) // --delete true: the switch's value
				}
				continue
			}
			if n == "h" || n == "help" {
				continue
			}
			if i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		if asset != "" {
			return nil, "", usagef("unexpected argument %q: one ASSET only", a)
		}
		asset = a
	}
	return out, asset, nil
}

// s3Options are the settings of the s3 subcommands, bound at parse time;
// each subcommand binds the ones it has.
type s3Options struct {
	bucket, prefix, endpoint, region string
	concurrency                      int
	roleARN, webIdentityToken        string
	oidcAudience                     string
	sse, sseKMSKeyID                 string
	sel                              s3step.Selection
	delete                           bool
	tag, asset                       string
	from, to, fromRelease, toRelease string
	release                          string
}

// s3Command binds the settings every s3 subcommand shares, then its own,
// and runs run with them.
func s3Command(s *settings, synopsis string, more func(o *s3Options), run func(context.Context, *job, *s3Options) error) (string, step) {
	o := &s3Options{}
	s.add("bucket", "", "the S3 bucket (versioning must be Enabled)").to(&o.bucket)
	s.add("prefix", "", "key prefix of the assets, e.g. releases/myapp (no ../)").to(&o.prefix)
	s.add("endpoint", "", "S3-compatible endpoint URL (MinIO, Ceph, R2...): path-style addressing, checksums only when required", "AWS_ENDPOINT_URL_S3").to(&o.endpoint)
	s.add("region", "", "AWS region (default: AWS_REGION or the profile; us-east-1 with --endpoint)").to(&o.region)
	s.addNumber("concurrency", "16", "parallel requests", checkConcurrency).toInt(&o.concurrency)
	s.add("role-arn", "", "IAM role to assume with the CI's OIDC token (GitHub: permissions id-token: write; GitLab: id_tokens)").to(&o.roleARN)
	s.add("web-identity-token", "", "OIDC token for --role-arn (GitLab: an id_tokens variable); default on GitHub: requested from the runner", "AWS_ID_TOKEN").to(&o.webIdentityToken)
	s.add("oidc-audience", "sts.amazonaws.com", "audience of the OIDC token requested on GitHub").to(&o.oidcAudience)
	// Without an sse setting (status uploads nothing) explicitly listed
	// .env files are compared.
	o.sel.Encrypted = true
	more(o)
	return synopsis, func(ctx context.Context, c *job) error { return run(ctx, c, o) }
}

func (o *s3Options) selection(s *settings) {
	s.add("include", strings.Join(s3step.DefaultInclude, ","), "assets to sync: globs separated by commas or newlines (** any directories; no slash: any depth; dir/: everything under)").toFunc(func(v string) error {
		o.sel.Include = s3List(v)
		return nil
	})
	s.add("exclude", strings.Join(s3step.DefaultExclude, ","), "globs left out").toFunc(func(v string) error {
		o.sel.Exclude = s3List(v)
		return nil
	})
}

func (o *s3Options) encryption(s *settings) {
	s.addEnum("sse", "", "server-side encryption of every object written: AES256 or aws:kms (required for .env files)", []string{"", "AES256", "aws:kms"}).toFunc(func(v string) error {
		o.sse, o.sel.Encrypted = v, v != ""
		return nil
	})
	s.add("sse-kms-key-id", "", "KMS key for --sse aws:kms (default: the bucket's key)").to(&o.sseKMSKeyID)
}

func s3VersioningCommand(s *settings) (string, step) {
	return s3Command(s, "relman s3 versioning: enable versioning on the bucket (idempotent) and report its state", func(*s3Options) {}, s3VersioningRun)
}

func s3SyncCommand(s *settings) (string, step) {
	return s3Command(s, "relman s3 sync: upload the assets whose content changed, with git metadata, then write the release's manifest", func(o *s3Options) {
		o.selection(s)
		o.encryption(s)
		s.addBool("delete", "hide assets removed from the repository behind delete markers (their versions stay)").toBool(&o.delete)
		s.add("tag", "", "release name of the manifest and git-tag metadata (default: the release tag on the commit, else the commit)").to(&o.tag)
	}, s3SyncRun)
}

func s3StatusCommand(s *settings) (string, step) {
	return s3Command(s, "relman s3 status: compare the work tree (or --tag) with the newest objects: in sync, changed, missing, extra", func(o *s3Options) {
		o.selection(s)
		s.add("tag", "", "compare the files committed at this tag (or any revision) instead of the work tree").to(&o.tag)
	}, s3StatusRun)
}

func s3VersionsCommand(s *settings) (string, step) {
	return s3Command(s, "relman s3 versions ASSET: an asset's versions with ids, dates, sizes and git commit/tag", func(o *s3Options) {
		s.add("asset", "", "the asset: the file's path in the repository (or the ASSET argument)").to(&o.asset)
	}, s3VersionsRun)
}

func s3DiffCommand(s *settings) (string, step) {
	return s3Command(s, "relman s3 diff: two versions of an asset (unified diff for text, size and hash for binary), or two releases (added, removed, changed)", func(o *s3Options) {
		s.add("asset", "", "the asset: the file's path in the repository (or the ASSET argument)").to(&o.asset)
		s.add("from", "", "the older version: a version id or a release tag").to(&o.from)
		s.add("to", "", "the newer version: a version id or a release tag (default: the newest)").to(&o.to)
		s.add("from-release", "", "compare two releases: the older release").to(&o.fromRelease)
		s.add("to-release", "", "compare two releases: the newer release").to(&o.toRelease)
	}, s3DiffRun)
}

func s3RollbackCommand(s *settings) (string, step) {
	return s3Command(s, "relman s3 rollback: copy old versions forward as the newest (history is kept) and write a manifest marked rollback-of", func(o *s3Options) {
		o.encryption(s)
		s.add("asset", "", "the asset to roll back: the file's path in the repository (or the ASSET argument)").to(&o.asset)
		s.add("to", "", "the version to restore ASSET to: a version id or a release tag").to(&o.to)
		s.add("release", "", "restore every asset of this release").to(&o.release)
		s.addBool("delete", "with --release: hide assets that are not in the release behind delete markers").toBool(&o.delete)
	}, s3RollbackRun)
}

// s3Store builds the store from the settings. s3store.New checks the
// bucket, prefix and encryption; here are the checks that need the
// runner: credentials in the endpoint URL are masked and refused, and the
// OIDC token of a role comes from the setting or the runner.
func s3Store(ctx context.Context, c *job, o *s3Options) (*s3store.Store, int, error) {
	s := c.s
	conc := o.concurrency // checked as the settings were parsed: 1 to 256
	bucket := o.bucket
	opts := s3store.Options{Bucket: bucket, Prefix: o.prefix, Endpoint: o.endpoint, Region: o.region,
		Concurrency: conc, RoleARN: o.roleARN, RoleSessionName: "relman", SSE: o.sse, SSEKMSKeyID: o.sseKMSKeyID}
	if u, err := url.Parse(opts.Endpoint); err == nil && u.User != nil {
		// S3 signs requests with the access key; credentials in the URL
		// are not used, and would reach the log and the SDK's errors.
		pass, _ := u.User.Password()
		c.rep.Mask(pass)
		c.rep.Mask(u.User.Username())
		return nil, 0, usagef("%s %s: holds credentials (user info), which S3 does not use and relman would log: remove them from the URL, and give the keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a role)", s.named("endpoint"), gitrepo.RedactURL(opts.Endpoint))
	}
	if opts.RoleARN != "" {
		switch tok := o.webIdentityToken; {
		case tok != "":
			c.rep.Mask(tok)
			opts.WebIdentityToken = s3store.StaticToken(tok)
		case c.ci.GitHub.IDTokenRequestURL != "" && c.ci.GitHub.IDTokenRequestToken != "":
			gh := c.ci.GitHub
			c.rep.Mask(gh.IDTokenRequestToken)
			opts.WebIdentityToken = s3store.GitHubToken(gh.IDTokenRequestURL, gh.IDTokenRequestToken, o.oidcAudience, nil)
		case c.env.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
			// The standard chain reads the token file.
		default:
			return nil, 0, usagef("role-arn needs an OIDC token: on GitHub give the job permissions: id-token: write; on GitLab add id_tokens: AWS_ID_TOKEN: aud: sts.amazonaws.com (or set --web-identity-token)")
		}
	}
	st, err := s3store.New(ctx, opts)
	if err != nil {
		return nil, 0, usageError{err}
	}
	where := "s3://" + bucket + "/" + st.Prefix()
	if opts.Endpoint != "" {
		where += " at " + opts.Endpoint
	}
	c.rep.Infof("bucket %s", where)
	return st, conc, nil
}

func s3SplitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
}

// s3List is an include or exclude list: never nil, so that an empty
// setting selects nothing rather than the defaults.
func s3List(v string) []string {
	if l := s3SplitList(v); l != nil {
		return l
	}
	return []string{}
}

// s3Git opens the repository and describes the checked-out commit.
func s3Git(c *job, o *s3Options) (*gitrepo.Repo, s3step.GitInfo, error) {
	repo, err := gitrepo.Open(c.common.repo)
	if err != nil {
		return nil, s3step.GitInfo{}, usageError{err}
	}
	_, checkedOut, err := repo.Head()
	if err != nil {
		repo.Close()
		return nil, s3step.GitInfo{}, err
	}
	opts := s3step.DescribeOptions{Tag: o.tag}
	switch {
	case c.ci.Tag != "":
		opts.Ref = "refs/tags/" + c.ci.Tag
		if opts.Tag == "" {
			opts.Tag = c.ci.Tag
		}
	default:
		if b := resolveBranch(c.common.branch, c.ci, checkedOut); b != "" {
			opts.Ref = "refs/heads/" + b
		}
	}
	info, err := s3step.Describe(repo, opts)
	if err != nil {
		repo.Close()
		return nil, info, usageError{err}
	}
	return repo, info, nil
}

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
