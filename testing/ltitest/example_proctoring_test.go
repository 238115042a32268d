package ltitest_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// A proctoring test: the candidate passes the tool's pre-check, the
// platform verifies the LtiStartAssessment and starts the attempt, the
// tool flags an incident, and finishing the attempt sends LtiEndAssessment
// back to the tool. Like ExampleNewPlatform this is the body of a test
// function, compiled but not run (TestProctoring_AP_03_FullCycle runs the
// same flow).
func ExamplePlatform_StartProctoring() {
	var t *testing.T // the test's t

	p := ltitest.NewPlatform(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	base := "http://" + l.Addr().String()
	key, _ := jwks.GenerateKey()
	keys, _ := jwks.NewKeyRing(key)
	regs, _ := tool.NewMemoryPlatforms(p.Registration())
	tl, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: keys,
		MessageTypes: []tool.MessageType{tool.ResourceLinkRequest, tool.StartProctoring, tool.EndAssessment}})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()

	var start *tool.Launch
	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		if l.MessageType == tool.EndAssessment {
			fmt.Fprintf(w, "attempt %d ended", l.Proctoring.AttemptNumber)
			return
		}
		start = l
		fmt.Fprintf(w, `<form method="post" action="%s"><button>Start</button></form>`, l.Link("/ready"))
	})))
	mux.Handle("/ready", middleware.Session(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		if err := tl.StartAssessment(w, l, tool.AssessmentStart{EndAssessmentReturn: true}); err != nil {
			tl.ServeError(w, r, err)
		}
	})))
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	srv.Start()
	defer srv.Close()

	p.SetRedirectURIs(base + "/lti/launch")
	p.SetToolJWKSURL(base + "/jwks") // the platform verifies LtiStartAssessment with the tool's keys

	b := p.NewBrowser(t)
	s, assessment := b.StartProctoring(base+"/lti/login", ltitest.Message{},
		func(c *http.Client, precheck *http.Response) *http.Response {
			resp, err := c.PostForm(base+"/ready", nil) // the candidate passed the pre-check
			if err != nil {
				t.Fatal(err)
			}
			return resp
		})
	if !s.Accepted() {
		t.Fatalf("the platform refused LtiStartAssessment: %v", s.Violations)
	}

	acs, _ := tl.AssessmentControl(start)
	res, err := acs.Send(t.Context(), tool.ControlRequest{Action: tool.ControlFlag, IncidentSeverity: 0.4, ReasonCode: "tab-hidden"})
	fmt.Println(res.Status, err, p.ProctoringActions()[0].Action) // running <nil> flag

	end := b.FinishAttempt(assessment) // the platform sends LtiEndAssessment
	fmt.Println(end.StatusCode)        // 200: "attempt 1 ended"
}
