// Package faultproxy is a TCP proxy on loopback for fault tests: it sits
// between relman and a server (a git remote over smart HTTP, a forge API,
// S3) and, following rules, drops or stalls chosen connections or HTTP
// requests at chosen points: before the request reaches the server, after
// the server answered but before the client hears it, in the middle of a
// request body, or by holding the connection until the client gives up.
//
// It is deterministic (no randomness: a rule names the request, or the
// connection, and how many of them to fault) and counts every fault it
// injects. It reads HTTP/1.1 request framing (Content-Length and chunked
// bodies) to tell requests apart on a kept-alive connection, and forwards
// the bytes unchanged; anything that is not HTTP is forwarded as a plain
// byte stream.
package faultproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Action is what a rule does to the traffic it matches.
type Action int

// Actions.
const (
	// Drop closes the connection before anything of the matched request
	// (or, for a connection rule, anything at all) reaches the server.
	Drop Action = iota + 1
	// DropAfterRequest forwards the whole request, reads the server's whole
	// response, and closes the connection without passing the response on:
	// the server acted, the client never learns. Interim 1xx responses
	// (100 Continue) are passed on. Request rules only.
	DropAfterRequest
	// DropMidBody forwards the request head and After bytes of its body (as
	// sent on the wire, chunk framing included), then closes the
	// connection; After should be less than the body's length, or the
	// server may act on the whole request first. For a connection rule,
	// After bytes of the client's stream.
	DropMidBody
	// Stall forwards nothing more and holds the connection open until the
	// client closes it (its timeout) or the proxy is closed.
	Stall
)

func (a Action) String() string {
	switch a {
	case Drop:
		return "drop"
	case DropAfterRequest:
		return "drop-after-request"
	case DropMidBody:
		return "drop-mid-body"
	case Stall:
		return "stall"
	}
	return "action(" + strconv.Itoa(int(a)) + ")"
}

// Always, as Rule.Times, faults every match.
const Always = -1

// Rule says which traffic to fault and how. Exactly one of Request and
// Conn is set.
type Rule struct {
	// Name labels the rule in Stats; the action when empty.
	Name string
	// Request matches the HTTP requests whose request line starts with it,
	// e.g. "POST /remote.git/git-receive-pack" or
	// "PUT /bucket/prefix/.relman/releases/".
	Request string
	// Conn matches the n-th connection the proxy accepts (1-based),
	// whatever it carries.
	Conn   int
	Action Action
	// After is, for DropMidBody, how many bytes are forwarded before the
	// drop.
	After int64
	// Skip lets the first Skip matches through unharmed.
	Skip int
	// Times is how many matches (after Skip) are faulted: 0 means 1,
	// Always means every one.
	Times int
}

func (r Rule) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Action.String()
}

func (r Rule) validate() error {
	switch {
	case (r.Request == "") == (r.Conn == 0):
		return fmt.Errorf("rule %q: set exactly one of Request and Conn", r.label())
	case r.Conn < 0:
		return fmt.Errorf("rule %q: Conn %d: connections count from 1", r.label(), r.Conn)
	case r.Action < Drop || r.Action > Stall:
		return fmt.Errorf("rule %q: unknown action %d", r.label(), r.Action)
	case r.Action == DropAfterRequest && r.Request == "":
		return fmt.Errorf("rule %q: drop-after-request needs a Request to wait for", r.label())
	case r.Action == DropMidBody && r.After < 0:
		return fmt.Errorf("rule %q: After %d is negative", r.label(), r.After)
	case r.Skip < 0 || r.Times < Always:
		return fmt.Errorf("rule %q: Skip and Times must not be negative (Times may be Always)", r.label())
	}
	return nil
}

// Stat counts one rule's matches and the faults it injected.
type Stat struct {
	Name     string
	Matched  int
	Injected int
}

type rule struct {
	Rule
	matched, injected int
}

// fire counts a match and reports whether it is to be faulted.
func (r *rule) fire() bool {
	r.matched++
	if r.matched <= r.Skip {
		return false
	}
	times := r.Times
	if times == 0 {
		times = 1
	}
	if times != Always && r.injected >= times {
		return false
	}
	r.injected++
	return true
}

