package s3step_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/s3step"
)

// TestSymlinkToSecretFile checks that the .env rule (synced only when listed
// explicitly, and only with server-side encryption) holds for a symlink
// whose target is a .env-style file, whatever the link's own name.
func TestSymlinkToSecretFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": "a", ".env": "SECRET_KEY=1", "deploy/prod.env": "DB_PASSWORD=2"})
	must(t, os.MkdirAll(filepath.Join(dir, "config"), 0o755))
	must(t, os.Symlink("../.env", filepath.Join(dir, "config", "settings.yaml")))
	must(t, os.Symlink("../deploy/prod.env", filepath.Join(dir, "config", "prod.yaml")))
	tests := []struct {
		name    string
		sel     s3step.Selection
		want    []string
		warns   []string
		wantErr string
	}{
		{
			name:  "matched by a glob: left out, with a warning",
			sel:   s3step.Selection{Include: []string{"*.yaml"}, Encrypted: true},
			want:  []string{"a.yaml"},
			warns: []string{"not syncing config/prod.yaml: it is a symlink to the .env-style file deploy/prod.env", "not syncing config/settings.yaml: it is a symlink to the .env-style file .env"},
		},
		{
			name:    "listed, without encryption: refused",
			sel:     s3step.Selection{Include: []string{"config/settings.yaml"}},
			wantErr: "config/settings.yaml: refused: a symlink to the .env-style file .env is uploaded only with server-side encryption",
		},
		{
			name: "listed, with encryption: synced",
			sel:  s3step.Selection{Include: []string{"a.yaml", "config/settings.yaml"}, Encrypted: true},
			want: []string{"a.yaml", "config/settings.yaml"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &testLog{t: t}
			files, err := s3step.WorkTree(context.Background(), dir, tc.sel, log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, s3step.ErrRefused) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if len(log.w) != len(tc.warns) {
				t.Fatalf("warnings = %q, want %q", log.w, tc.warns)
			}
			for i, w := range tc.warns {
				if !strings.HasPrefix(log.w[i], w) {
					t.Errorf("warning %d = %q, want %q…", i, log.w[i], w)
				}
			}
		})
	}
}
