package tool

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// browser is one browser profile's cookies for the tool's origin.
type browser struct {
	t   *testing.T
	h   *harness
	jar *cookiejar.Jar
}

func newBrowser(t *testing.T, h *harness) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, h: h, jar: jar}
}

var toolURL, _ = url.Parse(testBaseURL + "/")

func (b *browser) cookies() []*http.Cookie { return b.jar.Cookies(toolURL) }

// keep stores the cookies an answer sets, as the browser does.
func (b *browser) keep(w *httptest.ResponseRecorder) { b.jar.SetCookies(toolURL, w.Result().Cookies()) }

// post is the platform's launch form for course, posted with the cookies
// the browser holds now; the caller keeps the answer's cookies.
func (b *browser) launchForm(course string) (url.Values, []*http.Cookie) {
	b.t.Helper()
	state, nonce, cookie := b.h.login(loginParams())
	c := b.h.claims(nonce)
	c[claimPrefix+"context"] = map[string]any{"id": course, "title": "Course " + course}
	return url.Values{"state": {state}, "id_token": {b.h.sign(c)}}, append(b.cookies(), cookie)
}

// launch launches course in the browser and returns the launch id.
func (b *browser) launch(course string) string {
	b.t.Helper()
	form, cookies := b.launchForm(course)
	l, w, err := b.h.post(form, cookies...)
	if err != nil {
		b.t.Fatal(err)
	}
	b.keep(w)
	return l.ID
}

// follow makes a follow-up request to target from the browser.
func (b *browser) follow(method, target string, header http.Header) (*Launch, error) {
	r := httptest.NewRequest(method, testBaseURL+target, nil)
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for _, c := range b.cookies() {
		r.AddCookie(c)
	}
	return b.h.tool.SessionLaunch(r)
}

func TestSession_TwoTabs(t *testing.T) {
	h := newHarness(t, nil)
	b := newBrowser(t, h)
	a, bb := b.launch("A"), b.launch("B")
	for id, want := range map[string]string{a: "Course A", bb: "Course B"} {
		l, err := b.follow(http.MethodGet, "/app?launch="+id, nil)
		if err != nil || l.Context.Title != want || l.ID != id {
			t.Errorf("launch %s = %v, %v; want %s", id, l, err, want)
		}
		l, err = b.follow(http.MethodPost, "/app/save", http.Header{LaunchHeader: {id}})
		if err != nil || l.Context.Title != want {
			t.Errorf("POST with %s header for %s = %v, %v; want %s", LaunchHeader, id, l, err, want)
		}
	}
	if got := (&Launch{ID: a}).Link("/app/page?x=1"); !strings.Contains(got, "launch="+a) || !strings.Contains(got, "x=1") {
		t.Errorf("Link = %s", got)
	}
}

