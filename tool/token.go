package tool

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Service tokens: OAuth2 client_credentials with a JWT client assertion
// (LTI Security Framework §4, SEC-CC-01 to SEC-CC-08).
//
// The token request itself goes through x/oauth2's clientcredentials
// package, which posts exactly application/x-www-form-urlencoded, reads a
// JSON answer whatever its Content-Type (Moodle serves it as text/html) and
// keeps a refused request's status and body in *oauth2.RetrieveError. Its
// ReuseTokenSource is not used: it reads the wall clock instead of
// Config.Now, binds the first caller's context, and cannot drop a token the
// service rejected with 401. tokenCache does those three things instead.

const (
	// assertionType is the client_assertion_type of a JWT client assertion.
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// assertionBackdate moves the assertion's iat into the past: Moodle
	// refuses an iat even a second ahead of its clock (zero leeway).
	assertionBackdate = 5 * time.Second
	// assertionLifetime is the assertion's exp after its creation.
	assertionLifetime = 5 * time.Minute
	// defaultTokenLifetime is assumed when the token endpoint sends no
	// expires_in; a 401 from the service still replaces the token early.
	defaultTokenLifetime = 5 * time.Minute
	// tokenExpiryMargin stops reusing a token this long before it expires
	// (at most half its lifetime), so clock skew and slow requests do not
	// present an expired token.
	tokenExpiryMargin = time.Minute
	// tokenFetchTimeout bounds one token request, which callers share.
	tokenFetchTimeout = 30 * time.Second
)

// assertionClaims are the claims of a client assertion (SEC-CC-03, SEC-CC-08).
type assertionClaims struct {
	Issuer       string `json:"iss"`
	Subject      string `json:"sub"`
	Audience     string `json:"aud"`
	IssuedAt     int64  `json:"iat"` // integer seconds: Blackboard refuses fractions
	Expiry       int64  `json:"exp"`
	JWTID        string `json:"jti"`
	DeploymentID string `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id,omitempty"`
}

// clientAssertion signs a fresh client assertion for p with the tool's
// active key (its kid goes into the header).
func (t *Tool) clientAssertion(p *Platform, deploymentID string, now time.Time) (string, error) {
	aud := p.TokenAudience
	if aud == "" {
		aud = p.TokenURL
	}
	payload, err := json.Marshal(assertionClaims{
		Issuer: p.ClientID, Subject: p.ClientID, Audience: aud,
		IssuedAt:     now.Add(-assertionBackdate).Unix(),
		Expiry:       now.Add(assertionLifetime).Unix(),
		JWTID:        rand.Text(),
		DeploymentID: deploymentID,
	})
	if err != nil {
		return "", err
	}
	jws, err := t.cfg.Keys.Sign(payload)
	if err != nil {
		return "", err
	}
	return string(jws), nil
}

// serviceToken is an access token and what the platform granted with it.
// It is read-only once made.
type serviceToken struct {
	access  string
	granted []string  // sorted
	reuse   time.Time // the token is not handed out from this time on
}

// grants reports whether the token grants any of scopes.
func (tok *serviceToken) grants(scopes ...string) bool {
	for _, s := range scopes {
		if _, ok := slices.BinarySearch(tok.granted, s); ok {
			return true
		}
	}
	return false
}

// fetchToken requests a token for scopes (sorted, deduplicated) from p's
// token endpoint.
func (t *Tool) fetchToken(ctx context.Context, p *Platform, deploymentID string, scopes []string) (*serviceToken, error) {
	if p.TokenURL == "" {
		return nil, &Error{Code: CodeTokenRequestFailed, Detail: "the registration has no token_url",
			Issuer: p.Issuer, ClientID: p.ClientID}
	}
	now := t.cfg.Now()
	assertion, err := t.clientAssertion(p, deploymentID, now)
	if err != nil {
		return nil, &Error{Code: CodeTokenRequestFailed, Detail: "cannot sign the client assertion",
			Issuer: p.Issuer, ClientID: p.ClientID, Err: err}
	}
	cc := clientcredentials.Config{
		TokenURL:  p.TokenURL,
		Scopes:    scopes,
		AuthStyle: oauth2.AuthStyleInParams, // no client_id/secret: the assertion authenticates
		EndpointParams: url.Values{
			"client_assertion_type": {assertionType},
			"client_assertion":      {assertion},
		},
	}
	// x/oauth2 takes its HTTP client from the context; this one adds the
	// User-Agent, refuses cross-origin redirects and labels JSON answers.
	client := *t.serviceHTTPClient()
	transport := &tokenTransport{base: client.Transport}
	client.Transport = transport
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &client)
	tok, err := cc.Token(ctx)
	if err != nil {
		return nil, t.tokenError(p, err, transport.last)
	}
	fail := func(format string, args ...any) error {
		return &Error{Code: CodeTokenRequestFailed, Detail: fmt.Sprintf(format, args...),
			Issuer: p.Issuer, ClientID: p.ClientID}
	}
	// token_type is case-insensitive (SEC-CC-04); requests always say
	// "Bearer", which Blackboard requires.
	if tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, fail("token endpoint issued a %q token; only bearer tokens are supported", tok.TokenType)
	}
	granted := scopes
	if s, ok := tok.Extra("scope").(string); ok && strings.TrimSpace(s) != "" {
		granted = strings.Fields(s)
		slices.Sort(granted)
	} // no scope in the answer means the scopes requested (RFC 6749 §5.1)
	lifetime := defaultTokenLifetime
	if secs, ok := extraSeconds(tok.Extra("expires_in")); ok {
		lifetime = time.Duration(secs) * time.Second
	}
	return &serviceToken{
		access:  tok.AccessToken,
		granted: slices.Compact(granted),
		reuse:   now.Add(lifetime - min(tokenExpiryMargin, lifetime/2)),
	}, nil
}

