package imagepin_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/imagepin"
	"github.com/relman-dev/relman/internal/versionfile"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestSet(t *testing.T) {
	for _, tc := range []struct {
		name, entry, file, version, want string // want "" : no change
	}{
		{"action on main", "action.yml:image=ghcr.io/acme/tool@" + d1,
			"runs:\n  using: docker\n  image: docker://ghcr.io/acme/tool:v1\n", "1.4.0",
			"runs:\n  using: docker\n  image: docker://ghcr.io/acme/tool:v1.4.0@" + d1 + "\n"},
		{"an older pin", "action.yml:image=ghcr.io/acme/tool@" + d2,
			"image: 'docker://ghcr.io/acme/tool:v1.3.9@" + d1 + "'\n", "1.4.0",
			"image: 'docker://ghcr.io/acme/tool:v1.4.0@" + d2 + "'\n"},
		{"no v, every reference", "t.yml:image=ghcr.io/acme/tool",
			"a: ghcr.io/acme/tool:1\nb: ghcr.io/acme/tool:1.0.0\n", "1.4.0",
			"a: ghcr.io/acme/tool:1.4.0\nb: ghcr.io/acme/tool:1.4.0\n"},
		{"no digest drops the old one", "action.yml:image=ghcr.io/acme/tool",
			"image: docker://ghcr.io/acme/tool:v1.3.9@" + d1 + "\n", "1.4.0",
			"image: docker://ghcr.io/acme/tool:v1.4.0\n"},
		{"other repositories stay", "t.yml:image=ghcr.io/acme/tool",
			"a: ghcr.io/acme/tool-extra:v1\nb: ghcr.io/other/ghcr.io/acme/tool:v1\nc: ghcr.io/acme/tool:v1\n", "2.0.0",
			"a: ghcr.io/acme/tool-extra:v1\nb: ghcr.io/other/ghcr.io/acme/tool:v1\nc: ghcr.io/acme/tool:v2.0.0\n"},
		{"already pinned", "action.yml:image=ghcr.io/acme/tool@" + d1,
			"image: docker://ghcr.io/acme/tool:v1.4.0@" + d1 + "\n", "1.4.0", ""},
		{"a SNAPSHOT has no image", "action.yml:image=ghcr.io/acme/tool@" + d1,
			"image: docker://ghcr.io/acme/tool:v1.4.0@" + d1 + "\n", "1.5.0-SNAPSHOT", ""},
		{"nor a .dev0", "action.yml:image=ghcr.io/acme/tool",
			"image: docker://ghcr.io/acme/tool:v1.4.0\n", "1.5.0.dev0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := imagepin.Parse(tc.entry)
			if err != nil {
				t.Fatal(err)
			}
			if !imagepin.IsEntry(tc.entry) {
				t.Errorf("IsEntry(%q) = false", tc.entry)
			}
			files := versionfile.MapFiles{p.Path: []byte(tc.file)}
			cs, err := p.Set(files, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(cs) != 0 {
					t.Errorf("want no change, got %q", cs[0].New)
				}
				return
			}
			if len(cs) != 1 || cs[0].Path != p.Path || string(cs[0].Old) != tc.file {
				t.Fatalf("changes %+v", cs)
			}
			if diff := cmp.Diff(tc.want, string(cs[0].New)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// What it wrote reads back as the version, and a second Set
			// changes nothing.
			files[p.Path] = cs[0].New
			if cur, err := p.Current(files); err != nil || cur != tc.version {
				t.Errorf("Current = %q, %v; want %s", cur, err, tc.version)
			}
			if again, err := p.Set(files, tc.version); err != nil || len(again) != 0 {
				t.Errorf("second Set: %v, %v", again, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"action.yml:image=GHCR.io/Acme", "is not an image repository"},
		{"action.yml:image=ghcr.io/acme/tool:v1", "is not an image repository"},
		{"action.yml:image=ghcr.io/acme/tool@sha256:abc", "is not sha256: and 64 hex digits"},
		{"../action.yml:image=ghcr.io/acme/tool", "is not a file inside the repository"},
		{":image=ghcr.io/acme/tool", "is not a file inside the repository"},
	} {
		t.Run(tc.entry, func(t *testing.T) {
			_, err := imagepin.Parse(tc.entry)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tc.entry, err, tc.want)
			}
		})
	}
	if imagepin.IsEntry(`src/x.py=__version__ = "([^"]+)"`) || imagepin.IsEntry(`x.txt=v(.*):image=`) || imagepin.IsEntry("Chart.yaml:appVersion") {
		t.Error("IsEntry takes other version-files forms for image entries")
	}
	p, _ := imagepin.Parse("action.yml:image=ghcr.io/acme/tool")
	if _, err := p.Set(versionfile.MapFiles{"action.yml": []byte("image: Dockerfile\n")}, "1.0.0"); !errors.Is(err, imagepin.ErrNoReference) {
		t.Errorf("a file without the reference: %v, want ErrNoReference", err)
	}
	if _, err := p.Set(versionfile.MapFiles{}, "1.0.0"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
}
