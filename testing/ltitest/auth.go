package ltitest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// OAuth 2.0 / OIDC error codes the auth endpoint answers with.
const (
	errInvalidRequest          = "invalid_request"
	errInvalidScope            = "invalid_scope"
	errUnsupportedResponseType = "unsupported_response_type"
	errUnauthorizedClient      = "unauthorized_client"
	errAccessDenied            = "access_denied"
	errServer                  = "server_error"
)

// authOutcome is the auth endpoint's decision on one request.
type authOutcome struct {
	launch     *pendingLaunch // the launch the request names, if any
	violations []Violation
	// page, when set, is the text of an error page: the request cannot be
	// answered at redirect_uri.
	page string
	// errCode and errDesc, when errCode is set, are posted to the tool
	// instead of an id_token.
	errCode, errDesc string
}

// serveAuth is the OIDC authorization endpoint (Security Framework §5.1.1):
// it checks the tool's authentication request the way Moodle's
// mod/lti/auth.php does and answers with an auto-submitting form that posts
// the id_token (or an error) to the redirect_uri.
func (e *engine) serveAuth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "ltitest: bad authentication request: "+err.Error(), http.StatusBadRequest)
		return
	}
	params := r.Form // the POST body first, then the query, like PHP's optional_param
	u := *r.URL
	u.Scheme, u.Host = "", ""
	entry := LogEntry{
		Step:   StepAuth,
		Method: r.Method,
		URL:    e.issuer + u.String(),
		Params: cloneValues(params),
	}

	o := e.authorize(params)
	entry.Violations = o.violations
	if o.launch != nil {
		entry.LaunchID = o.launch.id
	}
	if o.page != "" {
		entry.Status = e.quirks.errorPageStatus
		entry.Error = o.page
		e.record(entry)
		writeErrorPage(w, entry.Status, o.page, o.violations)
		return
	}

	var fields [][2]string
	if o.errCode == "" && o.launch == nil { // authorize always refuses these
		o.errCode, o.errDesc = errServer, "no launch"
	}
	if o.errCode == "" {
		token, hdr, claims, err := e.idToken(o.launch, params.Get("nonce"))
		if err != nil {
			o.errCode, o.errDesc = errServer, err.Error()
		} else {
			entry.IDToken, entry.Header, entry.Claims = token, hdr, claims
			fields = append(fields, [2]string{"id_token", token})
		}
	}
	if o.errCode != "" {
		entry.Error = o.errCode
		fields = append(fields, [2]string{"error", o.errCode})
		if o.errDesc != "" {
			fields = append(fields, [2]string{"error_description", o.errDesc})
		}
	}
	fields = append(fields, [2]string{"state", params.Get("state")}) // Moodle always echoes it
	entry.Status = http.StatusOK
	e.record(entry)
	writeAutoSubmit(w, params.Get("redirect_uri"), "ltiAuthForm", fields)
}

