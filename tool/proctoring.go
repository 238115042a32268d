package tool

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// LTI Proctoring Services 1.0, tool side: after an LtiStartProctoring
// launch the tool checks the candidate, then sends the browser back to the
// platform with a signed LtiStartAssessment message (AP-02, AP-03).

// Lifetime of an LtiStartAssessment JWT. The browser posts it at once; iat
// is set a few seconds back for platforms whose clock lags the tool's.
const (
	startAssessmentLifetime = 5 * time.Minute
	startAssessmentBackdate = 5 * time.Second
)

// The proctoring claims the tool echoes, by full name.
const (
	claimAPSessionData   = "https://purl.imsglobal.org/spec/lti-ap/claim/session_data"
	claimAPAttemptNumber = "https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number"
)

// AssessmentStart is what the tool adds to its LtiStartAssessment message
// once the candidate passed the proctoring setup. The zero value sends no
// verified_user and end_assessment_return false.
type AssessmentStart struct {
	// VerifiedUser is the identity the proctor verified (AP-08); nil sends
	// no verified_user claim. A platform may refuse the message when an
	// identity claim it needs is missing.
	VerifiedUser *VerifiedUser
	// EndAssessmentReturn asks the platform to send an LtiEndAssessment
	// message when the attempt ends (AP-04).
	EndAssessmentReturn bool
}

// VerifiedUser is the verified_user claim (AP-08): the OpenID Connect
// identity claims a proctor checked, at least GivenName, FamilyName and
// Name when the tool checks identity. It never holds iss or sub, which the
// tool cannot verify.
type VerifiedUser struct {
	Name       string // name
	GivenName  string // given_name
	FamilyName string // family_name
	MiddleName string // middle_name
	Email      string // email
	// Picture is the URL of a picture the tool took of the candidate. It
	// MUST NOT be the picture the platform sent in the launch (AP-08).
	Picture string // picture
	Locale  string // locale
	// Extra holds further identity claims by name, such as "birthdate";
	// a name may not repeat a field above, nor be "iss" or "sub".
	Extra map[string]any
}

// fields maps the claim names to v's fields.
func (v *VerifiedUser) fields() map[string]*string {
	return map[string]*string{
		"name": &v.Name, "given_name": &v.GivenName, "family_name": &v.FamilyName,
		"middle_name": &v.MiddleName, "email": &v.Email, "picture": &v.Picture, "locale": &v.Locale,
	}
}

// MarshalJSON encodes the claim as one flat object; empty fields are left
// out.
func (v VerifiedUser) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 7+len(v.Extra))
	maps.Copy(m, v.Extra)
	for k, p := range v.fields() {
		if *p != "" {
			m[k] = *p
		}
	}
	return json.Marshal(m)
}

// newVerifiedUser converts a decoded verified_user object: string values
// of the standard claims go into their fields, everything else into Extra.
func newVerifiedUser(m map[string]any) *VerifiedUser {
	if m == nil {
		return nil
	}
	v := &VerifiedUser{}
	fields := v.fields()
	for k, val := range m {
		if p, ok := fields[k]; ok {
			if s, ok := val.(string); ok {
				*p = s
				continue
			}
		}
		if v.Extra == nil {
			v.Extra = make(map[string]any)
		}
		v.Extra[k] = val
	}
	return v
}

// check reports why v may not be sent for launch l (AP-08).
func (v *VerifiedUser) check(l *Launch) error {
	fields := v.fields()
	for _, k := range slices.Sorted(maps.Keys(v.Extra)) {
		if _, std := fields[k]; std || k == "iss" || k == "sub" {
			return &Error{Code: CodeInvalidClaim, Claim: "verified_user." + k,
				Detail: "Extra may not hold " + quote(k) + ": iss and sub cannot be verified by the tool, and the standard claims have their own fields"}
		}
	}
	if v.Picture != "" && v.Picture == l.Picture {
		return &Error{Code: CodeInvalidClaim, Claim: "verified_user.picture",
			Detail: "the picture must be one the tool took, not the platform's picture from the launch (AP-08)"}
	}
	return nil
}

