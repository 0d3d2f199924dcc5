package s3step

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/relman-dev/relman/internal/s3store"
)

// RollbackOptions configures Rollback: either Asset and To (a version id or
// a release name), or Release.
type RollbackOptions struct {
	Store *s3store.Store
	Asset string
	To    string
	// Release rolls every asset back to that release's manifest.
	Release string
	// Delete hides assets that are not in the release (release rollback).
	Delete      bool
	DryRun      bool
	Concurrency int
	Log         Logger
	Now         func() time.Time
}

// RollbackResult is what a rollback did (or would do).
type RollbackResult struct {
	Name              string // the manifest written
	RollbackOf        string
	Copied            []string
	Unchanged         []string
	Deleted           []string
	ManifestKey       string
	ManifestVersionID string
	ManifestCreated   bool
	DryRun            bool
}

// Rollback copies old versions forward as the newest versions (history is
// never deleted), then writes a manifest marked rollback-of. It is
// resumable: assets whose newest version already has the target content
// are left alone, and the manifest's name is derived from the resulting
// versions, so a re-run after a failure writes exactly one manifest and a
// re-run after success changes nothing.
func Rollback(ctx context.Context, o RollbackOptions) (*RollbackResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	st := o.Store
	if err := st.CheckVersioning(ctx); err != nil {
		return nil, err
	}
	type target struct {
		path    string
		version string
		entry   s3store.Entry
	}
	var (
		targets []target
		base    = &s3store.Manifest{}
		of      string
	)
	switch {
	case o.Release != "" && o.Asset != "":
		return nil, errors.New("rollback: set either ASSET with --to, or --release, not both")
	case o.Release != "":
		m, err := st.ReadManifest(ctx, o.Release)
		if err != nil {
			return nil, err
		}
		base = m
		of = m.Name
		for _, e := range m.Assets {
			targets = append(targets, target{path: e.Path, version: e.VersionID, entry: e})
		}
	case o.Asset != "":
		if o.To == "" {
			return nil, errors.New("rollback: set --to VERSION_ID or a release tag")
		}
		v, rel, err := resolveVersion(ctx, st, o.Asset, o.To)
		if err != nil {
			return nil, err
		}
		h, err := st.Head(ctx, o.Asset, v)
		if err != nil {
			if s3store.IsNotFound(err) {
				return nil, fmt.Errorf("asset %s has no version %q: %w (relman s3 versions %s lists them)", o.Asset, o.To, err, o.Asset)
			}
			return nil, err
		}
		if h.Meta.SHA256 == "" {
			return nil, fmt.Errorf("asset %s version %s has no sha256 metadata: it was not uploaded by relman", o.Asset, v)
		}
		of = o.Asset + "@" + v
		if rel != "" {
			of = o.Asset + "@" + rel
		}
		base.GitCommit, base.GitRef, base.GitTag = h.Meta.Commit, h.Meta.Ref, h.Meta.Tag
		targets = append(targets, target{path: o.Asset, version: v, entry: s3store.Entry{Path: o.Asset, VersionID: v, SHA256: h.Meta.SHA256, Size: h.Size}})
	default:
		return nil, errors.New("rollback: set ASSET with --to VERSION_ID|TAG, or --release TAG")
	}
	slices.SortFunc(targets, func(a, b target) int { return strings.Compare(a.path, b.path) })

	want := map[string]bool{}
	for _, t := range targets {
		want[t.path] = true
	}
	remote, err := remoteState(ctx, st, want, o.Concurrency)
	if err != nil {
		return nil, err
	}
	res := &RollbackResult{RollbackOf: of, DryRun: o.DryRun}
	var copies []target
	newVersions := map[string]string{}
	for _, t := range targets {
		r := remote[t.path]
		if r != nil && !r.DeleteMarker && r.SHA256 == t.entry.SHA256 && r.Size == t.entry.Size {
			res.Unchanged = append(res.Unchanged, t.path)
			newVersions[t.path] = r.VersionID
			continue
		}
		copies = append(copies, t)
		res.Copied = append(res.Copied, t.path)
	}
	if o.Release != "" && o.Delete {
		for p, r := range remote {
			if !want[p] && !r.DeleteMarker {
				res.Deleted = append(res.Deleted, p)
			}
		}
		slices.Sort(res.Deleted)
	}
	if o.DryRun {
		for _, t := range copies {
			o.Log.Infof("would copy %s version %s forward", t.path, t.version)
		}
		for _, p := range res.Deleted {
			o.Log.Infof("would delete %s (a delete marker; its versions stay)", p)
		}
		return res, nil
	}
	var mu sync.Mutex
	err = forEach(ctx, o.Concurrency, copies, func(ctx context.Context, t target) error {
		h, err := st.Head(ctx, t.path, t.version)
		if err != nil {
			return err
		}
		meta := h.Meta
		meta.RollbackOf = of
		if meta.SHA256 == "" {
			meta.SHA256 = t.entry.SHA256
		}
		if meta.SourcePath == "" {
			meta.SourcePath = t.path
		}
		v, err := st.Copy(ctx, t.path, t.version, h.Size, meta)
		if err != nil {
			return err
		}
		o.Log.Infof("copied %s version %s forward as %s", t.path, t.version, v)
		mu.Lock()
		newVersions[t.path] = v
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w (no manifest was written; re-run the rollback to finish: assets already rolled back are skipped)", err)
	}
	err = forEach(ctx, o.Concurrency, res.Deleted, func(ctx context.Context, p string) error {
		if _, err := st.Delete(ctx, p); err != nil {
			return err
		}
		o.Log.Infof("deleted %s (a delete marker; its versions stay)", p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w (no manifest was written; re-run the rollback to finish)", err)
	}

	m := &s3store.Manifest{GitCommit: base.GitCommit, GitRef: base.GitRef, GitTag: base.GitTag, RollbackOf: of,
		Created: o.Now().UTC(), Assets: map[string]s3store.Entry{}}
	h := sha256.New()
	for _, t := range targets {
		key, err := st.Key(t.path)
		if err != nil {
			return nil, err
		}
		e := t.entry
		e.VersionID = newVersions[t.path]
		m.Assets[key] = e
		fmt.Fprintf(h, "%s\x00%s\n", key, e.VersionID)
	}
	for _, p := range res.Deleted {
		fmt.Fprintf(h, "-%s\n", p)
	}
	m.Name = "rollback-to-" + nameSafe(of) + "-" + hex.EncodeToString(h.Sum(nil))[:12]
	res.Name = m.Name
	w, err := st.WriteManifest(ctx, m)
	if err != nil {
		return nil, err
	}
	res.ManifestKey, res.ManifestVersionID, res.ManifestCreated = w.Key, w.VersionID, w.Created
	return res, nil
}

// nameSafe makes a rollback origin usable inside one manifest name.
func nameSafe(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 80 {
		out = out[:80]
	}
	return out
}
