package gitrepo

import (
	"container/heap"
	"context"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// IsAncestor reports whether a is reachable from b (a == b included).
//
// It paints down from both commits at once, newest first, as git's
// merge-base search does: b's side looks for a, and stops at commits that
// a's side reached (a's ancestors cannot lead back to a). The answer is
// exact whatever the commit dates (relman's own commits may be dated
// before their parents); the dates only order the work, which ends at the
// merge base instead of the root.
func (r *Repo) IsAncestor(ctx context.Context, a, b plumbing.Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	const fromA, fromB = 1, 2
	color := map[plumbing.Hash]uint8{}
	queued := map[plumbing.Hash]bool{}
	var q paintQueue
	bOnly := 0 // queued commits reached from b and not from a
	paint := func(h plumbing.Hash, col uint8) (bool, error) {
		was := color[h]
		now := was | col
		if now == was {
			return false, nil
		}
		if h == a && now&fromB != 0 {
			return true, nil
		}
		color[h] = now
		if queued[h] {
			if was == fromB {
				bOnly--
			}
			return false, nil
		}
		c, err := r.Commit(h)
		if err != nil {
			return false, err
		}
		queued[h] = true
		if now == fromB {
			bOnly++
		}
		heap.Push(&q, c)
		return false, nil
	}
	if _, err := paint(a, fromA); err != nil {
		return false, err
	}
	if found, err := paint(b, fromB); err != nil || found {
		return found, err
	}
	for bOnly > 0 {
		if err := ctxErr(ctx); err != nil {
			return false, err
		}
		c := heap.Pop(&q).(*object.Commit)
		delete(queued, c.Hash)
		col := color[c.Hash]
		if col == fromB {
			bOnly--
		}
		for _, p := range c.ParentHashes {
			found, err := paint(p, col)
			if err != nil {
				return false, err
			}
			if found {
				return true, nil
			}
		}
	}
	return false, nil
}

// paintQueue orders commits newest first by committer date.
type paintQueue []*object.Commit

func (q paintQueue) Len() int           { return len(q) }
func (q paintQueue) Less(i, j int) bool { return q[i].Committer.When.After(q[j].Committer.When) }
func (q paintQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *paintQueue) Push(x any)        { *q = append(*q, x.(*object.Commit)) }
func (q *paintQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}
