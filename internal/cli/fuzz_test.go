package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/relman-dev/relman/internal/ci"
)

// FuzzSplitList checks the list settings (labels, and the S3 include and
// exclude patterns): items are never empty and never hold a separator, keep
// their order, and a list joined back with commas splits the same way.
func FuzzSplitList(f *testing.F) {
	for _, s := range []string{
		"", ",", "a,b", " ImpactMajor , ImpactPatch ", "a\nb\r\nc", "a,,b", "\n\n", " , ",
		"dist/**,!x", "a\u2028b", "a\x00b", "::set-output name=x::y\nb", "\xff,\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		check := func(name string, split func(string) []string, seps string, trimmed bool) {
			items := split(v)
			rest := v
			for _, it := range items {
				if it == "" {
					t.Fatalf("%s(%q) = %q: an empty item", name, v, items)
				}
				if strings.ContainsAny(it, seps) {
					t.Fatalf("%s(%q) = %q: item %q holds a separator", name, v, items, it)
				}
				if trimmed && strings.TrimSpace(it) != it {
					t.Fatalf("%s(%q) = %q: item %q is not trimmed", name, v, items, it)
				}
				i := strings.Index(rest, it)
				if i < 0 {
					t.Fatalf("%s(%q) = %q: item %q is not in the value, in order", name, v, items, it)
				}
				rest = rest[i+len(it):]
			}
			if again := split(strings.Join(items, ",")); !slices.Equal(again, items) {
				t.Fatalf("%s(%q) = %q, but joined and split again = %q", name, v, items, again)
			}
		}
		check("splitList", splitList, ",\n", true)
		check("s3SplitList", s3SplitList, ",\n\r", false)
	})
}

// FuzzRunnerMergeRequest checks the merge request read from the runner: the
// GitHub event file (GITHUB_EVENT_PATH, JSON written by the forge with
// user-controlled titles, labels and branch names) and GitLab's
// CI_MERGE_REQUEST_* variables. It never panics; an event that is not a
// valid pull_request event gives nothing; the default branch agrees with
// the one the tag step reads from the same file; and what was read, written
// back as an event, reads back the same.
func FuzzRunnerMergeRequest(f *testing.F) {
	for _, s := range []string{
		`{"pull_request":{"number":7,"title":"feat: x","labels":[{"name":"ImpactMinor"}],"base":{"ref":"main"}},"repository":{"default_branch":"main"}}`,
		`{"pull_request":{"number":7,"title":"a\n::set-output name=x::y\u001b[31m","labels":[{"name":"ImpactMajor\n"},{"name":""}],"base":{"ref":"release/1.2"}}}`,
		`{"pull_request":null,"repository":{"default_branch":"main"}}`,
		`{"pull_request":{"number":1e3}}`,
		`{"pull_request":{"number":99999999999999999999}}`,
		`{"PULL_REQUEST":{"Number":3,"base":{"Ref":"../x"}},"Repository":{"Default_Branch":"main"}}`,
		`{"pull_request":{"labels":[{"name":1}]}}`,
		`{"pull_request":{}} trailing`,
		`[]`, `null`, ``, `{`, "\xff",
	} {
		f.Add([]byte(s), "", "")
	}
	f.Add([]byte(nil), "12", "ImpactPatch,bug\nImpactMinor")
	f.Add([]byte(nil), "x", "")
	f.Add([]byte(nil), "-1", " , ")
	f.Fuzz(func(t *testing.T, event []byte, iid, labels string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "event.json")
		if err := os.WriteFile(path, event, 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{
			"GITHUB_EVENT_PATH":       path,
			"CI_MERGE_REQUEST_IID":    iid,
			"CI_MERGE_REQUEST_LABELS": labels,
		}
		s := newSettings("check", func(k string) string { return env[k] }, io.Discard)

		m := runnerMergeRequest(s, ci.GitHub)
		if !m.known {
			if !reflect.DeepEqual(m, mrContext{}) {
				t.Fatalf("event %q: no pull request, yet read %+v", event, m)
			}
		} else {
			if !json.Valid(event) {
				t.Fatalf("event %q is not JSON, yet read %+v", event, m)
			}
			if d := githubEventDefaultBranch(path); d != m.defBr {
				t.Fatalf("event %q: default branch %q for check, %q for tag", event, m.defBr, d)
			}
			again := readBack(t, dir, m)
			if !reflect.DeepEqual(again, m) {
				t.Fatalf("event %q read %+v, written back and read again %+v", event, m, again)
			}
		}

		g := runnerMergeRequest(s, ci.GitLab)
		if g.known != (iid != "") {
			t.Fatalf("CI_MERGE_REQUEST_IID=%q: known = %v", iid, g.known)
		}
		if n, err := strconv.Atoi(iid); g.known && ((err == nil && g.number != n) || (err != nil && g.number != 0)) {
			t.Fatalf("CI_MERGE_REQUEST_IID=%q: number %d", iid, g.number)
		}
		if want := splitList(labels); g.known && !slices.Equal(g.labels, want) {
			t.Fatalf("CI_MERGE_REQUEST_LABELS=%q: labels %q, want %q", labels, g.labels, want)
		}
	})
}

// readBack writes m as a pull_request event and reads it back.
func readBack(t *testing.T, dir string, m mrContext) mrContext {
	t.Helper()
	type label struct {
		Name string `json:"name"`
	}
	ev := map[string]any{
		"pull_request": map[string]any{
			"number": m.number, "title": m.title,
			"labels": func() []label {
				var ls []label
				for _, l := range m.labels {
					ls = append(ls, label{l})
				}
				return ls
			}(),
			"base": map[string]string{"ref": m.target},
		},
		"repository": map[string]string{"default_branch": m.defBr},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "again.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_EVENT_PATH": path}
	return runnerMergeRequest(newSettings("check", func(k string) string { return env[k] }, io.Discard), ci.GitHub)
}
