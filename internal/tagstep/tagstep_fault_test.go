package tagstep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/faultproxy"
	"github.com/relman-dev/relman/internal/faulttest"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/impact"
	"github.com/relman-dev/relman/internal/versionfile"
)

const receivePack = "POST /remote.git/git-receive-pack"

// TestFaultTagPush runs the tag step against git's own smart HTTP server
// through a proxy that drops or stalls the tag push. After the fault the
// remote holds either no new tag or the whole tag, the clone keeps no tag of
// its own, and a re-run in the same clone converges on one release.
func TestFaultTagPush(t *testing.T) {
	tests := []struct {
		name  string
		maven bool
		rule  faultproxy.Rule
		// stalled runs get this deadline
		timeout time.Duration
		// the faulted push reached the remote
		complete bool
	}{
		// A GET on a kept-alive connection that closes unanswered is sent
		// again by net/http: only a listing that keeps failing fails the run.
		{name: "drop every ref listing", rule: faultproxy.Rule{Request: "GET /remote.git/info/refs", Action: faultproxy.Drop, Times: faultproxy.Always}},
		{name: "drop before receive-pack", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Drop}},
		{name: "drop mid-pack", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropMidBody, After: 200}},
		{name: "drop after receive-pack", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropAfterRequest}, complete: true},
		{name: "stall receive-pack", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Stall}, timeout: time.Second},
		{name: "maven: drop before receive-pack", maven: true, rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Drop}},
		{name: "maven: drop after receive-pack", maven: true, rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropAfterRequest}, complete: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			if tt.maven {
				g.Commit("main", "feat: maven project", map[string]string{
					"pom.xml": fmt.Sprintf(rootPom, "1.2.3"), "core/pom.xml": fmt.Sprintf(corePom, "1.2.3"),
				})
			}
			g.Tag("1.2.3", g.Head("main"), true)
			f := &fakeForge{}
			f.add(g, g.SquashMR("main", 7, "fix bug"), "main", "ImpactPatch")
			source := g.Head("main")
			g.Push()
			p := faultproxy.Start(t, faulttest.ServeGit(t, g.Remote))
			dir := g.CloneFrom(p.URL(), "main")
			before := g.RemoteTags()

			p.MustSet(t, tt.rule)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = faulttest.DeadlineAfterFault(ctx, p, tt.timeout) // the stall's deadline
				defer cancel()
			}
			start := time.Now()
			res, err := runFault(t, ctx, dir, f, tt.maven)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("the faulted run succeeded: %+v\nrequests: %q", res, p.Requests())
			}
			t.Logf("faulted run: %v", err)
			if tt.timeout > 0 {
				// go-git keeps only the text of the context's error.
				if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
					t.Errorf("stalled run: error %q does not say the deadline passed", err)
				}
				if elapsed > tt.timeout+20*time.Second {
					t.Errorf("stalled run took %s, past its %s deadline", elapsed, tt.timeout)
				}
			}
			faulttest.CheckCutInside(t, p.Requests())
			injected := p.Injected()
			if tt.rule.Times != faultproxy.Always && injected != 1 {
				t.Errorf("injected %d faults, want 1; requests: %q", injected, p.Requests())
			}
			p.MustSet(t)

			// Unchanged or complete, never half-written.
			faulttest.Fsck(t, g.Remote)
			after := g.RemoteTags()
			released := tagOnSource(t, g, after["1.2.4"], source, tt.maven)
			outcome := faultproxy.Unchanged
			if tt.complete {
				outcome = faultproxy.Complete
				if !released || len(after) != 2 {
					t.Fatalf("remote tags after a fault past the push: %v, want 1.2.3 and 1.2.4 on the release of %s", after, source)
				}
			} else if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("remote tags changed (-before +after):\n%s", diff)
			}
			if hasLocalTag(t, dir, "1.2.4") {
				t.Error("the failed run left tag 1.2.4 in the clone")
			}

			// A re-run in the same clone converges, and one more is a no-op.
			again, err := runFault(t, t.Context(), dir, f, tt.maven)
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			switch {
			case tt.complete && !(again.Existing && again.ExistingTag == "1.2.4" && !again.Released):
				t.Errorf("re-run after a complete push = %+v, want the existing release 1.2.4", again)
			case !tt.complete && !(again.Released && again.Tag == "1.2.4"):
				t.Errorf("re-run after an unchanged remote = %+v, want release 1.2.4", again)
			}
			third, err := runFault(t, t.Context(), dir, f, tt.maven)
			if err != nil || !third.Existing || third.ExistingTag != "1.2.4" {
				t.Errorf("third run = %+v, %v; want the existing release 1.2.4", third, err)
			}
			final := g.RemoteTags()
			converged := len(final) == 2 && tagOnSource(t, g, final["1.2.4"], source, tt.maven)
			if !converged {
				t.Errorf("remote tags after the re-runs: %v, want 1.2.3 and 1.2.4 on the release of %s", final, source)
			}
			faulttest.Fsck(t, g.Remote)
			faultproxy.Report(t, faultproxy.Result{Scenario: "git tag push (tagstep): " + tt.name, Injected: injected, Outcome: outcome, Converged: converged})
		})
	}
}

// runFault runs the tag step in dir with a tagger whose clock moves on at
// every call, as a real one does: a re-run makes a new tag object.
func runFault(t *testing.T, ctx context.Context, dir string, f *fakeForge, maven bool) (*Result, error) {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	head, _, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	sig := func() object.Signature {
		clock = clock.Add(time.Second)
		return gittest.Sig(clock)
	}
	log := &testLog{}
	o := Options{
		Repo: repo, Commit: head, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/",
		Remote: "origin", Source: FromLabels, Forge: f, Labels: impact.DefaultLabels, Tagger: sig, Log: log,
	}
	if maven {
		eds, err := versionfile.New(versionfile.Config{BuildSystem: "maven"})
		if err != nil {
			t.Fatal(err)
		}
		o.BuildSystem = VersionCommit{Editors: eds, Author: sig, Log: log}
	}
	return Run(ctx, o)
}

// tagOnSource reports whether a remote tag names the release of source:
// source itself, or (maven) a version commit whose parent is source.
func tagOnSource(t *testing.T, g *gittest.Repo, tagged, source plumbing.Hash, maven bool) bool {
	t.Helper()
	if tagged.IsZero() {
		return false
	}
	if !maven {
		return tagged == source
	}
	r, err := gitrepo.Open(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := r.Commit(tagged)
	if err != nil {
		t.Fatalf("the remote's tag names %s, which it does not have: %v", tagged, err)
	}
	return len(c.ParentHashes) == 1 && c.ParentHashes[0] == source
}

func hasLocalTag(t *testing.T, dir, name string) bool {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	_, ok, err := repo.Tag(name)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
