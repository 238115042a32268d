package middleware_test

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// A tool's routes: Launch verifies the platform's launch and hands the
// typed launch to the page; Session restores it on follow-up requests inside
// the LMS iframe (links carry it with l.Link); RequireRole keeps learners out
// of the instructor's pages. The fake platform plays the LMS.
func Example() {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	p, err := ltitest.Start(ltitest.WithLoginURL(base+"/lti/login"), ltitest.WithRedirectURIs(base+"/lti/launch"))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	regs, _ := tool.NewMemoryPlatforms(p.Registration())
	t, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: keys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()

	home := func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		fmt.Fprint(w, l.Link("/app/grades")) // the next page, tied to this launch
	}
	grades := func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		fmt.Fprintf(w, "grades of %s for %s", l.Context.Title, l.Name)
	}
	mux := http.NewServeMux()
	mux.Handle("/lti/login", t.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(home)))
	mux.Handle("/app/grades", middleware.Session(t)(middleware.RequireRole(tool.RoleInstructor)(http.HandlerFunc(grades))))
	srv.Config.Handler = mux
	srv.Start()
	defer srv.Close()

	for _, user := range []string{"ian", "ada"} { // an instructor, then a learner
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar}
		resp, err := browser.Get(p.URL + "/launch?user=" + user) // the LMS's iframe
		if err == nil {
			resp, err = ltitest.FollowForms(browser, resp)
		}
		if err != nil {
			log.Fatal(err)
		}
		next, _ := io.ReadAll(resp.Body)
		resp, err = browser.Get(base + string(next))
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			body = []byte(resp.Header.Get("LTI-Error-Code"))
		}
		fmt.Println(user, resp.StatusCode, string(body))
	}
	// Output:
	// ian 200 grades of Physics 101 for Ian Instructor
	// ada 403 forbidden_role
}

// RequireMessageType keeps a deep-linking picker from being opened by any
// other launch. In the tool it sits behind Session:
//
//	mux.Handle("/app/picker", middleware.Session(t)(middleware.RequireMessageType(tool.DeepLinkingRequest)(picker)))
//
// Here the launches are put straight into the request context, as a
// handler's unit test does.
func ExampleRequireMessageType() {
	picker := middleware.RequireMessageType(tool.DeepLinkingRequest)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "choose the activities to add")
	}))
	for _, mt := range []tool.MessageType{tool.DeepLinkingRequest, tool.ResourceLinkRequest} {
		r := httptest.NewRequest(http.MethodGet, "/app/picker", nil)
		r = r.WithContext(tool.ContextWithLaunch(r.Context(), &tool.Launch{MessageType: mt}))
		w := httptest.NewRecorder()
		picker.ServeHTTP(w, r)
		fmt.Println(mt, w.Code, strings.TrimSpace(w.Body.String()))
	}
	// Output:
	// LtiDeepLinkingRequest 200 choose the activities to add
	// LtiResourceLinkRequest 403 tool: wrong_message_type (message_type): this page cannot be opened by a LtiResourceLinkRequest
}