// authorize checks an authentication request. It records every rule the
// request breaks, then decides the answer like Moodle: an error page when
// the redirect_uri cannot be trusted, otherwise the first refused rule as
// an error posted to the tool. With the Moodle quirks, a request that fails
// Moodle's first checks is also an error page and leaves the launch unused.
func (e *engine) authorize(p url.Values) authOutcome {
	var o authOutcome
	get := p.Get
	add := func(rule, param, want, code string) {
		o.violations = append(o.violations, Violation{Rule: rule, Param: param, Got: get(param), Want: want, Error: code})
	}

	// Parameters Moodle requires before anything else (its !empty checks).
	var missing []string
	for _, name := range []string{"scope", "response_type", "client_id", "redirect_uri", "login_hint", "nonce"} {
		if get(name) == "" {
			missing = append(missing, name)
		}
	}
	rules := map[string]string{"scope": "SEC-AUTH-01", "response_type": "SEC-AUTH-02", "client_id": "SEC-AUTH-05",
		"redirect_uri": "SEC-AUTH-06", "login_hint": "SEC-AUTH-07", "nonce": "SEC-AUTH-10"}
	for _, name := range missing {
		add(rules[name], name, "a value", errInvalidRequest)
	}

	// lti_message_hint names the launch; it must come back unaltered, once.
	hint := get("lti_message_hint")
	pl := e.findLaunch(hint)
	used := pl != nil && e.isUsed(pl)
	hintOK := false
	switch {
	case hint == "":
		add("SEC-AUTH-08", "lti_message_hint", "the lti_message_hint of the login initiation", errInvalidRequest)
	case pl == nil:
		add("SEC-AUTH-08", "lti_message_hint", "the lti_message_hint of a launch this platform started, byte for byte", errInvalidRequest)
	case used:
		add("SEC-AUTH-08", "lti_message_hint", "a launch not used yet (each lti_message_hint is single-use)", errInvalidRequest)
	case hint != pl.messageHint:
		add("SEC-AUTH-08", "lti_message_hint", fmt.Sprintf("%q byte for byte", pl.messageHint), errInvalidRequest)
	default:
		hintOK = true
	}
	o.launch = pl

	badScope := get("scope") != "" && get("scope") != "openid"
	if badScope {
		add("SEC-AUTH-01", "scope", `"openid"`, errInvalidScope)
	}
	badResponseType := get("response_type") != "" && get("response_type") != "id_token"
	if badResponseType {
		add("SEC-AUTH-02", "response_type", `"id_token"`, errUnsupportedResponseType)
	}

	// The registration: the launch's, else the one client_id names.
	var reg registration
	var haveReg bool
	if pl != nil {
		reg, haveReg = e.registration(pl.clientID)
	} else {
		reg, haveReg = e.registration(get("client_id"))
	}
	badClient := get("client_id") != "" && (!haveReg || get("client_id") != reg.clientID)
	if badClient {
		want := "the client_id of a registered tool"
		if haveReg {
			want = fmt.Sprintf("%q, the client_id of the registration", reg.clientID)
		}
		add("SEC-AUTH-05", "client_id", want, errUnauthorizedClient)
	}
	badUser := pl != nil && get("login_hint") != "" && get("login_hint") != pl.loginHint
	if badUser {
		add("SEC-AUTH-07", "login_hint", fmt.Sprintf("%q, the login_hint of the login initiation", pl.loginHint), errAccessDenied)
	}
	redirectOK := haveReg && registered(reg.redirectURIs, get("redirect_uri"))
	if !redirectOK && get("redirect_uri") != "" {
		add("SEC-AUTH-06", "redirect_uri", fmt.Sprintf("one of the registered redirect URIs %q, exactly", reg.redirectURIs), errInvalidRequest)
	}
	badMode := get("response_mode") != "form_post"
	if badMode {
		add("SEC-AUTH-03", "response_mode", `"form_post"`, errInvalidRequest)
	}
	badPrompt := get("prompt") != "" && get("prompt") != "none"
	if badPrompt {
		add("SEC-AUTH-04", "prompt", `"none" or empty`, errInvalidRequest)
	}
	if get("state") == "" {
		add("SEC-AUTH-09", "state", "an unguessable value bound to the browser", "")
	}
	for i := range o.violations {
		if pl != nil {
			o.violations[i].LaunchID = pl.id
		}
	}

	if e.quirks.moodleAuthOrder {
		// mod/lti/auth.php: without its first checks passing Moodle has not
		// loaded the tool's configuration, so it cannot trust redirect_uri.
		if len(missing) > 0 || pl == nil || used || badScope || badResponseType {
			o.page = "invalid request (Moodle refuses it before it loads the tool's registration): " + firstRefused(o.violations)
			return o
		}
		if !e.consume(pl) { // a concurrent request used it first
			o.page = "invalid request: lti_message_hint already used"
			return o
		}
		switch {
		case badClient:
			o.errCode = errUnauthorizedClient
		case badUser:
			o.errCode = errAccessDenied
		}
		if !redirectOK {
			o.page = "invalid request: " + firstRefused(o.violations)
			return o
		}
		switch {
		case o.errCode != "":
		case badMode:
			o.errCode, o.errDesc = errInvalidRequest, "Invalid response_mode"
		case badPrompt:
			o.errCode, o.errDesc = errInvalidRequest, "Invalid prompt"
		case !hintOK:
			o.errCode, o.errDesc = errInvalidRequest, "lti_message_hint altered"
		}
		return o
	}

	if !redirectOK {
		o.page = "invalid request: " + firstRefused(o.violations)
		return o
	}
	for _, v := range o.violations {
		if v.Error != "" {
			o.errCode, o.errDesc = v.Error, "invalid "+v.Param+": want "+v.Want
			break
		}
	}
	if pl != nil && !used && !e.consume(pl) { // a concurrent request used it first
		o.errCode, o.errDesc = errInvalidRequest, "lti_message_hint already used"
	}
	return o
}

func (e *engine) isUsed(pl *pendingLaunch) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return pl.used
}

// registered reports whether uri is one of uris, compared exactly after
// trimming spaces from the registered values, as Moodle does.
func registered(uris []string, uri string) bool {
	return uri != "" && slices.ContainsFunc(uris, func(u string) bool { return strings.TrimSpace(u) == uri })
}

// firstRefused describes the first violation the platform refuses.
func firstRefused(vs []Violation) string {
	for _, v := range vs {
		if v.Error != "" {
			return v.String()
		}
	}
	return "unknown error"
}

// writeAutoSubmit writes an HTML page that posts fields to action as soon
// as it loads, in the shape of Moodle's protocol forms.
func writeAutoSubmit(w http.ResponseWriter, action, name string, fields [][2]string) {
	var b strings.Builder
	fmt.Fprintf(&b, "<form action=\"%s\" name=\"%s\" id=\"%s\" method=\"post\" enctype=\"application/x-www-form-urlencoded\">\n",
		html.EscapeString(action), name, name)
	for _, f := range fields {
		fmt.Fprintf(&b, "  <input type=\"hidden\" name=\"%s\" value=\"%s\"/>\n", html.EscapeString(f[0]), html.EscapeString(f[1]))
	}
	fmt.Fprintf(&b, "</form>\n<script type=\"text/javascript\">\n//<![CDATA[\ndocument.%s.submit();\n//]]>\n</script>\n", name)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache, must-revalidate")
	_, _ = fmt.Fprint(w, b.String())
}

// writeErrorPage writes the auth endpoint's error page: msg, then every
// violation of the request.
func writeErrorPage(w http.ResponseWriter, status int, msg string, vs []Violation) {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<title>Invalid authentication request</title>\n<p>ltitest: %s</p>\n", html.EscapeString(msg))
	if len(vs) > 1 {
		b.WriteString("<p>All the rules the request broke:</p>\n<ul>\n")
		for _, v := range vs {
			fmt.Fprintf(&b, "<li>%s</li>\n", html.EscapeString(v.String()))
		}
		b.WriteString("</ul>\n")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, b.String())
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
