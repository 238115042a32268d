package tool

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	formActionRe = regexp.MustCompile(`<form method="post" action="([^"]*)" enctype="application/x-www-form-urlencoded">`)
	jwtFieldRe   = regexp.MustCompile(`<input type="hidden" name="JWT" value="([^"]*)">`)
	scriptRe     = regexp.MustCompile(`<script>([^<]*)</script>`)
)

// TestDeepLink_DL_RESP_01_AutoSubmitForm: Write posts the JWT, as the
// single field JWT, to deep_link_return_url with its query string, from a
// page whose CSP allows only that script and that form target.
func TestDeepLink_DL_RESP_01_AutoSubmitForm(t *testing.T) {
	tl := newDLTool(t)
	w := httptest.NewRecorder()
	if err := tl.DeepLinkResponse(dlLaunch(nil)).Add(ResourceLinkItem{Title: `Quiz "1" <b>`}).Write(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	res := w.Result()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("status %d, headers %v", res.StatusCode, res.Header)
	}
	page := w.Body.String()
	if n := strings.Count(page, "<form"); n != 1 {
		t.Fatalf("%d forms, want 1:\n%s", n, page)
	}
	m := formActionRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no POST form:\n%s", page)
	}
	if !strings.Contains(m[1], "&amp;") {
		t.Errorf("the action %q is not HTML-escaped", m[1])
	}
	if got := html.UnescapeString(m[1]); got != dlReturnURL {
		t.Errorf("action = %q, want %q, query string kept", got, dlReturnURL)
	}
	fields := regexp.MustCompile(`<input [^>]*name="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(fields) != 1 || fields[0][1] != "JWT" {
		t.Errorf("form fields %v, want JWT only", fields)
	}
	jwt := jwtFieldRe.FindStringSubmatch(page)
	if jwt == nil {
		t.Fatal("no JWT field")
	}
	_, claims := verifyDL(t, tl, html.UnescapeString(jwt[1]))
	if claims["aud"] != testIssuer {
		t.Errorf("the posted JWT is not the response: %v", claims)
	}

	script := scriptRe.FindStringSubmatch(page)
	if script == nil || !strings.Contains(script[1], ".submit()") {
		t.Fatalf("no script submits the form:\n%s", page)
	}
	sum := sha256.Sum256([]byte(script[1]))
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{
		"default-src 'none'",
		"script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"form-action https://lms.example/mod/lti/contentitem_return.php",
		"base-uri 'none'",
	} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "*") {
		t.Errorf("CSP %q is too broad", csp)
	}
}

// TestDeepLink_DL_RESP_01_FormActionSource: the CSP source names the
// return URL's origin and path, encoded as CSP requires.
func TestDeepLink_DL_RESP_01_FormActionSource(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"https://lms.example/dl/return?x=1#frag", "https://lms.example/dl/return"},
		{"http://127.0.0.1:8081/mod/lti/contentitem_return.php?course=2", "http://127.0.0.1:8081/mod/lti/contentitem_return.php"},
		{"https://lms.example", "https://lms.example/"},
		{"https://lms.example/a;b,c/d e", "https://lms.example/a%3Bb%2Cc/d%20e"},
		{"https://[::1]:8443/return", "https:"},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := formActionSource(u); got != tt.want {
			t.Errorf("formActionSource(%s) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

// TestDeepLink_WriteRefusedWritesNothing: when Sign refuses, Write leaves
// the response untouched for the handler's own error page.
func TestDeepLink_WriteRefusedWritesNothing(t *testing.T) {
	tl := newDLTool(t)
	for name, l := range map[string]*Launch{
		"bad item":          dlLaunch(func(s *DeepLinkingSettings) { s.AcceptTypes = []string{TypeLink} }),
		"script return URL": dlLaunch(func(s *DeepLinkingSettings) { s.DeepLinkReturnURL = "javascript:alert(document.cookie)" }),
	} {
		w := httptest.NewRecorder()
		err := tl.DeepLinkResponse(l).Add(ResourceLinkItem{}).Write(t.Context(), w)
		if err == nil || w.Body.Len() != 0 || len(w.Header()) != 0 {
			t.Errorf("%s: err %v, wrote %d bytes and headers %v", name, err, w.Body.Len(), w.Header())
		}
	}
}
