package ltitest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// proctorTool is an ltikit proctoring tool: an LtiStartProctoring launch
// shows a pre-check page whose form (POST /precheck?launch=ID) answers the
// platform with LtiStartAssessment; an LtiEndAssessment launch is recorded.
// It publishes its keys at /jwks.
type proctorTool struct {
	URL  string
	Tool *tool.Tool
	Keys *jwks.KeyRing

	mu       sync.Mutex
	launches []*tool.Launch
	start    tool.AssessmentStart
	// tamper, when set, edits the claims of the LtiStartAssessment before
	// the tool re-signs them: a message a correct tool never sends.
	tamper func(claims map[string]any)
}

func newProctorTool(t *testing.T, p *ltitest.Platform) *proctorTool {
	t.Helper()
	tt := newTestTool(t, p, tool.ResourceLinkRequest, tool.StartProctoring, tool.EndAssessment)
	tl := tt.Tool
	pt := &proctorTool{URL: tt.URL, Tool: tl, Keys: tt.Keys}

	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("POST /lti/launch", middleware.Launch(tl)(http.HandlerFunc(pt.launch)))
	mux.Handle("POST /precheck", middleware.Session(tl)(http.HandlerFunc(pt.precheck)))
	tt.serve(t, p, mux)
	return pt
}

func (pt *proctorTool) launch(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	pt.mu.Lock()
	pt.launches = append(pt.launches, l)
	pt.mu.Unlock()
	if l.MessageType == tool.StartProctoring {
		io.WriteString(w, `<form id="precheck" method="post" action="`+l.Link("/precheck")+`"><button>Start</button></form>`)
		return
	}
	io.WriteString(w, `<p id="ended">`+string(l.MessageType)+`</p>`)
}

