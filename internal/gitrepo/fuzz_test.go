package gitrepo_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/gitrepo"
)

// FuzzRedact checks that a remote URL's credentials never survive
// RedactURL, nor RedactError on an error message that quotes the URL among
// other text (as go-git and net/http do): neither the userinfo as written,
// nor the password as written or decoded, nor the user name (a token may
// stand there alone). user and pass are the userinfo's two halves; only
// URLs that net/url itself reads as carrying that userinfo are checked.
func FuzzRedact(f *testing.F) {
	for _, s := range [][4]string{
		{"oauth2", "glpat-s3cr3t", "gitlab.example", `Get "`},
		{"x-access-token", "ghs_s3cr3t", "github.com", "fetch "},
		{"gitlab-ci-token", "p@ss@word", "host:8443", "push to "},
		{"u", "p%40ss", "[::1]:3000", ""},
		{"ghp_token", "", "github.com", "remote "},
		{"u", "a:b:c", "h", "x://y "},
		{"u", "pa ss", "h", ""},
		{"u", "p/ss", "h", ""},
		{"u", "p?ss", "h", ""},
		{"u", "p#ss", "h", ""},
		{"u", "p\nss", "h", ""},
		{"u", "ss", "ss.example", "ss "},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, user, pass, host, context string) {
		userinfo := user
		if pass != "" {
			userinfo += ":" + pass
		}
		raw := "https://" + userinfo + "@" + host + "/group/project.git"
		msg := context + raw + `": dial tcp: connection refused`
		gotURL := gitrepo.RedactURL(raw)
		gotErr := gitrepo.RedactError(errors.New(msg)).Error()

		u, err := url.Parse(raw)
		if err != nil || u.User == nil || u.Host != host || u.Path != "/group/project.git" {
			return // not a URL that carries this userinfo
		}
		// What the userinfo holds, as written and as decoded.
		secrets := []string{userinfo, u.User.Username()}
		if i := strings.Index(userinfo, ":"); i >= 0 {
			secrets = append(secrets, userinfo[i+1:])
		}
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
		// A secret that the rest of the text holds anyway cannot be told
		// apart: only check the others.
		clean := *u
		clean.User = nil
		cleanURL := clean.String()
		cleanMsg := strings.Replace(msg, userinfo+"@", "", 1)
		for _, s := range secrets {
			if s == "" {
				continue
			}
			if !strings.Contains(cleanURL, s) && strings.Contains(gotURL, s) {
				t.Errorf("RedactURL(%q) = %q: still holds %q", raw, gotURL, s)
			}
			if !strings.Contains(cleanMsg, s) && strings.Contains(gotErr, s) {
				t.Errorf("RedactError(%q) = %q: still holds %q", msg, gotErr, s)
			}
		}
		// What remains is a URL without credentials.
		if back, err := url.Parse(gotURL); err != nil || back.User != nil {
			t.Errorf("RedactURL(%q) = %q: not a URL without userinfo (%v)", raw, gotURL, err)
		}
		if !strings.Contains(context, "://") && !strings.Contains(context, "@") && gotErr != cleanMsg {
			t.Errorf("RedactError(%q) = %q, want %q", msg, gotErr, cleanMsg)
		}
	})
}
