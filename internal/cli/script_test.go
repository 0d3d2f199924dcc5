package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/relman-dev/relman/internal/gitrepo/gittest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"relman": relmanMain})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			return scanForTokens(env)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"repo":    cmdRepo,
			"forge":   cmdForge,
			"rdef":    cmdReleasedefRepo,
			"hostile": cmdHostile,
		},
	})
}

// tsT lets gittest build repositories inside a script's work directory.
type tsT struct {
	ts *testscript.TestScript
	n  int
}

func (t *tsT) Helper()           {}
func (t *tsT) Defer(f func())    { t.ts.Defer(f) }
func (t *tsT) Fatal(args ...any) { t.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (t *tsT) TempDir() string {
	t.n++
	d, err := os.MkdirTemp(t.ts.Getenv("WORK"), "tmp")
	t.ts.Check(err)
	return d
}

// mrRecord is a merge request as the fake forges serve it.
type mrRecord struct {
	Number       int      `json:"number"`
	Title        string   `json:"title"`
	Target       string   `json:"target"`
	Labels       []string `json:"labels"`
	MergedAt     string   `json:"merged_at"`
	MergeCommit  string   `json:"merge_commit"`
	SquashCommit string   `json:"squash_commit"`
	HeadCommit   string   `json:"head_commit"`
}

func unescape(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }

// cmdRepo builds the test repository in $WORK (dev/ and remote.git/):
//
//	repo init
//	repo commit BRANCH MESSAGE
//	repo commit-files BRANCH MESSAGE PATH[=CONTENT]...  (CONTENT: default MESSAGE; \n for newlines; @FILE: the file in $WORK)
//	repo mr merge|squash|ff BRANCH NUMBER TITLE [LABEL...]
//	repo open-mr N TARGET TITLE [LABEL...]  (recorded for the fake forge, not merged)
//	repo label N [LABEL...]          (set a recorded merge request's labels)
//	repo tag [-l] NAME [BRANCH]      (annotated unless -l)
//	repo release-commit BRANCH NAME  (a version commit off BRANCH, tagged NAME)
//	repo branch NAME FROM
//	repo clone [-http] BRANCH DIR    (-http: through git http-backend)
//	repo shallow DIR                 (cut DIR's history at its HEAD)
//	repo remote-tags                 (prints "tag -> subject of its commit")
func cmdRepo(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("repo does not support !")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: repo init|commit|mr|tag|branch|clone|shallow|remote-tags")
	}
	t := &tsT{ts: ts}
	base := ts.Getenv("WORK")
	if args[0] == "init" {
		gittest.NewAt(t, base).Push()
		return
	}
	g := gittest.Open(t, base)
	switch args[0] {
	case "commit":
		g.Commit(args[1], unescape(args[2]), map[string]string{"f/" + strconv.Itoa(len(args[2])) + ".txt": args[2]})
		g.Push()
	case "commit-files":
		files := map[string]string{}
		for _, a := range args[3:] {
			p, content, ok := strings.Cut(a, "=")
			if !ok {
				content = args[2]
			}
			if name, ok := strings.CutPrefix(content, "@"); ok {
				b, err := os.ReadFile(filepath.Join(base, name))
				ts.Check(err)
				content = string(b)
			} else {
				content = unescape(content)
			}
			files[p] = content
		}
		g.Commit(args[1], unescape(args[2]), files)
		g.Push()
	case "mr":
		kind, branch, title := args[1], args[2], unescape(args[4])
		n, err := strconv.Atoi(args[3])
		ts.Check(err)
		var mr gittest.MR
		switch kind {
		case "merge":
			mr = g.MergeMR(branch, n, 2, title)
		case "squash":
			mr = g.SquashMR(branch, n, title)
		case "ff":
			mr = g.FastForwardMR(branch, n, 2, title)
		default:
			ts.Fatalf("repo mr: unknown kind %q", kind)
		}
		g.Push()
		rec := mrRecord{Number: n, Title: title, Target: branch, Labels: args[5:], MergedAt: g.Now().Format(time.RFC3339), HeadCommit: mr.Head.String()}
		switch {
		case kind == "merge":
			rec.MergeCommit = mr.Landed.String()
		case kind == "squash":
			rec.SquashCommit = mr.Squash.String()
		}
		var mrs []mrRecord
		if b, err := os.ReadFile(filepath.Join(ts.Getenv("WORK"), "mrs.json")); err == nil {
			ts.Check(json.Unmarshal(b, &mrs))
		}
		mrs = append(mrs, rec)
		b, _ := json.MarshalIndent(mrs, "", "  ")
		ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), "mrs.json"), b, 0o644))
	case "open-mr", "label":
		// open-mr N TARGET TITLE [LABEL...]: a merge request not merged yet.
		// label N [LABEL...]: set a merge request's labels.
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		path := filepath.Join(ts.Getenv("WORK"), "mrs.json")
		var mrs []mrRecord
		if b, err := os.ReadFile(path); err == nil {
			ts.Check(json.Unmarshal(b, &mrs))
		}
		if args[0] == "open-mr" {
			mrs = append(mrs, mrRecord{Number: n, Target: args[2], Title: unescape(args[3]), Labels: args[4:]})
		} else {
			for i := range mrs {
				if mrs[i].Number == n {
					mrs[i].Labels = args[2:]
				}
			}
		}
		b, _ := json.MarshalIndent(mrs, "", "  ")
		ts.Check(os.WriteFile(path, b, 0o644))
	case "tag":
		annotated := true
		a := args[1:]
		if len(a) > 0 && a[0] == "-l" {
			annotated, a = false, a[1:]
		}
		branch := "main"
		if len(a) > 1 {
			branch = a[1]
		}
		g.Tag(a[0], g.Head(branch), annotated)
		g.Push()
	case "release-commit":
		h := g.CommitObject("release "+args[2], map[string]string{"VERSION": args[2] + "\n"}, g.Head(args[1]))
		g.Tag(args[2], h, true)
		g.Push()
	case "branch":
		g.SetBranch(args[1], g.Head(args[2]))
		g.Push()
	case "clone":
		url := g.Remote
		if args[1] == "-http" {
			// Through git's own smart HTTP server, started once per script.
			if url = ts.Getenv("GITTEST_HTTP_URL"); url == "" {
				url = gittest.ServeBare(t, g.Remote)
				ts.Setenv("GITTEST_HTTP_URL", url)
			}
			args = args[1:]
		}
		dir := ts.MkAbs(args[2])
		_, err := git.PlainClone(dir, false, &git.CloneOptions{URL: url, ReferenceName: plumbing.NewBranchReferenceName(args[1]), Tags: git.AllTags})
		ts.Check(err)
	case "shallow":
		dir := ts.MkAbs(args[1])
		r, err := git.PlainOpen(dir)
		ts.Check(err)
		head, err := r.Head()
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, ".git", "shallow"), []byte(head.Hash().String()+"\n"), 0o644))
	case "remote-tags":
		r, err := git.PlainOpen(g.Remote)
		ts.Check(err)
		var lines []string
		for name, h := range g.RemoteTags() {
			c, err := r.CommitObject(h)
			ts.Check(err)
			subject, _, _ := strings.Cut(c.Message, "\n")
			lines = append(lines, name+" -> "+subject)
		}
		sort.Strings(lines)
		fmt.Fprintln(ts.Stdout(), strings.Join(lines, "\n"))
	default:
		ts.Fatalf("repo: unknown subcommand %q", args[0])
	}
}

