package dynreg_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/dynreg"
	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

// fixture is one recorded HTTP exchange of testdata/.
type fixture struct {
	Request struct {
		Method  string              `json:"method"`
		URL     string              `json:"url"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
	} `json:"request"`
	Response struct {
		Status  int                 `json:"status"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
	} `json:"response"`
}

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// moodleIssuer is the issuer of the recorded Moodle.
const moodleIssuer = "http://127.0.0.1:8081"

// Moodle's paths.
const (
	configPath   = "/mod/lti/openid-configuration.php"
	registerPath = "/mod/lti/openid-registration.php"
)

// platform is a fake LMS on 127.0.0.1 answering with the recorded
// Moodle's configuration and registration, with the recorded issuer
// replaced by its own URL. Tests change its answers.
type platform struct {
	srv *httptest.Server
	URL string

	mu          sync.Mutex
	config      string           // the configuration's body, with URL for the recorded issuer
	configCode  int              // its status
	register    http.HandlerFunc // the registration endpoint
	configCalls []*http.Request
	regCalls    []recorded
}

// recorded is a request with its body.
type recorded struct {
	Header http.Header
	Method string
	Body   []byte
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	p := &platform{configCode: http.StatusOK}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	p.config = p.moodle(loadFixture(t, "03_dynreg_openid_configuration.json").Response.Body)
	p.register = p.answer(loadFixture(t, "06_dynreg_client_registration_post.json"))
	return p
}

// moodle replaces the recorded issuer in s by the fake platform's URL.
func (p *platform) moodle(s string) string {
	s = strings.ReplaceAll(s, moodleIssuer, p.URL)
	return strings.ReplaceAll(s, strings.ReplaceAll(moodleIssuer, "/", `\/`), strings.ReplaceAll(p.URL, "/", `\/`))
}

// answer replays a recorded answer.
func (p *platform) answer(f fixture) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range f.Response.Headers {
			w.Header()[k] = vs
		}
		w.WriteHeader(f.Response.Status)
		io.WriteString(w, p.moodle(f.Response.Body))
	}
}

func (p *platform) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.URL.Path {
	case configPath:
		p.configCalls = append(p.configCalls, r)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(p.configCode)
		io.WriteString(w, p.config)
	case registerPath:
		body, _ := io.ReadAll(r.Body)
		p.regCalls = append(p.regCalls, recorded{Header: r.Header.Clone(), Method: r.Method, Body: body})
		p.register(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *platform) setConfig(mutate func(map[string]any)) {
	var m map[string]any
	if err := json.Unmarshal([]byte(p.config), &m); err != nil {
		panic(err)
	}
	mutate(m)
	b, _ := json.Marshal(m)
	p.mu.Lock()
	p.config = string(b)
	p.mu.Unlock()
}

func (p *platform) registrations() []recorded {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]recorded(nil), p.regCalls...)
}

// testKeys is the tools' key ring, generated once: RSA keys are slow to make.
var testKeys = sync.OnceValues(func() (*jwks.KeyRing, error) {
	key, err := jwks.GenerateKey()
	if err != nil {
		return nil, err
	}
	return jwks.NewKeyRing(key)
})

// app is a tool serving dynamic registration at /lti/register.
type app struct {
	URL     string
	tool    *tool.Tool
	regs    *tool.MemoryPlatforms
	handler *dynreg.Handler
	client  *http.Client
}

// newApp starts a tool; edit changes the registration handler's Config
// (Tool and Registrations are set).
func newApp(t *testing.T, edit func(*dynreg.Config), toolEdit ...func(*tool.Config)) *app {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(siteHeaders(mux))
	t.Cleanup(srv.Close)
	regs, err := tool.NewMemoryPlatforms()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	tc := tool.Config{Platforms: regs, Keys: keys, BaseURL: srv.URL, Logger: slog.New(slog.DiscardHandler)}
	for _, e := range toolEdit {
		e(&tc)
	}
	tl, err := tool.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	cfg := dynreg.Config{Tool: tl, Name: "Quiz Tool", Description: "Quizzes for courses",
		LogoURL: srv.URL + "/logo.png", DeepLinkingURL: srv.URL + "/lti/deeplink", Grades: true, Roster: true}
	if edit != nil {
		edit(&cfg)
	}
	h, err := dynreg.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/lti/register", h)
	return &app{URL: srv.URL, tool: tl, regs: regs, handler: h, client: srv.Client()}
}

// sitePolicy is the Content-Security-Policy the starter project's
// middleware sets on every page, which allows no inline script.
const sitePolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors *"

// siteHeaders sets sitePolicy before calling next, as the starter
// project's middleware does: the registration pages must replace it.
func siteHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", sitePolicy)
		next.ServeHTTP(w, r)
	})
}

// start opens the registration URL as the LMS does.
func (a *app) start(t *testing.T, p *platform, token string) (*http.Response, string) {
	t.Helper()
	q := url.Values{"openid_configuration": {p.URL + configPath}}
	if token != "" {
		q.Set("registration_token", token)
	}
	return a.get(t, "/lti/register?"+q.Encode())
}

func (a *app) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := a.client.Get(a.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return res, readBody(t, res)
}

// post submits the confirmation form as a browser does from the page.
func (a *app) post(t *testing.T, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/lti/register", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := a.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, readBody(t, res)
}

// register runs start and confirms.
func (a *app) register(t *testing.T, p *platform, token string) (*http.Response, string) {
	t.Helper()
	res, page := a.start(t, p, token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("registration page: %s: %s", res.Status, text(page))
	}
	return a.post(t, url.Values{"confirmation": {confirmation(t, page)}})
}

func (a *app) stored(t *testing.T) []tool.Platform {
	t.Helper()
	ps, err := a.regs.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

var confirmationRE = regexp.MustCompile(`name="confirmation" value="([^"]+)"`)

// confirmation returns the single-use token of a confirmation page.
func confirmation(t *testing.T, page string) string {
	t.Helper()
	m := confirmationRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no confirmation token on the page: %s", text(page))
	}
	return m[1]
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// text is a page without tags and extra space, for messages and matching.
func text(page string) string {
	return html.UnescapeString(strings.Join(strings.Fields(tagRE.ReplaceAllString(page, " ")), " "))
}

// moodleToken is the registration token of the recording.
func moodleToken(t testing.TB) string {
	t.Helper()
	f := loadFixture(t, "06_dynreg_client_registration_post.json")
	return strings.TrimPrefix(f.Request.Headers["Authorization"][0], "Bearer ")
}

// closes reports whether page posts the close message (DR-09).
func closes(page string) bool {
	return strings.Contains(page, `(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*")`)
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
