package gitlab_test

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
	"github.com/relman-dev/relman/internal/forge/gitlab"
	"github.com/relman-dev/relman/internal/forge/retry"
)

const (
	token       = "glpat-s3cr3tT0kenValue12345"
	projectID   = "42"
	projectPath = "group/sub/project"
)

// The JSON of the GitLab REST API v4, field names as documented at
// https://docs.gitlab.com/api/merge_requests/#list-project-merge-requests and
// https://docs.gitlab.com/api/projects/#get-a-single-project.
type (
	glUser struct {
		ID        int    `json:"id"`
		Username  string `json:"username"`
		Name      string `json:"name"`
		State     string `json:"state"`
		Locked    bool   `json:"locked"`
		AvatarURL string `json:"avatar_url"`
		WebURL    string `json:"web_url"`
	}
	glReferences struct {
		Short    string `json:"short"`
		Relative string `json:"relative"`
		Full     string `json:"full"`
	}
	glMergeRequest struct {
		ID                  int          `json:"id"`
		IID                 int          `json:"iid"`
		ProjectID           int          `json:"project_id"`
		Title               string       `json:"title"`
		Description         string       `json:"description"`
		State               string       `json:"state"`
		CreatedAt           string       `json:"created_at"`
		UpdatedAt           string       `json:"updated_at"`
		MergedBy            *glUser      `json:"merged_by"`
		MergeUser           *glUser      `json:"merge_user"`
		MergedAt            *string      `json:"merged_at"`
		ClosedBy            *glUser      `json:"closed_by"`
		ClosedAt            *string      `json:"closed_at"`
		TargetBranch        string       `json:"target_branch"`
		SourceBranch        string       `json:"source_branch"`
		Author              glUser       `json:"author"`
		SourceProjectID     int          `json:"source_project_id"`
		TargetProjectID     int          `json:"target_project_id"`
		Labels              []string     `json:"labels"`
		Draft               bool         `json:"draft"`
		MergeStatus         string       `json:"merge_status"`
		DetailedMergeStatus string       `json:"detailed_merge_status"`
		SHA                 string       `json:"sha"`
		MergeCommitSHA      *string      `json:"merge_commit_sha"`
		SquashCommitSHA     *string      `json:"squash_commit_sha"`
		Reference           string       `json:"reference"`
		References          glReferences `json:"references"`
		WebURL              string       `json:"web_url"`
		Squash              bool         `json:"squash"`
		SquashOnMerge       bool         `json:"squash_on_merge"`

		updated time.Time
	}
	glProject struct {
		ID                int    `json:"id"`
		Name              string `json:"name"`
		Path              string `json:"path"`
		PathWithNamespace string `json:"path_with_namespace"`
		DefaultBranch     string `json:"default_branch"`
		WebURL            string `json:"web_url"`
	}
	glError struct {
		Message string `json:"message"`
	}
)

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func user(n int) glUser {
	name := fmt.Sprintf("dev%d", n%7)
	return glUser{ID: n % 7, Username: name, Name: "Dev " + name, State: "active", AvatarURL: "https://gitlab.example/uploads/" + name + ".png", WebURL: "https://gitlab.example/" + name}
}

// mr is a merged merge request as GitLab lists it.
func mr(iid int, title, head, mergeCommit, squashCommit string, merged, updated time.Time, labels ...string) glMergeRequest {
	mergedBy := user(iid + 1)
	m := glMergeRequest{
		ID: 9000 + iid, IID: iid, ProjectID: 42,
		Title: title, Description: "", State: "merged",
		CreatedAt: stamp(merged.Add(-time.Hour)), UpdatedAt: stamp(updated),
		MergedBy: &mergedBy, MergeUser: &mergedBy, MergedAt: strPtr(stamp(merged)),
		TargetBranch: "main", SourceBranch: fmt.Sprintf("change-%d", iid),
		Author: user(iid), SourceProjectID: 42, TargetProjectID: 42,
		Labels:      append([]string{}, labels...),
		MergeStatus: "can_be_merged", DetailedMergeStatus: "mergeable",
		SHA: head, MergeCommitSHA: strPtr(mergeCommit), SquashCommitSHA: strPtr(squashCommit),
		Reference:  fmt.Sprintf("!%d", iid),
		References: glReferences{Short: fmt.Sprintf("!%d", iid), Relative: fmt.Sprintf("!%d", iid), Full: fmt.Sprintf("%s!%d", projectPath, iid)},
		WebURL:     fmt.Sprintf("https://gitlab.example/%s/-/merge_requests/%d", projectPath, iid),
		Squash:     squashCommit != "",
		updated:    updated,
	}
	return m
}

// changeMR is the merge request of a change of a forgetest.History.
func changeMR(c forgetest.Change, updated time.Time, labels ...string) glMergeRequest {
	return mr(c.Number, c.Title, c.Head, c.MergeCommit, c.SquashCommit, c.MergedAt, updated, labels...)
}

