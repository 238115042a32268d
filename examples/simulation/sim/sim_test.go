package sim_test

import (
	"bytes"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/examples/simulation/sim"
	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// lab is the simulation served to a fake platform.
type lab struct {
	p   *ltitest.Platform
	app *sim.App
	url string
	log *syncBuffer // the lab's log
}

// syncBuffer is a bytes.Buffer for a logger on other goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// flush waits until the outbox delivered the grades.
func (lb *lab) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lb.app.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
}

func startLab(t *testing.T, opts ...ltitest.Option) *lab {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	p := ltitest.NewPlatform(t, append(opts, ltitest.WithRedirectURIs(base+"/lti/launch"),
		ltitest.WithToolJWKSURL(base+"/.well-known/jwks.json"))...)
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	regs, err := tool.NewMemoryPlatforms(p.Registration())
	if err != nil {
		t.Fatal(err)
	}
	lb := &lab{p: p, url: base, log: &syncBuffer{}}
	lb.app, err = sim.New(sim.Config{BaseURL: base, Platforms: regs, Keys: keys, Scores: outbox.NewMemoryStore(),
		Logger: slog.New(slog.NewTextHandler(lb.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := lb.app.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: lb.app}}
	srv.Start()
	t.Cleanup(srv.Close)
	return lb
}

// launch launches m in a fresh browser and returns it with the page.
func (lb *lab) launch(t *testing.T, m ltitest.Message) (*ltitest.Browser, string) {
	t.Helper()
	b := lb.p.NewBrowser(t)
	resp := b.Launch(lb.url+"/lti/login", m)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("launch: %s %s", resp.Status, body)
	}
	return b, string(body)
}

var (
	configAttr  = regexp.MustCompile(`data-config="([^"]+)"`)
	previewLink = regexp.MustCompile(`href="([^"]+)" id="preview-lab"`)
)

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, b)
	}
	return string(b)
}

// labConfig is what the lab page gives its script.
type labConfig struct {
	Gravity, Height, Tolerance float64
	Targets                    []float64
	Shots                      int
	AttemptURL                 string
}

func pageConfig(t *testing.T, page string) labConfig {
	t.Helper()
	m := configAttr.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no lab config in the page:\n%s", page)
	}
	var c labConfig
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// play returns an attempt's shots: at 45°, misses[i] shots short of target
// i, then a hit.
func play(t *testing.T, c labConfig, misses ...int) [][]sim.Shot {
	t.Helper()
	s := sim.Scenario{Gravity: c.Gravity, Height: c.Height, Targets: c.Targets, Tolerance: c.Tolerance, Shots: c.Shots}
	var shots [][]sim.Shot
	for i, d := range c.Targets {
		v, ok := s.Aim(45, d)
		if !ok {
			t.Fatalf("target %v out of range", d)
		}
		var at []sim.Shot
		for range misses[i] {
			at = append(at, sim.Shot{Angle: 45, Speed: v * 0.7})
		}
		shots = append(shots, append(at, sim.Shot{Angle: 45, Speed: v}))
	}
	return shots
}

// attemptResult is the lab's answer to an attempt.
type attemptResult struct {
	ScoreGiven float64
	Graded     bool
	Retry      bool
	Message    string
	Error      string
}

func postAttempt(t *testing.T, c *http.Client, u, body string) (int, attemptResult) {
	t.Helper()
	resp, err := c.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r attemptResult
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &r); err != nil && resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("attempt answer %s %q: %v", resp.Status, b, err)
	}
	return resp.StatusCode, r
}

func shotsJSON(t *testing.T, shots [][]sim.Shot) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"shots": shots})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func learner(custom map[string]any) ltitest.Message {
	return ltitest.Message{UserID: "user-1", Name: "Lee Learner", GivenName: "Lee", AGS: true, NRPS: true, Custom: custom}
}

// profiles are the platforms the lab's main paths run against: the spec
// platform and Moodle (ltitest.Moodle: numeric ids, aud as a string, its
// custom claim, its service answers), with the resource link each
// launches by default and its default course's other members.
var profiles = []struct {
	name       string
	opts       []ltitest.Option
	link       string
	classmates []string // the learners besides the one launched
	teacher    string   // the course's instructor
}{
	{"spec", nil, "rl-1", []string{"Kim Learner", "Pat Learner"}, "Ivy Instructor"},
	{"moodle", []ltitest.Option{ltitest.Moodle()}, "1", []string{"Sam Student", "Sally Scholar"}, "Terry Teacher"},
}

