package prep

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/relman-dev/relman/internal/faultproxy"
	"github.com/relman-dev/relman/internal/faulttest"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

const receivePack = "POST /remote.git/git-receive-pack"

// TestFaultPrepPush sets the next development version on main, release/1
// and release/1.3 (one push each) through a proxy that drops or stalls one
// of the pushes. Afterwards every branch is either untouched or carries
// exactly its prep commit, and a re-run in the same clone converges with no
// second prep commit anywhere.
func TestFaultPrepPush(t *testing.T) {
	want := map[string]string{"main": "1.4.0-SNAPSHOT", "release/1": "1.4.0-SNAPSHOT", "release/1.3": "1.3.1-SNAPSHOT"}
	tests := []struct {
		name    string
		rule    faultproxy.Rule
		timeout time.Duration
		// prepped by the faulted run, in push order: main, release/1, release/1.3
		wantDone []string
	}{
		{name: "drop before the first push", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Drop}},
		{name: "drop before the second push", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Drop, Skip: 1}, wantDone: []string{"main"}},
		{name: "drop mid-pack of the second push", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropMidBody, After: 300, Skip: 1}, wantDone: []string{"main"}},
		{name: "drop after the second push", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropAfterRequest, Skip: 1}, wantDone: []string{"main", "release/1"}},
		{name: "drop after the last push", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.DropAfterRequest, Skip: 2}, wantDone: []string{"main", "release/1", "release/1.3"}},
		{name: "stall the third push", rule: faultproxy.Rule{Request: receivePack, Action: faultproxy.Stall, Skip: 2}, timeout: 2 * time.Second, wantDone: []string{"main", "release/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			src := g.Commit("main", "feat: x", map[string]string{"pom.xml": fmt.Sprintf(pom, "1.3.0")})
			g.SetBranch("release/1", src)
			g.SetBranch("release/1.3", src)
			g.Push()
			p := faultproxy.Start(t, faulttest.ServeGit(t, g.Remote))
			dir := g.CloneFrom(p.URL(), "main")

			p.MustSet(t, tt.rule)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = faulttest.DeadlineAfterFault(ctx, p, tt.timeout) // the stall's deadline
				defer cancel()
			}
			start := time.Now()
			_, err := runFault(t, ctx, dir)
			if err == nil {
				t.Fatalf("the faulted run succeeded; requests: %q", p.Requests())
			}
			t.Logf("faulted run: %v", err)
			if tt.timeout > 0 {
				if !strings.Contains(err.Error(), context.DeadlineExceeded.Error()) {
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

			// Each branch untouched or complete, as far as the run got.
			faulttest.Fsck(t, g.Remote)
			for b, v := range want {
				done := prepped(t, g, b, src, v)
				wantDone := strings.Contains(" "+strings.Join(tt.wantDone, " ")+" ", " "+b+" ")
				if done != wantDone {
					t.Errorf("%s prepped = %v after the fault, want %v", b, done, wantDone)
				}
			}
			outcome := faultproxy.Unchanged
			if len(tt.wantDone) > 0 {
				outcome = fmt.Sprintf("%s (%s), unchanged (the others)", faultproxy.Complete, strings.Join(tt.wantDone, ", "))
				if len(tt.wantDone) == len(want) {
					outcome = faultproxy.Complete
				}
			}

			// Re-runs in the same clone converge: one prep commit per branch.
			res, err := runFault(t, t.Context(), dir)
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			for _, pr := range res.Branches {
				wasDone := strings.Contains(" "+strings.Join(tt.wantDone, " ")+" ", " "+pr.Branch+" ")
				if pr.Committed == wasDone {
					t.Errorf("re-run on %s: committed = %v, want %v (%s)", pr.Branch, pr.Committed, !wasDone, pr.Note)
				}
			}
			third, err := runFault(t, t.Context(), dir)
			if err != nil {
				t.Fatalf("third run: %v", err)
			}
			for _, pr := range third.Branches {
				if pr.Committed {
					t.Errorf("third run committed on %s", pr.Branch)
				}
			}
			converged := true
			for b, v := range want {
				if !prepped(t, g, b, src, v) {
					converged = false
					t.Errorf("%s is not prepped at %s after the re-runs", b, v)
				}
			}
			faulttest.Fsck(t, g.Remote)
			faultproxy.Report(t, faultproxy.Result{Scenario: "git prep pushes (prep): " + tt.name, Injected: injected, Outcome: outcome, Converged: converged})
		})
	}
}

func runFault(t *testing.T, ctx context.Context, dir string) (*Result, error) {
	t.Helper()
	repo, err := gitrepo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	clock := gittest.Epoch.Add(1000 * time.Hour)
	return Run(ctx, Options{
		Repo: repo, Branch: "main", DefaultBranch: "main", BranchPrefix: "release/",
		Version: semver.MustParse("1.3.0"), Remote: "origin", Editors: editors(t, "maven"), Snapshot: SnapshotNext,
		// A real clock moves on: a re-run makes a different prep commit.
		Author: func() object.Signature { clock = clock.Add(time.Minute); return gittest.Sig(clock) },
		Log:    &log{},
	})
}

// prepped reports whether the remote's branch is exactly src plus one prep
// commit setting v; it fails the test when the branch is neither that nor
// untouched at src.
func prepped(t *testing.T, g *gittest.Repo, branch string, src plumbing.Hash, v string) bool {
	t.Helper()
	r, err := gitrepo.Open(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := r.ResolveCommit("refs/heads/" + branch)
	if err != nil {
		t.Fatal(err)
	}
	if h == src {
		return false
	}
	got, c := remoteFile(t, g, branch, "pom.xml")
	if len(c.ParentHashes) != 1 || c.ParentHashes[0] != src || got != fmt.Sprintf(pom, v) || !strings.Contains(c.Message, Trailer+": "+v) {
		t.Fatalf("%s is neither untouched nor one prep commit to %s: parents %v, message %q, pom.xml\n%s", branch, v, c.ParentHashes, c.Message, got)
	}
	return true
}
