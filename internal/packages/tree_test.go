package packages

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// tree is a Tree in memory: file contents by slash-separated path, the
// directories being what the paths imply.
type tree map[string]string

func (m tree) ReadFile(p string) ([]byte, error) {
	b, ok := m[path.Clean(strings.TrimPrefix(p, "./"))]
	if !ok {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	return []byte(b), nil
}

func (m tree) ReadDir(dir string) ([]string, error) {
	dir = path.Clean(strings.TrimPrefix(dir, "./"))
	prefix := dir + "/"
	if dir == "." || dir == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	for p := range m {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, fs.ErrNotExist)
	}
	out := make([]string, 0, len(seen))
	for e := range seen {
		out = append(out, e)
	}
	sort.Strings(out)
	return out, nil
}

// with is a copy of m with files added or replaced.
func (m tree) with(files map[string]string) tree {
	out := tree{}
	for p, b := range m {
		out[p] = b
	}
	for p, b := range files {
		out[p] = b
	}
	return out
}

// without is a copy of m without the files.
func (m tree) without(files ...string) tree {
	out := m.with(nil)
	for _, f := range files {
		delete(out, f)
	}
	return out
}

// txtarTree reads testdata/discover/NAME.txtar.
func txtarTree(t testing.TB, name string) tree {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join("testdata", "discover", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	m := tree{}
	for _, f := range a.Files {
		m[f.Name] = string(f.Data)
	}
	return m
}

func TestTree(t *testing.T) {
	m := tree{"a/b/c.txt": "1", "a/d.txt": "2", "e.txt": "3"}
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"", []string{"a/", "e.txt"}},
		{".", []string{"a/", "e.txt"}},
		{"a", []string{"b/", "d.txt"}},
		{"./a/b", []string{"c.txt"}},
	} {
		got, err := m.ReadDir(tc.dir)
		if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("ReadDir(%q) = %q, %v; want %q", tc.dir, got, err, tc.want)
		}
	}
	if _, err := m.ReadDir("x"); err == nil {
		t.Error("ReadDir of a missing directory succeeded")
	}
	if _, err := m.ReadFile("a"); err == nil {
		t.Error("ReadFile of a directory succeeded")
	}
}