// startAssessmentClaims is the payload of an LtiStartAssessment (AP-03).
type startAssessmentClaims struct {
	toolMessageClaims
	ResourceLink        resourceLinkRef `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	SessionData         json.RawMessage `json:"https://purl.imsglobal.org/spec/lti-ap/claim/session_data"`
	AttemptNumber       json.RawMessage `json:"https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number"`
	VerifiedUser        *VerifiedUser   `json:"https://purl.imsglobal.org/spec/lti-ap/claim/verified_user,omitempty"`
	EndAssessmentReturn bool            `json:"https://purl.imsglobal.org/spec/lti-ap/claim/end_assessment_return"`
}

// resourceLinkRef is a resource_link claim reduced to its id: openedx
// compares the echoed claim with {"id": ...} as a whole.
type resourceLinkRef struct {
	ID string `json:"id"`
}

// SignStartAssessment returns the LtiStartAssessment message for l, an
// LtiStartProctoring launch, as a JWT signed with the tool's active key
// (kid in the header) (AP-03): iss the client_id, aud the platform's
// issuer, iat, a five-minute exp, a fresh nonce, l's deployment_id,
// message_type LtiStartAssessment, version 1.3.0, resource_link with l's
// id, session_data and attempt_number echoed exactly as the platform sent
// them, end_assessment_return, and verified_user when s has one.
//
// It fails with an [*Error] of CodeWrongMessageType when l is not an
// LtiStartProctoring launch, CodeMissingClaim or CodeInvalidClaim when l
// lacks what the message echoes (a launch verified by this package has it)
// or s.VerifiedUser breaks AP-08, and CodeSigningFailed. Most tools call
// [Tool.StartAssessment], which also writes the form that posts it.
func (t *Tool) SignStartAssessment(l *Launch, s AssessmentStart) (string, error) {
	if _, err := startAssessmentURL(l); err != nil {
		return "", err
	}
	if s.VerifiedUser != nil {
		if err := s.VerifiedUser.check(l); err != nil {
			return "", err
		}
	}
	c := startAssessmentClaims{
		toolMessageClaims:   t.toolMessage(l, StartAssessment, startAssessmentBackdate, startAssessmentLifetime),
		ResourceLink:        resourceLinkRef{ID: l.ResourceLink.ID},
		SessionData:         echoClaim(l, claimAPSessionData, l.Proctoring.SessionData),
		AttemptNumber:       echoClaim(l, claimAPAttemptNumber, l.Proctoring.AttemptNumber),
		VerifiedUser:        s.VerifiedUser,
		EndAssessmentReturn: s.EndAssessmentReturn,
	}
	return t.signToolMessage(c, "LtiStartAssessment message")
}

// StartAssessment signs the LtiStartAssessment message for l (see
// [Tool.SignStartAssessment]) and writes the page that posts it to the
// platform: an HTML form whose single field JWT goes by POST to
// start_assessment_url, query string kept, submitted on load by a script
// (AP-02). The page's Content-Security-Policy allows nothing but that
// script, by its hash, and that form's target; it is not cached.
//
// Call it from the handler that ends the tool's proctoring setup, with the
// LtiStartProctoring launch restored by middleware.Session. When signing
// fails, StartAssessment writes nothing and returns the error, for the
// handler to show its own page or pass to [Tool.ServeError].
func (t *Tool) StartAssessment(w http.ResponseWriter, l *Launch, s AssessmentStart) error {
	jwt, err := t.SignStartAssessment(l, s)
	if err != nil {
		return err
	}
	action, _ := startAssessmentURL(l) // checked by SignStartAssessment
	return writeFormPost(w, action, jwt, "Starting the assessment", "Press Continue to start the assessment.")
}

// startAssessmentURL checks that an LtiStartAssessment can answer l and
// returns where it goes: start_assessment_url, an absolute http(s) URL, so
// that the form cannot post to a javascript: or data: URL.
func startAssessmentURL(l *Launch) (*url.URL, error) {
	if l == nil || l.MessageType != StartProctoring || l.Proctoring == nil {
		var got MessageType
		if l != nil {
			got = l.MessageType
		}
		return nil, &Error{Code: CodeWrongMessageType, Claim: "message_type",
			Detail: "an LtiStartAssessment answers an LtiStartProctoring launch, not " + quote(string(got))}
	}
	missing := func(claim string) error {
		return &Error{Code: CodeMissingClaim, Claim: claim, Issuer: l.Issuer, ClientID: l.ClientID,
			Detail: "the LtiStartAssessment message needs the launch's " + claim}
	}
	switch {
	case l.Issuer == "":
		return nil, missing("iss")
	case l.ClientID == "":
		return nil, missing("client_id")
	case l.DeploymentID == "":
		return nil, missing("deployment_id")
	case l.ResourceLink == nil || l.ResourceLink.ID == "":
		return nil, missing("resource_link.id")
	case l.Proctoring.AttemptNumber <= 0:
		return nil, missing("attempt_number")
	case l.Proctoring.SessionData == "":
		if raw, ok := l.Claim(claimAPSessionData); !ok || isJSONNull(raw) {
			return nil, missing("session_data")
		}
	}
	u, err := url.Parse(l.Proctoring.StartAssessmentURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Code: CodeInvalidClaim, Claim: "start_assessment_url", Issuer: l.Issuer, ClientID: l.ClientID,
			Detail: "start_assessment_url " + quote(l.Proctoring.StartAssessmentURL) + " is not an absolute http(s) URL"}
	}
	return u, nil
}

// echoClaim returns the claim name exactly as the platform sent it (AP-03:
// session_data and attempt_number are echoed unchanged, even a number sent
// as a string), or, for a launch built without a token, fallback encoded.
func echoClaim(l *Launch, name string, fallback any) json.RawMessage {
	if raw, ok := l.Claim(name); ok && !isJSONNull(raw) {
		return raw
	}
	b, _ := json.Marshal(fallback) // a string or an int always encodes
	return b
}
