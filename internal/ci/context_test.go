package ci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadContext(t *testing.T) {
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":7,"title":"feat: x","labels":[{"name":"ImpactMinor"},{"name":"bug"}],"base":{"ref":"release/1"}},"repository":{"default_branch":"trunk"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want Context
	}{
		{name: "local", env: map[string]string{"GITHUB_REF_NAME": "main", "CI_COMMIT_BRANCH": "main", "GITHUB_API_URL": "https://ghe.example/api/v3"},
			want: Context{Kind: Local, GitHub: GitHubEnv{APIURL: "https://ghe.example/api/v3"}}},
		{name: "github branch push", env: map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/release/2", "GITHUB_REF_NAME": "release/2",
			"GITHUB_SHA": "abc", "GITHUB_REPOSITORY": "o/r", "GITHUB_SERVER_URL": "https://github.com"},
			want: Context{Kind: GitHub, Branch: "release/2", Commit: "abc", GitHub: GitHubEnv{Repository: "o/r", ServerURL: "https://github.com"}}},
		{name: "github tag push", env: map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_REF_NAME": "v1.2.3", "GITHUB_REF_TYPE": "tag"},
			want: Context{Kind: GitHub, Tag: "v1.2.3"}},
		{name: "github pull request", env: map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/pull/7/merge", "GITHUB_REF_NAME": "7/merge", "GITHUB_EVENT_PATH": event,
			"ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
			want: Context{Kind: GitHub, DefaultBranch: "trunk", MergeRequest: &MergeRequest{Number: 7, Title: "feat: x", Target: "release/1", Labels: []string{"ImpactMinor", "bug"}},
				GitHub: GitHubEnv{IDTokenRequestURL: "https://oidc", IDTokenRequestToken: "t"}}},
		{name: "github missing event file", env: map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": filepath.Join(dir, "none.json")},
			want: Context{Kind: GitHub}},
		{name: "gitlab branch", env: map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main", "CI_COMMIT_SHA": "def",
			"CI_SERVER_URL": "https://gl.example:8443", "CI_SERVER_HOST": "gl.example", "CI_API_V4_URL": "https://gl.example:8443/api/v4",
			"CI_PROJECT_ID": "42", "CI_PROJECT_URL": "https://gl.example:8443/g/p", "CI_JOB_TOKEN": "jt", "GITLAB_USER_NAME": "Ann", "GITLAB_USER_EMAIL": "ann@example.com"},
			want: Context{Kind: GitLab, Branch: "main", DefaultBranch: "main", Commit: "def",
				GitLab: GitLabEnv{ServerURL: "https://gl.example:8443", ServerHost: "gl.example", APIURL: "https://gl.example:8443/api/v4",
					ProjectID: "42", ProjectURL: "https://gl.example:8443/g/p", JobToken: "jt", UserName: "Ann", UserEmail: "ann@example.com"}}},
		{name: "gitlab tag", env: map[string]string{"GITLAB_CI": "true", "CI_COMMIT_TAG": "1.0.0"},
			want: Context{Kind: GitLab, Tag: "1.0.0"}},
		{name: "gitlab merge request", env: map[string]string{"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "12", "CI_MERGE_REQUEST_TITLE": "fix: y",
			"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_MERGE_REQUEST_LABELS": "ImpactPatch, bug,,"},
			want: Context{Kind: GitLab, MergeRequest: &MergeRequest{Number: 12, Title: "fix: y", Target: "main", Labels: []string{"ImpactPatch", "bug"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ReadContext(func(k string) string { return tc.env[k] })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadContext (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzReadContext checks the merge request read from the runner: the
// GitHub event file (GITHUB_EVENT_PATH, JSON written by the forge with
// user-controlled titles, labels and branch names) and GitLab's
// CI_MERGE_REQUEST_* variables. It never panics; an event that is not a
// valid pull_request event gives no merge request; and what was read,
// written back as an event, reads back the same.
func FuzzReadContext(f *testing.F) {
	for _, s := range []string{
		`{"pull_request":{"number":7,"title":"feat: x","labels":[{"name":"ImpactMinor"}],"base":{"ref":"main"}},"repository":{"default_branch":"main"}}`,
		`{"pull_request":{"number":7,"title":"a\n::set-output name=x::y\u001b[31m","labels":[{"name":"ImpactMajor\n"},{"name":""}],"base":{"ref":"release/1.2"}}}`,
		`{"pull_request":null,"repository":{"default_branch":"main"}}`,
		`{"pull_request":{"number":1e3}}`,
		`{"pull_request":{"number":99999999999999999999}}`,
		`{"PULL_REQUEST":{"Number":3,"base":{"Ref":"../x"}},"Repository":{"Default_Branch":"main"}}`,
		`{"pull_request":{"labels":[{"name":1}]}}`,
		`{"pull_request":{}} trailing`,
		`[]`, `null`, ``, `{`, "\xff",
	} {
		f.Add([]byte(s), "", "")
	}
	f.Add([]byte(nil), "12", "ImpactPatch,bug\nImpactMinor")
	f.Add([]byte(nil), "x", "")
	f.Add([]byte(nil), "-1", " , ")
	f.Fuzz(func(t *testing.T, event []byte, iid, labels string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "event.json")
		if err := os.WriteFile(path, event, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{
			"GITHUB_EVENT_PATH":       path,
			"CI_MERGE_REQUEST_IID":    iid,
			"CI_MERGE_REQUEST_LABELS": labels,
		}
		getenv := func(k string) string { return env[k] }

		env["GITHUB_ACTIONS"] = "true"
		gh := ReadContext(getenv)
		if gh.MergeRequest != nil {
			if !json.Valid(event) {
				t.Fatalf("event %q is not JSON, yet read %+v", event, gh.MergeRequest)
			}
			again := readBack(t, dir, gh)
			if !reflect.DeepEqual(again.MergeRequest, gh.MergeRequest) || again.DefaultBranch != gh.DefaultBranch {
				t.Fatalf("event %q read %+v, written back and read again %+v", event, gh, again)
			}
		}

		env["GITHUB_ACTIONS"], env["GITLAB_CI"] = "", "true"
		gl := ReadContext(getenv)
		if (gl.MergeRequest != nil) != (iid != "") {
			t.Fatalf("CI_MERGE_REQUEST_IID=%q: merge request %+v", iid, gl.MergeRequest)
		}
		if m := gl.MergeRequest; m != nil {
			if n, err := strconv.Atoi(iid); (err == nil && m.Number != n) || (err != nil && m.Number != 0) {
				t.Fatalf("CI_MERGE_REQUEST_IID=%q: number %d", iid, m.Number)
			}
			if want := SplitList(labels); !slices.Equal(m.Labels, want) {
				t.Fatalf("CI_MERGE_REQUEST_LABELS=%q: labels %q, want %q", labels, m.Labels, want)
			}
		}
	})
}

// readBack writes c's merge request and default branch as a pull_request
// event and reads it back.
func readBack(t *testing.T, dir string, c Context) Context {
	t.Helper()
	type label struct {
		Name string `json:"name"`
	}
	m := c.MergeRequest
	var ls []label
	for _, l := range m.Labels {
		ls = append(ls, label{l})
	}
	ev := map[string]any{
		"pull_request": map[string]any{"number": m.Number, "title": m.Title, "labels": ls, "base": map[string]string{"ref": m.Target}},
		"repository":   map[string]string{"default_branch": c.DefaultBranch},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "again.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": path}
	return ReadContext(func(k string) string { return env[k] })
}
