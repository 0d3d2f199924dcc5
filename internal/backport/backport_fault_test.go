package backport

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/faultproxy"
	"github.com/relman-dev/relman/internal/faulttest"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

const receivePack = "POST /remote.git/git-receive-pack"

// TestFaultAtomicPush brings release branches up through a proxy that drops
// or stalls the one atomic push: afterwards either every branch moved or
// none did, and a re-run in the same clone converges.
func TestFaultAtomicPush(t *testing.T) {
	tests := []struct {
		name     string
		version  string // 1.2.1: two fast-forwards; 1.3.0: a fast-forward, a creation; merge: a bring-up merge commit
		merge    bool
		rule     faultproxy.Rule
		timeout  time.Duration
		complete bool
	}{
		{name: "two fast-forwards, drop before receive-pack", version: "1.2.1", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Drop}},
		{name: "fast-forward and create, drop before receive-pack", version: "1.3.0", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Drop}},
		{name: "fast-forward and create, drop mid-push", version: "1.3.0", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropMidBody, After: 120}},
		{name: "fast-forward and create, drop after receive-pack", version: "1.3.0", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropAfterRequest}, complete: true},
		{name: "fast-forward and create, stall receive-pack", version: "1.3.0", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Stall}, timeout: time.Second},
		{name: "merge and fast-forward, drop mid-pack", version: "1.2.1", merge: true, rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropMidBody, After: 400}},
		{name: "merge and fast-forward, drop after receive-pack", version: "1.2.1", merge: true, rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropAfterRequest}, complete: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			g.Commit("main", "feat: versioned", map[string]string{"VERSION": "1.2.0\n"})
			g.SetBranch("release/1", g.Head("main"))
			g.SetBranch("release/1.2", g.Head("main"))
			if tt.merge {
				// release/1.2 carries a version commit of its own: bringing it
				// up takes a merge commit, sent in the pack.
				g.Commit("release/1.2", "Prepare 1.2.1-SNAPSHOT\n\n"+PrepTrailer+": 1.2.1-SNAPSHOT\n", map[string]string{"VERSION": "1.2.1-SNAPSHOT\n"})
			}
			source := g.Commit("main", "fix: something", map[string]string{"src/a.txt": strings.Repeat("a change\n", 50)})
			g.Push()
			p := faultproxy.Start(t, faulttest.ServeGit(t, g.Remote))
			dir := g.CloneFrom(p.URL(), "main")
			before := remoteHeads(t, g)

			p.MustSet(t, tt.rule)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = faulttest.DeadlineAfterFault(ctx, p, tt.timeout) // the stall's deadline
				defer cancel()
			}
			start := time.Now()
			res, err := runFault(t, ctx, dir, tt.version)
			if err == nil {
				t.Fatalf("the faulted run succeeded: %+v\nrequests: %q", res, p.Requests())
			}
			t.Logf("faulted run: %v", err)
			if tt.timeout > 0 {
				if !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("stalled run: error %q does not say the deadline passed", err)
				}
				if d := time.Since(start); d > tt.timeout+20*time.Second {
					t.Errorf("stalled run took %s, past its %s deadline", d, tt.timeout)
				}
			}
			faulttest.CheckCutInside(t, p.Requests())
			injected := p.Injected()
			if injected != 1 {
				t.Errorf("injected %d faults, want 1; requests: %q", injected, p.Requests())
			}
			p.MustSet(t)

			// All or nothing.
			faulttest.Fsck(t, g.Remote)
			after := remoteHeads(t, g)
			targets := []string{"release/1", "release/1.2"}
			if tt.version == "1.3.0" {
				targets = []string{"release/1", "release/1.3"}
			}
			moved := 0
			for _, b := range targets {
				if after[b] != before[b] {
					moved++
					if !containsSource(t, g, after[b], source) {
						t.Errorf("%s moved to %s, which does not contain the release %s", b, after[b], source)
					}
				}
			}
			outcome := faultproxy.Unchanged
			switch {
			case moved == len(targets) && tt.complete:
				outcome = faultproxy.Complete
			case moved == 0 && !tt.complete:
			default:
				t.Fatalf("%d of %d branches moved (complete=%v): before %v, after %v", moved, len(targets), tt.complete, before, after)
			}
			if after["main"] != before["main"] {
				t.Errorf("main moved from %s to %s", before["main"], after["main"])
			}

			// A re-run in the same clone converges; one more does nothing.
			again, err := runFault(t, t.Context(), dir, tt.version)
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			changed := len(again.Created()) + len(again.Updated())
			if tt.complete && changed != 0 {
				t.Errorf("re-run after a complete push changed %v %v, want nothing", again.Created(), again.Updated())
			}
			if !tt.complete && changed != len(targets) {
				t.Errorf("re-run after an unchanged remote changed %v %v, want %v", again.Created(), again.Updated(), targets)
			}
			third, err := runFault(t, t.Context(), dir, tt.version)
			if err != nil || len(third.Created())+len(third.Updated()) != 0 {
				t.Errorf("third run = %+v, %v; want nothing to do", third, err)
			}
			final := remoteHeads(t, g)
			converged := true
			for _, b := range targets {
				if !containsSource(t, g, final[b], source) {
					converged = false
					t.Errorf("%s at %s after the re-runs, which does not contain the release %s", b, final[b], source)
				}
			}
			if tt.complete {
				// The faulted push already made the final state.
				if diff := cmp.Diff(after, final); diff != "" {
					converged = false
					t.Errorf("the re-run moved branches again (-after fault +final):\n%s", diff)
				}
			}
			faulttest.Fsck(t, g.Remote)
			faultproxy.Report(t, faultproxy.Result{Scenario: "git atomic push (backport): " + tt.name, Injected: injected, Outcome: outcome, Converged: converged})
		})
	}
}

func runFault(t *testing.T, ctx context.Context, dir, ver string) (*Result, error) {
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
	clock := gittest.Epoch.Add(1000 * time.Hour)
	return Run(ctx, Options{
		Repo: repo, Source: head, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/",
		Version: semver.MustParse(ver), Remote: "origin", VersionFiles: versionFile,
		// A real clock moves on: a re-run makes a different merge commit.
		Author: func() object.Signature { clock = clock.Add(time.Minute); return gittest.Sig(clock) },
		Log:    &nopLog{},
	})
}

// containsSource reports whether the remote's commit h has source in its
// history.
func containsSource(t *testing.T, g *gittest.Repo, h, source plumbing.Hash) bool {
	t.Helper()
	if h.IsZero() {
		return false
	}
	r, err := gitrepo.Open(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ok, err := r.IsAncestor(context.Background(), source, h)
	if err != nil {
		t.Fatalf("the remote's %s: %v", h, err)
	}
	return ok
}
