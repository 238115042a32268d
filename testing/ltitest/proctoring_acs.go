package ltitest

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Assessment Control Service (AP-05 to AP-07) at URL +
// "/proctoring/acs": the proctoring tool reports incidents and pauses,
// resumes, terminates or extends attempts.

// mediaControl is the media type of ACS requests and responses (AP-06).
const mediaControl = "application/vnd.ims.lti-ap.v1.control+json"

// ProctoringAction is one Assessment Control request the platform
// received, and its answer: for asserting what a proctoring tool reported.
type ProctoringAction struct {
	// Time is the platform clock's time of the request.
	Time time.Time
	// Action is the action requested: pause, resume, terminate, update or
	// flag.
	Action string
	// UserID and Issuer are user.sub and user.iss; ResourceLinkID and
	// AttemptNumber name the attempt.
	UserID, Issuer string
	ResourceLinkID string
	AttemptNumber  int
	// IncidentTime is incident_time as sent; IncidentSeverity is
	// incident_severity, sent as a number or a numeric string.
	IncidentTime     string
	IncidentSeverity float64
	// ExtraTime is extra_time, in minutes; ReasonCode and ReasonMsg are
	// reason_code and reason_msg.
	ExtraTime             int
	ReasonCode, ReasonMsg string
	// Raw is the request body exactly as posted.
	Raw json.RawMessage
	// Response is the body of the platform's answer: the attempt's status
	// as JSON, or the error.
	Response []byte

	// Status is the answer's HTTP status: 200 when the platform applied the
	// request; 400, 401, 404, 409 or 415 when it refused it.
	Status int
	// Result is the attempt's status after the request ("running",
	// "paused", "terminated", "complete"), as answered; empty when refused.
	Result string
	// Rule is the requirement a refused request broke, such as "AP-07" for
	// an action the acs claim does not offer; Reason says what was wrong.
	Rule, Reason string
}

// Accepted reports whether the platform applied the request.
func (a ProctoringAction) Accepted() bool { return a.Status == http.StatusOK }

// ProctoringActions returns every Assessment Control request the platform
// received, oldest first, refused ones included.
func (p *Platform) ProctoringActions() []ProctoringAction {
	p.e.ap.mu.Lock()
	defer p.e.ap.mu.Unlock()
	return slices.Clone(p.e.ap.actions)
}

// controlRequest is an ACS request body (AP-06).
type controlRequest struct {
	User struct {
		Sub string `json:"sub"`
		Iss string `json:"iss"`
	} `json:"user"`
	ResourceLink struct {
		ID string `json:"id"`
	} `json:"resource_link"`
	AttemptNumber    json.RawMessage `json:"attempt_number"`
	Action           string          `json:"action"`
	IncidentTime     string          `json:"incident_time"`
	IncidentSeverity json.RawMessage `json:"incident_severity"`
	ExtraTime        json.RawMessage `json:"extra_time"`
	ReasonCode       string          `json:"reason_code"`
	ReasonMsg        string          `json:"reason_msg"`
}

// serveACS is the assessment_control_url.
// The answer is written to a buffer first, so that it is recorded before
// the tool receives it.
func (e *engine) serveACS(w http.ResponseWriter, r *http.Request) {
	rec := ProctoringAction{Time: e.clock()}
	status, extra := e.control(r, &rec)
	rec.Status = status
	answer := httptest.NewRecorder()
	if status != http.StatusOK {
		e.writeServiceError(answer, r, status, rec.Rule+": "+rec.Reason)
	} else {
		body := map[string]any{"status": rec.Result}
		if extra > 0 {
			body["extra_time"] = extra
		}
		e.writeServiceJSON(answer, r, http.StatusOK, mediaControl, body)
	}
	rec.Response = answer.Body.Bytes()
	e.ap.mu.Lock()
	e.ap.actions = append(e.ap.actions, rec)
	e.ap.mu.Unlock()
	maps.Copy(w.Header(), answer.Header())
	w.WriteHeader(answer.Code)
	_, _ = w.Write(rec.Response)
}

