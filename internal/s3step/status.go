package s3step

import (
	"context"
	"slices"

	"github.com/relman-dev/relman/internal/s3store"
)

// StatusOptions configures Status.
type StatusOptions struct {
	Store       *s3store.Store
	Files       []File // the work tree's or a tag's assets
	Concurrency int
}

// StatusResult compares the selected files with the newest objects.
type StatusResult struct {
	InSync  []string // same content
	Changed []string // different content
	Missing []string // in the repository, not in the bucket (or deleted)
	Extra   []string // in the bucket, not in the repository
}

// Clean reports whether nothing differs.
func (r *StatusResult) Clean() bool {
	return len(r.Changed) == 0 && len(r.Missing) == 0 && len(r.Extra) == 0
}

// Status compares the files with the newest version of each asset.
func Status(ctx context.Context, o StatusOptions) (*StatusResult, error) {
	st := o.Store
	if err := st.CheckVersioning(ctx); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range o.Files {
		if _, err := st.Key(f.Path); err != nil {
			return nil, err
		}
		want[f.Path] = true
	}
	remote, err := remoteState(ctx, st, want, o.Concurrency)
	if err != nil {
		return nil, err
	}
	res := &StatusResult{}
	for _, f := range o.Files {
		r := remote[f.Path]
		switch {
		case r == nil || r.DeleteMarker:
			res.Missing = append(res.Missing, f.Path)
		case r.SHA256 == f.SHA256 && r.Size == f.Size:
			res.InSync = append(res.InSync, f.Path)
		default:
			res.Changed = append(res.Changed, f.Path)
		}
	}
	for p, r := range remote {
		if !want[p] && !r.DeleteMarker {
			res.Extra = append(res.Extra, p)
		}
	}
	slices.Sort(res.Extra)
	return res, nil
}
