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

// startDevProctoring starts a development LMS with a proctorTool as its
// tool.
func startDevProctoring(t *testing.T) (*ltitest.Platform, *proctorTool) {
	t.Helper()
	p := ltitest.NewPlatform(t, ltitest.WithDevLMS("Proctor"))
	pt := newProctorTool(t, p)
	p.SetLoginURL(pt.URL + "/lti/login")
	return p, pt
}

// TestDevLMS_proctoring: a learner's "Start proctored attempt" in the
// development LMS is an LtiStartProctoring launch of the course's exam; the
// tool's LtiStartAssessment, a refused one and an Assessment Control flag
// show in the Proctoring panel, with the attempt's status.
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

	got := panels(t, p)
	mustContain(t, "the proctoring panel", got,
		`<section id="proctoring">`,
		"LtiStartProctoring → tool", "attempt_number 1",
		"LtiStartAssessment ← tool", "accepted: attempt 1 started", "refused: ", "AP-03",
		"ACS flag ← tool", "200 OK: attempt running", "reason tab-hidden the exam tab was hidden",
		"Ada Park", "Ben Okafor", "Final exam #1", "running")
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
