package s3step

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relman-dev/relman/internal/s3store"
)

// SyncOptions configures Sync.
type SyncOptions struct {
	Store *s3store.Store
	// Files are the selected assets (WorkTree).
	Files []File
	Git   GitInfo
	// Name is the release (the manifest's name); GitInfo.Name() when empty.
	Name string
	// Delete hides assets that are gone from the selection behind delete
	// markers. Without it they are left as they are.
	Delete      bool
	DryRun      bool
	Concurrency int
	Log         Logger
	// Progress, when set, is called after each upload or deletion.
	Progress func(Progress)
	Now      func() time.Time
}

// Progress is how far a sync is.
type Progress struct {
	Done, Total int
	Bytes       int64
	Path        string
}

// SyncResult is what a sync did (or, in a dry run, would do).
type SyncResult struct {
	Name     string
	Uploaded []string
	Skipped  []string
	Deleted  []string
	Bytes    int64 // uploaded
	// Unchanged lists the assets gone from the selection that were left in
	// place (no --delete).
	Unchanged         []string
	ManifestKey       string
	ManifestVersionID string
	ManifestCreated   bool
	DryRun            bool
}

// smallFile is the size up to which a file is read into memory for upload,
// so that its content is checked against the hash it was chosen by.
const smallFile = 16 << 20

