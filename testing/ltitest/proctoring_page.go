package ltitest

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/ltikit/ltikit/tool"
)

// The browser side of a proctored attempt: the course page's "Start
// proctored attempt" (URL + "/proctoring/launch?user=ID"), the assessment
// page the platform shows once the tool sent LtiStartAssessment, and its
// Finish button, which sends LtiEndAssessment when the tool asked for it.

// The demo course's proctored assessment.
const (
	demoExamID    = "final-exam"
	demoExamTitle = "Final exam"
	demoExamDesc  = "Proctored: the proctoring tool checks the candidate before the attempt starts."
)

// demoExamMessage is the LtiStartProctoring launch of the demo exam by u.
func (e *engine) demoExamMessage(u demoUser) Message {
	m := e.demoMessage(u)
	m.Type = tool.StartProctoring
	m.ResourceLink = &ResourceLink{ID: demoExamID, Title: demoExamTitle, Description: demoExamDesc}
	m.Custom = nil
	m.NRPS = true
	return m
}

// serveProctoringLaunch serves GET /proctoring/launch?user=ID: like
// /launch, but an LtiStartProctoring launch of the demo exam.
func (e *engine) serveProctoringLaunch(w http.ResponseWriter, r *http.Request) {
	u, ok := findDemoUser(r.URL.Query().Get("user"))
	if !ok {
		writeProblem(w, http.StatusNotFound, "Unknown user", "Add ?user= with one of the users of the course.")
		return
	}
	e.startDemoLaunch(w, e.demoExamMessage(u))
}

// writeLoginForm records the login initiation of pl and writes Moodle's
// auto-submitting form that posts params to the tool's loginURL.
func (e *engine) writeLoginForm(w http.ResponseWriter, loginURL string, pl *pendingLaunch, params url.Values) {
	e.record(LogEntry{Step: StepLogin, LaunchID: pl.id, Method: http.MethodPost, URL: loginURL, Params: cloneValues(params)})
	fields := make([][2]string, 0, len(params))
	for _, k := range []string{"iss", "target_link_uri", "login_hint", "lti_message_hint", "client_id", "lti_deployment_id"} {
		fields = append(fields, [2]string{k, params.Get(k)})
	}
	writeAutoSubmit(w, loginURL, "ltiInitiateLoginForm", fields)
}

// attemptView is what the assessment page shows of an attempt.
type attemptView struct {
	ID, Title, User, Status, Note string
	Number, ExtraTime             int
}

// view returns a's page data. The caller holds the lock.
func (a *attempt) view() attemptView {
	v := attemptView{ID: a.id, Title: a.msg.ResourceLink.Title, User: a.msg.Name, Status: a.status,
		Note: attemptNotes[a.status], Number: a.number, ExtraTime: a.extraTime}
	if v.Title == "" {
		v.Title = a.msg.resourceLinkID()
	}
	if v.User == "" {
		v.User = a.msg.UserID
	}
	return v
}

// attemptNotes say why the assessment page's Finish button is disabled,
// by the attempt's status.
var attemptNotes = map[string]string{
	attemptPaused:     "The proctor paused this attempt: it can be submitted once it resumes.",
	attemptTerminated: "The proctoring tool terminated this attempt: it can no longer be submitted.",
	attemptComplete:   "This attempt was submitted.",
}

// attemptState is the answer of the attempt's status URL (apAttemptPath).
type attemptState struct {
	Status    string `json:"status"`
	ExtraTime int    `json:"extra_time"` // minutes
	Note      string `json:"note"`       // "" while running
}

