package cli

import (
	"context"
	"io"
	"net/url"
	"strings"

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
