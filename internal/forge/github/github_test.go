package github_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/forgetest"
	"github.com/relman-dev/relman/internal/forge/github"
	"github.com/relman-dev/relman/internal/forge/retry"
)

const (
	token = "ghs_s3cr3tT0kenValue1234567890"
	repo  = "octo-org/hello-world"
)

// The JSON of the GitHub REST API, field names as documented at
// https://docs.github.com/rest/pulls/pulls#list-pull-requests and
// https://docs.github.com/rest/repos/repos#get-a-repository.
type (
	ghUser struct {
		Login string `json:"login"`
		ID    int    `json:"id"`
		Type  string `json:"type"`
	}
	ghLabel struct {
		ID      int    `json:"id"`
		NodeID  string `json:"node_id"`
		URL     string `json:"url"`
		Name    string `json:"name"`
		Color   string `json:"color"`
		Default bool   `json:"default"`
	}
	ghRef struct {
		Label string `json:"label"`
		Ref   string `json:"ref"`
		SHA   string `json:"sha"`
		User  ghUser `json:"user"`
	}
	ghPull struct {
		URL            string    `json:"url"`
		ID             int       `json:"id"`
		NodeID         string    `json:"node_id"`
		HTMLURL        string    `json:"html_url"`
		Number         int       `json:"number"`
		State          string    `json:"state"`
		Locked         bool      `json:"locked"`
		Title          string    `json:"title"`
		User           ghUser    `json:"user"`
		Body           *string   `json:"body"`
		Labels         []ghLabel `json:"labels"`
		CreatedAt      string    `json:"created_at"`
		UpdatedAt      string    `json:"updated_at"`
		ClosedAt       *string   `json:"closed_at"`
		MergedAt       *string   `json:"merged_at"`
		MergeCommitSHA *string   `json:"merge_commit_sha"`
		Head           ghRef     `json:"head"`
		Base           ghRef     `json:"base"`
		Draft          bool      `json:"draft"`

		updated time.Time
	}
	ghRepo struct {
		ID            int    `json:"id"`
		NodeID        string `json:"node_id"`
		Name          string `json:"name"`
		FullName      string `json:"full_name"`
		Private       bool   `json:"private"`
		HTMLURL       string `json:"html_url"`
		DefaultBranch string `json:"default_branch"`
	}
	ghError struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
		Status           string `json:"status"`
	}
)

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// pull is a pull request as GitHub lists it: merged when landed is not empty.
func pull(number int, title, base, head, landed string, merged, updated time.Time, labels ...string) ghPull {
	p := ghPull{
		URL:       fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", repo, number),
		ID:        1000 + number,
		NodeID:    fmt.Sprintf("PR_%d", number),
		HTMLURL:   fmt.Sprintf("https://github.com/%s/pull/%d", repo, number),
		Number:    number,
		State:     "closed",
		Title:     title,
		User:      ghUser{Login: fmt.Sprintf("dev%d", number%7), ID: number % 7, Type: "User"},
		CreatedAt: stamp(merged.Add(-time.Hour)),
		UpdatedAt: stamp(updated),
		Head:      ghRef{Label: "octo-org:change", Ref: "change", SHA: head, User: ghUser{Login: "octo-org", ID: 1, Type: "Organization"}},
		Base:      ghRef{Label: "octo-org:" + base, Ref: base, SHA: head, User: ghUser{Login: "octo-org", ID: 1, Type: "Organization"}},
		updated:   updated,
	}
	closed := stamp(merged)
	p.ClosedAt = &closed
	if landed != "" {
		p.MergedAt = &closed
		p.MergeCommitSHA = &landed
	} else {
		// GitHub keeps the test merge commit of a closed, unmerged pull request.
		test := strings.Repeat("ab", 20)
		p.MergeCommitSHA = &test
	}
	for i, l := range labels {
		p.Labels = append(p.Labels, ghLabel{ID: i + 1, NodeID: "LA_" + l, URL: "https://api.github.com/repos/" + repo + "/labels/" + l, Name: l, Color: "ededed"})
	}
	return p
}

