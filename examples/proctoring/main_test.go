package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// startApp runs the tool's wiring on free loopback ports.
func startApp(t *testing.T, cfg config) *app {
	t.Helper()
	cfg.Config = devserver.ForTest(t, cfg.Config)
	if cfg.policy == (policy{}) {
		cfg.policy = policy{FlagOn: 1, TerminateAfter: 3}
	}
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	devserver.ServeForTest(t, a)
	return a
}

var (
	learner    = tool.Roles{tool.RoleLearner}
	instructor = tool.Roles{tool.RoleInstructor}
)

// candidate is a learner's proctoring launch.
func candidate(id, name string) ltitest.Message {
	given, family, _ := strings.Cut(name, " ")
	return ltitest.Message{Type: tool.StartProctoring, UserID: id, Name: name, GivenName: given, FamilyName: family,
		Roles: learner, ResourceLink: &ltitest.ResourceLink{ID: "final-exam", Title: "Final exam"}}
}

func read(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

// attr returns the value of the attribute name of the element with the
// given id in page.
func attr(t *testing.T, page, id, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<[a-z]+ [^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
	v := regexp.MustCompile(` ` + name + `="([^"]*)"`).FindStringSubmatch(m)
	if v == nil {
		t.Fatalf("no %s on #%s in:\n%s", name, id, page)
	}
	return html.UnescapeString(v[1])
}

// precheckAnswers are the pre-check form of a candidate who does
// everything right.
func precheckAnswers(name string) url.Values {
	return url.Values{"name": {name}, "env-quiet": {"on"}, "env-alone": {"on"}, "env-materials": {"on"}, "consent": {"on"}}
}

// precheck plays the candidate in the pre-check: it posts form from the
// pre-check page and, in proctoring mode, when the pre-check passed,
// remembers the monitor window's URL and presses the start page's button.
type precheck struct {
	t       *testing.T
	form    url.Values
	monitor string // the monitor's URL, from the start page
	launch  string // the launch id the form carries
	status  int    // the tool's answer to the form, after its redirects
}

func (pc *precheck) run(c *http.Client, page *http.Response) *http.Response {
	t := pc.t
	t.Helper()
	body := read(t, page)
	if strings.Contains(body, "data-monitor") {
		t.Errorf("the pre-check page names the monitor window before the pre-check passed:\n%s", body)
	}
	action, err := page.Request.URL.Parse(attr(t, body, "precheck-form", "action"))
	if err != nil {
		t.Fatal(err)
	}
	pc.launch = action.Query().Get("launch")
	resp, err := c.PostForm(action.String(), pc.form)
	if err != nil {
		t.Fatal(err)
	}
	pc.status = resp.StatusCode
	if body = read(t, resp); !strings.Contains(body, `id="start-form"`) {
		return resp
	}
	mon, _ := resp.Request.URL.Parse(attr(t, body, "start-form", "data-monitor"))
	pc.monitor = mon.String()
	start, _ := resp.Request.URL.Parse(attr(t, body, "start-form", "action"))
	if resp, err = c.PostForm(start.String(), nil); err != nil {
		t.Fatal(err)
	}
	read(t, resp)
	return resp
}

// postEvents posts integrity events as the monitor does and returns the
// tool's answer.
func postEvents(t *testing.T, c *http.Client, monitor string, types ...string) (int, eventsResponse) {
	t.Helper()
	var req eventsRequest
	for _, typ := range types {
		req.Events = append(req.Events, struct {
			Type   string `json:"type"`
			At     string `json:"at"`
			Detail string `json:"detail"`
		}{Type: typ, At: "2026-11-28T21:00:00Z"})
	}
	body, _ := json.Marshal(req)
	r, _ := http.NewRequest(http.MethodPost, monitor+"/events", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(monitorHeader, "1")
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	var res eventsResponse
	json.Unmarshal([]byte(read(t, resp)), &res)
	return resp.StatusCode, res
}

// The whole LTI Proctoring Services cycle with the fake platform: the
// pre-check, LtiStartAssessment verified by the platform, integrity events
// reported through the Assessment Control Service by the policy (flag on
// the first, terminate on the third), LtiEndAssessment at the end of a
// clean attempt, and the instructor's dashboard and decision.
func TestProctoring_AP_fullCycle(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	p, login := a.Platform, a.URL+"/lti/login"

	// Ada's attempt: three integrity events terminate it.
	ada := p.NewBrowser(t)
	pc := &precheck{t: t, form: precheckAnswers("  ada   LEARNER ")}
	start, page := ada.StartProctoring(login, candidate("ada", "Ada Learner"), pc.run)
	if !start.Accepted() {
		t.Fatalf("the platform refused the LtiStartAssessment: %v", start.Violations)
	}
	if start.VerifiedUser["name"] != "Ada Learner" || start.VerifiedUser["given_name"] != "Ada" || !start.EndAssessmentReturn {
		t.Errorf("LtiStartAssessment: verified_user %v, end_assessment_return %v", start.VerifiedUser, start.EndAssessmentReturn)
	}
	if !strings.Contains(read(t, page), `id="assessment" data-status="running"`) {
		t.Fatalf("the platform's assessment page did not open")
	}
	mon, err := ada.Client().Get(pc.monitor)
	if err != nil || !strings.Contains(read(t, mon), `id="monitor"`) || mon.StatusCode != http.StatusOK {
		t.Fatalf("monitor window: %v %v", mon.Status, err)
	}
	for i, want := range []struct {
		status  string
		actions []string
	}{
		{statusStarted, []string{"flag=running"}},
		{statusStarted, []string{"flag=running"}},
		{statusTerminated, []string{"flag=running", "terminate=terminated"}},
	} {
		code, res := postEvents(t, ada.Client(), pc.monitor, []string{"tab-hidden", "copy", "fullscreen-exit"}[i])
		if code != http.StatusOK || res.Status != want.status || res.Incidents != i+1 {
			t.Fatalf("event %d: %d %+v, want %s", i+1, code, res, want.status)
		}
		var got []string
		for _, act := range p.ProctoringActions() {
			got = append(got, act.Action+"="+act.Result)
			if act.UserID != "ada" || act.AttemptNumber != 1 || !act.Accepted() {
				t.Errorf("ACS request %+v", act)
			}
		}
		if strings.Join(got, " ") != strings.Join(want.actions, " ") {
			t.Errorf("after event %d the platform got %v, want %v", i+1, got, want.actions)
		}
	}
	acts := p.ProctoringActions()
	if acts[0].ReasonCode != "tab-hidden" || acts[0].IncidentSeverity != 0.3 || acts[1].IncidentSeverity != 0.9 {
		t.Errorf("ACS requests %+v", acts)
	}
	if _, res := postEvents(t, ada.Client(), pc.monitor, "paste"); res.Incidents != 3 {
		t.Errorf("a terminated attempt recorded more events: %+v", res)
	}
	if resp := ada.FinishAttempt(page); resp.StatusCode != http.StatusConflict {
		t.Errorf("finishing a terminated attempt: %s", resp.Status)
	}

	// Bea's attempt: one flag, then the platform sends LtiEndAssessment.
	bea := p.NewBrowser(t)
	pc2 := &precheck{t: t, form: precheckAnswers("Bea Student")}
	start, page = bea.StartProctoring(login, candidate("bea", "Bea Student"), pc2.run)
	if !start.Accepted() {
		t.Fatal(start.Violations)
	}
	postEvents(t, bea.Client(), pc2.monitor, "focus-lost")
	end := bea.FinishAttempt(page)
	if body := read(t, end); !strings.Contains(body, `id="attempt-ended" data-status="ended"`) {
		t.Fatalf("LtiEndAssessment ended on %s %s:\n%s", end.Request.URL, end.Status, body)
	}

	// The instructor's dashboard: both learners, their sessions; a decision.
	ian := p.NewBrowser(t)
	resp := ian.Launch(login, ltitest.Message{UserID: "ian", Name: "Ian Instructor", Roles: instructor, NRPS: true})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("instructor launch: %s", resp.Status)
	}
	dashURL, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
	dash, err := ian.Client().Get(dashURL.String())
	if err != nil {
		t.Fatal(err)
	}
	body := read(t, dash)
	for _, want := range []string{`id="dashboard"`, "Ada Learner", "Bea Student", ">terminated<", ">ended<", "course roster"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, body)
		}
	}
	sessURL := regexp.MustCompile(`<tr id="session-[^"]+">\s*<td>Ada Learner</td>\s*<td><a href="([^"]+)"`).FindStringSubmatch(body)
	if sessURL == nil {
		t.Fatalf("no link to Ada's session:\n%s", body)
	}
	u, _ := dash.Request.URL.Parse(html.UnescapeString(sessURL[1]))
	sp, _ := ian.Client().Get(u.String())
	body = read(t, sp)
	for _, want := range []string{"confirmed as Ada Learner", "the exam tab was hidden", "text was copied", "platform: terminated", `id="decision">pending`} {
		if !strings.Contains(body, want) {
			t.Errorf("session page lacks %q:\n%s", want, body)
		}
	}
	act, _ := sp.Request.URL.Parse(attr(t, body, "decision-form", "action"))
	dr, err := ian.Client().PostForm(act.String(), url.Values{"decision": {"review"}})
	if err != nil || !strings.Contains(read(t, dr), `id="decision">review`) {
		t.Errorf("decision: %v %v", dr.Status, err)
	}
	if v := p.Violations(); len(v) > 0 {
		t.Errorf("the tool's authentication requests broke the spec: %v", v)
	}
}

