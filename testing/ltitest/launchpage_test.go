package ltitest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// startPlatform starts a platform with Start, closed when the test ends.
func startPlatform(t *testing.T, opts ...ltitest.Option) *ltitest.Platform {
	t.Helper()
	p, err := ltitest.Start(opts...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// newBrowserClient is a plain http.Client with a cookie jar: a browser
// without JavaScript, which FollowForms completes. Its Timeout cancels each
// request's context once its body is read, which FollowForms must survive.
func newBrowserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}
}

func do(t *testing.T, method, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestStart(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") || strings.HasSuffix(p.URL, ":0") {
		t.Errorf("URL: got %q, want http://127.0.0.1:<port>", p.URL)
	}
	if reg := p.Registration(); reg.Issuer != p.URL || reg.AuthURL != p.URL+"/auth" || reg.ClientID != "ltitest-client" {
		t.Errorf("registration: got %+v", reg)
	}
	if resp, body := do(t, http.MethodGet, p.URL+"/jwks"); resp.StatusCode != http.StatusOK || !strings.Contains(body, p.KeyIDs()[0]) {
		t.Errorf("GET /jwks: got %s %.200s", resp.Status, body)
	}
	p.Close()
	p.Close() // harmless
	if _, err := http.Get(p.URL + "/jwks"); err == nil {
		t.Error("the platform still answers after Close")
	}
}

func TestStart_options(t *testing.T) {
	t.Parallel()
	// A port taken from a listener that is then closed: free, most likely.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := startPlatform(t, ltitest.WithAddr(addr), ltitest.Moodle(), ltitest.WithLoginURL("http://127.0.0.1:1/login"))
	if p.URL != "http://"+addr || p.ClientID != "2T1DmxSUCu2ZSuu" || p.DeploymentID != "1" {
		t.Errorf("got URL %q client %q deployment %q, want http://%s with Moodle's ids", p.URL, p.ClientID, p.DeploymentID, addr)
	}

	// The address is in use now.
	_, err = ltitest.Start(ltitest.WithAddr(addr))
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "ltitest: listen") {
		t.Errorf("Start on a used address: got %v, want ltitest: listen: … address already in use", err)
	}
}

func TestStart_errors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []ltitest.Option
		want string
	}{
		{"bad address", []ltitest.Option{ltitest.WithAddr("127.0.0.1:http-alt-nope")}, "ltitest: listen"},
		{"relative login URL", []ltitest.Option{ltitest.WithLoginURL("/lti/login")}, "WithLoginURL"},
		{"login URL without http", []ltitest.Option{ltitest.WithLoginURL("ftp://127.0.0.1/login")}, "not an absolute http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ltitest.Start(tc.opts...)
			if err == nil {
				p.Close()
				t.Fatalf("Start: got a platform, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The launch page's answers, its refusals, and their statuses.
func TestLaunchPage(t *testing.T) {
	t.Parallel()
	const login = "http://127.0.0.1:9/lti/login"
	const redirect = "http://127.0.0.1:9/lti/launch"
	ready := startPlatform(t, ltitest.WithLoginURL(login), ltitest.WithRedirectURIs(redirect))
	noLogin := startPlatform(t, ltitest.WithRedirectURIs(redirect))
	noRedirect := startPlatform(t)
	noRedirect.SetLoginURL(login)
	badLogin := startPlatform(t, ltitest.WithRedirectURIs(redirect))
	badLogin.SetLoginURL("lti/login")

	for _, tc := range []struct {
		name   string
		p      *ltitest.Platform
		method string
		path   string
		status int
		want   []string // in the body
		not    []string // not in the body
	}{
		{"course page", ready, "GET", "/", 200,
			[]string{"Physics 101", "PHYS101", "Pendulum lab", "Ada Learner", "Ian Instructor", "Tara Assistant",
				`<form action="/launch" method="get" target="tool"><input type="hidden" name="user" value="ada">`,
				`<iframe name="tool"`, login, redirect},
			[]string{" disabled>", `class="problem"`, "<script"}},
		{"course page without login URL", noLogin, "GET", "/", 200,
			[]string{"does not know the tool&#39;s login initiation URL", "SetLoginURL", " disabled>"}, nil},
		{"course page without redirect URI", noRedirect, "GET", "/", 200,
			[]string{"no redirect URI", "SetRedirectURIs", " disabled>"}, nil},
		{"HEAD course page", ready, "HEAD", "/", 200, nil, nil},
		{"launch", ready, "GET", "/launch?user=ada", 200,
			[]string{`<form action="` + login + `" name="ltiInitiateLoginForm"`, `name="login_hint" value="ada"`,
				`name="target_link_uri" value="` + redirect + `"`, `name="client_id" value="ltitest-client"`,
				`name="lti_deployment_id" value="deployment-1"`, "document.ltiInitiateLoginForm.submit()"}, nil},
		{"unknown user", ready, "GET", "/launch?user=nobody", 404, []string{"Unknown user", `&#34;nobody&#34;`}, []string{"<form"}},
		{"unknown user is escaped", ready, "GET", "/launch?user=%3Cb%3E", 404, []string{"&lt;b&gt;"}, []string{"<b>"}},
		{"no user", ready, "GET", "/launch", 400, []string{"?user="}, []string{"<form"}},
		{"no login URL", noLogin, "GET", "/launch?user=ada", 500,
			[]string{"cannot launch the tool yet", "WithLoginURL", "SetLoginURL"}, []string{"<form"}},
		{"bad login URL", badLogin, "GET", "/launch?user=ada", 500, []string{"not an absolute http(s) URL"}, []string{"<form"}},
		{"no redirect URI", noRedirect, "GET", "/launch?user=ada", 500, []string{"SetRedirectURIs"}, []string{"<form"}},
		{"POST course page", ready, "POST", "/", 405, nil, nil},
		{"POST launch", ready, "POST", "/launch?user=ada", 405, nil, nil},
		{"DELETE launch", ready, "DELETE", "/launch?user=ada", 405, nil, nil},
		{"other path", ready, "GET", "/nope", 404, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, tc.method, tc.p.URL+tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: got %s, want %d: %.300s", tc.method, tc.path, resp.Status, tc.status, body)
			}
			if tc.status == http.StatusMethodNotAllowed {
				if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") {
					t.Errorf("Allow: got %q, want GET", allow)
				}
				return
			}
			if tc.status != http.StatusNotFound || tc.want != nil {
				if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("Content-Type: got %q", ct)
				}
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(body, s) {
					t.Errorf("body has %q:\n%s", s, body)
				}
			}
		})
	}
}

