package dynreg_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/tool"
)

func TestStart_DR01_DR03_MoodleConfiguration(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	res, page := a.start(t, p, moodleToken(t))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("registration page: %s: %s", res.Status, text(page))
	}
	for _, want := range []string{
		"Add Quiz Tool", "Quizzes for courses", p.URL, "moodle 4.5.5+ (Build: 20250613)",
		"Launches from courses, at " + a.URL + "/lti/launch, with the user's roles and their name and email address.",
		"Deep linking", "Grades", "Course rosters", "Register", "Cancel",
	} {
		if !strings.Contains(text(page), want) {
			t.Errorf("confirmation page lacks %q: %s", want, text(page))
		}
	}
	if strings.Contains(page, "does not list") {
		t.Errorf("confirmation page warns although Moodle 4.5 lists every message and scope: %s", text(page))
	}
	if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q; the page's URL holds the registration token", got)
	}
	if len(p.registrations()) != 0 {
		t.Error("the tool registered before the administrator confirmed")
	}
	if len(a.stored(t)) != 0 {
		t.Error("the tool stored a registration before the administrator confirmed")
	}
}

func TestStart_DR02_SendsTheRegistrationTokenWithTheConfigurationRequest(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	for _, token := range []string{moodleToken(t), ""} {
		a.start(t, p, token)
		p.mu.Lock()
		got := p.configCalls[len(p.configCalls)-1].Header.Get("Authorization")
		p.mu.Unlock()
		want := ""
		if token != "" {
			want = "Bearer " + token
		}
		if got != want {
			t.Errorf("configuration request with token %.10q: Authorization %q, want %q (Canvas requires it)", token, got, want)
		}
	}
}

func TestStart_DR04_OlderMoodleShapes(t *testing.T) {
	p := newPlatform(t)
	p.config = p.moodle(string(mustRead(t, "testdata/moodle-3.10_openid_configuration.json")))
	a := newApp(t, nil)
	res, page := a.start(t, p, "token")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("registration page for Moodle 3.10's configuration: %s: %s", res.Status, text(page))
	}
	if !strings.Contains(page, "moodle 3.10") {
		t.Errorf("the LTI platform configuration under a key with a trailing space was not read: %s", text(page))
	}
	if strings.Contains(page, "does not list deep linking") || strings.Contains(page, "resource-link launches") && strings.Contains(page, "does not list resource-link") {
		t.Errorf("messages_supported given as strings were not understood: %s", text(page))
	}
	// Moodle 3.10 listed no roster scope although it grants it: the tool
	// still asks, and says it may not be granted.
	if !strings.Contains(text(page), "Course rosters: the members of a course and their roles (Names and Role Provisioning Services). The platform does not list") {
		t.Errorf("the page does not note the unlisted roster scope: %s", text(page))
	}
}

func TestStart_DR01_BadRequests(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	tests := map[string]url.Values{
		"no parameters":            {},
		"only a token":             {"registration_token": {"abc"}},
		"relative configuration":   {"openid_configuration": {"/mod/lti/openid-configuration.php"}},
		"ftp configuration":        {"openid_configuration": {"ftp://lms.example/config"}},
		"http on a public host":    {"openid_configuration": {"http://lms.example/config"}},
		"credentials in the URL":   {"openid_configuration": {"https://user:pw@lms.example/config"}},
		"fragment":                 {"openid_configuration": {p.URL + configPath + "#x"}},
		"too long":                 {"openid_configuration": {p.URL + configPath + "?" + strings.Repeat("a", 3000)}},
		"token with a space":       {"openid_configuration": {p.URL + configPath}, "registration_token": {"a b"}},
		"token with a newline":     {"openid_configuration": {p.URL + configPath}, "registration_token": {"a\r\nX-Injected: 1"}},
		"token longer than 16 KiB": {"openid_configuration": {p.URL + configPath}, "registration_token": {strings.Repeat("t", 17<<10)}},
	}
	for name, q := range tests {
		res, page := a.get(t, "/lti/register?"+q.Encode())
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "The registration failed") {
			t.Errorf("%s: %s, want 400 and the error page: %s", name, res.Status, text(page))
		}
	}
	if len(p.configCalls) != 0 {
		t.Errorf("the tool fetched a configuration for a bad request %d times", len(p.configCalls))
	}
	res, page := a.get(t, "/lti/register")
	if !strings.Contains(page, "Add LTI Advantage") {
		t.Errorf("opened without parameters, the page does not say where the URL goes in Moodle: %s %s", res.Status, text(page))
	}
}

