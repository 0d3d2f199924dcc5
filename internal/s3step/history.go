package s3step

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/relman-dev/relman/internal/s3store"
)

// VersionsOptions configures Versions.
type VersionsOptions struct {
	Store       *s3store.Store
	Asset       string // the file's path in the repository
	Concurrency int
}

// VersionInfo is one version of an asset.
type VersionInfo struct {
	VersionID    string `json:"version-id"`
	Date         string `json:"date"`
	Size         int64  `json:"size"`
	Latest       bool   `json:"latest"`
	DeleteMarker bool   `json:"delete-marker,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
	Commit       string `json:"git-commit,omitempty"`
	Ref          string `json:"git-ref,omitempty"`
	Tag          string `json:"git-tag,omitempty"`
	RollbackOf   string `json:"rollback-of,omitempty"`
}

// Versions lists an asset's history, newest first, with the git metadata of
// each version.
func Versions(ctx context.Context, o VersionsOptions) ([]VersionInfo, error) {
	st := o.Store
	if err := st.CheckVersioning(ctx); err != nil {
		return nil, err
	}
	vs, err := st.Versions(ctx, o.Asset)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		key, _ := st.Key(o.Asset)
		return nil, fmt.Errorf("asset %s: %w: no version of s3://%s/%s (check --prefix and the path, relative to the repository)", o.Asset, s3store.ErrNotFound, st.Bucket(), key)
	}
	out := make([]VersionInfo, len(vs))
	idx := make([]int, len(vs))
	for i, v := range vs {
		idx[i] = i
		out[i] = VersionInfo{VersionID: v.VersionID, Date: v.LastModified.UTC().Format("2006-01-02T15:04:05Z"), Size: v.Size,
			Latest: v.IsLatest, DeleteMarker: v.DeleteMarker}
	}
	err = forEach(ctx, o.Concurrency, idx, func(ctx context.Context, i int) error {
		if out[i].DeleteMarker {
			return nil
		}
		h, err := st.Head(ctx, o.Asset, out[i].VersionID)
		if err != nil {
			return err
		}
		m := h.Meta
		out[i].SHA256, out[i].Commit, out[i].Ref, out[i].Tag, out[i].RollbackOf = m.SHA256, m.Commit, m.Ref, m.Tag, m.RollbackOf
		return nil
	})
	return out, err
}

// resolveVersion turns a version id or a release name into the asset's
// version id in that release. "" is the newest version.
func resolveVersion(ctx context.Context, st *s3store.Store, asset, ref string) (versionID, release string, err error) {
	if ref == "" {
		return "", "", nil
	}
	if s3store.CheckName(ref) == nil {
		m, err := st.ReadManifest(ctx, ref)
		switch {
		case err == nil:
			key, err := st.Key(asset)
			if err != nil {
				return "", "", err
			}
			e, ok := m.Assets[key]
			if !ok {
				return "", "", fmt.Errorf("release %s has no asset %s (its manifest lists %d assets)", ref, asset, len(m.Assets))
			}
			return e.VersionID, ref, nil
		case !s3store.IsNotFound(err):
			return "", "", err
		}
	}
	return ref, "", nil
}

// DiffOptions configures Diff: either Asset with From and To (version ids
// or release names; To "" is the newest version), or FromRelease and
// ToRelease.
type DiffOptions struct {
	Store                  *s3store.Store
	Asset, From, To        string
	FromRelease, ToRelease string
	// MaxText is the largest file shown as a text diff (default 4 MiB).
	MaxText int64
}

// DiffResult is the difference between two versions or two releases.
type DiffResult struct {
	Identical bool
	// One asset:
	Text                   string // unified diff, for text
	Binary                 bool
	FromSHA256, ToSHA256   string
	FromSize, ToSize       int64
	FromVersion, ToVersion string
	// Two releases:
	Added, Removed, Changed []string
}

// Diff compares two versions of one asset or two releases' manifests.
func Diff(ctx context.Context, o DiffOptions) (*DiffResult, error) {
	st := o.Store
	if err := st.CheckVersioning(ctx); err != nil {
		return nil, err
	}
	if o.FromRelease != "" || o.ToRelease != "" {
		return diffReleases(ctx, o)
	}
	if o.MaxText == 0 {
		o.MaxText = 4 << 20
	}
	if o.From == "" {
		return nil, errors.New("diff: set --from (a version id or release) and optionally --to (default: the newest version)")
	}
	from, fromRel, err := resolveVersion(ctx, st, o.Asset, o.From)
	if err != nil {
		return nil, err
	}
	to, toRel, err := resolveVersion(ctx, st, o.Asset, o.To)
	if err != nil {
		return nil, err
	}
	a, av, err := download(ctx, st, o.Asset, from, o.MaxText)
	if err != nil {
		return nil, err
	}
	b, bv, err := download(ctx, st, o.Asset, to, o.MaxText)
	if err != nil {
		return nil, err
	}
	res := &DiffResult{FromSHA256: a.sha, ToSHA256: b.sha, FromSize: a.size, ToSize: b.size, FromVersion: av, ToVersion: bv}
	res.Identical = a.sha == b.sha
	if res.Identical {
		return res, nil
	}
	if a.text() && b.text() {
		name := func(v, rel string) string {
			if rel != "" {
				return o.Asset + "@" + rel
			}
			return o.Asset + "@" + v
		}
		res.Text = string(unifiedDiff(name(av, fromRel), a.body, name(bv, toRel), b.body))
	} else {
		res.Binary = true
	}
	return res, nil
}

type content struct {
	body []byte // nil when too large to diff as text
	sha  string
	size int64
}

func (c content) text() bool {
	return c.body != nil && utf8.Valid(c.body) && !bytes.ContainsRune(c.body, 0)
}

func download(ctx context.Context, st *s3store.Store, asset, versionID string, maxText int64) (content, string, error) {
	if versionID == "" {
		h, err := st.Head(ctx, asset, "")
		if err != nil {
			return content{}, "", err
		}
		versionID = h.VersionID
	}
	r, err := st.Open(ctx, asset, versionID)
	if err != nil {
		return content{}, "", err
	}
	defer r.Close()
	h := sha256.New()
	var buf bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &limitedBuffer{b: &buf, max: maxText}), r)
	if err != nil {
		return content{}, "", fmt.Errorf("download %s version %s: %w", asset, versionID, err)
	}
	c := content{sha: hex.EncodeToString(h.Sum(nil)), size: n}
	if n <= maxText {
		c.body = buf.Bytes()
		if c.body == nil {
			c.body = []byte{}
		}
	}
	return c, versionID, nil
}

type limitedBuffer struct {
	b   *bytes.Buffer
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(l.b.Len()) <= l.max {
		l.b.Write(p)
	}
	return len(p), nil
}

func diffReleases(ctx context.Context, o DiffOptions) (*DiffResult, error) {
	if o.FromRelease == "" || o.ToRelease == "" {
		return nil, errors.New("diff: set both --from-release and --to-release")
	}
	a, err := o.Store.ReadManifest(ctx, o.FromRelease)
	if err != nil {
		return nil, err
	}
	b, err := o.Store.ReadManifest(ctx, o.ToRelease)
	if err != nil {
		return nil, err
	}
	res := &DiffResult{}
	for k, e := range a.Assets {
		f, ok := b.Assets[k]
		switch {
		case !ok:
			res.Removed = append(res.Removed, e.Path)
		case f.SHA256 != e.SHA256:
			res.Changed = append(res.Changed, e.Path)
		}
	}
	for k, f := range b.Assets {
		if _, ok := a.Assets[k]; !ok {
			res.Added = append(res.Added, f.Path)
		}
	}
	slices.Sort(res.Added)
	slices.Sort(res.Removed)
	slices.Sort(res.Changed)
	res.Identical = len(res.Added)+len(res.Removed)+len(res.Changed) == 0
	return res, nil
}
