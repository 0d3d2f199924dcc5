package s3store

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeys(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		path    string
		key     string
		wantErr string
	}{
		{name: "plain", prefix: "releases/app", path: "config/app.yaml", key: "releases/app/config/app.yaml"},
		{name: "slashes trimmed", prefix: "/releases/app/", path: "./a.md", key: "releases/app/a.md"},
		{name: "root", prefix: "", path: "a.md", key: "a.md"},
		{name: "dotdot prefix", prefix: "a/../b", path: "a.md", wantErr: `".." segments are not allowed`},
		{name: "empty segment", prefix: "a//b", path: "a.md", wantErr: `"" segments are not allowed`},
		{name: "relman prefix", prefix: "x/.relman", path: "a.md", wantErr: ".relman is relman's own directory"},
		{name: "dotdot path", prefix: "p", path: "../a.md", wantErr: "key outside the prefix"},
		{name: "absolute path", prefix: "p", path: "/etc/passwd", wantErr: "key outside the prefix"},
		{name: "git path", prefix: "p", path: "sub/.git/config", wantErr: "refusing to touch .git/"},
		{name: "manifest path", prefix: "p", path: ".relman/releases/v1.json", wantErr: ".relman/ holds relman's manifests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var key string
			prefix, err := CleanPrefix(tc.prefix)
			if err == nil {
				st := &Store{prefix: prefix}
				key, err = st.Key(tc.path)
				if err == nil {
					p, ok := st.PathOf(key)
					if !ok || key != tc.key || st.CheckKey(key) != nil {
						t.Errorf("PathOf(%q) = %q, %v", key, p, ok)
					}
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.key, key); diff != "" {
				t.Errorf("key (-want +got):\n%s", diff)
			}
		})
	}
	st := &Store{prefix: "p"}
	for _, k := range []string{"other/a.md", "p/.relman/releases/v1.json", "p/../x", "pa/x"} {
		if err := st.CheckKey(k); err == nil {
			t.Errorf("CheckKey(%q) accepted a key outside the prefix", k)
		}
	}
}

func FuzzKeyStaysUnderPrefix(f *testing.F) {
	f.Add("releases/app", "config/app.yaml")
	f.Add("a/../b", "../../x")
	f.Add("", ".relman/x")
	f.Fuzz(func(t *testing.T, prefix, path string) {
		p, err := CleanPrefix(prefix)
		if err != nil {
			return
		}
		st := &Store{prefix: p}
		key, err := st.Key(path)
		if err != nil {
			return
		}
		if p != "" && !strings.HasPrefix(key, p+"/") {
			t.Fatalf("key %q escapes prefix %q", key, p)
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == ".." || seg == "" || seg == "." {
				t.Fatalf("key %q has a %q segment", key, seg)
			}
		}
		if back, ok := st.PathOf(key); !ok || st.CheckKey(key) != nil {
			t.Fatalf("PathOf(%q) = %q, %v", key, back, ok)
		}
	})
}

func TestMetaRoundTrip(t *testing.T) {
	m := Meta{Commit: strings.Repeat("a", 40), Ref: "refs/heads/feature/ü", Tag: "v1.0.0", SHA256: strings.Repeat("b", 64),
		SourcePath: "docs/a b%41.md", RollbackOf: "x@v1"}
	enc := m.encode()
	for k, v := range enc {
		for _, c := range v {
			if c > 0x7e || c < 0x20 {
				t.Errorf("metadata %s=%q is not printable ASCII", k, v)
			}
		}
	}
	if diff := cmp.Diff(m, decodeMeta(enc)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSameRelease(t *testing.T) {
	base := func() *Manifest {
		return &Manifest{Name: "v1", GitCommit: "c", Assets: map[string]Entry{"p/a": {Path: "a", VersionID: "1", SHA256: "s", Size: 1}}}
	}
	tests := []struct {
		name   string
		change func(*Manifest)
		same   bool
	}{
		{"identical", func(*Manifest) {}, true},
		{"other version id, same content", func(m *Manifest) { m.Assets["p/a"] = Entry{Path: "a", VersionID: "2", SHA256: "s", Size: 1} }, true},
		{"other content", func(m *Manifest) { m.Assets["p/a"] = Entry{Path: "a", VersionID: "1", SHA256: "t", Size: 1} }, false},
		{"other commit", func(m *Manifest) { m.GitCommit = "d" }, false},
		{"added asset", func(m *Manifest) { m.Assets["p/b"] = Entry{Path: "b"} }, false},
		{"rollback", func(m *Manifest) { m.RollbackOf = "v0" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.change(o)
			if got := base().SameRelease(o); got != tc.same {
				t.Errorf("SameRelease = %v, want %v (%v)", got, tc.same, base().Differences(o))
			}
		})
	}
}

func TestGitHubToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer request-token" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		if r.URL.Query().Get("audience") != "sts.amazonaws.com" || r.URL.Query().Get("api-version") != "2.0" {
			t.Errorf("unexpected request %s", r.URL)
		}
		w.Write([]byte(`{"value":"the.jwt.token"}`))
	}))
	defer srv.Close()
	tok, err := GitHubToken(srv.URL+"/token?api-version=2.0", "request-token", "sts.amazonaws.com", srv.Client())(context.Background())
	if err != nil || tok != "the.jwt.token" {
		t.Fatalf("token = %q, %v", tok, err)
	}
	_, err = GitHubToken(srv.URL+"/token?api-version=2.0", "wrong", "sts.amazonaws.com", srv.Client())(context.Background())
	if err == nil || !strings.Contains(err.Error(), "id-token: write") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("err = %v", err)
	}
}

// TestCopyParts checks when a copy goes in parts and how large they are:
// S3 copies at most 5 GiB in one request and takes at most 10,000 parts.
func TestCopyParts(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		opts             Options
		size             int64
		multipart        bool
		partSize, nParts int64
	}{
		{size: 5 * gib, multipart: false},
		{size: 5*gib + 1, multipart: true, partSize: 512 << 20, nParts: 11},
		{size: 5 << 40, multipart: true, partSize: 549755814, nParts: 10000}, // 5 TiB, S3's largest object
		{opts: Options{CopyThreshold: 6 << 20, CopyPartSize: 5 << 20}, size: 12 << 20, multipart: true, partSize: 5 << 20, nParts: 3},
		{opts: Options{CopyThreshold: 10 * gib}, size: 6 * gib, multipart: true, partSize: 512 << 20, nParts: 12}, // above S3's limit: the limit
	}
	for _, tt := range tests {
		s := &Store{opts: tt.opts}
		if got := tt.size > s.copyThreshold(); got != tt.multipart {
			t.Errorf("%+v, size %d: multipart = %v, want %v", tt.opts, tt.size, got, tt.multipart)
			continue
		}
		if !tt.multipart {
			continue
		}
		ps := s.copyPartSize(tt.size)
		if n := (tt.size + ps - 1) / ps; ps != tt.partSize || n != tt.nParts {
			t.Errorf("%+v, size %d: parts of %d bytes, %d of them; want %d of %d", tt.opts, tt.size, ps, n, tt.nParts, tt.partSize)
		}
	}
}
