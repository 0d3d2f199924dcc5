package cli_test

import (
	"compress/gzip"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

// TestImage builds the release image offline (scripts/image.sh: FROM
// scratch, pinned Debian packages, no registry) with podman and runs it as
// the runners do: as the GitHub runner runs a Docker action, as GitLab's
// Docker executor runs a job (entrypoint: [”], the job script through the
// image's shell), and through gitlab-ci-local's container executor. podman
// and runc come from scripts/install-tools.sh (RELMAN_TEST_PODMAN); in CI a
// missing tool fails the test.
func TestImage(t *testing.T) {
	podman := tool(t, "RELMAN_TEST_PODMAN", "podman")
	tool(t, "RELMAN_TEST_RUNC", "runc")
	ctr := func(args ...string) *exec.Cmd {
		cmd := exec.Command(podman, args...)
		cmd.Env = podmanEnv()
		return cmd
	}
	tag := "localhost/relman-test:" + randomHex(t)
	// The version stamped into the binary: a release's, unlike any other
	// run's, as the mirror pipeline's check names the image by it.
	imageVersion := fmt.Sprintf("1.2.%d", 100000+time.Now().UnixNano()%900000)
	build := exec.Command("bash", "scripts/image.sh", "build", tag)
	build.Dir = root
	build.Env = append(podmanEnv(), "CONTAINER_ENGINE="+podman, "VERSION="+imageVersion)
	buildMu.Lock()
	log, code := run(t, build)
	buildMu.Unlock()
	t.Cleanup(func() { _ = ctr("rmi", "-f", tag).Run() })
	if code != 0 {
		t.Fatalf("scripts/image.sh build: exit %d\n%s", code, log)
	}

	t.Run("size", func(t *testing.T) {
		out, code := run(t, ctr("image", "inspect", "--format", "{{.Size}}", tag))
		if code != 0 {
			t.Fatalf("podman image inspect: %s", out)
		}
		unpacked, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(t.TempDir(), "image.tar")
		if out, code := run(t, ctr("save", "-o", archive, tag)); code != 0 {
			t.Fatalf("podman save: %s", out)
		}
		compressed := gzipSize(t, archive)
		// What a registry stores and a runner pulls: the gzipped layers.
		t.Logf("image size: %.1f MB compressed (gzip), %.1f MB unpacked", float64(compressed)/1e6, float64(unpacked)/1e6)
		if compressed > 20e6 {
			t.Errorf("the image is %d bytes compressed: over the 20 MB goal", compressed)
		}
		if unpacked > 25e6 {
			t.Errorf("the image is %d bytes unpacked: over 25 MB", unpacked)
		}
	})

	t.Run("contents", func(t *testing.T) {
		sh := func(t *testing.T, script string, args ...string) string {
			t.Helper()
			out, code := run(t, ctr(append(append([]string{"run", "--rm", "--network", "none"}, args...), "--entrypoint", "", tag, "sh", "-c", script)...))
			if code != 0 {
				t.Fatalf("sh -c %q: exit %d\n%s", script, code, out)
			}
			return strings.TrimSpace(out)
		}
		if got := run1(t, ctr("run", "--rm", "--network", "none", tag, "version")); got != "relman "+imageVersion {
			t.Errorf("the entrypoint: relman version printed %q, want relman %s", got, imageVersion)
		}
		// GitLab runs the script with the image's sh; the defaults are root
		// (GitHub) and a nonroot user for runners that allow one.
		if got := sh(t, `echo "$(id -u) $HOME $(readlink /bin/sh) $(command -v relman)"`); got != "0 /root busybox /usr/local/bin/relman" {
			t.Errorf("uid, HOME, sh, relman: %q", got)
		}
		if got := sh(t, `id -u; touch "$HOME/x" /tmp/x && echo writable`, "--user", "65532"); got != "65532\nwritable" {
			t.Errorf("as nonroot: %q", got)
		}
		if got := sh(t, `command -v git || echo none`); got != "none" {
			t.Errorf("git in the image: %q (relman speaks git through go-git)", got)
		}
		// tzdata: the offset of India at the epoch.
		if got := sh(t, `TZ=Asia/Kolkata date -d @0 +%H:%M`); got != "05:30" {
			t.Errorf("TZ=Asia/Kolkata date: %q, want 05:30 (no tzdata?)", got)
		}
		bundle := sh(t, `cat "$SSL_CERT_FILE"`)
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(bundle)) || strings.Count(bundle, "BEGIN CERTIFICATE") < 100 {
			t.Errorf("the CA bundle has %d certificates, want the Mozilla set", strings.Count(bundle, "BEGIN CERTIFICATE"))
		}
		if got := sh(t, `cat /var/lib/dpkg/status.d/* | grep '^Package:' | sort | tr '\n' ' '`); got != "Package: busybox-static Package: ca-certificates Package: tzdata" {
			t.Errorf("packages listed for scanners: %q", got)
		}
	})

	// The GitHub runner: docker run --workdir /github/workspace with the
	// workspace, the file commands and the event mounted, the inputs as
	// INPUT_*, args [action]. The workspace belongs to the runner's user
	// (1001), the container runs as root. --network host: the fake API and
	// the smart HTTP origin are on loopback.
	t.Run("github action", func(t *testing.T) {
		actionContract(t, func(t *testing.T, a actionRun) (string, int) {
			chownAll(t, a.workspace, 1001)
			args := []string{"run", "--rm", "--network", "host", "--workdir", "/github/workspace",
				"-v", a.workspace + ":/github/workspace", "-v", filepath.Dir(a.event) + ":/github/workflow",
				"-v", filepath.Dir(a.output) + ":/github/file_commands", "-v", a.home + ":/github/home",
				"-e", "GITHUB_WORKSPACE=/github/workspace", "-e", "GITHUB_EVENT_PATH=/github/workflow/" + filepath.Base(a.event),
				"-e", "HOME=/github/home", "-e", "GITHUB_OUTPUT=/github/file_commands/" + filepath.Base(a.output),
				"-e", "GITHUB_STEP_SUMMARY=/github/file_commands/" + filepath.Base(a.summary)}
			for _, e := range a.env {
				args = append(args, "-e", e)
			}
			return run(t, ctr(append(args, tag, "action")...))
		})
	})

	// The same action with no network at all (--network none), as a dry
	// run with impact from commits: the remote cannot be reached, which a
	// dry run reports and goes on. (A local path as origin is no way
	// around it: go-git runs git-upload-pack for file remotes, and the
	// image has no git.)
	t.Run("github action, network none", func(t *testing.T) {
		g := gittest.New(t)
		g.Tag("v2.0.0", g.Head("main"), true)
		g.Commit("main", "feat: add the export button", map[string]string{"export.txt": "x\n"})
		g.Push()
		dir := g.CloneFrom(g.ServeHTTP(), "main")
		files := t.TempDir()
		for _, f := range []string{"set_output", "step_summary"} {
			if err := os.WriteFile(filepath.Join(files, f), nil, 0o666); err != nil {
				t.Fatal(err)
			}
		}
		out, code := run(t, ctr("run", "--rm", "--network", "none", "--workdir", "/github/workspace",
			"-v", dir+":/github/workspace", "-v", files+":/github/file_commands",
			"-e", "CI=true", "-e", "GITHUB_ACTIONS=true", "-e", "GITHUB_REF=refs/heads/main", "-e", "GITHUB_REF_NAME=main",
			"-e", "GITHUB_REPOSITORY=acme/widget", "-e", "GITHUB_WORKSPACE=/github/workspace",
			"-e", "GITHUB_OUTPUT=/github/file_commands/set_output", "-e", "GITHUB_STEP_SUMMARY=/github/file_commands/step_summary",
			"-e", "INPUT_STEP=tag", "-e", "INPUT_IMPACT-FROM=commits", "-e", "INPUT_DEFAULT-BRANCH=main", "-e", "INPUT_DRY-RUN=true", "-e", "INPUT_TOKEN=",
			tag, "action"))
		outputs, _ := os.ReadFile(filepath.Join(files, "set_output"))
		got := normaliseDelimiters(t, string(outputs))
		if code != 0 || !strings.Contains(got, "version<<DELIMITER\n2.1.0\n") || !strings.Contains(got, "released<<DELIMITER\ntrue\n") ||
			!strings.Contains(out, "could not compare with the remote's tags") {
			t.Errorf("exit %d, outputs %q:\n%s", code, outputs, out)
		}
		if tags := g.RemoteTags(); len(tags) != 1 {
			t.Errorf("a dry run pushed: remote tags %v", tags)
		}
	})

	// GitLab's Docker executor: the image with entrypoint: [''], the
	// project in /builds/GROUP/PROJECT, the job's variables in the
	// environment and the job script, built from the component's script:
	// lines as the runner builds it, on the shell's stdin. As nonroot: GitLab
	// leaves the checkout world-writable (its umask 0000) for such images.
	t.Run("gitlab job", func(t *testing.T) {
		var job struct {
			Variables map[string]string
			Script    []string
		}
		componentJob(t, componentFile("tag"), "tag", &job)
		g := gittest.New(t)
		g.Tag("1.4.0", g.Head("main"), true)
		g.Commit("main", "fix: the date parser", map[string]string{"date.txt": "x\n"})
		g.Push()
		dir := g.CloneFrom(g.ServeHTTP(), "main") // origin over smart HTTP on loopback: --network host
		chmodAll(t, dir)
		project := "/builds/acme/widget"
		args := []string{"run", "--rm", "-i", "--network", "host", "--user", "65532", "--entrypoint", "",
			"-v", dir + ":" + project, "-w", project,
			"-e", "CI=true", "-e", "GITLAB_CI=true", "-e", "CI_PROJECT_DIR=" + project, "-e", "CI_COMMIT_BRANCH=main",
			"-e", "CI_DEFAULT_BRANCH=main", "-e", "CI_PROJECT_PATH=acme/widget", "-e", "CI_SERVER_URL=https://gitlab.example"}
		for k, v := range job.Variables {
			v = componentDefault(t, componentFile("tag"), v)
			args = append(args, "-e", k+"="+v)
		}
		script := "set -eo pipefail\nset +o noclobber\ncd " + project + "\n"
		for _, line := range job.Script {
			script += "echo '$ " + strings.ReplaceAll(line, "'", `'\''`) + "'\n" + line + "\n"
		}
		script += "cat relman.env\n"
		cmd := ctr(append(args, tag, "sh")...)
		cmd.Stdin = strings.NewReader(script)
		out, code := run(t, cmd)
		if code != 0 || !strings.Contains(out, "RELMAN_VERSION=1.4.1\n") || !strings.Contains(out, "RELMAN_RELEASED=true\n") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		if tags := g.RemoteTags(); tags["1.4.1"].IsZero() {
			t.Errorf("remote tags %v, want 1.4.1", tags)
		}
	})

	t.Run("gitlab-ci-local", func(t *testing.T) {
		helper := gitLabCILocalHelper(t, podman, tag)
		removeLeftovers(t, podman, tag, helper) // the release's name is tag's image too
		t.Run("components", func(t *testing.T) { gitLabCILocalInImage(t, podman, tag, helper) })
		t.Run("catalog pipeline", func(t *testing.T) { gitLabCatalogCheck(t, podman, tag, helper, imageVersion) })
	})
}

