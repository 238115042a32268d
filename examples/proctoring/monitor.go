package main

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ltikit/ltikit/tool"
)

// The monitor: during the attempt, static/monitor.js records integrity
// events in the page it runs in (the monitor window in proctoring mode,
// the quiz page in quiz mode) and posts them to /proctor/events. The tool
// keeps them, with the time the browser saw them and the time it received
// them, and applies its policy to those that count: a flag, then a
// termination, sent to the platform through the Assessment Control Service
// when it has one.

// eventTypes are the integrity events the monitor reports, with what they
// mean for the instructor. The first five come from the tool's own quiz
// page; the monitor-* ones from the monitor window of a proctored attempt.
var eventTypes = map[string]string{
	"focus-lost":      "the exam window lost focus",
	"tab-hidden":      "the exam tab was hidden (another tab or window)",
	"copy":            "text was copied",
	"paste":           "text was pasted",
	"fullscreen-exit": "the candidate left full screen",
	"monitor-blur":    "the monitor window lost focus: back to the exam, or elsewhere (for information)",
	"monitor-hidden":  "the monitor window was hidden: minimised, or covered by another window (for information)",
	"monitor-closed":  "the monitor window was closed or reloaded",
}

// infoEvents are the events recorded for the instructor that the policy
// does not count. In a proctored attempt the monitor is a small window of
// its own next to the platform's exam page, which the tool cannot watch:
// working in the exam takes the focus from the monitor, and the exam
// window may cover it (browsers then report it hidden), so neither says
// anything about the candidate. Closing the monitor does.
var infoEvents = map[string]bool{"monitor-blur": true, "monitor-hidden": true}

// counts reports whether the policy counts e.
func (e event) counts() bool { return !infoEvents[e.Type] }

// Incidents is the number of the session's events the policy counts.
func (s session) Incidents() int {
	n := 0
	for _, e := range s.Events {
		if e.counts() {
			n++
		}
	}
	return n
}

// Limits on what the monitor may post.
const (
	maxEventsBody    = 64 << 10
	maxEventsPerPost = 50
	maxEvents        = 1000 // per session
	maxClockSkew     = 10 * time.Minute
)

// monitorPage is the monitor window of a proctored attempt.
func (s *site) monitorPage(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.sessions.monitored(mux.Vars(r)["token"])
	if !ok {
		s.problem(w, http.StatusNotFound, "No such attempt", "Start the attempt from your course.")
		return
	}
	s.render(w, http.StatusOK, "monitor.html", monitorView(sess))
}

// monitorStatus answers the attempt's status, which the monitor window
// shows from the start and keeps up to date: the attempt may start after
// the window opens, and end without an event.
func (s *site) monitorStatus(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.sessions.monitored(mux.Vars(r)["token"])
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such attempt"})
		return
	}
	writeJSON(w, http.StatusOK, eventsResponse{Status: sess.Status, Incidents: sess.Incidents()})
}

// monitorData is what the monitor shows, and monitor.js needs: where to
// post events and to read the status, as data- attributes of #monitor.
type monitorData struct {
	S                 session
	Endpoint, Current string
}

func monitorView(sess session) monitorData {
	return monitorData{S: sess, Endpoint: monitorURL(sess) + "/events", Current: monitorURL(sess) + "/status"}
}

// monitorURL is the monitor window of sess.
func monitorURL(sess session) string { return "/proctor/monitor/" + sess.MonitorToken }

// eventsRequest is what monitor.js posts.
type eventsRequest struct {
	Events []struct {
		Type   string `json:"type"`
		At     string `json:"at"` // the browser's clock, RFC 3339
		Detail string `json:"detail"`
	} `json:"events"`
}

// eventsResponse is the tool's answer: the attempt's status and the
// number of events the policy counted, for the page.
type eventsResponse struct {
	Status    string `json:"status"`
	Incidents int    `json:"incidents"`
}

// pendingAction is an action the policy called for.
type pendingAction struct {
	action tool.ControlAction
	ev     event
}

// monitorHeader must be on the monitor's posts: a cross-site form can send
// neither it nor JSON, so another site cannot report events for the
// candidate.
const monitorHeader = "X-Proctor-Monitor"

// events records the integrity events monitor.js posts and applies the
// policy.
func (s *site) events(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" || r.Header.Get(monitorHeader) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "post JSON, with the " + monitorHeader + " header"})
		return
	}
	sess, ok := s.sessions.monitored(mux.Vars(r)["token"])
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such attempt"})
		return
	}
	var req eventsRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxEventsBody)).Decode(&req); err != nil ||
		len(req.Events) == 0 || len(req.Events) > maxEventsPerPost {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"events\": [...]} with 1 to 50 events"})
		return
	}
	for _, e := range req.Events {
		if _, ok := eventTypes[e.Type]; !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown event type " + e.Type})
			return
		}
	}
	now := s.now()
	var todo []pendingAction
	sess, _ = s.sessions.update(sess.ID, func(x *session) {
		if x.Status != statusStarted {
			return // a finished attempt records nothing more
		}
		for _, e := range req.Events {
			if len(x.Events) >= maxEvents {
				break
			}
			ev := event{Type: e.Type, Time: now, ClientTime: clientTime(e.At, now), Detail: truncate(e.Detail, 200)}
			x.Events = append(x.Events, ev)
			if !ev.counts() {
				continue
			}
			if a := s.policy.decide(x.Incidents()); a != "" {
				todo = append(todo, pendingAction{a, ev})
			}
		}
	})
	for _, p := range todo {
		sess = s.report(r.Context(), sess, p)
	}
	writeJSON(w, http.StatusOK, eventsResponse{Status: sess.Status, Incidents: sess.Incidents()})
}

// report carries out an action of the policy and records it: through the
// Assessment Control Service in proctoring mode, within the tool for its
// own quiz.
func (s *site) report(ctx context.Context, sess session, p pendingAction) session {
	c := control{Time: s.now(), Action: p.action}
	terminated := false
	switch acs, err := s.tool.AssessmentControl(sess.Launch()); {
	case sess.Mode == modeQuiz:
		c.Result, c.OK = "recorded by the tool (its own quiz)", true
		terminated = p.action == tool.ControlTerminate
	case err != nil:
		c.Result = "not sent: the platform offers no Assessment Control Service"
	case !acs.Allows(p.action):
		c.Result = "not sent: the platform does not offer " + string(p.action)
	default:
		res, err := acs.Send(ctx, tool.ControlRequest{Action: p.action, IncidentTime: p.ev.ClientTime,
			IncidentSeverity: severity(p.action), ReasonCode: p.ev.Type, ReasonMsg: eventTypes[p.ev.Type]})
		if err != nil {
			c.Result = "failed: " + err.Error()
			s.logger.Warn("assessment control", "session", sess.ID, "action", p.action, "err", err)
			break
		}
		c.Result, c.OK = "platform: "+string(res.Status), true
		terminated = res.Status == tool.AssessmentTerminated
	}
	sess, _ = s.sessions.update(sess.ID, func(x *session) {
		x.Controls = append(x.Controls, c)
		if terminated && x.Status == statusStarted {
			x.Status, x.Ended = statusTerminated, c.Time
		}
	})
	return sess
}

// clientTime is the browser's time of an event when it is plausible, and
// the time the tool received it otherwise: the browser's clock is the
// candidate's to set.
func clientTime(at string, now time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil || t.Before(now.Add(-maxClockSkew)) || t.After(now.Add(time.Minute)) {
		return now
	}
	return t
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
