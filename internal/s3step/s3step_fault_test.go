package s3step_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/relman-dev/relman/internal/faultproxy"
	"github.com/relman-dev/relman/internal/faulttest"
	"github.com/relman-dev/relman/internal/s3step"
	"github.com/relman-dev/relman/internal/s3store"
	"github.com/relman-dev/relman/internal/s3store/s3test"
)

// big.bin is uploaded in two parts: 5 MiB (S3's smallest part but the
// last) and 1 MiB.
const (
	bigSize   = 6 << 20
	partSize  = 5 << 20
	threshold = 5<<20 + 1
)

// bigContent is bigSize bytes of a fixed pattern.
func bigContent() string {
	b := make([]byte, bigSize)
	for i := 0; i < len(b); i += 8 {
		binary.BigEndian.PutUint64(b[i:], uint64(i)*0x9e3779b97f4a7c15)
	}
	return string(b)
}

// TestFaultSync syncs a release to MinIO through a proxy that drops or
// stalls uploads (single PUTs and multipart parts) and the create-only
// manifest PUT. A fault the SDK's retries absorb leaves the release
// complete; one they do not fails the run with no manifest written (or, if
// the manifest PUT reached the server, the very manifest of the release),
// never an object version holding other content than its metadata says.
// The re-run completes the release, or finds it complete and does nothing.
func TestFaultSync(t *testing.T) {
	srv := s3test.Get(t)
	files := map[string]string{"config/app.yaml": "port: 80\n", "deploy.sh": "#!/bin/sh\necho hi\n", "big.bin": bigContent()}
	git := tagged(7, "v1.0.0")
	tests := []struct {
		name string
		// rules get the bucket's path: "PUT /BUCKET/app/" is written "PUT /@/app/"
		rules       []faultproxy.Rule
		maxAttempts int // of the SDK; 0 for relman's default (5)
		timeout     time.Duration
		// the faulted run fails; its manifest reached the server anyway
		wantFail, wantManifest bool
		wantInErr              string
	}{
		{
			name:         "single PUT dropped mid-body once: the SDK retries",
			rules:        []faultproxy.Rule{{Request: "PUT /@/app/config/app.yaml", Action: faultproxy.DropMidBody, After: 4}},
			wantManifest: true,
		},
		{
			name:         "multipart part dropped mid-body once: the SDK retries",
			rules:        []faultproxy.Rule{{Request: "PUT /@/app/big.bin?partNumber=1&", Action: faultproxy.DropMidBody, After: 1 << 20}},
			wantManifest: true,
		},
		{
			name:         "manifest PUT dropped after the server wrote it: the retry finds it",
			rules:        []faultproxy.Rule{{Request: "PUT /@/app/.relman/releases/", Action: faultproxy.DropAfterRequest}},
			wantManifest: true,
		},
		{
			name:        "single PUT dropped mid-body every time",
			rules:       []faultproxy.Rule{{Request: "PUT /@/app/deploy.sh", Action: faultproxy.DropMidBody, After: 5, Times: faultproxy.Always}},
			maxAttempts: 2,
			wantFail:    true,
			wantInErr:   "no manifest was written; re-run the sync to finish",
		},
		{
			name:        "multipart part dropped mid-body every time",
			rules:       []faultproxy.Rule{{Request: "PUT /@/app/big.bin?partNumber=2&", Action: faultproxy.DropMidBody, After: 64 << 10, Times: faultproxy.Always}},
			maxAttempts: 2,
			wantFail:    true,
			wantInErr:   "no manifest was written; re-run the sync to finish",
		},
		{
			name:        "single PUT stored, its answer dropped every time",
			rules:       []faultproxy.Rule{{Request: "PUT /@/app/config/app.yaml", Action: faultproxy.DropAfterRequest, Times: faultproxy.Always}},
			maxAttempts: 2,
			wantFail:    true,
			wantInErr:   "no manifest was written; re-run the sync to finish",
		},
		{
			name:        "manifest PUT dropped before the server every time",
			rules:       []faultproxy.Rule{{Request: "PUT /@/app/.relman/releases/", Action: faultproxy.Drop, Times: faultproxy.Always}},
			maxAttempts: 2,
			wantFail:    true,
			wantInErr:   ".relman/releases/v1.0.0.json",
		},
		{
			name:        "manifest PUT dropped mid-body every time",
			rules:       []faultproxy.Rule{{Request: "PUT /@/app/.relman/releases/", Action: faultproxy.DropMidBody, After: 100, Times: faultproxy.Always}},
			maxAttempts: 2,
			wantFail:    true,
			wantInErr:   ".relman/releases/v1.0.0.json",
		},
		{
			name: "manifest PUT written, then every retry dropped: the re-run finds it",
			rules: []faultproxy.Rule{
				{Request: "PUT /@/app/.relman/releases/", Action: faultproxy.DropAfterRequest},
				{Request: "PUT /@/app/.relman/releases/", Action: faultproxy.Drop, Times: faultproxy.Always},
			},
			maxAttempts:  2,
			wantFail:     true,
			wantManifest: true,
			wantInErr:    ".relman/releases/v1.0.0.json",
		},
		{
			name:        "manifest PUT stalled: bounded by the context",
			rules:       []faultproxy.Rule{{Request: "PUT /@/app/.relman/releases/", Action: faultproxy.Stall, Times: faultproxy.Always}},
			maxAttempts: 2,
			timeout:     time.Second,
			wantFail:    true,
			wantInErr:   "context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bucket := srv.NewBucket(t, s3test.Enabled)
			p := faultproxy.Start(t, srv.Endpoint)
			var rules []faultproxy.Rule
			for _, r := range tt.rules {
				r.Request = strings.Replace(r.Request, "/@/", "/"+bucket+"/", 1)
				rules = append(rules, r)
			}
			p.MustSet(t, rules...)
			dir := t.TempDir()
			writeFiles(t, dir, files)
			log := &testLog{t: t}
			st := proxiedStore(t, srv, p, bucket, tt.maxAttempts)
			// A real clock moves on: a re-run's manifest has another date.
			clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			now := func() time.Time { clock = clock.Add(time.Minute); return clock }
			sync := func(ctx context.Context) (*s3step.SyncResult, error) {
				fs, err := s3step.WorkTree(ctx, dir, all, log)
				if err != nil {
					t.Fatal(err)
				}
				return s3step.Sync(ctx, s3step.SyncOptions{Store: st, Files: fs, Git: git, Concurrency: 1, Log: log, Now: now}) // one at a time: the figures are deterministic
			}

			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = faulttest.DeadlineAfterFault(ctx, p, tt.timeout) // the stall's deadline
				defer cancel()
			}
			start := time.Now()
			res, err := sync(ctx)
			elapsed := time.Since(start)
			switch {
			case tt.wantFail && err == nil:
				t.Fatalf("the faulted sync succeeded: %+v\nrequests: %q", res, p.Requests())
			case !tt.wantFail && err != nil:
				t.Fatalf("the faulted sync failed: %v\nrequests: %q", err, p.Requests())
			case err != nil:
				t.Logf("faulted sync: %v", err)
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("error %q does not say %q", err, tt.wantInErr)
				}
			}
			if tt.timeout > 0 && elapsed > tt.timeout+30*time.Second {
				t.Errorf("the stalled sync took %s, past its %s deadline", elapsed, tt.timeout)
			}
			injected := p.Injected()
			if injected < len(tt.rules) {
				t.Errorf("injected %d faults, want at least %d; requests: %q", injected, len(tt.rules), p.Requests())
			}
			p.MustSet(t)

			// Unchanged or complete: the manifest is absent or the release's,
			// and every object version holds what its metadata says.
			direct := srv.Store(t, s3store.Options{Bucket: bucket, Prefix: "app"})
			kept := checkObjectsWhole(t, direct, files)
			checkNoUploadsLeft(t, srv, bucket)
			hasManifest := checkManifest(t, direct, files, false)
			if hasManifest != tt.wantManifest {
				t.Fatalf("manifest written = %v after the fault, want %v; requests: %q", hasManifest, tt.wantManifest, p.Requests())
			}
			outcome := faultproxy.Unchanged
			if hasManifest {
				outcome = faultproxy.Complete
			}
			if !hasManifest {
				outcome += " (no manifest)"
			}
			if tt.wantFail {
				outcome += fmt.Sprintf("; the run failed, %d whole asset versions kept for the re-run", kept)
			} else {
				outcome += "; the run succeeded: the SDK retried"
			}

			// The re-run converges: the whole release, and one more is a no-op.
			again, err := sync(t.Context())
			if err != nil {
				t.Fatalf("re-run: %v", err)
			}
			if hasManifest && (again.ManifestCreated || len(again.Uploaded) != 0) {
				t.Errorf("re-run after a complete release uploaded %v, created manifest %v; want nothing", again.Uploaded, again.ManifestCreated)
			}
			third, err := sync(t.Context())
			if err != nil || third.ManifestCreated || len(third.Uploaded) != 0 {
				t.Errorf("third run = %+v, %v; want nothing to do", third, err)
			}
			checkObjectsWhole(t, direct, files)
			converged := checkManifest(t, direct, files, true)
			faultproxy.Report(t, faultproxy.Result{Scenario: "S3 sync (s3step): " + tt.name, Injected: injected, Outcome: outcome, Converged: converged})
		})
	}
}

