package cli

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"

	"github.com/relman-dev/relman/internal/ci"
)

// tokenSetting is the token setting as given: its value and where it came
// from ("--token", "input token", "RELMAN_TOKEN", "GITHUB_TOKEN", ...).
type tokenSetting struct{ value, source string }

// addTokenSetting adds the token setting, bound to o.
func addTokenSetting(s *settings, usage string, o *tokenSetting) {
	st := s.add("token", "", usage, "GITHUB_TOKEN", "GITLAB_TOKEN")
	st.bind = func(s *settings) error {
		v, src := s.get("token")
		o.value, o.source = strings.TrimSpace(v), src
		return nil
	}
}

// credential is the forge token of a run and the hosts it belongs to.
// relman sends it to those hosts only: a token found in the environment
// (RELMAN_TOKEN, GITHUB_TOKEN, GITLAB_TOKEN, the action's token input) never
// goes to a remote or an API on another host, so that a clone whose origin
// points elsewhere cannot collect it. A token passed with --token is meant
// for whatever this run talks to.
type credential struct {
	token    string
	source   string   // "--token", "RELMAN_TOKEN", "GITHUB_TOKEN", "input token", ...
	explicit bool     // passed with --token
	hosts    []string // normalised host[:port], see hostOf
}

// resolveCredential reads the token setting and works out where it may go:
//
//   - the host of --api-url (RELMAN_API_URL, the api-url input), the API the
//     user named;
//   - on GitHub Actions, GITHUB_SERVER_URL and GITHUB_API_URL (github.com and
//     api.github.com by default), for every token but GITLAB_TOKEN;
//   - on GitLab CI, CI_SERVER_URL (or CI_SERVER_HOST) and CI_API_V4_URL, for
//     every token but GITHUB_TOKEN;
//   - elsewhere, github.com and api.github.com for GITHUB_TOKEN, gitlab.com
//     for GITLAB_TOKEN, and nothing more for RELMAN_TOKEN.
func resolveCredential(tok tokenSetting, apiURL string, run ci.Context) credential {
	src := tok.source
	cr := credential{token: tok.value, source: src, explicit: src == "--token"}
	if cr.token == "" || cr.explicit {
		return cr
	}
	add := func(raw string) {
		if h := hostOf(raw); h != "" && !slices.Contains(cr.hosts, h) {
			cr.hosts = append(cr.hosts, h)
		}
	}
	add(apiURL)
	switch {
	case run.Kind == ci.GitHub && src != "GITLAB_TOKEN":
		add(cmp.Or(run.GitHub.ServerURL, "https://github.com"))
		add(cmp.Or(run.GitHub.APIURL, "https://api.github.com"))
	case run.Kind == ci.GitLab && src != "GITHUB_TOKEN":
		add(run.GitLab.ServerURL)
		if h := run.GitLab.ServerHost; h != "" {
			add("https://" + h)
		}
		add(run.GitLab.APIURL)
	case src == "GITHUB_TOKEN":
		add("https://github.com")
		add("https://api.github.com")
	case src == "GITLAB_TOKEN":
		add("https://gitlab.com")
	}
	return cr
}

// allows reports whether the token may be sent to the server of rawURL (an
// API URL or an http(s) remote URL).
func (cr credential) allows(rawURL string) bool {
	if cr.explicit {
		return true
	}
	h := hostOf(rawURL)
	return h != "" && slices.Contains(cr.hosts, h)
}

// forHTTP returns the token for the server of rawURL, or "" with a warning
// when the token belongs elsewhere. what names the server for the warning:
// "the GitLab API", "remote origin".
func (cr credential) forHTTP(c *job, rawURL, what string) string {
	if cr.token == "" || cr.allows(rawURL) {
		return cr.token
	}
	belongs := "no host outside CI"
	if len(cr.hosts) > 0 {
		belongs = strings.Join(cr.hosts, ", ")
	}
	from := cr.source
	if from == "input token" {
		from = "the action's token input"
	}
	fix := "pass it with --token, or name that API with --api-url"
	if strings.HasPrefix(what, "remote ") {
		fix = "pass it with --token"
	}
	c.rep.Warningf("not sending the token from %s to %s at %s: it belongs to %s; to use it there, %s",
		from, what, hostOf(rawURL), belongs, fix)
	return ""
}

// forRemote is the token for pushes to and listings of an http(s) remote
// URL; other remotes (paths, ssh) never get it, so it is returned as is.
func (cr credential) forRemote(c *job, remote, remoteURL string) string {
	if !strings.HasPrefix(remoteURL, "http://") && !strings.HasPrefix(remoteURL, "https://") {
		return cr.token
	}
	return cr.forHTTP(c, remoteURL, "remote "+remote)
}

// hostOf is the normalised host of an http(s) URL: lower case, without the
// scheme's default port. "" when raw is not an http(s) URL with a host.
func hostOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return host
}

// maskToken masks a token and the forms an HTTP library may echo it in:
// the Basic authorization header of each push user (go-git quotes a
// server's error body, which may repeat the request's headers).
func maskToken(c *job, token string) {
	if token == "" {
		return
	}
	c.rep.Mask(token)
	for _, user := range []string{"x-access-token", "oauth2"} {
		c.rep.Mask(base64.StdEncoding.EncodeToString([]byte(user + ":" + token)))
	}
	c.rep.Mask(base64.StdEncoding.EncodeToString([]byte(token)))
}
