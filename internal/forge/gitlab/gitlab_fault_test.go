package gitlab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/faultproxy"
	"github.com/relman-dev/relman/internal/faulttest"
	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/gitlab"
)

// releaseAPI is a stateful GitLab releases API of project 42: the releases
// made stay made, so a re-run can find them.
type releaseAPI struct {
	t        *testing.T
	mu       sync.Mutex
	releases map[string]bool
}

func (a *releaseAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.releases)
}

func (a *releaseAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	a.mu.Lock()
	defer a.mu.Unlock()
	base := "/api/v4/projects/" + projectID
	path := r.URL.EscapedPath()
	release := func(tag string) string {
		return fmt.Sprintf(`{"tag_name":%q,"name":%q,"_links":{"self":"https://gitlab.example/group/sub/project/-/releases/%s"}}`, tag, tag, tag)
	}
	switch {
	case r.Method == http.MethodGet && path == base:
		fmt.Fprintf(w, `{"id":42,"path_with_namespace":%q,"default_branch":"main"}`, projectPath)
	case r.Method == http.MethodGet && strings.HasPrefix(path, base+"/releases/"):
		tag, _ := url.PathUnescape(strings.TrimPrefix(path, base+"/releases/"))
		if !a.releases[tag] {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"404 Not Found"}`)
			return
		}
		fmt.Fprint(w, release(tag))
	case r.Method == http.MethodPost && path == base+"/releases":
		var body struct {
			TagName string `json:"tag_name"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.TagName == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if a.releases[body.TagName] {
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"message":"Release already exists"}`)
			return
		}
		a.releases[body.TagName] = true
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, release(body.TagName))
	default:
		a.t.Errorf("unhandled request %s %s", r.Method, r.URL)
		http.Error(w, "unhandled", http.StatusTeapot)
	}
}

// TestFaultGitLabAPI puts the GitLab client behind the fault proxy and a
// server that answers 5xx and 429: it retries what can be retried with
// backoff, gives up within the bound, reports drops clearly, and a release
// the server made while the client heard nothing is found, not made twice,
// by the re-run.
func TestFaultGitLabAPI(t *testing.T) {
	project := "GET /api/v4/projects/" + projectID
	tests := []struct {
		name         string
		answers      []faulttest.Answer
		rule         *faultproxy.Rule
		publish      bool
		timeout      time.Duration
		wantOK       bool
		wantInErr    []string
		wantRequests int
		wantSleeps   []time.Duration
		wantCreated  bool
	}{
		{
			name:         "5xx twice, then an answer",
			answers:      []faulttest.Answer{{Status: 500}, {Status: 502}},
			wantOK:       true,
			wantRequests: 3,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second},
		},
		{
			name:         "5xx every time: gives up after 5 attempts",
			answers:      faulttest.Repeat(faulttest.Answer{Status: 503}, 5),
			wantInErr:    []string{"reading the default branch of GitLab project 42", "giving up after 5 attempts, the last answered 503 Service Unavailable", "re-run the job later"},
			wantRequests: 5,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second},
		},
		{
			name:         "429 with Retry-After",
			answers:      []faulttest.Answer{{Status: 429, Header: map[string]string{"Retry-After": "20", "RateLimit-Remaining": "0"}}},
			wantOK:       true,
			wantRequests: 2,
			wantSleeps:   []time.Duration{20 * time.Second},
		},
		{
			name:         "429 every time: gives up after 5 attempts",
			answers:      faulttest.Repeat(faulttest.Answer{Status: 429, Header: map[string]string{"Retry-After": "60"}}, 5),
			wantInErr:    []string{"giving up after 5 attempts, the last answered 429 Too Many Requests"},
			wantRequests: 5,
			wantSleeps:   []time.Duration{time.Minute, time.Minute, time.Minute, time.Minute},
		},
		{
			name:         "429 asking to wait an hour: gives up at once",
			answers:      []faulttest.Answer{{Status: 429, Header: map[string]string{"Retry-After": "3600"}}},
			wantInErr:    []string{"asked to wait 1h0m0s before retrying, longer than the 1m0s relman waits at most"},
			wantRequests: 1,
		},
		{
			name:         "connection dropped before the request, once: retried",
			rule:         &faultproxy.Rule{Request: project, Action: faultproxy.Drop},
			wantOK:       true,
			wantRequests: 1,
			wantSleeps:   []time.Duration{1500 * time.Millisecond},
		},
		{
			name:         "connection dropped every time: gives up after 5 attempts",
			rule:         &faultproxy.Rule{Request: project, Action: faultproxy.DropAfterRequest, Times: faultproxy.Always},
			wantInErr:    []string{"reading the default branch of GitLab project 42", "giving up after 5 attempts, the connection dropped each time"},
			wantRequests: 5,
			wantSleeps:   []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second},
		},
		{
			name:      "stalled: bounded by the context",
			rule:      &faultproxy.Rule{Request: project, Action: faultproxy.Stall},
			timeout:   time.Second,
			wantInErr: []string{"reading the default branch of GitLab project 42", "context deadline exceeded"},
		},
		{
			name:         "release POST dropped before the server: nothing made, the re-run makes it",
			rule:         &faultproxy.Rule{Request: "POST /api/v4/projects/" + projectID + "/releases", Action: faultproxy.Drop},
			publish:      true,
			wantInErr:    []string{"publishing the GitLab Release of v1.2.4 in project 42", "the connection dropped before GitLab answered", "re-run the job", "EOF"},
			wantRequests: 1,
		},
		{
			name:         "release POST dropped after the server made it: the re-run finds it",
			rule:         &faultproxy.Rule{Request: "POST /api/v4/projects/" + projectID + "/releases", Action: faultproxy.DropAfterRequest},
			publish:      true,
			wantInErr:    []string{"publishing the GitLab Release of v1.2.4 in project 42", "the connection dropped before GitLab answered", "re-run the job", "EOF"},
			wantRequests: 2,
			wantCreated:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &releaseAPI{t: t, releases: map[string]bool{}}
			flaky := &faulttest.Flaky{Next: api}
			flaky.Queue(tt.answers...)
			srv := httptest.NewServer(flaky)
			t.Cleanup(srv.Close)
			p := faultproxy.Start(t, srv.URL)
			if tt.rule != nil {
				p.MustSet(t, *tt.rule)
			}
			clock := &faulttest.Clock{}
			c, err := gitlab.New(gitlab.Options{BaseURL: p.URL() + "/api/v4", Token: token, Project: projectID, HTTPClient: faulttest.RetryClient(clock)})
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

			p.MustSet(t)
			converged := call(t.Context()) == nil
			if tt.publish {
				url, created, err := c.PublishRelease(t.Context(), forge.Release{Tag: "v1.2.4", Name: "v1.2.4", Body: "notes"})
				if err != nil || created || !strings.HasSuffix(url, "/releases/v1.2.4") {
					t.Errorf("publishing again = %q, created %v, %v; want the existing release", url, created, err)
					converged = false
				}
				if api.count() != 1 {
					t.Errorf("%d releases, want exactly 1", api.count())
					converged = false
				}
			}
			faultproxy.Report(t, faultproxy.Result{Scenario: "GitLab API: " + tt.name, Injected: injected, Outcome: outcome, Converged: converged})
		})
	}
}
