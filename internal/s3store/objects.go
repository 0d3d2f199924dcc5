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
	"sync"
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
//
// size is the old version's size: from CopyThreshold (5 GiB, the most one
// CopyObject takes) the copy is a multipart upload of UploadPartCopy parts,
// aborted on failure so that no part is left behind.
func (s *Store) Copy(ctx context.Context, assetPath, fromVersion string, size int64, meta Meta) (string, error) {
	key, err := s.Key(assetPath)
	if err != nil {
		return "", err
	}
	src := s.opts.Bucket + "/" + escapeKey(key) + "?versionId=" + url.QueryEscape(fromVersion)
	if size > s.copyThreshold() {
		return s.copyParts(ctx, key, assetPath, src, fromVersion, size, meta)
	}
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

const (
	maxCopySize     = 5 << 30 // the largest object one CopyObject copies
	defaultCopyPart = 512 << 20
	maxParts        = 10000
)

func (s *Store) copyThreshold() int64 {
	if t := s.opts.CopyThreshold; t > 0 && t < maxCopySize {
		return t
	}
	return maxCopySize
}

// copyPartSize is the part size of a multipart copy of size bytes.
func (s *Store) copyPartSize(size int64) int64 {
	ps := s.opts.CopyPartSize
	if ps <= 0 {
		ps = defaultCopyPart
	}
	if least := (size + maxParts - 1) / maxParts; ps < least {
		ps = least
	}
	return min(ps, maxCopySize)
}

// copyParts copies src (size bytes) to key as a multipart upload whose parts
// are UploadPartCopy ranges, Concurrency at a time.
func (s *Store) copyParts(ctx context.Context, key, assetPath, src, fromVersion string, size int64, meta Meta) (string, error) {
	doing := "copy " + key + " version " + fromVersion + " forward in parts"
	enc, kms := s.sseParams()
	up, err := s.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.opts.Bucket, Key: &key, Metadata: meta.encode(),
		ContentType: aws.String(contentType(assetPath)), ServerSideEncryption: enc, SSEKMSKeyId: kms,
	})
	if err != nil {
		return "", s.wrap(err, doing)
	}
	partSize := s.copyPartSize(size)
	parts := make([]types.CompletedPart, (size+partSize-1)/partSize)
	conc := max(1, s.opts.Concurrency)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		sem      = make(chan struct{}, conc)
	)
	var num int32 // the part number; copyPartSize keeps it within 10,000
	for start := int64(0); start < size && pctx.Err() == nil; start += partSize {
		num++
		pn, end := num, min(start+partSize, size)-1
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, err := s.s3.UploadPartCopy(pctx, &s3.UploadPartCopyInput{
				Bucket: &s.opts.Bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(pn),
				CopySource: &src, CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end)),
			})
			if err != nil {
				once.Do(func() { firstErr = s.wrap(err, fmt.Sprintf("%s: part %d of %d", doing, pn, len(parts))); cancel() })
				return
			}
			var etag *string
			if out.CopyPartResult != nil {
				etag = out.CopyPartResult.ETag
			}
			parts[pn-1] = types.CompletedPart{ETag: etag, PartNumber: aws.Int32(pn)}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		out, err := s.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &s.opts.Bucket, Key: &key, UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		if err == nil {
			return aws.ToString(out.VersionId), nil
		}
		firstErr = s.wrap(err, doing)
	}
	// Abort with a context of its own: a cancelled run must not leave the
	// copied parts stored (and billed) in the bucket.
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer acancel()
	if _, err := s.s3.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &s.opts.Bucket, Key: &key, UploadId: up.UploadId}); err != nil {
		return "", fmt.Errorf("%w (aborting multipart upload %s of %s also failed: %v; a bucket lifecycle rule AbortIncompleteMultipartUpload removes such parts)",
			firstErr, aws.ToString(up.UploadId), key, err)
	}
	return "", firstErr
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
