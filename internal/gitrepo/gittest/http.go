package gittest

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"

	"github.com/go-git/go-git/v5"
)

// ServeHTTP serves the bare remote over smart HTTP with git's own
// http-backend, the server side GitHub and GitLab run: ref updates are
// compare-and-swap and pushes can race for real. relman itself needs no git
// binary; only these tests do. It returns the remote's URL.
func (r *Repo) ServeHTTP() string {
	r.t.Helper()
	return ServeBare(r.t, r.Remote)
}

// ServeBare serves any bare repository over smart HTTP (see ServeHTTP).
func ServeBare(t TB, bare string) string {
	t.Helper()
	return ServeBareWrapped(t, bare, nil)
}

// ServeBareWrapped is ServeBare with wrap around git's handler (when not
// nil), for tests that look at what reaches the server.
func ServeBareWrapped(t TB, bare string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("the HTTP test remote needs the git binary (git http-backend): ", err)
	}
	g, err := git.PlainOpen(bare)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := g.Config()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Raw.Section("http").SetOption("receivepack", "true")
	if err := g.SetConfig(cfg); err != nil {
		t.Fatal(err)
	}
	h := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env: []string{
			"GIT_PROJECT_ROOT=" + filepath.Dir(bare),
			"GIT_HTTP_EXPORT_ALL=1",
		},
	}
	name := "/" + filepath.Base(bare)
	var handler http.Handler = h
	if wrap != nil {
		handler = wrap(h)
	}
	mux := http.NewServeMux()
	mux.Handle(name+"/", handler)
	srv := httptest.NewServer(mux)
	if c, ok := t.(interface{ Cleanup(func()) }); ok {
		c.Cleanup(srv.Close)
	} else if d, ok := t.(interface{ Defer(func()) }); ok {
		d.Defer(srv.Close)
	}
	return srv.URL + name
}
