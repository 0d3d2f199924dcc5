package detect

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/ci"
)

func TestResolve(t *testing.T) {
	ghActions := ci.Context{Kind: ci.GitHub, GitHub: ci.GitHubEnv{ServerURL: "https://github.com", APIURL: "https://api.github.com", Repository: "acme/widget"}}
	glCI := ci.Context{Kind: ci.GitLab, GitLab: ci.GitLabEnv{APIURL: "https://gl.example/api/v4", ProjectID: "42", ProjectURL: "https://gl.example/g/widget"}}
	for _, tc := range []struct {
		name      string
		run       ci.Context
		remoteURL string
		settings  Settings
		want      Target
		wantAPI   string
		wantErr   bool
	}{
		{name: "GitHub Actions", run: ghActions, remoteURL: "https://github.com/acme/widget.git",
			want:    Target{Kind: GitHub, APIURL: "https://api.github.com", Project: "acme/widget", WebURL: "https://github.com/acme/widget", PushUser: "x-access-token"},
			wantAPI: "https://api.github.com"},
		{name: "GitLab CI", run: glCI, remoteURL: "https://gitlab-ci-token:x@gl.example/g/widget.git",
			want:    Target{Kind: GitLab, APIURL: "https://gl.example/api/v4", Project: "42", WebURL: "https://gl.example/g/widget", PushUser: "oauth2"},
			wantAPI: "https://gl.example/api/v4"},
		{name: "local github.com remote", remoteURL: "git@github.com:acme/widget.git",
			want:    Target{Kind: GitHub, Project: "acme/widget", WebURL: "https://github.com/acme/widget", PushUser: "x-access-token"},
			wantAPI: "https://api.github.com"},
		{name: "local gitlab.com remote", remoteURL: "https://gitlab.com/g/sub/widget.git",
			want:    Target{Kind: GitLab, APIURL: "https://gitlab.com/api/v4", Project: "g/sub/widget", WebURL: "https://gitlab.com/g/sub/widget", PushUser: "oauth2"},
			wantAPI: "https://gitlab.com/api/v4"},
		{name: "local self-hosted gitlab", remoteURL: "ssh://git@gitlab.corp.example:2222/team/widget.git",
			want:    Target{Kind: GitLab, APIURL: "https://gitlab.corp.example/api/v4", Project: "team/widget", WebURL: "https://gitlab.corp.example/team/widget", PushUser: "oauth2"},
			wantAPI: "https://gitlab.corp.example/api/v4"},
		{name: "local unknown host: no forge", remoteURL: "https://git.example/acme/widget.git", want: Target{}},
		{name: "local path remote: no forge", remoteURL: "/srv/git/widget.git", want: Target{}},
		{name: "forge setting on an unknown host: GitHub Enterprise", remoteURL: "https://git.example/acme/widget.git", settings: Settings{Forge: "GitHub"},
			want:    Target{Kind: GitHub, APIURL: "https://git.example/api/v3", Project: "acme/widget", WebURL: "https://git.example/acme/widget", PushUser: "x-access-token"},
			wantAPI: "https://git.example/api/v3"},
		{name: "settings win over the runner", run: ghActions, remoteURL: "https://github.com/acme/widget.git",
			settings: Settings{Forge: "gitlab", APIURL: "https://other.example/api/v4", Project: "7"},
			want:     Target{Kind: GitLab, APIURL: "https://other.example/api/v4", Project: "7", WebURL: "https://github.com/acme/widget", PushUser: "oauth2"},
			wantAPI:  "https://other.example/api/v4"},
		{name: "GitHub variables outside Actions with --forge github", run: ci.Context{GitHub: ghActions.GitHub}, settings: Settings{Forge: "github"},
			want:    Target{Kind: GitHub, APIURL: "https://api.github.com", Project: "acme/widget", WebURL: "https://github.com/acme/widget", PushUser: "x-access-token"},
			wantAPI: "https://api.github.com"},
		{name: "unknown forge", settings: Settings{Forge: "bitbucket"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve(tc.run, tc.remoteURL, tc.settings)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
			if api := got.API(); api != tc.wantAPI {
				t.Errorf("API() = %q, want %q", api, tc.wantAPI)
			}
		})
	}
}

func TestClient(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  Target
		wantErr bool
	}{
		{"github", Target{Kind: GitHub, Project: "acme/widget"}, false},
		{"gitlab", Target{Kind: GitLab, Project: "42"}, false},
		{"github bad project", Target{Kind: GitHub, Project: "widget"}, true},
		{"no forge", Target{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.target.Client("token")
			if (err != nil) != tc.wantErr || (err == nil) != (c != nil) {
				t.Errorf("Client = %v, %v; want error %v", c, err, tc.wantErr)
			}
		})
	}
}
