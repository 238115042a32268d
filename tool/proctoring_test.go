package tool

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

var apNow = time.Date(2026, 11, 28, 21, 17, 29, 0, time.UTC)

const apStartURL = "https://lms.example/ap/start?attempt=7&sesskey=Yq"

// apLaunch is a verified LtiStartProctoring launch, decoded from a payload
// in which attempt_number is a string and session_data has an escape, so
// that an echo "unchanged" differs from a re-encoding; edit adds claims.
func apLaunch(t *testing.T, claims ...string) *Launch {
	t.Helper()
	base := []string{
		"https://purl.imsglobal.org/spec/lti/claim/message_type", `"LtiStartProctoring"`,
		"https://purl.imsglobal.org/spec/lti/claim/resource_link", `{"id":"exam-1","title":"Final exam"}`,
		"picture", `"https://lms.example/u1.png"`,
		uriAPPrefix + "attempt_number", `"2"`,
		uriAPPrefix + "start_assessment_url", `"` + apStartURL + `"`,
		uriAPPrefix + "session_data", `"csrf\u00e9-123"`,
	}
	l := mustDecode(t, payloadWith(append(base, claims...)...))
	l.ClientID = testClientID
	return l
}

func newAPTool(t *testing.T) *Tool {
	t.Helper()
	tl := newTestTool(t)
	tl.cfg.Now = func() time.Time { return apNow }
	return tl
}

// TestStartAssessment_AP_03_Claims: the message is signed with the tool's
// active key (kid in the header), addressed from the client_id to the
// platform, and echoes session_data and attempt_number byte for byte.
func TestStartAssessment_AP_03_Claims(t *testing.T) {
	tl := newAPTool(t)
	l := apLaunch(t)
	vu := &VerifiedUser{GivenName: "Ada", FamilyName: "Learner", Name: "Ada Learner",
		Picture: "https://tool.example/snap/1.jpg", Extra: map[string]any{"birthdate": "1815-12-10"}}
	jwt, err := tl.SignStartAssessment(l, AssessmentStart{VerifiedUser: vu, EndAssessmentReturn: true})
	if err != nil {
		t.Fatal(err)
	}
	header, claims := verifyDL(t, tl, jwt)
	if header["kid"] != tl.cfg.Keys.Active().ID || header["alg"] != "RS256" {
		t.Errorf("header %v, want kid %s and RS256", header, tl.cfg.Keys.Active().ID)
	}
	want := map[string]any{
		"iss": testClientID,
		"aud": testIssuer,
		"iat": float64(apNow.Add(-startAssessmentBackdate).Unix()),
		"exp": float64(apNow.Add(startAssessmentLifetime).Unix()),
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d1",
		"https://purl.imsglobal.org/spec/lti/claim/message_type":  "LtiStartAssessment",
		"https://purl.imsglobal.org/spec/lti/claim/version":       "1.3.0",
		uriAPPrefix + "attempt_number":                            "2",
		uriAPPrefix + "session_data":                              "csrfé-123",
		uriAPPrefix + "end_assessment_return":                     true,
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("%s = %#v, want %#v", k, claims[k], v)
		}
	}
	rl, _ := claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"].(map[string]any)
	if len(rl) != 1 || rl["id"] != "exam-1" {
		t.Errorf("resource_link = %v, want only the id (openedx compares it with {\"id\": ...})", rl)
	}
	got, _ := claims[uriAPPrefix+"verified_user"].(map[string]any)
	wantVU := map[string]any{"given_name": "Ada", "family_name": "Learner", "name": "Ada Learner",
		"picture": "https://tool.example/snap/1.jpg", "birthdate": "1815-12-10"}
	if len(got) != len(wantVU) {
		t.Errorf("verified_user = %v, want %v", got, wantVU)
	}
	for k, v := range wantVU {
		if got[k] != v {
			t.Errorf("verified_user.%s = %v, want %v", k, got[k], v)
		}
	}
	payload := string(decodeSegment(t, jwt, 1))
	if !strings.Contains(payload, `"`+uriAPPrefix+`session_data":"csrf\u00e9-123"`) ||
		!strings.Contains(payload, `"`+uriAPPrefix+`attempt_number":"2"`) {
		t.Errorf("session_data and attempt_number are not echoed unchanged: %s", payload)
	}
	nonce, _ := claims["nonce"].(string)
	again, err := tl.SignStartAssessment(l, AssessmentStart{})
	if err != nil {
		t.Fatal(err)
	}
	_, c2 := verifyDL(t, tl, again)
	if len(nonce) < 32 || c2["nonce"] == nonce {
		t.Errorf("nonce %q then %q, want fresh random nonces", nonce, c2["nonce"])
	}
	if _, ok := c2[uriAPPrefix+"verified_user"]; ok || c2[uriAPPrefix+"end_assessment_return"] != false {
		t.Errorf("zero AssessmentStart sent verified_user or end_assessment_return: %v", c2)
	}
}

