package ltitest_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// A deep-linking test: the teacher picks a quiz in the tool's catalog and
// the platform, as strict as an LMS can be, records the graded activity.
// Like ExampleNewPlatform this is the body of a test function, compiled
// but not run (TestDeepLink_EndToEnd runs the same flow).
func ExamplePlatform_DeepLink() {
	var t *testing.T // the test's t

	p := ltitest.NewPlatform(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	base := "http://" + l.Addr().String()
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	regs, _ := tool.NewMemoryPlatforms(p.Registration())
	tl, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()

	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		// The catalog: its form carries the launch to the next request.
		fmt.Fprintf(w, `<form method="post" action="%s"><button name="quiz" value="7">Quiz 7</button></form>`, l.Link("/pick"))
	})))
	mux.Handle("/pick", middleware.Session(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		quiz := r.FormValue("quiz")
		err := tl.DeepLinkResponse(l).Add(tool.ResourceLinkItem{
			Title: "Quiz " + quiz, URL: base + "/quiz/" + quiz,
			LineItem: &tool.LineItem{ScoreMaximum: 10},
		}).Write(r.Context(), w)
		if err != nil {
			tl.ServeError(w, r, err)
		}
	})))
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	defer srv.Close()

	p.SetRedirectURIs(base + "/lti/launch")
	p.SetToolJWKSURL(base + "/jwks") // the platform verifies the response with the tool's keys

	res := p.DeepLink(t, base+"/lti/login", ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}},
		func(c *http.Client, catalog *http.Response) *http.Response {
			// The teacher picks quiz 7. (The catalog's form also names the
			// launch, ?launch=ID; without it middleware.Session takes the
			// browser's latest launch.)
			resp, err := c.PostForm(base+"/pick", url.Values{"quiz": {"7"}})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		})
	if !res.Accepted() {
		t.Fatalf("the platform refused the response: %v", res.Violations)
	}
	items := p.DeepLinkItems()
	fmt.Println(items[0].Title, items[0].LineItem.ScoreMaximum) // Quiz 7 10
}
