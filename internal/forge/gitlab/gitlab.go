// Package gitlab reads merged merge requests from the GitLab REST API (v4),
// on gitlab.com or a self-managed instance, for relman's tag step.
package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/retry"
)

// DefaultBaseURL is the REST API of gitlab.com.
const DefaultBaseURL = "https://gitlab.com/api/v4"

// perPage is the largest page GitLab serves.
const perPage = 100

// Options configures a Client.
type Options struct {
	// BaseURL is the REST API root as in CI_API_V4_URL, e.g.
	// https://gitlab.com/api/v4; "/api/v4" is added when missing.
	// DefaultBaseURL when empty.
	BaseURL string
	// Token is sent as PRIVATE-TOKEN: a project, group or personal access
	// token with the api (or read_api) scope. Empty for anonymous access to
	// public projects. It never appears in an error.
	Token string
	// Project is the numeric project id (CI_PROJECT_ID) or its full path
	// ("group/sub/project", CI_PROJECT_PATH).
	Project string
	// HTTPClient sends the requests. When nil, a client whose transport
	// retries (see package retry) around http.DefaultTransport. The
	// library's own retries are always off.
	HTTPClient *http.Client
}

// Client reads merge requests of one project.
type Client struct {
	api     *gl.Client
	project string
	token   string
	baseURL string
}

var projectPathRE = regexp.MustCompile(`^[^/\s]+(/[^/\s]+)+$`)
var projectIDRE = regexp.MustCompile(`^[1-9][0-9]*$`)

