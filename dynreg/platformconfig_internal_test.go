package dynreg

import (
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"testing"
)

// recorded returns the body of a recorded exchange's answer.
func recorded(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Response struct {
			Body string `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return []byte(f.Response.Body)
}

func TestParsePlatformConfig_DR03_DR04_Moodle45(t *testing.T) {
	c, err := parsePlatformConfig(recorded(t, "03_dynreg_openid_configuration.json"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://127.0.0.1:8081/mod/lti/openid-configuration.php")
	if err := c.validate(u, true); err != nil {
		t.Fatalf("Moodle 4.5's configuration: %v", err)
	}
	if c.AuthorizationEndpoint != "http://127.0.0.1:8081/mod/lti/auth.php" || c.RegistrationEndpoint != "http://127.0.0.1:8081/mod/lti/openid-registration.php" ||
		c.Product() != "moodle 4.5.5+ (Build: 20250613)" || !slices.Equal(c.Messages, []string{messageResourceLink, messageDeepLinking}) ||
		c.algorithms() != nil {
		t.Errorf("decoded %+v", c)
	}
}

func TestParsePlatformConfig_DR04_Moodle310(t *testing.T) {
	data, err := os.ReadFile("testdata/moodle-3.10_openid_configuration.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parsePlatformConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://127.0.0.1:8081/mod/lti/openid-configuration.php")
	if err := c.validate(u, true); err != nil {
		t.Fatalf("Moodle 3.10's configuration: %v", err)
	}
	if c.Product() != "moodle 3.10" || !slices.Equal(c.Messages, []string{messageResourceLink, messageDeepLinking}) ||
		c.AuthorizationEndpoint != "http://127.0.0.1:8081/mod/lti/auth.php" {
		t.Errorf("decoded %+v", c)
	}
}

func TestParsePlatformConfig_Lenience(t *testing.T) {
	c, err := parsePlatformConfig([]byte(`{"issuer": "https://lms.example", "scopes_supported": "openid",
		"claims_supported": null, "unknown": {"deep": [1, 2]},
		"https://purl.imsglobal.org/spec/lti-platform-configuration": {"messages_supported": [
			"LtiResourceLinkRequest", {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]}, {"label": "no type"}, "LtiResourceLink"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.ScopesSupported, []string{"openid"}) || !slices.Equal(c.Messages, []string{messageResourceLink, messageDeepLinking}) {
		t.Errorf("decoded %+v", c)
	}
}

func TestParseRegistrationResponse_DR08(t *testing.T) {
	res, err := parseRegistrationResponse(recorded(t, "06_dynreg_client_registration_post.json"))
	if err != nil || res.ClientID != "f1Jrwm4BKsV9HY1" || res.DeploymentID != "2" {
		t.Fatalf("Moodle 4.5's answer: %+v, %v", res, err)
	}
	// Moodle 3.10 echoed application_type and token_endpoint_auth_method
	// as arrays, and a tool configuration's deployment_id may be a number.
	res, err = parseRegistrationResponse([]byte(`{"client_id": "abc", "application_type": ["web"],
		"token_endpoint_auth_method": ["private_key_jwt"], "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": 7}}`))
	if err != nil || res.ClientID != "abc" || res.DeploymentID != "7" {
		t.Fatalf("older shape: %+v, %v", res, err)
	}
	for _, bad := range []string{``, `null`, `[]`, `{}`, `{"client_id": ""}`, `{"client_id": true}`, `{"client_id": "a\nb"}`,
		`{"client_id": "c", "https://purl.imsglobal.org/spec/lti-tool-configuration": []}`} {
		if res, err := parseRegistrationResponse([]byte(bad)); err == nil {
			t.Errorf("parseRegistrationResponse(%q) = %+v", bad, res)
		}
	}
}

// TestValidate_EndpointsTheToolMayUse: the registration goes to the
// issuer's origin only, and a production tool (not on loopback) uses no
// endpoint on its own machine, whatever the configuration says.
func TestValidate_EndpointsTheToolMayUse(t *testing.T) {
	const lms = "https://lms.example"
	good := func() *platformConfig {
		return &platformConfig{Issuer: lms, AuthorizationEndpoint: lms + "/auth", TokenEndpoint: lms + "/token",
			JWKSURI: lms + "/jwks", RegistrationEndpoint: lms + "/register"}
	}
	moodle, err := parsePlatformConfig(recorded(t, "03_dynreg_openid_configuration.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		configURL string
		edit      func(c *platformConfig)
		dev, ok   bool
	}{
		{"all on the issuer's origin", lms + "/config", nil, false, true},
		{"issuer with a path (Moodle in a subdirectory)", lms + "/moodle/config", func(c *platformConfig) {
			c.Issuer, c.RegistrationEndpoint = lms+"/moodle", lms+"/moodle/mod/lti/openid-registration.php"
		}, false, true},
		{"keys and tokens on another host (Canvas)", lms + "/config", func(c *platformConfig) {
			c.AuthorizationEndpoint, c.TokenEndpoint, c.JWKSURI = "https://sso.example/auth", "https://sso.example/token", "https://sso.example/jwks"
		}, false, true},
		{"registration on another host", lms + "/config", func(c *platformConfig) { c.RegistrationEndpoint = "https://internal.example/admin" }, false, false},
		{"registration on another port", lms + "/config", func(c *platformConfig) { c.RegistrationEndpoint = lms + ":8443/register" }, false, false},
		{"registration over http", lms + "/config", func(c *platformConfig) { c.RegistrationEndpoint = "http://lms.example/register" }, false, false},
		{"registration on loopback", lms + "/config", func(c *platformConfig) { c.RegistrationEndpoint = "https://127.0.0.1/register" }, false, false},
		{"registration on a subdomain", lms + "/config", func(c *platformConfig) { c.RegistrationEndpoint = "https://a.lms.example/register" }, false, false},
		{"jwks_uri on localhost", lms + "/config", func(c *platformConfig) { c.JWKSURI = "http://localhost:6379/" }, false, false},
		{"token_endpoint on ::1", lms + "/config", func(c *platformConfig) { c.TokenEndpoint = "https://[::1]/token" }, false, false},
		{"authorization_endpoint on 0.0.0.0", lms + "/config", func(c *platformConfig) { c.AuthorizationEndpoint = "https://0.0.0.0/auth" }, false, false},
		{"jwks_uri on 127.1", lms + "/config", func(c *platformConfig) { c.JWKSURI = "https://127.1/jwks" }, false, false},
		{"jwks_uri on a decimal address", lms + "/config", func(c *platformConfig) { c.JWKSURI = "https://2130706433/jwks" }, false, false},
		{"jwks_uri on a hex address", lms + "/config", func(c *platformConfig) { c.JWKSURI = "https://0x7f000001/jwks" }, false, false},
		{"jwks_uri on localhost.", lms + "/config", func(c *platformConfig) { c.JWKSURI = "https://localhost./jwks" }, false, false},
		{"authorization_server on a .localhost name", lms + "/config", func(c *platformConfig) { c.AuthorizationServer = "https://db.localhost/token" }, false, false},
		{"Moodle on loopback, production tool", "http://127.0.0.1:8081/mod/lti/openid-configuration.php", func(c *platformConfig) { *c = *moodle }, false, false},
		{"Moodle on loopback, tool on loopback", "http://127.0.0.1:8081/mod/lti/openid-configuration.php", func(c *platformConfig) { *c = *moodle }, true, true},
		{"registration elsewhere, tool on loopback", "http://127.0.0.1:8081/mod/lti/openid-configuration.php", func(c *platformConfig) {
			*c = *moodle
			c.RegistrationEndpoint = "http://localhost:8081/mod/lti/openid-registration.php"
		}, true, false},
	}
	for _, tt := range tests {
		c := good()
		if tt.edit != nil {
			tt.edit(c)
		}
		u, _ := url.Parse(tt.configURL)
		if err := c.validate(u, tt.dev); (err == nil) != tt.ok {
			t.Errorf("%s: validate = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}
