package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Auth holds what a remote needs to accept relman's pushes. A zero Auth
// uses the remote URL as it is (local paths, file:// and ssh agents).
type Auth struct {
	// Username for HTTPS remotes: "x-access-token" on GitHub, "oauth2" on GitLab.
	Username string
	Token    string
}

func (a Auth) method(remoteURL string) transport.AuthMethod {
	if a.Token == "" || !strings.HasPrefix(remoteURL, "http") {
		return nil
	}
	user := a.Username
	if user == "" {
		user = "x-access-token"
	}
	return &http.BasicAuth{Username: user, Password: a.Token}
}

// RemoteURL returns the first URL of a remote, without credentials.
func (r *Repo) RemoteURL(remote string) (string, error) {
	rem, err := r.git.Remote(remote)
	if err != nil {
		return "", fmt.Errorf("remote %q: %w (set --remote to the name of the remote to push to)", remote, err)
	}
	urls := rem.Config().URLs
	if len(urls) == 0 {
		return "", fmt.Errorf("remote %q has no URL", remote)
	}
	return RedactURL(urls[0]), nil
}

func (r *Repo) remote(remote string) (*git.Remote, string, error) {
	rem, err := r.git.Remote(remote)
	if err != nil {
		return nil, "", fmt.Errorf("remote %q: %w (set --remote to the name of the remote to push to)", remote, err)
	}
	urls := rem.Config().URLs
	if len(urls) == 0 {
		return nil, "", fmt.Errorf("remote %q has no URL", remote)
	}
	return rem, urls[0], nil
}

// RemoteTags lists the tags on the remote (like git ls-remote --tags),
// mapped to the object each names.
func (r *Repo) RemoteTags(ctx context.Context, remote string, auth Auth) (map[string]plumbing.Hash, error) {
	rem, u, err := r.remote(remote)
	if err != nil {
		return nil, err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth.method(u), Timeout: 60})
	if err != nil {
		return nil, fmt.Errorf("list tags on remote %s: %w", remote, RedactError(err))
	}
	tags := map[string]plumbing.Hash{}
	for _, ref := range refs {
		if ref.Name().IsTag() && ref.Type() == plumbing.HashReference {
			tags[strings.TrimPrefix(ref.Name().String(), "refs/tags/")] = ref.Hash()
		}
	}
	return tags, nil
}

// FetchTags brings the remote's tags (and the commits they name) into the
// repository. Local tags of the same name are replaced by the remote's.
// Only the tags that differ are fetched: go-git updates each fetched ref
// by reading packed-refs again, which on a repository with hundreds of
// tags costs more than the fetch itself.
func (r *Repo) FetchTags(ctx context.Context, remote string, auth Auth) error {
	_, u, err := r.remote(remote)
	if err != nil {
		return err
	}
	remoteTags, err := r.RemoteTags(ctx, remote, auth)
	if err != nil {
		return err
	}
	local, err := r.Tags()
	if err != nil {
		return err
	}
	have := make(map[string]plumbing.Hash, len(local))
	for _, t := range local {
		have[t.Name] = t.Ref
	}
	var specs []config.RefSpec
	for name, h := range remoteTags {
		if have[name] != h {
			specs = append(specs, config.RefSpec("+refs/tags/"+name+":refs/tags/"+name))
		}
	}
	if len(specs) == 0 {
		return nil
	}
	err = r.git.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remote,
		RefSpecs:   specs,
		Tags:       git.NoTags,
		Auth:       auth.method(u),
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch tags from %s: %w", remote, RedactError(err))
	}
	return nil
}

// TagOptions describes an annotated tag.
type TagOptions struct {
	Name    string
	Target  plumbing.Hash
	Message string
	Tagger  object.Signature
}

// CreateTag writes an annotated tag locally.
func (r *Repo) CreateTag(o TagOptions) error {
	tagger := o.Tagger
	if tagger.When.IsZero() {
		tagger.When = time.Now()
	}
	msg := o.Message
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	_, err := r.git.CreateTag(o.Name, o.Target, &git.CreateTagOptions{Tagger: &tagger, Message: msg})
	if err != nil {
		return fmt.Errorf("create tag %s: %w", o.Name, err)
	}
	return nil
}

