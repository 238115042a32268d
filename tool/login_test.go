package tool

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

const (
	testIssuer   = "https://lms.example"
	testClientID = "client-1"
	testBaseURL  = "https://tool.example"
)

func testPlatform() Platform {
	return Platform{
		Issuer: testIssuer, ClientID: testClientID, Deployments: []string{"dep-1"},
		AuthURL: testIssuer + "/auth?tenant=7", TokenURL: testIssuer + "/token", JWKSURL: testIssuer + "/jwks",
	}
}

func newTestTool(t testing.TB, ps ...Platform) *Tool {
	t.Helper()
	if len(ps) == 0 {
		ps = []Platform{testPlatform()}
	}
	regs, err := NewMemoryPlatforms(ps...)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := New(Config{Platforms: regs, Keys: keys, BaseURL: testBaseURL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func loginParams() url.Values {
	return url.Values{
		"iss":               {testIssuer},
		"login_hint":        {"4"},
		"target_link_uri":   {testBaseURL + "/lti/launch"},
		"client_id":         {testClientID},
		"lti_deployment_id": {"dep-1"},
		"lti_message_hint":  {`{"cmid":1,"launchid":"ltilaunch1_1234"}`},
	}
}

func doLogin(tl *Tool, method string, v url.Values) *httptest.ResponseRecorder {
	var r *http.Request
	if method == http.MethodGet {
		r = httptest.NewRequest(method, testBaseURL+"/lti/login?"+v.Encode(), nil)
	} else {
		r = httptest.NewRequest(method, testBaseURL+"/lti/login", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	tl.LoginHandler().ServeHTTP(w, r)
	return w
}

func TestLogin_SEC_LOGIN_01_GetAndPost(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			tl := newTestTool(t)
			w := doLogin(tl, method, loginParams())
			if w.Code != http.StatusFound {
				t.Fatalf("status = %d, want 302; body %s", w.Code, w.Body)
			}
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testIssuer+"/auth" {
				t.Errorf("redirect to %s, want the auth endpoint", got)
			}
			q := loc.Query()
			want := map[string]string{
				"tenant": "7", "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
				"prompt": "none", "client_id": testClientID, "redirect_uri": testBaseURL + "/lti/launch",
				"login_hint": "4", "lti_message_hint": `{"cmid":1,"launchid":"ltilaunch1_1234"}`,
			}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("auth param %s = %q, want %q", k, q.Get(k), v)
				}
			}
			state, nonce := q.Get("state"), q.Get("nonce")
			if len(state) < 43 || len(nonce) < 43 || state == nonce {
				t.Errorf("state %q / nonce %q: want two distinct 256-bit values", state, nonce)
			}
			raw, err := tl.cfg.Store.Get(context.Background(), "login:"+state)
			if err != nil {
				t.Fatalf("pending login not stored: %v", err)
			}
			var p pendingLogin
			json.Unmarshal(raw, &p)
			if p.Nonce != nonce || p.Issuer != testIssuer || p.ClientID != testClientID || p.TargetLinkURI != testBaseURL+"/lti/launch" {
				t.Errorf("pending login = %+v", p)
			}
			var cookie *http.Cookie
			for _, c := range w.Result().Cookies() {
				if c.Name == stateCookiePrefix+state[:16] {
					cookie = c
				}
			}
			if cookie == nil || cookie.Value != state {
				t.Fatalf("no state cookie bound to the state; cookies %v", w.Result().Cookies())
			}
			if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteNoneMode || !cookie.Partitioned {
				t.Errorf("state cookie attributes = %+v, want HttpOnly Secure SameSite=None Partitioned", cookie)
			}
		})
	}
}

func TestLogin_StatesAreUnique(t *testing.T) {
	tl := newTestTool(t)
	seen := map[string]bool{}
	for range 50 {
		loc, _ := url.Parse(doLogin(tl, http.MethodPost, loginParams()).Header().Get("Location"))
		s := loc.Query().Get("state")
		if seen[s] {
			t.Fatal("state repeated")
		}
		seen[s] = true
	}
}

