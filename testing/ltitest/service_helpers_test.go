package ltitest_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
)

// Helpers for the tests of the services: a tool's keys served as a JWKS,
// client assertions signed with jwx, token requests and service calls made
// with raw HTTP, and a clock the test moves.

// testClock is a platform clock the test sets.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *testClock { return &testClock{now: time.Unix(1_800_000_000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// toolKeys is the tool's side: its key ring, published at URL.
type toolKeys struct {
	URL     string
	mu      sync.Mutex
	ring    *jwks.KeyRing
	fetches atomic.Int32
}

func newToolKeys(t *testing.T) *toolKeys {
	t.Helper()
	tk := &toolKeys{ring: sharedRing(t)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tk.fetches.Add(1)
		tk.mu.Lock()
		h := tk.ring.Handler()
		tk.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tk.URL = srv.URL
	return tk
}

// sharedRing is one key ring for every test's tool: generating RSA keys
// is slow under the race detector.
var sharedRing = func() func(t *testing.T) *jwks.KeyRing {
	var once sync.Once
	var ring *jwks.KeyRing
	return func(t *testing.T) *jwks.KeyRing {
		t.Helper()
		once.Do(func() { ring = newRing(t) })
		if ring == nil {
			t.Fatal("no shared key ring")
		}
		return ring
	}
}()

func newRing(t *testing.T) *jwks.KeyRing {
	t.Helper()
	k, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := jwks.NewKeyRing(k)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

func (tk *toolKeys) active() jwks.Key {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return tk.ring.Active()
}

// rotate makes a new key the only published one.
func (tk *toolKeys) rotate(t *testing.T) {
	ring := newRing(t)
	tk.mu.Lock()
	tk.ring = ring
	tk.mu.Unlock()
}

// servicePlatform starts a platform that knows the tool's keys, with the
// clock clk.
func servicePlatform(t *testing.T, clk *testClock, opts ...ltitest.Option) (*ltitest.Platform, *toolKeys) {
	t.Helper()
	tk := newToolKeys(t)
	opts = append([]ltitest.Option{ltitest.WithToolJWKSURL(tk.URL), ltitest.WithClock(clk.Now)}, opts...)
	return ltitest.NewPlatform(t, opts...), tk
}

// assertionClaims are the claims of a good client assertion at now.
func assertionClaims(p *ltitest.Platform, now time.Time) map[string]any {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return map[string]any{
		"iss": p.ClientID, "sub": p.ClientID, "aud": p.URL + "/token",
		"iat": now.Add(-5 * time.Second).Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": hex.EncodeToString(b),
	}
}

// sign signs claims with the tool's active key under the header
// {"alg":"RS256","kid":<kid>,"typ":"JWT"}, edited by mutateHeader.
func (tk *toolKeys) sign(t *testing.T, claims map[string]any, mutateHeader func(h map[string]any)) string {
	t.Helper()
	return signWith(t, tk.active(), claims, mutateHeader)
}

func signWith(t *testing.T, key jwks.Key, claims map[string]any, mutateHeader func(h map[string]any)) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]any{"alg": "RS256", "kid": key.ID, "typ": "JWT"}
	if mutateHeader != nil {
		mutateHeader(h)
	}
	hdrs := jws.NewHeaders()
	for k, v := range h {
		if k == "alg" {
			continue
		}
		if err := hdrs.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	var opt jws.SignOption
	switch alg, _ := h["alg"].(string); alg {
	case "none":
		opt = jws.WithInsecureNoSignature(jws.WithProtectedHeaders(hdrs))
	case "HS256":
		opt = jws.WithKey(jwa.HS256, []byte("a shared secret the tool should never use"), jws.WithProtectedHeaders(hdrs))
	default:
		opt = jws.WithKey(jwa.SignatureAlgorithm(alg), key.Signer, jws.WithProtectedHeaders(hdrs))
	}
	token, err := jws.Sign(payload, opt)
	if err != nil {
		t.Fatal(err)
	}
	return string(token)
}

// tokenForm is a good token request for scopes with assertion.
func tokenForm(assertion string, scopes ...string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {strings.Join(scopes, " ")},
	}
}

// response is a service answer read into memory.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

