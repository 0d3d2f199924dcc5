package versionfile

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// planner is an editor whose edits the fuzz tests can inspect.
type planner interface {
	Editor
	plan(files Files, version string) ([]fileEdits, error)
}

// fuzzTime is the version commit's time of the Maven fuzz target.
var fuzzTime = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

// versions are seeds for the version to set.
var versions = []string{"1.0.0", "1.3.0-SNAPSHOT", "1.3.0.dev0", "2", "", "1.0.0 x", "<b>", `"`, "v1.2.3+meta.1"}

// golden returns a file of testdata/golden/NAME/in as a seed.
func golden(f *testing.F, name, file string) string {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name, "in", filepath.FromSlash(file)))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

// checkEdits runs e on files and checks what every editor promises: no
// panic; on success, the changes are exactly the planned edits of version
// text (forbidden holds bytes that an edited range may not contain); each
// new file is valid for its format (valid); Current reads version back;
// setting it again changes nothing. It returns the changes.
func checkEdits(t *testing.T, e planner, files MapFiles, version, forbidden string, valid func(t *testing.T, old, new []byte)) []Change {
	t.Helper()
	_, _ = e.Current(files)
	cs, err := e.Set(files, version)
	if err != nil {
		if cs != nil {
			t.Fatalf("Set returned changes with error %v", err)
		}
		return nil
	}
	plans, err := e.plan(files, version)
	if err != nil {
		t.Fatalf("Set succeeded but plan failed: %v", err)
	}
	byPath := map[string][]byte{}
	for _, c := range cs {
		if !bytes.Equal(c.Old, files[c.Path]) {
			t.Fatalf("%s: Change.Old is not the file", c.Path)
		}
		if bytes.Equal(c.Old, c.New) {
			t.Fatalf("%s: a Change that changes nothing", c.Path)
		}
		byPath[c.Path] = c.New
	}
	after := MapFiles{}
	for p, b := range files {
		after[p] = b
	}
	for _, p := range plans {
		// Edits come in the format's order (Cargo.toml: [package] before
		// [workspace.package], wherever they stand); apply sorts them by
		// position, and so does this check (found by FuzzCargoTOML).
		edits := slices.Clone(p.edits)
		slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
		at := 0
		for _, ed := range edits {
			if ed.start < at || ed.end < ed.start || ed.end > len(p.old) {
				t.Fatalf("%s: edit %+v out of order or out of range", p.path, ed)
			}
			at = ed.end
			old := p.old[ed.start:ed.end]
			// Inside a quoted string the other quote is plain text: a
			// version "'" in version = "'" is replaced whole (found by
			// FuzzCargoTOML and FuzzPyprojectTOML).
			bad := forbidden
			if ed.start > 0 {
				switch p.old[ed.start-1] {
				case '"':
					bad = strings.ReplaceAll(bad, "'", "")
				case '\'':
					bad = strings.ReplaceAll(bad, "\"", "")
				}
			}
			if forbidden != "" && (len(old) == 0 || bytes.ContainsAny(old, bad)) {
				t.Fatalf("%s: edit replaces %q, which is not version text", p.path, old)
			}
			if ed.text != version && !mavenPart(e, version, ed.text) {
				t.Fatalf("%s: edit writes %q, want %q", p.path, ed.text, version)
			}
		}
		n := apply(p.old, p.edits)
		if want, ok := byPath[p.path]; ok {
			if !bytes.Equal(n, want) {
				t.Fatalf("%s: Change.New is not the file with the edits made", p.path)
			}
		} else if !bytes.Equal(n, p.old) {
			t.Fatalf("%s: edits change the file but Set returned no Change", p.path)
		}
		if bytes.Count(n, []byte{'\n'}) != bytes.Count(p.old, []byte{'\n'}) {
			t.Fatalf("%s: the number of lines changed", p.path)
		}
		if valid != nil && !bytes.Equal(n, p.old) {
			valid(t, p.old, n)
		}
		after[p.path] = n
	}
	got, err := e.Current(after)
	if err != nil {
		t.Fatalf("Current after Set: %v", err)
	}
	if got != version {
		t.Fatalf("Current after Set = %q, want %q", got, version)
	}
	again, err := e.Set(after, version)
	if err != nil {
		t.Fatalf("setting %s again: %v", version, err)
	}
	if len(again) != 0 {
		t.Fatalf("setting %s again changed %s", version, again[0].Path)
	}
	return cs
}

