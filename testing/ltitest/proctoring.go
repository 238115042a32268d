package ltitest

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// LTI Proctoring Services 1.0, platform side. A tool.StartProctoring
// launch hands an attempt at an assessment to the proctoring tool: the
// platform numbers the attempt, makes a session_data bound to the browser
// that launched, and waits at start_assessment_url (URL +
// "/proctoring/start") for the tool's LtiStartAssessment (see
// proctoring_start.go). The attempt then runs until the candidate finishes
// it or the tool terminates it through the Assessment Control Service at
// URL + "/proctoring/acs" (proctoring_acs.go).

// Claim names of the proctoring messages, for Message.Mutate and for
// reading the claims of an AssessmentStart.
const (
	ClaimAPAttemptNumber       = "https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number"
	ClaimAPStartAssessmentURL  = "https://purl.imsglobal.org/spec/lti-ap/claim/start_assessment_url"
	ClaimAPSessionData         = "https://purl.imsglobal.org/spec/lti-ap/claim/session_data"
	ClaimAPEndAssessmentReturn = "https://purl.imsglobal.org/spec/lti-ap/claim/end_assessment_return"
	ClaimAPVerifiedUser        = "https://purl.imsglobal.org/spec/lti-ap/claim/verified_user"
	ClaimAPProctoringSettings  = "https://purl.imsglobal.org/spec/lti-ap/claim/proctoring_settings"
	ClaimAPACS                 = "https://purl.imsglobal.org/spec/lti-ap/claim/acs"
	ClaimAPErrorMsg            = "https://purl.imsglobal.org/spec/lti-ap/claim/errormsg"
	ClaimAPErrorLog            = "https://purl.imsglobal.org/spec/lti-ap/claim/errorlog"
)

// ScopeAssessmentControl is the scope of the Assessment Control Service
// (AP-05), for WithScopes and Platform.SetScopes. The platform permits it
// by default, except with Moodle, which has no proctoring.
const ScopeAssessmentControl = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"

// The platform's proctoring endpoints.
const (
	apStartPath   = "/proctoring/start"   // start_assessment_url
	apFinishPath  = "/proctoring/finish"  // the assessment page's Finish button
	apAttemptPath = "/proctoring/attempt" // the attempt's status, which the assessment page polls
	apACSPath     = "/proctoring/acs"     // assessment_control_url
	apLaunchPath  = "/proctoring/launch"  // the course page's "Start proctored attempt"
)

// apActions are the Assessment Control actions (AP-05), all offered by
// default.
var apActions = []string{"pause", "resume", "terminate", "update", "flag"}

// Proctoring is what a tool.StartProctoring or tool.EndAssessment message
// carries besides the usual launch claims. Message.Proctoring may be left
// nil: every field has a default. The defaults of AttemptNumber and
// SessionData come with a launch; Platform.IDToken, which starts none,
// sends them only when set.
type Proctoring struct {
	// AttemptNumber is attempt_number. Default: for LtiStartProctoring the
	// user's next attempt at the resource link, counted by the platform
	// from 1; for LtiEndAssessment the user's last one.
	AttemptNumber int
	// SessionData is session_data, the value the tool must echo. Default
	// for LtiStartProctoring: a fresh random value, which the platform
	// binds to the browser the launch goes through. LtiEndAssessment sends
	// it only when set.
	SessionData string
	// StartAssessmentURL is start_assessment_url. Default: the platform's
	// URL + "/proctoring/start", which verifies the LtiStartAssessment.
	StartAssessmentURL string
	// Settings is proctoring_settings.data; not sent when empty.
	Settings string
	// ACSActions are the actions the acs claim offers at URL +
	// "/proctoring/acs". nil offers all five (pause, resume, terminate,
	// update, flag); a non-nil empty slice sends no acs claim.
	ACSActions []string
	// ErrorMsg and ErrorLog are errormsg and errorlog of an
	// LtiEndAssessment that closes on an error (AP-04); not sent when empty.
	ErrorMsg, ErrorLog string
}

// isProctoring reports whether m is a proctoring message.
func (m Message) isProctoring() bool {
	return m.Type == tool.StartProctoring || m.Type == tool.EndAssessment
}

// withProctoringDefaults fills in the defaults of a proctoring message that
// do not depend on the platform's attempts; beginProctoring does the rest.
func (e *engine) withProctoringDefaults(m Message) Message {
	if !m.isProctoring() {
		return m
	}
	if m.ResourceLink == nil {
		rl := e.quirks.resourceLink
		m.ResourceLink = &rl
	}
	p := Proctoring{}
	if m.Proctoring != nil {
		p = *m.Proctoring
		p.ACSActions = slices.Clone(p.ACSActions)
	}
	if m.Type == tool.StartProctoring {
		if p.StartAssessmentURL == "" {
			p.StartAssessmentURL = e.issuer + apStartPath
		}
		if p.ACSActions == nil {
			p.ACSActions = slices.Clone(apActions)
		}
	}
	m.Proctoring = &p
	return m
}

