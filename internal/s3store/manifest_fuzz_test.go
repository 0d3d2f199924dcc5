package s3store

import (
	"strings"
	"testing"
)

// FuzzParseManifest checks the manifest read back from the bucket, where
// anyone with write access to it may have put anything: a manifest is
// accepted only with relman's format, and then every asset key lies under
// the store's prefix, outside .relman/, and names its own path.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		`{"format":1,"name":"v1.0.0","assets":{"p/a.md":{"path":"a.md","version-id":"1","sha256":"x","size":1}}}`,
		`{"format":1,"assets":{"p/../etc/passwd":{"path":"../etc/passwd"}}}`,
		`{"format":1,"assets":{"p/.relman/releases/v1.json":{"path":".relman/releases/v1.json"}}}`,
		`{"format":1,"assets":{"q/a.md":{"path":"a.md"}}}`,
		`{"format":1,"assets":{"p/a.md":{"path":"b.md"}}}`,
		`{"format":1,"assets":{"p//a.md":{"path":"/a.md"}}}`,
		`{"format":2}`, `{"format":1,"assets":null}`, `null`, `[]`, `{"format":1e0}`, "\xff",
	} {
		f.Add("p", []byte(s))
	}
	f.Add("", []byte(`{"format":1,"assets":{"a.md":{"path":"a.md"},".git/config":{"path":".git/config"}}}`))
	f.Fuzz(func(t *testing.T, prefix string, data []byte) {
		p, err := CleanPrefix(prefix)
		if err != nil {
			return
		}
		st := &Store{prefix: p, opts: Options{Bucket: "b"}}
		m, err := st.parseManifest("p/.relman/releases/x.json", data)
		if err != nil {
			if !strings.Contains(err.Error(), "s3://b/") {
				t.Fatalf("error %q does not say which manifest", err)
			}
			return
		}
		if m.Format != ManifestFormat || m.Assets == nil {
			t.Fatalf("accepted format %d, assets %v", m.Format, m.Assets)
		}
		for k, e := range m.Assets {
			if err := st.CheckKey(k); err != nil {
				t.Fatalf("accepted key %q: %v", k, err)
			}
			if p != "" && !strings.HasPrefix(k, p+"/") {
				t.Fatalf("accepted key %q outside prefix %q", k, p)
			}
			if back, ok := st.PathOf(k); !ok || back != e.Path {
				t.Fatalf("key %q names path %q, entry says %q", k, back, e.Path)
			}
			if key, err := st.Key(e.Path); err != nil || key != k {
				t.Fatalf("path %q maps to key %q (%v), manifest says %q", e.Path, key, err, k)
			}
		}
	})
}
