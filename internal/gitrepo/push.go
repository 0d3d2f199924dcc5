package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// The push is relman's own, on go-git's plumbing (the receive-pack session,
// the packfile encoder and the reference update request), because go-git's
// Remote.Push walks every object reachable from the remote's refs before it
// sends anything (go-git issues #935 and #1102): the whole history's trees,
// seconds and hundreds of MB on a real repository for a push of one tag.
// Here the cost grows with what is new:
//
//   - the new commits are those reachable from the pushed objects and not
//     from the remote's refs, found with the bounded two-sided walk that
//     Walk uses (it stops at commits the remote has);
//   - a new commit's tree is compared path by path with its parents' trees,
//     and only the entries that differ from every parent are read further
//     (git's edge rule): a subtree or blob equal to a parent's is either on
//     the remote (the parent is a boundary commit the remote has, with its
//     whole tree) or in the pack already (the parent is new).
//
// A tag on a commit the remote has sends one object; a version commit sends
// the commit and its few changed trees and blobs.

// refUpdate asks the remote to set Name to New.
type refUpdate struct {
	Name plumbing.ReferenceName
	New  plumbing.Hash
}

// errUpToDate is returned by push when the remote already holds every update.
var errUpToDate = errors.New("already up to date")

// push sends updates to remote in one receive-pack session: never forced
// (a branch update must be a fast-forward of the remote's branch as
// advertised, a tag must not exist yet), compare-and-swap (each command
// names the old value the remote advertised, so a ref that moved meanwhile
// fails the update) and all-or-nothing when atomic is set.
//
// check, when set, sees the remote's tags as this session advertises them
// (name → the object each names) before anything is sent, unless the
// remote holds every update already; its error ends the push with nothing
// sent.
func (r *Repo) push(ctx context.Context, remote string, auth Auth, atomic bool, updates []refUpdate, check func(map[string]plumbing.Hash) error) error {
	_, u, err := r.remote(remote)
	if err != nil {
		return err
	}
	ep, err := transport.NewEndpoint(u)
	if err != nil {
		return fmt.Errorf("remote %s: %w", remote, RedactError(err))
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return err
	}
	sess, err := cl.NewReceivePackSession(ep, auth.method(u))
	if err != nil {
		return err
	}
	defer func() { _ = sess.Close() }()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	remoteRefs, err := ar.AllReferences()
	if err != nil {
		return err
	}

	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	if atomic && len(updates) > 1 {
		if !ar.Capabilities.Supports(capability.Atomic) {
			return errors.New("the remote does not support atomic pushes (git's receive.advertiseAtomic), and this push must update every branch and tag of it or none")
		}
		_ = req.Capabilities.Set(capability.Atomic)
	}
	for _, up := range updates {
		old := plumbing.ZeroHash
		if ref, err := remoteRefs.Reference(up.Name); err == nil && ref.Type() == plumbing.HashReference {
			old = ref.Hash()
		}
		if old == up.New {
			continue
		}
		if !old.IsZero() {
			if up.Name.IsTag() {
				return fmt.Errorf("%s already exists on the remote, at %s", up.Name, old)
			}
			ff, err := r.IsAncestor(ctx, old, up.New)
			if err != nil {
				// The remote's branch names a commit this clone never saw.
				return fmt.Errorf("non-fast-forward update: %s (the remote is at %s, not in this clone): %w", up.Name, old, plumbing.ErrObjectNotFound)
			}
			if !ff {
				return fmt.Errorf("non-fast-forward update: %s (the remote is at %s)", up.Name, old)
			}
		}
		req.Commands = append(req.Commands, &packp.Command{Name: up.Name, Old: old, New: up.New})
	}
	if len(req.Commands) == 0 {
		return errUpToDate
	}
	if check != nil {
		tags := map[string]plumbing.Hash{}
		for name, ref := range remoteRefs {
			if name.IsTag() && ref.Type() == plumbing.HashReference {
				tags[name.Short()] = ref.Hash()
			}
		}
		if err := check(tags); err != nil {
			return err
		}
	}

	var wants []plumbing.Hash
	for _, c := range req.Commands {
		wants = append(wants, c.New)
	}
	var haves []plumbing.Hash
	iter, err := remoteRefs.IterReferences()
	if err != nil {
		return err
	}
	_ = iter.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() == plumbing.HashReference {
			haves = append(haves, ref.Hash())
		}
		return nil
	})
	objs, err := r.objectsToSend(ctx, wants, haves)
	if err != nil {
		return fmt.Errorf("list the objects to push: %w", err)
	}

	cfg, err := r.git.Storer.Config()
	if err != nil {
		return err
	}
	rd, wr := io.Pipe()
	req.Packfile = rd
	done := make(chan error, 1)
	go func() {
		enc := packfile.NewEncoder(wr, r.git.Storer, !ar.Capabilities.Supports(capability.OFSDelta))
		_, err := enc.Encode(objs, cfg.Pack.Window)
		_ = wr.CloseWithError(err) // the session reads the error, or the end of the pack
		done <- err
	}()
	rs, err := sess.ReceivePack(ctx, req)
	if err != nil {
		_ = rd.Close()
		if eerr := <-done; eerr != nil && !errors.Is(eerr, io.ErrClosedPipe) {
			return fmt.Errorf("%w (writing the pack: %w)", err, eerr)
		}
		return err
	}
	if err := <-done; err != nil {
		return fmt.Errorf("write the pack: %w", err)
	}
	if rs != nil {
		if err := rs.Error(); err != nil {
			return err
		}
	}
	r.trackPushed(remote, req.Commands)
	return nil
}