// fakeGitHub speaks enough of the GitHub REST API for the client, fails the
// test on anything else, and counts requests.
type fakeGitHub struct {
	t     *testing.T
	srv   *httptest.Server
	pulls []ghPull
	// faults are answered, in order, before the API answers normally.
	faults []fault

	mu       sync.Mutex
	requests int
}

type fault struct {
	status int
	header map[string]string
	body   string
}

func newFakeGitHub(t *testing.T, pulls []ghPull, faults ...fault) *fakeGitHub {
	f := &fakeGitHub{t: t, pulls: pulls, faults: faults}
	slices.SortStableFunc(f.pulls, func(a, b ghPull) int { return b.updated.Compare(a.updated) })
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	var flt *fault
	if len(f.faults) > 0 {
		flt = &f.faults[0]
		f.faults = f.faults[1:]
	}
	f.mu.Unlock()

	if r.Method != http.MethodGet {
		f.t.Errorf("unhandled request %s %s", r.Method, r.URL)
		http.Error(w, "unhandled", http.StatusTeapot)
		return
	}
	if flt != nil {
		for k, v := range flt.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(flt.status)
		fmt.Fprint(w, flt.body)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		writeJSON(w, http.StatusUnauthorized, ghError{Message: "Bad credentials", DocumentationURL: "https://docs.github.com/rest", Status: "401"})
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 3 && parts[0] == "repos":
		f.checkQuery(r.URL.Query(), nil, nil)
		if parts[1]+"/"+parts[2] != repo {
			writeJSON(w, http.StatusNotFound, ghError{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest/repos/repos#get-a-repository", Status: "404"})
			return
		}
		writeJSON(w, http.StatusOK, ghRepo{ID: 1, NodeID: "R_1", Name: "hello-world", FullName: repo, HTMLURL: "https://github.com/" + repo, DefaultBranch: "main"})
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "pulls":
		if parts[1]+"/"+parts[2] != repo {
			writeJSON(w, http.StatusNotFound, ghError{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest/pulls/pulls#list-pull-requests", Status: "404"})
			return
		}
		f.listPulls(w, r)
	default:
		f.t.Errorf("unhandled request %s %s", r.Method, r.URL)
		http.Error(w, "unhandled", http.StatusTeapot)
	}
}

// checkQuery fails the test on parameters other than want (exact values) and
// optional (any value).
func (f *fakeGitHub) checkQuery(q url.Values, want map[string]string, optional []string) {
	for k, v := range q {
		if w, ok := want[k]; ok {
			if len(v) != 1 || v[0] != w {
				f.t.Errorf("query parameter %s = %q, want %q", k, v, w)
			}
			continue
		}
		if !slices.Contains(optional, k) {
			f.t.Errorf("unexpected query parameter %s=%q", k, v)
		}
	}
	for k := range want {
		if !q.Has(k) {
			f.t.Errorf("missing query parameter %s", k)
		}
	}
}

func (f *fakeGitHub) listPulls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.checkQuery(q, map[string]string{
		"state": "closed", "base": "main", "sort": "updated", "direction": "desc", "per_page": "100",
	}, []string{"page"})
	page := 1
	if p := q.Get("page"); p != "" {
		var err error
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			f.t.Errorf("bad page %q", p)
			page = 1
		}
	}
	const perPage = 100
	last := max(1, (len(f.pulls)+perPage-1)/perPage)
	start := min((page-1)*perPage, len(f.pulls))
	end := min(start+perPage, len(f.pulls))

	link := func(p int, rel string) string {
		u := *r.URL
		u.Scheme, u.Host = "http", r.Host
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, f.pulls[start:end])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(forgetest.Epoch.Add(time.Hour).Unix(), 10))
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(err)
	}
}

