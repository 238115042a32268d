package ltitest

import (
	"bytes"
	"io"
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
	if m.Type == "" {
		m.Type = tool.DeepLinkingRequest
	}
	if m.Type != tool.DeepLinkingRequest {
		t.Fatalf("ltitest: DeepLink: message type %s, want %s", m.Type, tool.DeepLinkingRequest)
	}
	page := b.Launch(loginURL, m)
	if loc := page.Header.Get("Location"); loc != "" && page.StatusCode/100 == 3 {
		next, err := page.Request.URL.Parse(loc)
		if err != nil {
			t.Fatalf("ltitest: DeepLink: the tool redirected to %q: %v", loc, err)
		}
		page = b.get(next.String())
	}
	if pick != nil {
		if page = pick(b.client, page); page == nil {
			t.Fatalf("ltitest: DeepLink: pick returned no response")
		}
	}
	body, err := io.ReadAll(io.LimitReader(page.Body, maxBody))
	page.Body.Close()
	if err != nil {
		t.Fatalf("ltitest: DeepLink: reading the tool's page: %v", err)
	}
	page.Body = io.NopCloser(bytes.NewReader(body))
	f, ok := autoSubmitForm(page, body)
	if !ok {
		t.Fatalf("ltitest: DeepLink: the tool's page is not an auto-submitting form posting the response (%s): %s", page.Status, pageText(body))
	}
	if page.Request == nil || page.Request.URL == nil {
		t.Fatalf("ltitest: DeepLink: the tool's page has no request to resolve the form's action against")
	}
	action, err := page.Request.URL.Parse(f.action)
	if err != nil {
		t.Fatalf("ltitest: DeepLink: form action %q: %v", f.action, err)
	}
	if err := checkFormCSP(page.Header.Values("Content-Security-Policy"), page.Request.URL, action, string(body)); err != nil {
		t.Fatalf("ltitest: DeepLink: a browser would not submit the tool's form: %v", err)
	}

	req := b.formRequest(f.method, action.String(), f.fields)
	b.do(req, true)
	res, ok := b.p.e.dl.find(action.String(), f.fields.Get("JWT"))
	if !ok {
		t.Fatalf("ltitest: DeepLink: the tool's form posted to %s, not to the platform's deep_link_return_url", action)
	}
	for _, v := range res.Violations {
		t.Logf("ltitest: DeepLink: the tool's response broke %s", v)
	}
	return res
}

// get loads u with the Browser's client, following redirects, and returns
// the answer with its body in memory.
func (b *Browser) get(u string) *http.Response {
	b.t.Helper()
	resp, err := b.client.Get(u)
	if err != nil {
		b.t.Fatalf("ltitest: GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		b.t.Fatalf("ltitest: GET %s: reading the answer: %v", u, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}
