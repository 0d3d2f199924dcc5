package gitrepo_test

import (
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/gitrepo"
)

// FuzzSplitRemote checks the host and project read from a remote URL, which
// become the forge's API URL ("https://" + host + "/api/v4") and project:
// the host never holds a character that would move the request elsewhere,
// the project path is trimmed, there is no project without a host, and
// well-formed HTTPS and scp-like URLs read back as what they were built of.
func FuzzSplitRemote(f *testing.F) {
	for _, s := range []string{
		"https://gitlab.example.com/group/sub/project.git", "git@github.com:owner/repo.git",
		"ssh://git@host:2222/g/p.git", "https://oauth2:tok@host/g/p", "file:///tmp/x.git", "/tmp/x.git",
		"./a:b", "a/b:c", "host:", ":x", "git@host:a@b", "https://h/a/.git", "https://[::1]:80/g/p",
		"https://h%2fx/g/p", "https://h#x@y/p", "https://h?x=@y/p", "user@host:/abs/path.git", "C:\\repo",
	} {
		f.Add(s, "gitlab.example.com", "group/project")
	}
	f.Fuzz(func(t *testing.T, u, h, p string) {
		host, path := gitrepo.SplitRemoteURL(u)
		if strings.ContainsAny(host, "/@?#\\ \t\r\n") {
			t.Fatalf("gitrepo.SplitRemoteURL(%q): host %q", u, host)
		}
		if host == "" && path != "" {
			t.Fatalf("gitrepo.SplitRemoteURL(%q): project %q without a host", u, path)
		}
		if strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") {
			t.Fatalf("gitrepo.SplitRemoteURL(%q): project %q is not trimmed", u, path)
		}

		// Built from a plain host name and project path, a URL reads back.
		if !plainHost(h) || !plainPath(p) {
			return
		}
		for _, built := range []string{
			"https://" + h + "/" + p + ".git", "https://" + h + "/" + p, "https://user:tok@" + h + "/" + p + "/",
			"git@" + h + ":" + p + ".git", h + ":" + p, "ssh://git@" + h + "/" + p + ".git",
		} {
			if gh, gp := gitrepo.SplitRemoteURL(built); gh != h || gp != p {
				t.Fatalf("gitrepo.SplitRemoteURL(%q) = %q, %q; want %q, %q", built, gh, gp, h, p)
			}
		}
	})
}

func plainHost(h string) bool {
	if h == "" || strings.HasPrefix(h, "-") || strings.HasPrefix(h, ".") {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func plainPath(p string) bool {
	if p == "" || strings.HasSuffix(p, ".git") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return false
			}
		}
	}
	return true
}
