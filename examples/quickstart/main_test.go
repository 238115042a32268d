package main

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// startApp runs the quickstart's wiring on free loopback ports.
func startApp(t *testing.T, cfg config) *app {
	t.Helper()
	cfg.Config = devserver.ForTest(t, cfg.Config)
	a, err := newApp(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	devserver.ServeForTest(t, a)
	return a
}

var browser = devserver.Browser

// get fetches u and returns the status and body.
func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// launch does what a click on the user's Launch button does: the iframe
// loads the platform's /launch page, whose form starts the login at the
// tool, and so on until the tool's home page. It returns that page.
func launch(t *testing.T, c *http.Client, a *app, user string) string {
	t.Helper()
	resp, err := c.Get(a.Platform.URL + "/launch?user=" + user)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ltitest.FollowForms(c, resp)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != a.URL+"/lti/launch" {
		t.Fatalf("launch as %s: ended on %s %s: %.500s", user, resp.Request.URL, resp.Status, body)
	}
	return string(body)
}

// link returns the href of the link with the given text in page.
func link(t *testing.T, page, text string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="([^"]+)">` + regexp.QuoteMeta(text) + `</a>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link %q in the page:\n%s", text, page)
	}
	return html.UnescapeString(m[1])
}

func contains(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(page, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, page)
		}
	}
}

// A learner and an instructor launch from the fake platform's page: the
// home page shows who they are and where, the follow-up link keeps the
// session, and the instructor page admits only the instructor.
func TestQuickstart_launch(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	for _, tc := range []struct {
		user, name, sub, role string
		instructor            bool
		instructorStatus      int
	}{
		{"ada", "Ada Learner", "ada", "membership#Learner", false, http.StatusForbidden},
		{"ian", "Ian Instructor", "ian", "membership#Instructor", true, http.StatusOK},
		{"tara", "Tara Assistant", "tara", "membership/Instructor#TeachingAssistant", true, http.StatusOK},
	} {
		t.Run(tc.user, func(t *testing.T) {
			t.Parallel()
			c := browser(t)
			home := launch(t, c, a, tc.user)
			contains(t, "home page", home,
				"Hello, "+tc.name, tc.user+"@example.edu", "<code>"+tc.sub+"</code>", tc.role,
				"Physics 101", "PHYS101", "<code>physics-101</code>", tool.ContextTypeCourseOffering,
				"Pendulum lab", "<code>pendulum-lab</code>",
				"<dt><code>level</code></dt><dd>2</dd>",
				"LtiResourceLinkRequest", "1.3.0", a.Platform.DeploymentID, a.Platform.URL)
			if on := strings.Contains(home, `<li class="on">IsInstructor: true</li>`); on != tc.instructor {
				t.Errorf("IsInstructor shown as %v, want %v", on, tc.instructor)
			}
			if on := strings.Contains(home, `<li class="on">IsLearner: true</li>`); on == tc.instructor {
				t.Errorf("IsLearner shown as %v, want %v", on, !tc.instructor)
			}

			// The follow-up page: no id_token, the session restores the launch.
			whoami := link(t, home, "Who am I?")
			if !strings.HasPrefix(whoami, "/app/whoami?launch=") {
				t.Errorf("whoami link: got %q, want it to carry the launch", whoami)
			}
			status, page := get(t, c, a.URL+whoami)
			if status != http.StatusOK {
				t.Fatalf("GET %s: got %d: %.300s", whoami, status, page)
			}
			contains(t, "whoami page", page, "session works", tc.name, "Physics 101")

			status, page = get(t, c, a.URL+link(t, home, "Instructor area"))
			if status != tc.instructorStatus {
				t.Errorf("instructor page: got %d, want %d: %.300s", status, tc.instructorStatus, page)
			}
			if tc.instructor {
				contains(t, "instructor page", page, "Instructor area", tc.name)
			} else if !strings.Contains(page, "forbidden_role") {
				t.Errorf("the learner's refusal does not name forbidden_role:\n%s", page)
			}
		})
	}
	t.Cleanup(func() {
		if vs := a.Platform.Violations(); len(vs) != 0 {
			t.Errorf("the tool's authentication requests broke the spec: %v", vs)
		}
	})
}