// Proxy forwards the connections it accepts on a loopback port to a target.
type Proxy struct {
	ln     net.Listener
	target string // host:port
	url    string // the target URL as given, rewritten to the proxy

	mu       sync.Mutex
	rules    []*rule
	conns    int
	injected int
	requests []string
	open     map[net.Conn]bool
	closed   bool
	wg       sync.WaitGroup
}

// New listens on a free loopback port and forwards to target, a host:port
// or an http URL (whose host is used; URL keeps its path).
func New(target string) (*Proxy, error) {
	hostport, rest := target, ""
	if strings.Contains(target, "://") {
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("faultproxy: target %q: want host:port or an http URL", target)
		}
		hostport = u.Host
		u.Scheme, u.Host = "", ""
		rest = u.String()
	}
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen on loopback: %w", err)
	}
	p := &Proxy{ln: ln, target: hostport, url: "http://" + ln.Addr().String() + rest, open: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Start is New for a test: it fails the test on error and closes the proxy
// when the test ends.
func Start(t testing.TB, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL is the target URL given to New with the proxy's address as its host:
// the URL clients use to go through the proxy.
func (p *Proxy) URL() string { return p.url }

// Set replaces the rules; their counts start from zero. Set() with no rule
// forwards everything unharmed.
func (p *Proxy) Set(rules ...Rule) error {
	rs := make([]*rule, len(rules))
	for i, r := range rules {
		if err := r.validate(); err != nil {
			return fmt.Errorf("faultproxy: %w", err)
		}
		rs[i] = &rule{Rule: r}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = rs
	return nil
}

// MustSet is Set for tests: a bad rule fails the test.
func (p *Proxy) MustSet(t testing.TB, rules ...Rule) {
	t.Helper()
	if err := p.Set(rules...); err != nil {
		t.Fatal(err)
	}
}

// Injected is the number of faults injected since the proxy started.
func (p *Proxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// Stats counts, per rule of the current set, its matches and faults.
func (p *Proxy) Stats() []Stat {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Stat, len(p.rules))
	for i, r := range p.rules {
		out[i] = Stat{Name: r.label(), Matched: r.matched, Injected: r.injected}
	}
	return out
}

// Requests lists the request lines seen, in order, each followed by the
// fault it met, if any: "POST /x HTTP/1.1 [drop]", or "PUT /x HTTP/1.1
// [drop-mid-body after 10 of 20 bytes]".
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Conns is the number of connections accepted.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// Close stops accepting, closes every connection (ending stalls) and waits
// for the forwarding to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	for c := range p.open {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		p.conns++
		n := p.conns
		p.open[c] = true
		var hit *rule
		for _, r := range p.rules {
			if r.Conn == n && r.fire() {
				hit = r
				p.injected++
				break
			}
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			p.serve(c, hit)
		}()
	}
}

// track registers a connection so that Close ends it; false when closing.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.open[c] = true
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.open, c)
		_ = c.Close()
	}
}

// matchRequest finds the rule that faults a request, counting it.
func (p *Proxy) matchRequest(line string, b body) *rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	var hit *rule
	for _, r := range p.rules {
		if r.Request != "" && strings.HasPrefix(line, r.Request) && r.fire() {
			hit = r
			p.injected++
			break
		}
	}
	entry := line
	switch {
	case hit != nil && hit.Action == DropMidBody && b.chunked:
		entry += fmt.Sprintf(" [%s after %d bytes of a chunked body]", hit.Action, hit.After)
	case hit != nil && hit.Action == DropMidBody:
		entry += fmt.Sprintf(" [%s after %d of %d bytes]", hit.Action, hit.After, b.length)
	case hit != nil:
		entry += " [" + hit.Action.String() + "]"
	}
	p.requests = append(p.requests, entry)
	return hit
}

// conn is one proxied connection.
type conn struct {
	p              *Proxy
	client, server net.Conn
	// swallow, once set, makes the server-to-client side read the response
	// to this request and drop the connection instead of passing it on.
	mu      sync.Mutex
	swallow *http.Request
}

