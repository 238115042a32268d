package tool_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

// proctoringLaunch stands for the LtiStartProctoring launch that
// middleware.Session restores on the tool's pre-check pages.
func proctoringLaunch() *tool.Launch {
	return &tool.Launch{
		ID: "ap-launch-1", Issuer: "https://lms.example.edu", ClientID: "proctor-client", DeploymentID: "1",
		Subject: "learner-42", Name: "Ada Learner", MessageType: tool.StartProctoring, Version: tool.Version,
		ResourceLink: &tool.ResourceLink{ID: "exam-7", Title: "Final exam"},
		Proctoring: &tool.Proctoring{
			AttemptNumber: 1, SessionData: "c2Vzc2lvbi1kYXRh",
			StartAssessmentURL: "https://lms.example.edu/proctoring/start?exam=7",
			ACS: &tool.ACS{AssessmentControlURL: "https://lms.example.edu/proctoring/acs",
				Actions: []string{"flag", "terminate"}},
		},
	}
}

// When the candidate has passed the pre-check, the handler sends the
// browser back to the platform with the signed LtiStartAssessment message:
// an auto-submitting form that posts it to start_assessment_url.
func ExampleTool_StartAssessment() {
	t := exampleProctoringTool()
	defer t.Close()

	ready := func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context()) // behind middleware.Session
		err := t.StartAssessment(w, l, tool.AssessmentStart{
			VerifiedUser:        &tool.VerifiedUser{GivenName: "Ada", FamilyName: "Learner", Name: "Ada Learner"},
			EndAssessmentReturn: true, // ask for LtiEndAssessment when the attempt ends
		})
		if err != nil {
			t.ServeError(w, r, err)
		}
	}

	r := httptest.NewRequest(http.MethodPost, "/precheck/done?launch=ap-launch-1", nil)
	r = r.WithContext(tool.ContextWithLaunch(r.Context(), proctoringLaunch()))
	w := httptest.NewRecorder()
	ready(w, r)
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `action="https://lms.example.edu/proctoring/start?exam=7"`))
	// Output:
	// 200 true
}

// SignStartAssessment returns the message itself, for a tool that posts it
// some other way. session_data and attempt_number are echoed unchanged.
func ExampleTool_SignStartAssessment() {
	t := exampleProctoringTool()
	defer t.Close()

	jwt, err := t.SignStartAssessment(proctoringLaunch(), tool.AssessmentStart{})
	if err != nil {
		fmt.Println(err)
		return
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	var claims map[string]json.RawMessage
	json.Unmarshal(payload, &claims)
	for _, c := range []string{"iss", "aud",
		"https://purl.imsglobal.org/spec/lti/claim/message_type",
		"https://purl.imsglobal.org/spec/lti-ap/claim/session_data",
		"https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number"} {
		fmt.Println(c[strings.LastIndex(c, "/")+1:], string(claims[c]))
	}
	// Output:
	// iss "proctor-client"
	// aud "https://lms.example.edu"
	// message_type "LtiStartAssessment"
	// session_data "c2Vzc2lvbi1kYXRh"
	// attempt_number 1
}

// During the attempt the tool reports an incident, and after too many
// terminates the attempt. Only the actions the platform lists may be sent.
func ExampleTool_AssessmentControl() {
	t := exampleProctoringTool()
	defer t.Close()

	acs, err := t.AssessmentControl(proctoringLaunch())
	if err != nil { // tool.ErrNoAssessmentControl: the platform offers no ACS
		fmt.Println(err)
		return
	}
	fmt.Println(acs.Actions())
	_, err = acs.Send(context.Background(), tool.ControlRequest{
		Action: tool.ControlPause, IncidentTime: time.Now(), IncidentSeverity: 0.4,
		ReasonCode: "tab-switch", ReasonMsg: "The candidate left the exam tab",
	})
	fmt.Println(errors.Is(err, tool.ErrControlNotOffered))
	// A real call, needing the platform:
	//	res, err := acs.Send(ctx, tool.ControlRequest{Action: tool.ControlFlag, IncidentSeverity: 0.3})
	//	if err == nil && res.Status == tool.AssessmentTerminated { … }
	// Output:
	// [flag terminate]
	// true
}

// exampleProctoringTool is a tool registered with the platform of
// proctoringLaunch.
func exampleProctoringTool() *tool.Tool {
	regs, err := tool.NewMemoryPlatforms(tool.Platform{
		Issuer: "https://lms.example.edu", ClientID: "proctor-client", Deployments: []string{"1"},
		AuthURL: "https://lms.example.edu/auth", JWKSURL: "https://lms.example.edu/jwks",
		TokenURL: "https://lms.example.edu/token",
	})
	if err != nil {
		log.Fatal(err)
	}
	key, err := jwks.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://proctor.example",
		// Proctoring launches are refused unless the tool lists them.
		MessageTypes: []tool.MessageType{tool.ResourceLinkRequest, tool.StartProctoring, tool.EndAssessment}})
	if err != nil {
		log.Fatal(err)
	}
	return t
}
