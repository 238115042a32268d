package ltitest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
)

// tokenCase is one token request, changed from a good one.
type tokenCase struct {
	name string
	// contentType replaces the form media type when not empty; method the
	// POST.
	contentType, method string
	form                func(f url.Values)
	claims              func(c map[string]any, now time.Time)
	header              func(h map[string]any)
	// sign replaces the signing key.
	otherKey bool
	// rule is the requirement broken ("" for a good request); err the
	// OAuth error, moodle the error Moodle answers.
	rule, err, moodle string
}

var nrpsScope = []string{ltitest.ScopeMemberships}

var tokenCases = []tokenCase{
	{name: "good"},
	{name: "content type with charset parameter", contentType: "application/x-www-form-urlencoded; charset=utf-8"},
	{name: "aud array holding the token URL", claims: func(c map[string]any, _ time.Time) { c["aud"] = []any{c["aud"]} }},
	{name: "iat now", claims: func(c map[string]any, now time.Time) { c["iat"] = now.Unix() }},
	{name: "extra parameter client_id", form: func(f url.Values) { f.Set("client_id", "x") }},
	{name: "known and unknown scopes", form: func(f url.Values) { f.Set("scope", ltitest.ScopeMemberships+" https://example.com/unknown") }},

	{name: "SEC-CC-01 Content-Type application/json", contentType: "application/json",
		rule: "SEC-CC-01", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-01 Content-Type multipart", contentType: "multipart/form-data; boundary=x",
		rule: "SEC-CC-01", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-01 Content-Type in capitals", contentType: "Application/X-WWW-Form-Urlencoded",
		rule: "SEC-CC-01", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-01 Content-Type with a space", contentType: "application/x-www-form-urlencoded ;charset=utf-8",
		rule: "SEC-CC-01", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-01 method PUT", method: http.MethodPut,
		rule: "SEC-CC-01", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-02 grant_type missing", form: func(f url.Values) { f.Del("grant_type") },
		rule: "SEC-CC-02", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-02 client_assertion_type missing", form: func(f url.Values) { f.Del("client_assertion_type") },
		rule: "SEC-CC-02", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-02 client_assertion empty", form: func(f url.Values) { f.Set("client_assertion", "") },
		rule: "SEC-CC-02", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-02 scope missing", form: func(f url.Values) { f.Del("scope") },
		rule: "SEC-CC-02", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-02 grant_type authorization_code", form: func(f url.Values) { f.Set("grant_type", "authorization_code") },
		rule: "SEC-CC-02", err: "unsupported_grant_type", moodle: "unsupported_grant_type"},
	{name: "SEC-CC-02 client_assertion_type saml", form: func(f url.Values) {
		f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
	}, rule: "SEC-CC-02", err: "unsupported_grant_type", moodle: "unsupported_grant_type"},
	{name: "SEC-CC-03 assertion not a JWT", form: func(f url.Values) { f.Set("client_assertion", "not-a-jwt") },
		rule: "SEC-CC-03", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-03 sub missing", claims: func(c map[string]any, _ time.Time) { delete(c, "sub") },
		rule: "SEC-CC-03", err: "invalid_request", moodle: "invalid_request"},
	{name: "SEC-CC-03 sub unknown client", claims: func(c map[string]any, _ time.Time) { c["sub"], c["iss"] = "no-such-client", "no-such-client" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "invalid_client"},
	{name: "SEC-CC-03 kid missing", header: func(h map[string]any) { delete(h, "kid") },
		rule: "SEC-CC-03", err: "invalid_client", moodle: `"kid" empty, unable to lookup correct key`},
	{name: "SEC-CC-03 kid unknown", header: func(h map[string]any) { h["kid"] = "unknown-kid" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: `"kid" invalid, unable to lookup correct key`},
	{name: "SEC-CC-03 signed with another key under the kid", otherKey: true,
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Signature verification failed"},
	{name: "SEC-CC-03 alg HS256", header: func(h map[string]any) { h["alg"] = "HS256" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Incorrect key for this algorithm"},
	{name: "SEC-CC-03 alg none", header: func(h map[string]any) { h["alg"] = "none" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Algorithm not supported"},
	{name: "SEC-CC-03 iss differs from sub", claims: func(c map[string]any, _ time.Time) { c["iss"] = "wrong-iss" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "iss must equal sub"},
	{name: "SEC-CC-03 aud another URL", claims: func(c map[string]any, _ time.Time) { c["aud"] = "https://wrong.example/token" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Invalid audience"},
	{name: "SEC-CC-03 aud the issuer", claims: func(c map[string]any, _ time.Time) { c["aud"] = strings.TrimSuffix(c["aud"].(string), "/token") },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Invalid audience"},
	{name: "SEC-CC-03 aud array without the token URL", claims: func(c map[string]any, _ time.Time) { c["aud"] = []any{"https://wrong.example/token"} },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Invalid audience"},
	{name: "SEC-CC-03 iat 1s in the future", claims: func(c map[string]any, now time.Time) { c["iat"] = now.Unix() + 1 },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Cannot handle token with iat prior to 2027-01-15T08:00:01+0000"},
	{name: "SEC-CC-03 iat 60s in the future with nbf now", claims: func(c map[string]any, now time.Time) {
		c["iat"], c["nbf"] = now.Unix()+60, now.Unix()
	}, rule: "SEC-CC-03", err: "invalid_client", moodle: "Cannot handle token with iat prior to 2027-01-15T08:01:00+0000"},
	{name: "SEC-CC-03 iat fractional", claims: func(c map[string]any, now time.Time) { c["iat"] = float64(now.Unix()) - 0.5 },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "iat must be an integer NumericDate"},
	{name: "SEC-CC-03 iat a string", claims: func(c map[string]any, now time.Time) { c["iat"] = "1800000000" },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "iat must be an integer NumericDate"},
	{name: "SEC-CC-03 iat missing", claims: func(c map[string]any, _ time.Time) { delete(c, "iat") },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "iat must be an integer NumericDate"},
	{name: "SEC-CC-03 nbf 60s in the future", claims: func(c map[string]any, now time.Time) { c["nbf"] = now.Unix() + 60 },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Cannot handle token with nbf prior to 2027-01-15T08:01:00+0000"},
	{name: "SEC-CC-03 exp missing", claims: func(c map[string]any, _ time.Time) { delete(c, "exp") },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "exp must be a NumericDate"},
	{name: "SEC-CC-03 exp 30s ago", claims: func(c map[string]any, now time.Time) { c["exp"], c["iat"] = now.Unix()-30, now.Unix()-90 },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Expired token"},
	{name: "SEC-CC-03 exp equal to now", claims: func(c map[string]any, now time.Time) { c["exp"] = now.Unix() },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "Expired token"},
	{name: "SEC-CC-03 jti missing", claims: func(c map[string]any, _ time.Time) { delete(c, "jti") },
		rule: "SEC-CC-03", err: "invalid_client", moodle: "jti missing"},
	{name: "SEC-CC-04 only unknown scopes", form: func(f url.Values) { f.Set("scope", "https://example.com/unknown") },
		rule: "SEC-CC-04", err: "invalid_scope", moodle: "invalid_scope"},
}

// The token endpoint checks every token request as strictly as Moodle and
// more, and answers each refusal the way Moodle does: 400 with the error,
// as text/html with the Moodle profile.
func TestTokenEndpoint_rules(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"default", "moodle"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			clk := &testClock{now: time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)}
			var opts []ltitest.Option
			if mode == "moodle" {
				opts = append(opts, ltitest.Moodle())
			}
			p, tk := servicePlatform(t, clk, opts...)
			for i, tc := range tokenCases { // in turn: each checks its entry of the log
				t.Run(tc.name, func(t *testing.T) {
					want := tc.err
					if mode == "moodle" {
						want = tc.moodle
					}
					r := sendTokenCase(t, p, tk, clk.Now(), tc)
					checkTokenAnswer(t, r, mode == "moodle", want)
					log := p.TokenRequests()
					if len(log) != i+1 {
						t.Fatalf("TokenRequests: got %d entries, want %d", len(log), i+1)
					}
					e := log[i]
					if e.Rule != tc.rule || e.Error != want || e.Status != r.status {
						t.Errorf("TokenRequests()[%d]: got rule %q error %q status %d, want %q %q %d (%s)",
							i, e.Rule, e.Error, e.Status, tc.rule, want, r.status, e.Reason)
					}
				})
			}
		})
	}
}

func sendTokenCase(t *testing.T, p *ltitest.Platform, tk *toolKeys, now time.Time, tc tokenCase) response {
	t.Helper()
	claims := assertionClaims(p, now)
	if tc.claims != nil {
		tc.claims(claims, now)
	}
	var assertion string
	if tc.otherKey {
		other, err := jwks.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		other.ID = tk.active().ID
		assertion = signWith(t, other, claims, tc.header)
	} else {
		assertion = tk.sign(t, claims, tc.header)
	}
	form := tokenForm(assertion, nrpsScope...)
	if tc.form != nil {
		tc.form(form)
	}
	ct := "application/x-www-form-urlencoded"
	if tc.contentType != "" {
		ct = tc.contentType
	}
	method := http.MethodPost
	if tc.method != "" {
		method = tc.method
	}
	body := form.Encode()
	if ct == "application/json" {
		b, _ := json.Marshal(map[string]string{"grant_type": form.Get("grant_type"), "client_assertion": assertion,
			"client_assertion_type": form.Get("client_assertion_type"), "scope": form.Get("scope")})
		body = string(b)
	}
	return httpDo(t, method, p.URL+"/token", map[string]string{"Content-Type": ct}, body)
}

// moodleTokenBody is the layout of Moodle's token endpoint answers.
var (
	moodleTokenOK    = regexp.MustCompile(`^\{\n  "access_token" : "[0-9a-f]{32}",\n  "token_type" : "Bearer",\n  "expires_in" : 3600,\n  "scope" : "[^"]+"\n\}$`)
	moodleTokenError = regexp.MustCompile(`^\{\n  "error" : "(.*)"\n\}$`)
)

func checkTokenAnswer(t *testing.T, r response, moodle bool, wantErr string) {
	t.Helper()
	ct := r.header.Get("Content-Type")
	if moodle && ct != "text/html; charset=utf-8" || !moodle && ct != "application/json" {
		t.Errorf("Content-Type: got %q, want %s", ct, map[bool]string{true: "Moodle's text/html", false: "application/json"}[moodle])
	}
	if wantErr == "" {
		if r.status != http.StatusOK {
			t.Fatalf("got %d %s, want 200 with a token", r.status, r.body)
		}
		if moodle && !moodleTokenOK.MatchString(r.body) {
			t.Errorf("body %q: not in Moodle's layout", r.body)
		}
		m := r.json(t)
		if m["token_type"] != "Bearer" || m["expires_in"] != 3600.0 || m["scope"] != ltitest.ScopeMemberships || m["access_token"] == "" {
			t.Errorf("token: got %v, want Bearer, 3600 s, the NRPS scope", m)
		}
		return
	}
	if r.status != http.StatusBadRequest {
		t.Fatalf("got %d %s, want 400 %s", r.status, r.body, wantErr)
	}
	if moodle {
		m := moodleTokenError.FindStringSubmatch(r.body)
		if m == nil || m[1] != wantErr {
			t.Errorf("body %q: want Moodle's {\"error\" : %q}", r.body, wantErr)
		}
		return
	}
	if got := r.json(t); got["error"] != wantErr || got["error_description"] == "" {
		t.Errorf("body: got %v, want error %q with a description", got, wantErr)
	}
}

// A replayed assertion is refused (SEC-CC-03), where Moodle accepts it.
func TestTokenEndpoint_jtiReplay(t *testing.T) {
	t.Parallel()
	clk := newClock()
	p, tk := servicePlatform(t, clk)
	form := tokenForm(tk.sign(t, assertionClaims(p, clk.Now()), nil), nrpsScope...)
	if r := postToken(t, p, "application/x-www-form-urlencoded", form); r.status != http.StatusOK {
		t.Fatalf("first use: got %d %s, want 200", r.status, r.body)
	}
	r := postToken(t, p, "application/x-www-form-urlencoded", form)
	if r.status != http.StatusBadRequest || r.json(t)["error"] != "invalid_client" {
		t.Errorf("second use: got %d %s, want 400 invalid_client", r.status, r.body)
	}
	if log := p.TokenRequests(); len(log) != 2 || log[1].Rule != "SEC-CC-03" || !strings.Contains(log[1].Reason, "jti") {
		t.Errorf("TokenRequests: got %+v, want the replay refused for its jti", log)
	}
}

// The granted scopes are the requested ones the registration permits
// (SEC-CC-04), which tests configure with WithScopes and SetScopes.
func TestTokenEndpoint_scopes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		opts      []ltitest.Option
		set       []string // SetScopes, when not nil
		requested []string
		granted   string // "" for invalid_scope
	}{
		{"default grants all five", nil, nil, allScopes, strings.Join(allScopes, " ")},
		{"Moodle also permits basic outcome", []ltitest.Option{ltitest.Moodle()}, nil,
			[]string{"https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome"}, "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome"},
		{"SEC-CC-04 read-only AGS", []ltitest.Option{ltitest.WithScopes(ltitest.ScopeLineItemReadonly, ltitest.ScopeResultReadonly)}, nil,
			allScopes, ltitest.ScopeLineItemReadonly + " " + ltitest.ScopeResultReadonly},
		{"SEC-CC-04 duplicates granted once", nil, nil, []string{ltitest.ScopeScore, ltitest.ScopeScore}, ltitest.ScopeScore},
		{"SEC-CC-04 SetScopes narrows", nil, []string{ltitest.ScopeMemberships}, allScopes, ltitest.ScopeMemberships},
		{"SEC-CC-04 SetScopes none", nil, []string{}, allScopes, ""},
		{"SEC-CC-04 WithScopes none", []ltitest.Option{ltitest.WithScopes()}, nil, allScopes, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			p, tk := servicePlatform(t, clk, tc.opts...)
			if tc.set != nil {
				p.SetScopes(tc.set...)
			}
			r := postToken(t, p, "application/x-www-form-urlencoded", tokenForm(tk.sign(t, assertionClaims(p, clk.Now()), nil), tc.requested...))
			if tc.granted == "" {
				if r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_scope") {
					t.Errorf("got %d %s, want 400 invalid_scope", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusOK || r.json(t)["scope"] != tc.granted {
				t.Errorf("got %d %s, want scope %q", r.status, r.body, tc.granted)
			}
		})
	}
}

// The AGS claim of a launch lists only the AGS scopes the registration
// permits.
func TestTokenEndpoint_claimScopes(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t, ltitest.WithScopes(ltitest.ScopeScore, ltitest.ScopeMemberships))
	c := p.IDToken(t, ltitest.Message{AGS: true}, "n")
	ags, _ := c[ltitest.ClaimAGSEndpoint].(map[string]any)
	if s, _ := ags["scope"].([]string); len(s) != 1 || s[0] != ltitest.ScopeScore {
		t.Errorf("AGS claim scope: got %v, want only the score scope", ags["scope"])
	}
}

// The platform refetches the tool's key set when an assertion names a kid
// it does not know, so the tool may rotate its key; without a keyset URL,
// or when the key set cannot be fetched, every assertion is refused.
func TestTokenEndpoint_toolKeys(t *testing.T) {
	t.Parallel()
	t.Run("rotation", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		p, tk := servicePlatform(t, clk)
		accessToken(t, p, tk, clk.Now(), nrpsScope...)
		tk.rotate(t)
		accessToken(t, p, tk, clk.Now(), nrpsScope...)
		if got := tk.fetches.Load(); got != 2 {
			t.Errorf("JWKS fetches: got %d, want 2 (first use, then the unknown kid)", got)
		}
		accessToken(t, p, tk, clk.Now(), nrpsScope...)
		if got := tk.fetches.Load(); got != 2 {
			t.Errorf("JWKS fetches: got %d, want the key set cached", got)
		}
	})
	t.Run("SEC-CC-03 no keyset URL", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		tk := newToolKeys(t)
		p := ltitest.NewPlatform(t, ltitest.WithClock(clk.Now))
		r := postToken(t, p, "application/x-www-form-urlencoded", tokenForm(tk.sign(t, assertionClaims(p, clk.Now()), nil), nrpsScope...))
		if r.status != http.StatusBadRequest || r.json(t)["error"] != "invalid_client" {
			t.Errorf("got %d %s, want 400 invalid_client", r.status, r.body)
		}
		p.SetToolJWKSURL(tk.URL)
		accessToken(t, p, tk, clk.Now(), nrpsScope...)
	})
	t.Run("SEC-CC-03 keyset URL failing", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		tk := newToolKeys(t)
		down := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(down.Close)
		p := ltitest.NewPlatform(t, ltitest.WithClock(clk.Now), ltitest.WithToolJWKSURL(down.URL))
		r := postToken(t, p, "application/x-www-form-urlencoded", tokenForm(tk.sign(t, assertionClaims(p, clk.Now()), nil), nrpsScope...))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "could not be fetched") {
			t.Errorf("got %d %s, want 400 saying the key set could not be fetched", r.status, r.body)
		}
	})
}

// TokenRequests logs each request with its parameters and decoded
// assertion.
func TestTokenRequests_log(t *testing.T) {
	t.Parallel()
	clk := newClock()
	p, tk := servicePlatform(t, clk)
	tok := accessToken(t, p, tk, clk.Now(), nrpsScope...)
	log := p.TokenRequests()
	if len(log) != 1 {
		t.Fatalf("got %d entries, want 1", len(log))
	}
	e := log[0]
	if e.Status != 200 || e.AccessToken != tok || e.Scope != ltitest.ScopeMemberships || e.Error != "" || e.Fault ||
		e.Method != http.MethodPost || e.ContentType != "application/x-www-form-urlencoded" || !e.Time.Equal(clk.Now()) {
		t.Errorf("entry: got %+v", e)
	}
	if e.Claims["sub"] != p.ClientID || e.Header["kid"] != tk.active().ID || e.Params.Get("grant_type") != "client_credentials" {
		t.Errorf("entry: got claims %v header %v params %v", e.Claims, e.Header, e.Params)
	}
}