// mavenPart reports whether the Maven editor may write text when it sets
// version: the first property of a CI-friendly ${revision}${changelist}
// (a prefix of version), an emptied ${changelist} or ${sha1}, or
// project.build.outputTimestamp.
func mavenPart(e planner, version, text string) bool {
	if _, ok := e.(Maven); !ok {
		return false
	}
	return text == "" || strings.HasPrefix(version, text) ||
		isoTimestamp.MatchString(text) || text != "" && strings.Trim(text, "0123456789") == ""
}

// xmlTokens decodes data into tokens, or fails.
func xmlTokens(t *testing.T, data []byte) []xml.Token {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	var out []xml.Token
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("the edited pom is not well-formed XML: %v", err)
		}
		out = append(out, xml.CopyToken(tok))
	}
}

// sameXMLButVersions checks that new is well-formed and has the tokens of
// old, except the text of <version> elements and of properties (which may
// become empty, like a released ${changelist}).
func sameXMLButVersions(t *testing.T, old, new []byte) {
	a, b := outsideVersions(xmlTokens(t, old)), outsideVersions(xmlTokens(t, new))
	if len(a) != len(b) {
		t.Fatalf("the edited pom has %d XML tokens outside version text, want %d", len(b), len(a))
	}
	for i := range a {
		if diff := cmp.Diff(a[i], b[i]); diff != "" {
			t.Fatalf("XML token %d changed outside version text (-old +new):\n%s", i, diff)
		}
	}
}

// outsideVersions drops the text of <version> elements and of properties.
func outsideVersions(toks []xml.Token) []xml.Token {
	var out []xml.Token
	var path []string
	for _, tok := range toks {
		switch x := tok.(type) {
		case xml.StartElement:
			path = append(path, x.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) > 0 && path[len(path)-1] == "version" ||
				len(path) == 3 && path[0] == "project" && path[1] == "properties" {
				continue
			}
		}
		out = append(out, tok)
	}
	return out
}

func FuzzMaven(f *testing.F) {
	root := golden(f, "maven-reactor", "pom.xml")
	child := golden(f, "maven-reactor", "services/orders/pom.xml")
	single := golden(f, "maven-single", "pom.xml")
	rev := golden(f, "maven-revision", "pom.xml")
	revChild := golden(f, "maven-revision", "impl/pom.xml")
	simpleRoot := `<project><groupId>g</groupId><artifactId>r</artifactId><version>1.0</version><modules><module>mod</module></modules>` +
		`<dependencyManagement><dependencies><dependency><groupId>g</groupId><artifactId>m</artifactId><version>1.0</version></dependency></dependencies></dependencyManagement></project>`
	simpleChild := `<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>1.0</version></parent><artifactId>m</artifactId>` +
		`<build><plugins><plugin><groupId>g</groupId><artifactId>r</artifactId><version> 1.0 </version></plugin></plugins></build></project>`
	for _, v := range versions {
		f.Add(simpleRoot, simpleChild, v)
	}
	f.Add(strings.ReplaceAll(simpleRoot, "<module>mod</module>", "<module>mod/</module><module>mod/pom.xml</module>"), simpleChild, "2.0")
	f.Add(single, "", "1.0.0")
	f.Add(strings.Replace(single, "<modelVersion>", "<modules><module>mod</module></modules><modelVersion>", 1),
		strings.ReplaceAll(child, "com.example.shop", "io.example"), "1.0.0")
	f.Add(strings.ReplaceAll(rev, "<module>api</module>", ""), strings.ReplaceAll(revChild, "<artifactId>impl", "<artifactId>mod"), "3.0.0")
	f.Add(`<?xml version="1.0" encoding="ISO-8859-1"?><project><artifactId>caf`+"\xe9"+`</artifactId><version>1</version></project>`, "", "2")
	f.Add(root, child, "1.4.0")
	ciRoot := `<project><groupId>g</groupId><artifactId>r</artifactId><version>${revision}${sha1}${changelist}</version>` +
		`<properties><revision>1.2.0</revision><sha1/><changelist>-SNAPSHOT</changelist>` +
		`<project.build.outputTimestamp>2024-01-02T03:04:05Z</project.build.outputTimestamp></properties><modules><module>mod</module></modules></project>`
	ciChild := `<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>${revision}${sha1}${changelist}</version></parent>` +
		`<artifactId>m</artifactId><properties><project.build.outputTimestamp>1704164645</project.build.outputTimestamp></properties></project>`
	f.Add(ciRoot, ciChild, "1.2.0")
	f.Add(ciRoot, ciChild, "1.3.0-SNAPSHOT")
	f.Add(strings.ReplaceAll(ciRoot, "${sha1}", ""), strings.ReplaceAll(ciChild, "${sha1}", ""), "1.2.0")
	f.Add(simpleRoot, strings.ReplaceAll(simpleChild, "<artifactId>m</artifactId>", "<artifactId>m</artifactId><version>2.1-SNAPSHOT</version>"), "1.1")
	f.Fuzz(func(t *testing.T, rootPom, modPom, version string) {
		files := MapFiles{"pom.xml": []byte(rootPom)}
		if modPom != "" {
			files["mod/pom.xml"] = []byte(modPom)
		}
		e := Maven{Time: fuzzTime}
		cs := checkEdits(t, e, files, version, "<&", sameXMLButVersions)
		if cs != nil {
			sameAsParsed(t, e, files, version, cs)
		}
	})
}

