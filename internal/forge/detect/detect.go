// Package detect works out which forge a run talks to: GitHub or GitLab,
// its API, the project and its web address, from the settings, the
// runner's variables and the remote URL; and connects to it.
package detect

import (
	"context"
	"fmt"
	"strings"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/forge"
	"github.com/relman-dev/relman/internal/forge/github"
	"github.com/relman-dev/relman/internal/forge/gitlab"
	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/tagstep"
)

// The forges relman knows.
const (
	GitHub = "github"
	GitLab = "gitlab"
)

// Settings are what the user said about the forge; each empty when not set.
type Settings struct {
	Forge   string // "github", "gitlab" (any case) or ""
	APIURL  string
	Project string
}

// Target is the forge a run talks to, as far as it could be told.
type Target struct {
	Kind     string // GitHub, GitLab, or "" (none)
	APIURL   string // "" for the public forge's
	Project  string // OWNER/NAME on GitHub, a project id or path on GitLab
	WebURL   string // the project's web page, "" when unknown
	PushUser string // the user of token pushes over HTTPS
}

// Resolve works out the forge: the forge setting, else the runner (GitHub
// Actions, GitLab CI), else the remote's host (github.com, a host named
// gitlab); then its API URL and project from the settings, the runner's
// variables, or the remote URL. An unknown forge setting is an error.
func Resolve(run ci.Context, remoteURL string, s Settings) (Target, error) {
	var t Target
	kind := strings.ToLower(strings.TrimSpace(s.Forge))
	switch kind {
	case "", GitHub, GitLab:
	default:
		return t, fmt.Errorf("unknown forge %q: expected github or gitlab", s.Forge)
	}
	host, path := gitrepo.SplitRemoteURL(remoteURL)
	if kind == "" {
		switch {
		case run.Kind == ci.GitHub:
			kind = GitHub
		case run.Kind == ci.GitLab:
			kind = GitLab
		case host == "github.com":
			kind = GitHub
		case strings.Contains(host, "gitlab"):
			kind = GitLab
		}
	}
	t.Kind, t.APIURL, t.Project = kind, s.APIURL, s.Project
	switch kind {
	case GitHub:
		t.PushUser = "x-access-token"
		if t.APIURL == "" {
			t.APIURL = run.GitHub.APIURL
		}
		if t.APIURL == "" && host != "" && host != "github.com" {
			t.APIURL = "https://" + host + "/api/v3"
		}
		if t.Project == "" {
			t.Project = run.GitHub.Repository
		}
		if t.Project == "" {
			t.Project = path
		}
		server := run.GitHub.ServerURL
		if server == "" && host != "" {
			server = "https://" + host
		}
		if server != "" && t.Project != "" {
			t.WebURL = strings.TrimRight(server, "/") + "/" + t.Project
		}
	case GitLab:
		t.PushUser = "oauth2"
		if t.APIURL == "" {
			t.APIURL = run.GitLab.APIURL
		}
		if t.APIURL == "" && host != "" {
			t.APIURL = "https://" + host + "/api/v4"
		}
		if t.Project == "" {
			t.Project = run.GitLab.ProjectID
		}
		if t.Project == "" {
			t.Project = path
		}
		t.WebURL = run.GitLab.ProjectURL
		if t.WebURL == "" && host != "" && path != "" {
			t.WebURL = "https://" + host + "/" + path
		}
	}
	return t, nil
}

// API is the forge's API URL, the public forge's when none was set; "" for
// no forge.
func (t Target) API() string {
	if t.APIURL != "" {
		return t.APIURL
	}
	switch t.Kind {
	case GitHub:
		return github.DefaultBaseURL
	case GitLab:
		return gitlab.DefaultBaseURL
	}
	return ""
}

// Name is how messages name the forge's API: "the GitHub API".
func (t Target) Name() string {
	switch t.Kind {
	case GitHub:
		return "the GitHub API"
	case GitLab:
		return "the GitLab API"
	}
	return "the forge API"
}

// Client is what the steps ask of a forge; the GitHub and GitLab clients
// both provide it.
type Client interface {
	tagstep.Lister
	DefaultBranch(ctx context.Context) (string, error)
	MergeRequest(ctx context.Context, number int) (forge.MergeRequest, error)
	PublishRelease(ctx context.Context, r forge.Release) (url string, created bool, err error)
}

// Client connects to the forge with token.
func (t Target) Client(token string) (Client, error) {
	// A failed New is a nil interface, not one holding a nil client.
	switch t.Kind {
	case GitHub:
		c, err := github.New(github.Options{BaseURL: t.APIURL, Token: token, Repository: t.Project})
		if err != nil {
			return nil, err
		}
		return c, nil
	case GitLab:
		c, err := gitlab.New(gitlab.Options{BaseURL: t.APIURL, Token: token, Project: t.Project})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("no forge: set --forge github|gitlab")
}
