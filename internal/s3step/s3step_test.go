package s3step_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/relman-dev/relman/internal/gitrepo"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/s3step"
	"github.com/relman-dev/relman/internal/s3store"
	"github.com/relman-dev/relman/internal/s3store/s3test"
)

type testLog struct {
	t  testing.TB
	mu sync.Mutex
	w  []string
}

func (l *testLog) Infof(f string, a ...any) { l.t.Logf(f, a...) }
func (l *testLog) Warningf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = append(l.w, fmt.Sprintf(f, a...))
	l.t.Logf("warning: "+f, a...)
}

var fixedNow = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

// env is one test's bucket and store.
type env struct {
	t      *testing.T
	srv    s3test.Server
	bucket string
	st     *s3store.Store
	log    *testLog
}

func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	srv := s3test.Get(t)
	bucket := srv.NewBucket(t, s3test.Enabled)
	return &env{t: t, srv: srv, bucket: bucket, log: &testLog{t: t},
		st: srv.Store(t, s3store.Options{Bucket: bucket, Prefix: prefix, Concurrency: 8})}
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var all = s3step.Selection{Include: []string{"**"}, Exclude: []string{}}

func (e *env) sync(dir string, g s3step.GitInfo, mod func(*s3step.SyncOptions)) (*s3step.SyncResult, error) {
	e.t.Helper()
	files, err := s3step.WorkTree(context.Background(), dir, all, e.log)
	if err != nil {
		return nil, err
	}
	o := s3step.SyncOptions{Store: e.st, Files: files, Git: g, Concurrency: 8, Log: e.log, Now: fixedNow}
	if mod != nil {
		mod(&o)
	}
	return s3step.Sync(context.Background(), o)
}

func (e *env) mustSync(dir string, g s3step.GitInfo, mod func(*s3step.SyncOptions)) *s3step.SyncResult {
	e.t.Helper()
	r, err := e.sync(dir, g, mod)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func commit(n int) s3step.GitInfo {
	return s3step.GitInfo{Commit: strings.Repeat(fmt.Sprint(n%10), 40), Ref: "refs/heads/main"}
}

func tagged(n int, tag string) s3step.GitInfo {
	g := commit(n)
	g.Tag = tag
	return g
}

type counts struct{ Uploaded, Skipped, Deleted int }

func countsOf(r *s3step.SyncResult) counts {
	return counts{len(r.Uploaded), len(r.Skipped), len(r.Deleted)}
}

func TestSyncByContent(t *testing.T) {
	e := newEnv(t, "assets/app")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"config/app.yaml": "port: 80\n", "deploy.sh": "#!/bin/sh\necho hi\n", "docs/guide.md": "# Guide\n"})

	r := e.mustSync(dir, commit(1), nil)
	if diff := cmp.Diff(counts{Uploaded: 3}, countsOf(r)); diff != "" {
		t.Fatalf("first sync (-want +got):\n%s", diff)
	}
	if !r.ManifestCreated || r.ManifestKey != "assets/app/.relman/releases/"+commit(1).Commit+".json" || r.ManifestVersionID == "" {
		t.Fatalf("manifest: %+v", r)
	}

	// Twice with no change: nothing uploaded, the manifest is the same.
	r = e.mustSync(dir, commit(1), nil)
	if diff := cmp.Diff(counts{Skipped: 3}, countsOf(r)); diff != "" {
		t.Fatalf("second sync (-want +got):\n%s", diff)
	}
	if r.ManifestCreated {
		t.Fatal("the identical manifest was written again")
	}

	// Every mtime changed: still nothing to upload.
	future := time.Now().Add(48 * time.Hour)
	for _, f := range []string{"config/app.yaml", "deploy.sh", "docs/guide.md"} {
		if err := os.Chtimes(filepath.Join(dir, f), future, future); err != nil {
			t.Fatal(err)
		}
	}
	r = e.mustSync(dir, commit(2), nil)
	if diff := cmp.Diff(counts{Skipped: 3}, countsOf(r)); diff != "" {
		t.Fatalf("sync after touching every file (-want +got):\n%s", diff)
	}

	// One file changed: one upload, one new version.
	writeFiles(t, dir, map[string]string{"config/app.yaml": "port: 8080\n"})
	r = e.mustSync(dir, tagged(3, "v1.1.0"), nil)
	if diff := cmp.Diff([]string{"config/app.yaml"}, r.Uploaded); diff != "" {
		t.Fatalf("uploads (-want +got):\n%s", diff)
	}
	if r.Bytes != int64(len("port: 8080\n")) {
		t.Errorf("bytes = %d", r.Bytes)
	}
	vs, err := e.st.Versions(context.Background(), "config/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("config/app.yaml has %d versions, want 2", len(vs))
	}
	h, err := e.st.Head(context.Background(), "config/app.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("port: 8080\n"))
	want := s3store.Meta{Commit: commit(3).Commit, Ref: "refs/heads/main", Tag: "v1.1.0", SHA256: hex.EncodeToString(sum[:]), SourcePath: "config/app.yaml"}
	if diff := cmp.Diff(want, h.Meta); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	m, err := e.st.ReadManifest(context.Background(), "v1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Assets["assets/app/config/app.yaml"]; got.VersionID != h.VersionID || got.SHA256 != want.SHA256 || got.Size != 11 {
		t.Errorf("manifest entry = %+v, want version %s", got, h.VersionID)
	}
	if len(m.Assets) != 3 || m.GitTag != "v1.1.0" || m.GitCommit != commit(3).Commit {
		t.Errorf("manifest = %+v", m)
	}
}