// proctoringClaims adds the proctoring claims of m to c (AP-01, AP-04,
// AP-05).
func (e *engine) proctoringClaims(c map[string]any, m Message) {
	p := m.Proctoring
	if p == nil || !m.isProctoring() {
		return
	}
	if p.AttemptNumber != 0 {
		c[ClaimAPAttemptNumber] = p.AttemptNumber
	}
	setNonEmpty(c, ClaimAPSessionData, p.SessionData)
	if p.Settings != "" {
		c[ClaimAPProctoringSettings] = map[string]any{"data": p.Settings}
	}
	if m.Type == tool.StartProctoring {
		c[ClaimAPStartAssessmentURL] = p.StartAssessmentURL
		if len(p.ACSActions) > 0 {
			c[ClaimAPACS] = map[string]any{"assessment_control_url": e.issuer + apACSPath, "actions": slices.Clone(p.ACSActions)}
		}
		return
	}
	setNonEmpty(c, ClaimAPErrorMsg, p.ErrorMsg)
	setNonEmpty(c, ClaimAPErrorLog, p.ErrorLog)
}

// The states of an attempt (AP-07).
const (
	attemptNone       = "none" // launched, not started yet
	attemptRunning    = "running"
	attemptPaused     = "paused"
	attemptTerminated = "terminated"
	attemptComplete   = "complete"
)

// attempt is one attempt at a proctored assessment, from its
// LtiStartProctoring launch on.
type attempt struct {
	id          string // names the attempt in the assessment page's form
	launchID    string // the LtiStartProctoring launch
	clientID    string
	msg         Message // the LtiStartProctoring message, defaults filled in
	number      int
	sessionData string
	browser     string // the platform session cookie of the launching browser; "" until /auth
	status      string
	extraTime   int  // minutes, the total granted through update
	endReturn   bool // the tool asked for LtiEndAssessment
}

// proctorState is the platform's record of attempts. The zero value is
// ready; it is safe for concurrent use.
type proctorState struct {
	mu       sync.Mutex
	attempts map[string]*attempt // by session_data
	numbers  map[string]int      // the last attempt number, by attemptKey
	nonces   nonceSet            // the LtiStartAssessment nonces seen
	starts   []AssessmentStart
	actions  []ProctoringAction
}

// attemptKey names the attempts of a user at a resource link.
func attemptKey(clientID, userID, resourceLinkID string) string {
	return clientID + "\x00" + userID + "\x00" + resourceLinkID
}

// beginProctoring numbers the attempt of a proctoring launch that starts
// and, for LtiStartProctoring, records it with a fresh session_data. It
// changes pl.msg before the launch is visible to anyone else.
func (e *engine) beginProctoring(pl *pendingLaunch) {
	m := pl.msg
	if !m.isProctoring() || m.Proctoring == nil {
		return
	}
	p := *m.Proctoring
	ap := &e.ap
	ap.mu.Lock()
	defer ap.mu.Unlock()
	key := attemptKey(pl.clientID, m.UserID, m.resourceLinkID())
	last := ap.numbers[key]
	switch {
	case p.AttemptNumber != 0:
	case m.Type == tool.StartProctoring:
		p.AttemptNumber = last + 1
	default:
		p.AttemptNumber = max(last, 1)
	}
	if m.Type == tool.StartProctoring && p.SessionData == "" {
		p.SessionData = rand.Text()
	}
	m.Proctoring = &p
	pl.msg = m
	if m.Type != tool.StartProctoring {
		return
	}
	if ap.attempts == nil {
		ap.attempts, ap.numbers = make(map[string]*attempt), make(map[string]int)
	}
	ap.numbers[key] = max(last, p.AttemptNumber)
	ap.attempts[p.SessionData] = &attempt{id: rand.Text(), launchID: pl.id, clientID: pl.clientID,
		msg: m, number: p.AttemptNumber, sessionData: p.SessionData, status: attemptNone}
}

// sessionCookie is the platform's browser-session cookie, which binds a
// session_data to the browser that launched (AP-03). It is SameSite=None:
// the tool's LtiStartAssessment form posts to the platform cross-site.
const sessionCookie = "ltitest_session"

// withBrowserSession wraps the auth endpoint: for an LtiStartProctoring
// launch it makes sure the browser has a platform session cookie and binds
// the launch's session_data to it, before the id_token is issued.
func (e *engine) withBrowserSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if pl := e.findLaunch(authParam(r, "lti_message_hint")); pl != nil && pl.msg.Type == tool.StartProctoring {
			session := browserSession(r)
			if session == "" {
				session = rand.Text()
				http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: session, Path: "/",
					HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Expires: e.clock().Add(8 * time.Hour)})
			}
			e.ap.bind(pl.msg.Proctoring.SessionData, session)
		}
		next(w, r)
	}
}

// authParam returns the parameter name of an authentication request, from
// a POSTed form first, then the query, leaving the body for the auth
// endpoint to read.
func authParam(r *http.Request, name string) string {
	if r.Method == http.MethodPost && r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), r.Body))
		if q, perr := url.ParseQuery(string(b)); err == nil && perr == nil && q.Has(name) {
			return q.Get(name)
		}
	}
	return r.URL.Query().Get(name)
}

// browserSession returns the platform session cookie r carries, or "".
func browserSession(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// bind ties the attempt of sessionData to the browser session, unless an
// earlier auth request did.
func (ap *proctorState) bind(sessionData, session string) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	if a := ap.attempts[sessionData]; a != nil && a.browser == "" {
		a.browser = session
	}
}
