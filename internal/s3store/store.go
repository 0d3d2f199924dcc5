// Package s3store is relman's S3 client for release assets: a versioned
// bucket, a key prefix, asset objects carrying git metadata, and one
// immutable JSON manifest per release under <prefix>/.relman/releases/.
// It works with AWS (standard credential chain, OIDC web identity) and with
// S3-compatible servers (an endpoint, path-style addressing, checksums only
// when required).
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Errors callers can test with errors.Is.
var (
	ErrNoBucket          = errors.New("bucket does not exist")
	ErrVersioning        = errors.New("bucket versioning is not enabled")
	ErrCredentials       = errors.New("S3 credentials refused")
	ErrAccessDenied      = errors.New("S3 access denied")
	ErrUnreachable       = errors.New("S3 endpoint unreachable")
	ErrNotFound          = errors.New("object not found")
	ErrBadKey            = errors.New("key outside the prefix")
	ErrManifestDiffers   = errors.New("a different manifest already exists for this release")
	ErrPreconditionState = errors.New("conditional write conflict")
)

// Metadata keys written on every asset version (x-amz-meta-*). Values are
// percent-encoded (url.PathEscape) so that any path or ref fits in an HTTP
// header; Meta decodes them.
const (
	MetaCommit     = "git-commit"
	MetaRef        = "git-ref"
	MetaTag        = "git-tag"
	MetaSHA256     = "sha256"
	MetaSourcePath = "source-path"
	MetaRollbackOf = "rollback-of"
)

// Options configures a Store.
type Options struct {
	Bucket string
	// Prefix is the key prefix of every asset, without slashes at either
	// end ("" for the bucket root). See CleanPrefix.
	Prefix string
	// Endpoint is an S3-compatible server's URL; it turns on path-style
	// addressing and checksums only when required.
	Endpoint string
	Region   string
	// SSE is the server-side encryption of every object written: "",
	// "AES256" or "aws:kms" (with SSEKMSKeyID, or the bucket's default key).
	SSE         string
	SSEKMSKeyID string
	// Concurrency bounds parallel requests of one transfer (multipart parts)
	// and sizes the connection pool.
	Concurrency int
	// MultipartThreshold is the size from which uploads go multipart
	// (default 16 MiB); PartSize the size of a part (default 8 MiB).
	MultipartThreshold int64
	PartSize           int64
	// CopyThreshold is the size from which a copy (rollback) goes
	// multipart with UploadPartCopy (default and maximum 5 GiB, the largest
	// single CopyObject S3 accepts); CopyPartSize the size of a copied part
	// (default 512 MiB, raised so that no copy needs over 10,000 parts).
	CopyThreshold int64
	CopyPartSize  int64
	// Credentials overrides the standard chain (tests, OIDC).
	Credentials aws.CredentialsProvider
	// MaxAttempts of each request (default 5).
	MaxAttempts int
	// RoleARN, with WebIdentityToken, assumes a role with an OIDC token
	// (GitHub Actions, GitLab ID tokens). Without a token function the
	// standard chain applies (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE).
	RoleARN          string
	RoleSessionName  string
	WebIdentityToken TokenFunc
}

// Store is one bucket and prefix.
type Store struct {
	opts     Options
	prefix   string
	s3       *s3.Client
	tm       *transfermanager.Client
	endpoint string
}

// New builds a Store from the standard AWS configuration (environment,
// shared files, web identity token file, container and instance roles).
func New(ctx context.Context, opts Options) (*Store, error) {
	if opts.Bucket == "" {
		return nil, errors.New("no bucket: set --bucket (RELMAN_BUCKET)")
	}
	prefix, err := CleanPrefix(opts.Prefix)
	if err != nil {
		return nil, err
	}
	switch opts.SSE {
	case "", "AES256", "aws:kms":
	default:
		return nil, fmt.Errorf("sse: unknown value %q: expected AES256 or aws:kms", opts.SSE)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 16
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 4 * opts.Concurrency
		tr.MaxIdleConnsPerHost = 4 * opts.Concurrency
	})
	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = 5 * time.Second
			})
		}),
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	if opts.Credentials != nil {
		loadOpts = append(loadOpts, config.WithCredentialsProvider(opts.Credentials))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if opts.Endpoint == "" {
			return nil, errors.New("no AWS region: set --region (RELMAN_REGION) or AWS_REGION")
		}
		cfg.Region = "us-east-1"
	}
	if opts.RoleARN != "" && opts.WebIdentityToken != nil && opts.Credentials == nil {
		cfg.Credentials = webIdentity(ctx, cfg, opts.RoleARN, opts.RoleSessionName, opts.WebIdentityToken)
	}
	endpoint := opts.Endpoint
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("endpoint %q: expected a URL such as https://s3.example.com or http://127.0.0.1:9000", endpoint)
		}
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	tm := transfermanager.New(client, func(o *transfermanager.Options) {
		o.Concurrency = min(opts.Concurrency, 8)
		if opts.MultipartThreshold > 0 {
			o.MultipartUploadThreshold = opts.MultipartThreshold
		}
		if opts.PartSize > 0 {
			o.PartSizeBytes = opts.PartSize
		}
		if endpoint != "" {
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		}
	})
	if endpoint == "" {
		endpoint = "AWS S3 (" + cfg.Region + ")"
	}
	opts.Prefix = prefix
	return &Store{opts: opts, prefix: prefix, s3: client, tm: tm, endpoint: endpoint}, nil
}

// Bucket is the bucket's name.
func (s *Store) Bucket() string { return s.opts.Bucket }

// Prefix is the cleaned key prefix ("" for the bucket root).
func (s *Store) Prefix() string { return s.prefix }

