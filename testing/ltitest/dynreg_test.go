package ltitest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// validRegistration is a client registration the platform accepts.
func validRegistration() map[string]any {
	return map[string]any{
		"application_type":           "web",
		"grant_types":                []string{"implicit", "client_credentials"},
		"response_types":             []string{"id_token"},
		"redirect_uris":              []string{"http://127.0.0.1:9001/launch"},
		"initiate_login_uri":         "http://127.0.0.1:9001/login",
		"client_name":                "Tool",
		"jwks_uri":                   "http://127.0.0.1:9001/jwks",
		"token_endpoint_auth_method": "private_key_jwt",
		"scope":                      ltitest.ScopeScore + " " + ltitest.ScopeMemberships + " https://example.com/unknown-scope",
		"https://purl.imsglobal.org/spec/lti-tool-configuration": map[string]any{
			"domain": "127.0.0.1:9001", "target_link_uri": "http://127.0.0.1:9001/launch",
			"messages": []any{map[string]any{"type": "LtiDeepLinkingRequest", "target_link_uri": "http://127.0.0.1:9001/deeplink"}},
		},
	}
}

// registrationToken returns a fresh registration token of p.
func registrationToken(t *testing.T, p *ltitest.Platform) string {
	t.Helper()
	u, err := url.Parse(p.RegistrationURL(t, "http://127.0.0.1:9001/register"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("openid_configuration") != p.URL+"/openid-configuration" {
		t.Errorf("openid_configuration = %q", q.Get("openid_configuration"))
	}
	return q.Get("registration_token")
}

// postRegistration posts body (JSON unless it is a string) to the
// registration endpoint and returns the status and body of the answer.
func postRegistration(t *testing.T, p *ltitest.Platform, token, contentType string, body any) (int, string) {
	t.Helper()
	data, ok := body.(string)
	if !ok {
		b, _ := json.Marshal(body)
		data = string(b)
	}
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/register", strings.NewReader(data))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestOpenIDConfiguration_DR03_DR04(t *testing.T) {
	for _, opts := range [][]ltitest.Option{nil, {ltitest.Moodle()}} {
		p := ltitest.NewPlatform(t, opts...)
		res, err := http.Get(p.URL + "/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		lti, _ := c["https://purl.imsglobal.org/spec/lti-platform-configuration"].(map[string]any)
		if c["issuer"] != p.URL || c["registration_endpoint"] != p.URL+"/register" || c["authorization_endpoint"] != p.URL+"/auth" ||
			c["jwks_uri"] != p.URL+"/jwks" || c["token_endpoint"] != p.URL+"/token" || lti == nil || lti["messages_supported"] == nil {
			t.Errorf("configuration %v", c)
		}
	}
}

func TestRegistrationEndpoint_DR05_DR06_Refusals(t *testing.T) {
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	token := registrationToken(t, p)
	without := func(keys ...string) map[string]any {
		r := validRegistration()
		tc := r["https://purl.imsglobal.org/spec/lti-tool-configuration"].(map[string]any)
		for _, k := range keys {
			delete(r, k)
			delete(tc, k)
		}
		return r
	}
	with := func(k string, v any) map[string]any { r := validRegistration(); r[k] = v; return r }
	tests := []struct {
		name      string
		token, ct string
		body      any
		status    int
		want      string
	}{
		{"no token", "", "application/json", validRegistration(), 401, "missing_registration_token"},
		{"unknown token", "not-a-valid-token", "application/json", validRegistration(), 404, "invalid registration token"},
		{"form instead of JSON", token, "application/x-www-form-urlencoded", "a=b", 400, "application/json"},
		{"not JSON", token, "application/json", "{", 400, "not a JSON object"},
		{"JSON array", token, "application/json", "[]", 400, "not a JSON object"},
		{"no response_types", token, "application/json", without("response_types"), 400, "missing required attribute response_types"},
		{"no initiate_login_uri", token, "application/json", without("initiate_login_uri"), 400, "missing required attribute initiate_login_uri"},
		{"no redirect_uris", token, "application/json", without("redirect_uris"), 400, "missing required attribute redirect_uris"},
		{"no client_name", token, "application/json", without("client_name"), 400, "missing required attribute client_name"},
		{"no jwks_uri", token, "application/json", without("jwks_uri"), 400, "missing required attribute jwks_uri"},
		{"no auth method", token, "application/json", without("token_endpoint_auth_method"), 400, "missing required attribute token_endpoint_auth_method"},
		{"no tool configuration", token, "application/json", without("https://purl.imsglobal.org/spec/lti-tool-configuration"), 400, "missing required attribute https://purl.imsglobal.org/spec/lti-tool-configuration"},
		{"no domain", token, "application/json", without("domain"), 400, "missing required attribute domain"},
		{"no target_link_uri", token, "application/json", without("target_link_uri"), 400, "missing required attribute target_link_uri"},
		{"code flow", token, "application/json", with("response_types", []string{"code"}), 400, "invalid_response_types"},
		{"redirect_uris a string", token, "application/json", with("redirect_uris", "http://127.0.0.1:9001/launch"), 400, "invalid_redirect_uris"},
		{"client secret", token, "application/json", with("token_endpoint_auth_method", "client_secret_basic"), 400, "invalid_token_endpoint_auth_method"},
		{"native app", token, "application/json", with("application_type", "native"), 400, "invalid_application_type"},
		{"no client_credentials", token, "application/json", with("grant_types", []string{"implicit"}), 400, "invalid_grant_types"},
		{"no grant_types", token, "application/json", without("grant_types"), 400, "invalid_grant_types"},
		{"relative login URL", token, "application/json", with("initiate_login_uri", "/login"), 400, "not an absolute"},
	}
	for _, tt := range tests {
		if status, body := postRegistration(t, p, tt.token, tt.ct, tt.body); status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %q, want %d and %q", tt.name, status, body, tt.status, tt.want)
		}
	}
	// None of the refusals used the token up.
	if status, body := postRegistration(t, p, token, "application/json", validRegistration()); status != http.StatusOK {
		t.Errorf("a valid registration after the refused ones: %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/register", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /register: %v %v, want 405", res.Status, err)
	}
}

func TestRegistrationEndpoint_DR08_IssuesClientAndDeployment(t *testing.T) {
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	token := registrationToken(t, p)
	status, body := postRegistration(t, p, token, "application/json; charset=utf-8", validRegistration())
	if status != http.StatusOK {
		t.Fatalf("registration: %d %s", status, body)
	}
	var ans struct {
		ClientID string `json:"client_id"`
		Scope    string `json:"scope"`
		Tool     struct {
			DeploymentID string `json:"deployment_id"`
		} `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.ClientID) != 15 || ans.Tool.DeploymentID != "2" || ans.Scope != ltitest.ScopeScore+" "+ltitest.ScopeMemberships {
		t.Errorf("answer %+v; want a 15-character client_id, deployment 2, the scopes offered of those asked", ans)
	}
	// The token is single-use, and a second token registers a second tool.
	if status, body := postRegistration(t, p, token, "application/json", validRegistration()); status != http.StatusUnauthorized || body != "token_already_used" {
		t.Errorf("replayed token: %d %q, want 401 token_already_used", status, body)
	}
	status, body = postRegistration(t, p, registrationToken(t, p), "application/json", validRegistration())
	if status != http.StatusOK || !strings.Contains(body, `"deployment_id":"3"`) {
		t.Errorf("second registration: %d %s, want deployment 3", status, body)
	}
}

func TestRegistrationEndpoint_ExpiredToken(t *testing.T) {
	now := time.Now()
	p := ltitest.NewPlatform(t, ltitest.WithClock(func() time.Time { return now }))
	token := registrationToken(t, p)
	p.SetClock(func() time.Time { return now.Add(time.Hour) })
	if status, _ := postRegistration(t, p, token, "application/json", validRegistration()); status != http.StatusNotFound {
		t.Errorf("registration with a token an hour old: %d, want 404", status)
	}
}

// registeringTool is a tool that registers with p as soon as its
// registration URL is opened, and answers with the close page under the
// Content-Security-Policy policy (none when empty).
func registeringTool(t *testing.T, policy string) *httptest.Server {
	t.Helper()
	var tool *httptest.Server
	tool = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		res, err := http.Get(q.Get("openid_configuration"))
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		var c struct {
			RegistrationEndpoint string `json:"registration_endpoint"`
		}
		json.NewDecoder(res.Body).Decode(&c)
		res.Body.Close()
		reg := validRegistration()
		reg["redirect_uris"] = []string{tool.URL + "/launch"}
		body, _ := json.Marshal(reg)
		req, _ := http.NewRequest(http.MethodPost, c.RegistrationEndpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+q.Get("registration_token"))
		res, err = http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			http.Error(w, "registration failed", 502)
			return
		}
		if policy != "" {
			w.Header().Set("Content-Security-Policy", policy)
		}
		io.WriteString(w, `<script>(window.opener || window.parent).postMessage({subject:"org.imsglobal.lti.close"}, "*")</script>`)
	}))
	t.Cleanup(tool.Close)
	return tool
}

// TestRegister_ToolWithoutConfirmationPage registers a tool that registers
// as soon as it is opened, and launches it.
func TestRegister_ToolWithoutConfirmationPage(t *testing.T) {
	p := ltitest.NewPlatform(t)
	tool := registeringTool(t, "")
	reg := p.Register(t, tool.URL+"/register")
	if reg.ClientID == p.ClientID || reg.URL != p.URL {
		t.Errorf("Register returned client %q at %q", reg.ClientID, reg.URL)
	}
	if r := reg.Registration(); r.ClientID != reg.ClientID || len(r.Deployments) != 1 || r.Deployments[0] != "deployment-2" {
		t.Errorf("Registration() = %+v", r)
	}
	if got := reg.RegistrationRequest()["client_name"]; got != "Tool" {
		t.Errorf("RegistrationRequest()[client_name] = %v", got)
	}
	if p.RegistrationRequest() != nil {
		t.Error("the platform's own registration has a registration request")
	}
	reg.Close() // does nothing: p owns the server
	if res, err := http.Get(p.URL + "/openid-configuration"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("after closing the registered tool's view, the platform is down: %v", err)
	}
}

// TestRegister_CloseBlockedByCSP: a last page whose Content-Security-Policy
// blocks its inline close script fails Register, as it leaves a browser's
// registration window open.
func TestRegister_CloseBlockedByCSP(t *testing.T) {
	for _, policy := range []string{
		"default-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors *",
		"script-src 'sha256-AAAA'",
	} {
		p := ltitest.NewPlatform(t)
		tool := registeringTool(t, policy)
		tb := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Register(tb, tool.URL+"/register")
		}()
		<-done
		if !strings.Contains(tb.fatal, "would not close the registration") || !strings.Contains(tb.fatal, "does not allow the inline script") {
			t.Errorf("policy %q: Register's failure = %q, want the blocked close script", policy, tb.fatal)
		}
	}
}
