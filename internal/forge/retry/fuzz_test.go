package retry_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relman-dev/relman/internal/forge/retry"
)

// FuzzRetryHeaders checks the retry decision on whatever a server answers
// (status, Retry-After, x-ratelimit-remaining and -reset): relman never
// waits less than nothing nor more than MaxWait, asks are bounded, and a
// request is either answered or fails with ErrExhausted or ErrWaitTooLong.
func FuzzRetryHeaders(f *testing.F) {
	for _, s := range []struct {
		code                      int
		after, remaining, resetAt string
	}{
		{503, "", "", ""}, {429, "3", "", ""}, {403, "", "0", "1767225610"}, {403, "", "", ""},
		{429, "Thu, 01 Jan 2026 00:00:30 GMT", "", ""}, {503, "-1", "", ""}, {503, "9223372036854775807", "", ""},
		{429, "", "0", "-9223372036854775808"}, {502, " 2 ", "", ""}, {500, "1e3", "", ""}, {200, "5", "0", "0"},
	} {
		f.Add(s.code, s.after, s.remaining, s.resetAt)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const maxWait = 60 * time.Second
	f.Fuzz(func(t *testing.T, code int, after, remaining, resetAt string) {
		if code < 100 || code > 999 {
			return // not an HTTP status
		}
		calls := 0
		var waits []time.Duration
		tr := retry.New(retry.Options{
			Base: roundTripper(func(*http.Request) (*http.Response, error) {
				calls++
				h := http.Header{}
				if calls == 1 {
					h.Set("Retry-After", after)
					h.Set("X-Ratelimit-Remaining", remaining)
					h.Set("X-Ratelimit-Reset", resetAt)
					return &http.Response{StatusCode: code, Status: http.StatusText(code), Header: h, Body: io.NopCloser(strings.NewReader("x"))}, nil
				}
				return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, Body: io.NopCloser(strings.NewReader("ok"))}, nil
			}),
			MaxAttempts: 2,
			MaxWait:     maxWait,
			BaseDelay:   time.Second,
			Now:         func() time.Time { return now },
			Jitter:      func(d time.Duration) time.Duration { return d - 1 },
			Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			},
		})
		req, err := http.NewRequest(http.MethodGet, "https://api.example/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		for _, w := range waits {
			if w < 0 || w > maxWait {
				t.Fatalf("status %d, Retry-After %q, reset %q: waited %s (bounds 0..%s)", code, after, resetAt, w, maxWait)
			}
		}
		if err != nil {
			var re *retry.Error
			if !errors.As(err, &re) || !(errors.Is(err, retry.ErrWaitTooLong) || errors.Is(err, retry.ErrExhausted)) {
				t.Fatalf("status %d: unexpected error %v", code, err)
			}
			if errors.Is(err, retry.ErrWaitTooLong) && re.Wait <= maxWait {
				t.Fatalf("status %d, Retry-After %q: wait too long with a wait of %s", code, after, re.Wait)
			}
			return
		}
		defer resp.Body.Close()
		if calls > 2 || len(waits) != calls-1 {
			t.Fatalf("status %d: %d calls, %d waits", code, calls, len(waits))
		}
		if calls == 2 && code < 500 && code != 429 && code != 403 {
			t.Fatalf("status %d was retried", code)
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
