package ltitest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// WithDevProctoring gives the development LMS of [WithDevLMS] a proctored
// assessment (LTI Proctoring Services), for a proctoring tool: the course's
// "Final exam", which each learner starts with "Start proctored attempt"
// (an LtiStartProctoring launch in the iframe), and the Proctoring panel,
// which shows the attempts, the LtiStartProctoring, LtiStartAssessment and
// LtiEndAssessment messages and the Assessment Control requests. The rest
// of the flow is the platform's own (see [Browser.StartProctoring]):
// start_assessment_url, the assessment page, its Finish button and
// LtiEndAssessment, the Assessment Control Service. Off by default: a tool
// that does not handle LtiStartProctoring refuses those launches. Without
// WithDevLMS it does nothing.
func WithDevProctoring() Option { return func(o *options) { o.devProctoring = true } }

// enableDevProctoring adds the proctored assessment to the development
// course and serves its launch.
func (d *devLMS) enableDevProctoring() {
	d.e.courses.addLink(d.course, demoExamID)
	d.e.mux.HandleFunc("GET /dev/proctoring", d.serveProctoring)
}

// serveProctoring is GET /dev/proctoring?user=ID, a learner's "Start
// proctored attempt": the LtiStartProctoring launch of the course's exam,
// with the roster service and the switches' aud. The platform numbers the
// attempt and binds its session_data to the browser.
func (d *devLMS) serveProctoring(w http.ResponseWriter, r *http.Request) {
	u, ok := d.launchingUser(w, r.URL.Query().Get("user"))
	if !ok {
		return
	}
	if !u.Roles.IsLearner() {
		writeProblem(w, http.StatusForbidden, "Not a candidate",
			u.Name()+" is not a learner of the course: only learners take the proctored assessment.")
		return
	}
	m := d.message(u)
	m.Type = tool.StartProctoring
	m.ResourceLink = &ResourceLink{ID: demoExamID, Title: demoExamTitle, Description: demoExamDesc}
	m.AGS = false
	d.launch(w, m)
}

// devProctoring is the Proctoring panel: the attempts at the course's
// proctored assessment and the proctoring exchanges, newest first.
type devProctoring struct {
	On       bool // WithDevProctoring: the page shows the panel
	Attempts []devAttemptView
	Items    []devProctorItem
}

// devAttemptView is one attempt as the panel shows it.
type devAttemptView struct {
	User, Title, Status string
	Number, ExtraTime   int
}

// devProctorItem is one proctoring exchange: a message sent to the tool,
// an LtiStartAssessment received, or an Assessment Control request.
type devProctorItem struct {
	Time, Kind, Title, Who, Verdict string
	OK                              bool
	Details                         []string
	at                              time.Time
}

// proctoring builds the Proctoring panel.
func (d *devLMS) proctoring() devProctoring {
	e := d.e
	p := devProctoring{On: d.exam}
	if !p.On {
		return p
	}
	for _, l := range e.entries() {
		if l.Step != StepAuth || l.Claims == nil || l.Error != "" {
			continue
		}
		mt := messageType(l.Claims)
		if mt != string(tool.StartProctoring) && mt != string(tool.EndAssessment) {
			continue
		}
		sub, _ := l.Claims["sub"].(string)
		it := devProctorItem{Time: clockTime(l.Time), at: l.Time, Kind: "message", Title: mt + " → tool",
			Who: d.who(l.Claims, sub), Verdict: "id_token issued", OK: true}
		if n, ok := l.Claims[ClaimAPAttemptNumber]; ok {
			it.Details = append(it.Details, "attempt_number "+jsonNumberText(n))
		}
		p.Items = append(p.Items, it)
	}
	ap := &e.ap
	ap.mu.Lock()
	for _, s := range ap.starts {
		it := devProctorItem{Time: clockTime(s.Time), at: s.Time, Kind: "start", Title: "LtiStartAssessment ← tool",
			Who: d.who(nil, ap.userOf(s.LaunchID)), OK: s.Accepted()}
		if it.OK {
			it.Verdict = "accepted: attempt " + strconv.Itoa(s.AttemptNumber) + " started"
		} else {
			it.Verdict = "refused: " + strconv.Itoa(len(s.Violations)) + " rule(s) broken"
		}
		for _, v := range s.Violations {
			it.Details = append(it.Details, v.String())
		}
		p.Items = append(p.Items, it)
	}
	for _, a := range ap.actions {
		it := devProctorItem{Time: clockTime(a.Time), at: a.Time, Kind: "acs", Title: "ACS " + cmp.Or(a.Action, "request") + " ← tool",
			Who: d.who(nil, a.UserID), OK: a.Accepted()}
		if it.OK {
			it.Verdict = statusText(a.Status) + ": attempt " + a.Result
		} else {
			it.Verdict = "refused: " + statusText(a.Status)
			if a.Rule != "" || a.Reason != "" {
				it.Details = append(it.Details, strings.TrimPrefix(a.Rule+": "+a.Reason, ": "))
			}
		}
		if a.ReasonCode != "" || a.ReasonMsg != "" {
			it.Details = append(it.Details, strings.TrimSpace("reason "+a.ReasonCode+" "+a.ReasonMsg))
		}
		if a.ExtraTime != 0 {
			it.Details = append(it.Details, "extra_time "+strconv.Itoa(a.ExtraTime)+" min")
		}
		if a.IncidentTime != "" {
			it.Details = append(it.Details, "incident_time "+a.IncidentTime)
		}
		p.Items = append(p.Items, it)
	}
	for _, a := range ap.attempts {
		v := a.view()
		p.Attempts = append(p.Attempts, devAttemptView{User: d.who(nil, a.msg.UserID), Title: v.Title,
			Status: v.Status, Number: v.Number, ExtraTime: v.ExtraTime})
	}
	ap.mu.Unlock()
	slices.SortFunc(p.Attempts, func(a, b devAttemptView) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Title, b.Title), cmp.Compare(a.Number, b.Number))
	})
	slices.SortStableFunc(p.Items, func(a, b devProctorItem) int { return b.at.Compare(a.at) })
	return p
}

// jsonNumberText is a decoded JSON number as the page shows it.
func jsonNumberText(v any) string {
	if f, ok := v.(float64); ok {
		return formatNumber(f)
	}
	if n, ok := v.(int); ok {
		return strconv.Itoa(n)
	}
	return "?"
}

// userOf returns the user of the LtiStartProctoring launch launchID, or ""
// when no attempt came of it. The caller holds the lock.
func (ap *proctorState) userOf(launchID string) string {
	for _, a := range ap.attempts {
		if launchID != "" && a.launchID == launchID {
			return a.msg.UserID
		}
	}
	return ""
}
