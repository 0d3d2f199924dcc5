package tagstep

import (
	"testing"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/version"
)

func TestReleaseAt(t *testing.T) {
	g := gittest.New(t)
	base := g.Head("main")
	g.Tag("1.0.0", base, true)
	head := g.Commit("main", "fix: x", nil)
	// A python release of head: a version commit whose only parent is head,
	// on no branch, tagged; and an older tag on head itself.
	versionCommit := g.CommitObject("chore(release): 1.0.2", map[string]string{"VERSION": "1.0.2\n"}, head)
	g.Tag("v1.0.2", versionCommit, true)
	g.Tag("1.0.1", head, false)
	g.Tag("1.0.3-rc.1", head, true) // not a release
	// A commit on top of head that is not a version commit of it.
	later := g.Commit("main", "feat: y", nil)
	repo, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	for _, tc := range []struct {
		name    string
		commit  string
		scheme  version.TagScheme
		wantTag string
	}{
		{"highest of head and its version commit", head.String(), version.PrefixScheme(""), "v1.0.2"},
		{"the tag-prefix counts", head.String(), version.PrefixScheme("v"), "v1.0.2"},
		{"a prefix no tag has", head.String(), version.PrefixScheme("app-"), ""},
		{"no release on a later commit", later.String(), version.PrefixScheme(""), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := repo.ResolveCommit(tc.commit)
			if err != nil {
				t.Fatal(err)
			}
			v, tag, ok, err := ReleaseAt(repo, h, tc.scheme)
			if err != nil {
				t.Fatal(err)
			}
			if tag != tc.wantTag || ok != (tc.wantTag != "") || (ok && v == nil) {
				t.Errorf("ReleaseAt = %v, %q, %v; want tag %q", v, tag, ok, tc.wantTag)
			}
		})
	}
}
