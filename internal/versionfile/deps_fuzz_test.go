package versionfile

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeJSON decodes a JSON file after its byte order mark.
func decodeJSON(t *testing.T, what string, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data[bomLen(data):], &v); err != nil {
		t.Fatalf("%s is not valid JSON: %v", what, err)
	}
	return v
}

// sameShape checks what every in-place edit promises: as many lines, and
// every line keeps its CR or lack of one.
func sameShape(t *testing.T, old, new []byte) {
	t.Helper()
	a, b := bytes.Split(old, []byte{'\n'}), bytes.Split(new, []byte{'\n'})
	if len(a) != len(b) {
		t.Fatalf("the edit changed the number of lines from %d to %d", len(a), len(b))
	}
	for i := range a {
		if bytes.HasSuffix(a[i], []byte{'\r'}) != bytes.HasSuffix(b[i], []byte{'\r'}) {
			t.Fatalf("line %d lost or gained its CR", i+1)
		}
	}
}

// sfdxEntries calls fn with every packageDirectories entry of a decoded
// sfdx-project.json whose package is pkg.
func sfdxEntries(v any, pkg string, fn func(entry map[string]any)) {
	root, _ := v.(map[string]any)
	dirs, _ := root["packageDirectories"].([]any)
	for _, d := range dirs {
		if e, ok := d.(map[string]any); ok && e["package"] == pkg {
			fn(e)
		}
	}
}

var sfdxSeeds = []string{
	sfdxProject,
	"\ufeff" + strings.ReplaceAll(sfdxProject, "\n", "\r\n"),
	`{"packageDirectories":[{"path":"a","package":"a","versionNumber":"1.0.0"}]}`,
	`{"packageDirectories":[{"package":"a","versionNumber":"1.0.0.NEXT","versionNumber":"1.0.0.1"}]}`,
	`{"packageDirectories":[{"package":"a","versionNumber":"1.0.0.NEXT","dependencies":[{"package":"b","versionNumber":"0.1.0.LATEST"},{"package":"b@0.1.0-1"}]}]}`,
	`{"packageDirectories":[{"package":"a","versionNumber":"1.0.0\u002eNEXT"}]}`,
	`{"packageDirectories":{}}`, `[]`, `{"packageDirectories":[1]}`,
}

// FuzzSFDX checks the sfdx-project.json version editor: no panic; on
// success the file is the same JSON but for the package's versionNumber,
// with the same lines; Current reads the version back; setting it again
// changes nothing.
func FuzzSFDX(f *testing.F) {
	for _, s := range sfdxSeeds {
		for _, v := range []string{"1.3.0", "2.0.0.NEXT", "1.0.0.7", "1.0.0-rc.1", "1.0"} {
			f.Add(s, "a", v)
			f.Add(s, "core", v)
		}
	}
	f.Fuzz(func(t *testing.T, content, pkg, version string) {
		e := SFDX{Package: pkg}
		files := MapFiles{"sfdx-project.json": []byte(content)}
		_, _ = e.Current(files)
		cs, err := e.Set(files, version)
		if err != nil {
			if cs != nil {
				t.Fatal("changes returned with an error")
			}
			return
		}
		if len(cs) > 1 || len(cs) == 1 && (cs[0].Path != "sfdx-project.json" || bytes.Equal(cs[0].Old, cs[0].New)) {
			t.Fatalf("unexpected changes %+v", cs)
		}
		after := files
		if len(cs) == 1 {
			sameShape(t, cs[0].Old, cs[0].New)
			a, b := decodeJSON(t, "the file", cs[0].Old), decodeJSON(t, "the edited file", cs[0].New)
			var got string
			sfdxEntries(b, pkg, func(e map[string]any) { got, _ = e["versionNumber"].(string) })
			if v, err := parseSFDXVersion(got); err != nil || v.semver() != strings.Join(strings.Split(version, ".")[:3], ".") {
				t.Fatalf("versionNumber %q after setting %s", got, version)
			}
			for _, x := range []any{a, b} {
				sfdxEntries(x, pkg, func(e map[string]any) { delete(e, "versionNumber") })
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("more than the versionNumber changed (-old +new):\n%s", diff)
			}
			after = MapFiles{"sfdx-project.json": cs[0].New}
		}
		cur, err := e.Current(after)
		if err != nil {
			t.Fatalf("Current after Set: %v", err)
		}
		if want := strings.Join(strings.Split(version, ".")[:3], "."); cur != want {
			t.Fatalf("Current after Set = %q, want %q", cur, want)
		}
		again, err := e.Set(after, version)
		if err != nil || len(again) != 0 {
			t.Fatalf("setting %s again: %v, %d changes", version, err, len(again))
		}
	})
}

