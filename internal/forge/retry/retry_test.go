package retry_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/forge/retry"
)

// reply is one canned response of the fake transport.
type reply struct {
	status int
	header map[string]string
}

// fakeBase answers requests with replies in order, records what it saw, and
// tracks which response bodies were closed.
type fakeBase struct {
	t       *testing.T
	replies []reply
	calls   int
	bodies  []string // request bodies seen
	open    []*trackedBody
}

type trackedBody struct {
	io.Reader
	closed bool
}

func (b *trackedBody) Close() error { b.closed = true; return nil }

func (f *fakeBase) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.calls >= len(f.replies) {
		f.t.Fatalf("unexpected attempt %d of %s %s", f.calls+1, req.Method, req.URL)
	}
	r := f.replies[f.calls]
	f.calls++
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			f.t.Fatalf("reading request body: %v", err)
		}
		f.bodies = append(f.bodies, string(b))
	}
	h := http.Header{}
	for k, v := range r.header {
		h.Set(k, v)
	}
	body := &trackedBody{Reader: strings.NewReader(`{"message":"x"}`)}
	f.open = append(f.open, body)
	return &http.Response{
		StatusCode: r.status,
		Status:     strconv.Itoa(r.status) + " " + http.StatusText(r.status),
		Header:     h,
		Body:       body,
		Request:    req,
	}, nil
}

var now = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		replies    []reply
		maxWait    time.Duration
		wantStatus int
		wantSleeps []time.Duration
		wantErr    error
		wantInErr  string
	}{
		{
			name:       "success is not retried",
			replies:    []reply{{status: 200}},
			wantStatus: 200,
		},
		{
			name:       "5xx then success backs off exponentially",
			replies:    []reply{{status: 502}, {status: 503}, {status: 500}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second},
		},
		{
			name:       "429 honors Retry-After seconds",
			replies:    []reply{{status: 429, header: map[string]string{"Retry-After": "7"}}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{7 * time.Second},
		},
		{
			name:       "429 honors Retry-After date",
			replies:    []reply{{status: 429, header: map[string]string{"Retry-After": now.Add(20 * time.Second).Format(http.TimeFormat)}}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{20 * time.Second},
		},
		{
			name:       "429 without headers backs off",
			replies:    []reply{{status: 429}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{1500 * time.Millisecond},
		},
		{
			name:       "GitHub secondary rate limit: 403 with Retry-After",
			replies:    []reply{{status: 403, header: map[string]string{"Retry-After": "30"}}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{30 * time.Second},
		},
		{
			name: "GitHub rate limit: 403 with x-ratelimit-remaining 0 waits for the reset",
			replies: []reply{{status: 403, header: map[string]string{
				"X-RateLimit-Remaining": "0",
				"X-RateLimit-Reset":     strconv.FormatInt(now.Add(42*time.Second).Unix(), 10),
			}}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{42 * time.Second},
		},
		{
			name: "429 with a reset in the past backs off",
			replies: []reply{{status: 429, header: map[string]string{
				"X-RateLimit-Remaining": "0",
				"X-RateLimit-Reset":     strconv.FormatInt(now.Add(-time.Minute).Unix(), 10),
			}}, {status: 200}},
			wantStatus: 200,
			wantSleeps: []time.Duration{1500 * time.Millisecond},
		},
		{
			name:       "plain 403 is a permission problem, not retried",
			replies:    []reply{{status: 403, header: map[string]string{"X-RateLimit-Remaining": "4999"}}},
			wantStatus: 403,
		},
		{
			name:       "401 is not retried",
			replies:    []reply{{status: 401}},
			wantStatus: 401,
		},
		{
			name:       "501 is not retried",
			replies:    []reply{{status: 501}},
			wantStatus: 501,
		},
		{
			name:       "POST is never retried",
			method:     http.MethodPost,
			replies:    []reply{{status: 503}},
			wantStatus: 503,
		},
		{
			name:       "retries exhausted",
			replies:    []reply{{status: 503}, {status: 503}, {status: 503}, {status: 503}, {status: 504}},
			wantSleeps: []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second},
			wantErr:    retry.ErrExhausted,
			wantInErr:  "giving up after 5 attempts, the last answered 504 Gateway Timeout",
		},
		{
			name:      "server asks to wait longer than the limit",
			replies:   []reply{{status: 429, header: map[string]string{"Retry-After": "3600"}}},
			wantErr:   retry.ErrWaitTooLong,
			wantInErr: "asked to wait 1h0m0s before retrying, longer than the 1m0s",
		},
		{
			name: "rate limit reset too far away",
			replies: []reply{{status: 403, header: map[string]string{
				"X-RateLimit-Remaining": "0",
				"X-RateLimit-Reset":     strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10),
			}}},
			maxWait:   5 * time.Minute,
			wantErr:   retry.ErrWaitTooLong,
			wantInErr: "asked to wait 10m0s before retrying, longer than the 5m0s",
		},
		{
			name:       "backoff is capped at the max wait",
			replies:    []reply{{status: 500}, {status: 500}, {status: 500}, {status: 200}},
			maxWait:    2 * time.Second,
			wantStatus: 200,
			wantSleeps: []time.Duration{1500 * time.Millisecond, 2 * time.Second, 2 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &fakeBase{t: t, replies: tt.replies}
			var sleeps []time.Duration
			tr := retry.New(retry.Options{
				Base:    base,
				MaxWait: tt.maxWait,
				Sleep: func(ctx context.Context, d time.Duration) error {
					sleeps = append(sleeps, d)
					return nil
				},
				Now:    func() time.Time { return now },
				Jitter: func(d time.Duration) time.Duration { return d }, // the most jitter, deterministic
			})
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequestWithContext(t.Context(), method, "https://user:secret@forge.example/api?x=1", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.RoundTrip(req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("error %q does not say %q", err, tt.wantInErr)
				}
				var re *retry.Error
				if !errors.As(err, &re) || strings.Contains(re.URL, "secret") {
					t.Errorf("error %#v is not a *retry.Error with a redacted URL", err)
				}
			} else {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				resp.Body.Close()
			}
			if diff := cmp.Diff(tt.wantSleeps, sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if base.calls != len(tt.replies) {
				t.Errorf("made %d attempts, want %d", base.calls, len(tt.replies))
			}
			for i, b := range base.open {
				if !b.closed {
					t.Errorf("body of response %d was not closed", i+1)
				}
			}
		})
	}
}

func TestRoundTripResendsBody(t *testing.T) {
	base := &fakeBase{t: t, replies: []reply{{status: 503}, {status: 200}}}
	tr := retry.New(retry.Options{Base: base, Sleep: func(context.Context, time.Duration) error { return nil }})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://forge.example/q", strings.NewReader("query body"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if diff := cmp.Diff([]string{"query body", "query body"}, base.bodies); diff != "" {
		t.Errorf("request bodies (-want +got):\n%s", diff)
	}
}

func TestRoundTripStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	base := &fakeBase{t: t, replies: []reply{{status: 503}}}
	tr := retry.New(retry.Options{
		Base: base,
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://forge.example/q", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if base.calls != 1 {
		t.Errorf("made %d attempts, want 1", base.calls)
	}
}

func TestDefaultSleepHonorsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	base := &fakeBase{t: t, replies: []reply{{status: 503}}}
	// The default Sleep: with the context already done it must return at
	// once instead of waiting the hour-long backoff.
	tr := retry.New(retry.Options{Base: base, BaseDelay: time.Hour, MaxWait: 2 * time.Hour})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://forge.example/q", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}
