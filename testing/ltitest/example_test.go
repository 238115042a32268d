package ltitest_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// A tool built with ltikit, launched by a fake platform as an instructor.
// This is the body of a test function: NewPlatform and Launch need its t,
// so the example is compiled but not run (TestIntegration_launch runs the
// same wiring).
func ExampleNewPlatform() {
	var t *testing.T // the test's t

	p := ltitest.NewPlatform(t)

	// The tool under test, with the platform's registration. Its URL must
	// be known before tool.New, so the listener comes first.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
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
	tl, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()

	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		fmt.Fprintf(w, "hello %s, instructor: %v", l.Subject, l.Roles.IsInstructor())
	})))
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	defer srv.Close()

	// The platform posts id_tokens only to registered redirect URIs.
	p.SetRedirectURIs(base + "/lti/launch")

	resp := p.Launch(t, base+"/lti/login", ltitest.Message{
		UserID: "teacher-1",
		Roles:  tool.Roles{tool.RoleInstructor},
	})
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body)) // 200 hello teacher-1, instructor: true

	if v := p.Violations(); len(v) > 0 {
		t.Errorf("the tool's authentication request broke the spec: %v", v)
	}
}

// Moodle's quirks, and a negative test: the tool must refuse an expired
// token.
func ExampleMoodle() {
	var t *testing.T // the test's t
	var loginURL string

	p := ltitest.NewPlatform(t, ltitest.Moodle())
	resp := p.Launch(t, loginURL, ltitest.Message{
		Mutate: func(claims map[string]any) { claims["exp"] = 1 },
	})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired token: got %s, want 401", resp.Status)
	}
}

// A person's launch, driven from Go: the platform's launch page starts the
// launch of the demo course as Ian Instructor, and an http.Client with a
// cookie jar plays the browser in the page's iframe. Start needs no test,
// so this example runs; the quickstart example serves the same wiring to a
// real browser.
func ExampleStart() {
	// The tool's server comes first: the platform must know its URLs.
	srv := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1
	base := "http://" + srv.Listener.Addr().String()

	p, err := ltitest.Start(
		ltitest.WithLoginURL(base+"/lti/login"),
		ltitest.WithRedirectURIs(base+"/lti/launch"),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	// The tool, with the platform's registration.
	key, err := jwks.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	regs, err := tool.NewMemoryPlatforms(p.Registration())
	if err != nil {
		log.Fatal(err)
	}
	tl, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: keys})
	if err != nil {
		log.Fatal(err)
	}
	defer tl.Close()
	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		fmt.Fprintf(w, "Hello %s in %s (instructor: %v, level %s)",
			l.Name, l.Context.Title, l.Roles.IsInstructor(), l.Custom["level"])
	})))
	srv.Config.Handler = mux
	srv.Start()
	defer srv.Close()

	// The browser: the iframe loads /launch?user=ian, whose form starts the
	// login at the tool; the tool redirects to the platform's auth
	// endpoint, whose form posts the id_token to the tool.
	jar, err := cookiejar.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(p.URL + "/launch?user=ian")
	if err != nil {
		log.Fatal(err)
	}
	resp, err = ltitest.FollowForms(browser, resp)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 Hello Ian Instructor in Physics 101 (instructor: true, level 2)
}
