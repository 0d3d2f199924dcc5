package imagepin_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/imagepin"
	"github.com/relman-dev/relman/internal/versionfile"
)

// FuzzPin parses entries and sets versions into arbitrary files: no panic;
// an edit keeps the number of references, reads back as the version, and
// is idempotent.
func FuzzPin(f *testing.F) {
	f.Add("action.yml:image=ghcr.io/acme/tool@"+d1, "image: docker://ghcr.io/acme/tool:v1\n", "1.4.0")
	f.Add("t.yml:image=ghcr.io/acme/tool", "a: ghcr.io/acme/tool:1.0.0@"+d2+" b: ghcr.io/acme/tool:x\n", "2.0.0")
	f.Add("x:image=registry:5000/a/b", "registry:5000/a/b:v9 registry:5000/a/b:v9", "0.1.0")
	f.Fuzz(func(t *testing.T, entry, file, version string) {
		p, err := imagepin.Parse(entry)
		if err != nil {
			return
		}
		files := versionfile.MapFiles{p.Path: []byte(file)}
		cs, err := p.Set(files, version)
		if err != nil || len(cs) == 0 {
			return
		}
		out := cs[0].New
		if cur, err := p.Current(versionfile.MapFiles{p.Path: out}); err != nil || strings.TrimPrefix(cur, "v") != version {
			t.Fatalf("after Set(%q) the file reads %q (%v):\n%s", version, cur, err, out)
		}
		again, err := p.Set(versionfile.MapFiles{p.Path: out}, version)
		if err != nil || len(again) != 0 {
			t.Fatalf("second Set: %v %v", again, err)
		}
		if bytes.Count(out, []byte(p.Repo+":")) != bytes.Count([]byte(file), []byte(p.Repo+":")) {
			t.Fatalf("the number of references changed:\n%q\n%q", file, out)
		}
	})
}
