package ltitest_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// devTool is an ltikit tool launched from the development LMS, served
// through Platform.ObserveTool. Its launch handler answers a deep-linking
// request with the items the test chose, posts the grade the custom
// parameter "score" gives, and remembers every launch.
type devTool struct {
	URL  string
	tool *tool.Tool
	reg  tool.Platform

	mu       sync.Mutex
	items    []tool.ContentItem
	launches []*tool.Launch
}

// startDevLMS starts a development LMS with a devTool registered.
func startDevLMS(t *testing.T, opts ...ltitest.Option) (*ltitest.Platform, *devTool) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dt := &devTool{URL: "http://" + l.Addr().String()}
	p := startPlatform(t, append([]ltitest.Option{ltitest.WithDevLMS("Test tool"),
		ltitest.WithLoginURL(dt.URL + "/lti/login"), ltitest.WithRedirectURIs(dt.URL + "/lti/launch"),
		ltitest.WithToolJWKSURL(dt.URL + "/jwks")}, opts...)...)
	dt.reg = p.Registration()
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	regs, err := tool.NewMemoryPlatforms(dt.reg)
	if err != nil {
		t.Fatal(err)
	}
	dt.tool, err = tool.New(tool.Config{BaseURL: dt.URL, Platforms: regs, Keys: ring, Logger: slog.New(slog.DiscardHandler),
		MessageTypes: []tool.MessageType{tool.ResourceLinkRequest, tool.DeepLinkingRequest, tool.StartProctoring, tool.EndAssessment}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.tool.Close() })
	mux := http.NewServeMux()
	mux.Handle("/lti/login", dt.tool.LoginHandler())
	mux.Handle("/jwks", dt.tool.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(dt.tool)(http.HandlerFunc(dt.launch)))
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: p.ObserveTool(mux)}}
	srv.Start()
	t.Cleanup(srv.Close)
	return p, dt
}