// A learner plays, gets graded, plays again: the platform keeps the
// latest score, Completed and FullyGraded.
func TestLab_gradeAndRetry(t *testing.T) {
	t.Parallel()
	for _, pf := range profiles {
		t.Run(pf.name, func(t *testing.T) {
			t.Parallel()
			lb := startLab(t, pf.opts...)
			b, page := lb.launch(t, learner(map[string]any{"scenario": "cliff"}))
			if !strings.Contains(page, "<h1>Activity</h1>") || !strings.Contains(page, "30 m above the targets") {
				t.Errorf("lab page:\n%s", page)
			}
			c := pageConfig(t, page)
			for _, round := range []struct {
				misses []int
				want   float64
			}{{[]int{0, 0, 0}, 100}, {[]int{1, 0, 2}, 50}} {
				status, r := postAttempt(t, b.Client(), lb.url+c.AttemptURL, shotsJSON(t, play(t, c, round.misses...)))
				if status != http.StatusOK || !r.Graded || r.ScoreGiven != round.want {
					t.Fatalf("attempt: got %d %+v, want %v graded", status, r, round.want)
				}
				lb.flush(t)
				li, _ := lb.p.Gradebook().LineItemFor(pf.link)
				s := li.Scores["user-1"]
				if g, ok := s.Grade(); !ok || g != round.want || s.ActivityProgress != "Completed" || *s.ScoreMaximum != 100 {
					t.Errorf("gradebook: got %+v, want %v Completed FullyGraded", s, round.want)
				}
			}
		})
	}
}

// What the lab does not grade, and what it refuses.
func TestLab_attemptRefusals(t *testing.T) {
	t.Parallel()
	lb := startLab(t)
	b, page := lb.launch(t, learner(nil))
	c := pageConfig(t, page)
	good := shotsJSON(t, play(t, c, 0, 0, 0))
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"not JSON", "shots", http.StatusBadRequest, "not valid JSON"},
		{"unknown field", `{"shots":[],"score":100}`, http.StatusBadRequest, "unknown field"},
		{"two documents", good + good, http.StatusOK, ""}, // the first is read; the rest ignored
		{"unfinished", shotsJSON(t, play(t, c, 0, 0, 0)[:2]), http.StatusBadRequest, "not finished"},
		{"a shot out of range", `{"shots":[[{"angle":45,"speed":500}],[{"angle":45,"speed":5}],[{"angle":45,"speed":5}]]}`, http.StatusBadRequest, "out of range"},
		{"too big", `{"shots":[` + strings.Repeat(" ", 70<<10) + `]}`, http.StatusBadRequest, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, r := postAttempt(t, b.Client(), lb.url+c.AttemptURL, tc.body)
			if status != tc.status || !strings.Contains(r.Error, tc.want) {
				t.Errorf("got %d %+v, want %d %q", status, r, tc.status, tc.want)
			}
		})
	}
	// Without the launch session.
	if status, _ := postAttempt(t, &http.Client{}, lb.url+"/app/attempt", good); status != http.StatusUnauthorized {
		t.Errorf("attempt without session: got %d, want 401", status)
	}
}

// Who is graded: learners with the grade service. A grade the LMS refuses
// for good is logged.
func TestLab_grading(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		m         ltitest.Message
		fault     *ltitest.Fault
		graded    bool
		want      string
		delivered bool
		logged    string
	}{
		{"learner", learner(nil), nil, true, "on its way", true, ""},
		{"instructor previewing", ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}, AGS: true}, nil, false, "Preview", false, ""},
		{"no grade service", ltitest.Message{}, nil, false, "no grade service", false, ""},
		{"the LMS refusing", learner(nil), &ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: http.StatusForbidden},
			true, "on its way", false, "the LMS refused a grade"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lb := startLab(t)
			if tc.fault != nil {
				lb.p.InjectFault(*tc.fault)
			}
			b, page := lb.launch(t, tc.m)
			if m := previewLink.FindStringSubmatch(page); m != nil { // the instructor's page
				page = get(t, b.Client(), lb.url+html.UnescapeString(m[1]))
			}
			c := pageConfig(t, page)
			status, r := postAttempt(t, b.Client(), lb.url+c.AttemptURL, shotsJSON(t, play(t, c, 0, 0, 0)))
			if status != http.StatusOK || r.Graded != tc.graded || r.Retry || !strings.Contains(r.Message, tc.want) {
				t.Errorf("got %d %+v, want graded %v %q", status, r, tc.graded, tc.want)
			}
			lb.flush(t)
			li, _ := lb.p.Gradebook().LineItemFor("rl-1")
			if _, delivered := li.Scores[tc.m.UserID]; delivered != tc.delivered && tc.m.UserID != "" {
				t.Errorf("in the gradebook: %v, want %v", delivered, tc.delivered)
			}
			if !strings.Contains(lb.log.String(), tc.logged) {
				t.Errorf("the lab's log lacks %q:\n%s", tc.logged, lb.log)
			}
		})
	}
}

