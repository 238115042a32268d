package ltitest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// maxRegistrationPages bounds the pages Register goes through.
const maxRegistrationPages = 5

// closeSubject is the message a tool's last registration page posts to the
// LMS's window (DR-09).
const closeSubject = "org.imsglobal.lti.close"

// RegistrationURL returns what the LMS opens when an administrator gives
// it the tool's registration URL (LTI Dynamic Registration 1.0): toolURL
// with openid_configuration, the platform's OpenID configuration at
// URL + "/openid-configuration", and registration_token, a fresh token
// that registers one tool (a single-use RS256 JWT whose sub is the
// client_id the tool will get, valid for an hour, as Moodle's).
//
// The platform's registration endpoint, URL + "/register", checks the
// tool's client registration as Moodle 4.5 does and answers its refusals
// the same way (see [Platform.Register]). Use RegistrationURL to drive a
// registration by hand; Register does the whole dance.
func (p *Platform) RegistrationURL(t testing.TB, toolURL string) string {
	t.Helper()
	u, err := url.Parse(toolURL)
	if err != nil || checkLoginURL(toolURL) != nil {
		t.Fatalf("ltitest: RegistrationURL: %q is not an absolute http(s) URL", toolURL)
	}
	token, err := p.e.newRegistrationToken()
	if err != nil {
		t.Fatalf("ltitest: RegistrationURL: %v", err)
	}
	q := u.Query()
	q.Set("openid_configuration", p.URL+openIDConfigurationPath)
	q.Set("registration_token", token)
	u.RawQuery = q.Encode()
	return u.String()
}

// Register registers a tool by dynamic registration, as an LMS
// administrator does by pasting the tool's registration URL: it opens
// RegistrationURL(t, toolURL) in a fresh [Browser], submits the form of
// each page the tool shows (its confirmation page) as if the
// administrator clicked its first button, and stops at the page that
// posts {subject: "org.imsglobal.lti.close"} to the LMS's window, from an
// inline script that the page's Content-Security-Policy lets run.
//
// Along the way the tool fetches the platform's OpenID configuration and
// posts its client registration to URL + "/register", which checks it as
// Moodle does (response_types with id_token, initiate_login_uri,
// redirect_uris, client_name, jwks_uri, token_endpoint_auth_method
// private_key_jwt, application_type web, the LTI tool configuration with
// domain and target_link_uri), and, as the specification requires,
// application/json and grant_types implicit and client_credentials. The
// platform then registers the tool with a new client_id and deployment_id
// ("2" after Moodle's "1"), its redirect URIs, login URL, key set and the
// service scopes it asked for that the platform offers, and answers as
// Moodle does.
//
// Register fails the test unless the tool registered and closed the
// window: a last page whose policy blocks its close script fails it. It returns the platform as the new tool sees it: a Platform with
// the new ClientID and DeploymentID, sharing this one's server, whose
// Launch and Registration are the new tool's. Closing it does nothing;
// this Platform owns the server.
func (p *Platform) Register(t testing.TB, toolURL string) *Platform {
	t.Helper()
	start := p.RegistrationURL(t, toolURL)
	token, _ := url.Parse(start)
	c := p.NewBrowser(t).Client()
	resp, err := c.Get(start)
	for i := 0; ; i++ {
		if err != nil {
			t.Fatalf("ltitest: Register: %v", err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("ltitest: Register: the tool answered %s %s with %s: %s", resp.Request.Method, resp.Request.URL, resp.Status, pageText(body))
		}
		if bytes.Contains(body, []byte(closeSubject)) {
			if err := checkCloseCSP(resp.Header.Values("Content-Security-Policy"), string(body)); err != nil {
				page := *resp.Request.URL
				page.RawQuery = "" // the registration token is of no help here
				t.Fatalf("ltitest: Register: a browser would not close the registration with the tool's last page at %s: %v", &page, err)
			}
			break
		}
		forms := parseForms(string(body))
		if len(forms) != 1 || i == maxRegistrationPages {
			t.Fatalf("ltitest: Register: the tool's page at %s neither closes the registration (%s) nor has one form to submit: %s",
				resp.Request.URL, closeSubject, pageText(body))
		}
		resp, err = submit(c, resp.Request.URL, forms[0])
	}
	clientID, ok := p.e.registeredWith(token.Query().Get("registration_token"))
	if !ok {
		t.Fatalf("ltitest: Register: the tool closed the registration without registering with the platform")
	}
	reg, _ := p.e.registration(clientID)
	v := &Platform{URL: p.URL, ClientID: clientID, DeploymentID: reg.deploymentID, e: p.e, srv: p.srv, served: p.served}
	v.closeOnce.Do(func() {}) // the view does not own the server
	return v
}

// RegistrationRequest returns the client registration the tool posted when
// it registered by dynamic registration (decoded JSON), or nil for a tool
// registered otherwise.
func (p *Platform) RegistrationRequest() map[string]any { return p.e.registrationRequest(p.ClientID) }

// submit submits form, found on the page at page, as a browser does: a
// POST carries the page's origin in Origin.
func submit(c *http.Client, page *url.URL, f htmlForm) (*http.Response, error) {
	action, err := page.Parse(f.action)
	if err != nil {
		return nil, err
	}
	if f.action == "" {
		action = page
	}
	req, err := newFormRequest(f.method, action.String(), f.fields)
	if err != nil {
		return nil, err
	}
	if f.method != http.MethodGet {
		req.Header.Set("Origin", page.Scheme+"://"+page.Host)
	}
	return c.Do(req)
}
