package ltitest

import (
	"net/url"
	"time"
)

// TokenRequest is one request the token endpoint received, and its answer:
// for asserting how often a tool fetches tokens and what its client
// assertions carry.
type TokenRequest struct {
	// Time is the platform clock's time of the request.
	Time time.Time
	// Method and ContentType are the request's.
	Method      string
	ContentType string
	// Params are the form parameters of the body (grant_type,
	// client_assertion_type, client_assertion, scope...).
	Params url.Values
	// Header and Claims are the client assertion decoded without
	// verification; nil when it does not decode.
	Header map[string]any
	Claims map[string]any

	// Status is the answer's HTTP status: 200, 400, or the status of an
	// injected fault (see [Platform.InjectFault]).
	Status int
	// Error is the answer's error ("invalid_client", or with Moodle its
	// message such as "Expired token"); empty when a token was issued.
	Error string
	// Rule is the requirement of the spec digest the request broke, such as
	// "SEC-CC-03"; empty when none, or when a fault answered.
	Rule string
	// Reason says what was wrong, for test failure messages.
	Reason string
	// Fault reports that an injected fault answered instead of the endpoint.
	Fault bool

	// AccessToken and Scope are the token issued and the scopes granted.
	AccessToken string
	Scope       string
}

// TokenRequests returns every request the token endpoint received, oldest
// first, including those a fault answered: len(p.TokenRequests()) is how
// many token requests the tool made.
func (p *Platform) TokenRequests() []TokenRequest { return p.e.tokenLog.all() }