func (dt *devTool) launch(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	dt.mu.Lock()
	dt.launches = append(dt.launches, l)
	items := dt.items
	dt.mu.Unlock()
	if l.MessageType == tool.DeepLinkingRequest {
		if err := dt.tool.DeepLinkResponse(l).Add(items...).Write(r.Context(), w); err != nil {
			dt.tool.ServeError(w, r, err)
		}
		return
	}
	if s := l.Custom["score"]; s != "" {
		given, _ := strconv.ParseFloat(s, 64)
		if err := dt.tool.PostGrade(r.Context(), l, tool.Grade{ScoreGiven: given, ScoreMaximum: 10}); err != nil {
			http.Error(w, "grade: "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	io.WriteString(w, "launched "+l.Subject)
}

// last returns the tool's latest launch.
func (dt *devTool) last(t *testing.T) *tool.Launch {
	t.Helper()
	dt.mu.Lock()
	defer dt.mu.Unlock()
	if len(dt.launches) == 0 {
		t.Fatal("the tool saw no launch")
	}
	return dt.launches[len(dt.launches)-1]
}

// open opens path on the LMS as a browser does in the iframe, following
// the auto-submitting forms, and returns where it ended and the page.
func open(t *testing.T, c *http.Client, p *ltitest.Platform, path string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(p.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ltitest.FollowForms(c, resp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// panels returns the development LMS's live panels.
func panels(t *testing.T, p *ltitest.Platform) string {
	t.Helper()
	_, body := do(t, http.MethodGet, p.URL+"/dev/panels")
	return body
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%.3000s", what, w, got)
		}
	}
}

// A learner launches the course's first activity; the tool posts a grade.
// The page shows the course, the gradebook shows the score, the message log
// shows each step with the tool's verdict.
func TestDevLMS_launchAndGrade(t *testing.T) {
	t.Parallel()
	p, dt := startDevLMS(t)
	_, page := do(t, http.MethodGet, p.URL+"/")
	mustContain(t, "the course page", page, "Physics 101", "Test tool", `id="launch-ada"`, `id="launch-chloe"`,
		`id="add-activity-ian"`, `name="string_aud"`, p.URL+"/auth", dt.URL+"/lti/login")
	if strings.Contains(page, `id="add-activity-ada"`) || strings.Contains(page, `id="add-activity-tara"`) {
		t.Error("a learner or the teaching assistant may add activities")
	}

	c := newBrowserClient(t)
	resp, body := open(t, c, p, "/dev/launch?user=ada")
	if resp.StatusCode != http.StatusOK || body != "launched ada" {
		t.Fatalf("launch: got %s %q", resp.Status, body)
	}
	l := dt.last(t)
	if l.Context.Title != "Physics 101" || l.ResourceLink.ID != "activity-1" || l.Name != "Ada Park" ||
		!l.Roles.IsLearner() || l.AGS == nil || l.AGS.LineItem == "" || l.NRPS == nil {
		t.Fatalf("the launch: %+v", l)
	}
	if err := dt.tool.PostGrade(context.Background(), l, tool.Grade{ScoreGiven: 7, ScoreMaximum: 10}); err != nil {
		t.Fatal(err)
	}
	got := panels(t, p)
	mustContain(t, "the panels", got, "Ada Park", "7 / 10", "Completed · FullyGraded",
		"Login initiation → tool", "checks passed: id_token issued", "the tool accepted the launch: 200 OK",
		"Access token request ← tool", "AGS score POST ← tool", "LtiResourceLinkRequest")
	calls := p.ServiceCalls()
	if len(calls) != 1 || calls[0].Endpoint != ltitest.EndpointScores || !calls[0].OK() || !strings.Contains(string(calls[0].Request), `"userId":"ada"`) {
		t.Errorf("service calls: %+v", calls)
	}
}

// The instructor adds activities by deep linking: each returned resource
// link becomes an activity with its custom parameters, its line item a
// gradebook column; launching it carries both.
func TestDevLMS_deepLinking(t *testing.T) {
	t.Parallel()
	p, dt := startDevLMS(t)
	dt.items = []tool.ContentItem{
		tool.ResourceLinkItem{Title: "Moon base", Text: "Low gravity.", Custom: map[string]string{"score": "9"},
			LineItem: &tool.LineItem{ScoreMaximum: 10, ResourceID: "moon", Tag: "lab"}},
		tool.ResourceLinkItem{Title: "Ungraded reading"},
	}
	c := newBrowserClient(t)
	resp, body := open(t, c, p, "/dev/deeplink?user=ian")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/deeplink/return" {
		t.Fatalf("deep linking ended on %s %s: %.500s", resp.Request.URL, resp.Status, body)
	}
	mustContain(t, "the page after deep linking", body, "2 activities added", "Moon base", "Ungraded reading")
	mustContain(t, "the panels", panels(t, p), "Moon base", "score=9", "added by Ian Wright", "graded out of 10",
		"Ungraded reading", "Deep-linking response ← tool", "2 item(s) accepted")

	gb := p.Gradebook()
	li, ok := gb.LineItemFor("activity-2")
	if !ok || li.Label != "Moon base" || li.ScoreMaximum != 10 || li.ResourceID != "moon" || li.Tag != "lab" || li.ContextID != "physics-101" {
		t.Fatalf("line item of the new activity: %+v (found %v)", li, ok)
	}

	// A learner launches it: the custom parameter makes the tool grade 9.
	if resp, body := open(t, c, p, "/dev/launch?user=ben&activity=activity-2"); resp.StatusCode != http.StatusOK {
		t.Fatalf("launch of the new activity: %s %s", resp.Status, body)
	}
	l := dt.last(t)
	if l.ResourceLink.Title != "Moon base" || l.ResourceLink.Description != "Low gravity." || l.Custom["score"] != "9" || l.AGS.LineItem != li.ID {
		t.Errorf("launch of the new activity: link %+v custom %v line item %q, want %q", l.ResourceLink, l.Custom, l.AGS.LineItem, li.ID)
	}
	li, _ = p.Gradebook().LineItemFor("activity-2")
	if g, ok := li.Scores["ben"].Grade(); !ok || g != 9 {
		t.Errorf("grade: got %v %v, want 9", g, ok)
	}

	// The item without line item gets no column, and its launches no lineitem.
	if _, ok := p.Gradebook().LineItemFor("activity-3"); ok {
		t.Error("the item without lineItem got a gradebook column")
	}
	if resp, _ := open(t, c, p, "/dev/launch?user=ben&activity=activity-3"); resp.StatusCode != http.StatusOK {
		t.Fatalf("launch of the ungraded activity: %s", resp.Status)
	}
	if l := dt.last(t); l.AGS == nil || l.AGS.LineItem != "" {
		t.Errorf("launch of the ungraded activity: AGS claim %+v, want the container only", l.AGS)
	}
}

// setQuirks switches the development LMS's Moodle behaviours as the page's
// form does.
func setQuirks(t *testing.T, p *ltitest.Platform, on ...string) {
	t.Helper()
	form := url.Values{}
	for _, q := range on {
		form.Set(q, "on")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(p.URL+"/dev/quirks", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("POST /dev/quirks: got %s to %q, want 303 to /", resp.Status, resp.Header.Get("Location"))
	}
}

// Each Moodle switch changes what the platform does, and switching it off
// again restores the spec's behaviour.
func TestDevLMS_quirks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		quirk string
		// check observes the behaviour after a learner's launch, l.
		check func(t *testing.T, p *ltitest.Platform, dt *devTool, l *tool.Launch) string
		on    string // what check returns with the switch on
		off   string // and off
	}{
		{"string_aud", func(t *testing.T, p *ltitest.Platform, dt *devTool, l *tool.Launch) string {
			for _, e := range slicesBackward(p.Log()) {
				if e.Step == ltitest.StepAuth {
					aud, _ := json.Marshal(e.Claims["aud"])
					_, azp := e.Claims["azp"]
					return "array " + strconv.FormatBool(strings.HasPrefix(string(aud), "[")) + ", azp " + strconv.FormatBool(azp)
				}
			}
			return "no id_token"
		}, "array false, azp false", "array true, azp true"},
		{"short_roles", func(t *testing.T, p *ltitest.Platform, dt *devTool, l *tool.Launch) string {
			r, err := dt.tool.Roster(l)
			if err != nil {
				t.Fatal(err)
			}
			for m, err := range r.Members(ctx, tool.MembersQuery{}) {
				if err != nil {
					t.Fatal(err)
				}
				_ = m
			}
			calls := p.ServiceCalls()
			body := string(calls[len(calls)-1].Request) + string(calls[len(calls)-1].Response)
			return "short " + strconv.FormatBool(strings.Contains(body, `"Learner"`)) +
				", full " + strconv.FormatBool(strings.Contains(body, `membership#Learner"`))
		}, "short true, full false", "short false, full true"},
		{"same_second_409", func(t *testing.T, p *ltitest.Platform, dt *devTool, l *tool.Launch) string {
			li, _ := p.Gradebook().LineItemFor("activity-1")
			at := time.Now().Truncate(time.Second).Add(time.Duration(len(li.Posts)+1) * time.Hour) // later than the scores before
			if err := dt.tool.PostGrade(ctx, l, tool.Grade{ScoreGiven: 1, ScoreMaximum: 10, Timestamp: at}); err != nil {
				t.Fatal(err)
			}
			err := dt.tool.PostGrade(ctx, l, tool.Grade{ScoreGiven: 2, ScoreMaximum: 10, Timestamp: at.Add(300 * time.Millisecond)})
			return "conflict " + strconv.FormatBool(errors.Is(err, tool.ErrServiceConflict))
		}, "conflict true", "conflict false"},
		{"malformed_links", func(t *testing.T, p *ltitest.Platform, dt *devTool, l *tool.Launch) string {
			g, err := dt.tool.Grades(l)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.CreateLineItem(ctx, tool.LineItem{Label: "Extra", ScoreMaximum: 5}); err != nil {
				t.Fatal(err)
			}
			c, err := dt.tool.Client(ctx, &dt.reg, l.DeploymentID, tool.ScopeLineItemReadOnly)
			if err != nil {
				t.Fatal(err)
			}
			u, _, _ := strings.Cut(l.AGS.LineItems, "?")
			req, _ := http.NewRequest(http.MethodGet, u+"?type_id="+dt.reg.Deployments[0]+"&limit=1", nil)
			req.Header.Set("Accept", "application/vnd.ims.lis.v2.lineitemcontainer+json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			link := resp.Header.Get("Link")
			return "malformed " + strconv.FormatBool(strings.Contains(link, "&amp;") && strings.Contains(link, "“next”"))
		}, "malformed true", "malformed false"},
	} {
		t.Run(tc.quirk, func(t *testing.T) {
			t.Parallel()
			p, dt := startDevLMS(t)
			c := newBrowserClient(t)
			for _, round := range []struct {
				on   bool
				want string
			}{{false, tc.off}, {true, tc.on}, {false, tc.off}} {
				if round.on {
					setQuirks(t, p, tc.quirk)
				} else {
					setQuirks(t, p)
				}
				open(t, c, p, "/dev/launch?user=ada")
				if got := tc.check(t, p, dt, dt.last(t)); got != round.want {
					t.Errorf("switch %s %v: got %q, want %q", tc.quirk, round.on, got, round.want)
				}
				_, page := do(t, http.MethodGet, p.URL+"/")
				if checked := strings.Contains(page, `name="`+tc.quirk+`" id="quirk-`+tc.quirk+`" checked`); checked != round.on {
					t.Errorf("switch %s %v: the page shows it checked %v", tc.quirk, round.on, checked)
				}
			}
		})
	}
}

// slicesBackward returns the log newest first.
func slicesBackward(l []ltitest.LogEntry) []ltitest.LogEntry {
	out := make([]ltitest.LogEntry, len(l))
	for i, e := range l {
		out[len(l)-1-i] = e
	}
	return out
}

// Requests the development LMS refuses, and what it does not do.
func TestDevLMS_refusals(t *testing.T) {
	t.Parallel()
	p, dt := startDevLMS(t)
	for _, tc := range []struct {
		name, method, path string
		status             int
		want               string
	}{
		{"launch without user", http.MethodGet, "/dev/launch", http.StatusBadRequest, "No user to launch as"},
		{"launch as unknown user", http.MethodGet, "/dev/launch?user=mallory", http.StatusNotFound, "Unknown user"},
		{"launch of unknown activity", http.MethodGet, "/dev/launch?user=ada&activity=activity-9", http.StatusNotFound, "Unknown activity"},
		{"deep linking without user", http.MethodGet, "/dev/deeplink", http.StatusBadRequest, "No user to launch as"},
		{"deep linking as unknown user", http.MethodGet, "/dev/deeplink?user=%00", http.StatusNotFound, "Unknown user"},
		{"deep linking as a learner", http.MethodGet, "/dev/deeplink?user=ada", http.StatusForbidden, "not an editing teacher"},
		{"deep linking as the teaching assistant", http.MethodGet, "/dev/deeplink?user=tara", http.StatusForbidden, "not an editing teacher"},
		{"switches by GET", http.MethodGet, "/dev/quirks", http.StatusMethodNotAllowed, ""},
		{"unknown static file", http.MethodGet, "/dev/static/nope.js", http.StatusNotFound, ""},
		{"the demo course's launch page still works", http.MethodGet, "/launch?user=ada", http.StatusOK, "ltiInitiateLoginForm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, tc.method, p.URL+tc.path)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s: got %s %.300q, want %d with %q", tc.method, tc.path, resp.Status, body, tc.status, tc.want)
			}
		})
	}

	// A switches form too big.
	resp, err := http.Post(p.URL+"/dev/quirks", "application/x-www-form-urlencoded", strings.NewReader("x="+strings.Repeat("a", 4096)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized switches form: got %s, want 400", resp.Status)
	}

	// Another site's page cannot flip the switches (CSRF).
	req, err := http.NewRequest(http.MethodPost, p.URL+"/dev/quirks", strings.NewReader("string_aud=on"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site switches form: got %s, want 403", resp.Status)
	}
	if _, page := do(t, http.MethodGet, p.URL+"/"); strings.Contains(page, `id="quirk-string_aud" checked`) {
		t.Error("a cross-site form switched string_aud on")
	}

	// A refused deep-linking response adds nothing: an item the settings
	// do not accept.
	dt.items = []tool.ContentItem{tool.LinkItem{URL: "https://example.com", Title: "A plain link"}}
	resp, _ = open(t, newBrowserClient(t), p, "/dev/deeplink?user=ian")
	if resp.StatusCode == http.StatusOK {
		t.Errorf("deep linking with an unaccepted item: got %s", resp.Status)
	}
	// A deep-linking flow the LMS did not start from its page adds nothing
	// either, though the platform accepts it.
	dt.items = []tool.ContentItem{tool.ResourceLinkItem{Title: "From a test"}}
	res := p.DeepLink(t, dt.URL+"/lti/login", ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}}, nil)
	if !res.Accepted() {
		t.Fatalf("the test's deep linking: %v", res.Violations)
	}
	activities, _, _ := strings.Cut(panels(t, p), "</ul>")
	if strings.Contains(activities, "A plain link") || strings.Contains(activities, "From a test") || strings.Contains(activities, "activity-2") {
		t.Errorf("a refused or foreign deep-linking response added an activity:\n%s", activities)
	}

	// The panels come with an ETag: an unchanged page is not sent again.
	first := httpGet(t, p.URL+"/dev/panels", "")
	again := httpGet(t, p.URL+"/dev/panels", first.Header.Get("ETag"))
	if first.StatusCode != http.StatusOK || first.Header.Get("ETag") == "" || again.StatusCode != http.StatusNotModified {
		t.Errorf("panels: got %s with ETag %q, then %s; want 200, then 304", first.Status, first.Header.Get("ETag"), again.Status)
	}
}