// New returns a Client for opts.Project.
func New(opts Options) (*Client, error) {
	project := opts.Project
	if !projectIDRE.MatchString(project) && !projectPathRE.MatchString(project) {
		return nil, fmt.Errorf("invalid GitLab project %q: want a numeric project id (CI_PROJECT_ID) or a full path such as group/sub/project (CI_PROJECT_PATH)", project)
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("invalid GitLab API URL %q: want an http(s) URL as in CI_API_V4_URL, e.g. %s", redactURL(base), DefaultBaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = retry.DefaultClient()
	}
	if opts.Token != "" {
		// Set by our transport for the API's host only: the library's own
		// header would follow a redirect to any host.
		hc = forge.WithToken(hc, u, "Private-Token", opts.Token)
	}
	clientOpts := []gl.ClientOptionFunc{
		// Before WithBaseURL, which may warn.
		gl.WithURLWarningLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		gl.WithBaseURL(base),
		gl.WithHTTPClient(hc),
		// Retries happen in our transport, alike for both forges.
		gl.WithoutRetries(),
		gl.WithCustomRetryMax(0),
		// Few requests are made; do not throttle them.
		gl.WithCustomLimiter(noLimit{}),
		gl.WithUserAgent("relman"),
	}
	api, err := gl.NewAuthSourceClient(gl.Unauthenticated{}, clientOpts...)
	if err != nil {
		return nil, forge.Redact(fmt.Errorf("creating the GitLab client: %w", err), opts.Token)
	}
	return &Client{api: api, project: project, token: opts.Token, baseURL: u.Redacted()}, nil
}

type noLimit struct{}

func (noLimit) Wait(ctx context.Context) error { return ctx.Err() }

// MergedSince lists the merge requests merged into q.TargetBranch that were
// updated at or after q.Since (GitLab's updated_after), newest update first;
// a zero Since lists them all. It costs ceil(N/100) requests for N such merge
// requests (one when there are none).
func (c *Client) MergedSince(ctx context.Context, q forge.Query) ([]forge.MergeRequest, error) {
	doing := fmt.Sprintf("listing merge requests of GitLab project %s merged into %q", c.project, q.TargetBranch)
	if q.TargetBranch == "" {
		return nil, fmt.Errorf("%s: no target branch given", doing)
	}
	opt := &gl.ListProjectMergeRequestsOptions{
		ListOptions:  gl.ListOptions{PerPage: perPage},
		State:        gl.Ptr("merged"),
		TargetBranch: gl.Ptr(q.TargetBranch),
		OrderBy:      gl.Ptr("updated_at"),
		Sort:         gl.Ptr("desc"),
	}
	if !q.Since.IsZero() {
		opt.UpdatedAfter = gl.Ptr(q.Since.UTC())
	}
	var out []forge.MergeRequest
	for {
		mrs, resp, err := c.api.MergeRequests.ListProjectMergeRequests(c.project, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, c.wrap(err, doing)
		}
		for _, mr := range mrs {
			out = append(out, toMergeRequest(mr))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		if resp.NextPage <= opt.Page {
			return nil, fmt.Errorf("%s: GitLab sent page %d as the next of page %d", doing, resp.NextPage, opt.Page)
		}
		opt.Page = resp.NextPage
	}
}

// DefaultBranch returns the project's default branch.
func (c *Client) DefaultBranch(ctx context.Context) (string, error) {
	doing := fmt.Sprintf("reading the default branch of GitLab project %s", c.project)
	p, _, err := c.api.Projects.GetProject(c.project, nil, gl.WithContext(ctx))
	if err != nil {
		return "", c.wrap(err, doing)
	}
	if p.DefaultBranch == "" {
		return "", fmt.Errorf("%s: GitLab did not say (empty repository?)", doing)
	}
	return p.DefaultBranch, nil
}

func toMergeRequest(mr *gl.BasicMergeRequest) forge.MergeRequest {
	m := forge.MergeRequest{
		Number:       int(mr.IID),
		Title:        mr.Title,
		URL:          mr.WebURL,
		Labels:       mr.Labels,
		MergeCommit:  mr.MergeCommitSHA,
		SquashCommit: mr.SquashCommitSHA,
		HeadCommit:   mr.SHA,
	}
	if mr.Author != nil {
		m.Author = mr.Author.Username
	}
	if mr.MergedAt != nil {
		m.MergedAt = *mr.MergedAt
	}
	if len(m.Labels) == 0 {
		m.Labels = nil
	}
	return m
}

// wrap turns an error of the GitLab client into one saying what was being
// done and how to fix it, with the token redacted.
func (c *Client) wrap(err error, doing string) error {
	var resp *gl.ErrorResponse
	status := 0
	if errors.As(err, &resp) {
		status = resp.StatusCode
	}
	switch {
	case status == http.StatusUnauthorized && c.token == "":
		err = fmt.Errorf("%s: the GitLab API wants a token (401): set RELMAN_TOKEN or GITLAB_TOKEN to a project access token with api scope; CI_JOB_TOKEN cannot list merge requests: %w",
			doing, forge.ErrUnauthorized)
	case status == http.StatusUnauthorized:
		err = fmt.Errorf("%s: the GitLab API refused the token (401): set RELMAN_TOKEN or GITLAB_TOKEN to a valid, unexpired project access token with api scope; CI_JOB_TOKEN cannot list merge requests: %w",
			doing, forge.ErrUnauthorized)
	case status == http.StatusNotFound:
		err = fmt.Errorf("%s: project %s not found at %s, or the token cannot see it: check CI_PROJECT_ID (--project) and CI_API_V4_URL (--api-url), and that the token belongs to the project: %w",
			doing, c.project, c.baseURL, forge.ErrNotFound)
	case status == http.StatusForbidden:
		err = fmt.Errorf("%s: the GitLab API denied access (403%s): give the token the api scope and at least the Reporter role in project %s",
			doing, detail(resp), c.project)
	case dropped(err):
		// Only a request that is never sent twice (a POST) gets here: the
		// retries handle the rest.
		err = fmt.Errorf("%s: the connection dropped before GitLab answered, so it may or may not have done it: re-run the job, which finds what was done: %w", doing, err)
	default:
		err = fmt.Errorf("%s: %w", doing, err)
	}
	return forge.Redact(err, c.token)
}

// detail is GitLab's message in resp, as ": message", or "".
func detail(resp *gl.ErrorResponse) string {
	var body struct {
		Message string `json:"message"`
	}
	msg := resp.Message
	if json.Unmarshal(resp.Body, &body) == nil && body.Message != "" {
		msg = body.Message
	}
	if msg == "" {
		return ""
	}
	return ": " + msg
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// dropped reports whether err is a connection that dropped before the
// answer, and not the retries giving up on one (which says so itself).
func dropped(err error) bool {
	var gaveUp *retry.Error
	return retry.Dropped(err) && !errors.As(err, &gaveUp)
}
