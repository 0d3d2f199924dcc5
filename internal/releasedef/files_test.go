package releasedef

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/relman-dev/relman/internal/gitrepo"
)

// fakeFiles is a commit's files for ReadManifest.
type fakeFiles map[string]string

func (f fakeFiles) ReadFile(_ plumbing.Hash, name string) ([]byte, error) {
	if b, ok := f[name]; ok {
		return []byte(b), nil
	}
	return nil, gitrepo.ErrNoFile
}

func TestReadManifest(t *testing.T) {
	generic := "artifacts:\n  - name: core\n"
	for _, tc := range []struct {
		name, path string
		files      fakeFiles
		wantPath   string
		wantErr    string
	}{
		{name: "generic found", files: fakeFiles{"relman-artifacts.yml": generic}, wantPath: "relman-artifacts.yml"},
		{name: "named path", path: "./m/arts.yml", files: fakeFiles{"m/arts.yml": generic}, wantPath: "./m/arts.yml"},
		{name: "none", files: fakeFiles{}, wantErr: "no sfdx-project.json or relman-artifacts.yml at main"},
		{name: "missing named", path: "x.yml", files: fakeFiles{}, wantErr: "manifest x.yml: not found at main"},
		{name: "unknown format", path: "x.txt", files: fakeFiles{"x.txt": ""}, wantErr: "unknown format"},
		{name: "bad yaml", files: fakeFiles{"relman-artifacts.yml": "artifacts: [\n"}, wantErr: "not valid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, p, err := ReadManifest(tc.files, plumbing.ZeroHash, "main", tc.path)
			if tc.wantErr != "" {
				var fe *FileError
				var ie *InputError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !(errors.As(err, &fe) || errors.As(err, &ie)) {
					t.Fatalf("err = %v (%T), want bad input saying %q", err, err, tc.wantErr)
				}
				return
			}
			if err != nil || p != tc.wantPath || len(m.Artifacts) != 1 {
				t.Fatalf("ReadManifest = %v, %q, %v", m, p, err)
			}
		})
	}
}

func TestReadConfigFile(t *testing.T) {
	dir := t.TempDir()
	small, big := filepath.Join(dir, "c.yml"), filepath.Join(dir, "big.yml")
	if err := os.WriteFile(small, []byte("releaseName: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, MaxConfigSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadConfigFile(small); err != nil || string(b) != "releaseName: x\n" {
		t.Errorf("ReadConfigFile(small) = %q, %v", b, err)
	}
	for _, name := range []string{big, filepath.Join(dir, "none.yml")} {
		var ie *InputError
		if _, err := ReadConfigFile(name); !errors.As(err, &ie) {
			t.Errorf("ReadConfigFile(%s) = %v, want an InputError", name, err)
		}
	}
}