func TestSyncFreshClone(t *testing.T) {
	e := newEnv(t, "rel")
	g := gittest.New(t)
	files := map[string]string{"config/app.yaml": "a: 1\n", "scripts/deploy.sh": "echo\n", "README.md": "hello\n"}
	g.Commit("main", "assets", files)
	g.Tag("v1.0.0", g.Head("main"), true)
	sel := s3step.Selection{}
	run := func(dir string) *s3step.SyncResult {
		repo, err := gitrepo.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		info, err := s3step.Describe(repo, s3step.DescribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if info.Tag != "v1.0.0" || info.Ref != "refs/heads/main" {
			t.Fatalf("describe = %+v", info)
		}
		fs, err := s3step.WorkTree(context.Background(), dir, sel, e.log)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s3step.Sync(context.Background(), s3step.SyncOptions{Store: e.st, Files: fs, Git: info, Concurrency: 4, Log: e.log, Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := run(g.Clone("main"))
	if diff := cmp.Diff(counts{Uploaded: 3}, countsOf(first)); diff != "" {
		t.Fatalf("first sync (-want +got):\n%s", diff)
	}
	second := run(g.Clone("main"))
	if diff := cmp.Diff(counts{Skipped: 3}, countsOf(second)); diff != "" {
		t.Fatalf("sync of a fresh clone (-want +got):\n%s", diff)
	}
	if second.ManifestCreated || second.ManifestVersionID != first.ManifestVersionID || second.Name != "v1.0.0" {
		t.Errorf("fresh clone manifest: %+v, first %+v", second, first)
	}
}

func TestSyncRemovedFile(t *testing.T) {
	e := newEnv(t, "p")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": "a", "b.yaml": "b"})
	e.mustSync(dir, commit(1), nil)
	if err := os.Remove(filepath.Join(dir, "b.yaml")); err != nil {
		t.Fatal(err)
	}

	r := e.mustSync(dir, commit(2), nil)
	if diff := cmp.Diff(counts{Skipped: 1}, countsOf(r)); diff != "" {
		t.Fatalf("without delete (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b.yaml"}, r.Unchanged); diff != "" {
		t.Errorf("left in place (-want +got):\n%s", diff)
	}
	if _, err := e.st.Head(context.Background(), "b.yaml", ""); err != nil {
		t.Fatalf("b.yaml was removed without delete: %v", err)
	}

	r = e.mustSync(dir, commit(3), func(o *s3step.SyncOptions) { o.Delete = true })
	if diff := cmp.Diff(counts{Skipped: 1, Deleted: 1}, countsOf(r)); diff != "" {
		t.Fatalf("with delete (-want +got):\n%s", diff)
	}
	vs, err := e.st.Versions(context.Background(), "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || !vs[0].DeleteMarker || !vs[0].IsLatest || vs[1].DeleteMarker {
		t.Fatalf("b.yaml versions = %+v, want a delete marker over the old version", vs)
	}
	m, err := e.st.ReadManifest(context.Background(), commit(3).Commit)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Assets["p/b.yaml"]; ok || len(m.Assets) != 1 {
		t.Errorf("manifest after delete = %+v", m.Assets)
	}
}

func TestSyncDryRunWritesNothing(t *testing.T) {
	e := newEnv(t, "p")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": "a"})
	r := e.mustSync(dir, commit(1), func(o *s3step.SyncOptions) { o.DryRun = true })
	if diff := cmp.Diff([]string{"a.yaml"}, r.Uploaded); diff != "" {
		t.Fatalf("dry run (-want +got):\n%s", diff)
	}
	latest, err := e.st.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ms, err := e.st.Manifests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) != 0 || len(ms) != 0 {
		t.Fatalf("dry run wrote %v and %v", latest, ms)
	}
}

func TestManifestCreateOnly(t *testing.T) {
	e := newEnv(t, "p")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": "a"})
	e.mustSync(dir, tagged(1, "v1.0.0"), nil)
	writeFiles(t, dir, map[string]string{"a.yaml": "changed"})
	_, err := e.sync(dir, tagged(1, "v1.0.0"), nil)
	if !errors.Is(err, s3store.ErrManifestDiffers) {
		t.Fatalf("err = %v, want ErrManifestDiffers", err)
	}
	if !strings.Contains(err.Error(), "changed a.yaml") || !strings.Contains(err.Error(), "tag a new release") {
		t.Errorf("error does not say what differs and the fix: %v", err)
	}
	// Nothing was uploaded by the refused run.
	vs, _ := e.st.Versions(context.Background(), "a.yaml")
	if len(vs) != 1 {
		t.Errorf("a.yaml has %d versions after a refused sync, want 1", len(vs))
	}
	// The manifest write itself is create-only too.
	m := &s3store.Manifest{Name: "v1.0.0", GitTag: "v1.0.0", Assets: map[string]s3store.Entry{}}
	if _, err := e.st.WriteManifest(context.Background(), m); !errors.Is(err, s3store.ErrManifestDiffers) {
		t.Errorf("overwriting a manifest: err = %v", err)
	}
}

func TestVersionsAndDiffAcrossReleases(t *testing.T) {
	e := newEnv(t, "p")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"config.yaml": "a: 1\nb: 2\n", "logo.bin": "\x00\x01", "old.md": "old\n"})
	e.mustSync(dir, tagged(1, "v1.0.0"), nil)
	writeFiles(t, dir, map[string]string{"config.yaml": "a: 1\nb: 3\n", "logo.bin": "\x00\x02"})
	e.mustSync(dir, tagged(2, "v1.1.0"), nil)
	writeFiles(t, dir, map[string]string{"config.yaml": "a: 1\nb: 3\nc: 4\n", "new.md": "new\n"})
	if err := os.Remove(filepath.Join(dir, "old.md")); err != nil {
		t.Fatal(err)
	}
	e.mustSync(dir, tagged(3, "v2.0.0"), func(o *s3step.SyncOptions) { o.Delete = true })

	ctx := context.Background()
	vs, err := s3step.Versions(ctx, s3step.VersionsOptions{Store: e.st, Asset: "config.yaml", Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, v := range vs {
		tags = append(tags, v.Tag)
		if v.VersionID == "" || v.Commit == "" || v.SHA256 == "" || v.Size == 0 || v.Date == "" {
			t.Errorf("incomplete version %+v", v)
		}
	}
	if diff := cmp.Diff([]string{"v2.0.0", "v1.1.0", "v1.0.0"}, tags); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
	if !vs[0].Latest || vs[1].Latest {
		t.Errorf("latest flags wrong: %+v", vs)
	}

	tests := []struct {
		name string
		opts s3step.DiffOptions
		want s3step.DiffResult
		text string
	}{
		{
			name: "text by release",
			opts: s3step.DiffOptions{Asset: "config.yaml", From: "v1.0.0", To: "v1.1.0"},
			text: "@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n",
		},
		{
			name: "text by version id to latest",
			opts: s3step.DiffOptions{Asset: "config.yaml", From: vs[1].VersionID},
			text: "+c: 4\n",
		},
		{
			name: "identical",
			opts: s3step.DiffOptions{Asset: "config.yaml", From: "v2.0.0", To: vs[0].VersionID},
			want: s3step.DiffResult{Identical: true},
		},
		{
			name: "binary",
			opts: s3step.DiffOptions{Asset: "logo.bin", From: "v1.0.0", To: "v1.1.0"},
			want: s3step.DiffResult{Binary: true, FromSize: 2, ToSize: 2},
		},
		{
			name: "releases",
			opts: s3step.DiffOptions{FromRelease: "v1.0.0", ToRelease: "v2.0.0"},
			want: s3step.DiffResult{Added: []string{"new.md"}, Removed: []string{"old.md"}, Changed: []string{"config.yaml", "logo.bin"}},
		},
		{
			name: "same release",
			opts: s3step.DiffOptions{FromRelease: "v1.1.0", ToRelease: "v1.1.0"},
			want: s3step.DiffResult{Identical: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Store = e.st
			got, err := s3step.Diff(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.text != "" {
				if !strings.Contains(got.Text, tc.text) {
					t.Fatalf("diff text %q does not contain %q", got.Text, tc.text)
				}
				return
			}
			ignore := cmpopts.IgnoreFields(s3step.DiffResult{}, "FromSHA256", "ToSHA256", "FromVersion", "ToVersion")
			if tc.want.FromSize == 0 {
				ignore = cmpopts.IgnoreFields(s3step.DiffResult{}, "FromSHA256", "ToSHA256", "FromVersion", "ToVersion", "FromSize", "ToSize")
			}
			if diff := cmp.Diff(tc.want, *got, ignore); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRollback(t *testing.T) {
	e := newEnv(t, "p")
	ctx := context.Background()
	g := gittest.New(t)
	v1 := map[string]string{"config.yaml": "v: 1\n", "deploy.sh": "echo 1\n"}
	g.Commit("main", "v1", v1)
	g.Tag("v1.0.0", g.Head("main"), true)
	dir1 := g.Clone("main")
	e.mustSync(dir1, tagged(1, "v1.0.0"), nil)
	g.Commit("main", "v2", map[string]string{"config.yaml": "v: 2\n", "deploy.sh": "echo 2\n", "extra.md": "x\n"})
	g.Tag("v2.0.0", g.Head("main"), true)
	e.mustSync(g.Clone("main"), tagged(2, "v2.0.0"), nil)

	// One asset, to a release.
	r, err := s3step.Rollback(ctx, s3step.RollbackOptions{Store: e.st, Asset: "config.yaml", To: "v1.0.0", Concurrency: 4, Log: e.log, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"config.yaml"}, r.Copied); diff != "" || !r.ManifestCreated || r.RollbackOf != "config.yaml@v1.0.0" {
		t.Fatalf("asset rollback: %+v %s", r, diff)
	}
	body := read(t, e.st, "config.yaml", "")
	if body != "v: 1\n" {
		t.Fatalf("config.yaml = %q after rollback", body)
	}
	vs, _ := e.st.Versions(ctx, "config.yaml")
	if len(vs) != 3 {
		t.Fatalf("config.yaml has %d versions, want 3 (history kept)", len(vs))
	}
	h, _ := e.st.Head(ctx, "config.yaml", "")
	if h.Meta.RollbackOf != "config.yaml@v1.0.0" || h.Meta.Tag != "v1.0.0" {
		t.Errorf("rolled-back metadata = %+v", h.Meta)
	}
	m, err := e.st.ReadManifest(ctx, r.Name)
	if err != nil {
		t.Fatal(err)
	}
	if m.RollbackOf != "config.yaml@v1.0.0" || m.Assets["p/config.yaml"].VersionID != h.VersionID {
		t.Errorf("rollback manifest = %+v", m)
	}
	// Re-running changes nothing.
	again, err := s3step.Rollback(ctx, s3step.RollbackOptions{Store: e.st, Asset: "config.yaml", To: "v1.0.0", Concurrency: 4, Log: e.log, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Copied) != 0 || again.ManifestCreated || again.Name != r.Name {
		t.Errorf("re-run: %+v", again)
	}

	// One asset to a version id.
	if _, err := s3step.Rollback(ctx, s3step.RollbackOptions{Store: e.st, Asset: "config.yaml", To: "no-such-version", Concurrency: 4, Log: e.log}); err == nil {
		t.Error("rollback to a missing version succeeded")
	}

	// The whole release, with delete: then status at the tag is in sync.
	r, err = s3step.Rollback(ctx, s3step.RollbackOptions{Store: e.st, Release: "v1.0.0", Delete: true, Concurrency: 4, Log: e.log, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rollbackCounts{Copied: []string{"deploy.sh"}, Unchanged: []string{"README.md", "config.yaml"}, Deleted: []string{"extra.md"}},
		rollbackCounts{r.Copied, r.Unchanged, r.Deleted}); diff != "" {
		t.Fatalf("release rollback (-want +got):\n%s", diff)
	}
	repo, err := gitrepo.Open(g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	files, err := s3step.GitTree(ctx, repo, "v1.0.0", s3step.Selection{}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s3step.Status(ctx, s3step.StatusOptions{Store: e.st, Files: files, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Clean() || len(st.InSync) != 3 {
		t.Fatalf("status at v1.0.0 after rollback = %+v", st)
	}
	// The v2 work tree is now out of sync.
	files, err = s3step.GitTree(ctx, repo, "v2.0.0", s3step.Selection{}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	st, err = s3step.Status(ctx, s3step.StatusOptions{Store: e.st, Files: files, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&s3step.StatusResult{InSync: []string{"README.md"}, Changed: []string{"config.yaml", "deploy.sh"}, Missing: []string{"extra.md"}}, st); diff != "" {
		t.Errorf("status at v2.0.0 (-want +got):\n%s", diff)
	}
}

type rollbackCounts struct{ Copied, Unchanged, Deleted []string }

func read(t testing.TB, st *s3store.Store, path, version string) string {
	t.Helper()
	r, err := st.Open(context.Background(), path, version)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBucketRefusals(t *testing.T) {
	srv := s3test.Get(t)
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": "a"})
	files, err := s3step.WorkTree(ctx, dir, all, &testLog{t: t})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		bucket func() string
		creds  aws.CredentialsProvider
		is     error
		says   string
	}{
		{"versioning off", func() string { return srv.NewBucket(t, s3test.Off) }, nil, s3store.ErrVersioning, "never enabled): relman keeps every release's assets as object versions, so it needs versioning Enabled: run relman s3 versioning"},
		{"versioning suspended", func() string { return srv.NewBucket(t, s3test.Suspended) }, nil, s3store.ErrVersioning, "(it is Suspended)"},
		{"missing bucket", func() string { return "relman-no-such-bucket" }, nil, s3store.ErrNoBucket, `no bucket "relman-no-such-bucket" at ` + srv.Endpoint + ": create it"},
		{"wrong key id", func() string { return srv.NewBucket(t, s3test.Enabled) }, credentials.NewStaticCredentialsProvider("nobody", "wrong-secret-123", ""), s3store.ErrCredentials, "InvalidAccessKeyId): check AWS_ACCESS_KEY_ID"},
		{"wrong secret", func() string { return srv.NewBucket(t, s3test.Enabled) }, credentials.NewStaticCredentialsProvider(srv.AccessKey, "wrong-secret-123", ""), s3store.ErrCredentials, "SignatureDoesNotMatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := srv.Store(t, s3store.Options{Bucket: tc.bucket(), Prefix: "p", Credentials: tc.creds, MaxAttempts: 1})
			_, err := s3step.Sync(ctx, s3step.SyncOptions{Store: st, Files: files, Git: commit(1), Log: &testLog{t: t}})
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v\nwant %v saying %q", err, tc.is, tc.says)
			}
			if strings.Contains(err.Error(), "wrong-secret-123") {
				t.Errorf("the secret leaked into the error: %v", err)
			}
		})
	}
}

func TestVersioningEnable(t *testing.T) {
	srv := s3test.Get(t)
	ctx := context.Background()
	for _, v := range []s3test.Versioning{s3test.Off, s3test.Suspended} {
		st := srv.Store(t, s3store.Options{Bucket: srv.NewBucket(t, v)})
		r, err := s3step.EnableVersioning(ctx, s3step.VersioningOptions{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Changed || r.Status != "Enabled" {
			t.Errorf("first run: %+v", r)
		}
		r, err = s3step.EnableVersioning(ctx, s3step.VersioningOptions{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		if r.Changed || r.Status != "Enabled" || r.Previous != "Enabled" {
			t.Errorf("second run is not a no-op: %+v", r)
		}
	}
	st := srv.Store(t, s3store.Options{Bucket: srv.NewBucket(t, s3test.Off)})
	r, err := s3step.EnableVersioning(ctx, s3step.VersioningOptions{Store: st, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Versioning(ctx); got != "" || !r.Changed {
		t.Errorf("dry run: versioning %q, result %+v", got, r)
	}
}

func TestSafetyRefusals(t *testing.T) {
	ctx := context.Background()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.yaml": "password: x"})
	tests := []struct {
		name  string
		setup func(dir string)
		sel   s3step.Selection
		says  string
	}{
		{
			name: "symlink out of the repository",
			setup: func(dir string) {
				must(t, os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dir, "link.yaml")))
			},
			says: "link.yaml: refused: a symlink leaving the repository",
		},
		{
			name: "relative symlink out of the repository",
			setup: func(dir string) {
				must(t, os.MkdirAll(filepath.Join(dir, "conf"), 0o755))
				rel, _ := filepath.Rel(filepath.Join(dir, "conf"), filepath.Join(outside, "secret.yaml"))
				must(t, os.Symlink(rel, filepath.Join(dir, "conf", "x.yaml")))
			},
			says: "conf/x.yaml: refused: a symlink leaving the repository",
		},
		{
			name: "symlink into .git",
			setup: func(dir string) {
				writeFiles(t, dir, map[string]string{".git/config": "[core]"})
				must(t, os.Symlink(".git/config", filepath.Join(dir, "cfg.yaml")))
			},
			says: "a symlink into .git/",
		},
		{
			name: ".git in include",
			sel:  s3step.Selection{Include: []string{".git/**"}},
			says: `pattern ".git/**": refused: .git/ is git's own data`,
		},
		{
			name: ".env without encryption",
			setup: func(dir string) {
				writeFiles(t, dir, map[string]string{".env.production": "TOKEN=x"})
			},
			sel:  s3step.Selection{Include: []string{"*.yaml", ".env.production"}},
			says: ".env.production: refused: a .env-style file is uploaded only with server-side encryption: set --sse",
		},
		{
			name: "../ in a pattern",
			sel:  s3step.Selection{Include: []string{"../x"}},
			says: `".." segments are not allowed`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"a.yaml": "a"})
			if tc.setup != nil {
				tc.setup(dir)
			}
			_, err := s3step.WorkTree(ctx, dir, tc.sel, &testLog{t: t})
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want %q", err, tc.says)
			}
		})
	}

	for _, p := range []string{"../up", "a/../../b", "a//b", "./a"} {
		if _, err := s3store.CleanPrefix(p); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
	if _, err := s3store.New(ctx, s3store.Options{Bucket: "b", Prefix: "rel/../..", Endpoint: "http://127.0.0.1:1"}); err == nil || !strings.Contains(err.Error(), `".." segments are not allowed (keys must stay under the prefix)`) {
		t.Errorf("store with ../ prefix: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSelection(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"README.md": "r", "main.go": "package main", "config/app.yaml": "a", "config/app.json": "j",
		"deploy/run.sh": "s", "docs/img/logo.png": "p", ".github/workflows/ci.yml": "w",
		"node_modules/x/readme.md": "n", ".env": "SECRET=1", "config/.env.local": "S=2", "sub/.git": "gitdir: x",
		"in/link-target.txt": "t",
	})
	must(t, os.Symlink("../in/link-target.txt", filepath.Join(dir, "docs", "link.txt")))
	must(t, os.Symlink("../in", filepath.Join(dir, "docs", "dirlink")))
	tests := []struct {
		name  string
		sel   s3step.Selection
		want  []string
		warns int
	}{
		{
			name:  "defaults",
			want:  []string{"README.md", "config/app.json", "config/app.yaml", "deploy/run.sh", "docs/img/logo.png", "docs/link.txt"},
			warns: 2, // config/.env.local matched by config/, docs/dirlink
		},
		{
			name: "explicit .env with encryption",
			sel:  s3step.Selection{Include: []string{"*.yaml", ".env"}, Encrypted: true},
			want: []string{".env", "config/app.yaml"},
		},
		{
			name:  "glob does not list .env",
			sel:   s3step.Selection{Include: []string{"config/**"}, Exclude: []string{"*.json"}, Encrypted: true},
			want:  []string{"config/app.yaml"},
			warns: 1,
		},
		{
			name: "anchored",
			sel:  s3step.Selection{Include: []string{"/README.md", "docs/**/*.png"}},
			want: []string{"README.md", "docs/img/logo.png"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &testLog{t: t}
			files, err := s3step.WorkTree(context.Background(), dir, tc.sel, log)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
				if f.SHA256 == "" {
					t.Errorf("%s not hashed", f.Path)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(log.w) != tc.warns {
				t.Errorf("warnings = %q, want %d", log.w, tc.warns)
			}
		})
	}
}

func TestSyncSecretFileEncrypted(t *testing.T) {
	srv := s3test.Get(t)
	if os.Getenv("RELMAN_TEST_S3_KMS_KEY") == "" {
		if s3test.Required() {
			t.Fatal("RELMAN_TEST_S3_KMS_KEY is not set: scripts/test.sh starts MinIO with a KMS key for SSE")
		}
		t.Skip("MinIO without a KMS key: server-side encryption is not available")
	}
	bucket := srv.NewBucket(t, s3test.Enabled)
	st := srv.Store(t, s3store.Options{Bucket: bucket, Prefix: "p", SSE: "AES256"})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{".env": "TOKEN=1\n", "a.yaml": "a"})
	log := &testLog{t: t}
	files, err := s3step.WorkTree(context.Background(), dir, s3step.Selection{Include: []string{"*.yaml", ".env"}, Encrypted: true}, log)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s3step.Sync(context.Background(), s3step.SyncOptions{Store: st, Files: files, Git: commit(1), Concurrency: 2, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Uploaded) != 2 {
		t.Fatalf("uploaded %v", r.Uploaded)
	}
	out, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("p/.env")})
	if err != nil {
		t.Fatal(err)
	}
	if out.ServerSideEncryption != "AES256" {
		t.Errorf(".env stored with encryption %q", out.ServerSideEncryption)
	}
}

func TestMultipartRoundTrip(t *testing.T) {
	e := newEnv(t, "big")
	dir := t.TempDir()
	// 100 MB of a cheap pseudo-random stream, so that parts differ.
	f, err := os.Create(filepath.Join(dir, "app.bin"))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	x := uint64(1)
	for range 100 {
		for i := 0; i < len(buf); i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			for j := range 8 {
				buf[i+j] = byte(x >> (8 * j))
			}
		}
		f.Write(buf)
		h.Write(buf)
	}
	must(t, f.Close())
	want := hex.EncodeToString(h.Sum(nil))
	r := e.mustSync(dir, commit(1), nil)
	if r.Bytes != 100<<20 || len(r.Uploaded) != 1 {
		t.Fatalf("sync: %+v", r)
	}
	out, err := e.srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &e.bucket, Key: aws.String("big/app.bin"), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.PartsCount) < 2 {
		t.Fatalf("app.bin was uploaded in %d part(s), want multipart", aws.ToInt32(out.PartsCount))
	}
	body, err := e.st.Open(context.Background(), "app.bin", "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	dh := sha256.New()
	if _, err := io.Copy(dh, body); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(dh.Sum(nil)); got != want {
		t.Fatalf("downloaded sha256 %s, want %s", got, want)
	}
	hd, _ := e.st.Head(context.Background(), "app.bin", "")
	if hd.Meta.SHA256 != want {
		t.Errorf("sha256 metadata %s, want %s", hd.Meta.SHA256, want)
	}
	// And it is skipped next time.
	r = e.mustSync(dir, commit(1), nil)
	if len(r.Skipped) != 1 {
		t.Errorf("re-sync: %+v", r)
	}
}

func TestServerKilledMidSync(t *testing.T) {
	p := s3test.StartProcess(t)
	ctx := context.Background()
	bucket := p.NewBucket(t, s3test.Enabled)
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("conf/f%03d.yaml", i)] = strings.Repeat(fmt.Sprintf("line %d\n", i), 200)
	}
	writeFiles(t, dir, files)
	log := &testLog{t: t}
	sel, err := s3step.WorkTree(ctx, dir, all, log)
	if err != nil {
		t.Fatal(err)
	}
	st := p.Store(t, s3store.Options{Bucket: bucket, Prefix: "p", MaxAttempts: 2})
	var once sync.Once
	_, err = s3step.Sync(ctx, s3step.SyncOptions{Store: st, Files: sel, Git: tagged(1, "v1.0.0"), Concurrency: 4, Log: log,
		Progress: func(pr s3step.Progress) {
			if pr.Done >= 20 {
				once.Do(p.Kill)
			}
		}})
	if !errors.Is(err, s3store.ErrUnreachable) || !strings.Contains(err.Error(), "no manifest was written") {
		t.Fatalf("sync with the server gone: %v", err)
	}

	p.Start()
	ms, err := st.Manifests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 0 {
		t.Fatalf("the failed run wrote manifests %v", ms)
	}
	latest, err := st.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(latest) < 20 || len(latest) >= 200 {
		t.Fatalf("%d objects after the failed run: the test did not kill the server mid-sync", len(latest))
	}
	r, err := s3step.Sync(ctx, s3step.SyncOptions{Store: st, Files: sel, Git: tagged(1, "v1.0.0"), Concurrency: 4, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Skipped) != len(latest) || len(r.Uploaded) != 200-len(latest) || !r.ManifestCreated {
		t.Fatalf("re-run: uploaded %d, skipped %d, manifest %v; %d were there", len(r.Uploaded), len(r.Skipped), r.ManifestCreated, len(latest))
	}
	m, err := st.ReadManifest(ctx, "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Assets) != 200 {
		t.Errorf("manifest has %d assets", len(m.Assets))
	}
}
