package cli_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestGitLabJobTokenPush: on GitLab 17.2 and later a project can let
// CI_JOB_TOKEN push; GitLab takes the job token from the user
// gitlab-ci-token only. relman pushes the tag with that user when its token
// is the job's CI_JOB_TOKEN, and with oauth2 (a project access token's)
// otherwise. The origin is smart HTTP behind a proxy that authenticates
// pushes as GitLab does.
func TestGitLabJobTokenPush(t *testing.T) {
	relman := buildRelman(t)
	const jobToken = "test-token-job-4711"
	for _, tc := range []struct {
		name    string
		env     []string
		pushed  bool
		wantLog string
	}{
		{"job token", []string{"CI_JOB_TOKEN=" + jobToken, "RELMAN_TOKEN=" + jobToken}, true, "pushed"},
		{"the same token, not the job's", []string{"RELMAN_TOKEN=" + jobToken}, false, "authentication required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gittest.New(t)
			g.Tag("1.0.0", g.Head("main"), true)
			g.Commit("main", "fix: the date parser", map[string]string{"date.txt": "x\n"})
			g.Push()
			backend, err := url.Parse(g.ServeHTTP())
			if err != nil {
				t.Fatal(err)
			}
			proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: backend.Scheme, Host: backend.Host})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				push := strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
				if user, pass, _ := r.BasicAuth(); push && (user != "gitlab-ci-token" || pass != jobToken) {
					w.Header().Set("WWW-Authenticate", `Basic realm="GitLab"`)
					http.Error(w, "HTTP Basic: Access denied", http.StatusUnauthorized)
					return
				}
				proxy.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			dir := g.CloneFrom(srv.URL+backend.Path, "main")
			cmd := exec.Command(relman, "tag", "--impact-from", "commits")
			cmd.Dir = dir
			cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "CI=true", "GITLAB_CI=true",
				"CI_COMMIT_BRANCH=main", "CI_DEFAULT_BRANCH=main", "CI_PROJECT_ID=42", "CI_API_V4_URL=" + srv.URL + "/api/v4",
				"RELMAN_DOTENV=" + t.TempDir() + "/relman.env"}, tc.env...)
			out, code := run(t, cmd)
			pushed := !g.RemoteTags()["1.0.1"].IsZero()
			if pushed != tc.pushed || (code == 0) != tc.pushed || !strings.Contains(out, tc.wantLog) || strings.Contains(out, jobToken) {
				t.Errorf("exit %d, tag pushed %v (want %v), log lacks %q or shows the token:\n%s", code, pushed, tc.pushed, tc.wantLog, out)
			}
		})
	}
}
