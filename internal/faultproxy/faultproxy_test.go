package faultproxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/faultproxy"
)

// recorder is a server that records the requests it handled to the end,
// with their bodies, and those whose body was cut short.
type recorder struct {
	mu   sync.Mutex
	done []string // "METHOD /path body"
	cut  []string
	srv  *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.cut = append(r.cut, req.Method+" "+req.URL.Path)
			return
		}
		r.done = append(r.done, req.Method+" "+req.URL.Path+" "+string(b))
		_, _ = io.WriteString(w, "ok "+req.URL.Path)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) handled() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.done...)
}

func (r *recorder) cutShort() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.cut...)
}

// call sends one request through a client that keeps connections alive.
func call(ctx context.Context, c *http.Client, method, url, body string, chunked bool) (string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // unknown length: sent chunked
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestPassThrough(t *testing.T) {
	rec := newRecorder(t)
	p := faultproxy.Start(t, rec.srv.URL)
	c := &http.Client{Transport: &http.Transport{}}
	steps := []struct {
		method, path, body string
		chunked            bool
	}{
		{"GET", "/a", "", false},
		{"POST", "/b", "hello", false},
		{"PUT", "/c", strings.Repeat("x", 100_000), true},
		{"GET", "/d", "", false},
	}
	for _, s := range steps {
		got, err := call(t.Context(), c, s.method, p.URL()+s.path, s.body, s.chunked)
		if err != nil || got != "ok "+s.path {
			t.Fatalf("%s %s: %q, %v", s.method, s.path, got, err)
		}
	}
	want := []string{"GET /a ", "POST /b hello", "PUT /c " + strings.Repeat("x", 100_000), "GET /d "}
	if diff := cmp.Diff(want, rec.handled()); diff != "" {
		t.Errorf("server saw (-want +got):\n%s", diff)
	}
	if p.Conns() != 1 {
		t.Errorf("%d connections, want 1 kept alive", p.Conns())
	}
	if diff := cmp.Diff([]string{"GET /a HTTP/1.1", "POST /b HTTP/1.1", "PUT /c HTTP/1.1", "GET /d HTTP/1.1"}, p.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if p.Injected() != 0 {
		t.Errorf("injected %d faults without rules", p.Injected())
	}
}

func TestRequestFaults(t *testing.T) {
	tests := []struct {
		name    string
		rule    faultproxy.Rule
		chunked bool
		// what the server handled and cut short of the faulted POST /w
		wantHandled []string
		wantCut     []string
	}{
		{
			name:        "drop before the request reaches the server",
			rule:        faultproxy.Rule{Request: "POST /w", Action: faultproxy.Drop},
			wantHandled: []string{"GET /before ", "GET /after "},
		},
		{
			name:        "drop after the server answered",
			rule:        faultproxy.Rule{Request: "POST /w", Action: faultproxy.DropAfterRequest},
			wantHandled: []string{"GET /before ", "POST /w 0123456789", "GET /after "},
		},
		{
			name:        "drop after the server answered, chunked body",
			rule:        faultproxy.Rule{Request: "POST /w", Action: faultproxy.DropAfterRequest},
			chunked:     true,
			wantHandled: []string{"GET /before ", "POST /w 0123456789", "GET /after "},
		},
		{
			name:        "drop in the middle of the body",
			rule:        faultproxy.Rule{Request: "POST /w", Action: faultproxy.DropMidBody, After: 4},
			wantHandled: []string{"GET /before ", "GET /after "},
			wantCut:     []string{"POST /w"},
		},
		{
			name:        "drop in the middle of a chunked body",
			rule:        faultproxy.Rule{Request: "POST /w", Action: faultproxy.DropMidBody, After: 6},
			chunked:     true,
			wantHandled: []string{"GET /before ", "GET /after "},
			wantCut:     []string{"POST /w"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			p := faultproxy.Start(t, rec.srv.URL)
			p.MustSet(t, tt.rule)
			c := &http.Client{Transport: &http.Transport{}}
			if _, err := call(t.Context(), c, "GET", p.URL()+"/before", "", false); err != nil {
				t.Fatal(err)
			}
			if got, err := call(t.Context(), c, "POST", p.URL()+"/w", "0123456789", tt.chunked); err == nil {
				t.Fatalf("the faulted request succeeded: %q", got)
			}
			// Times defaults to 1: the next request passes.
			if _, err := call(t.Context(), c, "GET", p.URL()+"/after", "", false); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantHandled, rec.handled()); diff != "" {
				t.Errorf("server handled (-want +got):\n%s", diff)
			}
			if eventually(func() bool { return len(rec.cutShort()) == len(tt.wantCut) }); !cmp.Equal(tt.wantCut, rec.cutShort()) {
				t.Errorf("server saw cut short %q, want %q", rec.cutShort(), tt.wantCut)
			}
			if p.Injected() != 1 {
				t.Errorf("injected %d, want 1", p.Injected())
			}
			want := []faultproxy.Stat{{Name: tt.rule.Action.String(), Matched: 1, Injected: 1}}
			if diff := cmp.Diff(want, p.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// eventually polls cond for a second: the server notices a cut body a
// moment after the client's error.
func eventually(cond func() bool) bool {
	for range 100 {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func TestDropAfterRequestPassesContinue(t *testing.T) {
	rec := newRecorder(t)
	p := faultproxy.Start(t, rec.srv.URL)
	p.MustSet(t, faultproxy.Rule{Request: "PUT /big", Action: faultproxy.DropAfterRequest})
	c := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	req, err := http.NewRequestWithContext(t.Context(), "PUT", p.URL()+"/big", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Expect", "100-continue")
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the faulted request succeeded")
	}
	if diff := cmp.Diff([]string{"PUT /big payload"}, rec.handled()); diff != "" {
		t.Errorf("server handled (-want +got):\n%s", diff)
	}
}

func TestStallHoldsUntilTheClientGivesUp(t *testing.T) {
	rec := newRecorder(t)
	p := faultproxy.Start(t, rec.srv.URL)
	p.MustSet(t, faultproxy.Rule{Request: "GET /slow", Action: faultproxy.Stall})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := call(ctx, http.DefaultClient, "GET", p.URL()+"/slow", "", false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the stall outlived the client's deadline: %s", d)
	}
	if len(rec.handled()) != 0 {
		t.Errorf("server handled %q", rec.handled())
	}
}

func TestCloseEndsStalls(t *testing.T) {
	rec := newRecorder(t)
	p, err := faultproxy.New(rec.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.MustSet(t, faultproxy.Rule{Request: "GET", Action: faultproxy.Stall})
	errc := make(chan error, 1)
	go func() {
		_, err := call(t.Context(), http.DefaultClient, "GET", p.URL()+"/x", "", false)
		errc <- err
	}()
	if !eventually(func() bool { return len(p.Requests()) == 1 }) {
		t.Fatal("the request did not reach the proxy")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Fatal("the stalled request succeeded")
	}
}

func TestSkipAndTimes(t *testing.T) {
	rec := newRecorder(t)
	p := faultproxy.Start(t, rec.srv.URL)
	p.MustSet(t,
		faultproxy.Rule{Name: "third and fourth GET /n", Request: "GET /n", Action: faultproxy.Drop, Skip: 2, Times: 2},
		faultproxy.Rule{Name: "every GET /always", Request: "GET /always", Action: faultproxy.Drop, Times: faultproxy.Always},
	)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var failed []int
	for i := 1; i <= 6; i++ {
		if _, err := call(t.Context(), c, "GET", p.URL()+"/n", "", false); err != nil {
			failed = append(failed, i)
		}
	}
	if diff := cmp.Diff([]int{3, 4}, failed); diff != "" {
		t.Errorf("failed requests (-want +got):\n%s", diff)
	}
	for range 3 {
		if _, err := call(t.Context(), c, "GET", p.URL()+"/always", "", false); err == nil {
			t.Error("GET /always succeeded")
		}
	}
	want := []faultproxy.Stat{{Name: "third and fourth GET /n", Matched: 6, Injected: 2}, {Name: "every GET /always", Matched: 3, Injected: 3}}
	if diff := cmp.Diff(want, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if p.Injected() != 5 {
		t.Errorf("injected %d, want 5", p.Injected())
	}
	// A new set starts counting again; the total goes on.
	p.MustSet(t)
	if _, err := call(t.Context(), c, "GET", p.URL()+"/always", "", false); err != nil {
		t.Fatal(err)
	}
	if p.Injected() != 5 || len(p.Stats()) != 0 {
		t.Errorf("after Set(): injected %d, stats %v", p.Injected(), p.Stats())
	}
}

// sink is a plain TCP server that records what each connection sent.
func sink(t *testing.T) (addr string, got func() []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var seen []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				b, _ := io.ReadAll(c)
				mu.Lock()
				seen = append(seen, string(b))
				mu.Unlock()
				_, _ = c.Write([]byte("bye"))
			}()
		}
	}()
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestConnectionRules(t *testing.T) {
	addr, got := sink(t)
	p := faultproxy.Start(t, addr)
	p.MustSet(t,
		faultproxy.Rule{Conn: 2, Action: faultproxy.Drop},
		faultproxy.Rule{Conn: 3, Action: faultproxy.DropMidBody, After: 5},
	)
	send := func(msg string) string {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte(msg))
		_ = c.(*net.TCPConn).CloseWrite()
		b, _ := io.ReadAll(c)
		return string(b)
	}
	// Not HTTP: forwarded as a byte stream, both ways.
	if r := send("\x00binary stream\n"); r != "bye" {
		t.Errorf("first connection answered %q", r)
	}
	if r := send("dropped"); r != "" {
		t.Errorf("dropped connection answered %q", r)
	}
	send("0123456789")
	if !eventually(func() bool { return len(got()) == 2 }) {
		t.Fatalf("server saw %q", got())
	}
	if diff := cmp.Diff([]string{"\x00binary stream\n", "01234"}, got()); diff != "" {
		t.Errorf("server saw (-want +got):\n%s", diff)
	}
	if p.Injected() != 2 || p.Conns() != 3 {
		t.Errorf("injected %d in %d connections, want 2 in 3", p.Injected(), p.Conns())
	}
}

func TestBadRules(t *testing.T) {
	p := faultproxy.Start(t, "127.0.0.1:1")
	for _, r := range []faultproxy.Rule{
		{Action: faultproxy.Drop},
		{Request: "GET", Conn: 1, Action: faultproxy.Drop},
		{Conn: 1, Action: faultproxy.DropAfterRequest},
		{Request: "GET"},
		{Request: "GET", Action: faultproxy.Drop, Times: -2},
	} {
		if err := p.Set(r); err == nil {
			t.Errorf("rule %+v accepted", r)
		}
	}
	if _, err := faultproxy.New("no-port"); err == nil {
		t.Error("target without a port accepted")
	}
}

func TestURLKeepsThePath(t *testing.T) {
	p := faultproxy.Start(t, "http://127.0.0.1:9/remote.git")
	if want := "http://" + p.Addr() + "/remote.git"; p.URL() != want {
		t.Errorf("URL = %q, want %q", p.URL(), want)
	}
}
