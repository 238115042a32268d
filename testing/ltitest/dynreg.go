package ltitest

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Paths of the dynamic-registration endpoints (LTI Dynamic Registration
// 1.0), served beside /auth and /jwks.
const (
	openIDConfigurationPath = "/openid-configuration"
	registrationPath        = "/register"
)

// dynregs is the platform's side of dynamic registration: the registration
// tokens it issued and what the tools registered with them. Its zero value
// is ready; it is safe for concurrent use.
type dynregs struct {
	mu       sync.Mutex
	tokens   map[string]*regToken      // by the token itself
	requests map[string]map[string]any // the registration each tool posted, by client_id
}

// regToken is a registration token: single-use, and bound to the client_id
// it will issue, as Moodle's are.
type regToken struct {
	clientID string
	exp      int64 // Unix seconds
	used     bool
}

// serveOpenIDConfiguration serves the platform's OpenID configuration
// (DR-03, DR-04) in the shape of Moodle 4.5's.
func (e *engine) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	q := e.quirks
	scopes := append(e.permittedScopes(registration{}), "openid")
	writeDynregJSON(w, http.StatusOK, map[string]any{
		"issuer":                                e.issuer,
		"authorization_endpoint":                e.issuer + "/auth",
		"token_endpoint":                        e.issuer + "/token",
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{"RS256"},
		"jwks_uri":                              e.issuer + "/jwks",
		"registration_endpoint":                 e.issuer + registrationPath,
		"scopes_supported":                      scopes,
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"sub", "iss", "name", "given_name", "family_name", "email"},
		"https://purl.imsglobal.org/spec/lti-platform-configuration": map[string]any{
			"product_family_code": q.toolPlatform["product_family_code"],
			"version":             q.toolPlatform["version"],
			"messages_supported": []map[string]any{
				{"type": "LtiResourceLinkRequest"},
				{"type": "LtiDeepLinkingRequest", "placements": []string{"ContentArea"}},
			},
		},
	})
}

// newRegistrationToken issues a registration token for a new client_id.
func (e *engine) newRegistrationToken() (string, error) {
	clientID := randomClientID(15) // Moodle's random_string(15)
	iat := e.clock().Unix()
	key := e.signingKey()
	token, err := signJWS(key, header(key.ID, key.Algorithm),
		map[string]any{"sub": clientID, "scope": "reg", "iat": iat, "exp": iat + 3600})
	if err != nil {
		return "", err
	}
	d := &e.dynreg
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tokens == nil {
		d.tokens = map[string]*regToken{}
	}
	d.tokens[token] = &regToken{clientID: clientID, exp: iat + 3600}
	return token, nil
}

// registeredWith returns the client_id a registration token issued, if
// the tool registered with it.
func (e *engine) registeredWith(token string) (string, bool) {
	d := &e.dynreg
	d.mu.Lock()
	defer d.mu.Unlock()
	rt, ok := d.tokens[token]
	if !ok || !rt.used {
		return "", false
	}
	return rt.clientID, true
}

// registrationRequest returns the registration the tool clientID posted.
func (e *engine) registrationRequest(clientID string) map[string]any {
	d := &e.dynreg
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.requests[clientID]
}

// serveRegistration is the registration endpoint (DR-05 to DR-08). It
// checks the tool's client registration the way Moodle's
// openid-registration.php does, and more strictly where the specification
// says MUST; it answers errors as Moodle does, as text/html: 401
// missing_registration_token or token_already_used, an HTML page (404) for
// a token it did not issue or that expired, 400 with a message for a bad
// registration. A refused registration does not use the token up.
func (e *engine) serveRegistration(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") {
		writeDynregText(w, http.StatusUnauthorized, "missing_registration_token")
		return
	}
	token := strings.TrimSpace(auth[len("Bearer "):])
	d := &e.dynreg
	d.mu.Lock()
	rt, ok := d.tokens[token]
	var used bool
	if ok {
		used = rt.used
	}
	d.mu.Unlock()
	switch {
	case !ok || e.clock().Unix() >= rt.exp:
		writeErrorPage(w, http.StatusNotFound, "invalid registration token", nil)
		return
	case used:
		writeDynregText(w, http.StatusUnauthorized, "token_already_used")
		return
	}
	req, reg, msg := e.checkRegistration(r)
	if msg != "" {
		writeDynregText(w, http.StatusBadRequest, msg)
		return
	}

	d.mu.Lock()
	if rt.used { // a concurrent request registered first
		d.mu.Unlock()
		writeDynregText(w, http.StatusUnauthorized, "token_already_used")
		return
	}
	rt.used = true
	if d.requests == nil {
		d.requests = map[string]map[string]any{}
	}
	d.requests[rt.clientID] = req
	d.mu.Unlock()

	reg.clientID = rt.clientID
	reg.deploymentID = e.nextDeploymentID()
	e.register(reg)
	writeDynregJSON(w, http.StatusOK, registrationAnswer(req, reg))
}