func (r response) jsonArray(t *testing.T) []map[string]any {
	t.Helper()
	var a []map[string]any
	if err := json.Unmarshal([]byte(r.body), &a); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return a
}

// httpDo sends a request and reads the answer.
func httpDo(t *testing.T, method, u string, header map[string]string, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// postToken posts form to the token endpoint as contentType.
func postToken(t *testing.T, p *ltitest.Platform, contentType string, form url.Values) response {
	t.Helper()
	return httpDo(t, http.MethodPost, p.URL+"/token", map[string]string{"Content-Type": contentType}, form.Encode())
}

// accessToken gets an access token for scopes, failing the test otherwise.
func accessToken(t *testing.T, p *ltitest.Platform, tk *toolKeys, now time.Time, scopes ...string) string {
	t.Helper()
	r := postToken(t, p, "application/x-www-form-urlencoded", tokenForm(tk.sign(t, assertionClaims(p, now), nil), scopes...))
	if r.status != http.StatusOK {
		t.Fatalf("token request: got %d %s, want 200", r.status, r.body)
	}
	tok, _ := r.json(t)["access_token"].(string)
	return tok
}

// allScopes are the scopes a tool with every service requests.
var allScopes = []string{ltitest.ScopeLineItem, ltitest.ScopeLineItemReadonly, ltitest.ScopeResultReadonly,
	ltitest.ScopeScore, ltitest.ScopeMemberships}

// services is a platform with a tool token granting every service scope,
// and the URLs of its default course.
type services struct {
	p         *ltitest.Platform
	tk        *toolKeys
	clk       *testClock
	token     string
	lineItems string // the container URL, with ?type_id=
	lineItem  string // the default resource link's line item URL
	members   string // the memberships URL
}

func newServices(t *testing.T, opts ...ltitest.Option) *services {
	t.Helper()
	clk := newClock()
	p, tk := servicePlatform(t, clk, opts...)
	c := p.IDToken(t, ltitest.Message{AGS: true, NRPS: true}, "n")
	ags, _ := c[ltitest.ClaimAGSEndpoint].(map[string]any)
	nrps, _ := c[ltitest.ClaimNRPS].(map[string]any)
	s := &services{p: p, tk: tk, clk: clk, token: accessToken(t, p, tk, clk.Now(), allScopes...)}
	s.lineItems, _ = ags["lineitems"].(string)
	s.lineItem, _ = ags["lineitem"].(string)
	s.members, _ = nrps["context_memberships_url"].(string)
	if s.lineItems == "" || s.lineItem == "" || s.members == "" {
		t.Fatalf("service URLs missing from the claims: %v %v", ags, nrps)
	}
	return s
}

// call makes a service request with the token and the given headers.
func (s *services) call(t *testing.T, method, u, token string, header map[string]string, body string) response {
	t.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	for k, v := range header {
		h[k] = v
	}
	return httpDo(t, method, u, h, body)
}

// scoresURL and resultsURL put /scores and /results on the path, before
// the query (AGS-URL-01).
func scoresURL(lineItem string) string  { return onPath(lineItem, "/scores") }
func resultsURL(lineItem string) string { return onPath(lineItem, "/results") }

func onPath(u, suffix string) string {
	path, query, _ := strings.Cut(u, "?")
	return path + suffix + "?" + query
}

// postScore posts a score document to lineItem's scores.
func (s *services) postScore(t *testing.T, lineItem string, score map[string]any) response {
	t.Helper()
	b, err := json.Marshal(score)
	if err != nil {
		t.Fatal(err)
	}
	return s.call(t, http.MethodPost, scoresURL(lineItem), s.token,
		map[string]string{"Content-Type": "application/vnd.ims.lis.v1.score+json"}, string(b))
}

// score is a good FullyGraded score for userID at ts.
func score(userID string, given float64, ts time.Time) map[string]any {
	return map[string]any{
		"userId": userID, "scoreGiven": given, "scoreMaximum": 10.0, "comment": "well done",
		"timestamp": ts.UTC().Format("2006-01-02T15:04:05.000Z07:00"), "activityProgress": "Completed",
		"gradingProgress": "FullyGraded",
	}
}
