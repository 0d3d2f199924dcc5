// Package s3test gives tests the real S3 server (MinIO) that scripts/test.sh
// starts on loopback, and fresh buckets on it. Without the server a test
// fails when CI=true or RELMAN_TEST_S3_REQUIRED=1, and skips otherwise.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/relman-dev/relman/internal/s3store"
)

// Server is an S3 endpoint with root credentials.
type Server struct {
	Endpoint  string
	AccessKey string
	SecretKey string
}

// Env returns the variables that point relman at the server.
func (s Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=us-east-1",
		"RELMAN_ENDPOINT=" + s.Endpoint,
	}
}

// Required reports whether the S3 tests must run (CI or the test script).
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("RELMAN_TEST_S3_REQUIRED") == "1"
}

// Get returns the server from RELMAN_TEST_S3_ENDPOINT, _ACCESS_KEY and
// _SECRET_KEY, after checking it answers.
func Get(t testing.TB) Server {
	t.Helper()
	s := Server{
		Endpoint:  os.Getenv("RELMAN_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("RELMAN_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("RELMAN_TEST_S3_SECRET_KEY"),
	}
	if s.Endpoint == "" {
		if Required() {
			t.Fatal("no S3 server: RELMAN_TEST_S3_ENDPOINT is not set, and S3 tests must run in CI: run them through bash scripts/test.sh, which starts MinIO")
		}
		t.Skip("no S3 server (RELMAN_TEST_S3_ENDPOINT unset): run bash scripts/test.sh to start MinIO and run the S3 tests")
	}
	if err := Healthy(s.Endpoint); err != nil {
		t.Fatalf("S3 server %s is not answering: %v", s.Endpoint, err)
	}
	return s
}

// Healthy checks MinIO's liveness endpoint.
func Healthy(endpoint string) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(strings.TrimRight(endpoint, "/") + "/minio/health/live")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s", resp.Status)
	}
	return nil
}

// Client is a raw S3 client with root credentials, for setting up and
// checking buckets.
func (s Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:                     "us-east-1",
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// Versioning is a bucket's versioning state for NewBucket.
type Versioning int

// Bucket versioning states.
const (
	Enabled Versioning = iota
	Off
	Suspended
)

// NewBucket creates a bucket with a unique name and removes it (with every
// version) at the end of the test.
func (s Server) NewBucket(t testing.TB, v Versioning) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "relman-" + hex.EncodeToString(b)
	ctx := context.Background()
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	switch v {
	case Enabled:
		s.setVersioning(t, name, types.BucketVersioningStatusEnabled)
	case Suspended:
		s.setVersioning(t, name, types.BucketVersioningStatusEnabled)
		s.setVersioning(t, name, types.BucketVersioningStatusSuspended)
	}
	t.Cleanup(func() { s.removeBucket(name) })
	return name
}

func (s Server) setVersioning(t testing.TB, bucket string, st types.BucketVersioningStatus) {
	t.Helper()
	_, err := s.Client().PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket: &bucket, VersioningConfiguration: &types.VersioningConfiguration{Status: st},
	})
	if err != nil {
		t.Fatalf("set versioning of %s: %v", bucket, err)
	}
}

func (s Server) removeBucket(bucket string) {
	ctx := context.Background()
	c := s.Client()
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		var ids []types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, d := range page.DeleteMarkers {
			ids = append(ids, types.ObjectIdentifier{Key: d.Key, VersionId: d.VersionId})
		}
		for len(ids) > 0 {
			n := min(len(ids), 1000)
			_, _ = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids[:n], Quiet: aws.Bool(true)}})
			ids = ids[n:]
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
}

// Store opens a store on the server with root credentials.
func (s Server) Store(t testing.TB, opts s3store.Options) *s3store.Store {
	t.Helper()
	opts.Endpoint = s.Endpoint
	opts.Region = "us-east-1"
	if opts.Credentials == nil {
		opts.Credentials = credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")
	}
	st, err := s3store.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Process is a MinIO server of the test's own, which it can kill and
// restart (RELMAN_TEST_MINIO_BIN is the binary).
type Process struct {
	Server
	bin, dir, addr string
	cmd            *exec.Cmd
	t              testing.TB
}

// StartProcess starts a private MinIO on a free loopback port.
func StartProcess(t testing.TB) *Process {
	t.Helper()
	bin := os.Getenv("RELMAN_TEST_MINIO_BIN")
	if bin == "" {
		if Required() {
			t.Fatal("RELMAN_TEST_MINIO_BIN is not set: run the tests through bash scripts/test.sh, which builds MinIO")
		}
		t.Skip("no MinIO binary (RELMAN_TEST_MINIO_BIN unset): run bash scripts/test.sh")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &Process{bin: bin, dir: filepath.Join(t.TempDir(), "data"), addr: addr, t: t,
		Server: Server{Endpoint: "http://" + addr, AccessKey: "relman-proc", SecretKey: "relman-proc-secret"}}
	p.Start()
	t.Cleanup(p.Kill)
	return p
}

// Start (re)starts the server on its address and data directory and waits
// until it answers.
func (p *Process) Start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, "server", "--quiet", "--address", p.addr, p.dir)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+p.AccessKey, "MINIO_ROOT_PASSWORD="+p.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	logf, err := os.Create(p.dir + ".log")
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for Healthy(p.Endpoint) != nil {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(p.dir + ".log")
			p.t.Fatalf("MinIO on %s did not start: %s", p.addr, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (p *Process) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// URL is the endpoint's host:port.
func (s Server) URL() *url.URL {
	u, _ := url.Parse(s.Endpoint)
	return u
}
