package gitrepo

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Range is the result of a walk: the commits reachable from a tip and not
// from the excluded commits (git's "exclude..tip").
type Range struct {
	// Commits, newest first by committer time.
	Commits []*object.Commit
	// FirstParent is the tip's first-parent chain inside the range: the
	// commits that were made on (or landed directly on) the branch.
	FirstParent []*object.Commit
}

// Contains reports whether h is in the range.
func (rg *Range) Contains(h plumbing.Hash) bool {
	return slices.ContainsFunc(rg.Commits, func(c *object.Commit) bool { return c.Hash == h })
}

type walkItem struct {
	c             *object.Commit
	uninteresting bool
}

type walkQueue []*walkItem

func (q walkQueue) Len() int { return len(q) }
func (q walkQueue) Less(i, j int) bool {
	ti, tj := q[i].c.Committer.When, q[j].c.Committer.When
	if !ti.Equal(tj) {
		return ti.After(tj)
	}
	// On equal dates, walk the excluded side first so that it marks shared
	// commits before they are taken as new.
	return q[i].uninteresting && !q[j].uninteresting
}
func (q walkQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *walkQueue) Push(x any)   { *q = append(*q, x.(*walkItem)) }
func (q *walkQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// Walk returns the commits reachable from tip and not from any of exclude.
// It walks only what the answer needs: both sides together by committer
// date, stopping once every commit left to visit is excluded and older than
// the oldest new commit found (so clock skew between them cannot leak an
// old commit into the range). A shallow boundary inside the range is
// reported as ErrShallow.
func (r *Repo) Walk(ctx context.Context, tip plumbing.Hash, exclude ...plumbing.Hash) (*Range, error) {
	picked, state, err := r.walk(ctx, []plumbing.Hash{tip}, exclude)
	if err != nil {
		return nil, err
	}
	rg := &Range{}
	for _, it := range picked {
		if !it.uninteresting {
			rg.Commits = append(rg.Commits, it.c)
		}
	}
	for h := tip; ; {
		it, ok := state[h]
		if !ok || it.uninteresting {
			break
		}
		rg.FirstParent = append(rg.FirstParent, it.c)
		if it.c.NumParents() == 0 {
			break
		}
		h = it.c.ParentHashes[0]
	}
	return rg, nil
}

// walk is Walk for several tips: it returns the commits taken as new, in
// the order taken (some may have been marked excluded after they were
// taken: callers skip those), and the state of every commit read.
func (r *Repo) walk(ctx context.Context, tips, exclude []plumbing.Hash) ([]*walkItem, map[plumbing.Hash]*walkItem, error) {
	shallow := map[plumbing.Hash]bool{}
	if s, err := r.storage.Shallow(); err == nil {
		for _, h := range s {
			shallow[h] = true
		}
	}
	state := map[plumbing.Hash]*walkItem{}
	var q walkQueue
	push := func(h plumbing.Hash, uninteresting bool) error {
		if it, ok := state[h]; ok {
			if uninteresting && !it.uninteresting {
				r.markUninteresting(it, state)
			}
			return nil
		}
		c, err := r.Commit(h)
		if err != nil {
			if shallow[h] || len(shallow) > 0 {
				return fmt.Errorf("%w: commit %s is not in the clone", ErrShallow, h)
			}
			return err
		}
		it := &walkItem{c: c, uninteresting: uninteresting}
		state[h] = it
		heap.Push(&q, it)
		return nil
	}
	for _, h := range exclude {
		if err := push(h, true); err != nil {
			return nil, nil, err
		}
	}
	for _, tip := range tips {
		if err := push(tip, false); err != nil {
			return nil, nil, err
		}
	}

	var picked []*walkItem
	var oldest *object.Commit
	for q.Len() > 0 {
		if err := ctxErr(ctx); err != nil {
			return nil, nil, err
		}
		if countInteresting(q) == 0 {
			// Only excluded commits are left: keep going only while they
			// are not older than the oldest commit taken as new.
			top := q[0]
			if oldest == nil || top.c.Committer.When.Before(oldest.Committer.When) {
				break
			}
		}
		it := heap.Pop(&q).(*walkItem)
		if !it.uninteresting {
			picked = append(picked, it)
			if oldest == nil || it.c.Committer.When.Before(oldest.Committer.When) {
				oldest = it.c
			}
			if shallow[it.c.Hash] {
				return nil, nil, fmt.Errorf("%w: history stops at %s, before the previous release", ErrShallow, it.c.Hash)
			}
		}
		for _, p := range it.c.ParentHashes {
			if err := push(p, it.uninteresting); err != nil {
				if it.uninteresting && errors.Is(err, ErrShallow) {
					// The excluded side may end in a shallow boundary; the
					// answer does not need what lies behind it.
					continue
				}
				return nil, nil, err
			}
		}
	}
	return picked, state, nil
}

func countInteresting(q walkQueue) int {
	n := 0
	for _, it := range q {
		if !it.uninteresting {
			n++
		}
	}
	return n
}

// markUninteresting marks it and every ancestor already seen as excluded.
func (r *Repo) markUninteresting(it *walkItem, state map[plumbing.Hash]*walkItem) {
	stack := []*walkItem{it}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if cur.uninteresting && cur != it {
			continue
		}
		cur.uninteresting = true
		for _, p := range cur.c.ParentHashes {
			if pi, ok := state[p]; ok && !pi.uninteresting {
				stack = append(stack, pi)
			}
		}
	}
}
