package cli_test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// The release pipeline of relman itself: .github/workflows (actionlint),
// .goreleaser.yaml (goreleaser check and a snapshot build), the version
// commit that pins action.yml and the components to the release's image
// (scripts/release-version-files.sh through relman tag), and the gitlab.com
// mirror's .gitlab-ci.yml. TestImage runs the mirror's image check.

// TestReleaseWorkflows lints .github/workflows with actionlint and checks
// what the release depends on: the tag step pins with
// scripts/release-version-files.sh, the image is pushed before the tag,
// the v1 tag moves only for the highest release of its major.
func TestReleaseWorkflows(t *testing.T) {
	actionlint := tool(t, "RELMAN_TEST_ACTIONLINT", "actionlint")
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if len(files) < 2 {
		t.Fatalf("want the ci and release workflows in .github/workflows, got %v", files)
	}
	args := []string{"-no-color", "-shellcheck=", "-pyflakes="}
	for _, f := range files {
		args = append(args, filepath.Join(".github", "workflows", filepath.Base(f)))
	}
	cmd := exec.Command(actionlint, args...)
	cmd.Dir = root // where action.yml is, for uses: ./ and the reusable ci.yml
	if out, code := run(t, cmd); code != 0 {
		t.Errorf("actionlint exit %d:\n%s", code, out)
	}

	var wf struct {
		On   map[string]any
		Jobs map[string]struct {
			Needs any
			If    string
			Steps []struct {
				ID, Name, Run, Uses string
				With, Env           map[string]string
			}
		}
	}
	readYAML(t, ".github/workflows/release.yml", &wf)
	runs := func(job string) string {
		var all []string
		for _, s := range wf.Jobs[job].Steps {
			all = append(all, s.Run, s.Uses)
			for _, v := range s.With {
				all = append(all, v)
			}
		}
		return strings.Join(all, "\n")
	}
	for _, tc := range []struct{ job, want string }{
		{"plan", "relman\" tag --dry-run"},
		{"image", "scripts/image.sh rootfs dist/image linux/amd64 linux/arm64"},
		{"image", "scripts/image.sh binaries dist/image linux/amd64 linux/arm64"},
		{"image", "mode=max"},
		{"image", "actions/attest-build-provenance"},
		{"tag", "scripts/release-version-files.sh \"$DIGEST\""},
		{"tag", "relman\" tag --publish-release --version-files \"$VERSION_FILES\""},
		{"tag", "relman\" backport-branch"},
		{"binaries", "goreleaser/goreleaser-action"},
		{"binaries", "dist/checksums.txt"},
		{"major", `sort -V | tail -n 1`},
		{"major", "docker buildx imagetools create"},
	} {
		if !strings.Contains(runs(tc.job), tc.want) {
			t.Errorf("release.yml: job %s does not run %q", tc.job, tc.want)
		}
	}
	if needs := wf.Jobs["tag"].Needs; !slices.Contains(needs.([]any), any("image")) {
		t.Errorf("release.yml: the tag job needs %v; it must need image, whose digest the version commit pins", needs)
	}
	gr, err := os.ReadFile(filepath.Join(root, "scripts", "install-tools.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if v := regexp.MustCompile(`GORELEASER_VERSION: (v\S+)`).FindStringSubmatch(readFile(t, ".github/workflows/release.yml")); v == nil || !strings.Contains(string(gr), "GORELEASER_VERSION="+v[1]) {
		t.Errorf("release.yml runs GoReleaser %v, not the version scripts/install-tools.sh pins", v)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGoReleaser checks .goreleaser.yaml with goreleaser check, shows that
// the check refuses an unknown key, and builds a snapshot for this machine:
// static, with the version stamped in.
func TestGoReleaser(t *testing.T) {
	goreleaser := tool(t, "RELMAN_TEST_GORELEASER", "goreleaser")
	config := readFile(t, ".goreleaser.yaml")
	check := func(t *testing.T, config string) (string, int) {
		f := filepath.Join(t.TempDir(), "goreleaser.yaml")
		if err := os.WriteFile(f, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(goreleaser, "check", "--config", f)
		cmd.Dir = root
		return run(t, cmd)
	}
	if out, code := check(t, config); code != 0 {
		t.Fatalf("goreleaser check: exit %d\n%s", code, out)
	}
	if out, code := check(t, config+"\nno_such_key: true\n"); code == 0 {
		t.Errorf("goreleaser check accepts an unknown key:\n%s", out)
	}
	for _, want := range []string{"linux, darwin, windows", "amd64, arm64", "CGO_ENABLED=0", "checksum:", "sboms:"} {
		if !strings.Contains(config, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}

	// A snapshot build of this machine's target into a temporary dist.
	dist := t.TempDir()
	f := filepath.Join(t.TempDir(), "goreleaser.yaml")
	if err := os.WriteFile(f, []byte(config+"\ndist: "+dist+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "relman")
	cmd := exec.Command(goreleaser, "build", "--config", f, "--snapshot", "--single-target", "--clean", "--output", bin)
	cmd.Dir = root
	buildMu.Lock()
	out, code := run(t, cmd)
	buildMu.Unlock()
	if code != 0 {
		t.Fatalf("goreleaser build --snapshot: exit %d\n%s", code, out)
	}
	e, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, p := range e.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary has an interpreter: not static")
		}
	}
	// The commit is "none" in a checkout without a remote (goreleaser then
	// ignores the git state); the version is stamped either way.
	if v := run1(t, exec.Command(bin, "version")); !regexp.MustCompile(`^relman \d+\.\d+\.\d+-SNAPSHOT-([0-9a-f]+|none)$`).MatchString(v) {
		t.Errorf("relman version of the snapshot: %q, want the snapshot's version (ldflags -X .../internal/cli.Version)", v)
	}
}

// TestReleasePins runs relman tag as release.yml does, with the
// version-files of scripts/release-version-files.sh, on a repository
// holding this checkout's action.yml and components: the tag's commit
// points them all at the release's image by tag and digest, and changes
// nothing else; a re-run finds the release; actionlint takes the pinned
// action.yml.
func TestReleasePins(t *testing.T) {
	relman := buildRelman(t)
	digest := "sha256:" + strings.Repeat("0f", 32)
	out, code := run(t, exec.Command("bash", filepath.Join(root, "scripts", "release-version-files.sh"), digest))
	if code != 0 {
		t.Fatalf("release-version-files.sh: %s", out)
	}
	versionFiles := strings.TrimSpace(out)

	files := map[string]string{"action.yml": readFile(t, "action.yml")}
	components, _ := filepath.Glob(filepath.Join(root, "templates", "*", "template.yml"))
	for _, c := range components {
		rel, _ := filepath.Rel(root, c)
		files[filepath.ToSlash(rel)] = readFile(t, rel)
		if !strings.Contains(versionFiles, filepath.ToSlash(rel)+":image=") {
			t.Errorf("release-version-files.sh does not pin %s", rel)
		}
	}
	g := gittest.New(t)
	g.Commit("main", "chore: the packaging", files)
	g.Tag("v1.0.0", g.Head("main"), true)
	g.Commit("main", "feat: a new step", map[string]string{"step.txt": "x\n"})
	g.Push()
	released := g.Head("main")
	dir := g.CloneFrom(g.Remote, "main")

	tag := func(t *testing.T) string {
		cmd := exec.Command(relman, "tag", "--tag-prefix", "v", "--impact-from", "commits", "--default-branch", "main",
			"--version-files", versionFiles, "--git-user-name", "Release Bot", "--git-user-email", "bot@example.com", "--output", "json")
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
		out, code := run(t, cmd)
		if code != 0 {
			t.Fatalf("relman tag: exit %d\n%s", code, out)
		}
		return out
	}
	if out := tag(t); !strings.Contains(out, `"version":"1.1.0"`) {
		t.Fatalf("relman tag:\n%s", out)
	}
	h := g.RemoteTags()["v1.1.0"]
	if h.IsZero() {
		t.Fatalf("no tag v1.1.0: %v", g.RemoteTags())
	}
	remote, err := git.PlainOpen(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	c, err := remote.CommitObject(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ParentHashes) != 1 || c.ParentHashes[0] != released {
		t.Errorf("the tag is on %s, want a version commit whose parent is the pipeline commit %s", h, released)
	}
	pin := imageRepo + ":v1.1.0@" + digest
	for path, before := range files {
		f, err := c.File(path)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.Contents()
		if !strings.Contains(got, pin) || strings.Contains(got, defaultImage+"\n") || strings.Contains(got, defaultImage+"'") {
			t.Errorf("%s at v1.1.0 does not name %s only", path, pin)
		}
		if strings.ReplaceAll(got, pin, defaultImage) != before {
			t.Errorf("%s: the version commit changed more than the image reference", path)
		}
		if path == "action.yml" {
			var a actionMeta
			if err := yaml.Unmarshal([]byte(got), &a); err != nil || a.Runs.Image != "docker://"+pin {
				t.Errorf("action.yml at v1.1.0: runs.image %q (%v), want docker://%s", a.Runs.Image, err, pin)
			}
			lintPinnedAction(t, got)
		}
	}
	if ref, _ := remote.Reference(plumbing.NewBranchReferenceName("main"), true); ref == nil || ref.Hash() != released {
		t.Error("main moved: the version commit must be detached")
	}
	// The job again: the release exists, with the same pins.
	if out := tag(t); !strings.Contains(out, `"released":"false"`) {
		t.Errorf("second run:\n%s", out)
	}
}

// lintPinnedAction lints a workflow using the action as a release pins it.
func lintPinnedAction(t *testing.T, action string) {
	actionlint := tool(t, "RELMAN_TEST_ACTIONLINT", "actionlint")
	dir := t.TempDir()
	for _, d := range []string{".git", ".github/workflows"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	wf := "on: push\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v5\n      - id: tag\n        uses: ./\n        with:\n          step: tag\n      - run: echo \"$V\"\n        env:\n          V: ${{ steps.tag.outputs.version }}\n"
	for name, body := range map[string]string{"action.yml": action, ".github/workflows/release.yml": wf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(actionlint, "-no-color", "-shellcheck=", "-pyflakes=", filepath.Join(dir, ".github", "workflows", "release.yml"))
	cmd.Dir = dir
	if out, code := run(t, cmd); code != 0 {
		t.Errorf("actionlint on the pinned action.yml: exit %d\n%s", code, out)
	}
}

// TestGitLabCatalogPipeline reads the mirror's .gitlab-ci.yml: it runs only
// for release tags vX.Y.Z (not for the X.Y.Z tags its release job makes),
// and publishes with the release: keyword under the version without v, as
// the Catalog requires. TestImage runs its image-check job in the image.
func TestGitLabCatalogPipeline(t *testing.T) {
	var ci struct {
		Workflow struct{ Rules []struct{ If string } }
		Catalog  struct {
			Needs   []string
			Release struct {
				TagName string `yaml:"tag_name"`
				Ref     string
			}
		}
		ImageCheck struct {
			Image  struct{ Name string }
			Script []string
		} `yaml:"image-check"`
	}
	readYAML(t, ".gitlab-ci.yml", &ci)
	if len(ci.Workflow.Rules) != 1 {
		t.Fatalf("workflow rules %+v: want one, for release tags", ci.Workflow.Rules)
	}
	m := regexp.MustCompile(`^\$CI_COMMIT_TAG =~ /(.+)/$`).FindStringSubmatch(ci.Workflow.Rules[0].If)
	if m == nil {
		t.Fatalf("workflow rule %q: want $CI_COMMIT_TAG =~ /REGEX/", ci.Workflow.Rules[0].If)
	}
	re := regexp.MustCompile(m[1])
	for tag, want := range map[string]bool{"v1.2.3": true, "v10.0.12": true, "1.2.3": false, "v1": false, "v1.2.3-rc.1": false, "xv1.2.3": false} {
		if re.MatchString(tag) != want {
			t.Errorf("the pipeline runs for tag %s: %v, want %v", tag, !want, want)
		}
	}
	if ci.Catalog.Release.TagName != "$CATALOG_VERSION" || ci.Catalog.Release.Ref != "$CI_COMMIT_SHA" || !slices.Contains(ci.Catalog.Needs, "image-check") {
		t.Errorf("catalog job: release %+v, needs %v; want tag_name $CATALOG_VERSION (from image-check's dotenv report) on $CI_COMMIT_SHA", ci.Catalog.Release, ci.Catalog.Needs)
	}
	if ci.ImageCheck.Image.Name != imageRepo+":$CI_COMMIT_TAG" {
		t.Errorf("image-check runs in %q, want the release's image %s:$CI_COMMIT_TAG", ci.ImageCheck.Image.Name, imageRepo)
	}
}
