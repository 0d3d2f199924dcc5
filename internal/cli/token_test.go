package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/gitrepo"
)

// TestTokenStaysWithItsHost checks where a forge token may go: the API
// relman derives from the remote, and the remote itself, get a token from
// the environment only when they are on the host it belongs to.
func TestTokenStaysWithItsHost(t *testing.T) {
	tests := []struct {
		name      string
		remote    string
		env       map[string]string
		args      []string
		wantAPI   bool // the forge client gets the token
		wantPush  bool // pushes and listings of the remote get it
		wantForge string
	}{
		{
			name:   "GITLAB_TOKEN, origin on another GitLab",
			remote: "https://gitlab.evil.example/acme/widget.git",
			env:    map[string]string{"GITLAB_TOKEN": "t0ken-abcdef"},
		},
		{
			name:   "GITHUB_TOKEN, origin on a GitHub Enterprise host",
			remote: "https://ghe.evil.example/acme/widget.git", args: []string{"--forge", "github"},
			env: map[string]string{"GITHUB_TOKEN": "t0ken-abcdef"},
		},
		{
			name:   "GITHUB_TOKEN, origin on github.com",
			remote: "https://github.com/acme/widget.git",
			env:    map[string]string{"GITHUB_TOKEN": "t0ken-abcdef"}, wantAPI: true, wantPush: true,
		},
		{
			name:   "GITLAB_TOKEN, origin on gitlab.com, port spelled out",
			remote: "https://GitLab.com:443/acme/widget.git",
			env:    map[string]string{"GITLAB_TOKEN": "t0ken-abcdef"}, wantAPI: true, wantPush: true,
		},
		{
			name:   "GITHUB_TOKEN on gitlab.com",
			remote: "https://gitlab.com/acme/widget.git",
			env:    map[string]string{"GITHUB_TOKEN": "t0ken-abcdef"},
		},
		{
			name:   "RELMAN_TOKEN with --api-url: the API only",
			remote: "https://gitlab.evil.example/acme/widget.git", args: []string{"--api-url", "https://gitlab.corp.example/api/v4"},
			env: map[string]string{"RELMAN_TOKEN": "t0ken-abcdef"}, wantAPI: true,
		},
		{
			name:   "--token: the user's choice",
			remote: "https://gitlab.evil.example/acme/widget.git", args: []string{"--token", "t0ken-abcdef"},
			wantAPI: true, wantPush: true,
		},
		{
			name:   "GitLab CI: its own server",
			remote: "https://gitlab-ci-token:job@gitlab.corp.example/acme/widget.git",
			env: map[string]string{"GITLAB_CI": "true", "RELMAN_TOKEN": "t0ken-abcdef", "CI_SERVER_URL": "https://gitlab.corp.example",
				"CI_API_V4_URL": "https://gitlab.corp.example/api/v4", "CI_PROJECT_ID": "42"},
			wantAPI: true, wantPush: true,
		},
		{
			name:   "GitLab CI: a clone of another host",
			remote: "https://gitlab.evil.example/acme/widget.git",
			env: map[string]string{"GITLAB_CI": "true", "RELMAN_TOKEN": "t0ken-abcdef", "CI_SERVER_URL": "https://gitlab.corp.example",
				"CI_API_V4_URL": "https://gitlab.corp.example/api/v4", "CI_PROJECT_ID": "42"},
			wantAPI: true, // the CI's API, not the remote
		},
		{
			name:   "GitHub Actions: input token, origin elsewhere",
			remote: "https://gitlab.evil.example/acme/widget.git",
			env: map[string]string{"GITHUB_ACTIONS": "true", "INPUT_TOKEN": "t0ken-abcdef", "GITHUB_REPOSITORY": "acme/widget",
				"GITHUB_API_URL": "https://api.github.com"},
			wantAPI: true, // the runner's API
		},
		{
			name:   "GitHub Actions: the API derived from a remote elsewhere",
			remote: "https://gitlab.evil.example/acme/widget.git",
			env:    map[string]string{"GITHUB_ACTIONS": "true", "INPUT_TOKEN": "t0ken-abcdef", "GITHUB_REPOSITORY": "acme/widget"},
		},
		{
			name:   "GitHub Actions: GitHub Enterprise",
			remote: "https://ghe.corp.example/acme/widget",
			env: map[string]string{"GITHUB_ACTIONS": "true", "INPUT_TOKEN": "t0ken-abcdef", "GITHUB_REPOSITORY": "acme/widget",
				"GITHUB_SERVER_URL": "https://ghe.corp.example", "GITHUB_API_URL": "https://ghe.corp.example/api/v3"},
			wantAPI: true, wantPush: true,
		},
		{
			name:   "a path remote never gets a token anyway",
			remote: "/srv/git/widget.git", args: []string{"--forge", "gitlab", "--project", "42"},
			env:      map[string]string{"GITLAB_TOKEN": "t0ken-abcdef"},
			wantAPI:  true, // gitlab.com
			wantPush: true, // unused: go-git sends credentials only over HTTP(S)
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			g, err := git.PlainInit(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{tc.remote}}); err != nil {
				t.Fatal(err)
			}
			repo, err := gitrepo.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			getenv := func(k string) string { return tc.env[k] }
			s := newSettings("tag", getenv, io.Discard)
			addCommonSettings(s, new(commonOptions))
			var o remoteOptions
			addRemoteSettings(s, &o)
			if _, err := s.parse(tc.args); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			run := ci.ReadContext(getenv)
			rep, err := ci.New(ci.Options{Kind: run.Kind, Getenv: getenv, Stderr: &log})
			if err != nil {
				t.Fatal(err)
			}
			c := &job{s: s, rep: rep, ci: run}
			fg, err := resolveForge(c, repo, "origin", o.forge)
			if err != nil {
				t.Fatal(err)
			}
			cred := resolveCredential(o.token, o.forge.APIURL, run)
			remoteURL, _ := repo.RemoteURL("origin")
			api, push := forgeToken(c, fg, cred), cred.forRemote(c, "origin", remoteURL)
			if got := api != ""; got != tc.wantAPI {
				t.Errorf("API %s gets the token: %v, want %v (log: %s)", fg.API(), got, tc.wantAPI, log.String())
			}
			if got := push != ""; got != tc.wantPush {
				t.Errorf("remote %s gets the token: %v, want %v (log: %s)", remoteURL, got, tc.wantPush, log.String())
			}
			if strings.Contains(log.String(), "t0ken-abcdef") {
				t.Errorf("the token is in the log: %s", log.String())
			}
			if (!tc.wantAPI || !tc.wantPush) && !strings.Contains(log.String(), "not sending the token") {
				t.Errorf("a withheld token without a warning: %q", log.String())
			}
		})
	}
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://GitLab.com:443/api/v4": "gitlab.com",
		"http://h:80/x":                 "h",
		"http://h:8080/x":               "h:8080",
		"https://u:p@h/x":               "h",
		"https://[::1]:8443/":           "[::1]:8443",
		"git@github.com:a/b.git":        "",
		"/srv/git/x":                    "",
		"ftp://h/x":                     "",
	} {
		if got := hostOf(in); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", in, got, want)
		}
	}
}