func decodeSegment(t *testing.T, jwt string, i int) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStartAssessment_AP_03_HandBuiltLaunch: a launch built without a
// token (a unit test's) still gives a complete message.
func TestStartAssessment_AP_03_HandBuiltLaunch(t *testing.T) {
	tl := newAPTool(t)
	l := &Launch{Issuer: testIssuer, ClientID: testClientID, DeploymentID: "d1", MessageType: StartProctoring,
		ResourceLink: &ResourceLink{ID: "exam-1"},
		Proctoring:   &Proctoring{AttemptNumber: 3, SessionData: "s", StartAssessmentURL: apStartURL}}
	jwt, err := tl.SignStartAssessment(l, AssessmentStart{})
	if err != nil {
		t.Fatal(err)
	}
	_, claims := verifyDL(t, tl, jwt)
	if claims[uriAPPrefix+"attempt_number"] != float64(3) || claims[uriAPPrefix+"session_data"] != "s" {
		t.Errorf("claims %v", claims)
	}
}

// TestStartAssessment_AP_03_Refused: every launch or verified user the
// message cannot be built from is refused with its code, and nothing is
// written.
func TestStartAssessment_AP_03_Refused(t *testing.T) {
	tl := newAPTool(t)
	msgType := "https://purl.imsglobal.org/spec/lti/claim/message_type"
	tests := []struct {
		name string
		l    *Launch
		s    AssessmentStart
		want error
	}{
		{"no launch", nil, AssessmentStart{}, ErrWrongMessageType},
		{"resource-link launch", apLaunch(t, msgType, `"LtiResourceLinkRequest"`), AssessmentStart{}, ErrWrongMessageType},
		{"end-assessment launch", apLaunch(t, msgType, `"LtiEndAssessment"`), AssessmentStart{}, ErrWrongMessageType},
		{"no resource link", apLaunch(t, "https://purl.imsglobal.org/spec/lti/claim/resource_link", `null`), AssessmentStart{}, ErrMissingClaim},
		{"no attempt number", apLaunch(t, uriAPPrefix+"attempt_number", `null`), AssessmentStart{}, ErrMissingClaim},
		{"no session_data", apLaunch(t, uriAPPrefix+"session_data", `null`), AssessmentStart{}, ErrMissingClaim},
		{"no deployment", apLaunch(t, "https://purl.imsglobal.org/spec/lti/claim/deployment_id", `""`), AssessmentStart{}, ErrMissingClaim},
		{"javascript start URL", apLaunch(t, uriAPPrefix+"start_assessment_url", `"javascript:alert(1)"`), AssessmentStart{}, ErrInvalidClaim},
		{"relative start URL", apLaunch(t, uriAPPrefix+"start_assessment_url", `"/ap/start"`), AssessmentStart{}, ErrInvalidClaim},
		{"platform's picture as verified", apLaunch(t), AssessmentStart{VerifiedUser: &VerifiedUser{Picture: "https://lms.example/u1.png"}}, ErrInvalidClaim},
		{"sub in verified_user", apLaunch(t), AssessmentStart{VerifiedUser: &VerifiedUser{Extra: map[string]any{"sub": "u1"}}}, ErrInvalidClaim},
		{"iss in verified_user", apLaunch(t), AssessmentStart{VerifiedUser: &VerifiedUser{Extra: map[string]any{"iss": "x"}}}, ErrInvalidClaim},
		{"standard claim in Extra", apLaunch(t), AssessmentStart{VerifiedUser: &VerifiedUser{Extra: map[string]any{"name": "X"}}}, ErrInvalidClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tl.SignStartAssessment(tt.l, tt.s); !errors.Is(err, tt.want) {
				t.Errorf("SignStartAssessment: %v, want %v", err, tt.want)
			}
			w := httptest.NewRecorder()
			if err := tl.StartAssessment(w, tt.l, tt.s); !errors.Is(err, tt.want) {
				t.Errorf("StartAssessment: %v, want %v", err, tt.want)
			}
			if w.Body.Len() != 0 || len(w.Header()) != 0 {
				t.Errorf("StartAssessment wrote %v %q", w.Header(), w.Body)
			}
		})
	}
}

