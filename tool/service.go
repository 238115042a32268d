package tool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// services is a Tool's state for calling platform services: cached tokens,
// the HTTP client, and the line items PostGrade resolved. The zero value is
// ready; it is safe for concurrent use.
type services struct {
	tokens    tokenCache
	lineItems lineItemCache

	clientOnce sync.Once
	client     *http.Client
}

// Limits on what a service may send back.
const (
	maxServiceBody = 32 << 20 // one successful response (a page of members, line items or results)
	maxPages       = 10000    // pages followed through Link rel="next"
)

// serviceHTTPClient is Config.HTTPClient as used for token and service
// requests: it adds ltikit's User-Agent, keeps no cookies and follows
// redirects only within the origin, so a bearer token or client assertion
// never travels to another host.
func (t *Tool) serviceHTTPClient() *http.Client {
	t.svc.clientOnce.Do(func() {
		c := withUserAgent(t.cfg.HTTPClient)
		c.Jar = nil
		next := c.CheckRedirect
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if !sameOrigin(req.URL, via[0].URL) {
				return http.ErrUseLastResponse
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		}
		t.svc.client = c
	})
	return t.svc.client
}

// sameOrigin reports whether a and b have the same scheme and host.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// Client returns an HTTP client that calls a service of platform p with a
// bearer token for deploymentID and scopes, for services this package does
// not wrap. It fetches (or reuses) the token first and fails with
// [ErrScopeNotGranted] when the platform grants fewer scopes than asked
// for, or with [ErrTokenRequestFailed]. Like every service call, the
// client's requests share the tool's token cache, carry ltikit's
// User-Agent unless they set one, follow redirects only within the origin,
// and are resent once with a new token after a 401 (when their body can be
// replayed, as with bytes.Reader, strings.Reader or no body).
//
// deploymentID goes into the client assertion (SEC-CC-08); pass "" to leave
// it out. The client is safe for concurrent use; don't modify it.
func (t *Tool) Client(ctx context.Context, p *Platform, deploymentID string, scopes ...string) (*http.Client, error) {
	if p == nil {
		return nil, invalidRequest("platform", "no registration given")
	}
	if err := checkActive(p); err != nil {
		return nil, err
	}
	scopes = normScopes(scopes)
	if len(scopes) == 0 {
		return nil, invalidRequest("scope", "no scope given")
	}
	tok, _, err := t.serviceToken(ctx, p, deploymentID, scopes)
	if err != nil {
		return nil, err
	}
	for _, s := range scopes {
		if !tok.grants(s) {
			return nil, notGranted(p, s, tok.granted)
		}
	}
	return t.authClient(p, deploymentID, scopes), nil
}

// authClient is serviceHTTPClient with authTransport for (p, deploymentID,
// scopes).
func (t *Tool) authClient(p *Platform, deploymentID string, scopes []string) *http.Client {
	base := t.serviceHTTPClient()
	c := *base
	c.Transport = &authTransport{t: t, p: p, deploymentID: deploymentID, scopes: scopes, base: base.Transport}
	return &c
}

// authTransport sends requests with a bearer token for one registration,
// deployment and scope set (SEC-CC-07). When the service answers 401 it
// drops the token, fetches a new one and resends the request once
// (SEC-CC-06, AGS-TOK-01): tokens can expire or be revoked early.
type authTransport struct {
	t            *Tool
	p            *Platform
	deploymentID string
	scopes       []string
	base         http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, key, err := a.t.serviceToken(req.Context(), a.p, a.deploymentID, a.scopes)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	res, err := a.base.RoundTrip(bearer(req, tok))
	if err != nil || res.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.GetBody == nil) {
		return res, err
	}
	a.t.svc.tokens.drop(key, tok)
	tok, _, err = a.t.serviceToken(req.Context(), a.p, a.deploymentID, a.scopes)
	if err != nil {
		discard(res)
		return nil, err
	}
	again := bearer(req, tok)
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			discard(res)
			return nil, err
		}
	}
	discard(res)
	return a.base.RoundTrip(again)
}

// bearer returns a copy of req that carries tok.
func bearer(req *http.Request, tok *serviceToken) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.access)
	return r
}

// discard drains a little of res's body, so the connection can be reused,
// and closes it.
func discard(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
	res.Body.Close()
}

// errBodyTooLarge reports a response body over its limit.
var errBodyTooLarge = errors.New("response body too large")

// readLimited reads r to the end, or its first n bytes and errBodyTooLarge.
func readLimited(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n+1))
	if err == nil && int64(len(b)) > n {
		return b[:n], errBodyTooLarge
	}
	return b, err
}

