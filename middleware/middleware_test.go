package middleware_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// app is a tool served over httptest, launched by a fake platform.
type app struct {
	platform *ltitest.Platform
	tool     *tool.Tool
	url      string
	reached  atomic.Int32 // launches that reached the vendor's handler
}

func newApp(t testing.TB, opts ...ltitest.Option) *app {
	t.Helper()
	a := &app{platform: ltitest.NewPlatform(t, opts...)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.url = srv.URL
	a.platform.SetRedirectURIs(srv.URL + "/lti/launch")

	regs, err := tool.NewMemoryPlatforms(a.platform.Registration())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	a.tool, err = tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: srv.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.tool.Close() })

	home := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.reached.Add(1)
		l, _ := tool.LaunchFrom(r.Context())
		io.WriteString(w, "hello "+l.Subject+" in "+l.Context.Title+" launch="+l.ID)
	})
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		io.WriteString(w, "page for "+l.Subject+" in "+l.Context.ID)
	})
	mux.Handle("/lti/login", a.tool.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(a.tool)(home))
	mux.Handle("/.well-known/jwks.json", a.tool.JWKSHandler())
	mux.Handle("/app/page", middleware.Session(a.tool)(page))
	mux.Handle("/app/teacher", middleware.Session(a.tool)(middleware.RequireRole(tool.RoleInstructor)(page)))
	mux.Handle("/app/picker", middleware.Session(a.tool)(middleware.RequireMessageType(tool.DeepLinkingRequest)(page)))
	return a
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func TestLaunch_ReachesHandlerWithLaunch(t *testing.T) {
	for _, m := range []ltitest.Message{
		{UserID: "learner-1"},
		{UserID: "teacher-1", Roles: tool.Roles{tool.RoleInstructor}, LoginMethod: http.MethodGet},
	} {
		a := newApp(t)
		res := a.platform.Launch(t, a.url+"/lti/login", m)
		if got := body(t, res); res.StatusCode != 200 || !strings.HasPrefix(got, "hello "+m.UserID) {
			t.Errorf("launch as %s: %d %q", m.UserID, res.StatusCode, got)
		}
		if v := a.platform.Violations(); len(v) != 0 {
			t.Errorf("the tool's auth request broke platform rules: %v", v)
		}
	}
}

func TestLaunch_MoodleQuirks(t *testing.T) {
	a := newApp(t, ltitest.Moodle())
	res := a.platform.Launch(t, a.url+"/lti/login", ltitest.Message{})
	if got := body(t, res); res.StatusCode != 200 || !strings.HasPrefix(got, "hello 4") {
		t.Fatalf("Moodle-style launch: %d %q", res.StatusCode, got)
	}
}

func TestLaunch_RefusedNeverReachesHandler(t *testing.T) {
	tests := []struct {
		name   string
		m      ltitest.Message
		status int
		code   tool.Code
	}{
		{"expired", ltitest.Message{Mutate: func(c map[string]any) { c["exp"] = 1000 }}, 401, tool.CodeTokenExpired},
		{"wrong aud", ltitest.Message{Mutate: func(c map[string]any) { c["aud"] = "x" }}, 401, tool.CodeWrongAudience},
		{"unknown kid", ltitest.Message{MutateHeader: func(h map[string]any) { h["kid"] = "nope" }}, 401, tool.CodeUnknownKID},
		{"alg none", ltitest.Message{MutateHeader: func(h map[string]any) { h["alg"] = "none" }}, 401, tool.CodeDisallowedAlgorithm},
		{"state dropped", ltitest.Message{AuthMutate: func(f url.Values) { delete(f, "state") }}, 400, tool.CodeMissingState},
		{"access denied", ltitest.Message{AuthMutate: func(f url.Values) {
			delete(f, "id_token")
			f["error"] = []string{"access_denied"}
		}}, 400, tool.CodePlatformError},
		{"unknown deployment", ltitest.Message{DeploymentID: "other"}, 403, tool.CodeUnknownDeployment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			res := a.platform.Launch(t, a.url+"/lti/login", tt.m)
			page := body(t, res)
			if res.StatusCode != tt.status || res.Header.Get("LTI-Error-Code") != string(tt.code) {
				t.Errorf("status %d code %q, want %d %s", res.StatusCode, res.Header.Get("LTI-Error-Code"), tt.status, tt.code)
			}
			if a.reached.Load() != 0 {
				t.Errorf("a refused launch reached the handler")
			}
			if strings.Contains(page, "eyJ") {
				t.Errorf("error page echoes a token: %s", page)
			}
			if !strings.Contains(page, string(tt.code)) {
				t.Errorf("error page does not name the failed check %s", tt.code)
			}
		})
	}
}

