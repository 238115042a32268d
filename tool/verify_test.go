package tool

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// harness is a tool plus a minimal signing platform, for exercising every
// launch check without the fake platform package (which imports tool).
type harness struct {
	t        *testing.T
	tool     *Tool
	platform Platform
	keys     *jwks.KeyRing // the platform's signing keys
	now      time.Time
}

func newHarness(t *testing.T, mutate func(*Platform)) *harness {
	t.Helper()
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := jwks.NewKeyRing(key)
	jwksSrv := httptest.NewServer(pk.Handler())
	t.Cleanup(jwksSrv.Close)
	p := testPlatform()
	p.JWKSURL = jwksSrv.URL
	if mutate != nil {
		mutate(&p)
	}
	regs, err := NewMemoryPlatforms(p)
	if err != nil {
		t.Fatal(err)
	}
	toolKey, _ := jwks.GenerateKey()
	toolKeys, _ := jwks.NewKeyRing(toolKey)
	h := &harness{t: t, platform: p, keys: pk, now: time.Unix(1_800_000_000, 0)}
	h.tool, err = New(Config{Platforms: regs, Keys: toolKeys, BaseURL: testBaseURL, MessageTypes: allMessageTypes,
		Now: func() time.Time { return h.now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.tool.Close() })
	return h
}

// login runs a login initiation and returns the state, nonce and state cookie.
func (h *harness) login(v url.Values) (state, nonce string, cookie *http.Cookie) {
	h.t.Helper()
	w := doLogin(h.tool, http.MethodPost, v)
	if w.Code != http.StatusFound {
		h.t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	return loc.Query().Get("state"), loc.Query().Get("nonce"), w.Result().Cookies()[0]
}

// claims is a valid resource-link launch for nonce, Moodle-shaped.
func (h *harness) claims(nonce string) map[string]any {
	iat := h.now.Add(-2 * time.Second).Unix()
	return map[string]any{
		"iss": h.platform.Issuer, "aud": testClientID, "sub": "4", "nonce": nonce,
		"iat": iat, "exp": iat + 60, "name": "Sam Student",
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id":   "dep-1",
		"https://purl.imsglobal.org/spec/lti/claim/message_type":    "LtiResourceLinkRequest",
		"https://purl.imsglobal.org/spec/lti/claim/version":         "1.3.0",
		"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": testBaseURL + "/lti/launch",
		"https://purl.imsglobal.org/spec/lti/claim/roles":           []string{"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"},
		"https://purl.imsglobal.org/spec/lti/claim/resource_link":   map[string]any{"id": "1", "title": "Quiz"},
		"https://purl.imsglobal.org/spec/lti/claim/context":         map[string]any{"id": "2", "title": "Physics", "type": []string{"CourseSection"}},
		"https://purl.imsglobal.org/spec/lti/claim/custom":          map[string]any{"level": "3", "gone": nil},
	}
}

func (h *harness) sign(claims map[string]any) string {
	h.t.Helper()
	b, _ := json.Marshal(claims)
	tok, err := h.keys.Sign(b)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(tok)
}

// post sends the launch form with the given cookies through HandleLaunch.
func (h *harness) post(form url.Values, cookies ...*http.Cookie) (*Launch, *httptest.ResponseRecorder, error) {
	r := httptest.NewRequest(http.MethodPost, testBaseURL+"/lti/launch", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	l, err := h.tool.HandleLaunch(w, r)
	return l, w, err
}

// launch logs in, lets mutate change the claims, signs and posts them.
func (h *harness) launch(mutate func(map[string]any)) (*Launch, *httptest.ResponseRecorder, error) {
	return h.launchWith(loginParams(), mutate)
}

// launchWith is launch with the given login initiation parameters.
func (h *harness) launchWith(login url.Values, mutate func(map[string]any)) (*Launch, *httptest.ResponseRecorder, error) {
	state, nonce, cookie := h.login(login)
	c := h.claims(nonce)
	if mutate != nil {
		mutate(c)
	}
	return h.post(url.Values{"state": {state}, "id_token": {h.sign(c)}}, cookie)
}

// allMessageTypes are the message types the harness's tool accepts.
var allMessageTypes = []MessageType{ResourceLinkRequest, DeepLinkingRequest, SubmissionReviewRequest, StartProctoring, EndAssessment}

const claimPrefix = "https://purl.imsglobal.org/spec/lti/claim/"

func TestVerify_ValidLaunch(t *testing.T) {
	h := newHarness(t, nil)
	l, w, err := h.launch(nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Subject != "4" || l.ClientID != testClientID || l.DeploymentID != "dep-1" || l.ResourceLink.ID != "1" ||
		!l.Roles.IsLearner() || l.Context.Title != "Physics" || l.Custom["level"] != "3" || l.ID == "" {
		t.Errorf("launch = %+v", l)
	}
	if _, ok := l.Custom["gone"]; ok {
		t.Errorf("null custom value kept: %v", l.Custom)
	}
	var sawSession, clearedState bool
	for _, c := range w.Result().Cookies() {
		if c.Name == launchCookieName(l.ID) {
			sawSession = c.HttpOnly && c.Secure && c.SameSite == http.SameSiteNoneMode && c.Partitioned &&
				c.Path == "/" && c.MaxAge == int(DefaultLaunchTTL/time.Second)
		}
		clearedState = clearedState || (strings.HasPrefix(c.Name, stateCookiePrefix) && c.MaxAge < 0)
	}
	if !sawSession || !clearedState {
		t.Errorf("cookies %v: want the launch's session cookie (HttpOnly, Secure, SameSite=None, Partitioned, for LaunchTTL) and the state cookie cleared", w.Result().Cookies())
	}
}

// TestVerify_Refusals runs one hostile variant per check, asserting the code.
func TestVerify_Refusals(t *testing.T) {
	trustOther := func(p *Platform) { p.TrustedAudiences = []string{"other"} }
	tests := []struct {
		name     string
		platform func(*Platform)
		mutate   func(map[string]any)
		code     Code
	}{
		{"SEC_VAL_03 wrong issuer", nil, func(c map[string]any) { c["iss"] = "https://evil.example" }, CodeWrongIssuer},
		{"SEC_VAL_03 issuer trailing slash", nil, func(c map[string]any) { c["iss"] = testIssuer + "/" }, CodeWrongIssuer},
		{"SEC_VAL_04 wrong audience", nil, func(c map[string]any) { c["aud"] = "someone-else" }, CodeWrongAudience},
		{"SEC_VAL_04 audience array without client", nil, func(c map[string]any) { c["aud"] = []string{"a", "b"} }, CodeWrongAudience},
		{"SEC_VAL_04 missing audience", nil, func(c map[string]any) { delete(c, "aud") }, CodeWrongAudience},
		{"SEC_VAL_04 untrusted extra audience", nil, func(c map[string]any) {
			c["aud"] = []string{testClientID, "https://evil.example"}
			c["azp"] = testClientID
		}, CodeWrongAudience},
		{"SEC_VAL_04 untrusted extra audience first", nil, func(c map[string]any) {
			c["aud"] = []string{"https://evil.example", testClientID}
			c["azp"] = testClientID
		}, CodeWrongAudience},
		{"SEC_VAL_04 one trusted, one untrusted extra audience", trustOther, func(c map[string]any) { c["aud"] = []string{testClientID, "other", "evil"}; c["azp"] = testClientID }, CodeWrongAudience},
		{"SEC_VAL_04 trusted audiences compared exactly", func(p *Platform) { p.TrustedAudiences = []string{"Other"} }, func(c map[string]any) { c["aud"] = []string{testClientID, "other"}; c["azp"] = testClientID }, CodeWrongAudience},
		{"SEC_VAL_04 trusted audience without client_id", trustOther, func(c map[string]any) { c["aud"] = []string{"other"}; c["azp"] = testClientID }, CodeWrongAudience},
		{"SEC_VAL_05 several trusted audiences without azp", trustOther, func(c map[string]any) { c["aud"] = []string{testClientID, "other"} }, CodeWrongAuthorizedParty},
		{"SEC_VAL_06 azp not client_id", nil, func(c map[string]any) { c["azp"] = "other" }, CodeWrongAuthorizedParty},
		{"SEC_VAL_06 azp a trusted audience", trustOther, func(c map[string]any) { c["aud"] = []string{testClientID, "other"}; c["azp"] = "other" }, CodeWrongAuthorizedParty},
		{"SEC_VAL_07 expired", nil, func(c map[string]any) { c["exp"] = time.Unix(1_800_000_000, 0).Add(-31 * time.Second).Unix() }, CodeTokenExpired},
		{"SEC_VAL_07 missing exp", nil, func(c map[string]any) { delete(c, "exp") }, CodeMissingClaim},
		{"SEC_VAL_08 iat far in the future", nil, func(c map[string]any) { c["iat"] = int64(1_800_000_000 + 120); c["exp"] = int64(1_800_000_000 + 180) }, CodeTokenNotYetValid},
		{"SEC_VAL_08 iat too old", nil, func(c map[string]any) { c["iat"] = int64(1_800_000_000 - 3600); c["exp"] = int64(1_800_000_000 + 60) }, CodeTokenExpired},
		{"SEC_VAL_08 missing iat", nil, func(c map[string]any) { delete(c, "iat") }, CodeMissingClaim},
		{"SEC_VAL_08 nbf beyond the leeway", nil, func(c map[string]any) { c["nbf"] = int64(1_800_000_000 + 31) }, CodeTokenNotYetValid},
		{"SEC_VAL_08 nbf far in the future", nil, func(c map[string]any) { c["nbf"] = int64(1_800_000_000 + 3600) }, CodeTokenNotYetValid},
		{"SEC_VAL_08 nbf after exp", nil, func(c map[string]any) { c["nbf"] = c["exp"].(int64) + 60 }, CodeTokenNotYetValid},
		{"SEC_VAL_08 nbf not a number", nil, func(c map[string]any) { c["nbf"] = "soon" }, CodeInvalidClaim},
		{"SEC_VAL_09 missing nonce", nil, func(c map[string]any) { delete(c, "nonce") }, CodeMissingNonce},
		{"SEC_VAL_10 nonce of another login", nil, func(c map[string]any) { c["nonce"] = "other-nonce" }, CodeNonceMismatch},
		{"LTI_CORE_03 missing deployment", nil, func(c map[string]any) { delete(c, claimPrefix+"deployment_id") }, CodeMissingClaim},
		{"LTI_CORE_03 unknown deployment", nil, func(c map[string]any) { c[claimPrefix+"deployment_id"] = "dep-9" }, CodeUnknownDeployment},
		{"LTI_CORE_02 wrong version", nil, func(c map[string]any) { c[claimPrefix+"version"] = "1.1" }, CodeWrongVersion},
		{"LTI_CORE_02 missing version", nil, func(c map[string]any) { delete(c, claimPrefix+"version") }, CodeWrongVersion},
		{"LTI_CORE_01 missing message type", nil, func(c map[string]any) { delete(c, claimPrefix+"message_type") }, CodeMissingClaim},
		{"LTI_CORE_01 unsupported message type", nil, func(c map[string]any) { c[claimPrefix+"message_type"] = "LtiFancyRequest" }, CodeUnsupportedMessageType},
		{"LTI_MSG_01 resource link missing", nil, func(c map[string]any) { delete(c, claimPrefix+"resource_link") }, CodeMissingClaim},
		{"LTI_MSG_01 resource link without id", nil, func(c map[string]any) { c[claimPrefix+"resource_link"] = map[string]any{"title": "x"} }, CodeMissingClaim},
		{"LTI_MSG_02 deep linking without settings", nil, func(c map[string]any) {
			c[claimPrefix+"message_type"] = "LtiDeepLinkingRequest"
		}, CodeMissingClaim},
		{"LTI_MSG_03 submission review without for_user", nil, func(c map[string]any) {
			c[claimPrefix+"message_type"] = "LtiSubmissionReviewRequest"
		}, CodeMissingClaim},
		{"LTI_ROLE_04 missing roles", nil, func(c map[string]any) { delete(c, claimPrefix+"roles") }, CodeMissingClaim},
		{"LTI_CORE_04 anonymous refused by default", nil, func(c map[string]any) { delete(c, "sub") }, CodeAnonymousLaunch},
		{"LTI_CORE_06 target_link_uri differs from login", nil, func(c map[string]any) { c[claimPrefix+"target_link_uri"] = testBaseURL + "/admin" }, CodeTargetLinkMismatch},
		{"LTI_CORE_06 missing target_link_uri", nil, func(c map[string]any) { delete(c, claimPrefix+"target_link_uri") }, CodeMissingClaim},
		{"SEC_VAL_04 aud of the wrong shape", nil, func(c map[string]any) { c["aud"] = 42 }, CodeInvalidClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.platform)
			l, w, err := h.launch(tt.mutate)
			if err == nil {
				t.Fatalf("accepted: %+v", l)
			}
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("error = %v, want code %s", err, tt.code)
			}
			assertNothingStored(t, h, w)
		})
	}
}

// assertNothingStored checks a refused launch left no launch and no session.
func assertNothingStored(t *testing.T, h *harness, w *httptest.ResponseRecorder) {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if strings.HasPrefix(c.Name, launchCookiePrefix) {
			t.Errorf("refused launch set a session cookie")
		}
	}
	items := h.tool.cfg.Store.(*MemoryStore).c.Items()
	for k := range items {
		if strings.HasPrefix(k, "launch:") || strings.HasPrefix(k, "nonce:") {
			t.Errorf("refused launch stored %q", k)
		}
	}
}