// The tool's other URLs, and the pages a browser without a launch gets.
func TestQuickstart_pages(t *testing.T) {
	t.Parallel()
	a := startApp(t, config{})
	c := browser(t)
	for _, tc := range []struct {
		name   string
		url    string
		method string
		status int
		want   string
	}{
		{"platform course page", a.Platform.URL + "/", "GET", 200, a.URL + "/lti/login"},
		{"tool keys", a.URL + "/.well-known/jwks.json", "GET", 200, `"keys"`},
		{"tool root", a.URL + "/", "GET", 200, a.Platform.URL + "/"},
		{"whoami without a launch", a.URL + "/app/whoami", "GET", 401, "no_session"},
		{"instructor without a launch", a.URL + "/app/instructor", "GET", 401, "no_session"},
		{"launch by GET", a.URL + "/lti/launch", "GET", 405, ""},
		{"launch without a token", a.URL + "/lti/launch", "POST", 400, ""},
		{"unknown page", a.URL + "/nope", "GET", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%s %s: got %s, want %d with %q: %.300s", tc.method, tc.url, resp.Status, tc.status, tc.want, body)
			}
		})
	}
}

// run prints where to start, serves, and returns nil after a graceful
// shutdown when its context ends.
func TestRun(t *testing.T) {
	t.Parallel()
	line, stop := devserver.RunForTest(t, run, "-addr", "127.0.0.1:0", "-platform-addr", "127.0.0.1:0", "-keys", t.TempDir())
	m := regexp.MustCompile(`^ltikit quickstart: open (http://127\.0\.0\.1:\d+/) and click Launch\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("banner: got %q", line)
	}
	if status, page := get(t, browser(t), m[1]); status != http.StatusOK || !strings.Contains(page, "Physics 101") {
		t.Errorf("GET %s: got %d %.200s", m[1], status, page)
	}
	if err := stop(); err != nil {
		t.Errorf("run: got %v, want nil after the context ended", err)
	}
}

// With a registrations file the tool serves its platforms and no fake
// platform starts.
func TestQuickstart_registrations(t *testing.T) {
	t.Parallel()
	file := devserver.MoodleRegistrations(t)
	a := startApp(t, config{devserver.Config{Registrations: file, RegsSource: "-registrations"}})
	if a.Platform != nil {
		t.Error("a fake platform started although registrations were given")
	}
	contains(t, "banner", a.banner(), file, a.URL+"/lti/login", a.URL+"/lti/launch", a.URL+"/.well-known/jwks.json")
	if status, page := get(t, browser(t), a.URL+"/"); status != http.StatusOK || !strings.Contains(page, file) {
		t.Errorf("tool root: got %d %.300s", status, page)
	}
}

// A bad registrations file, from the flag or the environment, stops run
// before anything listens, with an error naming the source and the problem.
func TestRun_badRegistrations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string { return devserver.WriteFile(t, dir, name, content) }
	missing := filepath.Join(dir, "missing.json")
	broken := write("broken.json", `{"platforms": [`)
	invalid := write("invalid.json", `{"platforms":[{"issuer":"https://lms.example"}]}`)
	unknownField := write("unknown.json", `{"platforms":[], "extra": 1}`)

	for _, tc := range []struct {
		name string
		args []string
		env  string
		want []string
	}{
		{"missing file", []string{"-registrations", missing}, "", []string{"-registrations", "missing.json", "no such file"}},
		{"broken JSON", []string{"-registrations", broken}, "", []string{"-registrations", "broken.json", "unexpected EOF"}},
		{"invalid registration", []string{"-registrations", invalid}, "", []string{"-registrations", "client_id is required"}},
		{"unknown field", []string{"-registrations", unknownField}, "", []string{"-registrations", `unknown field "extra"`}},
		{"from the environment", nil, broken, []string{tool.PlatformsEnv, "broken.json"}},
		{"flag wins over the environment", []string{"-registrations", invalid}, broken, []string{"-registrations", "invalid.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-addr", "127.0.0.1:0", "-platform-addr", "127.0.0.1:0", "-keys", filepath.Join(dir, "keys")}, tc.args...)
			var stdout strings.Builder
			err := run(context.Background(), args, devserver.Env(tc.env), &stdout, io.Discard)
			if err == nil {
				t.Fatal("run: got nil, want an error")
			}
			msg := err.Error()
			contains(t, "error", msg, append([]string{"cannot load the registrations file"}, tc.want...)...)
			if stdout.Len() != 0 {
				t.Errorf("run printed %q before failing", stdout.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "keys")); err == nil {
				t.Error("run created the key directory before checking the registrations")
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	noEnv := func(string) string { return "" }
	cfg, err := parseFlags(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8000" || cfg.PlatformAddr != "127.0.0.1:8001" || cfg.Registrations != "" ||
		cfg.KeyDir != filepath.Join(os.TempDir(), "ltikit-quickstart-keys") {
		t.Errorf("defaults: got %+v", cfg)
	}
	if _, err := parseFlags([]string{"extra"}, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), `"extra"`) {
		t.Errorf("extra argument: got %v", err)
	}
	if _, err := parseFlags([]string{"-nope"}, noEnv, io.Discard); err == nil {
		t.Error("unknown flag: got nil error")
	}
}
