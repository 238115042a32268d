package ltitest_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// fakeTool is a minimal tool: its login handler sends the authentication
// request a test chooses, and its launch handler records what the platform
// posts. It lets the tests of the auth endpoint send requests the real tool
// never would.
type fakeTool struct {
	URL string // http://127.0.0.1:port; login at /login, launch at /launch

	// authMutate edits the authentication request before the tool sends it.
	authMutate func(q url.Values)
	// authForm sends the authentication request as an auto-submitting POST
	// form instead of a redirect.
	authForm bool
	// cookies are set by the login handler, in addition to the state cookie.
	cookies []*http.Cookie

	mu           sync.Mutex
	logins       []url.Values
	loginMethods []string
	authURLs     []string // the authentication requests sent, as GET URLs
	posts        []launchPost
}

type launchPost struct {
	form    url.Values
	cookies map[string]string
}

const (
	fakeState = "state-1"
	fakeNonce = "nonce-1"
)

// newFakeTool starts a fake tool and registers its /launch as the
// platform's redirect URI.
func newFakeTool(t *testing.T, p *ltitest.Platform) *fakeTool {
	t.Helper()
	ft := &fakeTool{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", ft.login)
	mux.HandleFunc("/launch", ft.launch)
	mux.HandleFunc("/cookies", func(w http.ResponseWriter, r *http.Request) {
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		io.WriteString(w, strings.Join(names, " "))
	})
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	t.Cleanup(srv.Close)
	ft.URL = srv.URL
	p.SetRedirectURIs(ft.URL + "/launch")
	return ft
}

func (ft *fakeTool) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in := r.Form
	q := url.Values{
		"scope":         {"openid"},
		"response_type": {"id_token"},
		"response_mode": {"form_post"},
		"prompt":        {"none"},
		"client_id":     {in.Get("client_id")},
		"redirect_uri":  {ft.URL + "/launch"},
		"login_hint":    {in.Get("login_hint")},
		"state":         {fakeState},
		"nonce":         {fakeNonce},
	}
	if h, ok := in["lti_message_hint"]; ok {
		q["lti_message_hint"] = h
	}
	if ft.authMutate != nil {
		ft.authMutate(q)
	}
	auth := in.Get("iss") + "/auth"
	ft.mu.Lock()
	ft.logins = append(ft.logins, in)
	ft.loginMethods = append(ft.loginMethods, r.Method)
	ft.authURLs = append(ft.authURLs, auth+"?"+q.Encode())
	n := len(ft.logins)
	ft.mu.Unlock()

	http.SetCookie(w, &http.Cookie{Name: "state", Value: fakeState, Path: "/", HttpOnly: true,
		Secure: true, SameSite: http.SameSiteNoneMode})
	http.SetCookie(w, &http.Cookie{Name: fmt.Sprintf("login-%d", n), Value: "1", Path: "/",
		Secure: true, SameSite: http.SameSiteNoneMode})
	for _, c := range ft.cookies {
		http.SetCookie(w, c)
	}
	if ft.authForm {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<form id="f" action="%s" method="post">`, auth)
		for k, vs := range q {
			for _, v := range vs {
				fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, k, htmlEscape(v))
			}
		}
		fmt.Fprint(w, `</form><script>document.getElementById("f").submit()</script>`)
		return
	}
	http.Redirect(w, r, auth+"?"+q.Encode(), http.StatusFound)
}

func (ft *fakeTool) launch(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cookies := map[string]string{}
	for _, c := range r.Cookies() {
		cookies[c.Name] = c.Value
	}
	ft.mu.Lock()
	ft.posts = append(ft.posts, launchPost{form: r.PostForm, cookies: cookies})
	ft.mu.Unlock()
	io.WriteString(w, "launched")
}

func (ft *fakeTool) lastPost(t *testing.T) launchPost {
	t.Helper()
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.posts) == 0 {
		t.Fatal("the platform posted nothing to the tool")
	}
	return ft.posts[len(ft.posts)-1]
}

func (ft *fakeTool) postCount() int {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return len(ft.posts)
}

func htmlEscape(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;").Replace(s)
}
