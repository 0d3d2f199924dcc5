package s3step

import (
	"context"

	"github.com/relman-dev/relman/internal/s3store"
)

// VersioningOptions configures EnableVersioning.
type VersioningOptions struct {
	Store  *s3store.Store
	DryRun bool
}

// VersioningResult is the bucket's versioning before and after.
type VersioningResult struct {
	Previous string // "Enabled", "Suspended" or "" (never enabled)
	Status   string
	Changed  bool
}

// EnableVersioning turns versioning on unless it already is (idempotent).
func EnableVersioning(ctx context.Context, o VersioningOptions) (*VersioningResult, error) {
	prev, err := o.Store.Versioning(ctx)
	if err != nil {
		return nil, err
	}
	res := &VersioningResult{Previous: prev, Status: prev}
	if prev == "Enabled" {
		return res, nil
	}
	res.Changed = true
	if o.DryRun {
		return res, nil
	}
	if err := o.Store.EnableVersioning(ctx); err != nil {
		return nil, err
	}
	now, err := o.Store.Versioning(ctx)
	if err != nil {
		return nil, err
	}
	res.Status = now
	return res, nil
}
