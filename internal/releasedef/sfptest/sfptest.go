// Package sfptest runs sfp itself (@flxbl-io/sfp, pinned by
// scripts/sfp/package-lock.json and installed by scripts/install-tools.sh)
// for the tests that check relman's release definitions against it: sfp's
// release-definition schema and loader (through scripts/sfp/validate.js)
// and its `sfp releasedefinition generate`.
//
// RELMAN_TEST_SFP names the installed package directory
// (.../node_modules/@flxbl-io/sfp). Set to a path that is not an sfp
// package, the tests fail; unset, they fail in CI and skip elsewhere.
package sfptest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Env is the variable that names the installed sfp package.
const Env = "RELMAN_TEST_SFP"

// SFP is an installed sfp package.
type SFP struct {
	Dir    string // the package: .../node_modules/@flxbl-io/sfp
	node   string
	script string // scripts/sfp/validate.js
}

// Find returns the sfp package that RELMAN_TEST_SFP names. It fails the
// test when the variable names no sfp package or node is missing, and when
// the variable is unset in CI; elsewhere it skips the test.
func Find(t testing.TB) *SFP {
	t.Helper()
	dir := os.Getenv(Env)
	if dir == "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("%s is not set in CI: scripts/test.sh sets it with scripts/install-tools.sh", Env)
		}
		t.Skipf("sfp is not installed: run the tests with scripts/test.sh, or eval \"$(bash scripts/install-tools.sh)\" first (in CI this fails)")
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Fatalf("%s=%s is not an sfp package: %v: run scripts/install-tools.sh", Env, dir, err)
	}
	for _, f := range []string{"resources/schemas/release-defn.schema.json", "resources/schemas/release-config.schema.json", "lib/impl/release/ReleaseDefinitionLoader.js", "bin/run"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s=%s: the sfp package lacks %s: %v (is it @flxbl-io/sfp 39.2.2?)", Env, dir, f, err)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s is set but node is not on PATH: %v", Env, err)
	}
	script, err := repoFile("scripts/sfp/validate.js")
	if err != nil {
		t.Fatal(err)
	}
	return &SFP{Dir: dir, node: node, script: script}
}

// repoFile finds a file of the repository from a package directory.
func repoFile(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, filepath.FromSlash(rel)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory: cannot find %s", rel)
		}
		dir = parent
	}
}

// SchemaError is one error of sfp's ajv against its schema.
type SchemaError struct {
	Path    string         `json:"path"`
	Keyword string         `json:"keyword"`
	Message string         `json:"message"`
	Params  map[string]any `json:"params"`
}

// Verdict is what sfp says about one file.
type Verdict struct {
	File   string        `json:"file"`
	Schema []SchemaError `json:"schema"`
	// Loader is the error of sfp's loader (definitions:
	// ReleaseDefinitionLoader.loadReleaseDefinition; configs: the
	// constructor of ReleaseDefinitionGenerator); empty when it accepts.
	Loader string `json:"loader"`
}

// OK says whether sfp accepts the file: its schema and its loader.
func (v Verdict) OK() bool { return len(v.Schema) == 0 && v.Loader == "" }

func (v Verdict) String() string {
	if v.OK() {
		return v.File + ": accepted by sfp"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: refused by sfp", v.File)
	for _, e := range v.Schema {
		fmt.Fprintf(&b, "\n  schema: %s: %s %v", e.Path, e.Message, e.Params)
	}
	if v.Loader != "" {
		fmt.Fprintf(&b, "\n  loader: %s", v.Loader)
	}
	return b.String()
}

// Definitions checks release definitions with sfp's schema and loader.
func (s *SFP) Definitions(t testing.TB, files ...string) []Verdict {
	t.Helper()
	return s.check(t, "definition", files)
}

// Configs checks release configs with sfp's config schema and the checks
// of its generator.
func (s *SFP) Configs(t testing.TB, files ...string) []Verdict {
	t.Helper()
	return s.check(t, "config", files)
}

func (s *SFP) check(t testing.TB, kind string, files []string) []Verdict {
	t.Helper()
	if len(files) == 0 {
		t.Fatal("sfptest: no files to check")
	}
	cmd := exec.Command(s.node, append([]string{s.script, s.Dir, kind}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", s.script, err, stderr.String())
	}
	var vs []Verdict
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v Verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("node %s: unexpected output %q: %v", s.script, sc.Text(), err)
		}
		vs = append(vs, v)
	}
	if len(vs) != len(files) {
		t.Fatalf("node %s: %d verdicts for %d files:\n%s\n%s", s.script, len(vs), len(files), out, stderr.String())
	}
	return vs
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// GenerateOptions are the flags of one `sfp releasedefinition generate`.
type GenerateOptions struct {
	Dir      string // a clone with a work tree and an "origin" remote
	Config   string // -f
	Name     string // -n
	Ref      string // -c
	Metadata string // -m, JSON; empty for none
}

// Generate runs `sfp releasedefinition generate` in a repository, offline
// (its remote is a local directory) and with a HOME of its own, and
// returns the release definition it prints (it writes the file into a
// temporary copy of the repository that it deletes) and its whole output.
func (s *SFP) Generate(t testing.TB, o GenerateOptions) (definition, output string) {
	t.Helper()
	args := []string{filepath.Join(s.Dir, "bin", "run"), "releasedefinition", "generate", "-c", o.Ref, "-f", o.Config, "-n", o.Name}
	if o.Metadata != "" {
		args = append(args, "-m", o.Metadata)
	}
	cmd := exec.Command(s.node, args...)
	cmd.Dir = o.Dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"SF_DISABLE_TELEMETRY=true", "SFDX_DISABLE_TELEMETRY=true", "SF_AUTOUPDATE_DISABLE=true", "SFDX_AUTOUPDATE_DISABLE=true",
		"GIT_AUTHOR_NAME=sfp", "GIT_AUTHOR_EMAIL=sfp@example.test", "GIT_COMMITTER_NAME=sfp", "GIT_COMMITTER_EMAIL=sfp@example.test")
	out, err := cmd.CombinedOutput()
	output = ansi.ReplaceAllString(string(out), "")
	if err != nil {
		t.Fatalf("sfp releasedefinition generate: %v\n%s", err, output)
	}
	header := "------------Generated Release Definition for " + o.Name + "----------------"
	_, after, ok := strings.Cut(output, header+"\n")
	if !ok {
		t.Fatalf("sfp releasedefinition generate wrote no release definition:\n%s", output)
	}
	return strings.TrimLeft(after, "\n"), output
}
