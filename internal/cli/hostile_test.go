package cli_test

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/relman-dev/relman/internal/cli"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// cmdHostile stands in for a server that is not the token's own: an HTTPS
// server (its certificate trusted through SSL_CERT_FILE, which relman, a
// child process of the script, reads) that serves $WORK/remote.git as
// https://127.0.0.1:PORT/acme/widget.git with git's own http-backend, answers
// 404 to everything else (a forge API on that host included), and records in
// $WORK/hostile-credentials every request that carried credentials
// (Authorization or Private-Token; the header names only, so that the
// script's secret scan does not mistake the record for a leak).
//
//	hostile start        start it; sets HOSTILE_URL (the remote URL)
//	hostile origin DIR   point DIR's origin at it
func cmdHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: hostile start | hostile origin DIR")
	}
	work := ts.Getenv("WORK")
	switch args[0] {
	case "start":
		gitBin, err := exec.LookPath("git")
		if err != nil {
			ts.Fatalf("the hostile remote needs the git binary (git http-backend): %v", err)
		}
		root := filepath.Join(work, "hostile-root")
		ts.Check(os.MkdirAll(filepath.Join(root, "acme"), 0o755))
		ts.Check(os.Symlink(filepath.Join(work, "remote.git"), filepath.Join(root, "acme", "widget.git")))
		backend := &cgi.Handler{Path: gitBin, Args: []string{"http-backend"},
			Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
		var mu sync.Mutex
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, h := range []string{"Authorization", "Private-Token", "Job-Token"} {
				if r.Header.Get(h) != "" {
					mu.Lock()
					f, err := os.OpenFile(filepath.Join(work, "hostile-credentials"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
					if err == nil {
						fmt.Fprintf(f, "%s %s: %s\n", r.Method, r.URL.Path, h)
						f.Close()
					}
					mu.Unlock()
				}
			}
			if len(r.URL.Path) > len("/acme/widget.git/") && r.URL.Path[:len("/acme/widget.git/")] == "/acme/widget.git/" {
				backend.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
		}))
		ts.Defer(srv.Close)
		ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
		ts.Check(os.WriteFile(filepath.Join(work, "hostile-ca.pem"), ca, 0o644))
		ts.Setenv("SSL_CERT_FILE", filepath.Join(work, "hostile-ca.pem"))
		ts.Setenv("HOSTILE_URL", srv.URL+"/acme/widget.git")
	case "origin":
		r, err := git.PlainOpen(ts.MkAbs(args[1]))
		ts.Check(err)
		ts.Check(r.DeleteRemote("origin"))
		_, err = r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{ts.Getenv("HOSTILE_URL")}})
		ts.Check(err)
	default:
		ts.Fatalf("hostile: unknown subcommand %q", args[0])
	}
}

// TestTokenEchoedInBase64 checks that a git server whose error page repeats
// the request's Authorization header (go-git quotes the body of a 401, 403
// or 404 in its error) does not get the token into relman's log in its
// base64 form.
func TestTokenEchoedInBase64(t *testing.T) {
	const token = "test-token-echoed-back"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "access denied for %s\n", r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	g := gittest.New(t)
	g.Commit("main", "fix: a fix", map[string]string{"a.txt": "a"})
	dir := g.Clone("main")
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteRemote("origin"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{srv.URL + "/acme/widget.git"}}); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []map[string]string{{}, {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main"}} {
		var stdout, stderr bytes.Buffer
		env := map[string]string{"RELMAN_DEFAULT_BRANCH": "main"}
		for k, v := range kind {
			env[k] = v
		}
		cli.Main(t.Context(), cli.Env{
			Args:   []string{"tag", "--repo", dir, "--dry-run", "--impact-from", "commits", "--token", token},
			Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] },
		})
		out := stdout.String() + stderr.String()
		if !strings.Contains(out, "access denied for") {
			t.Fatalf("the server's answer is not in the log, so the test proves nothing:\n%s", out)
		}
		for _, user := range []string{"x-access-token", "oauth2"} {
			if b64 := base64.StdEncoding.EncodeToString([]byte(user + ":" + token)); strings.Contains(out, b64) {
				t.Errorf("the token's Basic authorization (%s) is in the log:\n%s", user, out)
			}
		}
		if strings.Contains(out, token) {
			t.Errorf("the token is in the log:\n%s", out)
		}
	}
}
