package retry_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/forge/retry"
)

// attempt is one canned outcome of dropBase: an error, or a response whose
// body fails with bodyErr after its text.
type attempt struct {
	err     error
	body    string
	bodyErr error
}

type dropBase struct {
	attempts []attempt
	calls    int
}

func (d *dropBase) RoundTrip(req *http.Request) (*http.Response, error) {
	if d.calls >= len(d.attempts) {
		return nil, errors.New("unexpected attempt")
	}
	a := d.attempts[d.calls]
	d.calls++
	if a.err != nil {
		return nil, a.err
	}
	var body io.Reader = strings.NewReader(a.body)
	if a.bodyErr != nil {
		body = io.MultiReader(body, errReader{a.bodyErr})
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: io.NopCloser(body), Request: req}, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestDroppedConnections(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name       string
		method     string
		attempts   []attempt
		wantBody   string
		wantSleeps []time.Duration
		wantErr    []error
		wantInErr  string
	}{
		{
			name:       "EOF before the response is retried",
			attempts:   []attempt{{err: io.EOF}, {body: "ok"}},
			wantBody:   "ok",
			wantSleeps: []time.Duration{1500 * time.Millisecond},
		},
		{
			name:       "a connection reset mid-body is retried",
			attempts:   []attempt{{body: `{"half":`, bodyErr: reset}, {body: `{"whole":1}`}},
			wantBody:   `{"whole":1}`,
			wantSleeps: []time.Duration{1500 * time.Millisecond},
		},
		{
			name:       "a body cut short is retried",
			attempts:   []attempt{{body: `[1,2`, bodyErr: io.ErrUnexpectedEOF}, {body: `[1,2,3]`}},
			wantBody:   `[1,2,3]`,
			wantSleeps: []time.Duration{1500 * time.Millisecond},
		},
		{
			name:       "drops every time: give up with the cause",
			attempts:   []attempt{{err: reset}, {err: io.EOF}, {err: reset}, {err: io.ErrUnexpectedEOF}, {err: reset}},
			wantSleeps: []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 12 * time.Second},
			wantErr:    []error{retry.ErrExhausted, syscall.ECONNRESET},
			wantInErr:  "giving up after 5 attempts, the connection dropped each time (the last: read tcp: connection reset by peer)",
		},
		{
			name:      "a dropped POST is not sent again: the server may have acted",
			method:    http.MethodPost,
			attempts:  []attempt{{err: io.EOF}},
			wantErr:   []error{io.EOF},
			wantInErr: "EOF",
		},
		{
			name:      "a timeout is not retried",
			attempts:  []attempt{{err: timeoutErr{}}},
			wantErr:   []error{timeoutErr{}},
			wantInErr: "i/o timeout",
		},
		{
			name:      "a refused connection is not retried",
			attempts:  []attempt{{err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}},
			wantErr:   []error{syscall.ECONNREFUSED},
			wantInErr: "connection refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := &dropBase{attempts: tt.attempts}
			var sleeps []time.Duration
			tr := retry.New(retry.Options{
				Base:   base,
				Sleep:  func(_ context.Context, d time.Duration) error { sleeps = append(sleeps, d); return nil },
				Jitter: func(d time.Duration) time.Duration { return d },
			})
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequestWithContext(t.Context(), method, "https://forge.example/api", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.RoundTrip(req)
			if tt.wantErr != nil {
				if err == nil {
					resp.Body.Close()
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !errors.Is(err, w) {
						t.Errorf("error %v is not %v", err, w)
					}
				}
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("error %q does not say %q", err, tt.wantInErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != tt.wantBody {
					t.Errorf("body %q, %v; want %q", b, err, tt.wantBody)
				}
			}
			if diff := cmp.Diff(tt.wantSleeps, sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if base.calls != len(tt.attempts) {
				t.Errorf("%d attempts, want %d", base.calls, len(tt.attempts))
			}
		})
	}
}

func TestDroppedStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	base := &dropBase{attempts: []attempt{{err: io.EOF}}}
	tr := retry.New(retry.Options{Base: base, Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://forge.example/api", nil)
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "after the connection dropped (EOF)") {
		t.Fatalf("error = %v, want context.Canceled saying the connection dropped", err)
	}
}

func TestLongBodyIsStreamed(t *testing.T) {
	long := strings.Repeat("x", 32<<20+10)
	base := &dropBase{attempts: []attempt{{body: long}}}
	tr := retry.New(retry.Options{Base: base})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://forge.example/big", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != len(long) {
		t.Fatalf("read %d bytes, %v; want %d", len(b), err, len(long))
	}
}