// normScopes returns scopes sorted, without duplicates or empty entries.
func normScopes(scopes []string) []string {
	out := slices.DeleteFunc(slices.Clone(scopes), func(s string) bool { return s == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// notGranted is the error for a scope the token endpoint did not grant.
func notGranted(p *Platform, scope string, granted []string) *Error {
	return &Error{Code: CodeScopeNotGranted, Issuer: p.Issuer, ClientID: p.ClientID,
		Detail: fmt.Sprintf("the platform did not grant %s (granted: %s)", scope, strings.Join(granted, " "))}
}

// service calls one kind of platform service for one deployment. It is
// immutable and safe for concurrent use.
type service struct {
	t            *Tool
	platform     *Platform // nil: looked up by issuer and clientID on every call
	issuer       string
	clientID     string
	deploymentID string
	// scopes are the scopes to request, as the launch's claim lists them
	// (sorted, deduplicated). Empty: request only what each call needs.
	scopes []string
	// pageCap overrides maxPages (tests).
	pageCap int
}

// call is one request to a service.
type call struct {
	method, url string
	accept      string   // exact media type (AGS-MT-02), or ""
	contentType string   // exact media type, or ""
	body        []byte   // nil: no body
	need        []string // the call needs one of these scopes
	// sticky are query parameters every page must carry: pages adds
	// those a next link dropped (Moodle's NRPS next links drop role).
	sticky url.Values
}

// registration returns the platform the service belongs to.
func (s *service) registration(ctx context.Context) (*Platform, error) {
	if s.platform == nil {
		return s.t.platform(ctx, s.issuer, s.clientID)
	}
	return s.platform, checkActive(s.platform)
}

// checkActive refuses a registration that is disabled or pending approval:
// it may not call services either.
func checkActive(p *Platform) error {
	if p.Active() {
		return nil
	}
	return &Error{Code: CodeInactivePlatform, Detail: "the registration is disabled or pending approval",
		Issuer: p.Issuer, ClientID: p.ClientID}
}

// do sends c and returns the body and header of a 2xx response. Any other
// outcome is an *Error: a scope not granted, a token failure, or a service
// code whose cause is a *ServiceError.
func (s *service) do(ctx context.Context, c call) ([]byte, http.Header, error) {
	if _, err := serviceURL(c.url); err != nil {
		return nil, nil, invalidRequest("url", "%v", err)
	}
	p, err := s.registration(ctx)
	if err != nil {
		return nil, nil, err
	}
	scopes := s.scopes
	if len(scopes) == 0 {
		scopes = c.need[:1]
	} else if !slices.ContainsFunc(c.need, func(n string) bool { return slices.Contains(scopes, n) }) {
		return nil, nil, &Error{Code: CodeScopeNotGranted, Issuer: p.Issuer, ClientID: p.ClientID,
			Detail: fmt.Sprintf("the launch does not grant %s", strings.Join(c.need, " or "))}
	}
	tok, _, err := s.t.serviceToken(ctx, p, s.deploymentID, scopes)
	if err != nil {
		return nil, nil, err
	}
	if !tok.grants(c.need...) {
		return nil, nil, notGranted(p, strings.Join(c.need, " or "), tok.granted)
	}
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, body)
	if err != nil {
		return nil, nil, invalidRequest("url", "%v", err)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	res, err := s.t.authClient(p, s.deploymentID, scopes).Do(req)
	if err != nil {
		var e *Error
		if errors.As(err, &e) { // the token request inside the transport failed
			return nil, nil, e
		}
		return nil, nil, (&ServiceError{Method: c.method, URL: c.url, Err: err}).failure()
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, nil, newServiceError(req, res, s.t.cfg.Now()).failure()
	}
	data, err := readLimited(res.Body, maxServiceBody)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return nil, nil, &Error{Code: CodeBadServiceResponse,
			Detail: fmt.Sprintf("%s %s: response larger than %d bytes", c.method, c.url, maxServiceBody)}
	case err != nil:
		return nil, nil, (&ServiceError{Method: c.method, URL: c.url, Err: err}).failure()
	}
	return data, res.Header, nil
}

// serviceURL parses a service URL: absolute http(s), https unless the host
// is a loopback address, like the registration's URLs.
func serviceURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("no URL")
	}
	return parseURL(s)
}

// badResponse is the error for a 2xx response that cannot be read.
func badResponse(method, u, what string, err error) *Error {
	return &Error{Code: CodeBadServiceResponse, Detail: fmt.Sprintf("%s %s: not a valid %s", method, u, what), Err: err}
}