// cmdForge starts a fake forge API (github or gitlab) that serves the merge
// requests recorded in $WORK/mrs.json with the documented JSON, fails the
// script on any other route, counts requests in $WORK/forge-requests, and
// points relman at it through RELMAN_FORGE, RELMAN_API_URL and RELMAN_PROJECT.
func cmdForge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: forge github|gitlab")
	}
	kind := args[0]
	work := ts.Getenv("WORK")
	var mu sync.Mutex
	count := 0
	var unhandled []string
	h := fakeForgeHandler(kind, filepath.Join(work, "mrs.json"), func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		count++
		_ = os.WriteFile(filepath.Join(work, "forge-requests"), []byte(strconv.Itoa(count)+"\n"), 0o644)
	}, func(route string) {
		mu.Lock()
		defer mu.Unlock()
		unhandled = append(unhandled, route)
	})
	srv := httptest.NewServer(h)
	ts.Defer(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		if len(unhandled) > 0 {
			ts.Fatalf("the fake %s forge got requests it does not serve: %v", kind, unhandled)
		}
	})
	for k, v := range forgeEnv(kind, srv.URL) {
		ts.Setenv(k, v)
	}
}

// forgeEnv points relman at a fake forge.
func forgeEnv(kind, url string) map[string]string {
	if kind == "github" {
		return map[string]string{"RELMAN_FORGE": kind, "RELMAN_API_URL": url, "RELMAN_PROJECT": "acme/widget"}
	}
	return map[string]string{"RELMAN_FORGE": kind, "RELMAN_API_URL": url + "/api/v4", "RELMAN_PROJECT": "42"}
}

