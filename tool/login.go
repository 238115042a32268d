package tool

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Size limits for untrusted input.
const (
	maxLoginBody  = 32 << 10  // login initiation form
	maxLaunchBody = 256 << 10 // launch form post
	maxParamLen   = 4 << 10   // any single login parameter
	maxTokenLen   = 128 << 10 // id_token
)

// stateCookiePrefix names the cookies that bind a login's state to the
// browser. Each login gets its own cookie, so two logins in two tabs do not
// overwrite each other.
const stateCookiePrefix = "ltikit_state_"

// pendingLogin is what the tool remembers between login and launch.
type pendingLogin struct {
	Issuer        string    `json:"iss"`
	ClientID      string    `json:"client_id"`
	Nonce         string    `json:"nonce"`
	TargetLinkURI string    `json:"target_link_uri"`
	DeploymentID  string    `json:"deployment_id,omitempty"`
	Created       time.Time `json:"created"`
}

// LoginHandler returns the handler for the tool's OIDC login initiation URL
// (initiate_login_uri). It accepts GET and POST, checks the registration,
// the deployment and the target_link_uri, remembers a fresh state and nonce
// server-side, binds the state to the browser with a cookie and redirects to
// the platform's authorization endpoint. Refusals go to Config.ErrorFunc.
func (t *Tool) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, err := t.login(w, r)
		if err != nil {
			t.ServeError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, target, http.StatusFound)
	})
}

// login runs the login initiation and returns the authorization URL.
func (t *Tool) login(w http.ResponseWriter, r *http.Request) (string, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return "", fail(CodeInvalidRequest, "login initiation must be GET or POST, not %s", r.Method)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		return "", &Error{Code: CodeInvalidRequest, Detail: "unreadable login initiation", Err: err}
	}
	get := func(name string) (string, error) {
		v := r.Form.Get(name)
		if len(v) > maxParamLen {
			return "", &Error{Code: CodeInvalidRequest, Claim: name, Detail: "parameter too long"}
		}
		return v, nil
	}
	var p [6]string
	for i, name := range []string{"iss", "login_hint", "target_link_uri", "client_id", "lti_deployment_id", "lti_message_hint"} {
		v, err := get(name)
		if err != nil {
			return "", err
		}
		if v == "" && i < 3 {
			return "", &Error{Code: CodeInvalidRequest, Claim: name, Detail: "required login parameter missing"}
		}
		p[i] = v
	}
	iss, loginHint, target, clientID, deploymentID, messageHint := p[0], p[1], p[2], p[3], p[4], p[5]

	plat, err := t.platform(r.Context(), iss, clientID)
	if err != nil {
		return "", err
	}
	if deploymentID != "" && plat.DeploymentPolicy != TrustOnFirstUse && !plat.AllowsDeployment(deploymentID) {
		return "", &Error{Code: CodeUnknownDeployment, Claim: "lti_deployment_id",
			Detail: "deployment " + quote(deploymentID) + " is not registered", Issuer: iss, ClientID: plat.ClientID}
	}
	if !t.ownsURL(target) {
		return "", &Error{Code: CodeBadTargetLinkURI, Claim: "target_link_uri",
			Detail: "target_link_uri is not one of this tool's URLs", Issuer: iss, ClientID: plat.ClientID}
	}

	state, nonce := randomToken(), randomToken()
	pending, _ := json.Marshal(pendingLogin{Issuer: plat.Issuer, ClientID: plat.ClientID, Nonce: nonce,
		TargetLinkURI: target, DeploymentID: deploymentID, Created: t.cfg.Now()})
	if err := t.cfg.Store.Add(r.Context(), "login:"+state, pending, t.cfg.LoginTTL); err != nil {
		return "", &Error{Code: CodeStoreFailure, Detail: "could not save the pending login", Err: err}
	}
	t.setCookie(w, stateCookiePrefix+state[:16], state, int(t.cfg.LoginTTL/time.Second))

	auth, err := url.Parse(plat.AuthURL)
	if err != nil {
		return "", &Error{Code: CodeUnknownPlatform, Detail: "the registration's auth_url is invalid", Err: err}
	}
	q := auth.Query()
	q.Set("scope", "openid")
	q.Set("response_type", "id_token")
	q.Set("response_mode", "form_post")
	q.Set("prompt", "none")
	q.Set("client_id", plat.ClientID)
	q.Set("redirect_uri", t.cfg.LaunchURL)
	q.Set("state", state)
	q.Set("nonce", nonce)
	q.Set("login_hint", loginHint)
	if messageHint != "" {
		q.Set("lti_message_hint", messageHint)
	}
	auth.RawQuery = q.Encode()
	return auth.String(), nil
}

// ownsURL reports whether u is an absolute URL on the tool's origin or on
// one of Config.TargetLinkOrigins, so the login cannot redirect elsewhere.
func (t *Tool) ownsURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Host == "" {
		return false
	}
	origin := u.Scheme + "://" + u.Host
	return origin == t.cfg.BaseURL || slices.Contains(t.cfg.TargetLinkOrigins, origin)
}

// setCookie sets a cookie with the attributes of every ltikit cookie; a
// negative maxAge deletes it.
func (t *Tool) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	o := cookieOptions(maxAge)
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: o.Path, MaxAge: o.MaxAge,
		HttpOnly: o.HttpOnly, Secure: o.Secure, SameSite: o.SameSite, Partitioned: o.Partitioned})
}

// randomToken returns 256 bits from crypto/rand, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func isErr(err, target error) bool { return errors.Is(err, target) }
