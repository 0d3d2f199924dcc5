package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/faultproxy"
	"github.com/relman-dev/relman/internal/faulttest"
	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/github"
)

// releaseAPI is a stateful GitHub releases API of repo: the releases made
// stay made, so a re-run can find them.
type releaseAPI struct {
	t        *testing.T
	mu       sync.Mutex
	releases map[string]int // tag → id
}

func (a *releaseAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.releases)
}

func (a *releaseAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	a.mu.Lock()
	defer a.mu.Unlock()
	path := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodGet && path == "/repos/"+repo:
		fmt.Fprintf(w, `{"id":1,"full_name":%q,"default_branch":"main"}`, repo)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/repos/"+repo+"/releases/tags/"):
		tag := strings.TrimPrefix(path, "/repos/"+repo+"/releases/tags/")
		id, ok := a.releases[tag]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name","status":"404"}`)
			return
		}
		fmt.Fprintf(w, `{"id":%d,"tag_name":%q,"html_url":"https://github.com/%s/releases/tag/%s"}`, id, tag, repo, tag)
	case r.Method == http.MethodPost && path == "/repos/"+repo+"/releases":
		var body struct {
			TagName string `json:"tag_name"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.TagName == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, ok := a.releases[body.TagName]; ok {
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"message":"Validation Failed","errors":[{"resource":"Release","code":"already_exists","field":"tag_name"}],"status":"422"}`)
			return
		}
		a.releases[body.TagName] = len(a.releases) + 1
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%d,"tag_name":%q,"html_url":"https://github.com/%s/releases/tag/%s"}`, len(a.releases), body.TagName, repo, body.TagName)
	default:
		a.t.Errorf("unhandled request %s %s", r.Method, r.URL)
		http.Error(w, "unhandled", http.StatusTeapot)
	}
}

const secondaryLimit = `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`

// TestFaultGitHubAPI puts the GitHub client behind the fault proxy and a
// server that answers 5xx, 429 and rate-limit 403s: it retries what can be
// retried with backoff, gives up within the bound, reports drops clearly,
// and a release the server made while the client heard nothing is found,
// not made twice, by the re-run.
func TestFaultGitHubAPI(t *testing.T) {
	resetIn := func(d time.Duration) string { return strconv.FormatInt(faulttest.Now().Add(d).Unix(), 10) }
	tests := []struct {
		name    string
		answers []faulttest.Answer
		rule    *faultproxy.Rule
		publish bool          // PublishRelease, else DefaultBranch
		timeout time.Duration // for stalls
		// the first run succeeds; else its error says wantInErr
		wantOK    bool
		wantInErr []string
		// attempts that reached the server in the first run
		wantRequests int
		// waits of the first run; with the most jitter
		wantSleeps []time.Duration
		// for PublishRelease: the release exists after the first run
		wantCreated bool
	}{
		{
			name:         "5xx twice, then an answer",
			answers:      []faulttest.Answer{{Status: 502}, {Status: 503}},
			wantOK:       true,
			wantRequests: 3,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second},
		},
		{
			name:         "5xx every time: gives up after 5 attempts",
			answers:      faulttest.Repeat(faulttest.Answer{Status: 503}, 5),
			wantInErr:    []string{"reading the default branch of " + repo, "giving up after 5 attempts, the last answered 503 Service Unavailable", "re-run the job later"},
			wantRequests: 5,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second},
		},
		{
			name:         "429 with Retry-After",
			answers:      []faulttest.Answer{{Status: 429, Header: map[string]string{"Retry-After": "7"}}},
			wantOK:       true,
			wantRequests: 2,
			wantSleeps:   []time.Duration{7 * time.Second},
		},
		{
			name:         "429 asking to wait an hour: gives up at once",
			answers:      []faulttest.Answer{{Status: 429, Header: map[string]string{"Retry-After": "3600"}}},
			wantInErr:    []string{"asked to wait 1h0m0s before retrying, longer than the 1m0s relman waits at most"},
			wantRequests: 1,
		},
		{
			name:         "secondary rate limit: 403 with Retry-After",
			answers:      []faulttest.Answer{{Status: 403, Header: map[string]string{"Retry-After": "60"}, Body: secondaryLimit}},
			wantOK:       true,
			wantRequests: 2,
			wantSleeps:   []time.Duration{time.Minute},
		},
		{
			name:         "secondary rate limit without a wait: not retried, said clearly",
			answers:      []faulttest.Answer{{Status: 403, Body: secondaryLimit}},
			wantInErr:    []string{"GitHub's secondary rate limit: re-run the job later"},
			wantRequests: 1,
		},
		{
			name: "primary rate limit: 403 with x-ratelimit-remaining 0 waits for the reset",
			answers: []faulttest.Answer{{Status: 403, Header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": resetIn(30 * time.Second)},
				Body: `{"message":"API rate limit exceeded","status":"403"}`}},
			wantOK:       true,
			wantRequests: 2,
			wantSleeps:   []time.Duration{30 * time.Second},
		},
		{
			name:         "connection dropped before the request, once: retried",
			rule:         &faultproxy.Rule{Request: "GET /repos/", Action: faultproxy.Drop},
			wantOK:       true,
			wantRequests: 1,
			wantSleeps:   []time.Duration{1500 * time.Millisecond},
		},
		{
			name:         "connection dropped after the server answered, once: retried",
			rule:         &faultproxy.Rule{Request: "GET /repos/", Action: faultproxy.DropAfterRequest},
			wantOK:       true,
			wantRequests: 2,
			wantSleeps:   []time.Duration{1500 * time.Millisecond},
		},
		{
			name:         "connection dropped every time: gives up after 5 attempts",
			rule:         &faultproxy.Rule{Request: "GET /repos/", Action: faultproxy.Drop, Times: faultproxy.Always},
			wantInErr:    []string{"reading the default branch of " + repo, "giving up after 5 attempts, the connection dropped each time", "EOF"},
			wantRequests: 0,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second},
		},
		{
			name:      "stalled: bounded by the context",
			rule:      &faultproxy.Rule{Request: "GET /repos/", Action: faultproxy.Stall},
			timeout:   time.Second,
			wantInErr: []string{"reading the default branch of " + repo, "context deadline exceeded"},
		},
		{
			name:         "release POST dropped before the server: nothing made, the re-run makes it",
			rule:         &faultproxy.Rule{Request: "POST /repos/" + repo + "/releases", Action: faultproxy.Drop},
			publish:      true,
			wantInErr:    []string{"publishing the GitHub Release of v1.2.4 in " + repo, "the connection dropped before GitHub answered", "re-run the job", "EOF"},
			wantRequests: 1, // the GET that found none
		},
		{
			name:         "release POST dropped after the server made it: the re-run finds it",
			rule:         &faultproxy.Rule{Request: "POST /repos/" + repo + "/releases", Action: faultproxy.DropAfterRequest},
			publish:      true,
			wantInErr:    []string{"publishing the GitHub Release of v1.2.4 in " + repo, "the connection dropped before GitHub answered", "re-run the job", "EOF"},
			wantRequests: 2,
			wantCreated:  true,
		},
		{
			name:         "release GET 5xx, then the release is made",
			answers:      []faulttest.Answer{{Status: 500}, {Status: 502}},
			publish:      true,
			wantOK:       true,
			wantRequests: 4,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second},
			wantCreated:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &releaseAPI{t: t, releases: map[string]int{}}
			flaky := &faulttest.Flaky{Next: api}
			flaky.Queue(tt.answers...)
			srv := httptest.NewServer(flaky)
			t.Cleanup(srv.Close)
			p := faultproxy.Start(t, srv.URL)
			if tt.rule != nil {
				p.MustSet(t, *tt.rule)
			}
			clock := &faulttest.Clock{}
			c, err := github.New(github.Options{BaseURL: p.URL() + "/", Token: token, Repository: repo, HTTPClient: faulttest.RetryClient(clock)})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = faulttest.DeadlineAfterFault(ctx, p, tt.timeout) // the stall's deadline
				defer cancel()
			}
			call := func(ctx context.Context) error {
				if tt.publish {
					_, _, err := c.PublishRelease(ctx, forge.Release{Tag: "v1.2.4", Name: "v1.2.4", Body: "notes"})
					return err
				}
				b, err := c.DefaultBranch(ctx)
				if err == nil && b != "main" {
					t.Errorf("default branch %q", b)
				}
				return err
			}
			start := time.Now()
			err = call(ctx)
			elapsed := time.Since(start)
			faulttest.CheckError(t, err, tt.wantOK, tt.wantInErr, token)
			if tt.rule == nil || tt.rule.Action != faultproxy.Stall {
				if got := flaky.Requests(); got != tt.wantRequests {
					t.Errorf("%d requests reached the server, want %d; proxy saw %q", got, tt.wantRequests, p.Requests())
				}
			}
			if tt.wantSleeps != nil {
				if diff := cmp.Diff(tt.wantSleeps, clock.Sleeps()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			}
			// Bounded: the waits (recorded, never slept) and the real time.
			waited := clock.Total()
			if waited > faulttest.WaitBound() {
				t.Errorf("waited %s in all, more than the bound %s", waited, faulttest.WaitBound())
			}
			if len(tt.answers) > 0 && tt.answers[0].Header == nil && waited > faulttest.BackoffBound() {
				t.Errorf("backed off %s in all, more than the bound %s", waited, faulttest.BackoffBound())
			}
			if elapsed > tt.timeout+10*time.Second {
				t.Errorf("the call took %s of real time", elapsed)
			}
			injected := flaky.Served() + p.Injected()
			if tt.publish && (api.count() == 1) != tt.wantCreated {
				t.Errorf("%d releases after the first run, want created=%v", api.count(), tt.wantCreated)
			}
			outcome := faultproxy.Unchanged
			if api.count() == 1 || (!tt.publish && err == nil) {
				outcome = faultproxy.Complete
			}
			outcome += " (" + faulttest.Describe(err, flaky.Requests(), waited) + ")"

			// The re-run, with the faults gone, converges: one release.
			p.MustSet(t)
			converged := call(t.Context()) == nil
			if tt.publish {
				url, created, err := c.PublishRelease(t.Context(), forge.Release{Tag: "v1.2.4", Name: "v1.2.4", Body: "notes"})
				if err != nil || created || !strings.HasSuffix(url, "/releases/tag/v1.2.4") {
					t.Errorf("publishing again = %q, created %v, %v; want the existing release", url, created, err)
					converged = false
				}
				if api.count() != 1 {
					t.Errorf("%d releases, want exactly 1", api.count())
					converged = false
				}
			}
			faultproxy.Report(t, faultproxy.Result{Scenario: "GitHub API: " + tt.name, Injected: injected, Outcome: outcome, Converged: converged})
		})
	}
}