func (pt *proctorTool) precheck(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	pt.mu.Lock()
	start, tamper := pt.start, pt.tamper
	pt.mu.Unlock()
	if tamper == nil {
		if err := pt.Tool.StartAssessment(w, l, start); err != nil {
			pt.Tool.ServeError(w, r, err)
		}
		return
	}
	jwt, err := pt.Tool.SignStartAssessment(l, start)
	if err != nil {
		pt.Tool.ServeError(w, r, err)
		return
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	tamper(claims)
	payload, _ = json.Marshal(claims)
	signed, err := pt.Keys.Sign(payload)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeAutoPost(w, l.Proctoring.StartAssessmentURL, url.Values{"JWT": {string(signed)}})
}

func (pt *proctorTool) set(start tool.AssessmentStart, tamper func(map[string]any)) {
	pt.mu.Lock()
	pt.start, pt.tamper = start, tamper
	pt.mu.Unlock()
}

// lastLaunch returns the last launch the tool saw.
func (pt *proctorTool) lastLaunch(t *testing.T) *tool.Launch {
	t.Helper()
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if len(pt.launches) == 0 {
		t.Fatal("the tool saw no launch")
	}
	return pt.launches[len(pt.launches)-1]
}

// submitPrecheck is the candidate passing the pre-check: it posts the
// tool's pre-check form.
func submitPrecheck(t *testing.T) func(c *http.Client, page *http.Response) *http.Response {
	return func(c *http.Client, page *http.Response) *http.Response {
		t.Helper()
		body, _ := io.ReadAll(page.Body)
		m := regexp.MustCompile(`<form id="precheck" method="post" action="([^"]+)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("no pre-check form in %s: %s", page.Status, body)
		}
		u, _ := page.Request.URL.Parse(string(m[1]))
		resp, err := c.PostForm(u.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
}

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

// TestProctoring_AP_01_StartProctoringClaims: the LtiStartProctoring launch
// carries what the tool needs: a numbered attempt, session_data, where to
// send the candidate back, and the Assessment Control Service.
func TestProctoring_AP_01_StartProctoringClaims(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	login := pt.URL + "/lti/login"

	p.Launch(t, login, ltitest.Message{Type: tool.StartProctoring, UserID: "cand-1",
		Proctoring: &ltitest.Proctoring{Settings: `{"webcam":true}`}})
	l := pt.lastLaunch(t)
	ap := l.Proctoring
	if l.MessageType != tool.StartProctoring || ap == nil || ap.AttemptNumber != 1 || len(ap.SessionData) < 20 ||
		ap.StartAssessmentURL != p.URL+"/proctoring/start" || ap.SettingsData != `{"webcam":true}` {
		t.Fatalf("launch %s with %+v", l.MessageType, ap)
	}
	if ap.ACS == nil || ap.ACS.AssessmentControlURL != p.URL+"/proctoring/acs" ||
		!slices.Equal(ap.ACS.Actions, []string{"pause", "resume", "terminate", "update", "flag"}) {
		t.Errorf("acs %+v", ap.ACS)
	}
	first := ap.SessionData

	p.Launch(t, login, ltitest.Message{Type: tool.StartProctoring, UserID: "cand-1", Proctoring: &ltitest.Proctoring{ACSActions: []string{}}})
	if l := pt.lastLaunch(t); l.Proctoring.AttemptNumber != 2 || l.Proctoring.SessionData == first || l.Proctoring.ACS != nil {
		t.Errorf("second attempt: %+v, want attempt 2, a new session_data and no acs claim", l.Proctoring)
	}
	p.Launch(t, login, ltitest.Message{Type: tool.StartProctoring, UserID: "cand-2"})
	if l := pt.lastLaunch(t); l.Proctoring.AttemptNumber != 1 {
		t.Errorf("another candidate's first attempt is %d", l.Proctoring.AttemptNumber)
	}
}

// TestProctoring_AP_03_FullCycle: the candidate passes the pre-check, the
// platform verifies the LtiStartAssessment and starts the attempt, the
// tool flags an incident, and the end of the attempt sends LtiEndAssessment
// to the tool, as it asked.
func TestProctoring_AP_03_FullCycle(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	pt.set(tool.AssessmentStart{EndAssessmentReturn: true,
		VerifiedUser: &tool.VerifiedUser{GivenName: "Ada", FamilyName: "Learner", Name: "Ada Learner"}}, nil)
	b := p.NewBrowser(t)

	s, page := b.StartProctoring(pt.URL+"/lti/login", ltitest.Message{UserID: "cand-1", Name: "Ada Learner"}, submitPrecheck(t))
	if !s.Accepted() || page.StatusCode != http.StatusOK {
		t.Fatalf("start refused: %v (%s)", s.Violations, page.Status)
	}
	if s.AttemptNumber != 1 || !s.EndAssessmentReturn || s.VerifiedUser["name"] != "Ada Learner" || s.LaunchID == "" {
		t.Errorf("start %+v", s)
	}
	if html := bodyOf(t, page); !strings.Contains(html, `id="assessment" data-status="running"`) || !strings.Contains(html, "attempt 1") {
		t.Errorf("assessment page:\n%s", html)
	}

	start := pt.lastLaunch(t)
	acs, err := pt.Tool.AssessmentControl(start)
	if err != nil {
		t.Fatal(err)
	}
	res, err := acs.Send(context.Background(), tool.ControlRequest{Action: tool.ControlFlag, IncidentSeverity: 0.3,
		ReasonCode: "focus", ReasonMsg: "left the exam tab"})
	if err != nil || res.Status != tool.AssessmentRunning {
		t.Fatalf("flag: %+v, %v", res, err)
	}
	acts := p.ProctoringActions()
	if len(acts) != 1 || !acts[0].Accepted() || acts[0].Action != "flag" || acts[0].UserID != "cand-1" ||
		acts[0].Issuer != p.URL || acts[0].AttemptNumber != 1 || acts[0].IncidentSeverity != 0.3 || acts[0].ReasonCode != "focus" {
		t.Errorf("actions %+v", acts)
	}

	end := b.FinishAttempt(page)
	if html := bodyOf(t, end); !strings.Contains(html, `<p id="ended">LtiEndAssessment</p>`) {
		t.Fatalf("finish ended on %s %s:\n%s", end.Request.URL, end.Status, html)
	}
	l := pt.lastLaunch(t)
	if l.Proctoring == nil || l.Proctoring.AttemptNumber != 1 || l.Proctoring.SessionData != start.Proctoring.SessionData ||
		l.Subject != "cand-1" || l.ResourceLink == nil || l.ResourceLink.ID != start.ResourceLink.ID {
		t.Errorf("LtiEndAssessment %+v %+v", l.Proctoring, l.ResourceLink)
	}
	if v := p.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
	if res, err := acs.Send(context.Background(), tool.ControlRequest{Action: tool.ControlPause}); !errors.Is(err, tool.ErrServiceConflict) {
		t.Errorf("pausing a complete attempt: %+v, %v, want a 409", res, err)
	}
}

// TestProctoring_AP_04_NoEndAssessmentUnlessAsked: without
// end_assessment_return the attempt ends on the platform's page.
func TestProctoring_AP_04_NoEndAssessmentUnlessAsked(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	b := p.NewBrowser(t)
	s, page := b.StartProctoring(pt.URL+"/lti/login", ltitest.Message{}, submitPrecheck(t))
	if !s.Accepted() {
		t.Fatal(s.Violations)
	}
	end := b.FinishAttempt(page)
	if html := bodyOf(t, end); !strings.Contains(html, `id="attempt-complete"`) {
		t.Errorf("finish: %s\n%s", end.Status, html)
	}
	if l := pt.lastLaunch(t); l.MessageType != tool.StartProctoring {
		t.Errorf("the tool got %s", l.MessageType)
	}
}

// TestProctoring_AP_03_Refused: the platform starts no attempt for a
// message that is tampered with, replayed, from another browser or
// otherwise wrong, and names the rule.
func TestProctoring_AP_03_Refused(t *testing.T) {
	set := func(k string, v any) func(map[string]any) { return func(c map[string]any) { c[k] = v } }
	tests := []struct {
		name   string
		start  tool.AssessmentStart
		tamper func(map[string]any)
		rule   string
		param  string
	}{
		{name: "tampered session_data", tamper: set(ltitest.ClaimAPSessionData, "forged"), rule: "AP-03", param: "session_data"},
		{name: "wrong attempt number", tamper: set(ltitest.ClaimAPAttemptNumber, 2), rule: "AP-03", param: "attempt_number"},
		{name: "attempt number as a string", tamper: set(ltitest.ClaimAPAttemptNumber, "1"), rule: "AP-03", param: "attempt_number"},
		{name: "other resource link", tamper: set(ltitest.ClaimResourceLink, map[string]any{"id": "other"}), rule: "AP-03", param: "resource_link"},
		{name: "other deployment", tamper: set(ltitest.ClaimDeploymentID, "other"), rule: "AP-03", param: "deployment_id"},
		{name: "aud not the platform", tamper: set("aud", "https://elsewhere.example"), rule: "AP-03", param: "aud"},
		{name: "iss not the client_id", tamper: set("iss", "someone"), rule: "AP-03", param: "iss"},
		{name: "expired", tamper: set("exp", time.Now().Add(-time.Minute).Unix()), rule: "AP-03", param: "exp"},
		{name: "no nonce", tamper: func(c map[string]any) { delete(c, "nonce") }, rule: "AP-03", param: "nonce"},
		{name: "wrong message type", tamper: set(ltitest.ClaimMessageType, "LtiDeepLinkingResponse"), rule: "AP-03", param: "message_type"},
		{name: "sub in verified_user", tamper: set(ltitest.ClaimAPVerifiedUser, map[string]any{"sub": "cand-1"}), rule: "AP-08", param: "verified_user.sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ltitest.NewPlatform(t)
			pt := newProctorTool(t, p)
			pt.set(tt.start, tt.tamper)
			s, page := p.StartProctoring(t, pt.URL+"/lti/login", ltitest.Message{}, submitPrecheck(t))
			if s.Accepted() || page.StatusCode != http.StatusBadRequest {
				t.Fatalf("accepted (%s)", page.Status)
			}
			if !hasAPViolation(s.Violations, tt.rule, tt.param) {
				t.Errorf("violations %v, want %s %s", s.Violations, tt.rule, tt.param)
			}
		})
	}
}

func hasAPViolation(vs []ltitest.Violation, rule, param string) bool {
	return slices.ContainsFunc(vs, func(v ltitest.Violation) bool { return v.Rule == rule && v.Param == param })
}

// TestProctoring_AP_03_BoundToBrowserAndOnce: a good message posted again,
// or from another browser, starts nothing; one signed with a key the tool
// does not publish is refused too.
func TestProctoring_AP_03_BoundToBrowserAndOnce(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	var jwt string
	capture := func(c *http.Client, page *http.Response) *http.Response {
		resp := submitPrecheck(t)(c, page)
		m := regexp.MustCompile(`name="JWT" value="([^"]+)"`).FindStringSubmatch(bodyOf(t, resp))
		if m == nil {
			t.Fatal("no JWT in the tool's form")
		}
		jwt = m[1]
		return resp
	}
	b := p.NewBrowser(t)
	if s, _ := b.StartProctoring(pt.URL+"/lti/login", ltitest.Message{}, capture); !s.Accepted() {
		t.Fatal(s.Violations)
	}
	post := func(c *http.Client, jwt string) ltitest.AssessmentStart {
		resp, err := c.PostForm(p.URL+"/proctoring/start", url.Values{"JWT": {jwt}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		all := p.AssessmentStarts()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %s, want 400", resp.Status)
		}
		return all[len(all)-1]
	}
	if s := post(b.Client(), jwt); s.Accepted() || !hasAPViolation(s.Violations, "AP-03", "nonce") || !hasAPViolation(s.Violations, "AP-03", "session_data") {
		t.Errorf("replayed: %v", s.Violations)
	}
	if s := post(p.NewBrowser(t).Client(), jwt); s.Accepted() || !hasAPViolation(s.Violations, "AP-03", "session_data") {
		t.Errorf("other browser: %v", s.Violations)
	}
	parts := strings.Split(jwt, ".")
	if s := post(b.Client(), parts[0]+"."+parts[1]+".c2lnbmF0dXJl"); s.Accepted() || !hasAPViolation(s.Violations, "SEC-TOOLMSG-01", "JWT") {
		t.Errorf("bad signature: %v", s.Violations)
	}
	if s := post(b.Client(), ""); s.Accepted() || !hasAPViolation(s.Violations, "AP-02", "JWT") {
		t.Errorf("no JWT: %v", s.Violations)
	}
}

// TestProctoring_AP_06_ACSCycle: the platform applies pause, resume,
// update and terminate to the attempt and answers its status; the
// terminated attempt cannot be submitted.
func TestProctoring_AP_06_ACSCycle(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	b := p.NewBrowser(t)
	s, page := b.StartProctoring(pt.URL+"/lti/login", ltitest.Message{}, submitPrecheck(t))
	if !s.Accepted() {
		t.Fatal(s.Violations)
	}
	acs, err := pt.Tool.AssessmentControl(pt.lastLaunch(t))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		req  tool.ControlRequest
		want tool.ControlResponse
	}{
		{tool.ControlRequest{Action: tool.ControlPause, IncidentSeverity: 0.5}, tool.ControlResponse{Status: tool.AssessmentPaused}},
		{tool.ControlRequest{Action: tool.ControlResume}, tool.ControlResponse{Status: tool.AssessmentRunning}},
		{tool.ControlRequest{Action: tool.ControlUpdate, ExtraTime: 10 * time.Minute}, tool.ControlResponse{Status: tool.AssessmentRunning, ExtraTime: 10 * time.Minute}},
		{tool.ControlRequest{Action: tool.ControlTerminate, IncidentSeverity: 1, ReasonCode: "impersonation"}, tool.ControlResponse{Status: tool.AssessmentTerminated, ExtraTime: 10 * time.Minute}},
	}
	for _, st := range steps {
		got, err := acs.Send(context.Background(), st.req)
		if err != nil || got != st.want {
			t.Fatalf("%s: %+v, %v; want %+v", st.req.Action, got, err, st.want)
		}
	}
	if _, err := acs.Send(context.Background(), tool.ControlRequest{Action: tool.ControlResume}); !errors.Is(err, tool.ErrServiceConflict) {
		t.Errorf("resuming a terminated attempt: %v, want 409", err)
	}
	if resp := b.FinishAttempt(page); resp.StatusCode != http.StatusConflict {
		t.Errorf("finishing a terminated attempt: %s", resp.Status)
	}
	var got []string
	for _, a := range p.ProctoringActions() {
		got = append(got, a.Action+"="+a.Result)
	}
	if want := []string{"pause=paused", "resume=running", "update=running", "terminate=terminated", "resume="}; !slices.Equal(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
}

// TestProctoring_AP_06_ACSRefused: requests a strict platform refuses,
// each recorded with its rule.
func TestProctoring_AP_06_ACSRefused(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	p.SetClock(nil)
	s, _ := p.StartProctoring(t, pt.URL+"/lti/login", ltitest.Message{UserID: "cand-1",
		Proctoring: &ltitest.Proctoring{ACSActions: []string{"flag", "pause"}}}, submitPrecheck(t))
	if !s.Accepted() {
		t.Fatal(s.Violations)
	}
	l := pt.lastLaunch(t)
	reg := p.Registration()
	client, err := pt.Tool.Client(context.Background(), &reg, l.DeploymentID, tool.ScopeAssessmentControl)
	if err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{"user": map[string]any{"sub": "cand-1", "iss": p.URL}, "resource_link": map[string]any{"id": l.ResourceLink.ID},
			"attempt_number": 1, "action": "flag", "incident_time": "2026-11-28T21:00:00Z", "incident_severity": 0.5}
	}
	const media = "application/vnd.ims.lti-ap.v1.control+json"
	tests := []struct {
		name        string
		client      *http.Client
		contentType string
		edit        func(map[string]any)
		status      int
		rule        string
	}{
		{"accepted, severity as a number", client, media, nil, 200, ""},
		{"accepted, severity as a string", client, media, func(b map[string]any) { b["incident_severity"] = "0.5" }, 200, ""},
		{"no bearer token", http.DefaultClient, media, nil, 401, "AP-06"},
		{"JSON content type", client, "application/json", nil, 415, "AP-06"},
		{"action the claim does not offer", client, media, func(b map[string]any) { b["action"] = "terminate" }, 400, "AP-07"},
		{"action of the spec's typo", client, media, func(b map[string]any) { b["action"] = "flagRequest" }, 400, "AP-05"},
		{"unknown attempt", client, media, func(b map[string]any) { b["attempt_number"] = 9 }, 404, "AP-06"},
		{"other user", client, media, func(b map[string]any) { b["user"] = map[string]any{"sub": "cand-2", "iss": p.URL} }, 404, "AP-06"},
		{"no user.iss", client, media, func(b map[string]any) { b["user"] = map[string]any{"sub": "cand-1"} }, 400, "AP-06"},
		{"severity above 1", client, media, func(b map[string]any) { b["incident_severity"] = 2 }, 400, "AP-06"},
		{"no incident_time", client, media, func(b map[string]any) { delete(b, "incident_time") }, 400, "AP-06"},
		{"extra_time on a flag", client, media, func(b map[string]any) { b["extra_time"] = 5 }, 400, "AP-06"},
		{"attempt number as a string", client, media, func(b map[string]any) { b["attempt_number"] = "1" }, 400, "AP-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := good()
			if tt.edit != nil {
				tt.edit(body)
			}
			raw, _ := json.Marshal(body)
			req, _ := http.NewRequest(http.MethodPost, p.URL+"/proctoring/acs", bytes.NewReader(raw))
			req.Header.Set("Content-Type", tt.contentType)
			resp, err := tt.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			acts := p.ProctoringActions()
			last := acts[len(acts)-1]
			if resp.StatusCode != tt.status || last.Status != tt.status || last.Rule != tt.rule {
				t.Errorf("status %d (recorded %d, rule %q: %s), want %d %q", resp.StatusCode, last.Status, last.Rule, last.Reason, tt.status, tt.rule)
			}
		})
	}
}