// httpGet gets u, with If-None-Match when etag is set.
func httpGet(t *testing.T, u, etag string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Without WithDevLMS the platform serves the demo course and no /dev/.
func TestDevLMS_off(t *testing.T) {
	t.Parallel()
	p := startPlatform(t)
	if resp, body := do(t, http.MethodGet, p.URL+"/"); resp.StatusCode != http.StatusOK || strings.Contains(body, "ltikit dev") {
		t.Errorf("GET /: got %s, want the demo course", resp.Status)
	}
	for _, path := range []string{"/dev/launch?user=ada", "/dev/panels", "/dev/static/dev.js"} {
		if resp, _ := do(t, http.MethodGet, p.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got %s, want 404", path, resp.Status)
		}
	}
}

// The script and the CSS the page loads are served.
func TestDevLMS_static(t *testing.T) {
	t.Parallel()
	p, _ := startDevLMS(t)
	for path, ctype := range map[string]string{"/dev/static/dev.js": "text/javascript", "/dev/static/dev.css": "text/css"} {
		resp, body := do(t, http.MethodGet, p.URL+path)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) < 100 {
			t.Errorf("GET %s: got %s %s, %d bytes", path, resp.Status, resp.Header.Get("Content-Type"), len(body))
		}
	}
}

// The switches' tooltips read as written: Moodle's "&amp;" shows as
// "&amp;", escaped once in the page.
func TestDevLMS_quirkTooltips(t *testing.T) {
	t.Parallel()
	p, _ := startDevLMS(t)
	_, page := do(t, http.MethodGet, p.URL+"/")
	shown := map[string]string{}
	for _, m := range regexp.MustCompile(`<label title="([^"]*)"><input type="checkbox" name="([a-z0-9_]+)"`).FindAllStringSubmatch(page, -1) {
		shown[m[2]] = html.UnescapeString(m[1])
	}
	for field, want := range map[string]string{
		"string_aud":      "Moodle sends aud as a string",
		"short_roles":     `roles as "Learner"`,
		"same_second_409": "in whole seconds",
		"malformed_links": "Moodle writes &amp; and curly quotes",
	} {
		if !strings.Contains(shown[field], want) {
			t.Errorf("tooltip of %s: got %q, want it to read %q", field, shown[field], want)
		}
	}
}