func TestVerify_SignatureAndKeys(t *testing.T) {
	h := newHarness(t, nil)
	forge := func(header map[string]any, claims map[string]any, sign func(in []byte) []byte) string {
		hb, _ := json.Marshal(header)
		cb, _ := json.Marshal(claims)
		in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
		return in + "." + base64.RawURLEncoding.EncodeToString(sign([]byte(in)))
	}
	kid := h.keys.Active().ID
	otherKey, _ := jwks.GenerateKey()
	otherKey.ID = kid
	otherRing, _ := jwks.NewKeyRing(otherKey)
	tests := []struct {
		name  string
		token func(nonce string) string
		code  Code
	}{
		{"SEC_VAL_02 alg none", func(n string) string {
			return forge(map[string]any{"alg": "none", "kid": kid}, h.claims(n), func([]byte) []byte { return nil })
		}, CodeDisallowedAlgorithm},
		{"SEC_VAL_02 HS256 with the public key as secret", func(n string) string {
			pub, _ := json.Marshal(h.keys.PublicKeys()[0])
			return forge(map[string]any{"alg": "HS256", "kid": kid}, h.claims(n), func(in []byte) []byte {
				m := hmac.New(sha256.New, pub)
				m.Write(in)
				return m.Sum(nil)
			})
		}, CodeDisallowedAlgorithm},
		{"SEC_VAL_01 signed by another key with the same kid", func(n string) string {
			b, _ := json.Marshal(h.claims(n))
			tok, _ := otherRing.Sign(b)
			return string(tok)
		}, CodeBadSignature},
		{"SEC_VAL_01 payload tampered after signing", func(n string) string {
			parts := strings.Split(h.sign(h.claims(n)), ".")
			c := h.claims(n)
			c["sub"] = "1"
			b, _ := json.Marshal(c)
			parts[1] = base64.RawURLEncoding.EncodeToString(b)
			return strings.Join(parts, ".")
		}, CodeBadSignature},
		{"SEC_VAL_13 unknown kid", func(n string) string {
			k, _ := jwks.GenerateKey()
			r, _ := jwks.NewKeyRing(k)
			b, _ := json.Marshal(h.claims(n))
			tok, _ := r.Sign(b)
			return string(tok)
		}, CodeUnknownKID},
		{"SEC_VAL_13 no kid with a JWKS URL", func(n string) string {
			return forge(map[string]any{"alg": "RS256", "typ": "JWT"}, h.claims(n), func(in []byte) []byte {
				sum := sha256.Sum256(in)
				sig, _ := h.keys.Active().Signer.Sign(rand.Reader, sum[:], crypto.SHA256)
				return sig
			})
		}, CodeUnknownKID},
		{"SEC_VAL_12 jku header pointing elsewhere is ignored", func(n string) string {
			return forge(map[string]any{"alg": "RS256", "kid": "attacker", "jku": "https://evil.example/jwks"}, h.claims(n), func(in []byte) []byte {
				sum := sha256.Sum256(in)
				k, _ := jwks.GenerateKey()
				sig, _ := k.Signer.Sign(rand.Reader, sum[:], crypto.SHA256)
				return sig
			})
		}, CodeUnknownKID},
		{"malformed token", func(string) string { return "not.a.jwt" }, CodeMalformedToken},
		{"oversized token", func(string) string { return strings.Repeat("a", maxTokenLen+1) }, CodeMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, nonce, cookie := h.login(loginParams())
			_, w, err := h.post(url.Values{"state": {state}, "id_token": {tt.token(nonce)}}, cookie)
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("error = %v, want code %s", err, tt.code)
			}
			assertNothingStored(t, h, w)
		})
	}
}