// gitLabCatalogCheck runs the image-check job of .gitlab-ci.yml (the
// mirror's release pipeline) for release vVERSION in the image, named as
// the release names it, on components pinned to it as the release's
// version commit pins them; then once more with a component left unpinned,
// which the job must refuse.
func gitLabCatalogCheck(t *testing.T, podman, tag, helper, version string) {
	gcl := tool(t, "RELMAN_TEST_GITLAB_CI_LOCAL", "gitlab-ci-local")
	release := imageRepo + ":v" + version
	ptag := exec.Command(podman, "tag", tag, release)
	ptag.Env = podmanEnv()
	if out, code := run(t, ptag); code != 0 {
		t.Fatalf("podman tag: %s", out)
	}
	t.Cleanup(func() {
		c := exec.Command(podman, "rmi", release)
		c.Env = podmanEnv()
		_ = c.Run()
	})
	removeLeftovers(t, podman, release, helper)
	pin := release + "@sha256:" + strings.Repeat("0123456789abcdef", 4)
	for _, tc := range []struct {
		name     string
		unpinned string // a component left unpinned
	}{{"pinned", ""}, {"one unpinned", componentFile("check")}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, filepath.Join(root, "templates"), filepath.Join(dir, "templates"))
			files, _ := filepath.Glob(filepath.Join(dir, "templates", "*", "template.yml"))
			for _, f := range files {
				if strings.HasSuffix(filepath.ToSlash(f), tc.unpinned) && tc.unpinned != "" {
					continue
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(b), defaultImage, pin)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ci, err := os.ReadFile(filepath.Join(root, ".gitlab-ci.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), ci, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, code := run(t, gitCmd(dir, "init", "-q", "-b", "main")); code != 0 {
				t.Fatal(out)
			}
			if out, code := run(t, gitCmd(dir, "add", "-A")); code != 0 {
				t.Fatal(out)
			}
			if out, code := run(t, gitCmd(dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "release")); code != 0 {
				t.Fatal(out)
			}
			cmd := exec.Command(gcl, "--container-executable", podman, "--helper-image", helper, "--pull-policy", "if-not-present", "--cleanup",
				"--no-color", "--home", filepath.Join(t.TempDir(), "gcl-home"), "--variable", "CI_COMMIT_TAG=v"+version, "image-check")
			cmd.Dir = dir
			cmd.Env = append(podmanEnv(), "HOME="+t.TempDir())
			out, code := run(t, cmd)
			switch {
			case tc.unpinned == "" && (code != 0 || !strings.Contains(out, "relman "+version)):
				t.Errorf("image-check: exit %d:\n%s", code, out)
			case tc.unpinned != "" && (code == 0 || !strings.Contains(out, "does not run the image of v"+version)):
				t.Errorf("image-check passed with %s unpinned: exit %d:\n%s", tc.unpinned, code, out)
			}
			if tc.unpinned == "" {
				env, err := os.ReadFile(filepath.Join(dir, ".gitlab-ci-local", "artifacts", "image-check", ".gitlab-ci-reports", "dotenv", "catalog.env"))
				if err != nil || string(env) != "CATALOG_VERSION="+version+"\n" {
					t.Errorf("catalog.env: %q, %v; want CATALOG_VERSION=%s (the Catalog's version: no v)", env, err, version)
				}
			}
		})
	}
}

func gitCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	return cmd
}

// gitLabCILocalInImage runs examples/gitlab/maven with gitlab-ci-local's
// container executor (--container-executable podman) in the image: the
// components' jobs run in tag, as on a GitLab runner with the Docker
// executor, against the fake GitLab API and the smart HTTP origin on
// loopback (--network host), with helper as gitlab-ci-local's helper image.
func gitLabCILocalInImage(t *testing.T, podman, tag, helper string) {
	gcl := tool(t, "RELMAN_TEST_GITLAB_CI_LOCAL", "gitlab-ci-local")

	example, err := os.ReadFile(filepath.Join(root, "examples", "gitlab", "maven", ".gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ci := exampleComponent.ReplaceAllStringFunc(string(example), func(m string) string {
		return "$CI_SERVER_FQDN/$CI_PROJECT_PATH/" + exampleComponent.FindStringSubmatch(m)[1] + "@$CI_COMMIT_SHA"
	})
	// The image input: the image under test instead of the published one.
	withImage := regexp.MustCompile(`(?m)^(\s+)inputs:\n`).ReplaceAllString(ci, "${1}inputs:\n${1}  image: "+tag+"\n")
	if withImage == ci {
		t.Fatal("the maven example has no inputs: to set the image input in")
	}

	g := gittest.New(t)
	g.Commit("main", "start 1.1.0 development", map[string]string{"pom.xml": pom("1.1.0-SNAPSHOT")})
	g.Tag("1.0.0", g.Head("main"), true)
	mrsPath := filepath.Join(t.TempDir(), "mrs.json")
	m := g.MergeMR("main", 7, 2, "Add the export button")
	writeJSON(t, mrsPath, []mrRecord{{Number: 7, Title: "Add the export button", Target: "main", Labels: []string{"ImpactMinor"},
		MergedAt: g.Now().Format(time.RFC3339), MergeCommit: m.Landed.String(), HeadCommit: m.Head.String()}})
	srv := fakeForge(t, "gitlab", mrsPath)
	dir := g.CloneFrom(g.ServeHTTP(), "main")
	setUpForGitLabCILocal(t, dir, srv.URL)
	if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(withImage), 0o644); err != nil {
		t.Fatal(err)
	}
	copyDir(t, filepath.Join(root, "templates"), filepath.Join(dir, "templates"))

	cmd := exec.Command(gcl, "--container-executable", podman, "--helper-image", helper, "--pull-policy", "if-not-present", "--cleanup",
		"--network", "host", "--no-color", "--home", filepath.Join(t.TempDir(), "gcl-home"),
		"--variable", "GITLAB_CI=true", "--variable", "CI_PROJECT_ID=42",
		"--variable", "RELMAN_TOKEN=test-token-gl-image",
		"--ignore-predefined-vars", "GITLAB_CI,CI_PROJECT_ID")
	cmd.Dir = dir
	cmd.Env = append(slices.DeleteFunc(podmanEnv(), func(s string) bool { return strings.HasPrefix(s, "RELMAN_") }), "HOME="+t.TempDir())
	out, code := run(t, cmd)
	if code != 0 {
		t.Fatalf("gitlab-ci-local exit %d:\n%s", code, out)
	}
	for _, job := range []string{"relman-tag", "relman-backport-branch", "relman-prep-commit"} {
		if !regexp.MustCompile(`(?m)^` + job + `\s+starting ` + regexp.QuoteMeta(tag) + ` `).MatchString(out) {
			t.Errorf("job %s did not run in the image %s:\n%s", job, tag, out)
		}
	}
	if !regexp.MustCompile(`(?m)^.*released version 1\.1\.0 \(tag 1\.1\.0\)$`).MatchString(out) || strings.Contains(out, "test-token-gl-image") {
		t.Errorf("the downstream job did not get the dotenv report, or the token shows:\n%s", out)
	}
	remote, err := git.PlainOpen(g.Remote)
	if err != nil {
		t.Fatal(err)
	}
	if g.RemoteTags()["1.1.0"].IsZero() {
		t.Errorf("no tag 1.1.0 in the remote:\n%s", out)
	}
	ref, err := remote.Reference(plumbing.NewBranchReferenceName("release/1.1"), true)
	if err != nil {
		t.Fatalf("release/1.1: %v\n%s", err, out)
	}
	c, err := remote.CommitObject(ref.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if f, err := c.File("pom.xml"); err != nil {
		t.Error(err)
	} else if got, _ := f.Contents(); got != pom("1.1.1-SNAPSHOT") {
		t.Errorf("release/1.1 pom.xml after the prep commit:\n%s", got)
	}
}

