package github

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	gh "github.com/google/go-github/v89/github"

	"github.com/relman-dev/relman/internal/forge"
)

// MergeRequest reads one pull request (its labels as they are now).
func (c *Client) MergeRequest(ctx context.Context, number int) (forge.MergeRequest, error) {
	doing := fmt.Sprintf("reading pull request #%d of %s/%s", number, c.owner, c.name)
	pr, _, err := c.api.PullRequests.Get(ctx, c.owner, c.name, number)
	if err != nil {
		return forge.MergeRequest{}, c.wrap(err, doing)
	}
	return toMergeRequest(pr), nil
}

// PublishRelease creates the GitHub Release of a tag, unless one exists:
// created is false then, and url is the existing release's.
func (c *Client) PublishRelease(ctx context.Context, r forge.Release) (url string, created bool, err error) {
	doing := fmt.Sprintf("publishing the GitHub Release of %s in %s/%s", r.Tag, c.owner, c.name)
	existing, resp, err := c.api.Repositories.GetReleaseByTag(ctx, c.owner, c.name, r.Tag)
	if err == nil {
		return existing.GetHTMLURL(), false, nil
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		return "", false, c.wrap(err, doing)
	}
	rel, _, err := c.api.Repositories.CreateRelease(ctx, c.owner, c.name, gh.CreateReleaseRequest{
		TagName: r.Tag, Name: gh.Ptr(r.Name), Body: gh.Ptr(r.Body),
		MakeLatest: gh.Ptr(strconv.FormatBool(r.Latest)),
	})
	if err != nil {
		return "", false, c.wrap(err, doing)
	}
	return rel.GetHTMLURL(), true, nil
}
