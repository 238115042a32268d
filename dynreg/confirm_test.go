package dynreg_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/dynreg"
	"github.com/ltikit/ltikit/tool"
)

func TestConfirm_DR05_DR06_DR07_TheClientRegistration(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, func(c *dynreg.Config) { c.CustomParameters = map[string]string{"course": "$Context.id"} })
	token := moodleToken(t)
	res, page := a.register(t, p, token)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %s: %s", res.Status, text(page))
	}
	calls := p.registrations()
	if len(calls) != 1 {
		t.Fatalf("%d registration requests, want 1", len(calls))
	}
	req := calls[0]
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" ||
		req.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("registration request: %s, Content-Type %q, Authorization %q; want POST, application/json, the token as Bearer (DR-05)",
			req.Method, req.Header.Get("Content-Type"), req.Header.Get("Authorization"))
	}
	var got map[string]any
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatalf("registration body: %v", err)
	}
	scopes := "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly " +
		"https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly https://purl.imsglobal.org/spec/lti-ags/scope/score " +
		"https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
	want := map[string]any{
		"application_type":           "web",
		"grant_types":                []any{"implicit", "client_credentials"},
		"response_types":             []any{"id_token"},
		"redirect_uris":              []any{a.URL + "/lti/launch"},
		"initiate_login_uri":         a.URL + "/lti/login",
		"client_name":                "Quiz Tool",
		"jwks_uri":                   a.URL + "/.well-known/jwks.json",
		"logo_uri":                   a.URL + "/logo.png",
		"token_endpoint_auth_method": "private_key_jwt",
		"scope":                      scopes,
		"https://purl.imsglobal.org/spec/lti-tool-configuration": map[string]any{
			"domain":            strings.TrimPrefix(a.URL, "http://"),
			"description":       "Quizzes for courses",
			"target_link_uri":   a.URL + "/lti/launch",
			"custom_parameters": map[string]any{"course": "$Context.id"},
			"claims":            []any{"iss", "sub", "name", "given_name", "family_name", "email"},
			"messages": []any{map[string]any{"type": "LtiDeepLinkingRequest",
				"target_link_uri": a.URL + "/lti/deeplink", "label": "Quiz Tool"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("registration body\n got %s\nwant %s", g, w)
	}
	// Every member of the registration Moodle accepted in the recording
	// is there, but its contacts.
	var recorded map[string]any
	json.Unmarshal([]byte(loadFixture(t, "06_dynreg_client_registration_post.json").Request.Body), &recorded)
	for k := range recorded {
		if _, ok := got[k]; !ok && k != "contacts" {
			t.Errorf("the registration lacks %q, which the recorded registration Moodle accepted has", k)
		}
	}
}

func TestConfirm_DR08_DR09_StoresTheRegistrationAndCloses(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	res, page := a.register(t, p, moodleToken(t))
	if res.StatusCode != http.StatusOK || !closes(page) {
		t.Fatalf("confirm: %s, want 200 and the close message (DR-09): %s", res.Status, text(page))
	}
	for _, s := range []string{"Quiz Tool is registered", "f1Jrwm4BKsV9HY1", "deployment ID 2", "Activate"} {
		if !strings.Contains(text(page), s) {
			t.Errorf("the last page lacks %q: %s", s, text(page))
		}
	}
	want := tool.Platform{
		Issuer: p.URL, ClientID: "f1Jrwm4BKsV9HY1", Deployments: []string{"2"},
		AuthURL: p.URL + "/mod/lti/auth.php", TokenURL: p.URL + "/mod/lti/token.php", JWKSURL: p.URL + "/mod/lti/certs.php",
	}
	if got := a.stored(t); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("stored registrations\n got %+v\nwant [%+v]", got, want)
	}
}

func TestConfirm_DR08_WithoutDeploymentID_TrustsOnFirstUse(t *testing.T) {
	p := newPlatform(t)
	p.register = func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"client_id": 10000000000042, "scope": ""}`) // Canvas-like numeric id
	}
	p.setConfig(func(m map[string]any) {
		m["id_token_signing_alg_values_supported"] = []string{"RS256", "ES256", "HS256"}
		m["authorization_server"] = p.URL + "/login/oauth2/token"
	})
	a := newApp(t, nil)
	if res, page := a.register(t, p, "token"); res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %s: %s", res.Status, text(page))
	}
	got := a.stored(t)
	if len(got) != 1 {
		t.Fatalf("stored %v", got)
	}
	g := got[0]
	if g.ClientID != "10000000000042" || g.DeploymentPolicy != tool.TrustOnFirstUse || len(g.Deployments) != 0 ||
		!slices.Equal(g.Algorithms, []string{"RS256", "ES256"}) || g.TokenAudience != p.URL+"/login/oauth2/token" {
		t.Errorf("stored %+v; want client_id 10000000000042, trust-on-first-use, algorithms RS256 ES256, the authorization_server as token audience", g)
	}
}

func TestConfirm_RequireApproval(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, func(c *dynreg.Config) { c.RequireApproval = true })
	_, page := a.start(t, p, "token")
	if !strings.Contains(page, "once the tool's administrator has approved") {
		t.Errorf("the confirmation page does not say approval is needed: %s", text(page))
	}
	res, page := a.post(t, url.Values{"confirmation": {confirmation(t, page)}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "must approve") || !closes(page) {
		t.Errorf("confirm: %s: %s", res.Status, text(page))
	}
	got := a.stored(t)
	if len(got) != 1 || !got[0].Pending || got[0].Active() {
		t.Fatalf("stored %+v, want one pending registration", got)
	}
	if err := tool.Approve(context.Background(), a.regs, got[0].Issuer, got[0].ClientID); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.regs.Platform(context.Background(), got[0].Issuer, got[0].ClientID); !p.Active() {
		t.Errorf("after Approve: %+v", p)
	}
}

// TestConfirm_RefusalsStoreNothing replays the platform's refusals Moodle
// was recorded giving, and other failures: each ends on a page that says
// what happened and stores nothing.
func TestConfirm_RefusalsStoreNothing(t *testing.T) {
	replay := func(name string) func(p *platform) http.HandlerFunc {
		return func(p *platform) http.HandlerFunc { return p.answer(loadFixture(t, name)) }
	}
	respond := func(status int, ct, body string) func(p *platform) http.HandlerFunc {
		return func(*platform) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", ct)
				w.WriteHeader(status)
				io.WriteString(w, body)
			}
		}
	}
	tests := []struct {
		name            string
		answer          func(p *platform) http.HandlerFunc
		status          int
		want            string
		maybeRegistered bool // the platform may have registered the tool
	}{
		{"token already used (Moodle)", replay("07_dynreg_replay_same_registration_token.json"), 502, "already completed", false},
		{"no token (Moodle)", replay("05_dynreg_error_no_registration_token.json"), 502, "did not receive a registration token", false},
		{"bad token (Moodle's HTML 404)", replay("04_dynreg_error_bad_registration_token.json"), 502, "registration token is not valid", false},
		{"expired token", respond(401, "text/html", "Expired token"), 502, "may have expired", false},
		{"refused attribute", respond(400, "text/html; charset=utf-8", "missing required attribute client_name"), 502, `"missing required attribute client_name"`, false},
		{"refusal as a page", respond(400, "text/html", "<html><body>error</body></html>"), 502, "HTTP status 400", false},
		{"server error", respond(500, "text/plain", "boom"), 502, "HTTP status 500", true},
		{"bad gateway", respond(502, "text/html", "<html>proxy</html>"), 502, "HTTP status 502", true},
		{"success without JSON", respond(200, "text/html", "<html>ok</html>"), 502, "does not know its client ID", true},
		{"JSON without client_id", respond(200, "application/json", `{"scope": ""}`), 502, "does not know its client ID", true},
		{"client_id not a string", respond(200, "application/json", `{"client_id": {"id": 1}}`), 502, "does not know its client ID", true},
		{"deployment_id an object", respond(200, "application/json", `{"client_id": "c", "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": {}}}`), 502, "does not know its client ID", true},
		{"client_id not printable", respond(200, "application/json", `{"client_id": "a\u0000b"}`), 502, "does not know its client ID", true},
		{"redirect to nowhere", respond(307, "text/html", ""), 502, "HTTP status 307", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlatform(t)
			p.register = tt.answer(p)
			a := newApp(t, nil)
			res, page := a.register(t, p, moodleToken(t))
			if res.StatusCode != tt.status || !strings.Contains(text(page), tt.want) || closes(page) {
				t.Errorf("%s, want %d and %q, without closing: %s", res.Status, tt.status, tt.want, text(page))
			}
			// Only an answer that leaves the outcome unknown asks the
			// administrator to look for a tool the LMS may have added.
			if got := strings.Contains(text(page), deleteNewTool); got != tt.maybeRegistered {
				t.Errorf("the page advises deleting a new tool: %v, want %v: %s", got, tt.maybeRegistered, text(page))
			}
			if got := a.stored(t); len(got) != 0 {
				t.Errorf("stored %+v after a failed registration", got)
			}
		})
	}
}

// deleteNewTool is the advice after a registration whose outcome is unknown.
const deleteNewTool = "If the LMS now lists a new pending tool, delete it before starting again."

func TestConfirm_Timeout(t *testing.T) {
	p := newPlatform(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	p.register = func(w http.ResponseWriter, r *http.Request) { <-release } // never answers in time
	a := newApp(t, nil, func(c *tool.Config) { c.HTTPClient = &http.Client{Timeout: 200 * time.Millisecond} })
	res, page := a.register(t, p, "token")
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(text(page), "did not answer the registration in time") ||
		!strings.Contains(text(page), deleteNewTool) {
		t.Errorf("%s, want 504 and a clear message: %s", res.Status, text(page))
	}
	if got := a.stored(t); len(got) != 0 {
		t.Errorf("stored %+v after a timeout", got)
	}
}

func TestConfirm_StoreFailure(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, func(c *dynreg.Config) { c.Registrations = failingStore{} })
	res, page := a.register(t, p, "token")
	if res.StatusCode != http.StatusInternalServerError || !strings.Contains(text(page), `client ID "f1Jrwm4BKsV9HY1", but the tool could not save`) ||
		!strings.Contains(text(page), "Delete the new tool in the LMS") {
		t.Errorf("%s, want 500 telling the administrator to delete the tool in the LMS: %s", res.Status, text(page))
	}
}

func TestConfirm_AlreadyRegistered(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	existing := tool.Platform{Issuer: p.URL, ClientID: "f1Jrwm4BKsV9HY1", Deployments: []string{"9"},
		AuthURL: p.URL + "/auth", JWKSURL: p.URL + "/jwks"}
	if err := a.regs.Add(context.Background(), existing); err != nil {
		t.Fatal(err)
	}
	res, page := a.register(t, p, "token")
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("%s, want 500: %s", res.Status, text(page))
	}
	if got := a.stored(t); len(got) != 1 || !reflect.DeepEqual(got[0], existing) {
		t.Errorf("the existing registration changed: %+v", got)
	}
}

// TestConfirm_SingleUse posts one confirmation many times at once, as a
// double click or a replay does: the platform gets one registration.
func TestConfirm_SingleUse(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	_, page := a.start(t, p, "token")
	form := url.Values{"confirmation": {confirmation(t, page)}}
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Go(func() { res, _ := a.post(t, form); statuses[i] = res.StatusCode })
	}
	wg.Wait()
	slices.Sort(statuses)
	if statuses[0] != http.StatusOK || statuses[1] != http.StatusBadRequest || statuses[n-1] != http.StatusBadRequest || len(p.registrations()) != 1 {
		t.Errorf("statuses %v and %d registration requests; want one 200, the others 400, one request", statuses, len(p.registrations()))
	}
	res, page := a.post(t, form)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(page, "already completed or cancelled") {
		t.Errorf("replayed confirmation: %s: %s", res.Status, text(page))
	}
}

func TestConfirm_Cancel(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	_, page := a.start(t, p, "token")
	conf := confirmation(t, page)
	res, page := a.post(t, url.Values{"confirmation": {conf}, "action": {"cancel"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Registration cancelled") || !closes(page) {
		t.Errorf("cancel: %s: %s", res.Status, text(page))
	}
	if len(p.registrations()) != 0 || len(a.stored(t)) != 0 {
		t.Error("a cancelled registration reached the platform or the store")
	}
	if res, _ := a.post(t, url.Values{"confirmation": {conf}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("confirming after cancelling: %s, want 400", res.Status)
	}
}

func TestConfirm_BadRequests(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, nil)
	_, page := a.start(t, p, "token")
	conf := confirmation(t, page)
	post := func(header http.Header, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/lti/register", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	tests := []struct {
		name   string
		header http.Header
		body   string
	}{
		{"cross-site post (CSRF)", http.Header{"Sec-Fetch-Site": {"cross-site"}}, "confirmation=" + conf},
		{"other origin (CSRF)", http.Header{"Origin": {"https://attacker.example"}}, "confirmation=" + conf},
		{"no confirmation", nil, "action=register"},
		{"unknown confirmation", nil, "confirmation=forged"},
		{"overlong confirmation", nil, "confirmation=" + strings.Repeat("a", 200)},
		{"oversized form", nil, "confirmation=" + conf + "&x=" + strings.Repeat("a", 20<<10)},
		{"malformed form", nil, "confirmation=%zz"},
	}
	for _, tt := range tests {
		if res := post(tt.header, tt.body); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", tt.name, res.Status)
		}
	}
	if len(p.registrations()) != 0 {
		t.Fatal("a refused confirmation reached the platform")
	}
	// The refusals above did not use the confirmation up.
	if res, page := a.post(t, url.Values{"confirmation": {conf}}); res.StatusCode != http.StatusOK {
		t.Errorf("the genuine confirmation after the refused ones: %s: %s", res.Status, text(page))
	}
}

// failingStore is a registration store whose changes fail.
type failingStore struct{ tool.Registrations }

func (failingStore) Add(context.Context, tool.Platform) error {
	return errors.New("disk full")
}