// nextDeploymentID numbers the deployment of a new tool after the tools
// registered, in the style of the profile's default: "2" after Moodle's
// "1", "deployment-2" after "deployment-1".
func (e *engine) nextDeploymentID() string {
	e.mu.Lock()
	n := len(e.tools)
	e.mu.Unlock()
	prefix := strings.TrimRight(e.quirks.deploymentID, "0123456789")
	return prefix + strconv.Itoa(n+1)
}

// checkRegistration decodes and checks a client registration. It returns
// the request, the registration it makes, and the refusal message when it
// is refused.
func (e *engine) checkRegistration(r *http.Request) (map[string]any, registration, string) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, registration{}, "invalid_request: the registration must be sent as application/json (DR-05), not " + strconv.Quote(ct)
	}
	var req map[string]any
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(&req); err != nil || req == nil {
		return nil, registration{}, "invalid_request: the registration is not a JSON object"
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	list := func(m map[string]any, k string) []string {
		vs, _ := m[k].([]any)
		var out []string
		for _, v := range vs {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	toolConfig, _ := req[toolConfigurationKey].(map[string]any)
	// Moodle's order of checks: required attributes, then their values.
	for _, k := range []struct {
		name    string
		present bool
	}{
		{"response_types", len(list(req, "response_types")) > 0},
		{"initiate_login_uri", str(req, "initiate_login_uri") != ""},
		{"redirect_uris", req["redirect_uris"] != nil},
		{"client_name", str(req, "client_name") != ""},
		{"jwks_uri", str(req, "jwks_uri") != ""},
		{"token_endpoint_auth_method", str(req, "token_endpoint_auth_method") != ""},
		{toolConfigurationKey, toolConfig != nil},
		{"domain", str(toolConfig, "domain") != ""},
		{"target_link_uri", str(toolConfig, "target_link_uri") != ""},
	} {
		if !k.present {
			return nil, registration{}, "missing required attribute " + k.name
		}
	}
	redirects := list(req, "redirect_uris")
	grants := list(req, "grant_types")
	switch {
	case !slices.Contains(list(req, "response_types"), "id_token"):
		return nil, registration{}, "invalid_response_types"
	case len(redirects) == 0:
		return nil, registration{}, "invalid_redirect_uris"
	case str(req, "token_endpoint_auth_method") != "private_key_jwt":
		return nil, registration{}, "invalid_token_endpoint_auth_method"
	case req["application_type"] != nil && str(req, "application_type") != "web":
		return nil, registration{}, "invalid_application_type"
	case !slices.Contains(grants, "implicit") || !slices.Contains(grants, "client_credentials"):
		return nil, registration{}, "invalid_grant_types: grant_types must hold implicit and client_credentials (DR-06)"
	}
	for _, u := range append([]string{str(req, "initiate_login_uri"), str(req, "jwks_uri"), str(toolConfig, "target_link_uri")}, redirects...) {
		if checkLoginURL(u) != nil {
			return nil, registration{}, "invalid_request: " + strconv.Quote(u) + " is not an absolute http(s) URL"
		}
	}
	granted := grantScopes(str(req, "scope"), e.permittedScopes(registration{}))
	if granted == nil {
		granted = []string{}
	}
	return req, registration{redirectURIs: redirects, loginURL: str(req, "initiate_login_uri"),
		jwksURL: str(req, "jwks_uri"), scopes: granted}, ""
}

// toolConfigurationKey is the member of a client registration that
// describes the LTI tool (DR-07).
const toolConfigurationKey = "https://purl.imsglobal.org/spec/lti-tool-configuration"

// registrationAnswer is the platform's answer to a registration (DR-08),
// in the shape of Moodle's: the registration echoed with the client_id and
// the granted scopes, and the deployment_id in the tool configuration.
func registrationAnswer(req map[string]any, reg registration) map[string]any {
	ans := map[string]any{
		"client_id":                  reg.clientID,
		"response_types":             []string{"id_token"},
		"jwks_uri":                   reg.jwksURL,
		"initiate_login_uri":         reg.loginURL,
		"grant_types":                []string{"client_credentials", "implicit"},
		"redirect_uris":              reg.redirectURIs,
		"application_type":           "web",
		"token_endpoint_auth_method": "private_key_jwt",
		"client_name":                req["client_name"],
		"scope":                      strings.Join(reg.scopes, " "),
	}
	if logo, ok := req["logo_uri"]; ok {
		ans["logo_uri"] = logo
	}
	tc := map[string]any{"version": "1.3.0", "deployment_id": reg.deploymentID}
	in, _ := req[toolConfigurationKey].(map[string]any)
	for _, k := range []string{"target_link_uri", "domain", "description", "messages", "custom_parameters", "claims"} {
		if v, ok := in[k]; ok {
			tc[k] = v
		}
	}
	ans[toolConfigurationKey] = tc
	return ans
}

// writeDynregJSON writes v as the JSON answer.
func writeDynregJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// writeDynregText writes a bare message as text/html, as Moodle answers
// registration errors.
func writeDynregText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// randomClientID returns n random letters and digits, as Moodle's client ids.
func randomClientID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