// tinyPNG is a valid 2×2 PNG snapshot, as a data URL.
func tinyPNG(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// The pre-check refuses what the candidate got wrong, with 422 and the
// reason, and sends nothing to the platform; a good snapshot is kept for
// the instructor.
func TestPrecheck(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	p, login := a.Platform, a.URL+"/lti/login"
	with := func(edit func(url.Values)) url.Values {
		f := precheckAnswers("Ada Learner")
		edit(f)
		return f
	}
	tests := []struct {
		name   string
		m      ltitest.Message
		form   url.Values
		status int
		want   string
	}{
		{"wrong name", candidate("u1", "Ada Learner"), with(func(f url.Values) { f.Set("name", "Eve Impostor") }), 422, "not the name your institution has"},
		{"no name typed", candidate("u2", "Ada Learner"), with(func(f url.Values) { f.Del("name") }), 422, "not the name your institution has"},
		{"name not shared", candidate("u3", ""), precheckAnswers(""), 422, "did not share your name"},
		{"checklist incomplete", candidate("u4", "Ada Learner"), with(func(f url.Values) { f.Del("env-alone") }), 422, "environment checklist"},
		{"no consent", candidate("u5", "Ada Learner"), with(func(f url.Values) { f.Del("consent") }), 422, "Consent"},
		{"snapshot not an image", candidate("u6", "Ada Learner"), with(func(f url.Values) { f.Set("snapshot", "data:image/png;base64,aGVsbG8=") }), 422, "snapshot could not be used"},
		{"snapshot of another type", candidate("u7", "Ada Learner"), with(func(f url.Values) { f.Set("snapshot", "data:image/svg+xml;base64,PHN2Zz4=") }), 422, "snapshot could not be used"},
		{"good snapshot", candidate("u8", "Ada Learner"), with(func(f url.Values) { f.Set("snapshot", tinyPNG(t)) }), 200, `name="JWT"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := p.NewBrowser(t)
			resp := b.Launch(login, tt.m)
			loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
			page, err := b.Client().Get(loc.String())
			if err != nil {
				t.Fatal(err)
			}
			pc := &precheck{t: t, form: tt.form}
			res := pc.run(b.Client(), page)
			if body := read(t, res); pc.status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("got %d, want %d with %q:\n%s", pc.status, tt.status, tt.want, body)
			}
		})
	}
	if n := len(p.AssessmentStarts()); n != 0 {
		t.Errorf("%d LtiStartAssessment posted; the tool's form is only returned", n)
	}
}

// The platform refuses an LtiStartAssessment whose session_data or
// attempt number was tampered with on the way (here re-signed with the
// tool's own key, as a compromised tool would): no attempt starts.
func TestProctoring_AP_03_tamperedMessageRefused(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	tests := []struct {
		name, claim string
		value       any
	}{
		{"tampered session_data", ltitest.ClaimAPSessionData, "forged-session"},
		{"wrong attempt number", ltitest.ClaimAPAttemptNumber, 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tamper := func(c *http.Client, page *http.Response) *http.Response {
				pc := &precheck{t: t, form: precheckAnswers("Ada Learner")}
				resp := pc.run(c, page)
				body := read(t, resp)
				jwt := html.UnescapeString(regexp.MustCompile(`name="JWT" value="([^"]+)"`).FindStringSubmatch(body)[1])
				parts := strings.Split(jwt, ".")
				payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
				var claims map[string]any
				json.Unmarshal(payload, &claims)
				claims[tt.claim] = tt.value
				payload, _ = json.Marshal(claims)
				forged, err := a.Keys.Sign(payload)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body = io.NopCloser(strings.NewReader(strings.Replace(body, html.EscapeString(jwt), string(forged), 1)))
				return resp
			}
			s, page := a.Platform.StartProctoring(t, a.URL+"/lti/login", candidate("t"+string(rune('a'+i)), "Ada Learner"), tamper)
			if s.Accepted() || page.StatusCode != http.StatusBadRequest {
				t.Fatalf("the platform accepted it (%s)", page.Status)
			}
			want := map[string]string{ltitest.ClaimAPSessionData: "session_data", ltitest.ClaimAPAttemptNumber: "attempt_number"}[tt.claim]
			found := false
			for _, v := range s.Violations {
				found = found || (v.Rule == "AP-03" && v.Param == want)
			}
			if !found {
				t.Errorf("violations %v, want AP-03 %s", s.Violations, want)
			}
		})
	}
}