// fakeForgeHandler serves the merge requests in mrsPath as the GitHub REST
// API or the GitLab REST API v4 document them, and keeps releases in
// memory. Every request is counted; routes it does not serve are reported
// and answered 404.
func fakeForgeHandler(kind, mrsPath string, count func(*http.Request), unhandled func(string)) http.Handler {
	load := func() []mrRecord {
		var mrs []mrRecord
		if b, err := os.ReadFile(mrsPath); err == nil {
			_ = json.Unmarshal(b, &mrs)
		}
		sort.Slice(mrs, func(i, j int) bool { return mrs[i].MergedAt > mrs[j].MergedAt })
		return mrs
	}
	find := func(n string) (mrRecord, bool) {
		for _, m := range load() {
			if strconv.Itoa(m.Number) == n {
				return m, true
			}
		}
		return mrRecord{}, false
	}
	var mu sync.Mutex
	releases := map[string]map[string]any{}
	pullRE := regexp.MustCompile(`^/repos/acme/widget/pulls/([0-9]+)$`)
	ghReleaseRE := regexp.MustCompile(`^/repos/acme/widget/releases/tags/(.+)$`)
	mrRE := regexp.MustCompile(`^/api/v4/projects/42/merge_requests/([0-9]+)$`)
	glReleaseRE := regexp.MustCompile(`^/api/v4/projects/42/releases/(.+)$`)
	// logRelease records each release created in releases-created beside
	// mrsPath, for scripts to check (make_latest).
	logRelease := func(line string) {
		f, err := os.OpenFile(filepath.Join(filepath.Dir(mrsPath), "releases-created"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintln(f, line)
			_ = f.Close()
		}
	}
	notFound := func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"404 Not Found"}`)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count(r)
		if auth := r.Header.Get("Authorization") + r.Header.Get("Private-Token"); !strings.Contains(auth, "test-token-") {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"401 Unauthorized"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		q := r.URL.Query()
		path := r.URL.EscapedPath()
		enc := json.NewEncoder(w)
		switch {
		case kind == "github" && r.Method == "GET" && path == "/repos/acme/widget/pulls":
			out := []map[string]any{}
			for _, m := range load() {
				if m.Target == q.Get("base") {
					out = append(out, githubPR(m))
				}
			}
			_ = enc.Encode(out)
		case kind == "github" && r.Method == "GET" && pullRE.MatchString(path):
			if m, ok := find(pullRE.FindStringSubmatch(path)[1]); ok {
				_ = enc.Encode(githubPR(m))
			} else {
				notFound(w)
			}
		case kind == "github" && r.Method == "GET" && path == "/repos/acme/widget":
			fmt.Fprint(w, `{"full_name":"acme/widget","default_branch":"main"}`)
		case kind == "github" && r.Method == "GET" && ghReleaseRE.MatchString(path):
			mu.Lock()
			rel, ok := releases[ghReleaseRE.FindStringSubmatch(path)[1]]
			mu.Unlock()
			if ok {
				_ = enc.Encode(rel)
			} else {
				notFound(w)
			}
		case kind == "github" && r.Method == "POST" && path == "/repos/acme/widget/releases":
			var body struct {
				TagName    string  `json:"tag_name"`
				Name       string  `json:"name"`
				Body       string  `json:"body"`
				MakeLatest *string `json:"make_latest"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			rel := map[string]any{"id": 1, "tag_name": body.TagName, "name": body.Name, "body": body.Body,
				"html_url": "https://github.com/acme/widget/releases/tag/" + body.TagName}
			// GitHub's default for make_latest is "true": a release
			// created without it would take the Latest mark.
			latest := "true (by default)"
			if body.MakeLatest != nil {
				latest = *body.MakeLatest
			}
			mu.Lock()
			releases[body.TagName] = rel
			logRelease(body.TagName + " make_latest=" + latest)
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			_ = enc.Encode(rel)
		case kind == "gitlab" && r.Method == "GET" && path == "/api/v4/projects/42/merge_requests":
			out := []map[string]any{}
			for _, m := range load() {
				if m.Target == q.Get("target_branch") && m.MergedAt != "" {
					out = append(out, gitlabMR(m))
				}
			}
			w.Header().Set("X-Page", "1")
			w.Header().Set("X-Per-Page", "100")
			w.Header().Set("X-Total-Pages", "1")
			w.Header().Set("X-Total", strconv.Itoa(len(out)))
			w.Header().Set("X-Next-Page", "")
			_ = enc.Encode(out)
		case kind == "gitlab" && r.Method == "GET" && mrRE.MatchString(path):
			if m, ok := find(mrRE.FindStringSubmatch(path)[1]); ok {
				_ = enc.Encode(gitlabMR(m))
			} else {
				notFound(w)
			}
		case kind == "gitlab" && r.Method == "GET" && path == "/api/v4/projects/42":
			fmt.Fprint(w, `{"id":42,"path_with_namespace":"acme/widget","default_branch":"main"}`)
		case kind == "gitlab" && r.Method == "GET" && glReleaseRE.MatchString(path):
			tag, _ := url.PathUnescape(glReleaseRE.FindStringSubmatch(path)[1])
			mu.Lock()
			rel, ok := releases[tag]
			mu.Unlock()
			if ok {
				_ = enc.Encode(rel)
			} else {
				notFound(w)
			}
		case kind == "gitlab" && r.Method == "POST" && path == "/api/v4/projects/42/releases":
			var body struct {
				TagName     string `json:"tag_name"`
				Name        string `json:"name"`
				Description string `json:"description"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			rel := map[string]any{"tag_name": body.TagName, "name": body.Name, "description": body.Description,
				"_links": map[string]any{"self": "https://gitlab.example/acme/widget/-/releases/" + body.TagName}}
			mu.Lock()
			releases[body.TagName] = rel
			logRelease(body.TagName)
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			_ = enc.Encode(rel)
		default:
			unhandled(r.Method + " " + r.URL.String())
			notFound(w)
		}
	})
}

// githubPR is a pull request as GitHub's REST API returns it.
func githubPR(m mrRecord) map[string]any {
	labels := []map[string]any{}
	for _, l := range m.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	landed := m.MergeCommit
	if landed == "" {
		landed = m.SquashCommit
	}
	if landed == "" {
		landed = m.HeadCommit
	}
	var mergedAt any
	updatedAt := "2024-01-01T00:00:00Z"
	if m.MergedAt != "" {
		mergedAt, updatedAt = m.MergedAt, m.MergedAt
	}
	return map[string]any{
		"number": m.Number, "title": m.Title, "state": "closed", "html_url": fmt.Sprintf("https://github.com/acme/widget/pull/%d", m.Number),
		"user": map[string]any{"login": "dev"}, "labels": labels, "merged_at": mergedAt, "updated_at": updatedAt,
		"merge_commit_sha": landed, "head": map[string]any{"sha": m.HeadCommit, "ref": "topic"}, "base": map[string]any{"ref": m.Target},
	}
}

// gitlabMR is a merge request as GitLab's REST API v4 returns it.
func gitlabMR(m mrRecord) map[string]any {
	var merge, squash any
	if m.MergeCommit != "" {
		merge = m.MergeCommit
	}
	if m.SquashCommit != "" {
		squash = m.SquashCommit
	}
	labels := m.Labels
	if labels == nil {
		labels = []string{}
	}
	state := "merged"
	var mergedAt any = m.MergedAt
	if m.MergedAt == "" {
		state, mergedAt = "opened", nil
	}
	return map[string]any{
		"id": 1000 + m.Number, "iid": m.Number, "project_id": 42, "title": m.Title, "state": state,
		"target_branch": m.Target, "source_branch": "topic", "labels": labels,
		"author": map[string]any{"username": "dev"}, "merged_at": mergedAt, "updated_at": "2024-01-01T00:00:00Z",
		"merge_commit_sha": merge, "squash_commit_sha": squash, "sha": m.HeadCommit,
		"web_url": fmt.Sprintf("https://gitlab.example/acme/widget/-/merge_requests/%d", m.Number),
	}
}
