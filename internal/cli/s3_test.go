package cli_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/relman-dev/relman/internal/s3store/s3test"
)

// TestS3Scripts runs the relman s3 scripts against the MinIO that
// scripts/test.sh starts; each script gets a fresh bucket without
// versioning in RELMAN_BUCKET.
func TestS3Scripts(t *testing.T) {
	srv := s3test.Get(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/s3script",
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			for _, kv := range srv.Env() {
				k, v, _ := cut(kv)
				env.Setenv(k, v)
			}
			env.Setenv("RELMAN_BUCKET", srv.NewBucket(env.T().(testing.TB), s3test.Off))
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			return scanForTokens(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"repo": cmdRepo,
		},
	})
}

func cut(kv string) (string, string, bool) {
	for i := range len(kv) {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}
