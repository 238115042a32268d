package ltitest

import (
	"fmt"
	"net/http"
	"strings"
)

// The token endpoint (URL + "/token"): OAuth 2.0 client credentials with a
// JWT client assertion (Security Framework §4, SEC-CC-*), checked in the
// order of Moodle's mod/lti/token.php and then more strictly than Moodle.

const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	formMediaType          = "application/x-www-form-urlencoded"
	maxTokenRequestSize    = 64 << 10
)

// OAuth 2.0 error codes of the token endpoint (SEC-CC-05).
const (
	errUnsupportedGrantType = "unsupported_grant_type"
	errInvalidClient        = "invalid_client"
)

// tokenOutcome is the token endpoint's decision on one request.
type tokenOutcome struct {
	code   string // OAuth error code; "" when a token is issued
	moodle string // the "error" Moodle answers: code, or the exception message of the assertion check
	rule   string // the requirement broken
	reason string // what was wrong, for error_description and the log

	token  string
	scopes []string
}

func refuse(code, rule, reason string) tokenOutcome {
	return tokenOutcome{code: code, moodle: code, rule: rule, reason: reason}
}

// serveToken is the token endpoint. It answers like Moodle: 200 with the
// token, or 400 with {"error": ...}; with the Moodle profile the JSON is
// served as text/html, as Moodle does.
func (e *engine) serveToken(w http.ResponseWriter, r *http.Request) {
	entry := TokenRequest{Time: e.clock(), Method: r.Method, ContentType: r.Header.Get("Content-Type")}
	o := e.token(r, &entry)
	entry.Error, entry.Rule, entry.Reason = o.moodle, o.rule, o.reason
	if !e.quirks.moodleServices {
		entry.Error = o.code
	}
	if o.code == "" {
		entry.Status = http.StatusOK
		entry.AccessToken, entry.Scope = o.token, strings.Join(o.scopes, " ")
	} else {
		entry.Status = http.StatusBadRequest
	}
	e.tokenLog.add(entry)

	h := w.Header()
	h.Set("Cache-Control", "no-store")
	var body string
	if e.quirks.moodleServices {
		// mod/lti/token.php's heredocs, values inserted unescaped.
		h.Set("Content-Type", "text/html; charset=utf-8")
		if o.code == "" {
			body = fmt.Sprintf("{\n  \"access_token\" : \"%s\",\n  \"token_type\" : \"Bearer\",\n  \"expires_in\" : %d,\n  \"scope\" : \"%s\"\n}",
				o.token, int(serviceTokenLifetime.Seconds()), entry.Scope)
		} else {
			body = fmt.Sprintf("{\n  \"error\" : \"%s\"\n}", o.moodle)
		}
	} else {
		h.Set("Content-Type", "application/json")
		h.Set("Pragma", "no-cache")
		var v any
		if o.code == "" {
			v = map[string]any{"access_token": o.token, "token_type": "Bearer",
				"expires_in": int(serviceTokenLifetime.Seconds()), "scope": entry.Scope}
		} else {
			v = map[string]string{"error": o.code, "error_description": o.reason}
		}
		b, err := marshalJSON(v)
		if err != nil {
			http.Error(w, "ltitest: "+err.Error(), http.StatusInternalServerError)
			return
		}
		body = string(b)
	}
	w.WriteHeader(entry.Status)
	_, _ = w.Write([]byte(body))
}

// token checks one token request and issues the token. It fills entry's
// request fields as it reads them.
func (e *engine) token(r *http.Request, entry *TokenRequest) tokenOutcome {
	// SEC-CC-01: POST with the form media type; Moodle compares the part
	// before ';' exactly.
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if r.Method != http.MethodPost {
		return refuse(errInvalidRequest, "SEC-CC-01", "method "+r.Method+", want POST")
	}
	if mt != formMediaType {
		return refuse(errInvalidRequest, "SEC-CC-01", fmt.Sprintf("Content-Type %q, want exactly %q", entry.ContentType, formMediaType))
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxTokenRequestSize)
	if err := r.ParseForm(); err != nil {
		return refuse(errInvalidRequest, "SEC-CC-02", "the body is not a form: "+err.Error())
	}
	params := r.PostForm
	entry.Params = cloneValues(params)
	assertion := params.Get("client_assertion")
	entry.Header, entry.Claims = decodeJWS(assertion)

	// SEC-CC-02: the four parameters, non-empty.
	for _, name := range []string{"client_assertion", "client_assertion_type", "grant_type", "scope"} {
		if params.Get(name) == "" {
			return refuse(errInvalidRequest, "SEC-CC-02", "parameter "+name+" missing or empty")
		}
	}
	if params.Get("client_assertion_type") != assertionTypeJWTBearer {
		return refuse(errUnsupportedGrantType, "SEC-CC-02", fmt.Sprintf("client_assertion_type %q, want %q", params.Get("client_assertion_type"), assertionTypeJWTBearer))
	}
	if params.Get("grant_type") != grantClientCredentials {
		return refuse(errUnsupportedGrantType, "SEC-CC-02", fmt.Sprintf("grant_type %q, want %q", params.Get("grant_type"), grantClientCredentials))
	}

	// Moodle finds the tool by the assertion's sub.
	sub, _ := entry.Claims["sub"].(string)
	if strings.Count(assertion, ".") != 2 || entry.Claims == nil || sub == "" {
		return refuse(errInvalidRequest, "SEC-CC-03", "client_assertion is not a JWT with a sub")
	}
	if _, ok := e.registration(sub); !ok {
		return refuse(errInvalidClient, "SEC-CC-03", fmt.Sprintf("no tool registered with client_id %q (the assertion's sub)", sub))
	}
	if o, ok := e.checkAssertion(r, sub, assertion); !ok {
		return o
	}

	// SEC-CC-04: grant the permitted scopes among those requested.
	reg, _ := e.registration(sub)
	granted := grantScopes(params.Get("scope"), e.permittedScopes(reg))
	if len(granted) == 0 {
		return refuse(errInvalidScope, "SEC-CC-04", fmt.Sprintf("none of the scopes %q is permitted", params.Get("scope")))
	}
	return tokenOutcome{token: e.tokens.issue(sub, granted, e.clock()), scopes: granted}
}