// sameAsParsed checks the shortcut of Maven.Set, which resolves the edited
// reactor from the poms as parsed before the edits: every module must
// resolve to what the edited files, parsed again, say.
func sameAsParsed(t *testing.T, e Maven, files MapFiles, version string, cs []Change) {
	t.Helper()
	pl, err := e.newPlan(files, version)
	if err != nil {
		t.Fatal(err)
	}
	short := pl.r.edited(pl.edits)
	after := MapFiles{}
	for p, b := range files {
		after[p] = b
	}
	for _, c := range cs {
		after[c.Path] = c.New
	}
	parsed, err := loadReactor(after, e.root())
	if err != nil {
		t.Fatalf("the edited poms: %v", err)
	}
	if len(parsed.poms) != len(short.poms) {
		t.Fatalf("the edited reactor has %d poms, parsed again %d", len(short.poms), len(parsed.poms))
	}
	for i, p := range parsed.poms {
		want, werr := parsed.version(p, 0)
		got, gerr := short.version(short.poms[i], 0)
		if want != got || (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: resolves to %q (%v) from the plan, %q (%v) parsed again", p.path, got, gerr, want, werr)
		}
	}
}

func FuzzPython(f *testing.F) {
	for _, s := range []string{"1.2.3\n", "1.2.3", "1.2.3\r\n", "\n  1.3.0.dev0  \n\n", "\ufeff1.0\n", "1.2.3\n4\n", "x\n", ""} {
		for _, v := range versions {
			f.Add(s, v)
		}
	}
	f.Fuzz(func(t *testing.T, content, version string) {
		checkEdits(t, Python{}, MapFiles{"VERSION": []byte(content)}, version, " \t\r\n", func(t *testing.T, _, new []byte) {
			if _, err := locatePython(new); err != nil {
				t.Fatalf("the edited VERSION does not parse: %v", err)
			}
		})
	})
}

func FuzzPackageJSON(f *testing.F) {
	seeds := []string{
		golden(f, "package-json", "package.json"),
		`{"version":"1"}`, "\ufeff{\"version\": \"1.0.0\"}", `{"a":{"version":"1"},"version":"2","b":[1,"x",{"c":null}]}`,
		`{"version":"\u0031"}`, `{"version": 1}`, `[]`, `{"version":"1","version":"2"}`, `{"na\"me":"version","version" : "0.1.0" }`,
	}
	for _, s := range seeds {
		for _, v := range versions {
			f.Add(s, v)
		}
	}
	f.Fuzz(func(t *testing.T, content, version string) {
		e := mustSpec(t, "package.json")
		checkEdits(t, e, MapFiles{"package.json": []byte(content)}, version, "\"\\\n", func(t *testing.T, old, new []byte) {
			var a, b map[string]any
			if err := json.Unmarshal(old[bomLen(old):], &a); err != nil {
				t.Fatalf("old: %v", err)
			}
			if err := json.Unmarshal(new[bomLen(new):], &b); err != nil {
				t.Fatalf("the edited package.json is not valid JSON: %v", err)
			}
			if b["version"] != version {
				t.Fatalf("version = %v, want %s", b["version"], version)
			}
			delete(a, "version")
			delete(b, "version")
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("keys other than version changed (-old +new):\n%s", diff)
			}
		})
	})
}

// linesValid checks that the edited file parses and that no line lost or
// gained its CR.
func linesValid(parse func([]byte) error) func(t *testing.T, old, new []byte) {
	return func(t *testing.T, old, new []byte) {
		if err := parse(new); err != nil {
			t.Fatalf("the edited file does not parse: %v", err)
		}
		a, b := bytes.Split(old, []byte{'\n'}), bytes.Split(new, []byte{'\n'})
		for i := range a {
			if !bytes.Equal(a[i], b[i]) && bytes.HasSuffix(a[i], []byte{'\r'}) != bytes.HasSuffix(b[i], []byte{'\r'}) {
				t.Fatalf("line %d lost or gained its CR", i+1)
			}
		}
	}
}

