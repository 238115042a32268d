package tool_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// exampleLab serves mux at a local address and starts a fake platform
// that launches it, with a tool registered with that platform. stop ends
// all three.
func exampleLab(routes func(t *tool.Tool, mux *http.ServeMux)) (base string, p *ltitest.Platform, stop func()) {
	srv := httptest.NewUnstartedServer(nil)
	base = "http://" + srv.Listener.Addr().String()
	p, err := ltitest.Start(ltitest.WithLoginURL(base+"/lti/login"), ltitest.WithRedirectURIs(base+"/lti/launch"))
	if err != nil {
		log.Fatal(err)
	}
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	regs, _ := tool.NewMemoryPlatforms(p.Registration())
	t, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: keys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/lti/login", t.LoginHandler())
	routes(t, mux)
	srv.Config.Handler = mux
	srv.Start()
	return base, p, func() { srv.Close(); t.Close(); p.Close() }
}

// launchAs has the fake platform launch the tool as a demo user in a new
// browser, and returns the browser and the tool's answer.
func launchAs(p *ltitest.Platform, user string) (*http.Client, string) {
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(p.URL + "/launch?user=" + user) // the LMS's iframe
	if err == nil {
		resp, err = ltitest.FollowForms(browser, resp)
	}
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return browser, string(body)
}

// A launch handler without the middleware: VerifyLaunch runs every check
// of the platform's form post and returns the typed launch, or a
// *tool.Error naming the failed check. It consumes the login's state and
// nonce but stores nothing for follow-up requests (HandleLaunch does).
func ExampleTool_VerifyLaunch() {
	_, p, stop := exampleLab(func(t *tool.Tool, mux *http.ServeMux) {
		mux.HandleFunc("POST /lti/launch", func(w http.ResponseWriter, r *http.Request) {
			l, err := t.VerifyLaunch(r)
			if err != nil {
				t.ServeError(w, r, err) // logs, and shows the administrator the failed check
				return
			}
			fmt.Fprintf(w, "%s from %s in %s", l.MessageType, l.Name, l.Context.Title)
		})
	})
	defer stop()

	_, page := launchAs(p, "ada")
	fmt.Println(page)
	// Output: LtiResourceLinkRequest from Ada Learner in Physics 101
}

// Follow-up requests without middleware.Session: the launch handler stores
// the launch with HandleLaunch and links onward with l.Link; SessionLaunch
// restores the launch the request names, which must have its cookie in
// this browser.
func ExampleTool_SessionLaunch() {
	base, p, stop := exampleLab(func(t *tool.Tool, mux *http.ServeMux) {
		mux.HandleFunc("POST /lti/launch", func(w http.ResponseWriter, r *http.Request) {
			l, err := t.HandleLaunch(w, r)
			if err != nil {
				t.ServeError(w, r, err)
				return
			}
			fmt.Fprint(w, l.Link("/app/grades")) // the page's link to the next one
		})
		mux.HandleFunc("GET /app/grades", func(w http.ResponseWriter, r *http.Request) {
			l, err := t.SessionLaunch(r)
			if err != nil {
				t.ServeError(w, r, err)
				return
			}
			fmt.Fprintf(w, "grades of %s for %s", l.Context.Title, l.Name)
		})
	})
	defer stop()

	browser, next := launchAs(p, "ian")
	for _, c := range []*http.Client{browser, http.DefaultClient} { // the launching browser, then another
		resp, err := c.Get(base + next)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body = []byte(resp.Header.Get("LTI-Error-Code"))
		}
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 grades of Physics 101 for Ian Instructor
	// 401 no_session
}

// The registrations file (docs/registrations.md) lists the platforms the
// tool accepts launches from. OpenPlatforms validates it, and re-reads it
// when it changes on disk.
func ExampleOpenPlatforms() {
	dir, err := os.MkdirTemp("", "ltikit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "registrations.json")
	err = os.WriteFile(path, []byte(`{
  "platforms": [
    {
      "issuer": "https://moodle.example.edu",
      "client_id": "2T1DmxSUCu2ZSuu",
      "deployment_ids": ["1"],
      "auth_url": "https://moodle.example.edu/mod/lti/auth.php",
      "token_url": "https://moodle.example.edu/mod/lti/token.php",
      "jwks_url": "https://moodle.example.edu/mod/lti/certs.php"
    }
  ]
}`), 0o600)
	if err != nil {
		log.Fatal(err)
	}

	regs, err := tool.OpenPlatforms(path) // give regs to tool.Config.Platforms
	if err != nil {
		log.Fatal(err)
	}
	p, err := regs.Platform(context.Background(), "https://moodle.example.edu", "") // the issuer's only registration
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ClientID, p.Deployments, p.Active())
	// Output: 2T1DmxSUCu2ZSuu [1] true
}
