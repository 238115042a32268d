package ltitest_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// startDevProctoring starts a development LMS with its proctored
// assessment and a proctorTool as its tool.
func startDevProctoring(t *testing.T) (*ltitest.Platform, *proctorTool) {
	t.Helper()
	p := ltitest.NewPlatform(t, ltitest.WithDevLMS("Proctor"), ltitest.WithDevProctoring())
	pt := newProctorTool(t, p)
	p.SetLoginURL(pt.URL + "/lti/login")
	return p, pt
}

// The proctored assessment is opt-in: without WithDevProctoring the course
// page has no "Start proctored attempt" and no Proctoring panel, and the
// LMS sends no LtiStartProctoring.
func TestDevLMS_proctoringOptIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   []ltitest.Option
		on     bool
		status int // GET /dev/proctoring?user=ben
	}{
		{"off by default", nil, false, http.StatusNotFound},
		{"WithDevProctoring", []ltitest.Option{ltitest.WithDevProctoring()}, true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := ltitest.NewPlatform(t, append(tc.opts, ltitest.WithDevLMS("Tool"), ltitest.WithLoginURL("http://localhost:1/login"),
				ltitest.WithRedirectURIs("http://localhost:1/launch"))...)
			_, course := do(t, http.MethodGet, p.URL+"/")
			_, live := do(t, http.MethodGet, p.URL+"/dev/panels")
			for what, got := range map[string]bool{
				"proctored attempt button": strings.Contains(course, `id="proctored-attempt-ben"`),
				"proctoring panel":         strings.Contains(course, `id="proctoring"`),
				"live proctoring panel":    strings.Contains(live, `id="proctoring"`),
			} {
				if got != tc.on {
					t.Errorf("%s shown: %v, want %v", what, got, tc.on)
				}
			}
			if resp, _ := do(t, http.MethodGet, p.URL+"/dev/proctoring?user=ben"); resp.StatusCode != tc.status {
				t.Errorf("GET /dev/proctoring: %s, want %d", resp.Status, tc.status)
			}
		})
	}
}

// TestDevLMS_proctoring: a learner's "Start proctored attempt" in the
// development LMS is an LtiStartProctoring launch of the course's exam; the
// tool's LtiStartAssessment, a refused one, an Assessment Control flag and
// a refused termination show in the Proctoring panel, with the attempt's
// status, and in the message log, decoded, with the platform's answers.
func TestDevLMS_proctoring(t *testing.T) {
	p, pt := startDevProctoring(t)
	c := p.NewBrowser(t).Client()

	_, course := open(t, c, p, "/")
	if !strings.Contains(course, `id="proctored-attempt-ada"`) || strings.Contains(course, `id="proctored-attempt-ian"`) {
		t.Errorf("the course page offers the proctored attempt to the wrong users:\n%.3000s", course)
	}
	mustContain(t, "course page", course, `id="proctoring"`, "No proctored attempt yet.")

	// Ada passes the tool's pre-check: the platform starts the attempt.
	resp, page := open(t, c, p, "/dev/proctoring?user=ada")
	m := regexp.MustCompile(`<form id="precheck" method="post" action="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no pre-check page: %s %s\n%s", resp.Request.URL, resp.Status, page)
	}
	l := pt.lastLaunch(t)
	if l.MessageType != tool.StartProctoring || l.Subject != "ada" || l.Name != "Ada Park" || l.ResourceLink.ID != "final-exam" || l.NRPS == nil {
		t.Errorf("launch %s by %s (%s) of %+v", l.MessageType, l.Subject, l.Name, l.ResourceLink)
	}
	action, _ := resp.Request.URL.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	resp, err := c.PostForm(action.String(), nil)
	if err == nil {
		resp, err = ltitest.FollowForms(c, resp)
	}
	if err != nil {
		t.Fatal(err)
	}
	if body := bodyOf(t, resp); !strings.Contains(body, `id="assessment"`) {
		t.Fatalf("the platform did not start the attempt: %s %s\n%.2000s", resp.Request.URL, resp.Status, body)
	}
	if starts := p.AssessmentStarts(); len(starts) != 1 || !starts[0].Accepted() {
		t.Fatalf("assessment starts: %+v", starts)
	}

	// The tool flags an incident.
	acs, err := pt.Tool.AssessmentControl(l)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acs.Send(context.Background(), tool.ControlRequest{Action: tool.ControlFlag, IncidentSeverity: 0.3,
		ReasonCode: "tab-hidden", ReasonMsg: "the exam tab was hidden"}); err != nil {
		t.Fatal(err)
	}

	// Ben's tool sends the wrong attempt number: refused.
	pt.set(tool.AssessmentStart{}, func(c map[string]any) { c[ltitest.ClaimAPAttemptNumber] = 7 })
	c2 := p.NewBrowser(t).Client()
	resp, page = open(t, c2, p, "/dev/proctoring?user=ben")
	m = regexp.MustCompile(`<form id="precheck" method="post" action="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no pre-check page for Ben: %s", page)
	}
	action, _ = resp.Request.URL.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
	resp, err = c2.PostForm(action.String(), nil)
	if err == nil {
		resp, err = ltitest.FollowForms(c2, resp)
	}
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK && strings.Contains(bodyOf(t, resp), `id="assessment"`) {
		t.Fatal("the platform started an attempt with the wrong attempt number")
	}
	// Ben's attempt never started: the platform refuses to terminate it.
	benACS, err := pt.Tool.AssessmentControl(pt.lastLaunch(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := benACS.Send(context.Background(), tool.ControlRequest{Action: tool.ControlTerminate, IncidentSeverity: 0.9}); err == nil {
		t.Error("the platform terminated an attempt that never started")
	}

	got := panels(t, p)
	mustContain(t, "the proctoring panel", got,
		`<section id="proctoring">`,
		"LtiStartProctoring → tool", "attempt_number 1",
		"LtiStartAssessment ← tool", "accepted: attempt 1 started", "refused: ", "AP-03",
		"ACS flag ← tool", "200 OK: attempt running", "reason tab-hidden the exam tab was hidden",
		"Ada Park", "Ben Okafor", "Final exam #1", "running")
	_, log, _ := strings.Cut(got, `<section id="log">`)
	mustContain(t, "the message log", log,
		// The LtiStartAssessment messages, decoded, with the verdicts.
		`<span class="kind proctoring">`, "LtiStartAssessment ← tool</strong> · Ada Park",
		"checks passed: attempt 1 started", "the LMS refused it: ", "AP-03", "attempt_number",
		"JWT claims", `&#34;https://purl.imsglobal.org/spec/lti/claim/message_type&#34;: &#34;LtiStartAssessment&#34;`,
		ltitest.ClaimAPSessionData,
		// The Assessment Control requests, with their bodies and answers.
		`<span class="kind acs">`, "ACS flag ← tool</strong> · Ada Park", "200 OK: attempt running",
		"request body", `&#34;reason_code&#34;: &#34;tab-hidden&#34;`, "response body", `&#34;status&#34;: &#34;running&#34;`,
		"ACS terminate ← tool</strong> · Ben Okafor", "the LMS refused it: 409 Conflict", "AP-07: cannot terminate")
}

// TestDevLMS_proctoringOnlyLearners: instructors do not take the exam.
func TestDevLMS_proctoringOnlyLearners(t *testing.T) {
	p, _ := startDevProctoring(t)
	for path, want := range map[string]int{
		"/dev/proctoring?user=ian":    http.StatusForbidden,
		"/dev/proctoring?user=nobody": http.StatusNotFound,
		"/dev/proctoring":             http.StatusBadRequest,
	} {
		resp, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, want)
		}
	}
}
