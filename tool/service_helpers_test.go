package tool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// Shared fixtures of the service tests: a tool with an injected clock, and a
// strict token endpoint that checks every client assertion the way a
// careful platform would.

// testToolKey is generated once: RSA key generation is slow.
var testToolKey = sync.OnceValue(func() jwks.Key {
	k, err := jwks.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// testClock is an injectable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// svcEnv is a tool registered with one platform whose token endpoint is a
// strict fake.
type svcEnv struct {
	t        *testing.T
	tool     *Tool
	clock    *testClock
	token    *tokenEndpoint
	platform Platform
}

const (
	svcIssuer   = "https://lms.example"
	svcClientID = "client-1"
	svcDeploy   = "dep-1"
)

var allAGSScopes = []string{ScopeLineItem, ScopeLineItemReadOnly, ScopeResultReadOnly, ScopeScore}

func newSvcEnv(t *testing.T) *svcEnv {
	t.Helper()
	ring, err := jwks.NewKeyRing(testToolKey())
	if err != nil {
		t.Fatal(err)
	}
	e := &svcEnv{t: t, clock: &testClock{t: time.Date(2026, 11, 28, 21, 17, 29, 644_000_000, time.UTC)}}
	e.token = newTokenEndpoint(t, ring, e.clock.Now)
	srv := httptest.NewServer(e.token)
	t.Cleanup(srv.Close)
	e.platform = Platform{Issuer: svcIssuer, ClientID: svcClientID, Deployments: []string{svcDeploy},
		AuthURL: svcIssuer + "/auth", JWKSURL: svcIssuer + "/jwks", TokenURL: srv.URL + "/token"}
	e.token.set(func(te *tokenEndpoint) { te.audience, te.deploymentID = e.platform.TokenURL, svcDeploy })
	regs, err := NewMemoryPlatforms(e.platform)
	if err != nil {
		t.Fatal(err)
	}
	e.tool, err = New(Config{Platforms: regs, Keys: ring, BaseURL: "https://tool.example",
		Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.tool.Close() })
	return e
}

// serve starts a platform service on 127.0.0.1.
func (e *svcEnv) serve(h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return srv
}

// grades returns a Grades for e's platform with every AGS scope.
func (e *svcEnv) grades(lineItems string) *Grades {
	return e.tool.GradesFor(&e.platform, AGSEndpoint{Scope: allAGSScopes, LineItems: lineItems}, svcDeploy)
}

// launch returns a launch of e's platform with AGS and NRPS claims.
func (e *svcEnv) launch(ags *AGSEndpoint, nrps *NRPSService) *Launch {
	return &Launch{Issuer: svcIssuer, ClientID: svcClientID, DeploymentID: svcDeploy, Subject: "user-7",
		ResourceLink: &ResourceLink{ID: "link-1", Title: "Quiz 1"}, AGS: ags, NRPS: nrps}
}

// tokenEndpoint is a strict OAuth2 token endpoint for client assertions
// (SEC-CC-01 to SEC-CC-08). Every violation fails the test.
type tokenEndpoint struct {
	t            *testing.T
	keys         jwks.KeySet
	kid          string
	now          func() time.Time
	audience     string
	deploymentID string

	mu       sync.Mutex
	requests int
	scopes   []string // the scope parameter of each request
	jtis     map[string]bool
	// respond, when set, writes the answer instead of issuing a token.
	respond func(w http.ResponseWriter, n int, scope string) bool
	// grant returns the granted scope for a requested one; default: as requested.
	grant     func(scope string) string
	tokenType string
	expiresIn any
	gate      chan struct{} // when set, each request waits for it
}

func newTokenEndpoint(t *testing.T, ring *jwks.KeyRing, now func() time.Time) *tokenEndpoint {
	ks, err := jwks.NewStatic(ring.PublicKeys()...)
	if err != nil {
		t.Fatal(err)
	}
	return &tokenEndpoint{t: t, keys: ks, kid: ring.Active().ID, now: now, jtis: map[string]bool{},
		tokenType: "Bearer", expiresIn: 3600}
}

var integerJSON = regexp.MustCompile(`^[0-9]+$`)

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	gate := e.gate
	e.mu.Unlock()
	if gate != nil {
		<-gate
	}
	e.mu.Lock()
	e.requests++
	n := e.requests
	e.mu.Unlock()
	if err := e.check(r); err != nil {
		e.t.Errorf("token request %d: %v", n, err)
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	scope := r.PostForm.Get("scope")
	e.mu.Lock()
	e.scopes = append(e.scopes, scope)
	respond, grant, tokenType, expiresIn := e.respond, e.grant, e.tokenType, e.expiresIn
	e.mu.Unlock()
	if respond != nil && respond(w, n, scope) {
		return
	}
	if grant != nil {
		scope = grant(scope)
	}
	body := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "scope": scope}
	if tokenType != "" {
		body["token_type"] = tokenType
	}
	if expiresIn != nil {
		body["expires_in"] = expiresIn
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8") // as Moodle does
	json.NewEncoder(w).Encode(body)
}

// check validates the token request and its client assertion.
func (e *tokenEndpoint) check(r *http.Request) error {
	if r.Method != http.MethodPost {
		return fmt.Errorf("method %s", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		return fmt.Errorf("Content-Type %q, want exactly application/x-www-form-urlencoded (SEC-CC-01)", ct)
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "ltikit/") {
		return fmt.Errorf("User-Agent %q does not name ltikit", ua)
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	for k, want := range map[string]string{"grant_type": "client_credentials", "client_assertion_type": assertionType} {
		if got := f.Get(k); got != want {
			return fmt.Errorf("%s=%q, want %q (SEC-CC-02)", k, got, want)
		}
	}
	if f.Get("scope") == "" || f.Get("client_assertion") == "" || f.Has("client_secret") {
		return fmt.Errorf("form %v lacks scope or client_assertion, or has a secret (SEC-CC-02)", f)
	}
	return e.checkAssertion(r.Context(), f.Get("client_assertion"))
}

func (e *tokenEndpoint) checkAssertion(ctx context.Context, jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("client_assertion is not a compact JWS")
	}
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h struct{ Alg, Kid string }
	if err := json.Unmarshal(hb, &h); err != nil || h.Alg != "RS256" || h.Kid != e.kid {
		return fmt.Errorf("assertion header %s: want alg RS256 and kid %s (SEC-CC-03)", hb, e.kid)
	}
	payload, err := e.keys.Verify(ctx, []byte(jwt), nil)
	if err != nil {
		return fmt.Errorf("assertion signature: %w", err)
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(payload, &c); err != nil {
		return err
	}
	str := func(k string) string {
		var s string
		json.Unmarshal(c[k], &s)
		return s
	}
	num := func(k string) (int64, error) {
		if !integerJSON.Match(c[k]) {
			return 0, fmt.Errorf("%s=%s is not integer seconds", k, c[k])
		}
		var v int64
		return v, json.Unmarshal(c[k], &v)
	}
	if str("iss") != svcClientID || str("sub") != svcClientID {
		return fmt.Errorf("iss %q / sub %q, want the client_id (SEC-CC-03)", str("iss"), str("sub"))
	}
	e.mu.Lock()
	audience, deploymentID := e.audience, e.deploymentID
	e.mu.Unlock()
	if str("aud") != audience {
		return fmt.Errorf("aud %s, want %q", c["aud"], audience)
	}
	iat, err := num("iat")
	if err != nil {
		return err
	}
	exp, err := num("exp")
	if err != nil {
		return err
	}
	now := e.now().Unix()
	if iat > now || exp <= now || exp-iat > 600 {
		return fmt.Errorf("iat %d / exp %d at %d: iat must not be in the future, exp short and ahead", iat, exp, now)
	}
	jti := str("jti")
	e.mu.Lock()
	defer e.mu.Unlock()
	if jti == "" || e.jtis[jti] {
		return fmt.Errorf("jti %q empty or reused", jti)
	}
	e.jtis[jti] = true
	if got := str(claimDeploymentIDName); got != deploymentID {
		return fmt.Errorf("deployment_id claim %q, want %q (SEC-CC-08)", got, deploymentID)
	}
	return nil
}

const claimDeploymentIDName = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"

// count returns how many token requests arrived.
func (e *tokenEndpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// set changes the endpoint's behaviour under its lock.
func (e *tokenEndpoint) set(f func(e *tokenEndpoint)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

// recorded is one request a fake service received.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// recorder is a fake service that records requests and answers with reply.
type recorder struct {
	mu    sync.Mutex
	reqs  []recorded
	reply func(w http.ResponseWriter, r *http.Request, body string)
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
	reply := rc.reply
	rc.mu.Unlock()
	if reply != nil {
		reply(w, r, string(b))
	}
}

func (rc *recorder) requests() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]recorded(nil), rc.reqs...)
}

// codeOf returns err's code and its *ServiceError, if any.
func serviceErrorOf(err error) (Code, *ServiceError) {
	var se *ServiceError
	errors.As(err, &se)
	return CodeOf(err), se
}
