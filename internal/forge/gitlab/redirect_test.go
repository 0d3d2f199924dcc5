package gitlab_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/relman-dev/relman/internal/forge/gitlab"
)

// TestRedirectKeepsTheToken checks that a redirect to another host gets no
// Private-Token (Go's client keeps custom headers on every redirect), while
// one on the API's own host keeps it.
func TestRedirectKeepsTheToken(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // path or "other" → the Private-Token it got
	projectJSON := `{"id":42,"path_with_namespace":"group/sub/project","default_branch":"main"}`
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["other"] = r.Header.Get("Private-Token") + r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, projectJSON)
	}))
	defer other.Close()
	// The same loopback server under another name: another host.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name      string
		location  func(api string) string
		wantOther bool
	}{
		{name: "another host", location: func(string) string { return otherURL + "/api/v4/projects/42" }, wantOther: true},
		{name: "the same host", location: func(api string) string { return api + "/api/v4/projects/43" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clear(seen)
			var api *httptest.Server
			api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen[r.URL.Path] = r.Header.Get("Private-Token")
				mu.Unlock()
				switch r.URL.Path {
				case "/api/v4/projects/42":
					http.Redirect(w, r, tc.location(api.URL), http.StatusFound)
				case "/api/v4/projects/43":
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprint(w, projectJSON)
				default:
					t.Errorf("unexpected request %s %s", r.Method, r.URL)
					http.NotFound(w, r)
				}
			}))
			defer api.Close()
			c, err := gitlab.New(gitlab.Options{BaseURL: api.URL + "/api/v4", Token: token, Project: projectID})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.DefaultBranch(t.Context()); err != nil || got != "main" {
				t.Fatalf("DefaultBranch() = %q, %v", got, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := seen["/api/v4/projects/42"]; got != token {
				t.Errorf("the API got Private-Token %q, want the token", got)
			}
			if tc.wantOther {
				if got, ok := seen["other"]; !ok || got != "" {
					t.Errorf("the other host got credentials %q (reached: %v), want none", got, ok)
				}
			} else if got := seen["/api/v4/projects/43"]; got != token {
				t.Errorf("the same-host redirect got Private-Token %q, want the token", got)
			}
		})
	}
}