// Sync uploads the assets whose content differs from the newest version in
// the bucket, optionally hides the removed ones, and then writes the
// release's manifest with a create-only write.
func Sync(ctx context.Context, o SyncOptions) (*SyncResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	name := o.Name
	if name == "" {
		name = o.Git.Name()
	}
	if err := s3store.CheckName(name); err != nil {
		return nil, err
	}
	st := o.Store
	if err := st.CheckVersioning(ctx); err != nil {
		return nil, err
	}
	res := &SyncResult{Name: name, DryRun: o.DryRun}
	res.ManifestKey, _ = st.ManifestKey(name)

	want := map[string]bool{}
	for _, f := range o.Files {
		if _, err := st.Key(f.Path); err != nil {
			return nil, err
		}
		want[f.Path] = true
	}
	// A manifest already there must describe the same content; find out
	// before uploading anything.
	existing, err := st.ReadManifest(ctx, name)
	switch {
	case err == nil:
		if !existing.SameRelease(planned(st, name, o.Git, o.Files)) {
			return nil, fmt.Errorf("release %s: %w at s3://%s/%s (%s): a release's manifest is never replaced: tag a new release, or pass --tag NAME for another name",
				name, s3store.ErrManifestDiffers, st.Bucket(), res.ManifestKey, joinLines(existing.Differences(planned(st, name, o.Git, o.Files))))
		}
	case !s3store.IsNotFound(err):
		return nil, err
	}

	remote, err := remoteState(ctx, st, want, o.Concurrency)
	if err != nil {
		return nil, err
	}
	var uploads []File
	for _, f := range o.Files {
		r := remote[f.Path]
		if r != nil && !r.DeleteMarker && r.SHA256 == f.SHA256 && r.Size == f.Size {
			res.Skipped = append(res.Skipped, f.Path)
			continue
		}
		uploads = append(uploads, f)
		res.Bytes += f.Size
	}
	var gone []string
	for p, r := range remote {
		if !want[p] && !r.DeleteMarker {
			gone = append(gone, p)
		}
	}
	slices.Sort(gone)
	if !o.Delete {
		res.Unchanged = gone
		gone = nil
	}
	for _, f := range uploads {
		res.Uploaded = append(res.Uploaded, f.Path)
	}
	res.Deleted = gone
	if o.DryRun {
		for _, f := range uploads {
			o.Log.Infof("would upload %s (%s)", f.Path, Size(f.Size))
		}
		for _, p := range gone {
			o.Log.Infof("would delete %s (a delete marker; its versions stay)", p)
		}
		return res, nil
	}

	total := len(uploads) + len(gone)
	var done atomic.Int64
	var sent atomic.Int64
	versions := map[string]string{}
	var mu sync.Mutex
	verbose := total <= 100
	lastReport := time.Now()
	report := func(p string, n int64) {
		d := int(done.Add(1))
		b := sent.Add(n)
		if o.Progress != nil {
			o.Progress(Progress{Done: d, Total: total, Bytes: b, Path: p})
		}
		mu.Lock()
		defer mu.Unlock()
		if !verbose && (time.Since(lastReport) > 2*time.Second || d == total) {
			lastReport = time.Now()
			o.Log.Infof("progress: %d/%d written, %s", d, total, Size(b))
		}
	}
	meta := func(f File) s3store.Meta {
		return s3store.Meta{Commit: o.Git.Commit, Ref: o.Git.Ref, Tag: o.Git.Tag, SHA256: f.SHA256, SourcePath: f.Path}
	}
	err = forEach(ctx, max(o.Concurrency, 1), uploads, func(ctx context.Context, f File) error {
		body, closeBody, err := openForUpload(f)
		if err != nil {
			return err
		}
		defer closeBody()
		v, err := st.Put(ctx, s3store.Upload{Path: f.Path, Body: body, Size: f.Size, Meta: meta(f)})
		if err != nil {
			return err
		}
		mu.Lock()
		versions[f.Path] = v
		mu.Unlock()
		if verbose {
			o.Log.Infof("uploaded %s (%s)", f.Path, Size(f.Size))
		}
		report(f.Path, f.Size)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w (no manifest was written; re-run the sync to finish: what is already uploaded is skipped)", err)
	}
	err = forEach(ctx, max(o.Concurrency, 1), gone, func(ctx context.Context, p string) error {
		if _, err := st.Delete(ctx, p); err != nil {
			return err
		}
		o.Log.Infof("deleted %s (a delete marker; its versions stay)", p)
		report(p, 0)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w (no manifest was written; re-run the sync to finish)", err)
	}

	m := planned(st, name, o.Git, o.Files)
	m.Created = o.Now().UTC()
	for k, e := range m.Assets {
		if v, ok := versions[e.Path]; ok {
			e.VersionID = v
		} else {
			e.VersionID = remote[e.Path].VersionID
		}
		m.Assets[k] = e
	}
	if existing != nil {
		// Same content already recorded: keep the recorded versions.
		res.ManifestCreated = false
		res.ManifestVersionID = existing.VersionID
		return res, nil
	}
	w, err := st.WriteManifest(ctx, m)
	if err != nil {
		return nil, err
	}
	res.ManifestKey, res.ManifestVersionID, res.ManifestCreated = w.Key, w.VersionID, w.Created
	return res, nil
}

// planned is the manifest the files make, without version ids.
func planned(st *s3store.Store, name string, g GitInfo, files []File) *s3store.Manifest {
	m := &s3store.Manifest{Format: s3store.ManifestFormat, Name: name, GitCommit: g.Commit, GitRef: g.Ref, GitTag: g.Tag,
		Assets: make(map[string]s3store.Entry, len(files))}
	for _, f := range files {
		k, _ := st.Key(f.Path)
		m.Assets[k] = s3store.Entry{Path: f.Path, SHA256: f.SHA256, Size: f.Size}
	}
	return m
}

// openForUpload returns the body to upload: small files are read into
// memory and checked against the hash they were chosen by, so that the
// sha256 metadata always matches the content.
func openForUpload(f File) (io.Reader, func(), error) {
	if f.Size <= smallFile {
		r, err := f.open()
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", f.Path, err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, nil, fmt.Errorf("%s changed while relman was syncing: re-run the sync", f.Path)
		}
		return bytes.NewReader(b), func() {}, nil
	}
	if f.local == "" {
		return nil, nil, errors.New(f.Path + ": not a file on disk")
	}
	fh, err := os.Open(f.local)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	fi, err := fh.Stat()
	if err != nil || fi.Size() != f.Size {
		fh.Close()
		return nil, nil, fmt.Errorf("%s changed while relman was syncing: re-run the sync", f.Path)
	}
	return fh, func() { fh.Close() }, nil
}

func joinLines(l []string) string {
	var b bytes.Buffer
	for i, s := range l {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s)
	}
	return b.String()
}
