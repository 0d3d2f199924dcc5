package faulttest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relman-dev/relman/internal/forge/retry"
)

// Answer is a canned forge answer: a status, headers and a body.
type Answer struct {
	Status int
	Header map[string]string
	Body   string
}

// Flaky serves its Answers, one per request in order, before passing
// requests on to Next; it counts the requests it saw and the answers it
// served (the faults injected by the server).
type Flaky struct {
	Next http.Handler

	mu       sync.Mutex
	answers  []Answer
	requests int
	served   int
}

// Queue sets the answers to serve next.
func (f *Flaky) Queue(answers ...Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append([]Answer(nil), answers...)
}

// Requests is the number of requests that reached the server.
func (f *Flaky) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Served is the number of canned answers served.
func (f *Flaky) Served() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

func (f *Flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	var a *Answer
	if len(f.answers) > 0 {
		a = &f.answers[0]
		f.answers = f.answers[1:]
		f.served++
	}
	f.mu.Unlock()
	if a == nil {
		f.Next.ServeHTTP(w, r)
		return
	}
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.Status)
	_, _ = w.Write([]byte(a.Body))
}

// Now is the time a Clock tells: fixed, so that waits until a rate-limit
// reset are exact.
func Now() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

// Clock records the waits of a retry.Transport instead of sleeping them,
// and tells the time as Now.
type Clock struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

// Sleep is retry.Options.Sleep: it records d and returns at once (or
// ctx's error when it is done).
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err()
}

// Now is retry.Options.Now: always the package's Now, since no wait is
// slept.
func (c *Clock) Now() time.Time { return Now() }

// Sleeps lists the waits so far.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// Total is the sum of the waits: the time the retries would have taken.
func (c *Clock) Total() time.Duration {
	var t time.Duration
	for _, d := range c.Sleeps() {
		t += d
	}
	return t
}

// MaxJitter is retry.Options.Jitter at its worst: the most jitter, so that
// recorded waits are the upper bound of the real ones.
func MaxJitter(d time.Duration) time.Duration { return d }

// RetryClient is the forge clients' default HTTP client (a retry.Transport
// with the default attempts, backoff and limits) whose waits go to clock
// with the most jitter, at the time Now, over a transport of its own.
func RetryClient(clock *Clock) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: retry.New(retry.Options{Base: base, Sleep: clock.Sleep, Now: clock.Now, Jitter: MaxJitter})}
}

// BackoffBound is the longest a request can spend waiting between
// attempts with the retry defaults when the server never names a wait:
// the backoff of every retry at its most jitter, capped at the maximum
// single wait. (A server-named wait is bounded by DefaultMaxWait per
// attempt: see WaitBound.)
func BackoffBound() time.Duration {
	var total time.Duration
	d := retry.DefaultBaseDelay
	for range retry.DefaultMaxAttempts - 1 {
		total += min(d+d/2, retry.DefaultMaxWait)
		d *= 2
	}
	return total
}

// WaitBound is the longest a request can spend waiting in all, whatever
// the server answers: every retry waiting the maximum single wait.
func WaitBound() time.Duration {
	return time.Duration(retry.DefaultMaxAttempts-1) * retry.DefaultMaxWait
}

// Repeat is n times the answer a.
func Repeat(a Answer, n int) []Answer {
	out := make([]Answer, n)
	for i := range out {
		out[i] = a
	}
	return out
}

// CheckError checks a faulted call's outcome: no error when wantOK, else
// an error that says every one of wantInErr and never the token.
func CheckError(t testing.TB, err error, wantOK bool, wantInErr []string, token string) {
	t.Helper()
	if wantOK {
		if err != nil {
			t.Fatalf("the call failed: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatal("the call succeeded")
	}
	t.Logf("error: %v", err)
	for _, w := range wantInErr {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if token != "" && strings.Contains(err.Error(), token) {
		t.Errorf("error %q shows the token", err)
	}
}

// Describe sums up a forge call for the figures: its result, the requests
// that reached the server and the time the retries waited.
func Describe(err error, requests int, waited time.Duration) string {
	res := "answered"
	if err != nil {
		res = "failed with a clear error"
	}
	return fmt.Sprintf("%s after %d requests, waited %s", res, requests, waited.Round(100*time.Millisecond))
}
