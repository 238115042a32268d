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
// # Development LMS
//
// [WithDevLMS] turns that page into the development LMS of `ltikit dev`
// (docs/dev.md), the second face of the same platform: a course with an
// instructor, a teaching assistant and three learners; its activities, to
// which the instructor adds more by deep linking; Launch buttons that open
// the tool in an iframe with the grade and roster services; the gradebook
// with every score as it arrives; the roster; a message log of every
// launch step, deep-linking response, token request and service call,
// decoded; and switches for Moodle's behaviours. The log is the platform's
// API: [Platform.Log], [Platform.DeepLinkResponses], [Platform.TokenRequests]
// and [Platform.ServiceCalls], which any test may read too.
// [Platform.ObserveTool] wraps the tool's handler to add its answers to
// the launches a real browser makes, which the platform does not see
// otherwise.
//
// # Deep linking
//
// A [tool.DeepLinkingRequest] launch carries [Message.DeepLinking]
// settings; its deep_link_return_url is URL + "/deeplink/return" with a
// query naming the launch. That endpoint verifies the tool's
// LtiDeepLinkingResponse like a strict LMS (signature through the tool's
// JWKS, see [Platform.SetToolJWKSURL]; iss, aud, iat, exp, a fresh nonce,
// deployment_id, message_type, version, data echoed, accept_types,
// accept_multiple and the other settings, each item's required properties)
// and records it: [Platform.DeepLinkResponses], [Platform.DeepLinkItems].
// [Platform.DeepLink] runs the whole flow, the test playing the teacher in
// the tool's catalog; see ExamplePlatform_DeepLink.
//
// # Proctoring
//
// A [tool.StartProctoring] launch hands an attempt at an assessment to a
// proctoring tool (LTI Proctoring Services 1.0): the platform numbers the
// attempt per user and resource link, binds a fresh session_data to the
// browser the launch goes through (a SameSite=None platform cookie), and
// offers the Assessment Control Service at URL + "/proctoring/acs"; see
// [Message.Proctoring]. Its start_assessment_url, URL + "/proctoring/start",
// verifies the tool's LtiStartAssessment like a strict LMS (signature
// through the tool's JWKS; iss, aud, iat, exp, a fresh nonce, message_type,
// version, deployment_id, resource_link, session_data echoed from the same
// browser and used once, attempt_number echoed, verified_user without iss
// or sub) before it starts the attempt and shows the assessment page. Its
// Finish button sends [tool.EndAssessment] when the tool asked for it. The
// ACS endpoint needs a bearer token for [ScopeAssessmentControl], applies
// pause, resume, update and terminate to the attempt and answers its
// status. [Platform.AssessmentStarts] and [Platform.ProctoringActions]
// record what the tool sent; [Platform.StartProctoring] and
// [Browser.FinishAttempt] run the flow, the test playing the candidate in
// the tool's pre-check. With [WithDevProctoring], learners on the course
// page have a "Start proctored attempt" button for the demo "Final exam".
// The tool under test must list [tool.StartProctoring] and
// [tool.EndAssessment] in its tool.Config.MessageTypes, or it refuses
// these launches.
//
// # Services
//
// The platform grants service tokens and serves Assignment and Grade
// Services and Names and Role Provisioning Services, backed by an in-memory
// gradebook and course rosters, so that a tool's grade passback and roster
// code run against it in go test:
//
//   - URL + "/token" (Registration().TokenURL) checks client_credentials
//     requests like Moodle and more strictly (SEC-CC-*): the exact form
//     Content-Type, the four parameters, and a client assertion signed
//     with a key of the tool's JWKS ([WithToolJWKSURL], kid required,
//     RS256), with iss = sub = client_id, aud = the token URL, an integer
//     iat not in the future (no leeway), exp in the future and a jti never
//     seen before. It grants the requested scopes the registration permits
//     ([WithScopes]) for 3600 seconds, and logs every request
//     ([Platform.TokenRequests]).
//   - A launch with [Message.AGS] points at the course's line items
//     container and at the line item the platform makes for the resource
//     link. The AGS URLs carry Moodle's ?type_id= query: /scores and
//     /results go on the path, before it. The gradebook applies Moodle's
//     rules: scores only for course members, scoreGiven counted only when
//     FullyGraded, 409 for a timestamp not later than the previous one at
//     one-second precision; [Platform.Gradebook] returns it with every
//     score post, accepted or rejected.
//   - A launch with [Message.NRPS] points at the course's memberships, with
//     paging, role and rlid filters; [Platform.SetRoster] sets the default
//     course's members, and launches enrol the launching user.
//   - Media types are checked as Moodle checks them: exact Content-Type,
//     Accept exact, empty or holding */*. A missing, unknown, expired or
//     revoked token, or one without the scope, gets 401.
//
// Faults test how a tool copes with a struggling LMS: [Platform.InjectFault]
// (429 with Retry-After, 500, 401, dropped connections, responses held as
// long as the test wants, Moodle's malformed Link headers),
// [Platform.TokenEndpointDown] and [Platform.RevokeTokens].
//
//	p := ltitest.NewPlatform(t, ltitest.WithToolJWKSURL(toolSrv.URL+"/.well-known/jwks.json"))
//	p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 429, RetryAfter: 2 * time.Second, Times: 3})
//	// ... the tool posts a grade for the launch ...
//	li, _ := p.Gradebook().LineItemFor("rl-1")
//	if g, ok := li.Scores["user-1"].Grade(); !ok || g != 8 {
//		t.Errorf("gradebook: got %v, want 8", li.Scores["user-1"])
//	}
//
// # Moodle
//
// [Moodle] makes the platform behave like the Moodle 4.5 recorded in the
// project's fixtures: a plain-string aud, numeric-string ids, a bare
// "CourseSection" context type, 60-second tokens, the custom keys Moodle
// injects, and Moodle's own order of checks in the auth endpoint. Its
// services answer in Moodle's shapes too: token JSON served as text/html
// with php-jwt's error messages, {status, reason, request} errors and "[]"
// for a refused score, line item Link headers with &amp; and curly quotes,
// 404 HTML for results?limit=, short role names in memberships, 403 for an
// unknown resourceLinkId, and a line item PUT without resourceLinkId
// unbinding the line item.
//
// # Dynamic registration
//
// The platform also registers tools by LTI Dynamic Registration, as Moodle
// does: it serves its OpenID configuration at URL + "/openid-configuration"
// and a registration endpoint at URL + "/register" that checks the tool's
// client registration, uses each registration token once and issues a new
// client_id and deployment_id. [Platform.Register] plays the administrator
// who pastes the tool's registration URL and confirms, and returns the
// platform as the new tool sees it, ready to [Platform.Launch]:
//
//	reg := p.Register(t, srv.URL+"/lti/register")
//	resp := reg.Launch(t, srv.URL+"/lti/login", ltitest.Message{})
//
// [Platform.RegistrationURL] gives the URL with a fresh token, to drive the
// exchange by hand.
package ltitest