// Each /launch starts a fresh launch with a Moodle-like lti_message_hint,
// recorded in the log without the tool's answer, which only the browser sees.
func TestLaunchPage_hint(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, ltitest.WithLoginURL("http://127.0.0.1:9/lti/login"), ltitest.WithRedirectURIs("http://127.0.0.1:9/lti/launch"))
	var ids []string
	for range 2 {
		do(t, http.MethodGet, p.URL+"/launch?user=ian")
	}
	log := p.Log()
	if len(log) != 2 {
		t.Fatalf("log: got %d entries, want 2: %+v", len(log), log)
	}
	for _, e := range log {
		var hint struct {
			CMID     int    `json:"cmid"`
			LaunchID string `json:"launchid"`
		}
		if err := json.Unmarshal([]byte(e.Params.Get("lti_message_hint")), &hint); err != nil || hint.LaunchID == "" || hint.LaunchID != e.LaunchID {
			t.Errorf("lti_message_hint: got %q for launch %q", e.Params.Get("lti_message_hint"), e.LaunchID)
		}
		if e.Step != ltitest.StepLogin || e.Method != http.MethodPost || e.URL != "http://127.0.0.1:9/lti/login" || e.Status != 0 ||
			e.Params.Get("iss") != p.URL || e.Params.Get("login_hint") != "ian" {
			t.Errorf("log entry: got %+v", e)
		}
		ids = append(ids, e.LaunchID)
	}
	if ids[0] == ids[1] {
		t.Errorf("two launches share the launch id %q", ids[0])
	}
}