func TestVerify_AlgorithmPinnedByRegistration(t *testing.T) {
	h := newHarness(t, func(p *Platform) { p.Algorithms = []string{"ES256"} })
	_, _, err := h.launch(nil) // signed RS256
	if !errors.Is(err, ErrDisallowedAlgorithm) {
		t.Fatalf("error = %v, want disallowed_algorithm", err)
	}
}

func TestVerify_StateChecks(t *testing.T) {
	h := newHarness(t, nil)
	state, nonce, cookie := h.login(loginParams())
	token := h.sign(h.claims(nonce))
	otherState, _, otherCookie := h.login(loginParams())
	tests := []struct {
		name    string
		form    url.Values
		cookies []*http.Cookie
		code    Code
	}{
		{"SEC_RESP_03 missing state", url.Values{"id_token": {token}}, []*http.Cookie{cookie}, CodeMissingState},
		{"SEC_AUTH_09 no state cookie", url.Values{"state": {state}, "id_token": {token}}, nil, CodeStateMismatch},
		{"SEC_AUTH_09 cookie of another login", url.Values{"state": {state}, "id_token": {token}},
			[]*http.Cookie{{Name: cookie.Name, Value: otherState}}, CodeStateMismatch},
		{"SEC_AUTH_09 unknown state", url.Values{"state": {strings.Repeat("x", 43)}, "id_token": {token}},
			[]*http.Cookie{{Name: stateCookiePrefix + strings.Repeat("x", 16), Value: strings.Repeat("x", 43)}}, CodeStateNotFound},
		{"short state", url.Values{"state": {"abc"}, "id_token": {token}}, nil, CodeStateMismatch},
		{"SEC_RESP_01 missing id_token", url.Values{"state": {otherState}}, []*http.Cookie{otherCookie}, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, w, err := h.post(tt.form, tt.cookies...)
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("error = %v, want %s", err, tt.code)
			}
			assertNothingStored(t, h, w)
		})
	}
	t.Run("SEC_RESP_03 state is single use", func(t *testing.T) {
		if _, _, err := h.post(url.Values{"state": {state}, "id_token": {token}}, cookie); err != nil {
			t.Fatal(err)
		}
		_, _, err := h.post(url.Values{"state": {state}, "id_token": {token}}, cookie)
		if !errors.Is(err, ErrStateNotFound) {
			t.Fatalf("replay error = %v, want state_not_found", err)
		}
	})
}