func (p *Proxy) serve(client net.Conn, hit *rule) {
	defer p.untrack(client)
	if hit != nil && hit.Action == Drop {
		return
	}
	if hit != nil && hit.Action == Stall {
		hold(client)
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(server) {
		_ = server.Close()
		return
	}
	defer p.untrack(server)
	c := &conn{p: p, client: client, server: server}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.toClient()
	}()
	if hit != nil { // DropMidBody on a connection rule
		_, _ = io.CopyN(server, client, hit.After)
		p.untrack(client, server)
		<-done
		return
	}
	c.toServer()
	<-done
}

// hold reads and discards what the client sends until it closes the
// connection (or the proxy does).
func hold(c net.Conn) {
	_, _ = io.Copy(io.Discard, c)
}

// toServer forwards the client's requests one by one, applying the rules.
// When the client's stream ends, the server's side is half-closed so that
// its last answer still reaches the client; a fault closes both sides.
func (c *conn) toServer() {
	if c.forward() {
		if tc, ok := c.server.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
			return
		}
	}
	c.closeBoth()
}

// forward does toServer's work; false when the connection is to be closed.
func (c *conn) forward() bool {
	br := bufio.NewReader(c.client)
	for {
		head, err := readHead(br)
		switch {
		case errors.Is(err, errNotHTTP):
			// Not HTTP: a plain byte stream from here on.
			return c.raw(head, br)
		case err != nil:
			return len(head) == 0 // else a request cut short by the client
		}
		line, method, body, err := parseHead(head)
		if err != nil {
			return c.raw(head, br)
		}
		hit := c.p.matchRequest(line, body)
		var action Action
		if hit != nil {
			action = hit.Action
		}
		switch action {
		case Drop:
			return false
		case Stall:
			hold(c.client)
			return false
		case DropAfterRequest:
			c.setSwallow(&http.Request{Method: method})
		}
		if _, err := c.server.Write(head); err != nil {
			return false
		}
		limit := int64(-1)
		if action == DropMidBody {
			limit = hit.After
		}
		full, err := body.copy(c.server, br, limit)
		if err != nil || !full || action == DropMidBody {
			return false
		}
		if action == DropAfterRequest {
			// toClient reads the response and closes the connection.
			hold(c.client)
			return false
		}
	}
}

// raw forwards head and the rest of the client's stream as they are.
func (c *conn) raw(head []byte, br *bufio.Reader) bool {
	if _, err := c.server.Write(head); err != nil {
		return false
	}
	_, err := io.Copy(c.server, br)
	return err == nil
}

func (c *conn) setSwallow(req *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.swallow = req
}

func (c *conn) swallowing() *http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.swallow
}

