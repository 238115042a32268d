package ltitest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"

	"github.com/ltikit/ltikit/tool"
)

// The browser side shared by the flows that end with the tool posting a
// message back to the platform: Browser.DeepLink and
// Browser.StartProctoring.

// launchToolFlow launches m as a message of type want (m.Type may be left
// empty) at the tool whose login initiation URL is loginURL, like
// [Browser.Launch], and follows a redirect of the tool's answer. interact,
// when not nil, then plays the user in the tool's pages: it gets the page
// and the Browser's client and returns the tool's final answer. what names
// the flow and name the interact function in failures.
func (b *Browser) launchToolFlow(what, loginURL string, m Message, want tool.MessageType, name string, interact func(c *http.Client, page *http.Response) *http.Response) *http.Response {
	t := b.t
	t.Helper()
	if m.Type == "" {
		m.Type = want
	}
	if m.Type != want {
		t.Fatalf("ltitest: %s: message type %s, want %s", what, m.Type, want)
	}
	page := b.Launch(loginURL, m)
	if loc := page.Header.Get("Location"); loc != "" && page.StatusCode/100 == 3 {
		next, err := page.Request.URL.Parse(loc)
		if err != nil {
			t.Fatalf("ltitest: %s: the tool redirected to %q: %v", what, loc, err)
		}
		page = b.get(next.String())
	}
	if interact != nil {
		if page = interact(b.client, page); page == nil {
			t.Fatalf("ltitest: %s: %s returned no response", what, name)
		}
	}
	return page
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

// submitToolForm submits page, the tool's auto-submitting form that posts a
// message to the platform, cross-site as a browser would, after checking
// that the page's Content-Security-Policy lets its script do so. It returns
// where the form went, what it posted and the answer.
func (b *Browser) submitToolForm(what string, page *http.Response) (*url.URL, url.Values, *http.Response) {
	t := b.t
	t.Helper()
	body, err := io.ReadAll(io.LimitReader(page.Body, maxBody))
	page.Body.Close()
	if err != nil {
		t.Fatalf("ltitest: %s: reading the tool's page: %v", what, err)
	}
	page.Body = io.NopCloser(bytes.NewReader(body))
	f, ok := autoSubmitForm(page, body)
	if !ok {
		t.Fatalf("ltitest: %s: the tool's page is not an auto-submitting form (%s): %s", what, page.Status, pageText(body))
	}
	if page.Request == nil || page.Request.URL == nil {
		t.Fatalf("ltitest: %s: the tool's page has no request to resolve the form's action against", what)
	}
	action, err := page.Request.URL.Parse(f.action)
	if err != nil {
		t.Fatalf("ltitest: %s: form action %q: %v", what, f.action, err)
	}
	if err := checkFormCSP(page.Header.Values("Content-Security-Policy"), page.Request.URL, action, string(body)); err != nil {
		t.Fatalf("ltitest: %s: a browser would not submit the tool's form: %v", what, err)
	}
	resp, _ := b.do(b.formRequest(f.method, action.String(), f.fields), true)
	return action, f.fields, resp
}