// want is what the client must return for a change.
func want(c forgetest.Change, labels ...string) forge.MergeRequest {
	return forge.MergeRequest{
		Number:       c.Number,
		Title:        c.Title,
		URL:          fmt.Sprintf("https://gitlab.example/%s/-/merge_requests/%d", projectPath, c.Number),
		Author:       fmt.Sprintf("dev%d", c.Number%7),
		Labels:       labels,
		MergedAt:     c.MergedAt,
		MergeCommit:  c.MergeCommit,
		SquashCommit: c.SquashCommit,
		HeadCommit:   c.Head,
	}
}

// fakeGitLab speaks enough of the GitLab REST API v4 for the client, fails
// the test on anything else, and counts requests.
type fakeGitLab struct {
	t   *testing.T
	srv *httptest.Server
	mrs []glMergeRequest
	// wantUpdatedAfter is the updated_after the client must send; zero: none.
	wantUpdatedAfter time.Time
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

func newFakeGitLab(t *testing.T, mrs []glMergeRequest, updatedAfter time.Time, faults ...fault) *fakeGitLab {
	f := &fakeGitLab{t: t, mrs: mrs, wantUpdatedAfter: updatedAfter, faults: faults}
	slices.SortStableFunc(f.mrs, func(a, b glMergeRequest) int { return b.updated.Compare(a.updated) })
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitLab) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
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
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(flt.status)
		fmt.Fprint(w, flt.body)
		return
	}
	if r.Header.Get("PRIVATE-TOKEN") != token {
		writeJSON(w, http.StatusUnauthorized, glError{Message: "401 Unauthorized"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/v4/projects/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) > 2 || (len(parts) == 2 && parts[1] != "merge_requests") {
		f.t.Errorf("unhandled request %s %s", r.Method, r.URL)
		http.Error(w, "unhandled", http.StatusTeapot)
		return
	}
	id, err := url.PathUnescape(parts[0])
	if err != nil {
		f.t.Errorf("bad project id in %s: %v", r.URL, err)
	}
	if id != projectID && id != projectPath {
		writeJSON(w, http.StatusNotFound, glError{Message: "404 Project Not Found"})
		return
	}
	if len(parts) == 1 {
		checkQuery(f.t, r.URL.Query(), nil, nil)
		writeJSON(w, http.StatusOK, glProject{ID: 42, Name: "project", Path: "project", PathWithNamespace: projectPath, DefaultBranch: "main", WebURL: "https://gitlab.example/" + projectPath})
		return
	}
	f.listMergeRequests(w, r)
}

// checkQuery fails the test on parameters other than want (exact values) and
// optional (any value).
func checkQuery(t *testing.T, q url.Values, want map[string]string, optional []string) {
	for k, v := range q {
		if w, ok := want[k]; ok {
			if len(v) != 1 || v[0] != w {
				t.Errorf("query parameter %s = %q, want %q", k, v, w)
			}
			continue
		}
		if !slices.Contains(optional, k) {
			t.Errorf("unexpected query parameter %s=%q", k, v)
		}
	}
	for k := range want {
		if !q.Has(k) {
			t.Errorf("missing query parameter %s", k)
		}
	}
}

func (f *fakeGitLab) listMergeRequests(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	want := map[string]string{
		"state": "merged", "target_branch": "main", "order_by": "updated_at", "sort": "desc", "per_page": "100",
	}
	if !f.wantUpdatedAfter.IsZero() {
		want["updated_after"] = f.wantUpdatedAfter.UTC().Format(time.RFC3339)
	}
	checkQuery(f.t, q, want, []string{"page"})
	var after time.Time
	if v := q.Get("updated_after"); v != "" {
		var err error
		if after, err = time.Parse(time.RFC3339, v); err != nil {
			f.t.Errorf("bad updated_after %q: %v", v, err)
		}
	}
	var matching []glMergeRequest
	for _, m := range f.mrs {
		if !m.updated.Before(after) { // GitLab: updated on or after
			matching = append(matching, m)
		}
	}
	page := 1
	if p := q.Get("page"); p != "" {
		var err error
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			f.t.Errorf("bad page %q", p)
			page = 1
		}
	}
	const perPage = 100
	totalPages := max(1, (len(matching)+perPage-1)/perPage)
	start := min((page-1)*perPage, len(matching))
	end := min(start+perPage, len(matching))

	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Total", strconv.Itoa(len(matching)))
	h.Set("X-Total-Pages", strconv.Itoa(totalPages))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
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
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		links = append(links, link(page-1, "prev"))
	}
	if page < totalPages {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"), link(totalPages, "last"))
	h.Set("Link", strings.Join(links, ", "))
	writeJSON(w, http.StatusOK, matching[start:end])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(err)
	}
}

