package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/relman-dev/relman/internal/cli"
	"github.com/relman-dev/relman/internal/gitrepo/gittest"
	"github.com/relman-dev/relman/internal/releasedef/sfptest"
	"github.com/relman-dev/relman/internal/tagstep"
)

// cmdReleasedefRepo adds to the "repo" fixture what release definition
// scripts need:
//
//	rdef put BRANCH PATH FILE   (commit $WORK/FILE at PATH on BRANCH, push)
//	rdef show BRANCH PATH       (print PATH from BRANCH of the remote)
//	rdef log BRANCH             (print the remote BRANCH's subjects, newest first)
//	rdef release-commit BRANCH TAG PATH FILE
//	                            (a release commit as relman tag makes them: $WORK/FILE
//	                            at PATH, parent BRANCH's head, the Relman-Release
//	                            trailer, on no branch; tagged TAG, pushed)
func cmdReleasedefRepo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: rdef put BRANCH PATH FILE | show BRANCH PATH | log BRANCH | release-commit BRANCH TAG PATH FILE")
	}
	t := &tsT{ts: ts}
	base := ts.Getenv("WORK")
	switch args[0] {
	case "release-commit":
		if len(args) != 5 {
			ts.Fatalf("usage: rdef release-commit BRANCH TAG PATH FILE")
		}
		b, err := os.ReadFile(ts.MkAbs(args[4]))
		ts.Check(err)
		g := gittest.Open(t, base)
		h := g.CommitObject(fmt.Sprintf("Release %s [skip ci]\n\n%s: %s\n", args[2], tagstep.ReleaseTrailer, args[2]), map[string]string{args[3]: string(b)}, g.Head(args[1]))
		g.Tag(args[2], h, true)
		g.Push()
	case "put":
		if len(args) != 4 {
			ts.Fatalf("usage: rdef put BRANCH PATH FILE")
		}
		b, err := os.ReadFile(ts.MkAbs(args[3]))
		ts.Check(err)
		g := gittest.Open(t, base)
		g.Commit(args[1], "add "+args[2], map[string]string{args[2]: string(b)})
		g.Push()
	case "show", "log":
		r, err := git.PlainOpen(gittest.Open(t, base).Remote)
		ts.Check(err)
		ref, err := r.Reference(plumbing.NewBranchReferenceName(args[1]), true)
		ts.Check(err)
		c, err := r.CommitObject(ref.Hash())
		ts.Check(err)
		if args[0] == "show" {
			if len(args) != 3 {
				ts.Fatalf("usage: rdef show BRANCH PATH")
			}
			f, err := c.File(args[2])
			ts.Check(err)
			s, err := f.Contents()
			ts.Check(err)
			fmt.Fprint(ts.Stdout(), s)
			return
		}
		iter, err := r.Log(&git.LogOptions{From: ref.Hash()})
		ts.Check(err)
		var lines []string
		for {
			c, err := iter.Next()
			if err != nil {
				break
			}
			subject, _, _ := strings.Cut(c.Message, "\n")
			lines = append(lines, subject)
		}
		fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
	default:
		ts.Fatalf("rdef: unknown subcommand %q", args[0])
	}
}

// TestReleasedefExitCodes checks the exit statuses the scripts cannot: 2
// for bad input, 1 for a failed run, and that neither writes a file.
func TestReleasedefExitCodes(t *testing.T) {
	g := gittest.New(t)
	g.Commit("main", "project", map[string]string{"sfdx-project.json": `{"packageDirectories": [
  {"path": "a", "package": "core", "versionNumber": "1.0.0.NEXT"},
  {"path": "b", "package": "ui", "versionNumber": "1.0.0.NEXT"}]}`})
	g.Tag("core_v1.0.0-1", g.Head("main"), true)
	dir := g.Clone("main")
	cfgDir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(cfgDir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok, skip := write("ok.yml", ""), write("skip.yml", "onMissingTag: skip\n")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"success", []string{"--config", skip}, cli.ExitOK},
		{"missing tag", []string{"--config", ok}, cli.ExitFailed},
		{"unknown key", []string{"--config", write("bad.yml", "bogus: 1\n")}, cli.ExitUsage},
		{"wrong type", []string{"--config", write("type.yml", "onMissingTag: 3\n")}, cli.ExitUsage},
		{"regex", []string{"--config", write("re.yml", "changelog:\n  workItemFilters: ['(']\n")}, cli.ExitUsage},
		{"unknown include", []string{"--config", write("inc.yml", "includeOnlyArtifacts: [x]\n")}, cli.ExitUsage},
		{"no manifest", []string{"--config", skip, "--manifest", "other/sfdx-project.json"}, cli.ExitUsage},
		{"no ref", []string{"--config", skip, "--ref", "v404"}, cli.ExitUsage},
		{"no package config", []string{"--config", skip, "--packages", "ci/relman-packages.yml"}, cli.ExitUsage},
		{"packages none", []string{"--config", skip, "--packages", "none"}, cli.ExitOK},
		{"bad metadata", []string{"--config", skip, "--metadata", "[]"}, cli.ExitUsage},
		{"no config", []string{}, cli.ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb strings.Builder
			args := append([]string{"releasedef", "generate", "--repo", dir, "--name", "r"}, tt.args...)
			code := cli.Main(context.Background(), cli.Env{Args: args, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != tt.want {
				t.Fatalf("exit %d, want %d\n%s", code, tt.want, errb.String())
			}
			_, err := os.Stat(filepath.Join(dir, "release-r.yml"))
			if written := err == nil; written != (tt.want == cli.ExitOK) {
				t.Errorf("release-r.yml written: %v", written)
			}
			_ = os.Remove(filepath.Join(dir, "release-r.yml"))
		})
	}
}

// TestReleasedefScriptsSFP loads every definition the releasedef scripts
// expect relman to write (their want*.yml files, compared byte for byte
// with what relman wrote) with sfp's loader. Those from a generic manifest
// pin versions as package dependencies, which sfp's schema (Salesforce 04t
// ids) refuses, and nothing else.
func TestReleasedefScriptsSFP(t *testing.T) {
	sfp := sfptest.Find(t)
	scripts, err := filepath.Glob(filepath.Join("testdata", "script", "releasedef_*.txtar"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no releasedef scripts: %v", err)
	}
	dir := t.TempDir()
	var files []string
	generic := map[string]bool{}
	for _, script := range scripts {
		a, err := txtar.ParseFile(script)
		if err != nil {
			t.Fatal(err)
		}
		isGeneric := false
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, "artifacts.yml") {
				isGeneric = true
			}
		}
		for _, f := range a.Files {
			if !strings.HasPrefix(f.Name, "want") || !strings.HasSuffix(f.Name, ".yml") {
				continue
			}
			p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(script), ".txtar")+"-"+f.Name)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
			generic[p] = isGeneric
		}
	}
	if len(files) < 3 {
		t.Fatalf("only %d expected definitions in %v", len(files), scripts)
	}
	for _, v := range sfp.Definitions(t, files...) {
		if !generic[v.File] {
			if !v.OK() {
				t.Error(v)
			}
			continue
		}
		for _, e := range v.Schema {
			if e.Keyword != "pattern" || !strings.HasPrefix(e.Path, "/packageDependencies/") {
				t.Errorf("%s: sfp refuses more than the versions of generic package dependencies:\n%s", v.File, v)
			}
		}
	}
}
