package ltitest

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// maxStartAssessmentLifetime is the longest exp - iat the platform accepts
// for an LtiStartAssessment: the browser posts it at once.
const maxStartAssessmentLifetime = time.Hour

// AssessmentStart is one LtiStartAssessment message a tool posted to the
// platform's start_assessment_url, as the platform verified it (AP-02,
// AP-03, AP-08). The platform started the attempt only if Violations is
// empty.
type AssessmentStart struct {
	// Time is the platform clock's time of the post.
	Time time.Time
	// LaunchID is the LtiStartProctoring launch whose session_data the
	// message carries; empty when it carries none the platform issued.
	LaunchID string
	// JWT is the form field JWT as posted.
	JWT string
	// Header and Claims are JWT decoded; nil when it does not decode. They
	// are verified only when no violation concerns the signature.
	Header map[string]any
	Claims map[string]any
	// AttemptNumber, EndAssessmentReturn and VerifiedUser are what the
	// message says: the attempt, whether the tool wants an
	// LtiEndAssessment when it ends, and the identity it verified.
	AttemptNumber       int
	EndAssessmentReturn bool
	VerifiedUser        map[string]any
	// Violations are the rules the message broke, each with the rule ID of
	// the spec digest, such as "AP-03" or "SEC-TOOLMSG-01".
	Violations []Violation
}

// Accepted reports whether the platform started the attempt.
func (s AssessmentStart) Accepted() bool { return len(s.Violations) == 0 }

// AssessmentStarts returns every LtiStartAssessment posted to the platform
// so far, oldest first, refused ones included.
func (p *Platform) AssessmentStarts() []AssessmentStart {
	p.e.ap.mu.Lock()
	defer p.e.ap.mu.Unlock()
	return slices.Clone(p.e.ap.starts)
}

// serveStartAssessment is the start_assessment_url: it verifies the
// tool's LtiStartAssessment, records it and, when the attempt started,
// shows the assessment.
func (e *engine) serveStartAssessment(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	s, a := e.verifyStartAssessment(r)
	ap := &e.ap
	ap.mu.Lock()
	ap.starts = append(ap.starts, s)
	var view attemptView
	if s.Accepted() {
		view = a.view()
	}
	ap.mu.Unlock()

	if !s.Accepted() {
		writeErrorPage(w, http.StatusBadRequest, "the LtiStartAssessment message was refused: "+s.Violations[0].String(), s.Violations)
		return
	}
	writePage(w, http.StatusOK, assessmentPage, view)
}

