package s3store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TokenFunc returns an OIDC identity token (a JWT) for AssumeRoleWithWebIdentity.
type TokenFunc func(ctx context.Context) (string, error)

type tokenRetriever struct {
	ctx context.Context
	fn  TokenFunc
}

func (r tokenRetriever) GetIdentityToken() ([]byte, error) {
	tok, err := r.fn(r.ctx)
	return []byte(tok), err
}

// webIdentity returns credentials from AssumeRoleWithWebIdentity, cached
// until they expire.
func webIdentity(ctx context.Context, cfg aws.Config, roleARN, session string, token TokenFunc) aws.CredentialsProvider {
	p := stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(cfg), roleARN, tokenRetriever{ctx: context.WithoutCancel(ctx), fn: token},
		func(o *stscreds.WebIdentityRoleOptions) {
			if session != "" {
				o.RoleSessionName = session
			}
		})
	return aws.NewCredentialsCache(p)
}

// StaticToken is a token given as a value, e.g. a GitLab ID token variable.
func StaticToken(tok string) TokenFunc {
	return func(context.Context) (string, error) { return tok, nil }
}

// GitHubToken requests an OIDC token from the GitHub Actions runner
// (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, present
// when the job has permissions: id-token: write) for the audience.
func GitHubToken(requestURL, requestToken, audience string, client *http.Client) TokenFunc {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", fmt.Errorf("GitHub OIDC token request URL: %w", err)
		}
		q := u.Query()
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", fmt.Errorf("GitHub OIDC token request: %w", err)
		}
		req.Header.Set("Authorization", "bearer "+requestToken)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("request a GitHub OIDC token: %w", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return "", fmt.Errorf("request a GitHub OIDC token: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("request a GitHub OIDC token: %s: give the job permissions: id-token: write", resp.Status)
		}
		var out struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(b, &out); err != nil || out.Value == "" {
			return "", errors.New("request a GitHub OIDC token: the answer holds no token")
		}
		return out.Value, nil
	}
}
