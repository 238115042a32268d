package tool

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The Assessment Control Service of LTI Proctoring Services 1.0 (AP-05 to
// AP-07): the proctoring tool reports incidents to the platform and asks
// it to pause, resume, terminate or extend an attempt.

// ScopeAssessmentControl is the OAuth2 scope of the Assessment Control
// Service (AP-05).
const ScopeAssessmentControl = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"

// mediaControl is the media type of ACS requests and responses (AP-06).
const mediaControl = "application/vnd.ims.lti-ap.v1.control+json"

// ControlAction is the action of an Assessment Control request.
type ControlAction string

// The actions of the Assessment Control Service (AP-05). A platform lists
// those it supports in the acs claim; only those may be sent.
const (
	ControlPause     ControlAction = "pause"     // stop the attempt's clock and block the candidate
	ControlResume    ControlAction = "resume"    // continue a paused attempt
	ControlTerminate ControlAction = "terminate" // end the attempt
	ControlUpdate    ControlAction = "update"    // change the attempt, e.g. add ExtraTime
	ControlFlag      ControlAction = "flag"      // record an incident for review; the attempt goes on
)

// AssessmentStatus is the state of an attempt as the platform reports it
// in an Assessment Control response (AP-07).
type AssessmentStatus string

// The attempt states of AP-07. A platform may answer another value; it is
// kept as sent.
const (
	AssessmentNone       AssessmentStatus = "none"
	AssessmentRunning    AssessmentStatus = "running"
	AssessmentPaused     AssessmentStatus = "paused"
	AssessmentTerminated AssessmentStatus = "terminated"
	AssessmentComplete   AssessmentStatus = "complete"
)

// ControlRequest is one Assessment Control request (AP-06). The user,
// resource link and attempt number come from the launch.
type ControlRequest struct {
	// Action is required, and must be one the launch's acs claim lists.
	Action ControlAction
	// IncidentTime is when the incident happened. Zero means now
	// (Config.Now). It is sent as RFC 3339 in UTC, to the second.
	IncidentTime time.Time
	// IncidentSeverity is how severe the incident is, from 0 (benign) to 1.
	IncidentSeverity float64
	// ExtraTime is the time an update adds to the attempt. Only
	// ControlUpdate may carry it. It is sent as extra_time in whole
	// minutes, the unit ceLTIc documents (OAT reads an integer), so it must
	// be a whole number of minutes.
	ExtraTime time.Duration
	// ReasonCode is the tool's own code for the reason, and ReasonMsg a
	// human-readable reason; either may be empty.
	ReasonCode string
	ReasonMsg  string
}

// ControlResponse is the platform's answer to a ControlRequest (AP-07).
type ControlResponse struct {
	// Status is the attempt's state after the request; empty when the
	// platform answered without a body.
	Status AssessmentStatus
	// ExtraTime is the extra_time the platform reports for the attempt,
	// read as minutes; 0 when absent. Whether platforms report the total or
	// the time just added is not settled; the fake platform of
	// testing/ltitest reports the total.
	ExtraTime time.Duration
}

// AssessmentControl sends Assessment Control requests about one proctored
// attempt: the user, resource link and attempt of the LtiStartProctoring
// launch it comes from. Get one with [Tool.AssessmentControl].
//
// Every request carries a bearer token for [ScopeAssessmentControl], fetched
// or reused through the tool's service-token cache, and is resent once with
// a fresh token after a 401. An AssessmentControl is cheap to create, holds
// no connection and is safe for concurrent use.
type AssessmentControl struct {
	svc     service
	url     string
	actions []ControlAction
	body    controlTarget
}

// controlTarget is the part of the request body that names the attempt.
type controlTarget struct {
	User          controlUser     `json:"user"`
	ResourceLink  resourceLinkRef `json:"resource_link"`
	AttemptNumber int             `json:"attempt_number"`
}

// controlUser is the user member of a request: sub, and iss, which
// OAT-based platforms require although a forum reply calls it an error in
// the spec's example (AP-06).
type controlUser struct {
	Sub string `json:"sub"`
	Iss string `json:"iss"`
}

// AssessmentControl returns the Assessment Control client for the attempt
// of l, an LtiStartProctoring launch (or an LtiEndAssessment that carries
// the acs claim and the resource link). It fails with
// [ErrNoAssessmentControl] when the launch has no acs claim, or lacks the
// user, resource link or attempt number a request names. It does no I/O.
func (t *Tool) AssessmentControl(l *Launch) (*AssessmentControl, error) {
	if l == nil || l.Proctoring == nil || l.Proctoring.ACS == nil || l.Proctoring.ACS.AssessmentControlURL == "" {
		return nil, &Error{Code: CodeNoAssessmentControl, Detail: "the launch has no Assessment Control Service claim (acs)"}
	}
	switch {
	case l.Subject == "":
		return nil, &Error{Code: CodeNoAssessmentControl, Claim: "sub", Detail: "an Assessment Control request names the user, and the launch has none"}
	case l.ResourceLink == nil || l.ResourceLink.ID == "":
		return nil, &Error{Code: CodeNoAssessmentControl, Claim: "resource_link.id", Detail: "an Assessment Control request names the resource link, and the launch has none"}
	case l.Proctoring.AttemptNumber <= 0:
		return nil, &Error{Code: CodeNoAssessmentControl, Claim: "attempt_number", Detail: "an Assessment Control request names the attempt, and the launch has none"}
	}
	acs := l.Proctoring.ACS
	c := &AssessmentControl{
		svc: service{t: t, issuer: l.Issuer, clientID: l.ClientID, deploymentID: l.DeploymentID,
			scopes: []string{ScopeAssessmentControl}},
		url: acs.AssessmentControlURL,
		body: controlTarget{
			User:          controlUser{Sub: l.Subject, Iss: l.Issuer},
			ResourceLink:  resourceLinkRef{ID: l.ResourceLink.ID},
			AttemptNumber: l.Proctoring.AttemptNumber,
		},
	}
	for _, a := range acs.Actions {
		c.actions = append(c.actions, ControlAction(a))
	}
	return c, nil
}

// Actions returns the actions the platform accepts for the attempt, as its
// acs claim lists them.
func (c *AssessmentControl) Actions() []ControlAction { return slices.Clone(c.actions) }

// Allows reports whether the platform accepts action for the attempt.
func (c *AssessmentControl) Allows(action ControlAction) bool {
	return slices.Contains(c.actions, action)
}

// controlBody is the JSON body of a request (AP-06).
type controlBody struct {
	controlTarget
	Action       ControlAction `json:"action"`
	IncidentTime string        `json:"incident_time"`
	// IncidentSeverity is sent as a JSON string: edx-exams refuses a
	// number and cites the spec, while OAT reads either with floatval.
	IncidentSeverity string `json:"incident_severity"`
	ExtraTime        *int64 `json:"extra_time,omitempty"`
	ReasonCode       string `json:"reason_code,omitempty"`
	ReasonMsg        string `json:"reason_msg,omitempty"`
}

// Send posts r to the platform's assessment_control_url as
// application/vnd.ims.lti-ap.v1.control+json and returns its answer.
//
// It refuses, before sending, an action the platform does not list
// ([ErrControlNotOffered]) and a request with a severity outside [0, 1],
// a negative or fractional-minute ExtraTime, or ExtraTime on an action
// other than update ([ErrInvalidServiceRequest]). A failed exchange is an
// [*Error] with a service code (such as [ErrServiceBadRequest] or
// [ErrServiceConflict]) whose cause is a [*ServiceError] with the status
// and body; an answer that is not a control response is
// [ErrBadServiceResponse].
func (c *AssessmentControl) Send(ctx context.Context, r ControlRequest) (ControlResponse, error) {
	body, err := c.body.request(r, c.svc.t.cfg.Now())
	if err != nil {
		return ControlResponse{}, err
	}
	if !c.Allows(r.Action) {
		return ControlResponse{}, &Error{Code: CodeControlNotOffered, Claim: "acs.actions",
			Detail: fmt.Sprintf("the platform accepts %s for this attempt, not %s (AP-07)", actionList(c.actions), quote(string(r.Action)))}
	}
	data, _, err := c.svc.do(ctx, call{method: http.MethodPost, url: c.url, accept: mediaControl,
		contentType: mediaControl, body: body, need: []string{ScopeAssessmentControl}})
	if err != nil {
		return ControlResponse{}, err
	}
	res, err := decodeControlResponse(data)
	if err != nil {
		return ControlResponse{}, badResponse(http.MethodPost, c.url, "assessment control response", err)
	}
	return res, nil
}

// request checks r and encodes it as the body of a request about the
// attempt; now stands in for a zero IncidentTime.
func (t controlTarget) request(r ControlRequest, now time.Time) ([]byte, error) {
	switch {
	case r.Action == "":
		return nil, invalidRequest("action", "no action given")
	case math.IsNaN(r.IncidentSeverity) || r.IncidentSeverity < 0 || r.IncidentSeverity > 1:
		return nil, invalidRequest("incident_severity", "%v is not between 0 and 1", r.IncidentSeverity)
	case r.ExtraTime != 0 && r.Action != ControlUpdate:
		return nil, invalidRequest("extra_time", "only an update carries extra time, not %s", quote(string(r.Action)))
	case r.ExtraTime < 0 || r.ExtraTime%time.Minute != 0:
		return nil, invalidRequest("extra_time", "%v is not a whole, non-negative number of minutes", r.ExtraTime)
	}
	b := controlBody{
		controlTarget:    t,
		Action:           r.Action,
		IncidentTime:     r.IncidentTime.UTC().Format(time.RFC3339),
		IncidentSeverity: strconv.FormatFloat(r.IncidentSeverity, 'f', -1, 64),
		ReasonCode:       r.ReasonCode,
		ReasonMsg:        r.ReasonMsg,
	}
	if r.IncidentTime.IsZero() {
		b.IncidentTime = now.UTC().Format(time.RFC3339)
	}
	if r.ExtraTime > 0 {
		m := int64(r.ExtraTime / time.Minute)
		b.ExtraTime = &m
	}
	return marshalNoEscape(b)
}

// maxExtraMinutes bounds the extra time read from a response (a year), so
// that an absurd value cannot overflow a Duration.
const maxExtraMinutes = 366 * 24 * 60

// decodeControlResponse reads a control response (AP-07): a JSON object
// {status, extra_time}; an empty body is an empty response. extra_time may
// be a number or a numeric string, as platforms send either.
func decodeControlResponse(body []byte) (ControlResponse, error) {
	if strings.TrimSpace(string(body)) == "" {
		return ControlResponse{}, nil
	}
	if !isJSONObject(body) {
		return ControlResponse{}, &claimShapeError{"a JSON object"}
	}
	var w struct {
		Status    flexString    `json:"status"`
		ExtraTime serviceNumber `json:"extra_time"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return ControlResponse{}, err
	}
	if w.ExtraTime.v < -maxExtraMinutes || w.ExtraTime.v > maxExtraMinutes {
		return ControlResponse{}, &claimShapeError{"an extra_time of at most a year"}
	}
	return ControlResponse{
		Status:    AssessmentStatus(strings.TrimSpace(string(w.Status))),
		ExtraTime: time.Duration(w.ExtraTime.v * float64(time.Minute)),
	}, nil
}

// actionList formats actions for an error message.
func actionList(actions []ControlAction) string {
	if len(actions) == 0 {
		return "no action"
	}
	s := make([]string, len(actions))
	for i, a := range actions {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
