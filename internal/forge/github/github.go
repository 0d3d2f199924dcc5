// Package github reads merged pull requests from the GitHub REST API
// (github.com or GitHub Enterprise Server) for relman's tag step.
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/retry"
)

// DefaultBaseURL is the REST API of github.com.
const DefaultBaseURL = "https://api.github.com"

// perPage is the largest page GitHub serves.
const perPage = 100

// Options configures a Client.
type Options struct {
	// BaseURL is the REST API root as in GITHUB_API_URL:
	// https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise
	// Server. DefaultBaseURL when empty.
	BaseURL string
	// Token authenticates the requests; empty for anonymous access to public
	// repositories. It never appears in an error.
	Token string
	// Repository is "owner/name", as in GITHUB_REPOSITORY.
	Repository string
	// HTTPClient sends the requests. When nil, a client whose transport
	// retries (see package retry) around http.DefaultTransport.
	HTTPClient *http.Client
}

// Client reads pull requests of one repository.
type Client struct {
	api     *gh.Client
	owner   string
	name    string
	token   string
	baseURL string
}

var (
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// New returns a Client for opts.Repository.
func New(opts Options) (*Client, error) {
	owner, name, ok := strings.Cut(opts.Repository, "/")
	if !ok || !ownerRE.MatchString(owner) || !nameRE.MatchString(name) || name == "." || name == ".." {
		return nil, fmt.Errorf("invalid GitHub repository %q: want OWNER/NAME as in GITHUB_REPOSITORY, e.g. octo-org/hello-world", opts.Repository)
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("invalid GitHub API URL %q: want an http(s) URL as in GITHUB_API_URL, e.g. %s or https://HOST/api/v3", redactURL(base), DefaultBaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = retry.DefaultClient()
	}
	if opts.Token != "" {
		// Not gh.WithAuthToken, whose transport sends the token to every
		// host, redirects included.
		hc = forge.WithToken(hc, u, "Authorization", "Bearer "+opts.Token)
	}
	clientOpts := []gh.ClientOptionsFunc{
		gh.WithHTTPClient(hc),
		gh.WithURLs(&base, nil),
		gh.WithUserAgent("relman"),
	}
	api, err := gh.NewClient(clientOpts...)
	if err != nil {
		return nil, forge.Redact(fmt.Errorf("creating the GitHub client: %w", err), opts.Token)
	}
	return &Client{api: api, owner: owner, name: name, token: opts.Token, baseURL: u.Redacted()}, nil
}

// MergedSince lists the pull requests merged into q.TargetBranch that were
// updated at or after q.Since, newest first; a zero Since lists them all.
// It pages through closed pull requests sorted by last update and stops at
// the first page reaching back before q.Since, so it costs
// ceil(N/100)+1 requests for N recent pull requests. A few merged before
// q.Since may be returned too. Closed pull requests that were not merged are
// left out.
func (c *Client) MergedSince(ctx context.Context, q forge.Query) ([]forge.MergeRequest, error) {
	doing := fmt.Sprintf("listing pull requests of %s/%s merged into %q", c.owner, c.name, q.TargetBranch)
	if q.TargetBranch == "" {
		return nil, fmt.Errorf("%s: no target branch given", doing)
	}
	opt := &gh.PullRequestListOptions{
		State:       "closed",
		Base:        q.TargetBranch,
		Sort:        "updated",
		Direction:   "desc",
		ListOptions: gh.ListOptions{PerPage: perPage},
	}
	var out []forge.MergeRequest
	for {
		prs, resp, err := c.api.PullRequests.List(ctx, c.owner, c.name, opt)
		if err != nil {
			return nil, c.wrap(err, doing)
		}
		reachedSince := false
		for _, pr := range prs {
			if !q.Since.IsZero() && pr.UpdatedAt != nil && pr.UpdatedAt.Before(q.Since) {
				reachedSince = true
			}
			if pr.MergedAt == nil {
				continue
			}
			out = append(out, toMergeRequest(pr))
		}
		if reachedSince || resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// DefaultBranch returns the repository's default branch.
func (c *Client) DefaultBranch(ctx context.Context) (string, error) {
	doing := fmt.Sprintf("reading the default branch of %s/%s", c.owner, c.name)
	repo, _, err := c.api.Repositories.Get(ctx, c.owner, c.name)
	if err != nil {
		return "", c.wrap(err, doing)
	}
	if repo.GetDefaultBranch() == "" {
		return "", fmt.Errorf("%s: GitHub did not say (empty repository?)", doing)
	}
	return repo.GetDefaultBranch(), nil
}

func toMergeRequest(pr *gh.PullRequest) forge.MergeRequest {
	m := forge.MergeRequest{
		Number:      pr.GetNumber(),
		Title:       pr.GetTitle(),
		URL:         pr.GetHTMLURL(),
		Author:      pr.GetUser().GetLogin(),
		MergeCommit: pr.GetMergeCommitSHA(),
		HeadCommit:  pr.GetHead().GetSHA(),
	}
	if pr.MergedAt != nil {
		m.MergedAt = pr.MergedAt.Time
	}
	for _, l := range pr.Labels {
		m.Labels = append(m.Labels, l.GetName())
	}
	return m
}

// wrap turns an error of the GitHub client into one saying what was being
// done and how to fix it, with the token redacted.
func (c *Client) wrap(err error, doing string) error {
	var resp *gh.ErrorResponse
	var rate *gh.RateLimitError
	var abuse *gh.AbuseRateLimitError
	status := 0
	if errors.As(err, &resp) && resp.Response != nil {
		status = resp.Response.StatusCode
	}
	repo := c.owner + "/" + c.name
	switch {
	case status == http.StatusUnauthorized && c.token == "":
		err = fmt.Errorf("%s: the GitHub API wants a token (401): set RELMAN_TOKEN or GITHUB_TOKEN (the action's token input) to a token that can read pull requests of %s: %w",
			doing, repo, forge.ErrUnauthorized)
	case status == http.StatusUnauthorized:
		err = fmt.Errorf("%s: the GitHub API refused the token (401): set RELMAN_TOKEN or GITHUB_TOKEN (the action's token input) to a valid, unexpired token that can read pull requests of %s: %w",
			doing, repo, forge.ErrUnauthorized)
	case status == http.StatusNotFound:
		err = fmt.Errorf("%s: repository %s not found at %s, or the token cannot see it: check GITHUB_REPOSITORY (--project) and GITHUB_API_URL (--api-url), and that the token has access to the repository: %w",
			doing, repo, c.baseURL, forge.ErrNotFound)
	case errors.As(err, &rate):
		err = fmt.Errorf("%s: the GitHub API rate limit is used up until %s: re-run the job later or use a token with a higher limit: %w",
			doing, rate.Rate.Reset.UTC().Format(time.RFC3339), err)
	case errors.As(err, &abuse):
		err = fmt.Errorf("%s: GitHub's secondary rate limit: re-run the job later: %w", doing, err)
	case status == http.StatusForbidden:
		err = fmt.Errorf("%s: the GitHub API denied access (403: %s): give the token read access to pull requests and contents of %s (permissions: pull-requests: read, contents: read)",
			doing, resp.Message, repo)
	case dropped(err):
		// Only a request that is never sent twice (a POST) gets here: the
		// retries handle the rest.
		err = fmt.Errorf("%s: the connection dropped before GitHub answered, so it may or may not have done it: re-run the job, which finds what was done: %w", doing, err)
	default:
		err = fmt.Errorf("%s: %w", doing, err)
	}
	return forge.Redact(err, c.token)
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