// serveAttemptState serves GET /proctoring/attempt?attempt=ID, which the
// assessment page polls: the proctoring tool may pause, resume or
// terminate the attempt and grant extra time (Assessment Control), and the
// page shows it. Like the Finish button, it answers only the browser that
// started the attempt.
func (e *engine) serveAttemptState(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("attempt")
	ap := &e.ap
	ap.mu.Lock()
	var st attemptState
	code := http.StatusNotFound
	for _, a := range ap.attempts {
		switch {
		case a.id != id:
		case browserSession(r) != a.browser:
			code = http.StatusForbidden
		default:
			v := a.view()
			st, code = attemptState{Status: v.Status, ExtraTime: v.ExtraTime, Note: v.Note}, http.StatusOK
		}
	}
	ap.mu.Unlock()
	if code != http.StatusOK {
		http.Error(w, http.StatusText(code), code)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

// serveFinishAttempt serves POST /proctoring/finish, the assessment page's
// Finish button: the attempt is complete. When the tool asked for it, the
// platform then sends LtiEndAssessment (AP-04): the answer is the
// auto-submitting login initiation of that launch.
func (e *engine) serveFinishAttempt(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeProblem(w, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	id := r.PostForm.Get("attempt")
	ap := &e.ap
	ap.mu.Lock()
	var a *attempt
	for _, x := range ap.attempts {
		if x.id == id {
			a = x
		}
	}
	problem := ""
	switch {
	case a == nil:
		problem = "The platform has no such attempt."
	case browserSession(r) != a.browser:
		problem = "This attempt was started in another browser."
	case a.status == attemptPaused:
		problem = "The proctor paused this attempt; it cannot be submitted until it resumes."
	case a.status != attemptRunning:
		problem = "This attempt is " + a.status + "; it cannot be submitted."
	default:
		a.status = attemptComplete
	}
	var end bool
	var m Message
	var clientID, startLaunch string
	if problem == "" {
		end, m, clientID, startLaunch = a.endReturn, a.endAssessmentMessage(), a.clientID, a.launchID
	}
	ap.mu.Unlock()
	switch {
	case problem != "":
		writeProblem(w, http.StatusConflict, "The attempt cannot be submitted", problem)
		return
	case !end:
		writePage(w, http.StatusOK, finishedPage, nil)
		return
	}
	loginURL := e.loginURLOf(clientID, startLaunch)
	if loginURL == "" {
		writeProblem(w, http.StatusInternalServerError, "The platform cannot send LtiEndAssessment",
			"It knows no login initiation URL for the tool: set one with WithLoginURL or Platform.SetLoginURL.")
		return
	}
	pl, params, err := e.beginLogin(clientID, m)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "The platform cannot send LtiEndAssessment", err.Error())
		return
	}
	e.writeLoginForm(w, loginURL, pl, params)
}

// endAssessmentMessage is the LtiEndAssessment of the attempt: its user,
// course and link, attempt_number and session_data, without the hooks of
// the test's LtiStartProctoring message. The caller holds the lock.
func (a *attempt) endAssessmentMessage() Message {
	m := a.msg
	m.Type = tool.EndAssessment
	m.LoginMutate, m.Mutate, m.MutateHeader, m.Token, m.AuthMutate = nil, nil, nil, nil, nil
	m.Roles = slices.Clone(m.Roles)
	m.Proctoring = &Proctoring{AttemptNumber: a.number, SessionData: a.sessionData}
	return m
}

// loginURLOf is where the platform sends the tool's login initiations: the
// registered login URL, or the one the launch startLaunch went to.
func (e *engine) loginURLOf(clientID, startLaunch string) string {
	if reg, ok := e.registration(clientID); ok && reg.loginURL != "" {
		return reg.loginURL
	}
	for _, l := range e.entries() {
		if l.Step != StepLogin || l.LaunchID != startLaunch {
			continue
		}
		u, err := url.Parse(l.URL)
		if err != nil {
			return ""
		}
		if l.Method == http.MethodGet { // the login parameters went into the query
			q := u.Query()
			for k := range l.Params {
				q.Del(k)
			}
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return ""
}

var assessmentPage = template.Must(template.New("assessment").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}} · ltitest platform</title>
<style>` + pageStyle + `</style>
</head>
<body>
<main style="display:block;max-width:44rem">
<section id="assessment" data-status="{{.Status}}" data-state-url="/proctoring/attempt?attempt={{.ID}}">
<h1>{{.Title}}</h1>
<p class="muted"><span id="attempt-user">{{.User}}</span> · <span id="attempt-number">attempt {{.Number}}</span> · <span id="attempt-status">{{.Status}}</span><span id="attempt-extra-time"{{if not .ExtraTime}} hidden{{end}}> · {{.ExtraTime}} extra minutes</span></p>
<p>The proctoring tool started this attempt with a verified LtiStartAssessment message.</p>
<p id="attempt-note" class="problem"{{if not .Note}} hidden{{end}}>{{.Note}}</p>
<form method="post" action="/proctoring/finish">
<ol>
<li><p>A pendulum of length 1 m swings with a period of about</p>
<label><input type="radio" name="q1" value="1"> 1 s</label>
<label><input type="radio" name="q1" value="2"> 2 s</label></li>
<li><p>Doubling the mass of the bob makes the period</p>
<label><input type="radio" name="q2" value="same"> the same</label>
<label><input type="radio" name="q2" value="longer"> longer</label></li>
</ol>
<input type="hidden" name="attempt" value="{{.ID}}">
<button type="submit" id="finish-attempt"{{if ne .Status "running"}} disabled{{end}}>Finish attempt</button>
</form>
</section>
</main>
<script>
// The proctoring tool may pause, resume or terminate the attempt: follow its status.
const page = document.getElementById("assessment");
const poll = setInterval(async () => {
  const resp = await fetch(page.dataset.stateUrl, {cache: "no-store"}).catch(() => null);
  if (!resp || !resp.ok) return;
  const a = await resp.json(), extra = document.getElementById("attempt-extra-time"), note = document.getElementById("attempt-note");
  page.dataset.status = document.getElementById("attempt-status").textContent = a.status;
  extra.textContent = " · " + a.extra_time + " extra minutes";
  extra.hidden = !a.extra_time;
  note.textContent = a.note;
  note.hidden = !a.note;
  document.getElementById("finish-attempt").disabled = a.status !== "running";
  if (a.status === "terminated" || a.status === "complete") clearInterval(poll);
}, 3000);
</script>
</body>
</html>
`))

var finishedPage = template.Must(template.New("finished").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Attempt submitted · ltitest platform</title>
<style>` + pageStyle + `</style>
</head>
<body>
<main style="display:block;max-width:44rem">
<section id="attempt-complete">
<h1>Attempt submitted</h1>
<p>The attempt is complete. The proctoring tool did not ask for an LtiEndAssessment message.</p>
<p><a href="/" target="_top">Back to the course</a></p>
</section>
</main>
</body>
</html>
`))