func TestVerify_SEC_RESP_02_PlatformError(t *testing.T) {
	// An error post is reported as the platform's error, whatever else is
	// wrong with it, and never verified as a launch.
	h := newHarness(t, nil)
	state, nonce, cookie := h.login(loginParams())
	otherState, _, _ := h.login(loginParams())
	usedState, _, usedCookie := h.login(loginParams())
	if _, err := h.tool.cfg.Store.Take(context.Background(), "login:"+usedState); err != nil { // as a launch would
		t.Fatal(err)
	}
	denied := func(more url.Values) url.Values {
		v := url.Values{"error": {"access_denied"}, "error_description": {"User not logged in"}}
		for k, vs := range more {
			v[k] = vs
		}
		return v
	}
	tests := []struct {
		name    string
		form    url.Values
		cookies []*http.Cookie
		binding Code // the binding failure the detail names; "" when bound
	}{
		{"state without its cookie", denied(url.Values{"state": {otherState}}), nil, CodeStateMismatch},
		{"state of another browser", denied(url.Values{"state": {otherState}}), []*http.Cookie{cookie}, CodeStateMismatch},
		{"state already used", denied(url.Values{"state": {usedState}}), []*http.Cookie{usedCookie}, CodeStateNotFound},
		{"no state", denied(nil), nil, CodeMissingState},
		{"short state", denied(url.Values{"state": {"abc"}}), nil, CodeStateMismatch},
		{"with a valid id_token too", denied(url.Values{"state": {state}, "id_token": {h.sign(h.claims(nonce))}}), []*http.Cookie{cookie}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, w, err := h.post(tt.form, tt.cookies...)
			var e *Error
			var pe *PlatformError
			if !errors.As(err, &e) || e.Code != CodePlatformError || !errors.As(err, &pe) || pe.Code != "access_denied" {
				t.Fatalf("got %v, %v; want platform_error access_denied", l, err)
			}
			if bound := e.Issuer == testIssuer; bound != (tt.binding == "") || !strings.Contains(e.Detail, string(tt.binding)) {
				t.Errorf("detail %q, issuer %q: want the binding failure %q named", e.Detail, e.Issuer, tt.binding)
			}
			assertNothingStored(t, h, w)
		})
	}
	// The bound error post consumed its login: the token cannot launch now.
	if _, _, err := h.post(url.Values{"state": {state}, "id_token": {h.sign(h.claims(nonce))}}, cookie); !errors.Is(err, ErrStateNotFound) {
		t.Errorf("launch after the error post with its state: %v, want state_not_found", err)
	}
}