// tokenError turns what x/oauth2 returned into a CodeTokenRequestFailed
// error whose cause is a *ServiceError: the refused request's or the
// unusable answer's status, header and body (last), or the network
// failure.
func (t *Tool) tokenError(p *Platform, err error, last *http.Response) error {
	e := &Error{Code: CodeTokenRequestFailed, Issuer: p.Issuer, ClientID: p.ClientID, Err: err}
	var re *oauth2.RetrieveError
	var ue *url.Error
	switch {
	case errors.As(err, &re) && re.Response != nil:
		e.Err = &ServiceError{Method: http.MethodPost, URL: p.TokenURL,
			StatusCode: re.Response.StatusCode, Header: re.Response.Header, Body: re.Body,
			RetryAfter: parseRetryAfter(re.Response.Header.Get("Retry-After"), t.cfg.Now()), Err: re}
	case errors.As(err, &ue), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e.Err = &ServiceError{Method: http.MethodPost, URL: p.TokenURL, Err: err}
	default:
		e.Detail = "the token endpoint's answer cannot be used"
		if last != nil {
			body, _ := io.ReadAll(last.Body) // a bytes.Reader: no error
			body = redactTokens(body[:min(len(body), maxErrorBody)])
			e.Err = &ServiceError{Method: http.MethodPost, URL: p.TokenURL, StatusCode: last.StatusCode,
				Header: last.Header, Body: body, Err: err}
		}
	}
	return e
}

// tokenValues match the tokens in a token endpoint's answer, JSON or form
// encoded.
var tokenValues = regexp.MustCompile(`("(?:access|refresh|id)_token"\s*:\s*)"(?:[^"\\]|\\.)*"|((?:^|[&\s])(?:access|refresh|id)_token=)[^&\s]*`)

// redactTokens replaces the token values in body, an answer kept as
// evidence, so that no live token reaches an error message or a log.
func redactTokens(body []byte) []byte {
	return tokenValues.ReplaceAll(body, []byte(`$1$2"[redacted]"`))
}

// tokenTransport reads the token endpoint's answer (1 MiB at most) and
// keeps a copy, so that an answer x/oauth2 cannot use is reported with its
// status and body. It also gives an answer whose body is a JSON object the
// Content-Type application/json: x/oauth2 reads text/plain and form
// answers as form-encoded, which loses a JSON token served as text/plain;
// Moodle's text/html works either way. One is used per token request.
type tokenTransport struct {
	base http.RoundTripper
	last *http.Response // a copy of the last answer, its body readable
}

// RoundTrip implements http.RoundTripper.
func (tt *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := tt.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := readLimited(res.Body, 1<<20)
	res.Body.Close()
	if err != nil && !errors.Is(err, errBodyTooLarge) {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if trimmed := bytes.TrimSpace(body); (ct == "text/plain" || ct == "application/x-www-form-urlencoded") &&
		len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		res.Header = res.Header.Clone()
		res.Header.Set("Content-Type", "application/json")
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	last := *res
	last.Body = io.NopCloser(bytes.NewReader(body))
	tt.last = &last
	return res, nil
}

// extraSeconds reads expires_in, a JSON number or (from a form-encoded
// answer, or a lax platform) a numeric string. Only positive values count.
func extraSeconds(v any) (int64, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int64: // x/oauth2 parses form-encoded numbers
		f = float64(v)
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if !(f >= 1 && f <= 1<<31) { // also false for NaN
		return 0, false
	}
	return int64(f), true
}
