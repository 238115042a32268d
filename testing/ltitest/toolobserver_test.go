package ltitest_test

import (
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// lastStep returns the newest log entry of step.
func lastStep(t *testing.T, p *ltitest.Platform, step ltitest.Step) ltitest.LogEntry {
	t.Helper()
	log := p.Log()
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Step == step {
			return log[i]
		}
	}
	t.Fatalf("no %s step in the log", step)
	return ltitest.LogEntry{}
}

// An observed tool's answers land in the log: an accepted launch, a
// refused one (the browser lost the state cookie), a refused login.
func TestObserveTool_launches(t *testing.T) {
	t.Parallel()
	p, _ := startDevLMS(t)

	// Accepted: the login redirects to the auth endpoint, the launch is 200.
	if resp, _ := open(t, newBrowserClient(t), p, "/dev/launch?user=ada"); resp.StatusCode != http.StatusOK {
		t.Fatalf("launch: %s", resp.Status)
	}
	login, launch := lastStep(t, p, ltitest.StepLogin), lastStep(t, p, ltitest.StepLaunch)
	if login.Status/100 != 3 || !strings.HasPrefix(login.Location, p.URL+"/auth?") || login.Error != "" {
		t.Errorf("login step: got %d to %q (%q), want a redirect to the auth endpoint", login.Status, login.Location, login.Error)
	}
	if launch.Status != http.StatusOK || launch.Error != "" || launch.LaunchID != login.LaunchID || launch.Claims["sub"] != "ada" ||
		launch.Params.Get("id_token") != launch.IDToken || launch.Method != http.MethodPost {
		t.Errorf("launch step: got %d %q, launch %q (login's %q), claims %v", launch.Status, launch.Error, launch.LaunchID, login.LaunchID, launch.Claims)
	}

	// Refused: a browser without cookies loses the tool's state cookie.
	noCookies := &http.Client{}
	if resp, _ := open(t, noCookies, p, "/dev/launch?user=ben"); resp.StatusCode < 400 {
		t.Fatalf("launch without cookies: got %s, want a refusal", resp.Status)
	}
	launch = lastStep(t, p, ltitest.StepLaunch)
	if launch.Status < 400 || launch.Error == "" || launch.Claims["sub"] != "ben" {
		t.Errorf("refused launch step: got %d %q for %v", launch.Status, launch.Error, launch.Claims["sub"])
	}
}

// The observer records what it recognises and passes every request on
// unchanged, the body of a form post included.
func TestObserveTool_requests(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen []string // what the tool saw
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("the tool cannot read the form: %v", err)
		}
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.PostForm.Encode())
		mu.Unlock()
		switch r.URL.Path {
		case "/login":
			w.Header().Set("LTI-Error-Code", "unknown_deployment")
			http.Error(w, "refused", http.StatusForbidden)
		case "/hijack":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		default:
			io.WriteString(w, "ok")
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	p := startPlatform(t, ltitest.WithLoginURL(base+"/login"), ltitest.WithRedirectURIs(base+"/launch"))
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: p.ObserveTool(h)}}
	srv.Start()
	t.Cleanup(srv.Close)

	// The demo page's login initiation, refused by the tool.
	_, page := do(t, http.MethodGet, p.URL+"/launch?user=ada")
	form := url.Values{}
	for _, name := range []string{"iss", "target_link_uri", "login_hint", "lti_message_hint", "client_id", "lti_deployment_id"} {
		form.Set(name, formValue(t, page, name))
	}
	resp, err := http.PostForm(srv.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if login := lastStep(t, p, ltitest.StepLogin); login.Status != http.StatusForbidden || login.Error != "unknown_deployment" {
		t.Errorf("refused login step: got %d %q, want 403 unknown_deployment", login.Status, login.Error)
	}

	for _, tc := range []struct {
		name, method, path string
		form               url.Values
	}{
		{"a page", http.MethodGet, "/page", nil},
		{"a form post that is no launch", http.MethodPost, "/launch", url.Values{"answer": {"42"}}},
		{"a login without the LMS's hint", http.MethodPost, "/other", url.Values{"login_hint": {"x"}, "lti_message_hint": {`{"launchid":"nope"}`}}},
		{"an id_token without state", http.MethodPost, "/launch", url.Values{"id_token": {"a.b.c"}}},
		{"a launch GET", http.MethodGet, "/launch?id_token=a.b.c&state=s", nil},
		{"a dropped connection", http.MethodGet, "/hijack", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.Log())
			mu.Lock()
			seen = nil
			mu.Unlock()
			var err error
			if tc.form != nil {
				resp, err = http.PostForm(srv.URL+tc.path, tc.form)
			} else {
				resp, err = http.Get(srv.URL + tc.path)
			}
			if err == nil {
				resp.Body.Close()
			}
			mu.Lock()
			got := seen
			mu.Unlock()
			if len(got) != 1 || (tc.form != nil && !strings.HasSuffix(got[0], " "+tc.form.Encode())) {
				t.Errorf("the tool saw %q, want the request with its form %q", got, tc.form.Encode())
			}
			if after := len(p.Log()); after != before {
				t.Errorf("the log grew by %d entries, want none", after-before)
			}
		})
	}
}

// formValue returns the value of the hidden field name in page.
func formValue(t *testing.T, page, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `name="`+name+`" value="`)
	if !ok {
		t.Fatalf("no field %s in %s", name, page)
	}
	v, _, _ := strings.Cut(rest, `"`)
	return html.UnescapeString(v)
}