func TestStart_DR03_RefusesUnusableConfigurations(t *testing.T) {
	tests := map[string]func(p *platform, m map[string]any){
		"issuer on another host (3.5.1)": func(p *platform, m map[string]any) { m["issuer"] = "http://localhost:1" },
		"issuer on another port":         func(p *platform, m map[string]any) { m["issuer"] = "http://127.0.0.1:1" },
		"no issuer":                      func(p *platform, m map[string]any) { delete(m, "issuer") },
		"issuer not a string":            func(p *platform, m map[string]any) { m["issuer"] = 7 },
		"issuer with a query":            func(p *platform, m map[string]any) { m["issuer"] = p.URL + "?x=1" },
		"no authorization_endpoint, not Moodle": func(p *platform, m map[string]any) {
			delete(m, "authorization_endpoint")
			m["https://purl.imsglobal.org/spec/lti-platform-configuration"] = map[string]any{"product_family_code": "canvas"}
		},
		"no token_endpoint":            func(p *platform, m map[string]any) { delete(m, "token_endpoint") },
		"no jwks_uri":                  func(p *platform, m map[string]any) { delete(m, "jwks_uri") },
		"no registration_endpoint":     func(p *platform, m map[string]any) { delete(m, "registration_endpoint") },
		"jwks_uri over http elsewhere": func(p *platform, m map[string]any) { m["jwks_uri"] = "http://keys.example/jwks" },
		"registration_endpoint elsewhere": func(p *platform, m map[string]any) {
			m["registration_endpoint"] = "http://localhost" + strings.TrimPrefix(p.URL, "http://127.0.0.1") + registerPath
		},
		"relative registration_endpoint": func(p *platform, m map[string]any) { m["registration_endpoint"] = "/register" },
		"no private_key_jwt": func(p *platform, m map[string]any) {
			m["token_endpoint_auth_methods_supported"] = []string{"client_secret_basic"}
		},
		"assertions without RS256": func(p *platform, m map[string]any) {
			m["token_endpoint_auth_signing_alg_values_supported"] = []string{"HS256"}
		},
		"no id_token response type": func(p *platform, m map[string]any) { m["response_types_supported"] = []string{"code"} },
		"id_tokens signed with HS256": func(p *platform, m map[string]any) {
			m["id_token_signing_alg_values_supported"] = []string{"HS256", "none"}
		},
		"scopes not a list": func(p *platform, m map[string]any) { m["scopes_supported"] = map[string]any{} },
		"platform configuration a string": func(p *platform, m map[string]any) {
			m["https://purl.imsglobal.org/spec/lti-platform-configuration"] = "moodle"
		},
		"messages not a list": func(p *platform, m map[string]any) {
			m["https://purl.imsglobal.org/spec/lti-platform-configuration"] = map[string]any{"messages_supported": 1}
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			p := newPlatform(t)
			p.setConfig(func(m map[string]any) { mutate(p, m) })
			a := newApp(t, nil)
			res, page := a.start(t, p, "token")
			if res.StatusCode != http.StatusBadGateway || !strings.Contains(page, "cannot be used") && !strings.Contains(page, "not a valid OpenID configuration") {
				t.Errorf("%s, want 502 and the reason: %s", res.Status, text(page))
			}
			if strings.Contains(page, `name="confirmation"`) {
				t.Error("the page offers to confirm the registration")
			}
		})
	}
}

// TestStart_ProductionToolRefusesLoopbackPlatforms: a tool that is not on
// loopback fetches no configuration from its own machine, where anyone
// who opens the registration URL could otherwise point it.
func TestStart_ProductionToolRefusesLoopbackPlatforms(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil, func(c *tool.Config) { c.BaseURL = "https://tool.example" })
	for _, config := range []string{
		p.URL + configPath,
		strings.Replace(p.URL, "127.0.0.1", "localhost", 1) + configPath,
		"https://127.0.0.1:1" + configPath,
		"https://0.0.0.0:1" + configPath,
		"https://:1" + configPath,
	} {
		res, page := a.get(t, "/lti/register?"+url.Values{"openid_configuration": {config}, "registration_token": {"token"}}.Encode())
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(text(page), "unusable openid_configuration") {
			t.Errorf("%s: %s, want 400: %s", config, res.Status, text(page))
		}
	}
	if len(p.configCalls) != 0 {
		t.Errorf("the production tool fetched a loopback configuration %d times", len(p.configCalls))
	}
}

func TestStart_DR03_RefusesConfigurationAnswers(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"not found", "<html>404</html>", http.StatusNotFound, "HTTP status 404"},
		{"server error", "oops", http.StatusInternalServerError, "HTTP status 500"},
		{"HTML", "<!doctype html><p>Moodle", http.StatusOK, "not a valid OpenID configuration"},
		{"JSON array", "[]", http.StatusOK, "not a valid OpenID configuration"},
		{"JSON null", "null", http.StatusOK, "not a valid OpenID configuration"},
		{"empty", "", http.StatusOK, "not a valid OpenID configuration"},
		{"truncated", `{"issuer": "`, http.StatusOK, "not a valid OpenID configuration"},
		{"too large", `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, http.StatusOK, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlatform(t)
			p.config, p.configCode = tt.body, tt.status
			a := newApp(t, nil)
			res, page := a.start(t, p, "token")
			if res.StatusCode != http.StatusBadGateway || !strings.Contains(text(page), tt.want) {
				t.Errorf("%s, want 502 and %q: %.300s", res.Status, tt.want, text(page))
			}
		})
	}
}

func TestStart_Unreachable(t *testing.T) {
	p := newPlatform(t)
	p.srv.Close()
	a := newApp(t, nil)
	res, page := a.start(t, p, "token")
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(page, "could not reach the platform") || strings.Contains(page, "delete it") {
		t.Errorf("closed platform: %s, want 504 and a clear message: %s", res.Status, text(page))
	}
}

func TestHandler_Methods(t *testing.T) {
	a := newApp(t, nil)
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
		req, _ := http.NewRequest(m, a.URL+"/lti/register", nil)
		res, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: %s, want 405", m, res.Status)
		}
	}
}