// Client exposes the S3 client (tests and tools).
func (s *Store) Client() *s3.Client { return s.s3 }

// CleanPrefix checks a key prefix: slashes at either end are dropped; empty
// segments, "." and ".." are refused so that no key escapes the prefix.
func CleanPrefix(p string) (string, error) {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".", "..":
			return "", fmt.Errorf("prefix %q: %q segments are not allowed (keys must stay under the prefix): use a plain path such as releases/myapp", p, seg)
		}
		if seg == ".relman" {
			return "", fmt.Errorf("prefix %q: .relman is relman's own directory: choose another prefix", p)
		}
	}
	if strings.ContainsAny(p, "\\\x00") {
		return "", fmt.Errorf("prefix %q: backslashes and NUL are not allowed", p)
	}
	return p, nil
}

// CleanPath checks an asset path (slash-separated, relative to the
// repository) and returns it cleaned.
func CleanPath(p string) (string, error) {
	p = strings.TrimPrefix(strings.ReplaceAll(p, "\\", "/"), "./")
	if p == "" || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("asset %q: %w: expected a path relative to the repository", p, ErrBadKey)
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".", "..":
			return "", fmt.Errorf("asset %q: %w: %q segments are not allowed", p, ErrBadKey, seg)
		case ".git":
			return "", fmt.Errorf("asset %q: refusing to touch .git/: git's own files are never release assets", p)
		}
	}
	return p, nil
}

// Key is the object key of an asset path.
func (s *Store) Key(path string) (string, error) {
	p, err := CleanPath(path)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(p, ".relman/") {
		return "", fmt.Errorf("asset %q: .relman/ holds relman's manifests, not assets", p)
	}
	if s.prefix == "" {
		return p, nil
	}
	return s.prefix + "/" + p, nil
}

// PathOf is the asset path of a key under the prefix; ok is false for keys
// outside the prefix and for relman's own manifests.
func (s *Store) PathOf(key string) (string, bool) {
	rest := key
	if s.prefix != "" {
		var found bool
		rest, found = strings.CutPrefix(key, s.prefix+"/")
		if !found {
			return "", false
		}
	}
	if strings.HasPrefix(rest, ".relman/") {
		return "", false
	}
	if _, err := CleanPath(rest); err != nil {
		return "", false
	}
	return rest, true
}

// CheckKey refuses a key that is not an asset under the prefix.
func (s *Store) CheckKey(key string) error {
	if _, ok := s.PathOf(key); !ok {
		return fmt.Errorf("key %q: %w %q: refusing to touch it", key, ErrBadKey, s.prefix)
	}
	return nil
}

// Versioning returns the bucket's versioning status: "Enabled",
// "Suspended" or "" (never enabled).
func (s *Store) Versioning(ctx context.Context) (string, error) {
	out, err := s.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &s.opts.Bucket})
	if err != nil {
		return "", s.wrap(err, "read the versioning of bucket "+s.opts.Bucket)
	}
	return string(out.Status), nil
}

// EnableVersioning turns versioning on.
func (s *Store) EnableVersioning(ctx context.Context) error {
	_, err := s.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  &s.opts.Bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		return s.wrap(err, "enable versioning on bucket "+s.opts.Bucket)
	}
	return nil
}

// CheckVersioning fails unless the bucket's versioning is Enabled.
func (s *Store) CheckVersioning(ctx context.Context) error {
	st, err := s.Versioning(ctx)
	if err != nil {
		return err
	}
	if st != string(types.BucketVersioningStatusEnabled) {
		if st == "" {
			st = "never enabled"
		}
		return fmt.Errorf("bucket %s: %w (it is %s): relman keeps every release's assets as object versions, so it needs versioning Enabled: run relman s3 versioning --bucket %s", s.opts.Bucket, ErrVersioning, st, s.opts.Bucket)
	}
	return nil
}

// wrap turns SDK errors into errors that say what was found and the fix.
// Credentials never appear: the SDK's errors carry none.
func (s *Store) wrap(err error, doing string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("%s: %w: no bucket %q at %s: create it, or check --bucket, --region and --endpoint", doing, ErrNoBucket, s.opts.Bucket, s.endpoint)
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId", "AuthorizationHeaderMalformed":
			return fmt.Errorf("%s: %w by %s (%s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the profile, or the role relman assumes", doing, ErrCredentials, s.endpoint, ae.ErrorCode())
		case "AccessDenied", "Forbidden":
			return fmt.Errorf("%s: %w (%s): the credentials work but lack a permission on bucket %s (s3:GetBucketVersioning, s3:ListBucketVersions, s3:GetObject, s3:GetObjectVersion, s3:PutObject)", doing, ErrAccessDenied, ae.ErrorCode(), s.opts.Bucket)
		case "NoSuchKey", "NotFound", "NoSuchVersion":
			return fmt.Errorf("%s: %w", doing, ErrNotFound)
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%s: %w (%s)", doing, ErrPreconditionState, ae.ErrorCode())
		}
		return fmt.Errorf("%s: %w", doing, err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%s: %w: %s: %v (check --endpoint and the network; re-running resumes)", doing, ErrUnreachable, s.endpoint, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// sseParams is the server-side encryption of objects written.
func (s *Store) sseParams() (types.ServerSideEncryption, *string) {
	if s.opts.SSE == "" {
		return "", nil
	}
	var kms *string
	if s.opts.SSE == "aws:kms" && s.opts.SSEKMSKeyID != "" {
		kms = aws.String(s.opts.SSEKMSKeyID)
	}
	return types.ServerSideEncryption(s.opts.SSE), kms
}