func TestVerify_SEC_VAL_09_NonceReplayedAtOnce(t *testing.T) {
	// Two launch posts race with the same state, cookie and token: exactly
	// one is accepted.
	h := newHarness(t, nil)
	state, nonce, cookie := h.login(loginParams())
	form := url.Values{"state": {state}, "id_token": {h.sign(h.claims(nonce))}}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, _, err := h.post(form, cookie)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrStateNotFound) && !errors.Is(err, ErrNonceReplayed) {
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d racing launches accepted, want 1", ok, n)
	}
}

func TestVerify_SEC_VAL_09_SameNonceDifferentStatesAtOnce(t *testing.T) {
	// Concurrent launches, each with its own state and state cookie, carry
	// the same nonce (a platform or attacker replaying one token into
	// several logins): the nonce's atomic add lets exactly one through.
	h := newHarness(t, nil)
	const n = 16
	_, nonce, _ := h.login(loginParams())
	token := h.sign(h.claims(nonce))
	ctx := context.Background()
	forms, cookies := make([]url.Values, n), make([]*http.Cookie, n)
	for i := range n { // logins as the login handler stores them, all sent this nonce
		state := randomToken()
		raw, _ := json.Marshal(pendingLogin{Issuer: testIssuer, ClientID: testClientID, Nonce: nonce,
			TargetLinkURI: testBaseURL + "/lti/launch", DeploymentID: "dep-1", Created: h.now})
		if err := h.tool.cfg.Store.Add(ctx, "login:"+state, raw, time.Minute); err != nil {
			t.Fatal(err)
		}
		forms[i] = url.Values{"state": {state}, "id_token": {token}}
		cookies[i] = &http.Cookie{Name: stateCookiePrefix + state[:16], Value: state}
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, _, errs[i] = h.post(forms[i], cookies[i])
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrNonceReplayed):
			t.Errorf("error = %v, want nonce_replayed", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d launches with one nonce accepted, want 1", ok, n)
	}
}

