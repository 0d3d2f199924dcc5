package forge

import (
	"net/http"
	"net/url"
	"strings"
)

// credentialHeaders are the request headers that carry a forge credential.
var credentialHeaders = []string{"Authorization", "Private-Token", "Job-Token"}

// WithToken returns a copy of hc that adds the header name: value to the
// requests it sends to base's scheme and host, and to no other: a redirect
// to another host, or from https to http, goes without any credential
// header (Authorization, Private-Token, Job-Token). Go's client keeps custom
// headers such as Private-Token on every redirect, and a transport that adds
// the header itself (go-github's WithAuthToken) adds it to every request,
// so the clients set the token here instead. A nil hc is
// http.DefaultClient's configuration.
func WithToken(hc *http.Client, base *url.URL, name, value string) *http.Client {
	out := &http.Client{}
	if hc != nil {
		*out = *hc
	}
	rt := out.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	out.Transport = &tokenTransport{base: rt, origin: origin(base), name: name, value: value}
	return out
}

type tokenTransport struct {
	base        http.RoundTripper
	origin      string
	name, value string
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if origin(req.URL) == t.origin {
		r.Header.Set(t.name, t.value)
	} else {
		for _, h := range credentialHeaders {
			r.Header.Del(h)
		}
	}
	return t.base.RoundTrip(r)
}

// origin is a URL's scheme and host, lower case, without the scheme's
// default port.
func origin(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	scheme := strings.ToLower(u.Scheme)
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}
