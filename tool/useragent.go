package tool

import "net/http"

// userAgent names ltikit in every outbound request. Canvas refuses service
// calls without a User-Agent, and platform administrators find the tool in
// their logs by it.
const userAgent = "ltikit/0.1 (+https://github.com/ltikit/ltikit)"

// userAgentTransport sets userAgent on requests that carry no User-Agent of
// their own.
type userAgentTransport struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper. It leaves req unchanged, as the
// interface requires, and sends a copy.
func (u userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") != "" {
		return u.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", userAgent)
	return u.base.RoundTrip(r)
}

// withUserAgent returns a copy of c whose requests carry ltikit's User-Agent
// unless they set one. Timeout, Jar and CheckRedirect are kept.
func withUserAgent(c *http.Client) *http.Client {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out := *c
	out.Transport = userAgentTransport{base: base}
	return &out
}
