package ltitest

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/ltikit/ltikit/tool"
)

// StartProctoring runs the start of a proctored attempt in a fresh
// [Browser]; see [Browser.StartProctoring].
func (p *Platform) StartProctoring(t testing.TB, loginURL string, m Message, precheck func(c *http.Client, page *http.Response) *http.Response) (AssessmentStart, *http.Response) {
	t.Helper()
	return p.NewBrowser(t).StartProctoring(loginURL, m, precheck)
}

// StartProctoring starts a proctored attempt the way a candidate does, and
// returns the LtiStartAssessment message the platform received with the
// platform's answer to it: the assessment page when the platform started
// the attempt, an error page otherwise.
//
//  1. It launches m as an LtiStartProctoring message (m.Type may be left
//     empty) at the tool whose login initiation URL is loginURL, like
//     [Browser.Launch], and follows the redirects of the tool's answer.
//  2. precheck plays the candidate in the tool's pre-check pages: it gets
//     the page the launch ended on and the Browser's client (cookies
//     included) and returns the tool's final answer. A nil precheck keeps
//     the launch's page, for a tool that answers at once.
//  3. That answer must be the tool's auto-submitting form, which the
//     Browser submits to the platform's start_assessment_url as a browser
//     would (cross-site, with the platform's SameSite=None session cookie),
//     after checking that the page's Content-Security-Policy lets its
//     script submit the form there.
//
// The platform verifies the message like a strict LMS (see
// [AssessmentStart]); StartProctoring logs the rules it broke with t.Logf
// and returns it without failing the test, so that a test can assert
// either outcome. It fails the test when the flow cannot go on.
func (b *Browser) StartProctoring(loginURL string, m Message, precheck func(c *http.Client, page *http.Response) *http.Response) (AssessmentStart, *http.Response) {
	t := b.t
	t.Helper()
	page := b.launchToolFlow("StartProctoring", loginURL, m, tool.StartProctoring, "precheck", precheck)
	action, fields, resp := b.submitToolForm("StartProctoring", page)
	s, ok := b.p.e.ap.findStart(fields.Get("JWT"))
	if !ok || action.Path != apStartPath {
		t.Fatalf("ltitest: StartProctoring: the tool's form posted to %s, not to the platform's start_assessment_url", action)
	}
	for _, v := range s.Violations {
		t.Logf("ltitest: StartProctoring: the tool's LtiStartAssessment broke %s", v)
	}
	return s, resp
}

// findStart returns the latest LtiStartAssessment posted with jwt.
func (ap *proctorState) findStart(jwt string) (AssessmentStart, bool) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	for i := len(ap.starts) - 1; i >= 0; i-- {
		if s := ap.starts[i]; jwt != "" && s.JWT == jwt {
			return s, true
		}
	}
	return AssessmentStart{}, false
}

// FinishAttempt presses the Finish button of page, the platform's
// assessment page, and follows what the platform answers. When the tool
// asked for it (end_assessment_return), the platform sends LtiEndAssessment
// (AP-04): the browser goes through the tool's login, the auth endpoint and
// the form post to the tool, and FinishAttempt returns the tool's answer to
// that launch. Otherwise it returns the platform's page: the attempt
// submitted, or why it could not be (paused or terminated by the proctor).
func (b *Browser) FinishAttempt(page *http.Response) *http.Response {
	t := b.t
	t.Helper()
	body, err := io.ReadAll(io.LimitReader(page.Body, maxBody))
	page.Body.Close()
	if err != nil {
		t.Fatalf("ltitest: FinishAttempt: reading the assessment page: %v", err)
	}
	page.Body = io.NopCloser(bytes.NewReader(body))
	for _, f := range parseForms(string(body)) {
		action, err := page.Request.URL.Parse(f.action)
		if err != nil || action.Path != apFinishPath {
			continue
		}
		resp, _ := b.do(b.formRequest(f.method, action.String(), f.fields), false)
		resp, err = FollowForms(b.client, resp)
		if err != nil {
			t.Fatalf("ltitest: FinishAttempt: %v", err)
		}
		return resp
	}
	t.Fatalf("ltitest: FinishAttempt: the page has no Finish form (%s): %s", page.Status, pageText(body))
	return nil
}