// TestSession_ConcurrentLaunches launches two courses in two tabs at the
// same moment: both posts carry the same cookies, and both answers reach
// the browser. Neither launch may overwrite the other.
func TestSession_ConcurrentLaunches(t *testing.T) {
	h := newHarness(t, nil)
	b := newBrowser(t, h)
	b.launch("earlier") // a launch the browser already holds
	courses := []string{"A", "B"}
	forms, cookies := make([]url.Values, 2), make([][]*http.Cookie, 2)
	for i, c := range courses {
		forms[i], cookies[i] = b.launchForm(c)
	}
	ids, ws := make([]string, 2), make([]*httptest.ResponseRecorder, 2)
	var wg sync.WaitGroup
	for i := range courses {
		wg.Go(func() {
			l, w, err := h.post(forms[i], cookies[i]...)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i], ws[i] = l.ID, w
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	b.keep(ws[0])
	b.keep(ws[1])
	for i, id := range ids {
		l, err := b.follow(http.MethodGet, "/app?launch="+id, nil)
		if err != nil || l.Context.ID != courses[i] {
			t.Errorf("tab %s: %v, %v; want its launch", courses[i], l, err)
		}
	}
}

// TestSession_NoLaunchNamed covers follow-ups without ?launch= or the
// LTI-Launch header: only a safe request from a browser with one launch
// gets it.
func TestSession_NoLaunchNamed(t *testing.T) {
	tests := []struct {
		name     string
		launches int
		method   string
		code     Code // "" for the browser's launch
	}{
		{"one launch, GET", 1, http.MethodGet, ""},
		{"one launch, HEAD", 1, http.MethodHead, ""},
		{"one launch, POST", 1, http.MethodPost, CodeMissingLaunchID},
		{"one launch, PUT", 1, http.MethodPut, CodeMissingLaunchID},
		{"one launch, PATCH", 1, http.MethodPatch, CodeMissingLaunchID},
		{"one launch, DELETE", 1, http.MethodDelete, CodeMissingLaunchID},
		{"two launches, GET", 2, http.MethodGet, CodeMissingLaunchID},
		{"two launches, POST", 2, http.MethodPost, CodeMissingLaunchID},
		{"no launch, GET", 0, http.MethodGet, CodeNoSession},
		{"no launch, POST", 0, http.MethodPost, CodeNoSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			b := newBrowser(t, h)
			var last string
			for range tt.launches {
				last = b.launch("A")
			}
			l, err := b.follow(tt.method, "/app", nil)
			if tt.code == "" {
				if err != nil || l.ID != last {
					t.Fatalf("got %v, %v; want the browser's launch %s", l, err, last)
				}
				return
			}
			if !errors.Is(err, &Error{Code: tt.code}) {
				t.Fatalf("got %v, %v; want %s", l, err, tt.code)
			}
		})
	}
}

// TestSession_Refusals names a launch the browser cannot restore.
func TestSession_Refusals(t *testing.T) {
	h := newHarness(t, nil)
	b := newBrowser(t, h)
	a, other := b.launch("A"), newBrowser(t, h).launch("B")
	var cookieA *http.Cookie
	for _, c := range b.cookies() {
		if c.Name == launchCookieName(a) {
			cookieA = c
		}
	}
	expired := b.launch("C")
	if _, err := h.tool.cfg.Store.Take(context.Background(), "launch:"+expired); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		target  string
		cookies []*http.Cookie // instead of the browser's
	}{
		{"another browser's launch", "/app?launch=" + other, nil},
		{"made-up launch id", "/app?launch=" + strings.Repeat("x", 43), nil},
		{"short launch id", "/app?launch=abc", nil},
		{"launch id with a cookie name's forbidden characters", "/app?launch=" + url.QueryEscape(a[:16]+"; x=y"), nil},
		{"launch expired in the store", "/app?launch=" + expired, nil},
		{"no cookies", "/app?launch=" + a, []*http.Cookie{}},
		{"cookie moved to another launch's name", "/app?launch=" + other,
			[]*http.Cookie{{Name: launchCookieName(other), Value: cookieA.Value}}},
		{"cookie value tampered", "/app?launch=" + a,
			[]*http.Cookie{{Name: cookieA.Name, Value: cookieA.Value[:len(cookieA.Value)-2] + "AA"}}},
		{"cookie of a tool with other session keys", "/app?launch=" + a, foreignCookies(t, a)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, testBaseURL+tt.target, nil)
			cookies := tt.cookies
			if cookies == nil {
				cookies = b.cookies()
			}
			for _, c := range cookies {
				r.AddCookie(c)
			}
			if l, err := h.tool.SessionLaunch(r); !errors.Is(err, ErrNoSession) {
				t.Fatalf("got %v, %v; want no_session", l, err)
			}
		})
	}
}

// foreignCookies returns a launch cookie for id as a tool with other
// session keys sets it.
func foreignCookies(t *testing.T, id string) []*http.Cookie {
	other := newHarness(t, nil)
	sess, err := other.tool.cfg.Sessions.New(httptest.NewRequest(http.MethodGet, "/", nil), launchCookieName(id))
	if err != nil {
		t.Fatal(err)
	}
	sess.Values[sessionLaunchID] = id
	w := httptest.NewRecorder()
	if err := sess.Save(httptest.NewRequest(http.MethodGet, "/", nil), w); err != nil {
		t.Fatal(err)
	}
	return w.Result().Cookies()
}

// TestSession_KeepsNewestLaunches launches more often than the browser
// keeps launch cookies: the oldest expire, the newest all work, and the
// Cookie header stays bounded.
func TestSession_KeepsNewestLaunches(t *testing.T) {
	h := newHarness(t, nil)
	b := newBrowser(t, h)
	const extra = 4
	var ids []string
	for range maxSessionLaunches + extra {
		h.now = h.now.Add(time.Second)
		ids = append(ids, b.launch("A"))
	}
	var header int
	held := 0
	for _, c := range b.cookies() {
		header += len(c.Name) + len(c.Value) + 3
		if strings.HasPrefix(c.Name, launchCookiePrefix) {
			held++
		}
	}
	if held != maxSessionLaunches || header > 6<<10 {
		t.Errorf("browser holds %d launch cookies in a %d-byte Cookie header; want %d and at most 6 KiB", held, header, maxSessionLaunches)
	}
	for i, id := range ids {
		_, err := b.follow(http.MethodGet, "/app?launch="+id, nil)
		if old := i < extra; old != errors.Is(err, ErrNoSession) {
			t.Errorf("launch %d of %d: err = %v; want no_session only for the %d oldest", i+1, len(ids), err, extra)
		}
	}
}

// TestSession_ExpiresForeignCookies checks that a launch expires launch
// cookies the tool cannot read (set with old session keys).
func TestSession_ExpiresForeignCookies(t *testing.T) {
	h := newHarness(t, nil)
	b := newBrowser(t, h)
	stale := foreignCookies(t, strings.Repeat("s", 43))
	b.jar.SetCookies(toolURL, stale)
	id := b.launch("A")
	for _, c := range b.cookies() {
		if c.Name == stale[0].Name {
			t.Errorf("stale cookie %s kept", c.Name)
		}
	}
	if l, err := b.follow(http.MethodGet, "/app", nil); err != nil || l.ID != id {
		t.Errorf("the only launch after the stale cookie expired: %v, %v", l, err)
	}
}
