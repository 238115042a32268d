package ltitest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
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
	s.JWT = readToolForm(r, "AP-02", v)
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
	c, ok := e.verifyToolMessage(r.Context(), clientID, s.JWT, v)
	if !ok {
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
	e.checkToolMessageClaims(c, clientID, toolMessageRules{
		rule: "AP-03", typeRule: "AP-03",
		messageType: tool.StartAssessment, maxLifetime: maxStartAssessmentLifetime,
		nonces: &e.ap.nonces,
	}, v)
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