// TestStartAssessment_AP_02_AutoSubmitForm: the page posts the JWT, as
// the single field JWT, to start_assessment_url with its query string,
// and its CSP allows only that script and that form target.
func TestStartAssessment_AP_02_AutoSubmitForm(t *testing.T) {
	tl := newAPTool(t)
	w := httptest.NewRecorder()
	if err := tl.StartAssessment(w, apLaunch(t), AssessmentStart{EndAssessmentReturn: true}); err != nil {
		t.Fatal(err)
	}
	res := w.Result()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("status %d, headers %v", res.StatusCode, res.Header)
	}
	page := w.Body.String()
	m := regexp.MustCompile(`<form method="post" action="([^"]*)" enctype="application/x-www-form-urlencoded">`).FindStringSubmatch(page)
	if m == nil || html.UnescapeString(m[1]) != apStartURL {
		t.Fatalf("form action %v, want %s:\n%s", m, apStartURL, page)
	}
	fields := regexp.MustCompile(`<input [^>]*name="([^"]*)" value="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(fields) != 1 || fields[0][1] != "JWT" {
		t.Fatalf("form fields %v, want JWT only", fields)
	}
	if _, claims := verifyDL(t, tl, html.UnescapeString(fields[0][2])); claims[uriAPPrefix+"end_assessment_return"] != true {
		t.Errorf("the posted JWT is not the message: %v", claims)
	}
	script := regexp.MustCompile(`<script>([^<]*)</script>`).FindStringSubmatch(page)
	if script == nil {
		t.Fatalf("no script:\n%s", page)
	}
	sum := sha256.Sum256([]byte(script[1]))
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"form-action https://lms.example/ap/start", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

// TestVerifiedUser_AP_08_Decode: the launch's verified_user claim keeps
// the standard claims in their fields and everything else in Extra.
func TestVerifiedUser_AP_08_Decode(t *testing.T) {
	l := apLaunch(t, uriAPPrefix+"verified_user", `{"name":"Ada","given_name":7,"birthdate":"1815-12-10"}`)
	checkEq(t, "VerifiedUser", l.Proctoring.VerifiedUser, &VerifiedUser{Name: "Ada",
		Extra: map[string]any{"given_name": float64(7), "birthdate": "1815-12-10"}})
	if l := apLaunch(t); l.Proctoring.VerifiedUser != nil {
		t.Errorf("VerifiedUser = %#v without the claim, want nil", l.Proctoring.VerifiedUser)
	}
}

// TestVerify_AP_01_AP_04_RequiredClaims: LtiStartProctoring needs
// resource_link, start_assessment_url, attempt_number, session_data and
// sub; LtiEndAssessment needs only attempt_number.
func TestVerify_AP_01_AP_04_RequiredClaims(t *testing.T) {
	start := func(edit func(*Launch)) *Launch {
		l := &Launch{MessageType: StartProctoring, Subject: "u1", Roles: Roles{RoleLearner},
			ResourceLink: &ResourceLink{ID: "exam-1"},
			Proctoring:   &Proctoring{AttemptNumber: 1, SessionData: "s", StartAssessmentURL: apStartURL}}
		if edit != nil {
			edit(l)
		}
		return l
	}
	end := &Launch{MessageType: EndAssessment, Subject: "u1", Roles: Roles{}, Proctoring: &Proctoring{AttemptNumber: 1}}
	tests := []struct {
		name  string
		l     *Launch
		claim string // "" when accepted
	}{
		{"start proctoring complete", start(nil), ""},
		{"end assessment with only attempt_number", end, ""},
		{"start: no sub", start(func(l *Launch) { l.Subject = "" }), "sub"},
		{"start: no session_data", start(func(l *Launch) { l.Proctoring.SessionData = "" }), "session_data"},
		{"start: no start_assessment_url", start(func(l *Launch) { l.Proctoring.StartAssessmentURL = "" }), "start_assessment_url"},
		{"start: attempt 0", start(func(l *Launch) { l.Proctoring.AttemptNumber = 0 }), "attempt_number"},
		{"start: no proctoring claims", start(func(l *Launch) { l.Proctoring = nil }), "start_assessment_url"},
		{"start: no resource link", start(func(l *Launch) { l.ResourceLink = nil }), "resource_link.id"},
		{"end: no attempt", &Launch{MessageType: EndAssessment, Roles: Roles{}, Proctoring: &Proctoring{}}, "attempt_number"},
		{"end: no proctoring claims", &Launch{MessageType: EndAssessment, Roles: Roles{}}, "attempt_number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := requiredClaims(tt.l)
			var e *Error
			switch {
			case tt.claim == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.claim != "" && (!errors.As(err, &e) || e.Code != CodeMissingClaim || e.Claim != tt.claim):
				t.Errorf("got %v, want missing_claim (%s)", err, tt.claim)
			}
		})
	}
}