// verifyStartAssessment checks one post to the start_assessment_url and,
// when it is right, starts the attempt. It returns the attempt the message
// names, or nil.
func (e *engine) verifyStartAssessment(r *http.Request) (s AssessmentStart, _ *attempt) {
	s.Time = e.clock()
	v := &violations{}
	defer func() { s.Violations = v.list }()

	// The form (AP-02): a POST of application/x-www-form-urlencoded with the
	// single field JWT (the route admits only POST).
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		v.add("AP-02", "Content-Type", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		v.add("AP-02", "JWT", err.Error(), "a form with the single field JWT")
		return s, nil
	}
	s.JWT = r.PostForm.Get("JWT")
	if len(r.PostForm) != 1 || len(r.PostForm["JWT"]) != 1 || s.JWT == "" {
		v.add("AP-02", "JWT", strings.Join(slices.Sorted(maps.Keys(r.PostForm)), ","), "a form with the single field JWT")
	}
	s.Header, s.Claims = decodeJWS(s.JWT)
	if s.JWT == "" {
		return s, nil
	}

	// The attempt, by the session_data the tool echoed; its tool verifies
	// the signature.
	sessionData, _ := s.Claims[ClaimAPSessionData].(string)
	e.ap.mu.Lock()
	a := e.ap.attempts[sessionData]
	e.ap.mu.Unlock()
	clientID := e.quirks.clientID
	if a != nil {
		clientID, s.LaunchID, v.launchID = a.clientID, a.launchID, a.launchID
	}
	payload, err := e.verifyToolJWS(r.Context(), clientID, s.JWT)
	if err != nil {
		v.add("SEC-TOOLMSG-01", "JWT", err.Error(), "signed RS256 by a key of the tool's JWKS, kid in the header")
		return s, nil
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(payload, &c); err != nil {
		v.add("SEC-TOOLMSG-01", "JWT", "payload "+err.Error(), "a JSON object")
		return s, nil
	}
	e.checkStartAssessmentClaims(c, clientID, v)
	s.AttemptNumber, _ = strconv.Atoi(string(c[ClaimAPAttemptNumber]))
	s.EndAssessmentReturn = string(c[ClaimAPEndAssessmentReturn]) == "true"
	if raw, ok := c[ClaimAPEndAssessmentReturn]; ok && !s.EndAssessmentReturn && string(raw) != "false" {
		v.add("AP-03", "end_assessment_return", string(raw), "true or false")
	}
	s.VerifiedUser = checkVerifiedUser(c[ClaimAPVerifiedUser], v)
	if a == nil {
		v.add("AP-03", "session_data", sessionData, "the session_data of an LtiStartProctoring launch of this platform, echoed unchanged")
		return s, nil
	}
	e.ap.mu.Lock()
	defer e.ap.mu.Unlock()
	checkAttempt(c, a, browserSession(r), v)
	if len(v.list) == 0 { // checked and started under one lock: a racing second message finds it started
		a.status, a.endReturn = attemptRunning, s.EndAssessmentReturn
	}
	return s, a
}

// checkStartAssessmentClaims checks the message's own claims (AP-03,
// SEC-TOOLMSG-02): addressed from the tool to the platform, fresh, used
// once.
func (e *engine) checkStartAssessmentClaims(c map[string]json.RawMessage, clientID string, v *violations) {
	now := e.clock()
	if iss := jsonString(c["iss"]); iss != clientID {
		v.add("AP-03", "iss", iss, "the client_id "+clientID)
	}
	if aud := audience(c["aud"]); !slices.Contains(aud, e.issuer) {
		v.add("AP-03", "aud", string(c["aud"]), "the platform issuer "+e.issuer)
	}
	iat, iatOK := numericDate(c["iat"])
	exp, expOK := numericDate(c["exp"])
	switch {
	case !iatOK:
		v.add("AP-03", "iat", string(c["iat"]), "a NumericDate")
	case iat.After(now):
		v.add("AP-03", "iat", iat.UTC().Format(time.RFC3339), "not after the platform's clock "+now.UTC().Format(time.RFC3339))
	}
	switch {
	case !expOK:
		v.add("AP-03", "exp", string(c["exp"]), "a NumericDate")
	case !exp.After(now):
		v.add("AP-03", "exp", exp.UTC().Format(time.RFC3339), "after the platform's clock "+now.UTC().Format(time.RFC3339))
	case iatOK && exp.Sub(iat) > maxStartAssessmentLifetime:
		v.add("AP-03", "exp", exp.Sub(iat).String()+" after iat", "a short lifetime, at most "+maxStartAssessmentLifetime.String())
	}
	if nonce := jsonString(c["nonce"]); nonce == "" || !e.ap.useNonce(clientID, nonce) {
		v.add("AP-03", "nonce", nonce, "a fresh nonce, never used before")
	}
	if mt := jsonString(c[ClaimMessageType]); mt != string(tool.StartAssessment) {
		v.add("AP-03", "message_type", mt, string(tool.StartAssessment))
	}
	if ver := jsonString(c[ClaimVersion]); ver != tool.Version {
		v.add("AP-03", "version", ver, tool.Version)
	}
}

// checkAttempt checks that the message answers a's launch, from the
// browser that launched, once (AP-03). The caller holds the lock.
func checkAttempt(c map[string]json.RawMessage, a *attempt, session string, v *violations) {
	if session == "" || session != a.browser {
		v.add("AP-03", "session_data", a.sessionData, "posted by the browser whose launch it came with")
	}
	if a.status != attemptNone {
		v.add("AP-03", "session_data", a.sessionData, "a session_data used once: the attempt is "+a.status)
	}
	if got, want := string(c[ClaimAPAttemptNumber]), strconv.Itoa(a.number); got != want {
		v.add("AP-03", "attempt_number", got, want+", echoed unchanged")
	}
	if dep := jsonString(c[ClaimDeploymentID]); dep != a.msg.DeploymentID {
		v.add("AP-03", "deployment_id", dep, a.msg.DeploymentID)
	}
	var rl struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(c[ClaimResourceLink], &rl) != nil || rl.ID != a.msg.resourceLinkID() {
		v.add("AP-03", "resource_link", string(c[ClaimResourceLink]), `{"id":"`+a.msg.resourceLinkID()+`"}`)
	}
}

// checkVerifiedUser decodes the verified_user claim and checks it holds no
// iss or sub, which a tool cannot verify (AP-08).
func checkVerifiedUser(raw json.RawMessage, v *violations) map[string]any {
	if raw == nil {
		return nil
	}
	var vu map[string]any
	if err := json.Unmarshal(raw, &vu); err != nil || vu == nil {
		v.add("AP-08", "verified_user", string(raw), "an object of identity claims")
		return nil
	}
	for _, k := range []string{"iss", "sub"} {
		if _, ok := vu[k]; ok {
			v.add("AP-08", "verified_user."+k, string(raw), "no "+k+": the tool cannot verify it")
		}
	}
	return vu
}

// useNonce records the nonce of a tool message; it reports false when the
// tool used it before.
func (ap *proctorState) useNonce(clientID, nonce string) bool {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	if ap.nonces == nil {
		ap.nonces = make(map[string]bool)
	}
	key := clientID + "\x00" + nonce
	if ap.nonces[key] {
		return false
	}
	ap.nonces[key] = true
	return true
}