// Moodle has no proctoring: launched as a resource link, the tool runs its
// own quiz with the same pre-check and monitoring, records the incidents
// itself and posts the score through AGS.
func TestQuiz_MoodleGradedThroughAGS(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	file := filepath.Join(t.TempDir(), "registrations.json")
	doc, _ := json.Marshal(map[string]any{"platforms": []tool.Platform{p.Registration()}})
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, config{devserver.Config{Registrations: file, RegsSource: "-registrations"}, policy{FlagOn: 1, TerminateAfter: 5}})
	p.SetRedirectURIs(a.URL + "/lti/launch")
	p.SetToolJWKSURL(a.URL + "/.well-known/jwks.json")

	b := p.NewBrowser(t)
	resp := b.Launch(a.URL+"/lti/login", ltitest.Message{Name: "Ada Learner", Roles: learner, AGS: true, NRPS: true})
	loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
	page, err := b.Client().Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	pc := &precheck{t: t, form: precheckAnswers("Ada Learner")}
	quiz := pc.run(b.Client(), page)
	body := read(t, quiz)
	if pc.status != http.StatusOK || !strings.Contains(body, `id="quiz-form"`) {
		t.Fatalf("after the pre-check: %d\n%s", pc.status, body)
	}
	mon, _ := quiz.Request.URL.Parse(attr(t, body, "monitor", "data-endpoint"))
	monitor := strings.TrimSuffix(mon.String(), "/events")
	if code, res := postEvents(t, b.Client(), monitor, "paste"); code != http.StatusOK || res.Status != statusStarted {
		t.Errorf("event: %d %+v", code, res)
	}
	act, _ := quiz.Request.URL.Parse(attr(t, body, "quiz-form", "action"))
	res, err := b.Client().PostForm(act.String(), url.Values{"q1": {"2 s"}, "q2": {"the same"}, "q3": {"four times as long"}})
	if err != nil {
		t.Fatal(err)
	}
	body = read(t, res)
	if !strings.Contains(body, `id="quiz-score">2 / 3`) || !strings.Contains(body, "sent to the gradebook") {
		t.Fatalf("result page:\n%s", body)
	}
	var grade float64
	var comment string
	for _, li := range p.Gradebook().LineItems {
		for _, s := range li.Scores {
			grade, _ = s.Grade()
			comment = s.Comment
		}
	}
	if grade != 2 || !strings.Contains(comment, "1 integrity event") {
		t.Errorf("gradebook: grade %v, comment %q", grade, comment)
	}
	if again, _ := b.Client().PostForm(act.String(), url.Values{}); again.StatusCode != http.StatusConflict {
		t.Errorf("second submission: %s", again.Status)
	}
	if n := len(p.ProctoringActions()); n != 0 {
		t.Errorf("%d ACS requests sent to Moodle", n)
	}
}

