package gitlab

import (
	"context"
	"fmt"
	"net/http"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/relman-dev/relman/internal/forge"
)

// MergeRequest reads one merge request (its labels as they are now).
func (c *Client) MergeRequest(ctx context.Context, iid int) (forge.MergeRequest, error) {
	doing := fmt.Sprintf("reading merge request !%d of GitLab project %s", iid, c.project)
	mr, _, err := c.api.MergeRequests.GetMergeRequest(c.project, int64(iid), nil, gl.WithContext(ctx))
	if err != nil {
		return forge.MergeRequest{}, c.wrap(err, doing)
	}
	return toMergeRequest(&mr.BasicMergeRequest), nil
}

// PublishRelease creates the GitLab Release of a tag, unless one exists:
// created is false then.
func (c *Client) PublishRelease(ctx context.Context, r forge.Release) (url string, created bool, err error) {
	doing := fmt.Sprintf("publishing the GitLab Release of %s in project %s", r.Tag, c.project)
	existing, resp, err := c.api.Releases.GetRelease(c.project, r.Tag, gl.WithContext(ctx))
	if err == nil {
		return releaseURL(existing), false, nil
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		return "", false, c.wrap(err, doing)
	}
	rel, _, err := c.api.Releases.CreateRelease(c.project, &gl.CreateReleaseOptions{
		Name: gl.Ptr(r.Name), TagName: gl.Ptr(r.Tag), Description: gl.Ptr(r.Body),
	}, gl.WithContext(ctx))
	if err != nil {
		return "", false, c.wrap(err, doing)
	}
	return releaseURL(rel), true, nil
}

func releaseURL(r *gl.Release) string {
	if r == nil {
		return ""
	}
	return r.Links.Self
}