// trackPushed moves the remote-tracking refs that the remote's fetch
// refspecs map the pushed refs to, as git push does.
func (r *Repo) trackPushed(remote string, cmds []*packp.Command) {
	rem, err := r.git.Remote(remote)
	if err != nil {
		return
	}
	for _, spec := range rem.Config().Fetch {
		for _, c := range cmds {
			if spec.Match(c.Name) {
				_ = r.git.Storer.SetReference(plumbing.NewHashReference(spec.Dst(c.Name), c.New))
			}
		}
	}
}

// objectsToSend lists the objects reachable from wants and not from haves
// (the remote's ref values; those this clone does not have are skipped),
// reading only the new commits and the parts of their trees that differ
// from their parents'.
func (r *Repo) objectsToSend(ctx context.Context, wants, haves []plumbing.Hash) ([]plumbing.Hash, error) {
	send := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	add := func(h plumbing.Hash) bool {
		if send[h] {
			return false
		}
		send[h] = true
		out = append(out, h)
		return true
	}
	remoteHas := map[plumbing.Hash]bool{}
	var haveCommits []plumbing.Hash
	for _, h := range haves {
		remoteHas[h] = true
		// The step peeled its own tags already: most of the remote's.
		if c, ok := r.peeledCommit(h); ok {
			haveCommits = append(haveCommits, c)
		} else if p, err := r.Peel(Tag{Ref: h}); err == nil {
			haveCommits = append(haveCommits, p.Commit)
		}
	}
	// Tag objects (and what they name) first: only commits take part in
	// the walk.
	var tips []plumbing.Hash
	for _, h := range wants {
		for !remoteHas[h] {
			o, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
			if err != nil {
				return nil, fmt.Errorf("object %s: %w", h, err)
			}
			if o.Type() == plumbing.CommitObject {
				tips = append(tips, h)
				break
			}
			add(h)
			if o.Type() != plumbing.TagObject {
				break // a tree or blob named directly: sent as it is
			}
			t, err := object.DecodeTag(r.git.Storer, o)
			if err != nil {
				return nil, fmt.Errorf("tag %s: %w", h, err)
			}
			h = t.Target
			if t.TargetType == plumbing.TreeObject || t.TargetType == plumbing.BlobObject {
				if !remoteHas[h] {
					if err := r.addTree(ctx, h, t.TargetType, nil, add); err != nil {
						return nil, err
					}
				}
				break
			}
		}
	}
	if len(tips) == 0 {
		return out, nil
	}
	picked, state, err := r.walk(ctx, tips, haveCommits)
	if err != nil {
		return nil, err
	}
	// Oldest first, so that a commit's new parents are listed before it.
	sort.SliceStable(picked, func(i, j int) bool {
		return picked[i].c.Committer.When.Before(picked[j].c.Committer.When)
	})
	for _, it := range picked {
		if it.uninteresting {
			continue // marked after it was taken: the remote has it
		}
		c := it.c
		add(c.Hash)
		var parents []plumbing.Hash
		for _, p := range c.ParentHashes {
			if pi, ok := state[p]; ok {
				parents = append(parents, pi.c.TreeHash)
			} else if pc, err := r.git.CommitObject(p); err == nil {
				parents = append(parents, pc.TreeHash)
			}
		}
		if err := r.addTree(ctx, c.TreeHash, plumbing.TreeObject, parents, add); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addTree adds the tree h and, below it, every entry that differs from the
// entry at the same path in all of the parent trees.
func (r *Repo) addTree(ctx context.Context, h plumbing.Hash, typ plumbing.ObjectType, parents []plumbing.Hash, add func(plumbing.Hash) bool) error {
	for _, p := range parents {
		if p == h {
			return nil
		}
	}
	if !add(h) || typ != plumbing.TreeObject {
		return nil
	}
	if err := ctxErr(ctx); err != nil {
		return err
	}
	t, err := r.git.TreeObject(h)
	if err != nil {
		return fmt.Errorf("tree %s: %w", h, err)
	}
	var ptrees []*object.Tree
	for _, p := range parents {
		pt, err := r.git.TreeObject(p)
		if err != nil {
			return fmt.Errorf("tree %s: %w", p, err)
		}
		ptrees = append(ptrees, pt)
	}
	for _, e := range t.Entries {
		if e.Mode == filemode.Submodule {
			continue // a commit of another repository
		}
		var sub []plumbing.Hash
		same := false
		for _, pt := range ptrees {
			pe, err := pt.FindEntry(e.Name)
			if err != nil {
				continue
			}
			if pe.Hash == e.Hash {
				same = true
				break
			}
			if pe.Mode == filemode.Dir {
				sub = append(sub, pe.Hash)
			}
		}
		if same {
			continue
		}
		typ := plumbing.BlobObject
		if e.Mode == filemode.Dir {
			typ = plumbing.TreeObject
		}
		if err := r.addTree(ctx, e.Hash, typ, sub, add); err != nil {
			return err
		}
	}
	return nil
}
