package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Meta is the git metadata of one asset version.
type Meta struct {
	Commit     string
	Ref        string
	Tag        string
	SHA256     string
	SourcePath string
	RollbackOf string
}

func (m Meta) encode() map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{
		MetaCommit: m.Commit, MetaRef: m.Ref, MetaTag: m.Tag, MetaSHA256: m.SHA256,
		MetaSourcePath: m.SourcePath, MetaRollbackOf: m.RollbackOf,
	} {
		if v != "" {
			out[k] = url.PathEscape(v)
		}
	}
	return out
}

func decodeMeta(md map[string]string) Meta {
	get := func(k string) string {
		v := md[k]
		if v == "" {
			// Some servers capitalise metadata keys.
			for mk, mv := range md {
				if strings.EqualFold(mk, k) {
					v = mv
				}
			}
		}
		if d, err := url.PathUnescape(v); err == nil {
			return d
		}
		return v
	}
	return Meta{Commit: get(MetaCommit), Ref: get(MetaRef), Tag: get(MetaTag), SHA256: get(MetaSHA256),
		SourcePath: get(MetaSourcePath), RollbackOf: get(MetaRollbackOf)}
}

// Object is the newest version of one asset key.
type Object struct {
	Key          string
	Path         string // the asset path under the prefix
	VersionID    string
	ETag         string
	Size         int64
	LastModified time.Time
	DeleteMarker bool // the newest version is a delete marker: the asset is gone
}

// Latest lists the newest version of every asset key under the prefix
// (relman's manifests excluded), by asset path.
func (s *Store) Latest(ctx context.Context) (map[string]Object, error) {
	out := map[string]Object{}
	err := s.listVersions(ctx, s.keyPrefix(), func(v Version, key string) {
		if !v.IsLatest {
			return
		}
		p, ok := s.PathOf(key)
		if !ok {
			return
		}
		out[p] = Object{Key: key, Path: p, VersionID: v.VersionID, ETag: v.ETag, Size: v.Size,
			LastModified: v.LastModified, DeleteMarker: v.DeleteMarker}
	})
	return out, err
}

func (s *Store) keyPrefix() string {
	if s.prefix == "" {
		return ""
	}
	return s.prefix + "/"
}

// Version is one version of an asset, or one of its delete markers.
type Version struct {
	VersionID    string
	Size         int64
	ETag         string
	LastModified time.Time
	IsLatest     bool
	DeleteMarker bool
	Meta         Meta // only filled by Head
}

func (s *Store) listVersions(ctx context.Context, prefix string, each func(Version, string)) error {
	p := s3.NewListObjectVersionsPaginator(s.s3, &s3.ListObjectVersionsInput{Bucket: &s.opts.Bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.wrap(err, fmt.Sprintf("list object versions in s3://%s/%s", s.opts.Bucket, prefix))
		}
		for _, v := range page.Versions {
			each(Version{VersionID: aws.ToString(v.VersionId), Size: aws.ToInt64(v.Size), ETag: strings.Trim(aws.ToString(v.ETag), `"`),
				LastModified: aws.ToTime(v.LastModified), IsLatest: aws.ToBool(v.IsLatest)}, aws.ToString(v.Key))
		}
		for _, d := range page.DeleteMarkers {
			each(Version{VersionID: aws.ToString(d.VersionId), LastModified: aws.ToTime(d.LastModified),
				IsLatest: aws.ToBool(d.IsLatest), DeleteMarker: true}, aws.ToString(d.Key))
		}
	}
	return nil
}

// Versions lists every version and delete marker of one asset, newest
// first.
func (s *Store) Versions(ctx context.Context, assetPath string) ([]Version, error) {
	key, err := s.Key(assetPath)
	if err != nil {
		return nil, err
	}
	var out []Version
	err = s.listVersions(ctx, key, func(v Version, k string) {
		if k == key {
			out = append(out, v)
		}
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].IsLatest != out[j].IsLatest {
			return out[i].IsLatest
		}
		return out[i].LastModified.After(out[j].LastModified)
	})
	return out, nil
}

