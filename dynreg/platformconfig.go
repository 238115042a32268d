package dynreg

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// ltiPlatformConfigKey is the member of the OpenID configuration that
// describes the LTI platform. Moodle 3.10 to 4.0 wrote it with a trailing
// space.
const ltiPlatformConfigKey = "https://purl.imsglobal.org/spec/lti-platform-configuration"

// Message types.
const (
	messageResourceLink = "LtiResourceLinkRequest"
	messageDeepLinking  = "LtiDeepLinkingRequest"
)

// platformConfig is the platform's OpenID configuration (DR-03, DR-04):
// what the tool needs of it, decoded leniently.
type platformConfig struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	RegistrationEndpoint  string   `json:"registration_endpoint"`
	AuthorizationServer   string   `json:"authorization_server,omitempty"`
	ScopesSupported       []string `json:"scopes_supported,omitempty"`
	ResponseTypes         []string `json:"response_types_supported,omitempty"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	TokenAuthAlgs         []string `json:"token_endpoint_auth_signing_alg_values_supported,omitempty"`
	IDTokenAlgs           []string `json:"id_token_signing_alg_values_supported,omitempty"`
	ClaimsSupported       []string `json:"claims_supported,omitempty"`

	// From the LTI platform configuration; empty when it is absent.
	ProductFamily string   `json:"product_family_code,omitempty"`
	Version       string   `json:"version,omitempty"`
	Messages      []string `json:"messages_supported,omitempty"` // message types only
}

// Product names the platform for people, such as "moodle 4.5.5+ (Build: 20250613)".
func (c *platformConfig) Product() string {
	return strings.TrimSpace(c.ProductFamily + " " + c.Version)
}

// SupportsMessage reports whether the platform lists message type typ, or
// lists no messages at all (the platform configuration is optional).
func (c *platformConfig) SupportsMessage(typ string) bool {
	return len(c.Messages) == 0 || slices.Contains(c.Messages, typ)
}

// SupportsScope reports whether the platform lists scope, or lists none.
// Moodle before 4.1 left some scopes it grants out of scopes_supported, so
// an unlisted scope is still requested; see the confirmation page.
func (c *platformConfig) SupportsScope(scope string) bool {
	return len(c.ScopesSupported) == 0 || slices.Contains(c.ScopesSupported, scope)
}

// parsePlatformConfig decodes an OpenID configuration leniently, for the
// shapes older Moodles served: unknown members are ignored, a list given as
// a single string is a one-element list, the LTI platform configuration may
// carry a trailing space in its key, messages_supported may hold bare
// strings ("LtiResourceLink" for resource links) instead of objects, and a
// Moodle without authorization_endpoint gets Moodle's. Members the tool
// relies on must have the right type.
func parsePlatformConfig(data []byte) (*platformConfig, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return nil, errors.New("not a JSON object")
	}
	c := &platformConfig{}
	strs := []struct {
		key string
		dst *string
	}{
		{"issuer", &c.Issuer}, {"authorization_endpoint", &c.AuthorizationEndpoint},
		{"token_endpoint", &c.TokenEndpoint}, {"jwks_uri", &c.JWKSURI},
		{"registration_endpoint", &c.RegistrationEndpoint}, {"authorization_server", &c.AuthorizationServer},
	}
	for _, f := range strs {
		if err := decodeString(raw, f.key, f.dst); err != nil {
			return nil, err
		}
	}
	lists := []struct {
		key string
		dst *[]string
	}{
		{"scopes_supported", &c.ScopesSupported}, {"response_types_supported", &c.ResponseTypes},
		{"token_endpoint_auth_methods_supported", &c.TokenAuthMethods},
		{"token_endpoint_auth_signing_alg_values_supported", &c.TokenAuthAlgs},
		{"id_token_signing_alg_values_supported", &c.IDTokenAlgs}, {"claims_supported", &c.ClaimsSupported},
	}
	for _, f := range lists {
		if err := decodeList(raw, f.key, f.dst); err != nil {
			return nil, err
		}
	}
	lti, ok := raw[ltiPlatformConfigKey]
	if !ok {
		for k, v := range raw {
			if strings.TrimSpace(k) == ltiPlatformConfigKey {
				lti = v
				break
			}
		}
	}
	if len(lti) > 0 && string(lti) != "null" {
		if err := c.decodeLTI(lti); err != nil {
			return nil, fmt.Errorf("%s: %w", ltiPlatformConfigKey, err)
		}
	}
	// The first Moodle implementation (3.10) left authorization_endpoint
	// out; Moodle's is always at this path under its wwwroot, the issuer.
	if c.AuthorizationEndpoint == "" && c.ProductFamily == "moodle" && c.Issuer != "" {
		c.AuthorizationEndpoint = strings.TrimSuffix(c.Issuer, "/") + "/mod/lti/auth.php"
	}
	return c, nil
}

// decodeLTI decodes the LTI platform configuration (DR-04).
func (c *platformConfig) decodeLTI(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return errors.New("not a JSON object")
	}
	if err := decodeString(raw, "product_family_code", &c.ProductFamily); err != nil {
		return err
	}
	if err := decodeString(raw, "version", &c.Version); err != nil {
		return err
	}
	var msgs []json.RawMessage
	if v, ok := raw["messages_supported"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &msgs); err != nil {
			return errors.New("messages_supported is not an array")
		}
	}
	for i, m := range msgs {
		var typ string
		if json.Unmarshal(m, &typ) != nil {
			var obj struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(m, &obj); err != nil {
				return fmt.Errorf("messages_supported[%d] is neither a message type nor an object with one", i)
			}
			typ = obj.Type
		}
		if typ == "LtiResourceLink" { // Moodle 3.10 to 4.0
			typ = messageResourceLink
		}
		if typ != "" && !slices.Contains(c.Messages, typ) {
			c.Messages = append(c.Messages, typ)
		}
	}
	return nil
}

// decodeString decodes raw[key] into dst when present and not null.
func decodeString(raw map[string]json.RawMessage, key string, dst *string) error {
	v, ok := raw[key]
	if !ok || string(v) == "null" {
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("%s is not a string", key)
	}
	return nil
}

// decodeList decodes raw[key], an array of strings or a single string,
// into dst when present and not null.
func decodeList(raw map[string]json.RawMessage, key string, dst *[]string) error {
	v, ok := raw[key]
	if !ok || string(v) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(v, &one) == nil {
		*dst = []string{one}
		return nil
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("%s is not a list of strings", key)
	}
	return nil
}

// validate checks the configuration fetched from configURL (DR-03): the
// issuer's host is the configuration URL's, the registration endpoint is on
// the issuer's origin, the other endpoints are URLs the tool may use (see
// checkPlatformURL; dev as there), and whatever the platform declares about
// authentication is compatible with the tool. Lists the platform leaves out
// are not held against it.
//
// The authorization, token and key set endpoints may be elsewhere (Canvas
// serves them from another host than its issuer), but the registration,
// which the tool posts at once with the registration token, goes to the
// origin the configuration came from and nowhere else.
func (c *platformConfig) validate(configURL *url.URL, dev bool) error {
	iss, err := checkPlatformURL(c.Issuer, "issuer", dev)
	if err != nil {
		return err
	}
	if iss.RawQuery != "" || iss.Fragment != "" {
		return fmt.Errorf("issuer %q has a query or fragment", c.Issuer)
	}
	if !strings.EqualFold(iss.Host, configURL.Host) {
		return fmt.Errorf("issuer %q is not on the host of the configuration URL %s (DR §3.5.1: a tool must not proceed)", c.Issuer, configURL.Host)
	}
	for _, e := range []struct{ name, value string }{
		{"authorization_endpoint", c.AuthorizationEndpoint}, {"token_endpoint", c.TokenEndpoint},
		{"jwks_uri", c.JWKSURI}, {"registration_endpoint", c.RegistrationEndpoint},
	} {
		if _, err := checkPlatformURL(e.value, e.name, dev); err != nil {
			return err
		}
	}
	if reg, _ := url.Parse(c.RegistrationEndpoint); !sameOrigin(reg, iss) {
		return fmt.Errorf("registration_endpoint %q is not on the issuer's origin %s://%s", c.RegistrationEndpoint, iss.Scheme, iss.Host)
	}
	if c.AuthorizationServer != "" {
		if _, err := checkPlatformURL(c.AuthorizationServer, "authorization_server", dev); err != nil {
			return err
		}
	}
	for _, r := range []struct {
		name string
		list []string
		want string
	}{
		{"token_endpoint_auth_methods_supported", c.TokenAuthMethods, "private_key_jwt"},
		{"token_endpoint_auth_signing_alg_values_supported", c.TokenAuthAlgs, "RS256"},
		{"response_types_supported", c.ResponseTypes, "id_token"},
	} {
		if len(r.list) > 0 && !slices.Contains(r.list, r.want) {
			return fmt.Errorf("%s is %q and lacks %q, which LTI 1.3 requires", r.name, r.list, r.want)
		}
	}
	if len(c.IDTokenAlgs) > 0 && len(c.acceptedAlgorithms()) == 0 {
		return fmt.Errorf("id_token_signing_alg_values_supported %q holds none of the algorithms the tool accepts %q", c.IDTokenAlgs, allowedAlgorithms)
	}
	return nil
}

// allowedAlgorithms are the id_token algorithms the tool package accepts.
var allowedAlgorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}

// acceptedAlgorithms returns the id_token algorithms the platform declares
// that the tool accepts.
func (c *platformConfig) acceptedAlgorithms() []string {
	var out []string
	for _, a := range c.IDTokenAlgs {
		if slices.Contains(allowedAlgorithms, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// algorithms returns the id_token algorithms to pin in the registration:
// the accepted ones, or nil (RS256, the default) when the platform
// declares none or only RS256.
func (c *platformConfig) algorithms() []string {
	out := c.acceptedAlgorithms()
	if slices.Equal(out, []string{"RS256"}) {
		return nil
	}
	return out
}

// checkURL parses an absolute http(s) URL without credentials or fragment;
// http only for loopback hosts (a platform on the developer's machine).
func checkURL(s, name string) (*url.URL, error) {
	if s == "" {
		return nil, fmt.Errorf("%s is missing", name)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q is not an absolute http(s) URL", name, s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s %q must use https (http is only allowed for localhost)", name, s)
	}
	return u, nil
}

// checkPlatformURL checks a URL the platform gives, which the tool's server
// will request: checkURL's rules and, unless dev (the tool itself runs on a
// loopback address), a host that is not the tool's own machine. Anyone can
// open the registration URL with a configuration of their own; without
// this, it would point a production tool at services listening on its
// loopback interface.
func checkPlatformURL(s, name string, dev bool) (*url.URL, error) {
	u, err := checkURL(s, name)
	if err != nil {
		return nil, err
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%s %q has no host", name, s)
	}
	if !dev && isLocalHost(u.Hostname()) {
		return nil, fmt.Errorf("%s %q names the tool's own machine, which is allowed only while the tool runs on a loopback address (development)", name, s)
	}
	return u, nil
}

// isLocalHost reports whether host may name the machine it is resolved on:
// a loopback name or address, the unspecified address (0.0.0.0, ::), or a
// numeric host that is not a canonical IP address, such as 127.1 or
// 2130706433, which some resolvers read as 127.0.0.1. A trailing dot is
// ignored.
func isLocalHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsUnspecified()
	}
	last := host[strings.LastIndexByte(host, '.')+1:]
	hex, isHex := strings.CutPrefix(last, "0x")
	return isLoopback(host) || isDigits(last, "0123456789") || isHex && isDigits(hex, "0123456789abcdef")
}

// isDigits reports whether s is non-empty and made of digits only.
func isDigits(s, digits string) bool {
	return s != "" && strings.Trim(s, digits) == ""
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// onLoopback reports whether the tool at baseURL runs on a loopback host.
func onLoopback(baseURL string) bool {
	u, err := url.Parse(baseURL)
	return err == nil && isLoopback(u.Hostname())
}

// sameOrigin reports whether a and b have the same scheme, host and port.
func sameOrigin(a, b *url.URL) bool {
	return a != nil && b != nil && a.Scheme == b.Scheme && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// port is u's port, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