// gitLabCILocalHelper builds a stand-in for gitlab-ci-local's helper image
// (docker.io/firecow/gitlab-ci-local-util, which cannot be pulled here; it
// copies artifacts with bash and rsync): the image plus this machine's bash
// and rsync.
func gitLabCILocalHelper(t *testing.T, podman, tag string) string {
	helper := tag + "-gcl-helper"
	hctx := t.TempDir()
	for _, bin := range []string{"bash", "rsync"} {
		p, err := exec.LookPath(bin)
		if err != nil {
			t.Fatalf("the helper image needs %s: %v", bin, err)
		}
		copyWithLibraries(t, p, filepath.Join(hctx, "root"))
	}
	if err := os.WriteFile(filepath.Join(hctx, "Containerfile"), []byte("FROM "+tag+"\nCOPY root/ /\nENV PATH=/usr/local/bin:/usr/bin:/bin\nENTRYPOINT []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := exec.Command(podman, "build", "-q", "--layers=false", "-t", helper, hctx)
	b.Env = podmanEnv()
	if out, code := run(t, b); code != 0 {
		t.Fatalf("podman build (helper): %s", out)
	}
	t.Cleanup(func() {
		c := exec.Command(podman, "rmi", "-f", helper)
		c.Env = podmanEnv()
		_ = c.Run()
	})

	return helper
}

// removeLeftovers removes, when t ends, what gitlab-ci-local leaves behind
// even with --cleanup: the containers of images (which it may still be
// removing), then the volumes it made for its jobs (gcl-JOB-ID-build,
// -tmp) that appeared during t.
func removeLeftovers(t *testing.T, podman string, images ...string) {
	pod := func(args ...string) []string {
		cmd := exec.Command(podman, args...)
		cmd.Env = podmanEnv()
		out, _ := cmd.Output()
		return strings.Fields(string(out))
	}
	before := pod("volume", "ls", "--format", "{{.Name}}")
	t.Cleanup(func() {
		filter := []string{"ps", "-aq"}
		for _, img := range images {
			filter = append(filter, "--filter", "ancestor="+img)
		}
		if ids := pod(filter...); len(ids) > 0 {
			pod(append([]string{"rm", "-f"}, ids...)...)
		}
		var gone []string
		for _, v := range pod("volume", "ls", "--format", "{{.Name}}") {
			if strings.HasPrefix(v, "gcl-") && !slices.Contains(before, v) {
				gone = append(gone, v)
			}
		}
		if len(gone) > 0 {
			pod(append([]string{"volume", "rm"}, gone...)...)
		}
	})
}

// podmanEnv is the environment of podman commands: the project's
// containers.conf unless CONTAINERS_CONF says otherwise.
func podmanEnv() []string {
	env := os.Environ()
	if os.Getenv("CONTAINERS_CONF") == "" {
		conf, _ := filepath.Abs(filepath.Join(root, "scripts", "podman", "containers.conf"))
		env = append(env, "CONTAINERS_CONF="+conf)
	}
	return env
}

// run1 runs cmd, which must succeed, and returns its trimmed output.
func run1(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, code := run(t, cmd)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s", strings.Join(cmd.Args, " "), code, out)
	}
	return strings.TrimSpace(out)
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// gzipSize is the size of path gzipped.
func gzipSize(t *testing.T, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n countWriter
	z := gzip.NewWriter(&n)
	if _, err := io.Copy(z, f); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// chownAll gives dir to uid, as the runner's checkout belongs to its user.
func chownAll(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// chmodAll makes dir world-writable, as GitLab's Docker executor leaves a
// checkout (umask 0000).
func chmodAll(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		mode := fi.Mode().Perm() | 0o666
		if fi.IsDir() {
			mode = 0o777
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// componentJob decodes the job of step from a component's file.
func componentJob(t *testing.T, path, step string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.SplitN(string(b), "\n---\n", 2)
	var jobs map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(docs[1]), &jobs); err != nil {
		t.Fatal(err)
	}
	n, ok := jobs["$[[ inputs.job-prefix ]]"+componentName(step)]
	if !ok {
		t.Fatalf("%s: no job for %s", path, step)
	}
	if err := n.Decode(v); err != nil {
		t.Fatal(err)
	}
}

var inputRef = regexp.MustCompile(`\$\[\[ inputs\.([a-z-]+) \]\]`)

// componentDefault interpolates $[[ inputs.NAME ]] with the inputs' defaults,
// as GitLab does for an include: without inputs.
func componentDefault(t *testing.T, path, s string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Spec struct{ Inputs map[string]componentInput }
	}
	if err := yaml.Unmarshal([]byte(strings.SplitN(string(b), "\n---\n", 2)[0]), &spec); err != nil {
		t.Fatal(err)
	}
	return inputRef.ReplaceAllStringFunc(s, func(m string) string {
		in, ok := spec.Spec.Inputs[inputRef.FindStringSubmatch(m)[1]]
		if !ok {
			t.Fatalf("%s: no input %s", path, m)
		}
		return fmt.Sprint(in.Default)
	})
}

// copyWithLibraries copies a dynamically linked binary and the libraries
// ldd lists into the tree root, at their paths.
func copyWithLibraries(t *testing.T, bin, root string) {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	files := []string{bin}
	files = append(files, regexp.MustCompile(`(/\S+)`).FindAllString(string(out), -1)...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