// The tool's other URLs, and what a request without the right launch or
// role gets.
func TestPages(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	p, login := a.Platform, a.URL+"/lti/login"
	b := p.NewBrowser(t)
	pc := &precheck{t: t, form: precheckAnswers("Ada Learner")}
	if s, _ := b.StartProctoring(login, candidate("ada", "Ada Learner"), pc.run); !s.Accepted() {
		t.Fatal(s.Violations)
	}
	learnerLaunch := b.Launch(login, ltitest.Message{UserID: "ada", Name: "Ada Learner", Roles: learner})
	loc, _ := learnerLaunch.Request.URL.Parse(learnerLaunch.Header.Get("Location"))
	launchID := loc.Query().Get("launch")

	post := func(u, ct string, header map[string]string, body string) (int, string) {
		r, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		for k, v := range header {
			r.Header.Set(k, v)
		}
		resp, err := b.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, read(t, resp)
	}
	get := func(u string) (int, string) {
		resp, err := b.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, read(t, resp)
	}
	mh := map[string]string{monitorHeader: "1"}
	for _, tc := range []struct {
		name   string
		do     func() (int, string)
		status int
		want   string
	}{
		{"tool root", func() (int, string) { return get(a.URL + "/") }, 200, p.URL + "/"},
		{"tool keys", func() (int, string) { return get(a.URL + "/.well-known/jwks.json") }, 200, `"keys"`},
		{"style sheet", func() (int, string) { return get(a.URL + "/static/style.css") }, 200, "body{"},
		{"unknown monitor", func() (int, string) { return get(a.URL + "/proctor/monitor/nope") }, 404, "No such attempt"},
		{"events without the monitor header", func() (int, string) {
			return post(pc.monitor+"/events", "application/json", nil, `{"events":[{"type":"copy"}]}`)
		}, 400, "X-Proctor-Monitor"},
		{"events as a form", func() (int, string) {
			return post(pc.monitor+"/events", "application/x-www-form-urlencoded", mh, `events=copy`)
		}, 400, "post JSON"},
		{"unknown event type", func() (int, string) {
			return post(pc.monitor+"/events", "application/json", mh, `{"events":[{"type":"screenshot"}]}`)
		}, 400, "unknown event type"},
		{"no events", func() (int, string) { return post(pc.monitor+"/events", "application/json", mh, `{"events":[]}`) }, 400, "1 to 50"},
		{"events of an unknown attempt", func() (int, string) {
			return post(a.URL+"/proctor/monitor/nope/events", "application/json", mh, `{"events":[{"type":"copy"}]}`)
		}, 404, "no such attempt"},
		{"cross-site event post", func() (int, string) {
			return post(pc.monitor+"/events", "application/json", map[string]string{monitorHeader: "1", "Sec-Fetch-Site": "cross-site"}, `{"events":[{"type":"copy"}]}`)
		}, 403, ""},
		{"dashboard for a learner", func() (int, string) { return get(a.URL + "/dashboard?launch=" + launchID) }, 403, "forbidden_role"},
		{"pre-check without a launch", func() (int, string) {
			return get(a.URL + "/proctor/precheck?launch=unknown")
		}, 401, "no_session"},
		{"quiz of a proctoring attempt", func() (int, string) { return get(a.URL + "/quiz?launch=" + pc.launch) }, 400, "No quiz here"},
		{"pre-check of a started attempt", func() (int, string) {
			return get(a.URL + "/proctor/precheck?launch=" + pc.launch)
		}, 409, "This attempt is in progress"},
		{"start page of a started attempt", func() (int, string) {
			return get(a.URL + "/proctor/start?launch=" + pc.launch)
		}, 409, "This attempt is in progress"},
		{"starting a started attempt", func() (int, string) {
			return post(a.URL+"/proctor/start?launch="+pc.launch, "application/x-www-form-urlencoded", nil, "")
		}, 409, "This attempt is in progress"},
		{"monitor status", func() (int, string) { return get(pc.monitor + "/status") }, 200, `{"status":"in progress","incidents":0}`},
		{"status of an unknown monitor", func() (int, string) { return get(a.URL + "/proctor/monitor/nope/status") }, 404, "no such attempt"},
		{"quiz before the pre-check", func() (int, string) { return get(a.URL + "/quiz?launch=" + launchID) }, 200, `id="precheck-form"`},
		{"launch by GET", func() (int, string) { return get(a.URL + "/lti/launch") }, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tc.do()
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d, want %d with %q: %.300s", status, tc.status, tc.want, body)
			}
		})
	}
}

