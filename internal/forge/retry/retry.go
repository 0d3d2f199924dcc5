// Package retry provides an http.RoundTripper that retries idempotent
// requests a forge could not serve right now: server errors (5xx), rate
// limits (429), GitHub's rate limits (403 with Retry-After, or 403/429
// with x-ratelimit-remaining: 0) and dropped connections. It backs off exponentially with jitter,
// honors what the server asks for, and gives up with a clear error instead of
// waiting longer than a bounded time.
package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxAttempts = 5
	DefaultMaxWait     = 60 * time.Second
	DefaultBaseDelay   = time.Second
)

// ErrExhausted is wrapped by the error returned when every attempt failed.
var ErrExhausted = errors.New("retries exhausted")

// ErrWaitTooLong is wrapped by the error returned when the server asks to wait
// longer than Options.MaxWait before retrying.
var ErrWaitTooLong = errors.New("the server asked to wait too long")

// Options configures a Transport. The zero value is usable.
type Options struct {
	// Base performs the requests; http.DefaultTransport when nil.
	Base http.RoundTripper
	// MaxAttempts bounds the number of attempts per request, the first
	// included; DefaultMaxAttempts when zero or less.
	MaxAttempts int
	// MaxWait bounds a single wait. Backoff is capped at it; a server asking
	// for more (Retry-After, x-ratelimit-reset) makes the request fail with
	// ErrWaitTooLong. DefaultMaxWait when zero or less.
	MaxWait time.Duration
	// BaseDelay is the first backoff; it doubles on every retry and gets up
	// to half of itself added as jitter. DefaultBaseDelay when zero or less.
	BaseDelay time.Duration
	// Sleep waits d or until ctx is done, returning ctx.Err() then. Tests
	// inject it so they never really sleep. A timer honoring ctx when nil.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now tells the time, for x-ratelimit-reset and HTTP-date Retry-After
	// headers; time.Now when nil.
	Now func() time.Time
	// Jitter returns a random duration in [0, d); math/rand/v2 when nil.
	Jitter func(d time.Duration) time.Duration
}

// Transport is an http.RoundTripper that retries GET and HEAD requests on
// 5xx (except 501), 429 and GitHub's rate-limit 403 responses, and when the
// connection drops before the whole response arrived (see Dropped): it
// reads the bodies of the responses it returns (up to 32 MiB) to find out.
// Other methods and other responses pass through unchanged: a dropped POST
// may have been acted on, so it is never sent again.
type Transport struct {
	opts Options
}

// New returns a Transport with the defaults filled in.
func New(opts Options) *Transport {
	if opts.Base == nil {
		opts.Base = http.DefaultTransport
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultBaseDelay
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Jitter == nil {
		opts.Jitter = jitter
	}
	return &Transport{opts: opts}
}

// Error says why a request was given up.
type Error struct {
	Method   string
	URL      string // redacted of any password
	Attempts int    // attempts made
	Status   string // status of the last response, e.g. "503 Service Unavailable"
	// Wait is what the server asked to wait before the next attempt, when
	// more than MaxWait (Err is ErrWaitTooLong).
	Wait    time.Duration
	MaxWait time.Duration
	// Cause is, when the last attempt got no whole response, how its
	// connection dropped (Status is empty then).
	Cause error
	Err   error // ErrExhausted or ErrWaitTooLong
}

func (e *Error) Error() string {
	if errors.Is(e.Err, ErrWaitTooLong) {
		return fmt.Sprintf("the server answered %s and asked to wait %s before retrying, longer than the %s relman waits at most: re-run the job later",
			e.Status, e.Wait, e.MaxWait)
	}
	if e.Cause != nil {
		return fmt.Sprintf("giving up after %d attempts, the connection dropped each time (the last: %v): the server or the network may be down; re-run the job later",
			e.Attempts, e.Cause)
	}
	return fmt.Sprintf("giving up after %d attempts, the last answered %s: the server may be down or rate limiting; re-run the job later",
		e.Attempts, e.Status)
}

// Unwrap gives errors.Is and errors.As the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// Dropped reports whether err says the connection closed or was reset
// before the whole response arrived: worth sending an idempotent request
// again. Timeouts, refused connections, unknown hosts and TLS errors are
// not: waiting would not mend them, or would multiply a long wait.
func Dropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE)
}

// maxBuffer bounds the response body buffer reads to find out whether the
// connection held to the end; a longer body is streamed past it.
const maxBuffer = 32 << 20

