package gitrepo

import (
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/format/config"
)

// ConfigUser reads user.name and user.email as git would for a commit in
// this repository, from the repository's own config and then the global
// one: $GIT_CONFIG_GLOBAL when it is set (and then only that file), else
// $XDG_CONFIG_HOME/git/config (default ~/.config/git/config) and
// ~/.gitconfig, the later winning. getenv is the process environment
// (HOME, XDG_CONFIG_HOME, GIT_CONFIG_GLOBAL). The system config is not
// read. A value not found anywhere is "".
func (r *Repo) ConfigUser(getenv func(string) string) (name, email string) {
	var files []string // lowest precedence first
	if g := getenv("GIT_CONFIG_GLOBAL"); g != "" {
		files = append(files, g)
	} else {
		home := getenv("HOME")
		xdg := getenv("XDG_CONFIG_HOME")
		if xdg == "" && home != "" {
			xdg = filepath.Join(home, ".config")
		}
		if xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		}
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	files = append(files, filepath.Join(r.gitDir, "config"))
	for _, f := range files {
		n, e := readUser(f)
		if n != "" {
			name = n
		}
		if e != "" {
			email = e
		}
	}
	return name, email
}

// readUser reads user.name and user.email from one config file; a file
// that is missing or unreadable gives nothing.
func readUser(path string) (name, email string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	cfg := config.New()
	if err := config.NewDecoder(f).Decode(cfg); err != nil {
		return "", ""
	}
	s := cfg.Section("user")
	return s.Option("name"), s.Option("email")
}
