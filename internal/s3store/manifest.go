package s3store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ManifestFormat is the version of the manifest format written.
const ManifestFormat = 1

// ManifestDir is where manifests live under the prefix.
const ManifestDir = ".relman/releases/"

// Manifest is one release's assets: which version of each key holds the
// release's content. It is written once, after every upload succeeded, and
// never changed.
type Manifest struct {
	Format int    `json:"format"`
	Name   string `json:"name"`
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
	// GitCommit is the synced commit; GitRef the ref it was synced from;
	// GitTag the release tag on it, if any.
	GitCommit string `json:"git-commit,omitempty"`
	GitRef    string `json:"git-ref,omitempty"`
	GitTag    string `json:"git-tag,omitempty"`
	// RollbackOf is set on manifests written by a rollback: the release
	// name, or ASSET@VERSION_ID for one asset.
	RollbackOf string    `json:"rollback-of,omitempty"`
	Created    time.Time `json:"created"`
	// Assets maps each object key to its version.
	Assets map[string]Entry `json:"assets"`
	// VersionID is the manifest object's own version (set when read).
	VersionID string `json:"-"`
}

// Entry is one asset of a release.
type Entry struct {
	Path      string `json:"path"`
	VersionID string `json:"version-id"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
}

// SameRelease reports whether two manifests describe the same release: the
// same name, commit, tag, rollback origin and the same content (key,
// sha256, size) for the same keys. Creation times and version ids are not
// compared: re-uploading identical content is the same release.
func (m *Manifest) SameRelease(o *Manifest) bool {
	if m.Name != o.Name || m.GitCommit != o.GitCommit || m.GitTag != o.GitTag || m.RollbackOf != o.RollbackOf || len(m.Assets) != len(o.Assets) {
		return false
	}
	for k, e := range m.Assets {
		f, ok := o.Assets[k]
		if !ok || e.SHA256 != f.SHA256 || e.Size != f.Size || e.Path != f.Path {
			return false
		}
	}
	return true
}

// Differences lists, for an error message, how o differs from m (at most
// five lines).
func (m *Manifest) Differences(o *Manifest) []string {
	var out []string
	if m.GitCommit != o.GitCommit {
		out = append(out, fmt.Sprintf("commit %s, now %s", short(m.GitCommit), short(o.GitCommit)))
	}
	keys := map[string]bool{}
	for k := range m.Assets {
		keys[k] = true
	}
	for k := range o.Assets {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		e, inM := m.Assets[k]
		f, inO := o.Assets[k]
		switch {
		case !inO:
			out = append(out, "removed "+e.Path)
		case !inM:
			out = append(out, "added "+f.Path)
		case e.SHA256 != f.SHA256:
			out = append(out, "changed "+f.Path)
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(none)"
	}
	return h
}

// CheckName refuses a release name that cannot be a manifest file name.
func CheckName(name string) error {
	if name == "" {
		return errors.New("empty release name")
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("release name %q: %q segments are not allowed", name, seg)
		}
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("release name %q: control characters and backslashes are not allowed", name)
		}
	}
	return nil
}

// ManifestKey is the key of a release's manifest:
// <prefix>/.relman/releases/<name>.json.
func (s *Store) ManifestKey(name string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	return s.keyPrefix() + ManifestDir + name + ".json", nil
}

// ReadManifest reads a release's manifest; ErrNotFound when there is none.
// Entries whose key is outside the prefix are refused.
func (s *Store) ReadManifest(ctx context.Context, name string) (*Manifest, error) {
	key, err := s.ManifestKey(name)
	if err != nil {
		return nil, err
	}
	m, v, err := s.currentManifest(ctx, key)
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("release %q: no manifest s3://%s/%s: %w (sync the release first; relman s3 status lists what is there)", name, s.opts.Bucket, key, ErrNotFound)
		}
		return nil, err
	}
	m.VersionID = v
	return m, nil
}

func (s *Store) parseManifest(key string, b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest s3://%s/%s: %w", s.opts.Bucket, key, err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("manifest s3://%s/%s: format %d: expected %d (upgrade relman)", s.opts.Bucket, key, m.Format, ManifestFormat)
	}
	for k, e := range m.Assets {
		p, ok := s.PathOf(k)
		if !ok || p != e.Path {
			return nil, fmt.Errorf("manifest s3://%s/%s: key %q: %w %q (or its path %q does not match): refusing to use it", s.opts.Bucket, key, k, ErrBadKey, s.prefix, e.Path)
		}
	}
	if m.Assets == nil {
		m.Assets = map[string]Entry{}
	}
	return &m, nil
}

// WriteResult is where a manifest is.
type WriteResult struct {
	Key       string
	VersionID string
	Created   bool // false: the same manifest was already there
}

// WriteManifest writes a release's manifest with a create-only conditional
// write (If-None-Match: *). A manifest already there for the same release
// (see SameRelease) is a no-op; a different one is ErrManifestDiffers.
func (s *Store) WriteManifest(ctx context.Context, m *Manifest) (WriteResult, error) {
	key, err := s.ManifestKey(m.Name)
	if err != nil {
		return WriteResult{}, err
	}
	m.Format, m.Bucket, m.Prefix = ManifestFormat, s.opts.Bucket, s.prefix
	if m.Assets == nil {
		m.Assets = map[string]Entry{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return WriteResult{}, fmt.Errorf("encode manifest %s: %w", m.Name, err)
	}
	b = append(b, '\n')
	v, err := s.putCreateOnly(ctx, key, b)
	if err == nil {
		return WriteResult{Key: key, VersionID: v, Created: true}, nil
	}
	if !errors.Is(err, ErrPreconditionState) {
		return WriteResult{}, err
	}
	old, head, err := s.currentManifest(ctx, key)
	if err != nil {
		return WriteResult{}, err
	}
	if !old.SameRelease(m) {
		return WriteResult{}, fmt.Errorf("release %s: %w at s3://%s/%s (%s): a release's manifest is never replaced: tag a new release, or pass --tag NAME for another name",
			m.Name, ErrManifestDiffers, s.opts.Bucket, key, strings.Join(old.Differences(m), "; "))
	}
	return WriteResult{Key: key, VersionID: head}, nil
}

func (s *Store) currentManifest(ctx context.Context, key string) (*Manifest, string, error) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.opts.Bucket, Key: &key})
	if err != nil {
		return nil, "", s.wrap(err, "read "+key)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 256<<20))
	if err != nil {
		return nil, "", s.wrap(err, "read "+key)
	}
	m, err := s.parseManifest(key, b)
	return m, aws.ToString(out.VersionId), err
}

// ManifestInfo is one manifest in the bucket.
type ManifestInfo struct {
	Name         string
	Key          string
	LastModified time.Time
}

// Manifests lists the releases that have a manifest, oldest first.
func (s *Store) Manifests(ctx context.Context) ([]ManifestInfo, error) {
	dir := s.keyPrefix() + ManifestDir
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: &s.opts.Bucket, Prefix: aws.String(dir)})
	var out []ManifestInfo
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap(err, "list manifests in s3://"+s.opts.Bucket+"/"+dir)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			name, ok := strings.CutSuffix(strings.TrimPrefix(k, dir), ".json")
			if !ok || CheckName(name) != nil {
				continue
			}
			out = append(out, ManifestInfo{Name: name, Key: k, LastModified: aws.ToTime(o.LastModified)})
		}
	}
	slices.SortStableFunc(out, func(a, b ManifestInfo) int { return a.LastModified.Compare(b.LastModified) })
	return out, nil
}
