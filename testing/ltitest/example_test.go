package ltitest_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
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