// proxiedStore is a store of bucket/app reached through the proxy, with
// multipart uploads of 5 MiB parts from just over 5 MiB on.
func proxiedStore(t *testing.T, srv s3test.Server, p *faultproxy.Proxy, bucket string, maxAttempts int) *s3store.Store {
	t.Helper()
	st, err := s3store.New(t.Context(), s3store.Options{
		Bucket: bucket, Prefix: "app", Endpoint: p.URL(), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
		Concurrency: 4, MultipartThreshold: threshold, PartSize: partSize, MaxAttempts: maxAttempts,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// checkObjectsWhole reads every version of every asset: each must be one
// of the files whole, as its sha256 metadata says. It returns how many
// versions there are.
func checkObjectsWhole(t *testing.T, st *s3store.Store, files map[string]string) int {
	t.Helper()
	ctx := t.Context()
	n := 0
	for path, content := range files {
		versions, err := st.Versions(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range versions {
			if v.DeleteMarker {
				t.Errorf("%s: a delete marker", path)
				continue
			}
			n++
			head, err := st.Head(ctx, path, v.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := st.Open(ctx, path, v.VersionID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := sum(string(b)); got != sum(content) || head.Meta.SHA256 != got {
				t.Errorf("%s version %s: %d bytes, sha256 %s, metadata says %s; want the file whole (%d bytes)", path, v.VersionID, len(b), got[:12], head.Meta.SHA256, len(content))
			}
		}
	}
	return n
}

// checkNoUploadsLeft fails the test when a multipart upload was left open.
func checkNoUploadsLeft(t *testing.T, srv s3test.Server, bucket string) {
	t.Helper()
	out, err := srv.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) > 0 {
		t.Errorf("%d multipart uploads left open", len(out.Uploads))
	}
}

// checkManifest reports whether the release's manifest exists; one that
// exists must name every file with its content and a version holding it.
// With want, a missing manifest fails the test.
func checkManifest(t *testing.T, st *s3store.Store, files map[string]string, want bool) bool {
	t.Helper()
	m, err := st.ReadManifest(t.Context(), "v1.0.0")
	if errors.Is(err, s3store.ErrNotFound) {
		if want {
			t.Error("no manifest")
		}
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	ok := len(m.Assets) == len(files)
	for path, content := range files {
		e, found := m.Assets["app/"+path]
		if !found || e.SHA256 != sum(content) || e.Size != int64(len(content)) {
			t.Errorf("manifest entry of %s: %+v", path, e)
			ok = false
			continue
		}
		rc, err := st.Open(t.Context(), path, e.VersionID)
		if err != nil {
			t.Errorf("manifest names %s version %s: %v", path, e.VersionID, err)
			ok = false
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if sum(string(b)) != e.SHA256 {
			t.Errorf("manifest names %s version %s, which holds other content", path, e.VersionID)
			ok = false
		}
	}
	return ok
}

// TestFaultRollbackMultipartCopy rolls a 6 MiB asset back with a copy in
// parts (5 MiB and 1 MiB UploadPartCopy ranges: the path of objects over
// 5 GiB, made small here with CopyThreshold). Without faults the copy holds
// the old content in two parts; with the second part's copy refused every
// time the rollback fails, aborts the multipart upload (no parts left in
// the bucket), writes no manifest and leaves the newest version as it was;
// the re-run completes it.
func TestFaultRollbackMultipartCopy(t *testing.T) {
	srv := s3test.Get(t)
	v1 := bigContent()
	v2 := strings.ToUpper(v1[:1<<20]) + v1[1<<20:] + "v2"
	for _, faulted := range []bool{false, true} {
		t.Run(fmt.Sprintf("faulted=%v", faulted), func(t *testing.T) {
			t.Parallel()
			bucket := srv.NewBucket(t, s3test.Enabled)
			p := faultproxy.Start(t, srv.Endpoint)
			st, err := s3store.New(t.Context(), s3store.Options{
				Bucket: bucket, Prefix: "app", Endpoint: p.URL(), Region: "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
				Concurrency: 2, MaxAttempts: 2, CopyThreshold: 5 << 20, CopyPartSize: partSize,
			})
			if err != nil {
				t.Fatal(err)
			}
			log := &testLog{t: t}
			for i, content := range []string{v1, v2} {
				dir := t.TempDir()
				writeFiles(t, dir, map[string]string{"big.bin": content})
				fs, err := s3step.WorkTree(t.Context(), dir, all, log)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s3step.Sync(t.Context(), s3step.SyncOptions{Store: st, Files: fs, Git: tagged(i+1, fmt.Sprintf("v%d.0.0", i+1)), Concurrency: 2, Log: log, Now: fixedNow}); err != nil {
					t.Fatal(err)
				}
			}
			rollback := func() (*s3step.RollbackResult, error) {
				return s3step.Rollback(t.Context(), s3step.RollbackOptions{Store: st, Release: "v1.0.0", Concurrency: 2, Log: log, Now: fixedNow})
			}
			direct := srv.Store(t, s3store.Options{Bucket: bucket, Prefix: "app"})
			outcome := faultproxy.Complete
			if faulted {
				p.MustSet(t, faultproxy.Rule{Request: "PUT /" + bucket + "/app/big.bin?partNumber=2&", Action: faultproxy.Drop, Times: faultproxy.Always})
				r, err := rollback()
				if err == nil {
					t.Fatalf("the faulted rollback succeeded: %+v\nrequests: %q", r, p.Requests())
				}
				t.Logf("faulted rollback: %v", err)
				for _, want := range []string{"part 2 of 2", "no manifest was written"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
				checkNoUploadsLeft(t, srv, bucket)
				if got := read(t, direct, "big.bin", ""); got != v2 {
					t.Errorf("after the failed rollback big.bin holds %d bytes, want v2 (%d bytes) untouched", len(got), len(v2))
				}
				if vs, _ := direct.Versions(t.Context(), "big.bin"); len(vs) != 2 {
					t.Errorf("after the failed rollback big.bin has %d versions, want 2", len(vs))
				}
				p.MustSet(t)
				outcome = faultproxy.Unchanged + " (no manifest, no parts left); the run failed"
			}
			r, err := rollback()
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Copied) != 1 || !r.ManifestCreated {
				t.Fatalf("rollback: %+v", r)
			}
			if got := read(t, direct, "big.bin", ""); got != v1 {
				t.Fatalf("after the rollback big.bin holds %d bytes, not v1", len(got))
			}
			h, err := direct.Head(t.Context(), "big.bin", "")
			if err != nil {
				t.Fatal(err)
			}
			if h.Meta.SHA256 != sum(v1) || h.Meta.RollbackOf != "v1.0.0" {
				t.Errorf("metadata after the rollback: %+v", h.Meta)
			}
			out, err := srv.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("app/big.bin"), PartNumber: aws.Int32(1)})
			if err != nil {
				t.Fatal(err)
			}
			if n := aws.ToInt32(out.PartsCount); n != 2 {
				t.Errorf("the rolled-back version has %d part(s), want 2 (a copy in parts)", n)
			}
			checkNoUploadsLeft(t, srv, bucket)
			again, err := rollback()
			if err != nil || len(again.Copied) != 0 || again.ManifestCreated {
				t.Errorf("re-run = %+v, %v; want nothing to do", again, err)
			}
			if faulted {
				faultproxy.Report(t, faultproxy.Result{Scenario: "S3 rollback (s3step): a part of a multipart copy refused every time", Injected: p.Injected(), Outcome: outcome, Converged: true})
			}
		})
	}
}
