package github_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/relman-dev/relman/internal/forge/github"
)

// TestRedirectKeepsTheToken checks that a redirect to another host gets no
// credentials, while one on the API's own host keeps them (GitHub answers
// 301 for a renamed repository).
func TestRedirectKeepsTheToken(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // server → Authorization it got
	repoJSON := `{"id":1,"name":"hello-world","full_name":"octo-org/hello-world","default_branch":"main"}`
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["other"] = r.Header.Get("Authorization")
		mu.Unlock()
		fmt.Fprint(w, repoJSON)
	}))
	defer other.Close()
	// The same loopback server under another name: another host.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)

	tests := []struct {
		name      string
		location  func(api string) string
		wantOther bool // the redirect leaves the API's host
	}{
		{name: "another host", location: func(string) string { return otherURL + "/repos/octo-org/hello-world" }, wantOther: true},
		{name: "the same host", location: func(api string) string { return api + "/repositories/1" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clear(seen)
			var api *httptest.Server
			api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen[r.URL.Path] = r.Header.Get("Authorization")
				mu.Unlock()
				switch r.URL.Path {
				case "/repos/octo-org/hello-world":
					http.Redirect(w, r, tc.location(api.URL), http.StatusFound)
				case "/repositories/1":
					fmt.Fprint(w, repoJSON)
				default:
					t.Errorf("unexpected request %s %s", r.Method, r.URL)
					http.NotFound(w, r)
				}
			}))
			defer api.Close()
			c, err := github.New(github.Options{BaseURL: api.URL, Token: token, Repository: repo})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.DefaultBranch(t.Context()); err != nil || got != "main" {
				t.Fatalf("DefaultBranch() = %q, %v", got, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := seen["/repos/octo-org/hello-world"]; got != "Bearer "+token {
				t.Errorf("the API got Authorization %q, want the token", got)
			}
			if tc.wantOther {
				if got, ok := seen["other"]; !ok || got != "" {
					t.Errorf("the other host got Authorization %q (reached: %v), want none", got, ok)
				}
			} else if got := seen["/repositories/1"]; got != "Bearer "+token {
				t.Errorf("the same-host redirect got Authorization %q, want the token", got)
			}
		})
	}
}
