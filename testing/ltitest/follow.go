package ltitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxFormHops bounds the auto-submitting forms FollowForms submits in a row.
const maxFormHops = 10

// FollowForms does for auto-submitting forms what an http.Client does for
// redirects: while resp is an HTML page whose only form a script submits
// on load (the login initiation of the launch page, the auth endpoint's
// id_token post, a tool's form-post redirect), it submits that form with c
// the way a browser running the script would, and it returns the first
// answer that is not such a page. Use a client with a cookie jar (see
// net/http/cookiejar) that follows redirects, the default, so that the
// tool's cookies travel as in a browser; it sends every cookie, as a
// browser does between sites that share a host such as 127.0.0.1.
//
//	resp, err := c.Get(p.URL + "/launch?user=ada") // the launch page's iframe
//	if err == nil {
//		resp, err = ltitest.FollowForms(c, resp) // the tool's answer to the launch
//	}
//
// FollowForms closes the bodies it reads. The response it returns has its
// body already read into memory: read it or not, there is no need to close
// it. Unlike [Browser], FollowForms does not need a test.
func FollowForms(c *http.Client, resp *http.Response) (*http.Response, error) {
	for range maxFormHops {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("ltitest: FollowForms: reading the answer: %w", err)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		f, ok := autoSubmitForm(resp, body)
		if !ok {
			return resp, nil
		}
		if resp.Request == nil || resp.Request.URL == nil {
			return nil, errors.New("ltitest: FollowForms: the response has no request to resolve the form's action against")
		}
		action, err := resp.Request.URL.Parse(f.action)
		if err != nil {
			return nil, fmt.Errorf("ltitest: FollowForms: form action %q: %w", f.action, err)
		}
		req, err := newFormRequest(f.method, action.String(), f.fields)
		if err != nil {
			return nil, fmt.Errorf("ltitest: FollowForms: %w", err)
		}
		resp, err = c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("ltitest: FollowForms: %w", err)
		}
	}
	resp.Body.Close()
	return nil, fmt.Errorf("ltitest: FollowForms: more than %d auto-submitting forms in a row", maxFormHops)
}

// autoSubmitForm returns the form of an auto-submitting page: a successful
// HTML answer with exactly one form and a script that calls submit().
func autoSubmitForm(resp *http.Response, body []byte) (htmlForm, bool) {
	if resp.StatusCode != http.StatusOK {
		return htmlForm{}, false
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "text/html" {
			return htmlForm{}, false
		}
	}
	page := string(body)
	if !submitsOnLoad(page) {
		return htmlForm{}, false
	}
	forms := parseForms(page)
	if len(forms) != 1 {
		return htmlForm{}, false
	}
	return forms[0], true
}

// submitsOnLoad reports whether a script element of page calls submit().
func submitsOnLoad(page string) bool {
	lower := strings.ToLower(page)
	for {
		i := strings.Index(lower, "<script")
		if i < 0 {
			return false
		}
		lower = lower[i:]
		end := strings.Index(lower, "</script")
		if end < 0 {
			end = len(lower)
		}
		if strings.Contains(lower[:end], ".submit()") {
			return true
		}
		lower = lower[end:]
	}
}
