// Package ltitest implements a fake LTI 1.3 platform for tests, in the style
// of net/http/httptest and go-oidc's oidctest.
//
// For convenience, functions that take a testing.TB call t.Fatal rather
// than returning errors. Outside tests, [Start] runs the same platform for
// demos and development (see "Launch page" below); it is NOT hardened for
// production.
//
// A [Platform] is an LMS on a local HTTP server: it publishes its keys
// (/jwks), checks the tool's OIDC authentication requests as strictly as
// Moodle does (/auth), and signs id_tokens. [Platform.Launch] drives the whole
// launch like a browser: the login initiation to the tool, the tool's redirect
// to the auth endpoint, and the auto-submitting form that posts the id_token
// back to the tool. It returns the tool's answer to that form post.
//
//	func TestLaunch(t *testing.T) {
//		p := ltitest.NewPlatform(t)
//		tl, err := tool.New(tool.Config{Platforms: ..., Keys: ..., BaseURL: ...}) // with p.Registration()
//		// ...
//		srv := httptest.NewServer(mux) // LoginHandler at /lti/login, middleware.Launch at /lti/launch
//		p.SetRedirectURIs(srv.URL + "/lti/launch")
//
//		resp := p.Launch(t, srv.URL+"/lti/login", ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}})
//		if resp.StatusCode != http.StatusOK {
//			t.Fatalf("launch: got %s, want 200 OK", resp.Status)
//		}
//	}
//
// See ExampleNewPlatform for the complete wiring.
//
// # Negative tests
//
// [Message] has hooks that tamper with each step: LoginMutate (the login
// initiation), Mutate and MutateHeader (the id_token's claims and header),
// Token (any id_token string) and AuthMutate (the form posted to the tool).
// [Platform.IDToken] and [Platform.SignIDToken] build and sign tokens
// directly.
//
// # The tool's mistakes
//
// The auth endpoint records every rule the tool's authentication request
// breaks as a [Violation] (see [Platform.Violations]) and answers the way
// Moodle does: with an OAuth error posted back to the tool, or with an error
// page when the redirect_uri cannot be trusted. Launch does not fail the test
// on a violation; it logs it and returns whatever the browser ended on, so
// that a test can assert either outcome.
//
// # Plain HTTP
//
// The platform listens on http://127.0.0.1 without TLS, which keeps tests
// simple: there is no certificate to trust. Browsers and net/http/cookiejar
// treat loopback hosts as secure origins, so cookies marked Secure work. The
// issuer is therefore an http URL, which a production platform must never
// use.
//
// # Browser behaviour
//
// A [Browser] keeps cookies across launches, so two launches from one
// Browser behave like two tabs. It treats the platform and the tool as
// different sites, as they are in production: on the requests the platform
// starts (the login initiation and the id_token form post) it sends only the
// tool's cookies marked SameSite=None, as a browser does for a tool in an
// LMS iframe.
//
// # Launch page
//
// The platform also serves a page for a person with a browser, as an LMS
// course page: URL + "/" shows the demo course "Physics 101" (PHYS101, the
// activity "Pendulum lab") with its participants, Ada Learner (user "ada",
// Learner), Ian Instructor ("ian", Instructor) and Tara Assistant ("tara",
// Instructor and TeachingAssistant), each with a Launch button that opens
// the tool in an iframe on the page. The iframe loads URL +
// "/launch?user=ID", which answers with Moodle's auto-submitting login
// initiation form, posted to the tool's login URL ([WithLoginURL],
// [Platform.SetLoginURL]); the id_token then carries the user's name,
// email and roles, the course, the resource link and the custom parameter
// level=2. [FollowForms] drives the same pages from an http.Client:
//
//	p, err := ltitest.Start(
//		ltitest.WithLoginURL("http://127.0.0.1:8000/lti/login"),
//		ltitest.WithRedirectURIs("http://127.0.0.1:8000/lti/launch"))
//	if err != nil { ... }
//	defer p.Close()
//	fmt.Println("open", p.URL+"/")
//
// See ExampleStart, and examples/quickstart for a complete tool.
//
// # Moodle
//
// [Moodle] makes the platform behave like the Moodle 4.5 recorded in the
// project's fixtures: a plain-string aud, numeric-string ids, a bare
// "CourseSection" context type, 60-second tokens, the custom keys Moodle
// injects, and Moodle's own order of checks in the auth endpoint.
package ltitest