// A real ltikit tool launched from the launch page by each demo user, with
// a plain http.Client driving the forms: the tool sees the right user,
// course, resource link and custom parameters, and its requests break no
// rule.
func TestLaunchPage_realTool(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		opts     []ltitest.Option
		user     string
		sub      string
		fullName string
		email    string
		roles    tool.Roles
		ctxType  string
	}{
		{"learner", nil, "ada", "ada", "Ada Learner", "ada@example.edu", tool.Roles{tool.RoleLearner}, tool.ContextTypeCourseOffering},
		{"instructor", nil, "ian", "ian", "Ian Instructor", "ian@example.edu", tool.Roles{tool.RoleInstructor}, tool.ContextTypeCourseOffering},
		{"teaching assistant", nil, "tara", "tara", "Tara Assistant", "tara@example.edu",
			tool.Roles{tool.RoleInstructor, tool.RoleTeachingAssistant}, tool.ContextTypeCourseOffering},
		{"Moodle learner", []ltitest.Option{ltitest.Moodle()}, "ada", "ada", "Ada Learner", "ada@example.edu",
			tool.Roles{tool.RoleLearner}, tool.ContextTypeCourseSection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := startPlatform(t, tc.opts...)
			rt := newRealTool(t, p)
			p.SetLoginURL(rt.URL + "/lti/login")

			c := newBrowserClient(t)
			resp, err := c.Get(p.URL + "/launch?user=" + tc.user)
			if err != nil {
				t.Fatal(err)
			}
			resp, err = ltitest.FollowForms(c, resp)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != "hello "+tc.sub {
				t.Fatalf("launch: got %s %q, want 200 hello %s", resp.Status, body, tc.sub)
			}
			l := rt.last(t)
			if l.Subject != tc.sub || l.Name != tc.fullName || l.Email != tc.email || !slices.Equal(l.Roles, tc.roles) {
				t.Errorf("user: got sub %q name %q email %q roles %v", l.Subject, l.Name, l.Email, l.Roles)
			}
			if l.Context == nil || l.Context.ID != "physics-101" || l.Context.Title != "Physics 101" ||
				l.Context.Label != "PHYS101" || !l.Context.HasType(tc.ctxType) {
				t.Errorf("context: got %+v", l.Context)
			}
			if l.ResourceLink == nil || l.ResourceLink.ID != "pendulum-lab" || l.ResourceLink.Title != "Pendulum lab" {
				t.Errorf("resource link: got %+v", l.ResourceLink)
			}
			if l.Custom["level"] != "2" || l.MessageType != tool.ResourceLinkRequest ||
				l.Issuer != p.URL || l.DeploymentID != p.DeploymentID {
				t.Errorf("got custom %v type %s iss %q deployment %q", l.Custom, l.MessageType, l.Issuer, l.DeploymentID)
			}
			if vs := p.Violations(); len(vs) != 0 {
				t.Errorf("the tool's authentication requests broke the spec: %v", vs)
			}
			steps := []ltitest.Step{}
			for _, e := range p.Log() {
				steps = append(steps, e.Step)
			}
			if !slices.Equal(steps, []ltitest.Step{ltitest.StepLogin, ltitest.StepAuth}) {
				t.Errorf("log steps: got %v, want login, auth (the browser posts the id_token)", steps)
			}
		})
	}
}

func TestFollowForms(t *testing.T) {
	t.Parallel()
	autoSubmit := func(action, method string, fields ...string) string {
		var b strings.Builder
		b.WriteString(`<!DOCTYPE html><form id="f" action="` + action + `" method="` + method + `">`)
		for i := 0; i+1 < len(fields); i += 2 {
			b.WriteString(`<input type="hidden" name="` + fields[i] + `" value="` + fields[i+1] + `">`)
		}
		b.WriteString(`</form><script>document.getElementById("f").submit();</script>`)
		return b.String()
	}
	mux := http.NewServeMux()
	page := func(path, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, body)
		})
	}
	page("/start", autoSubmit("next", "post", "a", "1"))
	mux.HandleFunc("POST /next", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "c", Value: r.PostFormValue("a"), Path: "/"})
		http.Redirect(w, r, "/get", http.StatusFound)
	})
	page("/get", autoSubmit("/end?x=1", "get", "y", "2"))
	mux.HandleFunc("GET /end", func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Cookie("c")
		io.WriteString(w, "end x="+r.URL.Query().Get("x")+" y="+r.URL.Query().Get("y")+" cookie="+c.Value)
	})
	page("/loop", autoSubmit("/loop", "get"))
	page("/two", `<form action="/a"></form><form action="/b"></form><script>document.forms[0].submit()</script>`)
	page("/noscript", `<form action="/end" method="post"><input name="a" value="1"><button>Go</button></form>`)
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, autoSubmit("/loop", "get"))
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, autoSubmit("/loop", "get"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		path    string
		want    string // the final body, or the error
		wantErr bool
	}{
		{"/start", "end x=1 y=2 cookie=1", false},
		{"/loop", "more than 10 auto-submitting forms", true},
		{"/two", "<form action=\"/a\">", false},
		{"/noscript", "<button>Go</button>", false},
		{"/json", "<script>", false},
		{"/error", "<script>", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			c := newBrowserClient(t)
			resp, err := c.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			resp, err = ltitest.FollowForms(c, resp)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("got %s %q, want it to contain %q", resp.Status, body, tc.want)
			}
		})
	}
}
