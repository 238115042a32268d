package dynreg_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/dynreg"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// fileTool is a tool serving login, launch, keys and dynamic registration
// over httptest, with its registrations in a JSON file.
type fileTool struct {
	URL  string
	regs *tool.FilePlatforms
}

// startFileTool starts a tool on the registrations file path (created
// empty when missing) at the address of srv, as a restarted process would.
func startFileTool(t *testing.T, path string, edit func(*dynreg.Config)) *fileTool {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		if err := os.WriteFile(path, []byte(`{"platforms": []}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	regs, err := tool.OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	keys, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	tl, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: srv.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	cfg := dynreg.Config{Tool: tl, Name: "Quiz Tool", Grades: true, Roster: true, DeepLinkingURL: srv.URL + "/lti/launch"}
	if edit != nil {
		edit(&cfg)
	}
	reg, err := dynreg.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	home := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		io.WriteString(w, "hello "+l.Subject+" via "+l.ClientID+" deployment "+l.DeploymentID)
	})
	mux.Handle("/lti/register", reg)
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(home))
	mux.Handle("/.well-known/jwks.json", tl.JWKSHandler())
	return &fileTool{URL: srv.URL, regs: regs}
}

func launchBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestEndToEnd_RegisterThenLaunch is the whole story: the LMS
// administrator pastes the registration URL and confirms, the tool
// registers itself, and a launch through the new registration verifies, in
// this process and after a restart.
func TestEndToEnd_RegisterThenLaunch(t *testing.T) {
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	path := filepath.Join(t.TempDir(), "registrations.json")
	app := startFileTool(t, path, nil)

	reg := p.Register(t, app.URL+"/lti/register")
	if reg.ClientID == p.ClientID || reg.DeploymentID != "2" {
		t.Errorf("registered as client %q, deployment %q; want a new client and deployment 2", reg.ClientID, reg.DeploymentID)
	}
	stored, err := app.regs.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := reg.Registration(); len(stored) != 1 || !reflect.DeepEqual(stored[0], want) {
		t.Errorf("stored registrations\n got %+v\nwant [%+v]", stored, want)
	}
	req := reg.RegistrationRequest()
	if req["scope"] == "" || req["initiate_login_uri"] != app.URL+"/lti/login" {
		t.Errorf("the platform recorded the registration %v", req)
	}

	want := "hello 4 via " + reg.ClientID + " deployment 2"
	res := reg.Launch(t, app.URL+"/lti/login", ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}})
	if got := launchBody(t, res); res.StatusCode != http.StatusOK || got != want {
		t.Fatalf("launch through the new registration: %s %q, want 200 %q", res.Status, got, want)
	}
	if v := p.Violations(); len(v) != 0 {
		t.Errorf("the tool's authentication requests broke the platform's rules: %v", v)
	}

	// The platform's original registration is not the tool's: refused.
	p.SetRedirectURIs(app.URL + "/lti/launch")
	res = p.Launch(t, app.URL+"/lti/login", ltitest.Message{})
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("LTI-Error-Code") != string(tool.CodeUnknownPlatform) {
		t.Errorf("launch through a registration the tool never made: %s %s", res.Status, res.Header.Get("LTI-Error-Code"))
	}

	// A restarted tool reads the registration from the file.
	restarted := startFileTool(t, path, nil)
	reg.SetRedirectURIs(restarted.URL + "/lti/launch")
	res = reg.Launch(t, restarted.URL+"/lti/login", ltitest.Message{})
	if got := launchBody(t, res); res.StatusCode != http.StatusOK || !strings.HasPrefix(got, "hello 4 via "+reg.ClientID) {
		t.Errorf("launch after a restart: %s %q", res.Status, got)
	}
}

func TestEndToEnd_PendingUntilApproved(t *testing.T) {
	p := ltitest.NewPlatform(t)
	app := startFileTool(t, filepath.Join(t.TempDir(), "registrations.json"), func(c *dynreg.Config) { c.RequireApproval = true })
	reg := p.Register(t, app.URL+"/lti/register")

	res := reg.Launch(t, app.URL+"/lti/login", ltitest.Message{})
	if res.StatusCode != http.StatusForbidden || res.Header.Get("LTI-Error-Code") != string(tool.CodeInactivePlatform) {
		t.Fatalf("launch before approval: %s %s, want 403 %s", res.Status, res.Header.Get("LTI-Error-Code"), tool.CodeInactivePlatform)
	}
	if err := tool.Approve(context.Background(), app.regs, reg.URL, reg.ClientID); err != nil {
		t.Fatal(err)
	}
	res = reg.Launch(t, app.URL+"/lti/login", ltitest.Message{})
	if got := launchBody(t, res); res.StatusCode != http.StatusOK {
		t.Fatalf("launch after approval: %s %q", res.Status, got)
	}
	if err := tool.Disable(context.Background(), app.regs, reg.URL, reg.ClientID); err != nil {
		t.Fatal(err)
	}
	if res := reg.Launch(t, app.URL+"/lti/login", ltitest.Message{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("launch after Disable: %s, want 403", res.Status)
	}
	if err := app.regs.Remove(context.Background(), reg.URL, reg.ClientID); err != nil {
		t.Fatal(err)
	}
	if res := reg.Launch(t, app.URL+"/lti/login", ltitest.Message{}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("launch after Remove: %s, want 400", res.Status)
	}
}

// TestEndToEnd_RegistrationTokenIsSingleUse opens the same registration
// URL twice, as an administrator reloading the page after registering does.
func TestEndToEnd_RegistrationTokenIsSingleUse(t *testing.T) {
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	app := startFileTool(t, filepath.Join(t.TempDir(), "registrations.json"), nil)
	u := p.RegistrationURL(t, app.URL+"/lti/register")
	c := &http.Client{}
	for i, want := range []string{"is registered", "already completed"} {
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		page := readBody(t, res)
		res, err = c.PostForm(app.URL+"/lti/register", map[string][]string{"confirmation": {confirmation(t, page)}})
		if err != nil {
			t.Fatal(err)
		}
		if page := readBody(t, res); !strings.Contains(text(page), want) {
			t.Errorf("registration %d: %s, want %q: %s", i+1, res.Status, want, text(page))
		}
	}
	if ps, _ := app.regs.List(context.Background()); len(ps) != 1 {
		t.Errorf("%d registrations stored, want 1", len(ps))
	}
}
