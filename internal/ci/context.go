package ci

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
)

// Context is what the runner says about a run, read once from the
// environment by [ReadContext]: which runner, the branch or tag and the
// commit of the pipeline, the default branch, the merge request of a merge
// request pipeline, and each forge's server, API and project as its
// runner names them. Steps read it; nothing changes it.
type Context struct {
	Kind Kind
	// Branch is the branch the pipeline runs for, "" for a tag or when the
	// runner does not say (local runs).
	Branch string
	// Tag is the tag the pipeline runs for, "" for a branch pipeline.
	Tag string
	// Commit is the commit the pipeline runs for (GITHUB_SHA, CI_COMMIT_SHA).
	Commit string
	// DefaultBranch is the project's default branch: CI_DEFAULT_BRANCH, or
	// the repository.default_branch of the GitHub event.
	DefaultBranch string
	// MergeRequest is the merge request of a merge request pipeline (a
	// GitHub pull_request event, GitLab's CI_MERGE_REQUEST_*), else nil.
	MergeRequest *MergeRequest
	// GitHub and GitLab are the forges' variables, read whatever the
	// runner: a run may name its forge with --forge.
	GitHub GitHubEnv
	GitLab GitLabEnv
}

// MergeRequest is the merge request a pipeline runs for.
type MergeRequest struct {
	Number int
	Title  string // untrusted text
	Target string // the target branch
	Labels []string
}

// GitHubEnv holds the GitHub Actions variables relman reads.
type GitHubEnv struct {
	ServerURL  string // GITHUB_SERVER_URL
	APIURL     string // GITHUB_API_URL
	Repository string // GITHUB_REPOSITORY, OWNER/NAME
	// The runner's OIDC token request (ACTIONS_ID_TOKEN_REQUEST_URL and
	// _TOKEN), set when the job has permissions: id-token: write.
	IDTokenRequestURL, IDTokenRequestToken string
}

// GitLabEnv holds the GitLab CI variables relman reads.
type GitLabEnv struct {
	ServerURL  string // CI_SERVER_URL
	ServerHost string // CI_SERVER_HOST
	APIURL     string // CI_API_V4_URL
	ProjectID  string // CI_PROJECT_ID
	ProjectURL string // CI_PROJECT_URL
	JobToken   string // CI_JOB_TOKEN
	// The user who started the pipeline (GITLAB_USER_NAME, _EMAIL).
	UserName, UserEmail string
}

// ReadContext reads the runner's variables. On GitHub it also reads the
// event file (GITHUB_EVENT_PATH) for the default branch and the pull
// request; a missing or unreadable file says nothing.
func ReadContext(getenv func(string) string) Context {
	c := Context{
		Kind: Detect(getenv),
		GitHub: GitHubEnv{
			ServerURL: getenv("GITHUB_SERVER_URL"), APIURL: getenv("GITHUB_API_URL"), Repository: getenv("GITHUB_REPOSITORY"),
			IDTokenRequestURL: getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), IDTokenRequestToken: getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
		},
		GitLab: GitLabEnv{
			ServerURL: getenv("CI_SERVER_URL"), ServerHost: getenv("CI_SERVER_HOST"), APIURL: getenv("CI_API_V4_URL"),
			ProjectID: getenv("CI_PROJECT_ID"), ProjectURL: getenv("CI_PROJECT_URL"), JobToken: getenv("CI_JOB_TOKEN"),
			UserName: getenv("GITLAB_USER_NAME"), UserEmail: getenv("GITLAB_USER_EMAIL"),
		},
	}
	switch c.Kind {
	case GitHub:
		ref := getenv("GITHUB_REF")
		if getenv("GITHUB_REF_TYPE") == "branch" || strings.HasPrefix(ref, "refs/heads/") {
			c.Branch = getenv("GITHUB_REF_NAME")
		}
		if t, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
			c.Tag = t
		}
		c.Commit = getenv("GITHUB_SHA")
		c.DefaultBranch, c.MergeRequest = readGitHubEvent(getenv("GITHUB_EVENT_PATH"))
	case GitLab:
		c.Branch, c.Tag, c.Commit = getenv("CI_COMMIT_BRANCH"), getenv("CI_COMMIT_TAG"), getenv("CI_COMMIT_SHA")
		c.DefaultBranch = getenv("CI_DEFAULT_BRANCH")
		if iid := getenv("CI_MERGE_REQUEST_IID"); iid != "" {
			n, _ := strconv.Atoi(iid)
			c.MergeRequest = &MergeRequest{Number: n, Title: getenv("CI_MERGE_REQUEST_TITLE"),
				Target: getenv("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"), Labels: SplitList(getenv("CI_MERGE_REQUEST_LABELS"))}
		}
	}
	return c
}

// readGitHubEvent reads the default branch and the pull request of a
// GitHub event file.
func readGitHubEvent(path string) (defaultBranch string, mr *MergeRequest) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil
	}
	var ev struct {
		PullRequest *struct {
			Number int    `json:"number"`
			Title  string `json:"title"`
			Labels []struct {
				Name string `json:"name"`
			} `json:"labels"`
			Base struct {
				Ref string `json:"ref"`
			} `json:"base"`
		} `json:"pull_request"`
		Repository struct {
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
	}
	if json.Unmarshal(b, &ev) != nil {
		return "", nil
	}
	if pr := ev.PullRequest; pr != nil {
		mr = &MergeRequest{Number: pr.Number, Title: pr.Title, Target: pr.Base.Ref}
		for _, l := range pr.Labels {
			mr.Labels = append(mr.Labels, l.Name)
		}
	}
	return ev.Repository.DefaultBranch, mr
}

// SplitList splits a list separated by commas or newlines, trimming each
// item and dropping empty ones.
func SplitList(v string) []string {
	var out []string
	for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