// TestProctoring_CoursePage: a learner starts a proctored attempt from the
// course page of a platform run with Start, in an iframe that lets the
// tool use the camera and full screen; instructors get no such link.
func TestProctoring_CoursePage(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	p.SetLoginURL(pt.URL + "/lti/login")
	c := p.NewBrowser(t).Client()

	resp, err := c.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page := bodyOf(t, resp)
	if !strings.Contains(page, `id="proctored-attempt-ada"`) || strings.Contains(page, `id="proctored-attempt-ian"`) ||
		!strings.Contains(page, `allow="camera *; microphone *; fullscreen *" allowfullscreen`) {
		t.Errorf("course page:\n%s", page)
	}
	resp, err = c.Get(p.URL + "/proctoring/launch?user=ada")
	if err == nil {
		resp, err = ltitest.FollowForms(c, resp)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bodyOf(t, resp), `id="precheck"`) {
		t.Fatalf("ended on %s %s", resp.Request.URL, resp.Status)
	}
	if l := pt.lastLaunch(t); l.MessageType != tool.StartProctoring || l.Subject != "ada" || l.ResourceLink.ID != "final-exam" || l.NRPS == nil {
		t.Errorf("launch %s by %s of %+v", l.MessageType, l.Subject, l.ResourceLink)
	}
	if resp, err := c.Get(p.URL + "/proctoring/launch?user=nobody"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown user: %v %v", resp.Status, err)
	}
}

// TestProctoring_AP_05_MoodleHasNoACS: a Moodle platform permits no
// control.all scope, so the tool's request fails before it is sent.
func TestProctoring_AP_05_MoodleHasNoACS(t *testing.T) {
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	pt := newProctorTool(t, p)
	p.Launch(t, pt.URL+"/lti/login", ltitest.Message{Type: tool.StartProctoring})
	acs, err := pt.Tool.AssessmentControl(pt.lastLaunch(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acs.Send(context.Background(), tool.ControlRequest{Action: tool.ControlFlag}); err == nil {
		t.Error("flag sent to a platform that does not permit the scope")
	}
	if n := len(p.ProctoringActions()); n != 0 {
		t.Errorf("%d actions reached the platform", n)
	}
}