// FuzzSFDXDependencies checks the sfdx dependency editor: no panic; on
// success the file is the same JSON but for versionNumbers of the
// package's dependencies on dep, with the same lines, and a second run
// changes nothing.
func FuzzSFDXDependencies(f *testing.F) {
	for _, s := range sfdxSeeds {
		for _, v := range []string{"1.3.0", "0.2.0", "0.1.0.5", "1.0.0.NEXT", "x"} {
			f.Add(s, "app", "core", v)
			f.Add(s, "a", "b", v)
		}
	}
	f.Fuzz(func(t *testing.T, content, pkg, dep, version string) {
		files := MapFiles{"sfdx-project.json": []byte(content)}
		versions := map[string]string{dep: version}
		cs, err := SetSFDXDependencies(files, "sfdx-project.json", pkg, versions)
		if err != nil {
			if cs != nil {
				t.Fatal("changes returned with an error")
			}
			return
		}
		if len(cs) == 0 {
			return
		}
		if len(cs) > 1 || bytes.Equal(cs[0].Old, cs[0].New) {
			t.Fatalf("unexpected changes %+v", cs)
		}
		sameShape(t, cs[0].Old, cs[0].New)
		a, b := decodeJSON(t, "the file", cs[0].Old), decodeJSON(t, "the edited file", cs[0].New)
		for _, x := range []any{a, b} {
			sfdxEntries(x, pkg, func(e map[string]any) {
				deps, _ := e["dependencies"].([]any)
				for _, d := range deps {
					if m, ok := d.(map[string]any); ok && m["package"] == dep {
						delete(m, "versionNumber")
					}
				}
			})
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("more than the dependency's versionNumber changed (-old +new):\n%s", diff)
		}
		again, err := SetSFDXDependencies(MapFiles{"sfdx-project.json": cs[0].New}, "sfdx-project.json", pkg, versions)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second run: %v, %d changes", err, len(again))
		}
	})
}

// FuzzNPMDependencies checks the package.json dependency editor: no
// panic; on success the file is the same JSON but for the ranges of name,
// with the same lines, each range still one the editor reads; a second
// run changes nothing.
func FuzzNPMDependencies(f *testing.F) {
	seeds := []string{
		appPackageJSON, strings.ReplaceAll(appPackageJSON, "\n", "\r\n"),
		`{"dependencies":{"a":"^1.0.0","a":"1.0.0"}}`, `{"peerDependencies":{"a":">=1.0.0"},"devDependencies":{"a":"~1.0.0-rc.1"}}`,
		`{"dependencies":{"a":"\u005e1.0.0"}}`, `{"dependencies":[]}`, `[]`, `{"dependencies":{"a":1}}`,
	}
	for _, s := range seeds {
		for _, v := range []string{"1.3.0", "2.0.0", "1.0.0-rc.2", "1.3", ""} {
			f.Add(s, "@acme/ui", v)
			f.Add(s, "a", v)
		}
	}
	f.Fuzz(func(t *testing.T, content, name, version string) {
		files := MapFiles{"package.json": []byte(content)}
		versions := map[string]string{name: version}
		cs, err := SetNPMDependencies(files, "package.json", versions)
		if err != nil {
			if cs != nil {
				t.Fatal("changes returned with an error")
			}
			return
		}
		if len(cs) == 0 {
			return
		}
		if len(cs) > 1 || bytes.Equal(cs[0].Old, cs[0].New) {
			t.Fatalf("unexpected changes %+v", cs)
		}
		sameShape(t, cs[0].Old, cs[0].New)
		a, b := decodeJSON(t, "the file", cs[0].Old), decodeJSON(t, "the edited file", cs[0].New)
		ra, _ := a.(map[string]any)
		rb, _ := b.(map[string]any)
		for _, field := range NPMDependencyFields {
			da, _ := ra[field].(map[string]any)
			db, _ := rb[field].(map[string]any)
			if da == nil || db == nil {
				continue
			}
			if o, n := da[name], db[name]; o != n {
				if r, ok := n.(string); !ok || !strings.HasSuffix(r, strings.TrimPrefix(version, "v")) {
					t.Fatalf("%s: %s is %v after setting %s", field, name, n, version)
				}
			}
			delete(da, name)
			delete(db, name)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("more than the ranges of %s changed (-old +new):\n%s", name, diff)
		}
		again, err := SetNPMDependencies(MapFiles{"package.json": cs[0].New}, "package.json", versions)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second run: %v, %d changes", err, len(again))
		}
	})
}