// control authenticates, decodes and applies one ACS request, recording
// it in rec. It returns the answer's status and the attempt's extra time
// in minutes.
func (e *engine) control(r *http.Request, rec *ProctoringAction) (status, extra int) {
	refuse := func(status int, rule, reason string) (int, int) {
		rec.Rule, rec.Reason = rule, reason
		return status, 0
	}
	clientID, why := e.bearer(r, ScopeAssessmentControl)
	if why != "" {
		return refuse(http.StatusUnauthorized, "AP-06", why)
	}
	if !contentTypeOK(r, mediaControl) {
		return refuse(http.StatusUnsupportedMediaType, "AP-06", "Content-Type "+strconvQuote(r.Header.Get("Content-Type"))+", want exactly "+mediaControl)
	}
	if !acceptOK(r, mediaControl) {
		return refuse(http.StatusNotAcceptable, "AP-06", "Accept "+strconvQuote(r.Header.Get("Accept"))+", want "+mediaControl)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxServiceBody+1))
	if err != nil || len(body) > maxServiceBody {
		return refuse(http.StatusBadRequest, "AP-06", "the body cannot be read or is too large")
	}
	if rule, reason := rec.parse(body, e.issuer); rule != "" {
		return refuse(http.StatusBadRequest, rule, reason)
	}

	ap := &e.ap
	ap.mu.Lock()
	defer ap.mu.Unlock()
	a := ap.find(clientID, rec.UserID, rec.ResourceLinkID, rec.AttemptNumber)
	switch {
	case a == nil:
		return refuse(http.StatusNotFound, "AP-06", "no attempt "+strconv.Itoa(rec.AttemptNumber)+" of user "+strconvQuote(rec.UserID)+
			" at resource link "+strconvQuote(rec.ResourceLinkID)+" launched with this tool")
	case !slices.Contains(a.msg.Proctoring.ACSActions, rec.Action):
		return refuse(http.StatusBadRequest, "AP-07", "the acs claim offers "+strings.Join(a.msg.Proctoring.ACSActions, ", ")+", not "+strconvQuote(rec.Action))
	}
	next, ok := transition(a.status, rec.Action)
	if !ok {
		return refuse(http.StatusConflict, "AP-07", "cannot "+rec.Action+" an attempt that is "+a.status)
	}
	a.status = next
	if rec.Action == "update" {
		a.extraTime += rec.ExtraTime
	}
	rec.Result = a.status
	return http.StatusOK, a.extraTime
}

// parse decodes and checks a request body (AP-05, AP-06) into rec,
// returning the rule and the reason of the first fault.
func (rec *ProctoringAction) parse(body []byte, issuer string) (rule, reason string) {
	rec.Raw = bytes.Clone(body)
	var c controlRequest
	if err := json.Unmarshal(body, &c); err != nil {
		return "AP-06", "the body is not a control request: " + err.Error()
	}
	rec.Action, rec.UserID, rec.Issuer, rec.ResourceLinkID = c.Action, c.User.Sub, c.User.Iss, c.ResourceLink.ID
	rec.IncidentTime, rec.ReasonCode, rec.ReasonMsg = c.IncidentTime, c.ReasonCode, c.ReasonMsg
	if !slices.Contains(apActions, c.Action) {
		return "AP-05", "action " + strconvQuote(c.Action) + " is not one of " + strings.Join(apActions, ", ")
	}
	if c.User.Sub == "" || c.ResourceLink.ID == "" {
		return "AP-06", "user.sub and resource_link.id are required"
	}
	if c.User.Iss != issuer {
		return "AP-06", "user.iss " + strconvQuote(c.User.Iss) + ", want the platform issuer " + issuer + " (OAT-based platforms require it)"
	}
	if err := json.Unmarshal(c.AttemptNumber, &rec.AttemptNumber); err != nil || rec.AttemptNumber < 1 {
		return "AP-06", "attempt_number " + string(c.AttemptNumber) + " is not an integer from 1"
	}
	if _, err := time.Parse(time.RFC3339Nano, c.IncidentTime); err != nil {
		return "AP-06", "incident_time " + strconvQuote(c.IncidentTime) + " is not an ISO 8601 date-time"
	}
	sev, ok := numberOrString(c.IncidentSeverity)
	if !ok || sev < 0 || sev > 1 {
		return "AP-06", "incident_severity " + string(c.IncidentSeverity) + " is not a number from 0 to 1"
	}
	rec.IncidentSeverity = sev
	if c.ExtraTime != nil && !isNull(c.ExtraTime) {
		if c.Action != "update" {
			return "AP-06", "extra_time comes only with update"
		}
		if err := json.Unmarshal(c.ExtraTime, &rec.ExtraTime); err != nil || rec.ExtraTime < 0 {
			return "AP-06", "extra_time " + string(c.ExtraTime) + " is not a whole number of minutes"
		}
	}
	return "", ""
}

// numberOrString decodes a JSON number, or a string holding one: OAT and
// ceLTIc send incident_severity as a number, edx-exams wants a string.
func numberOrString(raw json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f, true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// transition is the attempt's status after action, and whether the action
// applies to an attempt in status at all. A flag is recorded whatever the
// status; the others act on an attempt in progress.
func transition(status, action string) (string, bool) {
	inProgress := status == attemptRunning || status == attemptPaused
	switch action {
	case "flag":
		return status, true
	case "pause":
		return attemptPaused, status == attemptRunning
	case "resume":
		return attemptRunning, status == attemptPaused
	case "terminate":
		return attemptTerminated, inProgress
	case "update":
		return status, inProgress
	}
	return status, false
}

// find returns the attempt of a launch with clientID, or nil. The caller
// holds the lock.
func (ap *proctorState) find(clientID, userID, resourceLinkID string, number int) *attempt {
	for _, a := range ap.attempts {
		if a.clientID == clientID && a.msg.UserID == userID && a.msg.resourceLinkID() == resourceLinkID && a.number == number {
			return a
		}
	}
	return nil
}

func strconvQuote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
