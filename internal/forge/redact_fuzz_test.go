package forge_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/forge"
)

// FuzzRedact checks that a token echoed in an error message never survives
// Redact, and that the error chain is kept. Tokens hold no "*" (GitHub's
// ghp_/ghs_, GitLab's glpat-, base64): one that did could be rebuilt from a
// neighbouring character and the "***" that replaces it.
func FuzzRedact(f *testing.F) {
	for _, s := range [][2]string{
		{"GET /x: bad token s3cr3t (s3cr3t)", "s3cr3t"}, {"aaaa", "aa"}, {"tok", ""}, {"", "tok"},
		{"glpat-xxxxglpat-xxxx", "glpat-xxxx"}, {"abab", "aba"}, {"\xff\xfe", "\xfe"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, msg, secret string) {
		base := errors.New(msg)
		err := forge.Redact(base, secret)
		if !errors.Is(err, base) {
			t.Fatalf("Redact lost the error chain")
		}
		if secret == "" {
			if err != base {
				t.Fatalf("Redact with no secret changed the error")
			}
			return
		}
		if strings.Contains(secret, "*") {
			return
		}
		if got := err.Error(); strings.Contains(got, secret) {
			t.Fatalf("Redact(%q, %q) = %q: the secret is still there", msg, secret, got)
		}
	})
}