func TestSession_FollowUpsAndRoles(t *testing.T) {
	a := newApp(t)
	b := a.platform.NewBrowser(t)
	learner := body(t, b.Launch(a.url+"/lti/login", ltitest.Message{UserID: "s1", Context: &ltitest.Context{ID: "A", Title: "Course A"}}))
	teacher := body(t, b.Launch(a.url+"/lti/login", ltitest.Message{UserID: "t1", Roles: tool.Roles{tool.RoleInstructor}, Context: &ltitest.Context{ID: "B", Title: "Course B"}}))
	idOf := func(s string) string { return s[strings.Index(s, "launch=")+len("launch="):] }

	get := func(path string) (int, string) {
		res, err := b.Client().Get(a.url + path)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body(t, res)
	}
	// Two tabs keep their own launch.
	if code, got := get("/app/page?launch=" + idOf(learner)); code != 200 || got != "page for s1 in A" {
		t.Errorf("learner tab: %d %q", code, got)
	}
	if code, got := get("/app/page?launch=" + idOf(teacher)); code != 200 || got != "page for t1 in B" {
		t.Errorf("teacher tab: %d %q", code, got)
	}
	// Roles and message types.
	if code, _ := get("/app/teacher?launch=" + idOf(learner)); code != http.StatusForbidden {
		t.Errorf("learner on the instructor page: %d, want 403", code)
	}
	if code, _ := get("/app/teacher?launch=" + idOf(teacher)); code != 200 {
		t.Errorf("instructor on the instructor page: %d", code)
	}
	if code, _ := get("/app/picker?launch=" + idOf(teacher)); code != http.StatusForbidden {
		t.Errorf("resource link launch on the deep-linking page: %d, want 403", code)
	}
	// Without the cookie there is no session.
	res, err := http.Get(a.url + "/app/page?launch=" + idOf(learner))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusUnauthorized || res.Header.Get("LTI-Error-Code") != string(tool.CodeNoSession) {
		t.Errorf("no cookie: %d %s, want 401 no_session", res.StatusCode, res.Header.Get("LTI-Error-Code"))
	}
}

func TestRequire_WithoutLaunch(t *testing.T) {
	h := middleware.RequireRole(tool.RoleInstructor)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("reached the handler without a launch")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", w.Code)
	}
	// A handler unit test needs no crypto: put a launch in the context.
	ok := false
	h = middleware.RequireRole(tool.RoleInstructor)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ok = true }))
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(tool.ContextWithLaunch(r.Context(), &tool.Launch{Roles: tool.Roles{tool.RoleTeachingAssistant}}))
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !ok {
		t.Fatal("a teaching assistant (an instructor sub-role) was refused")
	}
}

// TestSession_UnnamedLaunch sends follow-ups that do not name their
// launch: only a GET or HEAD from a browser with one launch gets it.
func TestSession_UnnamedLaunch(t *testing.T) {
	a := newApp(t)
	one := a.platform.NewBrowser(t)
	launched := body(t, one.Launch(a.url+"/lti/login", ltitest.Message{UserID: "s1"}))
	id := launched[strings.Index(launched, "launch=")+len("launch="):]
	two := a.platform.NewBrowser(t)
	body(t, two.Launch(a.url+"/lti/login", ltitest.Message{UserID: "s1"}))
	body(t, two.Launch(a.url+"/lti/login", ltitest.Message{UserID: "s1"}))
	tests := []struct {
		name   string
		b      *ltitest.Browser
		method string
		path   string
		status int
		code   tool.Code
	}{
		{"one launch, GET", one, http.MethodGet, "/app/page", 200, ""},
		{"one launch, POST naming it", one, http.MethodPost, "/app/page?launch=" + id, 200, ""},
		{"one launch, POST", one, http.MethodPost, "/app/page", 400, tool.CodeMissingLaunchID},
		{"one launch, DELETE", one, http.MethodDelete, "/app/page", 400, tool.CodeMissingLaunchID},
		{"two launches, GET", two, http.MethodGet, "/app/page", 400, tool.CodeMissingLaunchID},
		{"two launches, POST", two, http.MethodPost, "/app/page", 400, tool.CodeMissingLaunchID},
		{"another browser's launch, POST", two, http.MethodPost, "/app/page?launch=" + id, 401, tool.CodeNoSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, a.url+tt.path, strings.NewReader("x=1"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := tt.b.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got := body(t, res)
			if res.StatusCode != tt.status || res.Header.Get("LTI-Error-Code") != string(tt.code) {
				t.Errorf("%d %s %q, want %d %q", res.StatusCode, res.Header.Get("LTI-Error-Code"), got, tt.status, tt.code)
			}
		})
	}
}