// The dashboard serves a session only to the instructors of its course.
func TestDashboard_otherCourse(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	p, login := a.Platform, a.URL+"/lti/login"
	b := p.NewBrowser(t)
	pc := &precheck{t: t, form: precheckAnswers("Ada Learner")}
	if s, _ := b.StartProctoring(login, candidate("ada", "Ada Learner"), pc.run); !s.Accepted() {
		t.Fatal(s.Violations)
	}
	dashboard := func(ctx *ltitest.Context) (page, launchID string, c *http.Client) {
		ib := p.NewBrowser(t)
		resp := ib.Launch(login, ltitest.Message{UserID: "ian", Roles: instructor, Context: ctx})
		loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		d, err := ib.Client().Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		return read(t, d), loc.Query().Get("launch"), ib.Client()
	}
	own, _, _ := dashboard(nil)
	m := regexp.MustCompile(`/dashboard/sessions/([^?"]+)`).FindStringSubmatch(own)
	if m == nil {
		t.Fatalf("no session on the course's dashboard:\n%s", own)
	}
	other, launchID, c := dashboard(&ltitest.Context{ID: "other-course", Title: "Other course"})
	if strings.Contains(other, "Ada Learner") {
		t.Errorf("another course's dashboard shows Ada:\n%s", other)
	}
	for _, path := range []string{"", "/snapshot"} {
		resp, err := c.Get(a.URL + "/dashboard/sessions/" + m[1] + path + "?launch=" + launchID)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s from another course: %s", path, resp.Status)
		}
	}
}