// FuzzGoMod checks the go.mod reader and requirement editor: no panic; on
// success the edited go.mod reads as the same module with the same
// requirements but for the version of path, with the same lines; a
// second run changes nothing.
func FuzzGoMod(f *testing.F) {
	seeds := []string{
		toolsGoMod, strings.ReplaceAll(toolsGoMod, "\n", "\r\n"),
		"module a\nrequire b v1.0.0\n", "module a\nrequire (\n b v1.0.0 // c\n)\n", "module \"a\"\nrequire `b` \"v1.0.0\"\n",
		"module a\nrequire (\n", "module a // x\nrequire b/v2 v2.0.0\n", "module a\nrequire b v0.0.0-20240101000000-abcdefabcdef\n",
	}
	for _, s := range seeds {
		for _, v := range []string{"1.3.0", "v2.1.0", "0.1.0", "1.3"} {
			f.Add(s, "b", v)
			f.Add(s, "example.com/repo/lib", v)
		}
	}
	f.Fuzz(func(t *testing.T, content, mod, version string) {
		before, err := ReadGoMod("go.mod", []byte(content))
		files := MapFiles{"go.mod": []byte(content)}
		versions := map[string]string{mod: version}
		cs, serr := SetGoRequires(files, "go.mod", versions)
		if err != nil {
			if serr == nil {
				t.Fatalf("ReadGoMod fails (%v) but SetGoRequires succeeds", err)
			}
			return
		}
		if serr != nil {
			if cs != nil {
				t.Fatal("changes returned with an error")
			}
			return
		}
		if len(cs) == 0 {
			return
		}
		if len(cs) > 1 || bytes.Equal(cs[0].Old, cs[0].New) {
			t.Fatalf("unexpected changes %+v", cs)
		}
		sameShape(t, cs[0].Old, cs[0].New)
		after, err := ReadGoMod("go.mod", cs[0].New)
		if err != nil {
			t.Fatalf("the edited go.mod does not read: %v", err)
		}
		want := "v" + strings.TrimPrefix(version, "v")
		for i, r := range after.Requires {
			if r.Path == mod {
				if r.Version != want && r.Version != before.Requires[i].Version {
					t.Fatalf("require %s %s after setting %s", mod, r.Version, version)
				}
				after.Requires[i].Version = before.Requires[i].Version
			}
		}
		if diff := cmp.Diff(before, after, cmp.Comparer(func(a, b GoRequire) bool {
			return a.Path == b.Path && a.Version == b.Version && a.Line == b.Line && a.quoted == b.quoted
		})); diff != "" {
			t.Fatalf("more than the version of %s changed (-old +new):\n%s", mod, diff)
		}
		again, err := SetGoRequires(MapFiles{"go.mod": cs[0].New}, "go.mod", versions)
		if err != nil || len(again) != 0 {
			t.Fatalf("a second run: %v, %d changes", err, len(again))
		}
	})
}