// buffer reads resp's body into memory (up to maxBuffer), so that a
// connection dropping mid-body is an error of this attempt, to retry,
// rather than of the caller's read. On error the body is closed.
func buffer(resp *http.Response) error {
	var b bytes.Buffer
	n, err := io.CopyN(&b, resp.Body, maxBuffer)
	switch {
	case err == io.EOF:
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(&b)
		return nil
	case err != nil:
		_ = resp.Body.Close()
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("reading the response after %d bytes: %w", n, err)
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(&b, resp.Body), resp.Body}
	return nil
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.canRetry(req) {
		return t.opts.Base.RoundTrip(req)
	}
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("rewinding the request body to retry %s %s: %w", req.Method, req.URL.Redacted(), err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.opts.Base.RoundTrip(r)
		if err == nil {
			err = buffer(resp)
		}
		if err != nil {
			if !Dropped(err) || ctx.Err() != nil {
				return nil, err
			}
			fail := &Error{Method: req.Method, URL: req.URL.Redacted(), Attempts: attempt, Cause: err, MaxWait: t.opts.MaxWait, Err: ErrExhausted}
			if attempt >= t.opts.MaxAttempts {
				return nil, fail
			}
			wait := t.backoff(attempt)
			if err := t.opts.Sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("waiting %s to retry %s %s after the connection dropped (%v): %w", wait, req.Method, req.URL.Redacted(), fail.Cause, err)
			}
			continue
		}
		wait, asked, retry := t.decide(resp, attempt)
		if !retry {
			return resp, nil
		}
		discard(resp)
		fail := &Error{
			Method:   req.Method,
			URL:      req.URL.Redacted(),
			Attempts: attempt,
			Status:   resp.Status,
			MaxWait:  t.opts.MaxWait,
		}
		if asked && wait > t.opts.MaxWait {
			fail.Wait = wait
			fail.Err = ErrWaitTooLong
			return nil, fail
		}
		if attempt >= t.opts.MaxAttempts {
			fail.Err = ErrExhausted
			return nil, fail
		}
		if err := t.opts.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("waiting %s to retry %s %s after %s: %w", wait, req.Method, req.URL.Redacted(), resp.Status, err)
		}
	}
}

// canRetry reports whether req may be sent again: an idempotent method and a
// body that can be read again.
func (t *Transport) canRetry(req *http.Request) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead && req.Method != "" {
		return false
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// decide says whether resp calls for a retry, how long to wait before it, and
// whether that wait is what the server asked for (asked) or our backoff.
func (t *Transport) decide(resp *http.Response, attempt int) (wait time.Duration, asked, retry bool) {
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests, code == http.StatusForbidden, code >= 500 && code != http.StatusNotImplemented:
	default:
		return 0, false, false
	}
	if d, ok := t.retryAfter(resp.Header); ok {
		return d, true, true
	}
	if code == http.StatusForbidden || code == http.StatusTooManyRequests {
		if d, ok := t.rateLimitReset(resp.Header); ok {
			if d > 0 {
				return d, true, true
			}
			return t.backoff(attempt), false, true
		}
	}
	if code == http.StatusForbidden {
		// A plain 403 is a permission problem, not a rate limit.
		return 0, false, false
	}
	return t.backoff(attempt), false, true
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func (t *Transport) retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(math.MaxInt64/time.Second) {
			// More than time.Duration holds: so long that relman gives up,
			// rather than overflowing to a negative wait (FuzzRetryHeaders).
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if when, err := http.ParseTime(v); err == nil {
		return max(when.Sub(t.opts.Now()), 0), true
	}
	return 0, false
}

// rateLimitReset reads GitHub's x-ratelimit-remaining: 0 with
// x-ratelimit-reset (UTC epoch seconds) into the time left until the reset.
func (t *Transport) rateLimitReset(h http.Header) (time.Duration, bool) {
	if strings.TrimSpace(h.Get("X-Ratelimit-Remaining")) != "0" {
		return 0, false
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-Ratelimit-Reset")), 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Unix(reset, 0).Sub(t.opts.Now()), true
}

// backoff is BaseDelay doubled for every earlier retry, plus up to half of
// that as jitter, capped at MaxWait.
func (t *Transport) backoff(attempt int) time.Duration {
	d := t.opts.BaseDelay
	for i := 1; i < attempt && d < t.opts.MaxWait; i++ {
		d *= 2
	}
	if half := d / 2; half > 0 {
		d += t.opts.Jitter(half)
	}
	return min(d, t.opts.MaxWait)
}

// discard drains a little of a response body we will not use, so the
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// DefaultClient is the HTTP client of the forge clients: the default
// transport with a one-minute wait for response headers, retried by this
// package. It has no overall timeout, so that retry waits are not cut
// short; callers bound requests with their context.
func DefaultClient() *http.Client {
	base := http.DefaultTransport
	if t, ok := base.(*http.Transport); ok {
		t = t.Clone()
		t.ResponseHeaderTimeout = time.Minute
		base = t
	}
	return &http.Client{Transport: New(Options{Base: base})}
}