// DeleteLocalTag removes a tag from the local repository only.
func (r *Repo) DeleteLocalTag(name string) error {
	if err := r.git.Storer.RemoveReference(plumbing.NewTagReferenceName(name)); err != nil {
		return fmt.Errorf("delete local tag %s: %w", name, err)
	}
	return nil
}

// ErrRejected is wrapped by Push when the remote refused an update.
var ErrRejected = errors.New("the remote rejected the push")

// PushRefs pushes refspecs "SRC:DST" (SRC a local ref or a commit hash;
// never forced), atomically when asked: see push for what is sent.
func (r *Repo) PushRefs(ctx context.Context, remote string, auth Auth, atomic bool, specs ...string) error {
	updates := make([]refUpdate, len(specs))
	for i, s := range specs {
		rs := config.RefSpec(s)
		if err := rs.Validate(); err != nil || rs.IsForceUpdate() || rs.IsWildcard() || rs.IsDelete() {
			return fmt.Errorf("push %q: not a plain refspec", s)
		}
		h, err := r.resolveSrc(rs.Src())
		if err != nil {
			return fmt.Errorf("push %s: %w", s, err)
		}
		updates[i] = refUpdate{Name: rs.Dst(""), New: h}
	}
	err := r.push(ctx, remote, auth, atomic, updates, nil)
	switch {
	case err == nil, errors.Is(err, errUpToDate):
		return nil
	case errors.Is(err, plumbing.ErrObjectNotFound), isRejection(err):
		// ErrObjectNotFound: a remote ref moved to a commit this clone
		// never saw, so the update cannot be a fast-forward.
		return fmt.Errorf("push %s to %s: %w: %w", strings.Join(specs, " "), remote, ErrRejected, RedactError(err))
	default:
		return fmt.Errorf("push %s to %s: %w", strings.Join(specs, " "), remote, RedactError(err))
	}
}

// resolveSrc reads the source of a refspec: a full hash, or a reference.
func (r *Repo) resolveSrc(src string) (plumbing.Hash, error) {
	if plumbing.IsHash(src) {
		return plumbing.NewHash(src), nil
	}
	ref, err := r.git.Reference(plumbing.ReferenceName(src), true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read %s: %w", src, err)
	}
	return ref.Hash(), nil
}

// PushTag pushes one tag (never forced). pushed is false when the remote
// already had exactly this tag object: another run pushed the same tag.
func (r *Repo) PushTag(ctx context.Context, remote string, auth Auth, name string) (pushed bool, err error) {
	return r.PushTagChecked(ctx, remote, auth, name, nil)
}

// PushTagChecked is PushTag with a precondition: check sees the remote's
// tags (name → object) as the push session advertises them, just before
// anything is sent, and its error ends the push with nothing sent. The tag
// step uses it to make sure no other pipeline released since it planned,
// without listing the remote separately.
func (r *Repo) PushTagChecked(ctx context.Context, remote string, auth Auth, name string, check func(map[string]plumbing.Hash) error) (pushed bool, err error) {
	err = r.pushTag(ctx, remote, auth, name, check)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errUpToDate):
		return false, nil
	case isRejection(err):
		// The remote has this tag already, pointing elsewhere: another run
		// pushed it first.
		return false, fmt.Errorf("push tag %s to %s: %w: %w", name, remote, ErrRejected, RedactError(err))
	default:
		return false, fmt.Errorf("push tag %s to %s: %w", name, remote, RedactError(err))
	}
}

