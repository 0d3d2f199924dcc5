package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/relman-dev/relman/internal/cli"
)

// Every token the test suite hands relman starts with "test-token-", and
// every variable named like a secret (…TOKEN, …SECRET…, …PASSWORD…, e.g. the
// S3 secret key) holds one too. The relman command of the scripts watches
// its own stdout and stderr for them, and each script ends with a scan of
// every file relman could have written in its work directory (outputs,
// dotenv reports, step summaries, logs): a secret anywhere fails the
// script. The one place a token may appear is the ::add-mask:: command that
// tells the GitHub runner to mask it.
var testToken = regexp.MustCompile(`test-token-[A-Za-z0-9_-]+`)

var secretName = regexp.MustCompile(`(?i)(token|secret|password)`)

// secretsIn lists the secret values of an environment (KEY=VALUE lines).
func secretsIn(environ []string) [][]byte {
	var out [][]byte
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if secretName.MatchString(k) && len(v) >= 8 {
			out = append(out, []byte(v))
		}
	}
	return out
}

func leaks(b []byte, secrets [][]byte) []byte {
	if m := testToken.Find(b); m != nil {
		return m
	}
	for _, s := range secrets {
		if bytes.Contains(b, s) {
			return []byte("the value of a secret variable")
		}
	}
	return nil
}

// relmanMain is the relman command of the testscripts.
func relmanMain() {
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	secrets := secretsIn(os.Environ())
	stdout := &leakWriter{w: os.Stdout, stream: "stdout", secrets: secrets}
	stderr := &leakWriter{w: os.Stderr, stream: "stderr", secrets: secrets}
	code := cli.Main(context.Background(), cli.Env{
		Args: os.Args[1:], Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Now: now,
	})
	stdout.flush()
	stderr.flush()
	os.Exit(code)
}

// leakWriter passes writes through and records, in $WORK/token-leaks, every
// line that carries a test token.
type leakWriter struct {
	mu      sync.Mutex
	w       io.Writer
	stream  string
	secrets [][]byte
	line    []byte
}

func (l *leakWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.line = append(l.line, p...)
	for {
		i := bytes.IndexByte(l.line, '\n')
		if i < 0 {
			break
		}
		l.check(l.line[:i])
		l.line = l.line[i+1:]
	}
	return l.w.Write(p)
}

func (l *leakWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.line) > 0 {
		l.check(l.line)
		l.line = nil
	}
}

func (l *leakWriter) check(line []byte) {
	if leaks(line, l.secrets) == nil || bytes.HasPrefix(line, []byte("::add-mask::")) {
		return
	}
	f, err := os.OpenFile(filepath.Join(os.Getenv("WORK"), "token-leaks"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintf(f, "relman %s on %s: %s\n", strings.Join(os.Args[1:], " "), l.stream, line)
		f.Close()
	}
}

// scanForTokens is a Setup for testscript.Params: at the end of the script
// it fails the test if relman printed a token, or if any file in the work
// directory other than the script's own files and git's holds one.
func scanForTokens(env *testscript.Env) error {
	work := env.WorkDir
	own := map[string]bool{}
	_ = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			own[p] = true // extracted from the script's archive
		}
		return nil
	})
	env.Defer(func() {
		secrets := secretsIn(env.Vars)
		if b, err := os.ReadFile(filepath.Join(work, "token-leaks")); err == nil {
			env.T().Fatal("a token reached relman's output:\n" + string(b))
		}
		_ = filepath.WalkDir(work, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && (d.Name() == ".git" || strings.HasSuffix(d.Name(), ".git") || d.Name() == "home") {
				return filepath.SkipDir
			}
			if d.IsDir() || own[p] || d.Name() == "mrs.json" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			if m := leaks(b, secrets); m != nil {
				env.T().Fatal(fmt.Sprintf("a secret was written to %s: %s", p, m))
			}
			return nil
		})
	})
	return nil
}

// TestLeakDetectors proves the detectors above can fail.
func TestLeakDetectors(t *testing.T) {
	work := t.TempDir()
	t.Setenv("WORK", work)
	var sink bytes.Buffer
	w := &leakWriter{w: &sink, stream: "stderr", secrets: secretsIn([]string{"AWS_SECRET_ACCESS_KEY=0123456789abcdef", "SHORT_TOKEN=abc"})}
	fmt.Fprintln(w, "::add-mask::test-token-fine")
	fmt.Fprintln(w, "all good, abc is too short to be a secret")
	if _, err := os.Stat(filepath.Join(work, "token-leaks")); err == nil {
		t.Fatal("a clean output was reported as a leak")
	}
	fmt.Fprint(w, "error: https://x:test-token-leaked@host/repo")
	w.flush()
	fmt.Fprintln(w, "key 0123456789abcdef in a log")
	b, err := os.ReadFile(filepath.Join(work, "token-leaks"))
	if err != nil || !bytes.Contains(b, []byte("test-token-leaked")) || !bytes.Contains(b, []byte("0123456789abcdef")) {
		t.Errorf("leaks not recorded: %q %v", b, err)
	}
	if sink.Len() == 0 {
		t.Error("the writer did not pass the output through")
	}
}