// The lab needs a store for the grades.
func TestNew_noScoreStore(t *testing.T) {
	t.Parallel()
	if _, err := sim.New(sim.Config{BaseURL: "http://localhost:1"}); !errors.Is(err, sim.ErrNoScoreStore) {
		t.Errorf("got %v, want ErrNoScoreStore", err)
	}
}

// The instructor adds scenarios by deep linking: resource links with the
// scenario in their custom parameters and a line item each.
func TestLab_deepLinking(t *testing.T) {
	t.Parallel()
	for _, pf := range profiles {
		t.Run(pf.name, func(t *testing.T) {
			t.Parallel()
			lb := startLab(t, pf.opts...)
			res := lb.p.DeepLink(t, lb.url+"/lti/login", ltitest.Message{Type: tool.DeepLinkingRequest, Roles: tool.Roles{tool.RoleInstructor}},
				func(c *http.Client, catalog *http.Response) *http.Response {
					body, _ := io.ReadAll(catalog.Body)
					m := regexp.MustCompile(`<form method="post" action="([^"]+)" id="catalog">`).FindSubmatch(body)
					if m == nil || !strings.Contains(string(body), "Moon base") {
						t.Fatalf("catalog:\n%s", body)
					}
					resp, err := c.PostForm(lb.url+html.UnescapeString(string(m[1])), url.Values{"scenario": {"moon", "mars", "nope"}})
					if err != nil {
						t.Fatal(err)
					}
					return resp
				})
			if !res.Accepted() || len(res.Items) != 2 || res.Msg != "Moon base and Mars crater added" {
				t.Fatalf("deep-linking response: %+v", res)
			}
			moon := res.Items[0]
			if moon.Type != tool.TypeResourceLink || moon.Title != "Moon base" || moon.Custom["scenario"] != "moon" || moon.Custom["gravity"] != "1.62" ||
				moon.LineItem == nil || moon.LineItem.ScoreMaximum != 100 || moon.LineItem.ResourceID != "moon" || moon.LineItem.Tag != "projectile-lab" {
				t.Errorf("item: %+v line item %+v", moon, moon.LineItem)
			}
		})
	}
}

// The instructor's launch lists the class from the roster with each
// learner's result from the gradebook.
func TestLab_class(t *testing.T) {
	t.Parallel()
	for _, pf := range profiles {
		t.Run(pf.name, func(t *testing.T) {
			t.Parallel()
			lb := startLab(t, pf.opts...)
			b, page := lb.launch(t, learner(nil))
			c := pageConfig(t, page)
			if status, r := postAttempt(t, b.Client(), lb.url+c.AttemptURL, shotsJSON(t, play(t, c, 1, 0, 0))); !r.Graded {
				t.Fatalf("attempt: %d %+v", status, r)
			}
			lb.flush(t)
			_, class := lb.launch(t, ltitest.Message{UserID: "instructor-1", Roles: tool.Roles{tool.RoleInstructor}, AGS: true, NRPS: true})
			for _, want := range append([]string{"Class results", "Lee Learner", "75 / 100", "3 of 3 targets hit in 4 shots", "Answer key", "14.0 m/s"},
				pf.classmates...) {
				if !strings.Contains(class, want) {
					t.Errorf("class page lacks %q:\n%s", want, class)
				}
			}
			if strings.Contains(class, pf.teacher) {
				t.Errorf("class page lists the instructor:\n%s", class)
			}

			// Without the services, the page says what is missing.
			_, class = lb.launch(t, ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}})
			for _, want := range []string{"no_grade_service", "no_roster_service"} {
				if !strings.Contains(class, want) {
					t.Errorf("class page without services lacks %q:\n%s", want, class)
				}
			}
		})
	}
}

// A broken scenario in the custom parameters names the parameter to fix.
func TestLab_brokenScenario(t *testing.T) {
	t.Parallel()
	lb := startLab(t)
	resp := lb.p.Launch(t, lb.url+"/lti/login", learner(map[string]any{"gravity": "strong"}))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "gravity=") {
		t.Errorf("got %s:\n%s", resp.Status, body)
	}
}
