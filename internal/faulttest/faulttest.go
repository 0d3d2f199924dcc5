// Package faulttest holds what the fault tests of several packages share:
// checks that a git remote is whole after a fault, and the bounds the forge
// retries must keep. The faults themselves come from package faultproxy.
package faulttest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Fsck fails the test unless git fsck finds the repository at gitDir (a
// bare repository or a .git directory) whole: every ref names an object
// that is there, with everything it reaches.
func Fsck(t testing.TB, gitDir string) {
	t.Helper()
	out, err := exec.Command("git", "--git-dir="+gitDir, "fsck", "--strict", "--no-dangling", "--no-progress").CombinedOutput()
	if err != nil {
		t.Fatalf("git fsck %s: %v\n%s", gitDir, err, out)
	}
}

// Refs lists every ref of the repository at gitDir with the object it
// names, as "refs/... <hash>" lines in ref order.
func Refs(t testing.TB, gitDir string) []string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir="+gitDir, "for-each-ref", "--format=%(refname) %(objectname)").CombinedOutput()
	if err != nil {
		t.Fatalf("git for-each-ref %s: %v\n%s", gitDir, err, out)
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// ServeGit serves a bare repository over smart HTTP with git's own
// http-backend, as gittest.ServeBare does, except that it reads each
// request body whole before starting git: a body cut short by a fault is
// refused with 400, as a forge's front end does. (git 2.39's http-backend
// spins forever on a body shorter than its Content-Length.) It returns the
// repository's URL.
func ServeGit(t testing.TB, bare string) string {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("the HTTP test remote needs the git binary (git http-backend): ", err)
	}
	if out, err := exec.Command(gitBin, "--git-dir="+bare, "config", "http.receivepack", "true").CombinedOutput(); err != nil {
		t.Fatalf("git config: %v\n%s", err, out)
	}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1"},
	}
	name := "/" + filepath.Base(bare)
	mux := http.NewServeMux()
	mux.HandleFunc(name+"/", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "request body cut short: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Del("Transfer-Encoding")
		r.TransferEncoding = nil
		backend.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + name
}

var cutRE = regexp.MustCompile(`after (\d+) of (\d+) bytes\]$`)

// CheckCutInside fails the test unless every body cut in the proxy's
// request log (see faultproxy.Proxy.Requests) was cut inside the body:
// fewer bytes forwarded than it had. A cut at or past the end would let the
// server act on the whole request.
func CheckCutInside(t testing.TB, requests []string) {
	t.Helper()
	for _, r := range requests {
		m := cutRE.FindStringSubmatch(r)
		if m == nil {
			continue
		}
		k, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if k >= n {
			t.Errorf("%s: the cut is not inside the body", r)
		}
	}
}
