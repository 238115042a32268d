package tool

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// acsEnv is a tool with a strict token endpoint and an ACS endpoint that
// records requests and answers with reply.
func acsEnv(t *testing.T, reply func(w http.ResponseWriter, r *http.Request, body string)) (*svcEnv, *recorder, *Launch) {
	t.Helper()
	e := newSvcEnv(t)
	rec := &recorder{reply: reply}
	srv := e.serve(rec)
	l := e.launch(nil, nil)
	l.MessageType = StartProctoring
	l.Proctoring = &Proctoring{AttemptNumber: 2, SessionData: "s", StartAssessmentURL: svcIssuer + "/start",
		ACS: &ACS{AssessmentControlURL: srv.URL + "/acs?attempt=9", Actions: []string{"pause", "resume", "terminate", "update", "flag"}}}
	return e, rec, l
}

func replyJSON(status int, body string) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, _ *http.Request, _ string) {
		w.Header().Set("Content-Type", mediaControl)
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// TestACS_AP_06_Request: the request is a POST of the control media type
// with a bearer token for control.all, naming the attempt, with the
// incident's time, a severity string and the extra time in minutes.
func TestACS_AP_06_Request(t *testing.T) {
	e, rec, l := acsEnv(t, replyJSON(200, `{"status":"running","extra_time":15}`))
	acs, err := e.tool.AssessmentControl(l)
	if err != nil {
		t.Fatal(err)
	}
	incident := time.Date(2026, 11, 28, 22, 1, 2, 345_000_000, time.FixedZone("CET", 3600))
	res, err := acs.Send(context.Background(), ControlRequest{Action: ControlUpdate, IncidentTime: incident,
		IncidentSeverity: 0.25, ExtraTime: 15 * time.Minute, ReasonCode: "NET", ReasonMsg: "Network outage"})
	if err != nil {
		t.Fatal(err)
	}
	if res != (ControlResponse{Status: AssessmentRunning, ExtraTime: 15 * time.Minute}) {
		t.Errorf("response %+v", res)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/acs" || r.RawQuery != "attempt=9" {
		t.Errorf("%s %s?%s, want POST to the assessment_control_url as given", r.Method, r.Path, r.RawQuery)
	}
	if r.Header.Get("Content-Type") != mediaControl || r.Header.Get("Accept") != mediaControl {
		t.Errorf("Content-Type %q, Accept %q, want %s", r.Header.Get("Content-Type"), r.Header.Get("Accept"), mediaControl)
	}
	if r.Header.Get("Authorization") != "Bearer tok-1" {
		t.Errorf("Authorization %q", r.Header.Get("Authorization"))
	}
	var scopes []string
	e.token.set(func(te *tokenEndpoint) { scopes = te.scopes })
	if len(scopes) != 1 || scopes[0] != ScopeAssessmentControl {
		t.Errorf("token scopes %q, want %s", scopes, ScopeAssessmentControl)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"user":              map[string]any{"sub": "user-7", "iss": svcIssuer},
		"resource_link":     map[string]any{"id": "link-1"},
		"attempt_number":    float64(2),
		"action":            "update",
		"incident_time":     "2026-11-28T21:01:02Z",
		"incident_severity": "0.25",
		"extra_time":        float64(15),
		"reason_code":       "NET",
		"reason_msg":        "Network outage",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body\n got  %v\n want %v", got, want)
	}
}

// TestACS_AP_06_Defaults: a zero IncidentTime is the tool's clock; no
// extra_time, reason_code or reason_msg is sent when empty.
func TestACS_AP_06_Defaults(t *testing.T) {
	e, rec, l := acsEnv(t, replyJSON(200, `{"status":"running"}`))
	acs, _ := e.tool.AssessmentControl(l)
	if _, err := acs.Send(context.Background(), ControlRequest{Action: ControlFlag}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal([]byte(rec.requests()[0].Body), &got)
	if got["incident_time"] != e.clock.Now().UTC().Format(time.RFC3339) || got["incident_severity"] != "0" {
		t.Errorf("incident_time %v severity %v", got["incident_time"], got["incident_severity"])
	}
	for _, k := range []string{"extra_time", "reason_code", "reason_msg"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s sent: %v", k, got)
		}
	}
}

// TestACS_AP_07_Responses: the statuses and extra times platforms send.
func TestACS_AP_07_Responses(t *testing.T) {
	tests := []struct {
		name, body string
		want       ControlResponse
	}{
		{"paused", `{"status":"paused"}`, ControlResponse{Status: AssessmentPaused}},
		{"extra time as a string", `{"status":"running","extra_time":"10"}`, ControlResponse{Status: AssessmentRunning, ExtraTime: 10 * time.Minute}},
		{"unknown status kept", `{"status":"suspended"}`, ControlResponse{Status: "suspended"}},
		{"empty body", ``, ControlResponse{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, l := acsEnv(t, replyJSON(200, tt.body))
			acs, _ := e.tool.AssessmentControl(l)
			got, err := acs.Send(context.Background(), ControlRequest{Action: ControlPause})
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestACS_AP_07_Refused: requests refused before sending, platform
// refusals keeping their status and body, and unreadable answers.
func TestACS_AP_07_Refused(t *testing.T) {
	tests := []struct {
		name   string
		reply  func(http.ResponseWriter, *http.Request, string)
		edit   func(*Launch)
		req    ControlRequest
		want   error
		status int // the ServiceError's status; 0: nothing sent
	}{
		{name: "action not offered", edit: func(l *Launch) { l.Proctoring.ACS.Actions = []string{"terminate"} },
			req: ControlRequest{Action: ControlFlag}, want: ErrControlNotOffered},
		{name: "platform offers no action", edit: func(l *Launch) { l.Proctoring.ACS.Actions = nil },
			req: ControlRequest{Action: ControlTerminate}, want: ErrControlNotOffered},
		{name: "typo of the spec's table", edit: func(l *Launch) { l.Proctoring.ACS.Actions = []string{"flag"} },
			req: ControlRequest{Action: "flagRequest"}, want: ErrControlNotOffered},
		{name: "no action", req: ControlRequest{}, want: ErrInvalidServiceRequest},
		{name: "negative severity", req: ControlRequest{Action: ControlFlag, IncidentSeverity: -0.1}, want: ErrInvalidServiceRequest},
		{name: "severity above 1", req: ControlRequest{Action: ControlFlag, IncidentSeverity: 1.5}, want: ErrInvalidServiceRequest},
		{name: "NaN severity", req: ControlRequest{Action: ControlFlag, IncidentSeverity: math.NaN()}, want: ErrInvalidServiceRequest},
		{name: "extra time on a flag", req: ControlRequest{Action: ControlFlag, ExtraTime: time.Minute}, want: ErrInvalidServiceRequest},
		{name: "negative extra time", req: ControlRequest{Action: ControlUpdate, ExtraTime: -time.Minute}, want: ErrInvalidServiceRequest},
		{name: "extra time in seconds", req: ControlRequest{Action: ControlUpdate, ExtraTime: 90 * time.Second}, want: ErrInvalidServiceRequest},
		{name: "platform answers 400", reply: replyJSON(400, `{"error":"unknown attempt"}`),
			req: ControlRequest{Action: ControlTerminate}, want: ErrServiceBadRequest, status: 400},
		{name: "platform answers 409", reply: replyJSON(409, `{"error":"attempt already complete"}`),
			req: ControlRequest{Action: ControlPause}, want: ErrServiceConflict, status: 409},
		{name: "platform answers 500", reply: replyJSON(500, `<html>oops</html>`),
			req: ControlRequest{Action: ControlPause}, want: ErrServiceUnavailable, status: 500},
		{name: "answer is an array", reply: replyJSON(200, `[]`), req: ControlRequest{Action: ControlPause}, want: ErrBadServiceResponse},
		{name: "answer is not JSON", reply: replyJSON(200, `ok`), req: ControlRequest{Action: ControlPause}, want: ErrBadServiceResponse},
		{name: "extra time not a number", reply: replyJSON(200, `{"status":"running","extra_time":"soon"}`),
			req: ControlRequest{Action: ControlPause}, want: ErrBadServiceResponse},
		{name: "absurd extra time", reply: replyJSON(200, `{"status":"running","extra_time":1e300}`),
			req: ControlRequest{Action: ControlPause}, want: ErrBadServiceResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := tt.reply
			if reply == nil {
				reply = replyJSON(200, `{"status":"running"}`)
			}
			e, rec, l := acsEnv(t, reply)
			if tt.edit != nil {
				tt.edit(l)
			}
			acs, err := e.tool.AssessmentControl(l)
			if err != nil {
				t.Fatal(err)
			}
			_, err = acs.Send(context.Background(), tt.req)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			_, se := serviceErrorOf(err)
			switch {
			case tt.status == 0 && se != nil:
				t.Errorf("ServiceError %v for a request refused before sending", se)
			case tt.status != 0 && (se == nil || se.StatusCode != tt.status || len(se.Body) == 0):
				t.Errorf("ServiceError %+v, want status %d with the body kept", se, tt.status)
			}
			if sent := len(rec.requests()); tt.want == ErrControlNotOffered || tt.want == ErrInvalidServiceRequest {
				if sent != 0 {
					t.Errorf("%d requests sent, want none", sent)
				}
			}
		})
	}
}

// TestACS_AP_05_NoService: a launch without the acs claim, or without
// what a request names, has no Assessment Control client.
func TestACS_AP_05_NoService(t *testing.T) {
	e, _, _ := acsEnv(t, nil)
	tests := map[string]func(*Launch){
		"no launch":           nil,
		"no proctoring":       func(l *Launch) { l.Proctoring = nil },
		"no acs claim":        func(l *Launch) { l.Proctoring.ACS = nil },
		"no control URL":      func(l *Launch) { l.Proctoring.ACS.AssessmentControlURL = "" },
		"no user":             func(l *Launch) { l.Subject = "" },
		"no resource link":    func(l *Launch) { l.ResourceLink = nil },
		"no resource link id": func(l *Launch) { l.ResourceLink = &ResourceLink{} },
		"no attempt":          func(l *Launch) { l.Proctoring.AttemptNumber = 0 },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			var l *Launch
			if edit != nil {
				_, _, l = acsEnv(t, nil)
				edit(l)
			}
			if _, err := e.tool.AssessmentControl(l); !errors.Is(err, ErrNoAssessmentControl) {
				t.Errorf("got %v, want ErrNoAssessmentControl", err)
			}
		})
	}
}

// TestACS_AP_05_ScopeNotGranted: a token endpoint that does not grant
// control.all stops the request before it is sent.
func TestACS_AP_05_ScopeNotGranted(t *testing.T) {
	e, rec, l := acsEnv(t, replyJSON(200, `{"status":"running"}`))
	e.token.set(func(te *tokenEndpoint) { te.grant = func(string) string { return ScopeScore } })
	acs, _ := e.tool.AssessmentControl(l)
	if _, err := acs.Send(context.Background(), ControlRequest{Action: ControlFlag}); !errors.Is(err, ErrScopeNotGranted) {
		t.Errorf("got %v, want ErrScopeNotGranted", err)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestACS_Actions: Actions and Allows report the acs claim's list.
func TestACS_Actions(t *testing.T) {
	e, _, l := acsEnv(t, nil)
	l.Proctoring.ACS.Actions = []string{"flag", "terminate"}
	acs, _ := e.tool.AssessmentControl(l)
	if got := acs.Actions(); !reflect.DeepEqual(got, []ControlAction{ControlFlag, ControlTerminate}) {
		t.Errorf("Actions = %v", got)
	}
	if !acs.Allows(ControlTerminate) || acs.Allows(ControlPause) {
		t.Error("Allows disagrees with the claim")
	}
}