// newClient returns a client of f whose retries sleep through sleeps.
func newClient(t *testing.T, f *fakeGitLab, project, tok string, sleeps *[]time.Duration) *gitlab.Client {
	t.Helper()
	c, err := gitlab.New(gitlab.Options{
		BaseURL: f.srv.URL + "/api/v4",
		Token:   tok,
		Project: project,
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

func TestMergedSince(t *testing.T) {
	h := forgetest.NewHistory(t, forgetest.Options{Changes: 3, FirstNumber: 10})
	merge, squash, ff := h.Changes[0], h.Changes[1], h.Changes[2]
	old := h.ReleasedAt.Add(-48 * time.Hour)
	mrs := []glMergeRequest{
		changeMR(merge, merge.MergedAt, "ImpactMinor"),
		changeMR(squash, squash.MergedAt.Add(time.Hour), "ImpactPatch", "docs"),
		changeMR(ff, ff.MergedAt),
		mr(5, "old", h.Released, "", "", old, old, "ImpactMajor"),
	}
	wantOld := forge.MergeRequest{Number: 5, Title: "old", URL: "https://gitlab.example/" + projectPath + "/-/merge_requests/5", Author: "dev5", Labels: []string{"ImpactMajor"}, MergedAt: old, HeadCommit: h.Released}
	tests := []struct {
		name    string
		project string
		since   time.Time
		want    []forge.MergeRequest
	}{
		{
			name:    "since the release, project by id",
			project: projectID,
			since:   h.ReleasedAt,
			want:    []forge.MergeRequest{want(squash, "ImpactPatch", "docs"), want(ff), want(merge, "ImpactMinor")},
		},
		{
			name:    "since the release, project by path",
			project: projectPath,
			since:   h.ReleasedAt,
			want:    []forge.MergeRequest{want(squash, "ImpactPatch", "docs"), want(ff), want(merge, "ImpactMinor")},
		},
		{
			name:    "zero since lists all",
			project: projectID,
			want:    []forge.MergeRequest{want(squash, "ImpactPatch", "docs"), want(ff), want(merge, "ImpactMinor"), wantOld},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitLab(t, slices.Clone(mrs), tt.since)
			var sleeps []time.Duration
			c := newClient(t, f, tt.project, token, &sleeps)
			got, err := c.MergedSince(t.Context(), forge.Query{TargetBranch: "main", Since: tt.since})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MergedSince (-want +got):\n%s", diff)
			}
			// The landed commits are real: the new ones are on main and
			// not in the release; a squashed head is on neither.
			for _, m := range got {
				if !h.IsAncestor(t, m.LandedCommit(), h.Tip) {
					t.Errorf("!%d: landed commit %s is not on main", m.Number, m.LandedCommit())
				}
				if isNew := !h.IsAncestor(t, m.LandedCommit(), h.Released); isNew != (m.Number != 5) {
					t.Errorf("!%d: new by reachability = %v", m.Number, isNew)
				}
				if m.SquashCommit != "" && h.IsAncestor(t, m.HeadCommit, h.Tip) {
					t.Errorf("!%d: squashed head %s is on main", m.Number, m.HeadCommit)
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
	var mrs []glMergeRequest
	for i := range oldCount {
		at := h.ReleasedAt.Add(-time.Duration(oldCount-i) * time.Hour)
		mrs = append(mrs, mr(i+1, "old", h.Initial, h.Initial, "", at, at, "ImpactPatch"))
	}
	wantNew := map[int]string{}
	for _, c := range h.Changes {
		mrs = append(mrs, changeMR(c, c.MergedAt, "ImpactMinor"))
		wantNew[c.Number] = c.Landed()
	}
	f := newFakeGitLab(t, mrs, h.ReleasedAt)
	var sleeps []time.Duration
	c := newClient(t, f, projectPath, token, &sleeps)

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
}

func TestRetries(t *testing.T) {
	h := forgetest.NewHistory(t, forgetest.Options{Changes: 1})
	ch := h.Changes[0]
	mrs := []glMergeRequest{changeMR(ch, ch.MergedAt, "ImpactPatch")}
	unavailable := fault{status: http.StatusServiceUnavailable, body: `{"message":"503 Service Unavailable"}`}
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
			faults:       []fault{{status: http.StatusBadGateway, body: "<html>502 Bad Gateway</html>"}, unavailable},
			wantSleeps:   []time.Duration{time.Second, 2 * time.Second},
			wantRequests: 3,
		},
		{
			name: "429 with Retry-After",
			faults: []fault{{status: http.StatusTooManyRequests, body: "Retry later\n", header: map[string]string{
				"Retry-After": "23", "RateLimit-Limit": "600", "RateLimit-Remaining": "0", "RateLimit-Reset": "1704189623",
			}}},
			wantSleeps:   []time.Duration{23 * time.Second},
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
			faults:       []fault{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "3600"}}},
			wantErr:      retry.ErrWaitTooLong,
			wantInErr:    "asked to wait 1h0m0s",
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitLab(t, slices.Clone(mrs), h.ReleasedAt, tt.faults...)
			var sleeps []time.Duration
			c := newClient(t, f, projectID, token, &sleeps)
			got, err := c.MergedSince(t.Context(), forge.Query{TargetBranch: "main", Since: h.ReleasedAt})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "listing merge requests of GitLab project 42") {
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
		name      string
		project   string
		token     string
		faults    []fault
		wantErr   error
		wantInErr []string
	}{
		{
			name:      "bad token",
			project:   projectID,
			token:     token + "-expired",
			wantErr:   forge.ErrUnauthorized,
			wantInErr: []string{"refused the token (401)", "RELMAN_TOKEN or GITLAB_TOKEN", "api scope", "CI_JOB_TOKEN cannot list merge requests"},
		},
		{
			name:      "no token",
			project:   projectID,
			token:     "",
			wantErr:   forge.ErrUnauthorized,
			wantInErr: []string{"wants a token (401)", "RELMAN_TOKEN or GITLAB_TOKEN"},
		},
		{
			name:      "unknown project",
			project:   "group/nope",
			token:     token,
			wantErr:   forge.ErrNotFound,
			wantInErr: []string{"project group/nope not found", "CI_PROJECT_ID"},
		},
		{
			name:      "forbidden",
			project:   projectID,
			token:     token,
			faults:    []fault{{status: http.StatusForbidden, body: `{"message":"403 Forbidden"}`}},
			wantInErr: []string{"denied access (403: 403 Forbidden)", "api scope"},
		},
		{
			name:      "server echoes the token",
			project:   projectID,
			token:     token,
			faults:    []fault{{status: http.StatusBadRequest, body: `{"error":"bad PRIVATE-TOKEN ` + token + `"}`}},
			wantInErr: []string{"bad PRIVATE-TOKEN ***"},
		},
	}
	for _, tt := range tests {
		for _, call := range []string{"MergedSince", "DefaultBranch"} {
			t.Run(tt.name+"/"+call, func(t *testing.T) {
				f := newFakeGitLab(t, nil, forgetest.Epoch, tt.faults...)
				var sleeps []time.Duration
				c := newClient(t, f, tt.project, tt.token, &sleeps)
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
	for _, project := range []string{projectID, projectPath} {
		t.Run(project, func(t *testing.T) {
			f := newFakeGitLab(t, nil, time.Time{})
			var sleeps []time.Duration
			c := newClient(t, f, project, token, &sleeps)
			got, err := c.DefaultBranch(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got != "main" {
				t.Errorf("DefaultBranch() = %q, want main", got)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		opts    gitlab.Options
		wantErr string
	}{
		{name: "no project", opts: gitlab.Options{}, wantErr: `invalid GitLab project "": want a numeric project id (CI_PROJECT_ID) or a full path`},
		{name: "no group", opts: gitlab.Options{Project: "project"}, wantErr: `invalid GitLab project "project"`},
		{name: "empty segment", opts: gitlab.Options{Project: "group//project"}, wantErr: `invalid GitLab project "group//project"`},
		{name: "a URL", opts: gitlab.Options{Project: "https://gitlab.com/group/project"}, wantErr: `invalid GitLab project`},
		{name: "bad API URL", opts: gitlab.Options{Project: projectID, BaseURL: "gitlab.com/api/v4"}, wantErr: `invalid GitLab API URL "gitlab.com/api/v4"`},
		{name: "API URL password is redacted", opts: gitlab.Options{Project: projectID, BaseURL: "ftp://x:" + token + "@host/"}, wantErr: `invalid GitLab API URL "ftp://x:xxxxx@host/"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gitlab.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
	for _, p := range []string{"42", "group/sub/my.project"} {
		if _, err := gitlab.New(gitlab.Options{Project: p}); err != nil {
			t.Errorf("New() with project %q: %v", p, err)
		}
	}
}

func TestLibraryRetriesAreOff(t *testing.T) {
	// Without our retry transport, a 503 must reach the caller after one
	// request: the library must not retry on its own.
	f := newFakeGitLab(t, nil, forgetest.Epoch, fault{status: http.StatusServiceUnavailable, body: `{"message":"503"}`})
	c, err := gitlab.New(gitlab.Options{BaseURL: f.srv.URL + "/api/v4", Token: token, Project: projectID, HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.MergedSince(t.Context(), forge.Query{TargetBranch: "main", Since: forgetest.Epoch}); err == nil {
		t.Fatal("no error")
	}
	if f.count() != 1 {
		t.Errorf("made %d requests, want 1", f.count())
	}
}