// Head reads one version of an asset ("" for the newest), with its
// metadata. ErrNotFound when there is none.
func (s *Store) Head(ctx context.Context, assetPath, versionID string) (Version, error) {
	key, err := s.Key(assetPath)
	if err != nil {
		return Version{}, err
	}
	in := &s3.HeadObjectInput{Bucket: &s.opts.Bucket, Key: &key}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := s.s3.HeadObject(ctx, in)
	if err != nil {
		what := "read " + key
		if versionID != "" {
			what += " version " + versionID
		}
		return Version{}, s.wrap(err, what)
	}
	return Version{VersionID: aws.ToString(out.VersionId), Size: aws.ToInt64(out.ContentLength),
		ETag: strings.Trim(aws.ToString(out.ETag), `"`), LastModified: aws.ToTime(out.LastModified),
		Meta: decodeMeta(out.Metadata)}, nil
}

// Open reads one version of an asset ("" for the newest).
func (s *Store) Open(ctx context.Context, assetPath, versionID string) (io.ReadCloser, error) {
	key, err := s.Key(assetPath)
	if err != nil {
		return nil, err
	}
	return s.openKey(ctx, key, versionID)
}

func (s *Store) openKey(ctx context.Context, key, versionID string) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: &s.opts.Bucket, Key: &key}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := s.s3.GetObject(ctx, in)
	if err != nil {
		what := "download " + key
		if versionID != "" {
			what += " version " + versionID
		}
		return nil, s.wrap(err, what)
	}
	return out.Body, nil
}

// Upload is one asset to write.
type Upload struct {
	Path string    // the asset path
	Body io.Reader // an *os.File or *bytes.Reader (seekable: multipart and retries need it)
	Size int64
	Meta Meta
}

// Put uploads an asset (multipart from Options.MultipartThreshold) and
// returns the new version's id.
func (s *Store) Put(ctx context.Context, u Upload) (string, error) {
	key, err := s.Key(u.Path)
	if err != nil {
		return "", err
	}
	enc, kms := s.sseParams()
	out, err := s.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: &s.opts.Bucket, Key: &key, Body: u.Body, ContentLength: aws.Int64(u.Size),
		ContentType: aws.String(contentType(u.Path)), Metadata: u.Meta.encode(),
		ServerSideEncryption: tmtypes.ServerSideEncryption(enc), SSEKMSKeyID: kms,
	})
	if err != nil {
		return "", s.wrap(err, "upload "+key)
	}
	return aws.ToString(out.VersionID), nil
}

func contentType(p string) string {
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Copy copies an old version of an asset forward as its newest version,
// with the given metadata, and returns the new version's id. History is
// never deleted.
func (s *Store) Copy(ctx context.Context, assetPath, fromVersion string, meta Meta) (string, error) {
	key, err := s.Key(assetPath)
	if err != nil {
		return "", err
	}
	src := s.opts.Bucket + "/" + escapeKey(key) + "?versionId=" + url.QueryEscape(fromVersion)
	enc, kms := s.sseParams()
	out, err := s.s3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &s.opts.Bucket, Key: &key, CopySource: &src,
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: meta.encode(),
		ContentType: aws.String(contentType(assetPath)), ServerSideEncryption: enc, SSEKMSKeyId: kms,
	})
	if err != nil {
		return "", s.wrap(err, "copy "+key+" version "+fromVersion+" forward")
	}
	return aws.ToString(out.VersionId), nil
}

func escapeKey(k string) string {
	parts := strings.Split(k, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// Delete hides an asset behind a delete marker (its versions stay) and
// returns the marker's version id.
func (s *Store) Delete(ctx context.Context, assetPath string) (string, error) {
	key, err := s.Key(assetPath)
	if err != nil {
		return "", err
	}
	out, err := s.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.opts.Bucket, Key: &key})
	if err != nil {
		return "", s.wrap(err, "delete "+key)
	}
	return aws.ToString(out.VersionId), nil
}

// putCreateOnly writes key only if no current version exists
// (If-None-Match: *). It fails with ErrPreconditionState when one does.
func (s *Store) putCreateOnly(ctx context.Context, key string, body []byte) (string, error) {
	enc, kms := s.sseParams()
	out, err := s.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.opts.Bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
		ContentType: aws.String("application/json"), IfNoneMatch: aws.String("*"),
		ServerSideEncryption: enc, SSEKMSKeyId: kms,
	})
	if err != nil {
		return "", s.wrap(err, "write "+key)
	}
	return aws.ToString(out.VersionId), nil
}

// IsNotFound reports whether err says an object or version does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