// PushTagsChecked pushes several tags in one push, atomically (every tag
// or none; a remote that cannot do that is refused before anything is
// sent), with check as in PushTagChecked. pushed is false when the remote
// already had every one of these tag objects.
func (r *Repo) PushTagsChecked(ctx context.Context, remote string, auth Auth, names []string, check func(map[string]plumbing.Hash) error) (pushed bool, err error) {
	if len(names) == 1 {
		return r.PushTagChecked(ctx, remote, auth, names[0], check)
	}
	updates := make([]refUpdate, len(names))
	for i, name := range names {
		ref := plumbing.NewTagReferenceName(name)
		h, err := r.resolveSrc(ref.String())
		if err != nil {
			return false, err
		}
		updates[i] = refUpdate{Name: ref, New: h}
	}
	err = r.push(ctx, remote, auth, true, updates, check)
	what := "tags " + strings.Join(names, ", ")
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errUpToDate):
		return false, nil
	case isRejection(err):
		return false, fmt.Errorf("push %s to %s: %w: %w", what, remote, ErrRejected, RedactError(err))
	default:
		return false, fmt.Errorf("push %s to %s: %w", what, remote, RedactError(err))
	}
}

func (r *Repo) pushTag(ctx context.Context, remote string, auth Auth, name string, check func(map[string]plumbing.Hash) error) error {
	ref := plumbing.NewTagReferenceName(name)
	h, err := r.resolveSrc(ref.String())
	if err != nil {
		return err
	}
	return r.push(ctx, remote, auth, false, []refUpdate{{Name: ref, New: h}}, check)
}

func isRejection(err error) bool {
	s := err.Error()
	for _, w := range []string{"non-fast-forward", "already exists", "rejected", "stale info", "failed to update ref", "failed to lock", "cannot lock ref", "atomic push failed"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// urlUserinfo matches a URL's scheme and userinfo. The userinfo runs to the
// last "@" before the host's end ("/", "?", "#" or a space), as net/url reads
// it: a password may hold an unescaped "@" (found by FuzzRedact).
var urlUserinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#\s]*@`)

// RedactURL removes credentials from a URL.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return urlUserinfo.ReplaceAllString(s, "$1")
	}
	u.User = nil
	return u.String()
}

// RedactError rewrites an error's text so that no URL in it carries
// credentials. The original error stays reachable through errors.Is/As
// only for sentinel checks, never for printing.
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := urlUserinfo.ReplaceAllString(msg, "$1")
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }

// Is lets errors.Is match the original error's sentinels.
func (e *redacted) Is(target error) bool { return errors.Is(e.err, target) }

// RemoteHeads lists the remote's branches (like git ls-remote --heads).
func (r *Repo) RemoteHeads(ctx context.Context, remote string, auth Auth) (map[string]plumbing.Hash, error) {
	rem, u, err := r.remote(remote)
	if err != nil {
		return nil, err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth.method(u), Timeout: 60})
	if err != nil {
		return nil, fmt.Errorf("list branches on remote %s: %w", remote, RedactError(err))
	}
	heads := map[string]plumbing.Hash{}
	for _, ref := range refs {
		if ref.Name().IsBranch() && ref.Type() == plumbing.HashReference {
			heads[ref.Name().Short()] = ref.Hash()
		}
	}
	return heads, nil
}

// FetchBranches brings the remote's branches into refs/remotes/REMOTE/*,
// with the commits they name.
func (r *Repo) FetchBranches(ctx context.Context, remote string, auth Auth, branches ...string) error {
	if len(branches) == 0 {
		return nil
	}
	_, u, err := r.remote(remote)
	if err != nil {
		return err
	}
	specs := make([]config.RefSpec, len(branches))
	for i, b := range branches {
		specs[i] = config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/%s/%s", b, remote, b))
	}
	err = r.git.FetchContext(ctx, &git.FetchOptions{RemoteName: remote, RefSpecs: specs, Tags: git.NoTags, Auth: auth.method(u)})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch %s from %s: %w", strings.Join(branches, ", "), remote, RedactError(err))
	}
	return nil
}

// MergeBase returns a best common ancestor of a and b (zero when none).
func (r *Repo) MergeBase(a, b plumbing.Hash) (plumbing.Hash, error) {
	ca, err := r.Commit(a)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	cb, err := r.Commit(b)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	bases, err := ca.MergeBase(cb)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("merge base of %s and %s: %w", a, b, err)
	}
	if len(bases) == 0 {
		return plumbing.ZeroHash, nil
	}
	return bases[0].Hash, nil
}
