// Package s3step holds the s3 commands' logic: sync a repository's
// non-code assets to a versioned bucket by content, report their status,
// list an asset's history, diff versions or releases, and roll back by
// copying old versions forward. The S3 access itself is in s3store.
package s3step

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/s3store"
	"github.com/relman-dev/relman/internal/version"
)

// GitInfo is what the synced commit is, for metadata and the manifest name.
type GitInfo struct {
	Commit string
	Ref    string // e.g. refs/heads/main
	Tag    string // the release tag on the commit, if any
}

// Name is the release's manifest name: the tag, else the commit.
func (g GitInfo) Name() string {
	if g.Tag != "" {
		return g.Tag
	}
	return g.Commit
}

// DescribeOptions says how to describe the checked-out commit.
type DescribeOptions struct {
	// Tag forces the release name and git-tag (--tag).
	Tag string
	// Ref is the ref the commit was checked out from (refs/heads/BRANCH
	// or refs/tags/TAG); empty means the checked-out branch.
	Ref string
}

// Describe reads HEAD's commit and the release tag on it: when several tags
// point at it, the highest version wins, then the last name.
func Describe(repo *gitrepo.Repo, opts DescribeOptions) (GitInfo, error) {
	head, branch, err := repo.Head()
	if err != nil {
		return GitInfo{}, err
	}
	g := GitInfo{Commit: head.String(), Ref: opts.Ref, Tag: opts.Tag}
	if g.Ref == "" && branch != "" {
		g.Ref = "refs/heads/" + branch
	}
	if g.Tag == "" {
		tags, err := repo.Tags()
		if err != nil {
			return g, err
		}
		var on []string
		for _, t := range tags {
			p, err := repo.Peel(t)
			if err != nil {
				continue
			}
			if p.Commit == head {
				on = append(on, t.Name)
			}
		}
		slices.SortFunc(on, func(a, b string) int {
			va, oka := version.ParseTag(a, "")
			vb, okb := version.ParseTag(b, "")
			switch {
			case oka && okb && !va.Equal(vb):
				return va.Compare(vb)
			case oka != okb:
				if oka {
					return 1
				}
				return -1
			}
			return strings.Compare(a, b)
		})
		if len(on) > 0 {
			g.Tag = on[len(on)-1]
		}
	}
	if g.Ref == "" && g.Tag != "" {
		g.Ref = "refs/tags/" + g.Tag
	}
	if err := s3store.CheckName(g.Name()); err != nil {
		return g, fmt.Errorf("release name: %w: pass --tag NAME", err)
	}
	return g, nil
}

// remoteAsset is the newest version of an asset with its content hash.
type remoteAsset struct {
	s3store.Object
	SHA256 string // "" when unknown (not written by relman)
}

// remoteState reads the newest version of every asset and, for the paths
// in want, its SHA-256: from the newest manifests when they name that very
// version (version ids never change content), else from the object's
// metadata.
func remoteState(ctx context.Context, st *s3store.Store, want map[string]bool, conc int) (map[string]*remoteAsset, error) {
	latest, err := st.Latest(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]string{} // key + "\x00" + version id → sha256
	infos, err := st.Manifests(ctx)
	if err != nil {
		return nil, err
	}
	for i := len(infos) - 1; i >= 0 && i >= len(infos)-2; i-- {
		m, err := st.ReadManifest(ctx, infos[i].Name)
		if err != nil {
			return nil, err
		}
		for k, e := range m.Assets {
			known[k+"\x00"+e.VersionID] = e.SHA256
		}
	}
	out := map[string]*remoteAsset{}
	var heads []*remoteAsset
	for p, o := range latest {
		a := &remoteAsset{Object: o}
		out[p] = a
		if o.DeleteMarker || !want[p] {
			continue
		}
		if sha, ok := known[o.Key+"\x00"+o.VersionID]; ok {
			a.SHA256 = sha
			continue
		}
		heads = append(heads, a)
	}
	err = forEach(ctx, conc, heads, func(ctx context.Context, a *remoteAsset) error {
		v, err := st.Head(ctx, a.Path, a.VersionID)
		if err != nil {
			return err
		}
		a.SHA256 = v.Meta.SHA256
		return nil
	})
	return out, err
}

// forEach runs fn on every item with at most conc at a time and stops at
// the first error.
func forEach[T any](ctx context.Context, conc int, items []T, fn func(context.Context, T) error) error {
	if conc < 1 {
		conc = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan T)
	for range min(conc, len(items)) {
		wg.Go(func() {
			for it := range work {
				if ctx.Err() != nil {
					continue
				}
				if err := fn(ctx, it); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		work <- it
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// Size formats a byte count.
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
