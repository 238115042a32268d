package ltitest

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// maxBody bounds the responses a Browser reads.
const maxBody = 16 << 20

// Browser is a fake web browser that launches tools from a [Platform]. It
// keeps cookies across launches like one browser profile, so that two
// launches from one Browser behave like two tabs, and [Browser.Client]
// makes the follow-up requests a page in the tool's iframe would.
//
// On the requests the platform's pages start (the login initiation and the
// id_token form post, both cross-site in production) a Browser sends only
// the tool's cookies marked SameSite=None, as a browser does inside an LMS
// iframe; Client's requests send every cookie.
//
// Call Launch from the test's goroutine: it calls t.Fatal.
type Browser struct {
	t      testing.TB
	p      *Platform
	jar    *siteJar
	raw    *http.Client // no jar, no redirects: Launch handles both
	client *http.Client
}

// NewBrowser returns a Browser with an empty cookie jar. Its idle
// connections are closed when the test ends.
func (p *Platform) NewBrowser(t testing.TB) *Browser {
	t.Helper()
	inner, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("ltitest: cookie jar: %v", err)
	}
	jar := &siteJar{Jar: inner, sameSite: map[string]http.SameSite{}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &Browser{
		t:   t,
		p:   p,
		jar: jar,
		raw: &http.Client{
			Transport:     tr,
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		client: &http.Client{Transport: tr, Jar: jar, Timeout: 30 * time.Second},
	}
}

// Client returns an HTTP client that shares the Browser's cookies and
// follows redirects, for the requests the tool's pages make after a launch.
func (b *Browser) Client() *http.Client { return b.client }

// Launch launches m at the tool whose OIDC login initiation URL is
// loginURL; see [Platform.Launch].
func (b *Browser) Launch(loginURL string, m Message) *http.Response {
	t := b.t
	t.Helper()
	e := b.p.e
	pl, params, err := e.beginLogin(b.p.ClientID, m)
	if errors.Is(err, errNoRedirectURI) {
		t.Fatalf("ltitest: Launch: the tool has no redirect URI registered with the platform: call SetRedirectURIs with the tool's launch URL, or create the platform WithRedirectURIs")
	}
	if err != nil {
		t.Fatalf("ltitest: Launch: %v", err)
	}
	m = pl.msg
	if m.LoginMutate != nil {
		m.LoginMutate(params)
	}

	// 1. The platform's page starts the login at the tool (cross-site).
	req := b.formRequest(m.LoginMethod, loginURL, params)
	resp, _ := b.do(req, true)
	e.record(LogEntry{Step: StepLogin, LaunchID: pl.id, Method: req.Method, URL: req.URL.String(),
		Params: params, Status: resp.StatusCode, Location: resp.Header.Get("Location")})

	// 2. The tool sends the browser to the auth endpoint.
	authReq := b.authRequest(resp)
	if authReq == nil {
		t.Logf("ltitest: Launch: the tool answered the login initiation with %s and did not send the browser to %s/auth; returning the tool's answer",
			resp.Status, b.p.URL)
		return resp
	}
	resp, body := b.do(authReq, false)
	if resp.StatusCode != http.StatusOK {
		t.Logf("ltitest: Launch: the platform refused the tool's authentication request with an error page (%s), which Launch returns: %s",
			resp.Status, pageText(body))
		return resp
	}
	for _, v := range e.launchViolations(pl.id) {
		t.Logf("ltitest: Launch: the tool's authentication request broke %s", v)
	}
	forms := parseForms(string(body))
	if len(forms) != 1 {
		t.Fatalf("ltitest: Launch: the auth endpoint answered with %d forms, want 1", len(forms))
	}
	f := forms[0]
	if code := f.fields.Get("error"); code != "" {
		t.Logf("ltitest: Launch: the platform answered the authentication request with error=%s %s", code, f.fields.Get("error_description"))
	}

	// 3. The platform's page posts the id_token to the tool (cross-site).
	if m.AuthMutate != nil {
		m.AuthMutate(f.fields)
	}
	action, err := resp.Request.URL.Parse(f.action)
	if err != nil {
		t.Fatalf("ltitest: Launch: form action %q: %v", f.action, err)
	}
	req = b.formRequest(http.MethodPost, action.String(), f.fields)
	resp, _ = b.do(req, true)
	token := f.fields.Get("id_token")
	hdr, claims := decodeJWS(token)
	e.record(LogEntry{Step: StepLaunch, LaunchID: pl.id, Method: req.Method, URL: req.URL.String(),
		Params: f.fields, Status: resp.StatusCode, Location: resp.Header.Get("Location"),
		IDToken: token, Header: hdr, Claims: claims})
	return resp
}

// authRequest returns the request that takes the browser from the tool's
// answer to the login initiation to the platform's auth endpoint: a
// redirect, or an auto-submitting form. It returns nil if the answer leads
// elsewhere.
func (b *Browser) authRequest(resp *http.Response) *http.Request {
	authURL := b.p.URL + "/auth"
	isAuth := func(u *url.URL) bool {
		v := *u
		v.RawQuery, v.Fragment = "", ""
		return v.String() == authURL
	}
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode/100 == 3 {
		u, err := resp.Request.URL.Parse(loc)
		if err != nil || !isAuth(u) {
			return nil
		}
		req, err := http.NewRequest(http.MethodGet, u.String(), nil)
		if err != nil {
			return nil
		}
		return req
	}
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	for _, f := range parseForms(string(body)) {
		u, err := resp.Request.URL.Parse(f.action)
		if err != nil || !isAuth(u) {
			continue
		}
		return b.formRequest(f.method, u.String(), f.fields)
	}
	return nil
}

// formRequest builds a GET with params in the query or a POST with params
// as an application/x-www-form-urlencoded body.
func (b *Browser) formRequest(method, target string, params url.Values) *http.Request {
	b.t.Helper()
	req, err := newFormRequest(method, target, params)
	if err != nil {
		b.t.Fatalf("ltitest: %v", err)
	}
	return req
}

// newFormRequest builds the request a browser sends for a form: a GET with
// params in the query (added to target's), or a request of method with
// params as an application/x-www-form-urlencoded body.
func newFormRequest(method, target string, params url.Values) (*http.Request, error) {
	if method == http.MethodGet {
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("URL %q: %w", target, err)
		}
		q := u.Query()
		for k, vs := range params {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		target = u.String()
	}
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, target, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// do sends req with the Browser's cookies (only SameSite=None ones when
// crossSite) and stores the cookies the answer sets. The answer's body is
// read into memory: the caller may read it and need not close it.
func (b *Browser) do(req *http.Request, crossSite bool) (*http.Response, []byte) {
	b.t.Helper()
	for _, c := range b.jar.cookiesFor(req.URL, crossSite) {
		req.AddCookie(c)
	}
	resp, err := b.raw.Do(req)
	if err != nil {
		b.t.Fatalf("ltitest: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if rc := resp.Cookies(); len(rc) > 0 {
		b.jar.SetCookies(req.URL, rc)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		b.t.Fatalf("ltitest: %s %s: reading the answer: %v", req.Method, req.URL, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, body
}

// pageText is the text of an HTML page, tags dropped, for a log line.
func pageText(body []byte) string {
	var b strings.Builder
	in := false
	for _, r := range string(body) {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(strings.Join(strings.Fields(b.String()), " "))
}

// siteJar is a cookie jar that remembers each cookie's SameSite attribute,
// which net/http/cookiejar drops, so that cross-site requests can leave out
// the cookies a browser would.
type siteJar struct {
	*cookiejar.Jar
	mu       sync.Mutex
	sameSite map[string]http.SameSite // by host and name
}

// SetCookies implements http.CookieJar.
func (j *siteJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	for _, c := range cookies {
		j.sameSite[sameSiteKey(u.Hostname(), c.Name)] = c.SameSite
	}
	j.mu.Unlock()
	j.Jar.SetCookies(u, cookies)
}

// cookiesFor returns the cookies to send to u: all of them, or for a
// cross-site request only those set with SameSite=None. Browsers treat a
// cookie without SameSite as Lax, which a cross-site POST and a request in
// a third-party iframe do not carry.
func (j *siteJar) cookiesFor(u *url.URL, crossSite bool) []*http.Cookie {
	all := j.Jar.Cookies(u)
	if !crossSite {
		return all
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range all {
		if j.sameSite[sameSiteKey(u.Hostname(), c.Name)] == http.SameSiteNoneMode {
			out = append(out, c)
		}
	}
	return out
}

func sameSiteKey(host, name string) string { return fmt.Sprintf("%s\x00%s", host, name) }