// newClient returns a client of f whose retries sleep through sleeps.
func newClient(t *testing.T, f *fakeGitHub, repository, tok string, sleeps *[]time.Duration) *github.Client {
	t.Helper()
	c, err := github.New(github.Options{
		BaseURL:    f.srv.URL + "/",
		Token:      tok,
		Repository: repository,
		HTTPClient: &http.Client{Transport: retry.New(retry.Options{
			Base: f.srv.Client().Transport,
			Sleep: func(_ context.Context, d time.Duration) error {
				*sleeps = append(*sleeps, d)
				return nil
			},
			Jitter: func(time.Duration) time.Duration { return 0 },
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// want is what the client must return for a change of h.
func want(c forgetest.Change, labels ...string) forge.MergeRequest {
	return forge.MergeRequest{
		Number:      c.Number,
		Title:       c.Title,
		URL:         fmt.Sprintf("https://github.com/%s/pull/%d", repo, c.Number),
		Author:      fmt.Sprintf("dev%d", c.Number%7),
		Labels:      labels,
		MergedAt:    c.MergedAt,
		MergeCommit: c.Landed(),
		HeadCommit:  c.Head,
	}
}

func TestMergedSince(t *testing.T) {
	h := forgetest.NewHistory(t, forgetest.Options{Changes: 3, FirstNumber: 10})
	merge, squash, ff := h.Changes[0], h.Changes[1], h.Changes[2]
	old := h.ReleasedAt.Add(-48 * time.Hour)
	pulls := []ghPull{
		pull(merge.Number, merge.Title, "main", merge.Head, merge.Landed(), merge.MergedAt, merge.MergedAt, "ImpactMinor"),
		pull(squash.Number, squash.Title, "main", squash.Head, squash.Landed(), squash.MergedAt, squash.MergedAt.Add(time.Hour), "ImpactPatch", "docs"),
		pull(ff.Number, ff.Title, "main", ff.Head, ff.Landed(), ff.MergedAt, ff.MergedAt),
		// Closed without merging after the release: skipped.
		pull(20, "abandoned", "main", ff.Head, "", h.ReleasedAt.Add(time.Minute), h.ReleasedAt.Add(2*time.Hour)),
		// Merged before the release.
		pull(5, "old", "main", h.Released, h.Released, old, old, "ImpactMajor"),
	}
	tests := []struct {
		name  string
		since time.Time
		want  []forge.MergeRequest
	}{
		{
			name:  "since the release",
			since: h.ReleasedAt,
			// Newest update first; the old one arrives on the same page.
			want: []forge.MergeRequest{
				want(squash, "ImpactPatch", "docs"), want(ff), want(merge, "ImpactMinor"),
				{Number: 5, Title: "old", URL: "https://github.com/" + repo + "/pull/5", Author: "dev5", Labels: []string{"ImpactMajor"}, MergedAt: old, MergeCommit: h.Released, HeadCommit: h.Released},
			},
		},
		{
			name:  "zero since lists all",
			since: time.Time{},
			want: []forge.MergeRequest{
				want(squash, "ImpactPatch", "docs"), want(ff), want(merge, "ImpactMinor"),
				{Number: 5, Title: "old", URL: "https://github.com/" + repo + "/pull/5", Author: "dev5", Labels: []string{"ImpactMajor"}, MergedAt: old, MergeCommit: h.Released, HeadCommit: h.Released},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, slices.Clone(pulls))
			var sleeps []time.Duration
			c := newClient(t, f, repo, token, &sleeps)
			got, err := c.MergedSince(t.Context(), forge.Query{TargetBranch: "main", Since: tt.since})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MergedSince (-want +got):\n%s", diff)
			}
			// The landed commits are real: the new ones are on main and
			// not in the release.
			for _, m := range got {
				if !h.IsAncestor(t, m.LandedCommit(), h.Tip) {
					t.Errorf("#%d: landed commit %s is not on main", m.Number, m.LandedCommit())
				}
				isNew := !h.IsAncestor(t, m.LandedCommit(), h.Released)
				if isNew != (m.Number != 5) {
					t.Errorf("#%d: new by reachability = %v", m.Number, isNew)
				}
			}
			if f.count() != 1 {
				t.Errorf("made %d requests, want 1", f.count())
			}
		})
	}
}

func TestMergedSinceRequestBudget(t *testing.T) {
	const newCount, oldCount = 250, 3000
	h := forgetest.NewHistory(t, forgetest.Options{Changes: newCount, FirstNumber: oldCount + 1})
	var pulls []ghPull
	for i := range oldCount {
		at := h.ReleasedAt.Add(-time.Duration(oldCount-i) * time.Hour)
		pulls = append(pulls, pull(i+1, "old", "main", h.Initial, h.Initial, at, at, "ImpactPatch"))
	}
	wantNew := map[int]string{}
	for _, c := range h.Changes {
		pulls = append(pulls, pull(c.Number, c.Title, "main", c.Head, c.Landed(), c.MergedAt, c.MergedAt, "ImpactMinor"))
		wantNew[c.Number] = c.Landed()
	}
	f := newFakeGitHub(t, pulls)
	var sleeps []time.Duration
	c := newClient(t, f, repo, token, &sleeps)

	branch, err := c.DefaultBranch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.MergedSince(t.Context(), forge.Query{TargetBranch: branch, Since: h.ReleasedAt})
	if err != nil {
		t.Fatal(err)
	}
	released := h.Reachable(t, h.Released)
	gotNew := map[int]string{}
	for _, m := range got {
		if released[m.LandedCommit()] {
			continue // older, left for the caller to drop by reachability
		}
		gotNew[m.Number] = m.LandedCommit()
	}
	if diff := cmp.Diff(wantNew, gotNew); diff != "" {
		t.Errorf("new merge requests (-want +got):\n%s", diff)
	}
	if budget := (newCount+99)/100 + 3; f.count() > budget {
		t.Errorf("made %d requests, over the budget of %d", f.count(), budget)
	}
	if len(got) > newCount+100 {
		t.Errorf("returned %d merge requests, more than a page beyond the %d new ones", len(got), newCount)
	}
}

func TestRetries(t *testing.T) {
	h := forgetest.NewHistory(t, forgetest.Options{Changes: 1})
	ch := h.Changes[0]
	pulls := []ghPull{pull(ch.Number, ch.Title, "main", ch.Head, ch.Landed(), ch.MergedAt, ch.MergedAt, "ImpactPatch")}
	unavailable := fault{status: http.StatusServiceUnavailable, body: `{"message":"Service Unavailable"}`}
	tests := []struct {
		name         string
		faults       []fault
		wantSleeps   []time.Duration
		wantErr      error
		wantInErr    string
		wantRequests int
	}{
		{
			name:         "5xx then success",
			faults:       []fault{{status: http.StatusBadGateway, body: "<html>bad gateway</html>"}, unavailable},
			wantSleeps:   []time.Duration{time.Second, 2 * time.Second},
			wantRequests: 3,
		},
		{
			name:         "429 with Retry-After",
			faults:       []fault{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "17"}, body: `{"message":"Too Many Requests"}`}},
			wantSleeps:   []time.Duration{17 * time.Second},
			wantRequests: 2,
		},
		{
			name: "secondary rate limit: 403 with Retry-After",
			faults: []fault{{status: http.StatusForbidden, header: map[string]string{"Retry-After": "45"},
				body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}`}},
			wantSleeps:   []time.Duration{45 * time.Second},
			wantRequests: 2,
		},
		{
			name:         "retries exhausted",
			faults:       []fault{unavailable, unavailable, unavailable, unavailable, unavailable},
			wantSleeps:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
			wantErr:      retry.ErrExhausted,
			wantInErr:    "giving up after 5 attempts, the last answered 503 Service Unavailable",
			wantRequests: 5,
		},
		{
			name:         "asked to wait too long",
			faults:       []fault{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "600"}}},
			wantErr:      retry.ErrWaitTooLong,
			wantInErr:    "asked to wait 10m0s",
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, slices.Clone(pulls), tt.faults...)
			var sleeps []time.Duration
			c := newClient(t, f, repo, token, &sleeps)
			got, err := c.MergedSince(t.Context(), forge.Query{TargetBranch: "main", Since: h.ReleasedAt})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "listing pull requests of "+repo) {
					t.Errorf("error %q does not say what was done and %q", err, tt.wantInErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]forge.MergeRequest{want(ch, "ImpactPatch")}, got); diff != "" {
					t.Errorf("MergedSince (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(tt.wantSleeps, sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if f.count() != tt.wantRequests {
				t.Errorf("made %d requests, want %d", f.count(), tt.wantRequests)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		repository string
		token      string
		faults     []fault
		wantErr    error
		wantInErr  []string
	}{
		{
			name:       "bad token",
			repository: repo,
			token:      token + "-expired",
			wantErr:    forge.ErrUnauthorized,
			wantInErr:  []string{"refused the token (401)", "RELMAN_TOKEN or GITHUB_TOKEN"},
		},
		{
			name:       "no token",
			repository: repo,
			token:      "",
			wantErr:    forge.ErrUnauthorized,
			wantInErr:  []string{"wants a token (401)", "RELMAN_TOKEN or GITHUB_TOKEN"},
		},
		{
			name:       "unknown repository",
			repository: "octo-org/nope",
			token:      token,
			wantErr:    forge.ErrNotFound,
			wantInErr:  []string{"repository octo-org/nope not found", "GITHUB_REPOSITORY"},
		},
		{
			name:       "forbidden",
			repository: repo,
			token:      token,
			faults:     []fault{{status: http.StatusForbidden, body: `{"message":"Resource not accessible by integration","status":"403"}`}},
			wantInErr:  []string{"denied access (403: Resource not accessible by integration)", "pull-requests: read"},
		},
		{
			name:       "server echoes the token",
			repository: repo,
			token:      token,
			faults:     []fault{{status: http.StatusBadRequest, body: `{"message":"bad header Bearer ` + token + `"}`}},
			wantInErr:  []string{"bad header Bearer ***"},
		},
	}
	for _, tt := range tests {
		for _, call := range []string{"MergedSince", "DefaultBranch"} {
			t.Run(tt.name+"/"+call, func(t *testing.T) {
				f := newFakeGitHub(t, nil, tt.faults...)
				var sleeps []time.Duration
				c := newClient(t, f, tt.repository, tt.token, &sleeps)
				var err error
				if call == "MergedSince" {
					_, err = c.MergedSince(t.Context(), forge.Query{TargetBranch: "main", Since: forgetest.Epoch})
				} else {
					_, err = c.DefaultBranch(t.Context())
				}
				if err == nil {
					t.Fatal("no error")
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("error = %v, want %v", err, tt.wantErr)
				}
				for _, s := range tt.wantInErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not say %q", err, s)
					}
				}
				if tt.token != "" && strings.Contains(err.Error(), tt.token) {
					t.Errorf("error %q contains the token", err)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("error %q contains the token", err)
				}
				if f.count() != 1 {
					t.Errorf("made %d requests, want 1", f.count())
				}
			})
		}
	}
}

func TestDefaultBranch(t *testing.T) {
	f := newFakeGitHub(t, nil)
	var sleeps []time.Duration
	c := newClient(t, f, repo, token, &sleeps)
	got, err := c.DefaultBranch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got != "main" {
		t.Errorf("DefaultBranch() = %q, want main", got)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		opts    github.Options
		wantErr string
	}{
		{name: "no repository", opts: github.Options{}, wantErr: `invalid GitHub repository "": want OWNER/NAME`},
		{name: "no owner", opts: github.Options{Repository: "/name"}, wantErr: `invalid GitHub repository "/name"`},
		{name: "too many parts", opts: github.Options{Repository: "a/b/c"}, wantErr: `invalid GitHub repository "a/b/c"`},
		{name: "a URL", opts: github.Options{Repository: "https://github.com/a/b"}, wantErr: `invalid GitHub repository`},
		{name: "bad API URL", opts: github.Options{Repository: repo, BaseURL: "api.github.com"}, wantErr: `invalid GitHub API URL "api.github.com"`},
		{name: "API URL password is redacted", opts: github.Options{Repository: repo, BaseURL: "ftp://x:" + token + "@host/"}, wantErr: `invalid GitHub API URL "ftp://x:xxxxx@host/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := github.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
	if _, err := github.New(github.Options{Repository: "octo-org/hello.world_2-x"}); err != nil {
		t.Errorf("New() with a valid repository: %v", err)
	}
}
