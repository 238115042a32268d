package ltitest

import (
	"net/http"
	"testing"

	"github.com/ltikit/ltikit/tool"
)

// DeepLink runs a whole deep-linking flow in a fresh [Browser]; see
// [Browser.DeepLink].
func (p *Platform) DeepLink(t testing.TB, loginURL string, m Message, pick func(c *http.Client, page *http.Response) *http.Response) DeepLinkResponse {
	t.Helper()
	return p.NewBrowser(t).DeepLink(loginURL, m, pick)
}

// DeepLink runs a deep-linking flow the way a teacher adding an activity
// does, and returns the response the platform received:
//
//  1. it launches m as an LtiDeepLinkingRequest (m.Type may be left empty)
//     at the tool whose login initiation URL is loginURL, like
//     [Browser.Launch], and follows the redirects of the tool's answer;
//  2. pick plays the teacher in the tool's catalog: it gets the page the
//     launch ended on and the Browser's client (cookies included) to
//     browse and submit the choice, and returns the tool's final answer.
//     A nil pick keeps the launch's page, for a tool that answers at once;
//  3. that answer must be the tool's auto-submitting form, which the
//     Browser submits to the platform's deep_link_return_url as a browser
//     would, after checking that the page's Content-Security-Policy lets
//     its script submit the form to that URL.
//
// The platform verifies the response like a strict LMS (see
// [DeepLinkResponse]); DeepLink logs the rules it broke with t.Logf and
// returns it without failing the test, so that a test can assert either
// outcome. It fails the test when the flow cannot go on: no form to submit,
// or a form the page's policy would block.
func (b *Browser) DeepLink(loginURL string, m Message, pick func(c *http.Client, page *http.Response) *http.Response) DeepLinkResponse {
	t := b.t
	t.Helper()
	page := b.launchToolFlow("DeepLink", loginURL, m, tool.DeepLinkingRequest, "pick", pick)
	action, fields, _ := b.submitToolForm("DeepLink", page)
	res, ok := b.p.e.dl.find(action.String(), fields.Get("JWT"))
	if !ok {
		t.Fatalf("ltitest: DeepLink: the tool's form posted to %s, not to the platform's deep_link_return_url", action)
	}
	for _, v := range res.Violations {
		t.Logf("ltitest: DeepLink: the tool's response broke %s", v)
	}
	return res
}
