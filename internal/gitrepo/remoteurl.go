package gitrepo

import (
	"net/url"
	"strings"
)

// SplitRemoteURL reads host and project path from a remote URL
// (https://host/group/project.git or git@host:group/project.git).
func SplitRemoteURL(u string) (host, path string) {
	if u == "" {
		return "", ""
	}
	if i := strings.Index(u, "://"); i < 0 {
		// scp-like: git@host:group/project.git. Like git, a colon after a
		// slash is a local path (./a:b), not a host.
		colon := strings.Index(u, ":")
		if colon <= 0 || strings.Contains(u[:colon], "/") {
			return "", ""
		}
		host = u[strings.LastIndex(u[:colon], "@")+1 : colon]
		if host == "" || strings.ContainsAny(host, "?#\\ \t\r\n") {
			return "", ""
		}
		return host, projectPath(u[colon+1:])
	}
	p, err := url.Parse(u)
	if err != nil || p.Hostname() == "" || p.Scheme == "file" {
		return "", ""
	}
	return p.Hostname(), projectPath(p.Path)
}

// projectPath trims a remote URL's path to the project: group/project.
func projectPath(p string) string {
	return strings.Trim(strings.TrimSuffix(strings.Trim(p, "/"), ".git"), "/")
}
