package tool

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzLogin feeds arbitrary login initiation parameters to the login
// handler: it must never panic, answer only 302 (to the registered auth
// endpoint, for the tool's own target) or a refusal, and echo the hints
// byte for byte.
func FuzzLogin(f *testing.F) {
	f.Add(testIssuer, "4", testBaseURL+"/lti/launch", testClientID, "dep-1", `{"cmid":1,"launchid":"ltilaunch1_1"}`, true)
	f.Add(testIssuer, "", "https://evil.example/", "", "", "", false)
	f.Add(testIssuer+"/", "4", "//evil.example", testClientID, "dep-1", "\x00", true)
	f.Add("", "a", testBaseURL, "c", "d", strings.Repeat("é", 100), false)
	tl := newTestTool(f)
	f.Fuzz(func(t *testing.T, iss, hint, target, clientID, deployment, messageHint string, post bool) {
		v := url.Values{"iss": {iss}, "login_hint": {hint}, "target_link_uri": {target},
			"client_id": {clientID}, "lti_deployment_id": {deployment}, "lti_message_hint": {messageHint}}
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		w := doLogin(tl, method, v)
		switch w.Code {
		case http.StatusFound:
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil || !strings.HasPrefix(loc.String(), testIssuer+"/auth?") {
				t.Fatalf("redirected to %q", w.Header().Get("Location"))
			}
			if !tl.ownsURL(target) {
				t.Fatalf("accepted foreign target_link_uri %q", target)
			}
			q := loc.Query()
			if q.Get("login_hint") != hint || q.Get("lti_message_hint") != messageHint {
				t.Fatalf("hints not echoed: %q %q", q.Get("login_hint"), q.Get("lti_message_hint"))
			}
		case http.StatusBadRequest, http.StatusForbidden:
			if w.Header().Get("LTI-Error-Code") == "" {
				t.Fatal("refusal without an error code")
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
