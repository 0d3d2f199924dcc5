package versionfile

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPEP440Dev(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.3.0", "1.3.0.dev0"},
		{"2.0.1", "2.0.1.dev0"},
		{"1.3.0.dev0", "1.3.0.dev0"},
		{"1.3.0rc1", "1.3.0rc1.dev0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := PEP440Dev(tt.in); got != tt.want {
				t.Errorf("PEP440Dev(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseVersionFile(t *testing.T) {
	tests := []struct {
		spec, want, name string
	}{
		{"package.json", "package.json:package.json", "version file package.json (package.json)"},
		{" web/package.json ", "web/package.json:package.json", "version file web/package.json (package.json)"},
		{"app/build.props:properties", "app/build.props:gradle.properties", "version file app/build.props (gradle.properties)"},
		{"gradle.properties", "gradle.properties:gradle.properties", "version file gradle.properties (gradle.properties)"},
		{"./pyproject.toml", "pyproject.toml:pyproject.toml", "version file pyproject.toml (pyproject.toml)"},
		{"charts/web/Chart.yaml", "charts/web/Chart.yaml:Chart.yaml", "version file charts/web/Chart.yaml (Chart.yaml)"},
		{"charts/web/Chart.yaml:appVersion", "charts/web/Chart.yaml:Chart.yaml:appVersion", "version file charts/web/Chart.yaml (Chart.yaml appVersion)"},
		{"deploy/chart.yml:Chart.yaml:appversion", "deploy/chart.yml:Chart.yaml:appVersion", "version file deploy/chart.yml (Chart.yaml appVersion)"},
		{"Cargo.toml", "Cargo.toml:Cargo.toml", "version file Cargo.toml (Cargo.toml)"},
		{`src/app/__init__.py=__version__ = "([^"]+)"`, `src/app/__init__.py=__version__ = "([^"]+)"`, `version file src/app/__init__.py (pattern __version__ = "([^"]+)")`},
		{`a:b.txt=v(\d+)`, `a:b.txt=v(\d+)`, `version file a:b.txt (pattern v(\d+))`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			v, err := ParseVersionFile(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tt.want, tt.name}, []string{v.String(), v.Name()}); diff != "" {
				t.Errorf("String, Name (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		config  Config
		want    string
		wantErr string
	}{
		{name: "simple", config: Config{}, want: ""},
		{name: "maven", config: Config{BuildSystem: "Maven"}, want: "maven (pom.xml)"},
		{name: "python and files", config: Config{BuildSystem: "python", VersionFiles: []string{"package.json", "", "Chart.yaml:appVersion"}},
			want: "python (VERSION), version file package.json (package.json), version file Chart.yaml (Chart.yaml appVersion)"},
		{name: "unknown build system", config: Config{BuildSystem: "gradle"}, wantErr: `unknown build system "gradle": expected simple, python or maven`},
		{name: "bad entry", config: Config{VersionFiles: []string{"x.txt"}}, wantErr: `version-files entry "x.txt": unknown version file format: cannot tell the format of x.txt from its name: expected a file named package.json, gradle.properties, pyproject.toml, Chart.yaml, Cargo.toml, or PATH:FORMAT, or PATH=REGEX with one capture group around the version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.config)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Name(); got != tt.want {
				t.Errorf("Name = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMulti sets a version through a build system editor and version files,
// two of which edit the same file.
func TestMulti(t *testing.T) {
	files := MapFiles{
		"VERSION":    []byte("1.2.3\n"),
		"Chart.yaml": []byte("version: 1.2.3\nappVersion: \"1.2.3\"\n"),
	}
	m, err := New(Config{BuildSystem: "python", VersionFiles: []string{"Chart.yaml", "Chart.yaml:appVersion"}})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := m.Paths(files)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"VERSION", "Chart.yaml"}, paths); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	cur, err := m.Current(files)
	if err != nil || cur != "1.2.3" {
		t.Errorf("Current = %q, %v; want 1.2.3", cur, err)
	}
	cs, err := m.Set(files, "1.3.0")
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Path: "VERSION", Old: files["VERSION"], New: []byte("1.3.0\n")},
		{Path: "Chart.yaml", Old: files["Chart.yaml"], New: []byte("version: 1.3.0\nappVersion: \"1.3.0\"\n")},
	}
	if diff := cmp.Diff(want, cs); diff != "" {
		t.Errorf("Set (-want +got):\n%s", diff)
	}
	if _, err := (Multi{}).Current(files); !errors.Is(err, ErrNoVersion) {
		t.Errorf("empty Multi: Current error = %v, want ErrNoVersion", err)
	}
	if cs, err := (Multi{}).Set(files, "1.3.0"); err != nil || len(cs) != 0 {
		t.Errorf("empty Multi: Set = %v, %v; want nothing", cs, err)
	}
}

// TestMavenReactor checks the parts of a reactor that the golden files do
// not show directly.
func TestMavenReactor(t *testing.T) {
	files := readTree(t, "testdata/golden/maven-reactor/in")
	paths, err := Maven{}.Paths(files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pom.xml", "core/pom.xml", "services/pom.xml", "services/orders/pom.xml",
		"services/billing/pom.xml", "tools/shop-maven-plugin/pom.xml", "it/pom.xml",
	}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	// The directory works as Files too.
	cur, err := Maven{}.Current(os.DirFS("testdata/golden/maven-reactor/in").(Files))
	if err != nil || cur != "1.4.0-SNAPSHOT" {
		t.Errorf("Current = %q, %v; want 1.4.0-SNAPSHOT", cur, err)
	}
}

func TestMaven(t *testing.T) {
	tests := []struct {
		name    string
		files   MapFiles
		version string
		want    map[string]string // changed files
	}{
		{
			name: "ISO-8859-1 pom keeps its bytes",
			files: MapFiles{"pom.xml": []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<project><name>Caf\xe9</name>" +
				"<artifactId>a</artifactId><version>1.0</version></project>")},
			version: "1.1",
			want: map[string]string{"pom.xml": "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<project><name>Caf\xe9</name>" +
				"<artifactId>a</artifactId><version>1.1</version></project>"},
		},
		{
			name: "revision defined in the child overrides the root's",
			files: MapFiles{
				"pom.xml": []byte(`<project><groupId>g</groupId><artifactId>r</artifactId><version>${revision}</version>` +
					`<properties><revision>1.0</revision></properties><modules><module>c</module></modules></project>`),
				"c/pom.xml": []byte(`<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>${revision}</version></parent>` +
					`<artifactId>c</artifactId><version>${revision}</version><properties><revision>1.0</revision></properties></project>`),
			},
			version: "2.0",
			want: map[string]string{
				"pom.xml": `<project><groupId>g</groupId><artifactId>r</artifactId><version>${revision}</version>` +
					`<properties><revision>2.0</revision></properties><modules><module>c</module></modules></project>`,
				"c/pom.xml": `<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>${revision}</version></parent>` +
					`<artifactId>c</artifactId><version>${revision}</version><properties><revision>2.0</revision></properties></project>`,
			},
		},
		{
			// versions:set changes the root and the modules that follow a
			// changed parent; c's parent is other:r, outside the reactor,
			// so c keeps 1.0 although it is the root's old version.
			name: "parent with the same artifactId in another group is external",
			files: MapFiles{
				"pom.xml": []byte(`<project><groupId>g</groupId><artifactId>r</artifactId><version>1.0</version><modules><module>c</module></modules></project>`),
				"c/pom.xml": []byte(`<project><parent><groupId>other</groupId><artifactId>r</artifactId><version>1.0</version></parent>` +
					`<groupId>g</groupId><artifactId>c</artifactId><version>1.0</version></project>`),
			},
			version: "1.1",
			want: map[string]string{
				"pom.xml": `<project><groupId>g</groupId><artifactId>r</artifactId><version>1.1</version><modules><module>c</module></modules></project>`,
			},
		},
		{
			// The root inherits its version from a module of the reactor
			// (parent/): the change starts there, as versions:set run in
			// parent/ would, and reaches the root through its <parent>.
			name: "root inherits its version from a module",
			files: MapFiles{
				"pom.xml": []byte(`<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1.0</version><relativePath>parent</relativePath></parent>` +
					`<artifactId>r</artifactId><modules><module>parent</module><module>c</module></modules></project>`),
				"parent/pom.xml": []byte(`<project><groupId>g</groupId><artifactId>p</artifactId><version>1.0</version></project>`),
				"c/pom.xml":      []byte(`<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>1.0</version></parent><artifactId>c</artifactId></project>`),
			},
			version: "1.1",
			want: map[string]string{
				"pom.xml": `<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1.1</version><relativePath>parent</relativePath></parent>` +
					`<artifactId>r</artifactId><modules><module>parent</module><module>c</module></modules></project>`,
				"parent/pom.xml": `<project><groupId>g</groupId><artifactId>p</artifactId><version>1.1</version></project>`,
				"c/pom.xml":      `<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>1.1</version></parent><artifactId>c</artifactId></project>`,
			},
		},
		{
			// SetMojo sets the <parent> <version> of every module whose
			// parent changes, whatever version it named.
			name: "parent version other than the parent's is set too",
			files: MapFiles{
				"pom.xml":   []byte(`<project><groupId>g</groupId><artifactId>r</artifactId><version>1.0-SNAPSHOT</version><modules><module>c</module></modules></project>`),
				"c/pom.xml": []byte(`<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>0.9</version></parent><artifactId>c</artifactId><version>3.0</version></project>`),
			},
			version: "1.0",
			want: map[string]string{
				"pom.xml":   `<project><groupId>g</groupId><artifactId>r</artifactId><version>1.0</version><modules><module>c</module></modules></project>`,
				"c/pom.xml": `<project><parent><groupId>g</groupId><artifactId>r</artifactId><version>1.0</version></parent><artifactId>c</artifactId><version>3.0</version></project>`,
			},
		},
		{
			name: "plugin without groupId and module as a pom file",
			files: MapFiles{
				"pom.xml": []byte(`<project><groupId>org.apache.maven.plugins</groupId><artifactId>maven-x-plugin</artifactId><version>1.0</version>` +
					`<modules><module>alt/other-pom.xml</module></modules></project>`),
				"alt/other-pom.xml": []byte(`<project><parent><groupId>org.apache.maven.plugins</groupId><artifactId>maven-x-plugin</artifactId>` +
					`<version>1.0</version><relativePath>..</relativePath></parent><artifactId>y</artifactId>` +
					`<build><plugins><plugin><artifactId>maven-x-plugin</artifactId><version>1.0</version></plugin>` +
					`<plugin><artifactId>maven-x-plugin</artifactId><version>0.9</version></plugin></plugins></build></project>`),
			},
			version: "1.1",
			want: map[string]string{
				"pom.xml": `<project><groupId>org.apache.maven.plugins</groupId><artifactId>maven-x-plugin</artifactId><version>1.1</version>` +
					`<modules><module>alt/other-pom.xml</module></modules></project>`,
				"alt/other-pom.xml": `<project><parent><groupId>org.apache.maven.plugins</groupId><artifactId>maven-x-plugin</artifactId>` +
					`<version>1.1</version><relativePath>..</relativePath></parent><artifactId>y</artifactId>` +
					`<build><plugins><plugin><artifactId>maven-x-plugin</artifactId><version>1.1</version></plugin>` +
					`<plugin><artifactId>maven-x-plugin</artifactId><version>0.9</version></plugin></plugins></build></project>`,
			},
		},
		{
			name:    "same version: no change",
			files:   MapFiles{"pom.xml": []byte(`<project><artifactId>a</artifactId><version> 1.0 </version></project>`)},
			version: "1.0",
			want:    map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Maven{}.Set(tt.files, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range cs {
				got[c.Path] = string(c.New)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changed files (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMavenWarnings checks that a <module> that does not exist is skipped
// with one warning per run (Paths, Current and Set each read the reactor),
// naming the pom, the line and the fix.
func TestMavenWarnings(t *testing.T) {
	var got []string
	eds, err := New(Config{BuildSystem: "maven", Warn: func(msg string) { got = append(got, msg) }})
	if err != nil {
		t.Fatal(err)
	}
	files := readTree(t, "testdata/golden/maven-ci-friendly-sha1/in")
	paths, err := eds.Paths(files)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"pom.xml", "app/pom.xml", "legacy/pom.xml"}, paths); diff != "" {
		t.Errorf("Paths (-want +got):\n%s", diff)
	}
	if _, err := eds.At(releaseTime).Set(files, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	want := []string{`pom.xml:24: module "experimental": experimental/pom.xml does not exist; skipped, like mvn versions:set skips it: fix or remove the <module> entry if the module should be released`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// Without a Warn function the module is skipped all the same.
	if _, err := (Maven{}).Current(files); err != nil {
		t.Errorf("Current without Warn: %v", err)
	}
}

func TestOutputTimestamp(t *testing.T) {
	at := time.Date(2025, 7, 1, 10, 5, 30, 0, time.UTC)
	tests := []struct {
		old, want string
		ok        bool
	}{
		{old: "2025-06-24T20:18:00Z", want: "2025-07-01T10:05:30Z", ok: true},
		{old: "2025-06-24T20:18Z", want: "2025-07-01T10:05Z", ok: true},
		{old: "2025-06-24T20:18:00.123Z", want: "2025-07-01T10:05:30.000Z", ok: true},
		{old: "2024-01-02T04:04:05+01:00", want: "2025-07-01T11:05:30+01:00", ok: true},
		{old: "2024-01-02T04:04:05-05:30", want: "2025-07-01T04:35:30-05:30", ok: true},
		{old: "2024-01-02T04:04:05+00:00", want: "2025-07-01T10:05:30+00:00", ok: true},
		{old: "1704164645", want: "1751364330", ok: true},
		{old: "10", want: "1751364330", ok: true},
		// One character turns reproducible timestamps off: left alone.
		{old: "a"},
		{old: "1"},
		// An expression is computed at build time: left alone.
		{old: "${git.commit.time}"},
	}
	for _, tt := range tests {
		t.Run(tt.old, func(t *testing.T) {
			got, ok, err := outputTimestamp(tt.old, at)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || ok != tt.ok {
				t.Errorf("outputTimestamp(%q) = %q, %v; want %q, %v", tt.old, got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, bad := range []string{"2024-01-02 03:04:05", "2024-01-02T03:04:05", "2024-01-02T03:04:05+0100", "yesterday"} {
		if _, _, err := outputTimestamp(bad, at); err == nil {
			t.Errorf("outputTimestamp(%q): no error", bad)
		}
	}
}

// TestMavenCIFriendly checks how a version made of properties is split: the
// first property carries the version, the others keep their values when
// the version ends with them, else they become empty.
func TestMavenCIFriendly(t *testing.T) {
	pom := func(version, props string) MapFiles {
		return MapFiles{"pom.xml": []byte(`<project><groupId>g</groupId><artifactId>a</artifactId><version>` + version +
			`</version><properties>` + props + `</properties></project>`)}
	}
	tests := []struct {
		name           string
		version, props string
		set            string
		want           string // the properties after
	}{
		{
			name:    "release empties changelist",
			version: "${revision}${changelist}", props: `<revision>1.2.0</revision><changelist>-SNAPSHOT</changelist>`,
			set:  "1.2.0",
			want: `<revision>1.2.0</revision><changelist></changelist>`,
		},
		{
			name:    "release of another version",
			version: "${revision}${changelist}", props: `<revision>1.2.0</revision><changelist>-SNAPSHOT</changelist>`,
			set:  "1.3.0",
			want: `<revision>1.3.0</revision><changelist></changelist>`,
		},
		{
			name:    "next SNAPSHOT keeps changelist",
			version: "${revision}${changelist}", props: `<revision>1.2.0</revision><changelist>-SNAPSHOT</changelist>`,
			set:  "1.3.0-SNAPSHOT",
			want: `<revision>1.3.0</revision><changelist>-SNAPSHOT</changelist>`,
		},
		{
			name:    "branch SNAPSHOT keeps changelist",
			version: "${revision}${changelist}", props: `<revision>1.2.0</revision><changelist>-SNAPSHOT</changelist>`,
			set:  "main-SNAPSHOT",
			want: `<revision>main</revision><changelist>-SNAPSHOT</changelist>`,
		},
		{
			name:    "SNAPSHOT kept in revision stays there",
			version: "${revision}${changelist}", props: `<revision>1.2.0-SNAPSHOT</revision><changelist/>`,
			set:  "1.3.0-SNAPSHOT",
			want: `<revision>1.3.0-SNAPSHOT</revision><changelist/>`,
		},
		{
			name:    "a sha1 in the pom is emptied, changelist kept",
			version: "${revision}${sha1}${changelist}", props: `<revision>1.2.0</revision><sha1>-abc</sha1><changelist>-SNAPSHOT</changelist>`,
			set:  "1.3.0-SNAPSHOT",
			want: `<revision>1.3.0</revision><sha1></sha1><changelist>-SNAPSHOT</changelist>`,
		},
		{
			name:    "release empties sha1 and changelist",
			version: "${revision}${sha1}${changelist}", props: `<revision>1.2.0</revision><sha1>-abc</sha1><changelist>-SNAPSHOT</changelist>`,
			set:  "1.2.0",
			want: `<revision>1.2.0</revision><sha1></sha1><changelist></changelist>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := pom(tt.version, tt.props)
			cs, err := Maven{}.Set(files, tt.set)
			if err != nil {
				t.Fatal(err)
			}
			want := string(pom(tt.version, tt.want)["pom.xml"])
			if len(cs) != 1 || string(cs[0].New) != want {
				t.Fatalf("Set(%s) = %v, want\n%s", tt.set, cs, want)
			}
			got, err := Maven{}.Current(MapFiles{"pom.xml": cs[0].New})
			if err != nil || got != tt.set {
				t.Errorf("Current after = %q, %v; want %q", got, err, tt.set)
			}
		})
	}
}

// BenchmarkMavenSet sets the version of a reactor of 1,585 poms (the size
// of apache/camel-quarkus), each with ten dependencies on other modules.
// Set parses each pom once.
func BenchmarkMavenSet(b *testing.B) {
	const n = 1584
	files := MapFiles{}
	var mods strings.Builder
	for i := range n {
		fmt.Fprintf(&mods, "<module>m%d</module>", i)
		var deps strings.Builder
		for k := 1; k <= 10; k++ {
			fmt.Fprintf(&deps, `<dependency><groupId>g</groupId><artifactId>m%d</artifactId><version>1.0.0-SNAPSHOT</version></dependency>`, (i+k)%n)
		}
		files[fmt.Sprintf("m%d/pom.xml", i)] = []byte(fmt.Sprintf(`<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion>`+
			`<parent><groupId>g</groupId><artifactId>root</artifactId><version>1.0.0-SNAPSHOT</version></parent>`+
			`<artifactId>m%d</artifactId><dependencies>%s</dependencies></project>`, i, deps.String()))
	}
	files["pom.xml"] = []byte(`<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion><groupId>g</groupId><artifactId>root</artifactId>` +
		`<version>1.0.0-SNAPSHOT</version><packaging>pom</packaging><modules>` + mods.String() + `</modules></project>`)
	for b.Loop() {
		cs, err := Maven{Time: releaseTime}.Set(files, "1.0.0")
		if err != nil || len(cs) != n+1 {
			b.Fatalf("Set: %d changes, %v", len(cs), err)
		}
	}
}