// The monitor window opens only once the pre-check passed: the start page
// names it, not the pre-check, refused or not. Before the candidate
// starts, the monitor shows the attempt ready and records nothing; after,
// in progress.
func TestStart_monitorAfterPrecheck(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	b := a.Platform.NewBrowser(t)
	resp := b.Launch(a.URL+"/lti/login", candidate("ada", "Ada Learner"))
	loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
	page, err := b.Client().Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	body := read(t, page)
	action, _ := page.Request.URL.Parse(attr(t, body, "precheck-form", "action"))
	submit := func(form url.Values) (int, string) {
		resp, err := b.Client().PostForm(action.String(), form)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, read(t, resp)
	}
	status := func(monitor string) string {
		t.Helper()
		resp, err := b.Client().Get(monitor + "/status")
		if err != nil {
			t.Fatal(err)
		}
		var res eventsResponse
		json.Unmarshal([]byte(read(t, resp)), &res)
		return res.Status
	}

	refused, refusedPage := submit(url.Values{"name": {"Eve"}})
	if refused != http.StatusUnprocessableEntity || strings.Contains(body+refusedPage, "data-monitor") {
		t.Fatalf("a refused pre-check (%d) names the monitor window", refused)
	}
	code, startPage := submit(precheckAnswers("Ada Learner"))
	if code != http.StatusOK || !strings.Contains(startPage, `id="start-form"`) {
		t.Fatalf("after the pre-check: %d\n%s", code, startPage)
	}
	u, _ := page.Request.URL.Parse(attr(t, startPage, "start-form", "data-monitor"))
	monitor := u.String()
	if got := status(monitor); got != statusReady {
		t.Errorf("before the start: monitor status %q, want %q", got, statusReady)
	}
	if _, res := postEvents(t, b.Client(), monitor, "monitor-closed"); res.Incidents != 0 || len(a.Platform.ProctoringActions()) != 0 {
		t.Errorf("an event before the start counted: %+v", res)
	}
	startURL, _ := page.Request.URL.Parse(attr(t, startPage, "start-form", "action"))
	resp, err = b.Client().PostForm(startURL.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if body := read(t, resp); !strings.Contains(body, `name="JWT"`) {
		t.Fatalf("the start did not answer with LtiStartAssessment: %s\n%s", resp.Status, body)
	}
	if got := status(monitor); got != statusStarted {
		t.Errorf("after the start: monitor status %q, want %q", got, statusStarted)
	}
}

// In a proctored attempt the monitor window's own focus changes and its
// being hidden are recorded but do not count: the candidate works in the
// exam window next to it. Its closing counts, as do copy and paste and
// the focus losses and tab switches the quiz page reports.
func TestEvents_whatCounts(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	for i, tc := range []struct {
		events    []string
		incidents int
		actions   string
	}{
		{[]string{"monitor-blur", "monitor-hidden", "monitor-blur"}, 0, ""},
		{[]string{"monitor-blur", "monitor-closed"}, 1, "flag"},
		{[]string{"monitor-hidden", "copy", "monitor-blur", "paste", "monitor-closed"}, 3, "flag terminate"},
		{[]string{"focus-lost", "tab-hidden"}, 2, "flag"},
	} {
		t.Run(strings.Join(tc.events, ","), func(t *testing.T) {
			before := len(a.Platform.ProctoringActions())
			b := a.Platform.NewBrowser(t)
			pc := &precheck{t: t, form: precheckAnswers("Ada Learner")}
			if s, _ := b.StartProctoring(a.URL+"/lti/login", candidate("c"+strconv.Itoa(i), "Ada Learner"), pc.run); !s.Accepted() {
				t.Fatal(s.Violations)
			}
			code, res := postEvents(t, b.Client(), pc.monitor, tc.events...)
			var got []string
			for _, act := range a.Platform.ProctoringActions()[before:] {
				got = append(got, act.Action)
			}
			if code != http.StatusOK || res.Incidents != tc.incidents || strings.Join(got, " ") != tc.actions {
				t.Errorf("got %d, %d incident(s), actions %v; want %d and %q", code, res.Incidents, got, tc.incidents, tc.actions)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    policy
		n    int
		want tool.ControlAction
	}{
		{policy{1, 3}, 1, tool.ControlFlag},
		{policy{1, 3}, 2, ""},
		{policy{1, 3}, 3, tool.ControlTerminate},
		{policy{1, 3}, 4, ""},
		{policy{1, 1}, 1, tool.ControlTerminate},
		{policy{0, 3}, 1, ""},
		{policy{2, 0}, 2, tool.ControlFlag},
		{policy{2, 0}, 9, ""},
		{policy{0, 0}, 1, ""},
	} {
		if got := tc.p.decide(tc.n); got != tc.want {
			t.Errorf("%+v.decide(%d) = %q, want %q", tc.p, tc.n, got, tc.want)
		}
	}
}

func TestDecodeSnapshot(t *testing.T) {
	t.Parallel()
	good := tinyPNG(t)
	if img, mt, err := decodeSnapshot(good); err != nil || mt != "image/png" || len(img) == 0 {
		t.Errorf("good PNG: %v %q", err, mt)
	}
	for _, bad := range []string{
		"", "data:", "hello", "data:image/png,abc", "data:image/png;base64,!!!",
		strings.Replace(good, "image/png", "image/jpeg", 1), // a PNG declared as JPEG
		"data:image/gif;base64,R0lGODlhAQABAAAAACw=",
		"data:image/png;base64," + strings.Repeat("A", 2*maxSnapshot),
		"javascript:alert(1)",
	} {
		if _, _, err := decodeSnapshot(bad); err == nil {
			t.Errorf("decodeSnapshot(%.40q) accepted it", bad)
		}
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add("data:image/png;base64,iVBORw0KGgo=")
	f.Add("data:image/jpeg;base64,/9j/4AAQSkZJRg==")
	f.Add("data:image/png;base64,")
	f.Fuzz(func(t *testing.T, s string) {
		img, mt, err := decodeSnapshot(s)
		if err == nil && (len(img) > maxSnapshot || (mt != "image/png" && mt != "image/jpeg")) {
			t.Errorf("accepted %d bytes of %q", len(img), mt)
		}
	})
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	noEnv := func(string) string { return "" }
	cfg, err := parseFlags(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8010" || cfg.PlatformAddr != "127.0.0.1:8011" || cfg.policy != (policy{1, 3}) {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = parseFlags([]string{"-flag-on", "2", "-terminate-after", "0"}, devserver.Env("regs.json"), io.Discard)
	if err != nil || cfg.policy != (policy{2, 0}) || cfg.Registrations != "regs.json" || cfg.RegsSource != tool.PlatformsEnv {
		t.Errorf("flags: %+v %v", cfg, err)
	}
	for _, args := range [][]string{{"extra"}, {"-nope"}, {"-terminate-after", "-1"}, {"-flag-on", "x"}} {
		if _, err := parseFlags(args, noEnv, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// run prints where to start and returns after a graceful shutdown.
func TestRun(t *testing.T) {
	t.Parallel()
	line, stop := devserver.RunForTest(t, run, "-addr", "127.0.0.1:0", "-platform-addr", "127.0.0.1:0", "-keys", t.TempDir())
	if !regexp.MustCompile(`^ltikit proctoring: open http://127\.0\.0\.1:\d+/ and click "Start proctored attempt"\n$`).MatchString(line) {
		t.Errorf("banner %q", line)
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}
