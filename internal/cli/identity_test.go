package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestCommitIdentity: relman's version commits and tags honour git's own
// GIT_AUTHOR_* / GIT_COMMITTER_* variables and GIT_CONFIG_GLOBAL; the
// git-user-* settings win over both.
func TestCommitIdentity(t *testing.T) {
	home := t.TempDir()
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(home, ".gitconfig"), "[user]\n\tname = Home User\n\temail = home@example.com\n")
	other := filepath.Join(t.TempDir(), "gitconfig")
	write(other, "[user]\n\tname = Global File\n\temail = global@example.com\n")

	tests := []struct {
		name                       string
		env                        map[string]string
		args                       []string
		author, authorMail, tagger string
		committer                  string
	}{
		{name: "home config", env: map[string]string{},
			author: "Home User", authorMail: "home@example.com", committer: "Home User", tagger: "Home User"},
		{name: "GIT_CONFIG_GLOBAL replaces ~/.gitconfig", env: map[string]string{"GIT_CONFIG_GLOBAL": other},
			author: "Global File", authorMail: "global@example.com", committer: "Global File", tagger: "Global File"},
		{name: "git's variables", env: map[string]string{
			"GIT_AUTHOR_NAME": "Ann Author", "GIT_AUTHOR_EMAIL": "ann@example.com",
			"GIT_COMMITTER_NAME": "Carl Committer", "GIT_COMMITTER_EMAIL": "carl@example.com",
		}, author: "Ann Author", authorMail: "ann@example.com", committer: "Carl Committer", tagger: "Carl Committer"},
		{name: "the setting wins", env: map[string]string{"GIT_AUTHOR_NAME": "Ann Author", "GIT_COMMITTER_NAME": "Carl Committer"},
			args:   []string{"--git-user-name", "Set By Flag", "--git-user-email", "flag@example.com"},
			author: "Set By Flag", authorMail: "flag@example.com", committer: "Set By Flag", tagger: "Set By Flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gittest.New(t)
			g.Tag("1.0.0", g.Head("main"), true)
			g.Commit("main", "fix: x", map[string]string{"VERSION": "1.0.1.dev0\n"})
			dir := g.Clone("main")
			env := map[string]string{"HOME": home}
			for k, v := range tt.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"tag", "--build-system", "python", "--output", "json", "--repo", dir}, tt.args...)
			if code := Main(context.Background(), Env{Args: args, Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }}); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			r, err := git.PlainOpen(dir)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := r.Reference(plumbing.NewTagReferenceName("1.0.1"), true)
			if err != nil {
				t.Fatal(err)
			}
			tag, err := r.TagObject(ref.Hash())
			if err != nil {
				t.Fatal(err)
			}
			c, err := tag.Commit()
			if err != nil {
				t.Fatal(err)
			}
			got := [5]string{c.Author.Name, c.Author.Email, c.Committer.Name, tag.Tagger.Name, c.Message[:14]}
			want := [5]string{tt.author, tt.authorMail, tt.committer, tt.tagger, "Release 1.0.1 "}
			if got != want {
				t.Errorf("author, email, committer, tagger, message = %q, want %q", got, want)
			}
		})
	}
}