func TestVerify_SEC_VAL_09_NonceSeenBefore(t *testing.T) {
	h := newHarness(t, nil)
	state, nonce, cookie := h.login(loginParams())
	h.tool.cfg.Store.Add(context.Background(), "nonce:"+testIssuer+"\x00"+nonce, nil, time.Minute)
	_, _, err := h.post(url.Values{"state": {state}, "id_token": {h.sign(h.claims(nonce))}}, cookie)
	if !errors.Is(err, ErrNonceReplayed) {
		t.Fatalf("error = %v, want nonce_replayed", err)
	}
}

func TestVerify_Tolerances(t *testing.T) {
	tests := []struct {
		name     string
		platform func(*Platform)
		mutate   func(map[string]any)
	}{
		{"SEC_VAL_11 Moodle 60s token with clock 25s behind", nil, func(c map[string]any) {
			iat := int64(1_800_000_000 + 25)
			c["iat"], c["exp"] = iat, iat+60
		}},
		{"SEC_VAL_11 expired within leeway", nil, func(c map[string]any) { c["exp"] = int64(1_800_000_000 - 20) }},
		{"SEC_VAL_04 audience array of client_id alone", nil, func(c map[string]any) { c["aud"] = []string{testClientID} }},
		{"SEC_VAL_04 trusted extra audience with azp", func(p *Platform) { p.TrustedAudiences = []string{"other", "more"} },
			func(c map[string]any) { c["aud"] = []string{"other", testClientID}; c["azp"] = testClientID }},
		{"SEC_VAL_08 nbf in the past", nil, func(c map[string]any) { c["nbf"] = int64(1_800_000_000 - 5) }},
		{"SEC_VAL_08 nbf within the leeway", nil, func(c map[string]any) { c["nbf"] = int64(1_800_000_000 + 25) }},
		{"LTI_PROC_04 float dates", nil, func(c map[string]any) { c["iat"] = 1_800_000_000.5; c["exp"] = 1_800_000_060.25 }},
		{"LTI_ROLE_04 empty roles", nil, func(c map[string]any) { c[claimPrefix+"roles"] = []string{} }},
		{"LTI_CORE_15 unknown claims ignored", nil, func(c map[string]any) { c["https://vendor.example/claim"] = map[string]any{"x": 1} }},
		{"LTI_CORE_04 anonymous allowed by registration", func(p *Platform) { p.AllowAnonymous = true }, func(c map[string]any) { delete(c, "sub") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.platform)
			if _, _, err := h.launch(tt.mutate); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVerify_LTI_CORE_18_TrustOnFirstUse(t *testing.T) {
	h := newHarness(t, func(p *Platform) { p.DeploymentPolicy, p.Deployments = TrustOnFirstUse, nil })
	// A refused launch records nothing.
	h.launch(func(c map[string]any) { c[claimPrefix+"deployment_id"] = "course-9"; c["iss"] = "https://evil.example" })
	p, _ := h.tool.cfg.Platforms.Platform(context.Background(), testIssuer, testClientID)
	if len(p.Deployments) != 0 {
		t.Fatalf("refused launch recorded deployments %v", p.Deployments)
	}
	noHint := loginParams()
	noHint.Del("lti_deployment_id")
	for _, d := range []string{"course-1", "course-2", "course-1"} {
		if _, _, err := h.launchWith(noHint, func(c map[string]any) { c[claimPrefix+"deployment_id"] = d }); err != nil {
			t.Fatal(err)
		}
	}
	p, _ = h.tool.cfg.Platforms.Platform(context.Background(), testIssuer, testClientID)
	if strings.Join(p.Deployments, ",") != "course-1,course-2" {
		t.Fatalf("deployments = %v, want course-1, course-2", p.Deployments)
	}
}

func TestVerify_SEC_LOGIN_07_DeploymentMustMatchLogin(t *testing.T) {
	h := newHarness(t, func(p *Platform) { p.Deployments = []string{"dep-1", "dep-2"} })
	_, _, err := h.launch(func(c map[string]any) { c[claimPrefix+"deployment_id"] = "dep-2" })
	if !errors.Is(err, ErrUnknownDeployment) {
		t.Fatalf("error = %v, want unknown_deployment", err)
	}
}

// LTI-CORE-01: by default a tool accepts resource-link and deep-linking
// launches only; a message its handlers were not written for (proctoring,
// submission review) is refused before it reaches them.
func TestVerify_LTI_CORE_01_DefaultMessageTypes(t *testing.T) {
	h := newHarness(t, nil)
	h.tool.cfg.MessageTypes = nil
	cfg, err := h.tool.cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	h.tool.cfg.MessageTypes = cfg.MessageTypes
	tests := []struct {
		name    string
		message MessageType
		want    Code
	}{
		{"resource link", ResourceLinkRequest, ""},
		{"submission review", SubmissionReviewRequest, CodeUnsupportedMessageType},
		{"start proctoring", StartProctoring, CodeUnsupportedMessageType},
		{"end assessment", EndAssessment, CodeUnsupportedMessageType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := h.launch(func(c map[string]any) { c[claimPrefix+"message_type"] = string(tt.message) })
			if CodeOf(err) != tt.want {
				t.Errorf("err %v, want code %q", err, tt.want)
			}
		})
	}
}