// toClient passes the server's bytes on, until a request is to be
// swallowed: then it reads that response and closes the connection.
func (c *conn) toClient() {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			if req := c.swallowing(); req != nil {
				// No pipelining: these bytes answer the swallowed request.
				c.swallowResponse(io.MultiReader(bytes.NewReader(buf[:n]), c.server), req)
				return
			}
			if _, werr := c.client.Write(buf[:n]); werr != nil {
				c.closeBoth()
				return
			}
		}
		if err != nil {
			if req := c.swallowing(); req != nil {
				return // the server closed before answering
			}
			if tc, ok := c.client.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

func (c *conn) swallowResponse(r io.Reader, req *http.Request) {
	defer c.closeBoth()
	br := bufio.NewReader(r)
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			// An interim answer (100 Continue) the client waits for before
			// sending the body: pass it on.
			var b bytes.Buffer
			fmt.Fprintf(&b, "HTTP/%d.%d %s\r\n", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
			_ = resp.Header.Write(&b)
			b.WriteString("\r\n")
			if _, err := c.client.Write(b.Bytes()); err != nil {
				return
			}
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return
	}
}

func (c *conn) closeBoth() {
	_ = c.client.Close()
	_ = c.server.Close()
}

// errNotHTTP says the client's bytes do not start an HTTP/1 request.
var errNotHTTP = errors.New("not an HTTP/1 request")

// maxHead bounds a request head.
const maxHead = 1 << 20

// readHead reads a request head up to and including its blank line. On
// errNotHTTP the bytes read so far are returned to be forwarded as they are.
func readHead(br *bufio.Reader) ([]byte, error) {
	var head []byte
	for {
		line, err := br.ReadSlice('\n')
		head = append(head, line...)
		if err == bufio.ErrBufferFull {
			if len(head) > maxHead {
				return head, errNotHTTP
			}
			continue
		}
		if err != nil {
			if len(head) > 0 && !looksHTTP(head) {
				return head, errNotHTTP
			}
			return head, err
		}
		blank := string(line) == "\r\n" || string(line) == "\n"
		if blank && len(head) == len(line) {
			head = head[:0] // a stray blank line between requests
			continue
		}
		if !looksHTTP(head) {
			return head, errNotHTTP
		}
		if blank {
			return head, nil
		}
		if len(head) > maxHead {
			return head, errNotHTTP
		}
	}
}

// looksHTTP reports whether b starts like an HTTP/1 request line: an
// upper-case method and a space.
func looksHTTP(b []byte) bool {
	for i, ch := range b {
		switch {
		case ch == ' ' && i > 0:
			return true
		case ch < 'A' || ch > 'Z':
			return false
		}
	}
	return true // too short to tell yet
}

// body is a request body's framing.
type body struct {
	length  int64 // Content-Length (0 when none)
	chunked bool
}

// parseHead returns the request line (without CRLF), the method and the
// body framing of a request head.
func parseHead(head []byte) (line, method string, b body, err error) {
	lines := strings.Split(strings.TrimRight(string(head), "\r\n"), "\n")
	line = strings.TrimRight(lines[0], "\r")
	method, _, ok := strings.Cut(line, " ")
	if !ok {
		return "", "", body{}, errNotHTTP
	}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(strings.TrimRight(l, "\r"), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "content-length":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return "", "", body{}, fmt.Errorf("content-length %q", v)
			}
			b.length = n
		case "transfer-encoding":
			if strings.Contains(strings.ToLower(v), "chunked") {
				b.chunked = true
			}
		}
	}
	return line, method, b, nil
}

// copy forwards the body from r to w: all of it when limit < 0 (full is
// true then), else at most limit bytes of it (full is true only when the
// body is no longer than that).
func (b body) copy(w io.Writer, r *bufio.Reader, limit int64) (full bool, err error) {
	lw := &limitWriter{w: w, left: limit}
	if !b.chunked {
		if _, err := io.CopyN(lw, r, b.length); err != nil {
			return false, err
		}
		return !lw.cut, nil
	}
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if _, err := lw.Write(line); err != nil {
			return false, err
		}
		sizeText, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		size, err := strconv.ParseInt(sizeText, 16, 64)
		if err != nil || size < 0 {
			return false, fmt.Errorf("chunk size %q", sizeText)
		}
		if size == 0 {
			break
		}
		if _, err := io.CopyN(lw, r, size+2); err != nil { // the data and its CRLF
			return false, err
		}
	}
	for { // trailers, up to the blank line
		line, err := r.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		if _, err := lw.Write(line); err != nil {
			return false, err
		}
		if strings.TrimSpace(string(line)) == "" {
			return !lw.cut, nil
		}
	}
}

// errCut stops a copy at its limit.
var errCut = errors.New("faultproxy: body cut")

// limitWriter writes at most left bytes (all when left < 0), then fails
// with errCut.
type limitWriter struct {
	w    io.Writer
	left int64
	cut  bool
}

func (l *limitWriter) Write(b []byte) (int, error) {
	if l.left < 0 {
		return l.w.Write(b)
	}
	if int64(len(b)) <= l.left {
		n, err := l.w.Write(b)
		l.left -= int64(n)
		return n, err
	}
	n, err := l.w.Write(b[:l.left])
	l.left -= int64(n)
	l.cut = true
	if err != nil {
		return n, err
	}
	return n, errCut
}