func TestLogin_Refusals(t *testing.T) {
	second := testPlatform()
	second.ClientID = "client-2"
	disabled := testPlatform()
	disabled.Issuer, disabled.Disabled = "https://off.example", true
	tofu := testPlatform()
	tofu.Issuer, tofu.DeploymentPolicy, tofu.Deployments = "https://tofu.example", TrustOnFirstUse, nil

	tests := []struct {
		name   string
		method string
		mutate func(url.Values)
		code   Code
		status int
	}{
		{"SEC_LOGIN_02 missing iss", "POST", func(v url.Values) { v.Del("iss") }, CodeInvalidRequest, 400},
		{"SEC_LOGIN_02 unknown iss", "POST", func(v url.Values) { v.Set("iss", "https://evil.example") }, CodeUnknownPlatform, 400},
		{"SEC_LOGIN_02 iss with trailing slash", "POST", func(v url.Values) { v.Set("iss", testIssuer+"/") }, CodeUnknownPlatform, 400},
		{"SEC_LOGIN_03 missing login_hint", "POST", func(v url.Values) { v.Del("login_hint") }, CodeInvalidRequest, 400},
		{"SEC_LOGIN_04 missing target_link_uri", "GET", func(v url.Values) { v.Del("target_link_uri") }, CodeInvalidRequest, 400},
		{"SEC_LOGIN_04 open redirect", "POST", func(v url.Values) { v.Set("target_link_uri", "https://evil.example/lti/launch") }, CodeBadTargetLinkURI, 400},
		{"SEC_LOGIN_04 lookalike host", "POST", func(v url.Values) { v.Set("target_link_uri", "https://tool.example.evil.example/x") }, CodeBadTargetLinkURI, 400},
		{"SEC_LOGIN_04 userinfo trick", "POST", func(v url.Values) { v.Set("target_link_uri", "https://tool.example@evil.example/") }, CodeBadTargetLinkURI, 400},
		{"SEC_LOGIN_04 relative", "POST", func(v url.Values) { v.Set("target_link_uri", "//evil.example/") }, CodeBadTargetLinkURI, 400},
		{"SEC_LOGIN_04 other scheme", "POST", func(v url.Values) { v.Set("target_link_uri", "javascript:alert(1)") }, CodeBadTargetLinkURI, 400},
		{"SEC_LOGIN_06 unknown client_id", "POST", func(v url.Values) { v.Set("client_id", "nope") }, CodeUnknownPlatform, 400},
		{"SEC_LOGIN_06 ambiguous without client_id", "POST", func(v url.Values) { v.Del("client_id") }, CodeAmbiguousPlatform, 400},
		{"SEC_LOGIN_07 unknown deployment", "POST", func(v url.Values) { v.Set("lti_deployment_id", "dep-9") }, CodeUnknownDeployment, 403},
		{"disabled registration", "POST", func(v url.Values) { v.Set("iss", "https://off.example") }, CodeInactivePlatform, 403},
		{"oversized parameter", "POST", func(v url.Values) { v.Set("login_hint", strings.Repeat("a", maxParamLen+1)) }, CodeInvalidRequest, 400},
		{"oversized body", "POST", func(v url.Values) { v.Set("junk", strings.Repeat("a", maxLoginBody)) }, CodeInvalidRequest, 400},
		{"wrong method", "PUT", nil, CodeInvalidRequest, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := newTestTool(t, testPlatform(), second, disabled, tofu)
			v := loginParams()
			if tt.mutate != nil {
				tt.mutate(v)
			}
			w := doLogin(tl, tt.method, v)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("LTI-Error-Code"); got != string(tt.code) {
				t.Errorf("code = %q, want %q", got, tt.code)
			}
			if loc := w.Header().Get("Location"); loc != "" {
				t.Errorf("refused login redirected to %s", loc)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("refused login set cookies %v", w.Result().Cookies())
			}
		})
	}
	t.Run("trust on first use accepts a new deployment at login", func(t *testing.T) {
		tl := newTestTool(t, testPlatform(), tofu)
		v := loginParams()
		v.Set("iss", "https://tofu.example")
		v.Set("lti_deployment_id", "course-77")
		if w := doLogin(tl, "POST", v); w.Code != http.StatusFound {
			t.Fatalf("status = %d: %s", w.Code, w.Body)
		}
	})
	t.Run("SEC_LOGIN_08 unknown parameters ignored", func(t *testing.T) {
		tl := newTestTool(t)
		v := loginParams()
		v.Set("canvas_region", "us-east-1")
		if w := doLogin(tl, "GET", v); w.Code != http.StatusFound {
			t.Fatalf("status = %d: %s", w.Code, w.Body)
		}
	})
}

func TestMemoryStore_TakeOnce(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	if err := s.Add(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "k", []byte("w"), time.Minute); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second Add = %v, want ErrKeyExists", err)
	}
	const n = 64
	got := make(chan error, n)
	for range n {
		go func() { _, err := s.Take(ctx, "k"); got <- err }()
	}
	wins := 0
	for range n {
		if err := <-got; err == nil {
			wins++
		} else if !errors.Is(err, ErrKeyNotFound) {
			t.Fatal(err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent Takes succeeded, want exactly 1", wins)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Get after Take = %v", err)
	}
	if _, err := s.Take(ctx, "missing"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("Take missing = %v", err)
	}
}

func TestConfig_Validation(t *testing.T) {
	regs, _ := NewMemoryPlatforms(testPlatform())
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no platforms", Config{Keys: keys, BaseURL: testBaseURL}},
		{"no keys", Config{Platforms: regs, BaseURL: testBaseURL}},
		{"no base url", Config{Platforms: regs, Keys: keys}},
		{"base url with path", Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example/app"}},
		{"plain http on a public host", Config{Platforms: regs, Keys: keys, BaseURL: "http://tool.example"}},
		{"relative launch url", Config{Platforms: regs, Keys: keys, BaseURL: testBaseURL, LaunchURL: "/lti/launch"}},
		{"negative leeway", Config{Platforms: regs, Keys: keys, BaseURL: testBaseURL, Leeway: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); err == nil {
				t.Fatal("New accepted an invalid Config")
			}
		})
	}
	for _, base := range []string{"http://localhost:8080", "http://127.0.0.1:9001/", "https://tool.example"} {
		if _, err := New(Config{Platforms: regs, Keys: keys, BaseURL: base}); err != nil {
			t.Errorf("New(BaseURL %s) = %v", base, err)
		}
	}
}