func FuzzGradleProperties(f *testing.F) {
	seeds := []string{
		golden(f, "gradle-properties", "gradle.properties"),
		"version=1.0", "version 1.0\n", "  version:1.0  \r\n", "a=b\\\nversion=2\nversion=3\n", "version=\n", "#version=1\n!version=2\nversion=3",
		"ver\\sion=1\n", "version=1\\\n",
	}
	for _, s := range seeds {
		for _, v := range versions {
			f.Add(s, v)
		}
	}
	f.Fuzz(func(t *testing.T, content, version string) {
		e := mustSpec(t, "gradle.properties")
		checkEdits(t, e, MapFiles{"gradle.properties": []byte(content)}, version, "\\\r\n", linesValid(func(b []byte) error {
			_, err := locateProperties(b, "")
			return err
		}))
	})
}

// tomlKeys is the keys of a TOML document, in order.
func tomlKeys(b []byte) ([]string, error) {
	es, err := scanTOML(b)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, e := range es {
		keys = append(keys, e.key)
	}
	return keys, nil
}

func tomlValid(t *testing.T, old, new []byte) {
	linesValid(func(b []byte) error { _, err := scanTOML(b); return err })(t, old, new)
	a, _ := tomlKeys(old)
	b, _ := tomlKeys(new)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("TOML keys changed (-old +new):\n%s", diff)
	}
}

func FuzzPyprojectTOML(f *testing.F) {
	seeds := []string{
		golden(f, "pyproject", "pyproject.toml"), golden(f, "pyproject-poetry", "pyproject.toml"),
		"[project]\nversion='1'", "project.version = \"1\"\n", "[project]\nversion = \"\"\"1\"\"\"\n", "[project]\nversion = 1\n",
		"[tool.poetry]\nversion = \"1\" # c\r\n[project]\nname = \"x\"\n", "a = [\n 1, # c\n {version = \"2\"}\n]\n[project]\nversion = \"3\"\n",
	}
	for _, s := range seeds {
		for _, v := range versions {
			f.Add(s, v)
		}
	}
	f.Fuzz(func(t *testing.T, content, version string) {
		e := mustSpec(t, "pyproject.toml")
		checkEdits(t, e, MapFiles{"pyproject.toml": []byte(content)}, version, "\"'\\\r\n", tomlValid)
	})
}

func FuzzCargoTOML(f *testing.F) {
	seeds := []string{
		golden(f, "cargo", "Cargo.toml"),
		"[package]\nversion = \"0.1.0\"\n", "[workspace.package]\nversion = \"1\"\n[package]\nversion.workspace = true\n",
		"[[bin]]\nname = \"a\"\n[[bin]]\nname = \"b\"\n[package]\nversion = '2'", "[package]\nversion = \"1\\u0030\"\n",
	}
	for _, s := range seeds {
		for _, v := range versions {
			f.Add(s, v)
		}
	}
	f.Fuzz(func(t *testing.T, content, version string) {
		e := mustSpec(t, "Cargo.toml")
		checkEdits(t, e, MapFiles{"Cargo.toml": []byte(content)}, version, "\"'\\\r\n", tomlValid)
	})
}

func FuzzChartYAML(f *testing.F) {
	seeds := []string{
		golden(f, "chart", "charts/web/Chart.yaml"), golden(f, "chart-appversion", "Chart.yaml"),
		"version: 1", "version: '1' # x\r\n", "\"version\" : \"1\"\n", "version:1\nversion: 2\n", "version: |\n  1\n", "version: 1 #c\nappVersion: 1\n",
	}
	for _, s := range seeds {
		for _, v := range versions {
			f.Add(s, false, v)
			f.Add(s, true, v)
		}
	}
	f.Fuzz(func(t *testing.T, content string, app bool, version string) {
		spec := "Chart.yaml"
		if app {
			spec += ":appVersion"
		}
		e := mustSpec(t, spec)
		checkEdits(t, e, MapFiles{"Chart.yaml": []byte(content)}, version, "\r\n", linesValid(func(b []byte) error {
			_, err := locateChart(b, e.key)
			return err
		}))
	})
}

func FuzzRegex(f *testing.F) {
	f.Add("__version__ = \"4.0.0\"\n", `__version__ = "([^"]+)"`, "4.1.0")
	f.Add("v1\n", `v(\d+)`, "2.0")
	f.Add("version: 1.0\n", `(?m)^version: (.*)$`, "1.1")
	f.Add("abc", `(x)?`, "1")
	f.Add("abc", `()`, "1")
	f.Fuzz(func(t *testing.T, content, pattern, version string) {
		e, err := ParseVersionFile("f.txt=" + pattern)
		if err != nil {
			return
		}
		checkEdits(t, e, MapFiles{"f.txt": []byte(content)}, version, "", nil)
	})
}
