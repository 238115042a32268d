package dynreg

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// FuzzParsePlatformConfig feeds the platform's OpenID configuration, which
// comes from any URL given to the registration page: nothing may panic,
// and a configuration that validates is one the tool can use.
func FuzzParsePlatformConfig(f *testing.F) {
	f.Add(recorded(f, "03_dynreg_openid_configuration.json"))
	if old, err := os.ReadFile("testdata/moodle-3.10_openid_configuration.json"); err == nil {
		f.Add(old)
	}
	f.Add([]byte(`{"issuer": 1}`))
	f.Add([]byte(`{"https://purl.imsglobal.org/spec/lti-platform-configuration ": {"messages_supported": ["x", {"type": 2}]}}`))
	configURL, _ := url.Parse("http://127.0.0.1:8081/mod/lti/openid-configuration.php")
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parsePlatformConfig(data)
		if err != nil {
			return
		}
		if c.validate(configURL, true) != nil {
			return
		}
		for _, u := range []string{c.Issuer, c.AuthorizationEndpoint, c.TokenEndpoint, c.JWKSURI, c.RegistrationEndpoint} {
			if _, err := checkURL(u, "url"); err != nil {
				t.Fatalf("validated configuration with a bad URL: %v", err)
			}
		}
		iss, _ := url.Parse(c.Issuer)
		if reg, _ := url.Parse(c.RegistrationEndpoint); !sameOrigin(reg, iss) || !strings.EqualFold(iss.Host, configURL.Host) {
			t.Fatalf("validated configuration posts the registration to %q, off the origin of the issuer %q on %s", c.RegistrationEndpoint, c.Issuer, configURL.Host)
		}
		for _, a := range c.algorithms() {
			if a == "none" || a[0] == 'H' {
				t.Fatalf("validated configuration pins algorithm %q", a)
			}
		}
	})
}

// FuzzParseRegistrationResponse feeds the platform's answer to the
// registration: nothing may panic, and an accepted answer has a printable
// client_id.
func FuzzParseRegistrationResponse(f *testing.F) {
	f.Add(recorded(f, "06_dynreg_client_registration_post.json"))
	f.Add([]byte(`{"client_id": 12, "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": 1.5e3}}`))
	f.Add([]byte(`token_already_used`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parseRegistrationResponse(data)
		if err != nil {
			return
		}
		if res.ClientID == "" || len(res.ClientID) > 255 {
			t.Fatalf("accepted client_id %q", res.ClientID)
		}
	})
}
