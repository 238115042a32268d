package tool

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func decodeJWTPart(t *testing.T, jwt string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClientAssertion_SEC_CC_03_Claims(t *testing.T) {
	e := newSvcEnv(t)
	now := e.clock.Now()
	tests := []struct {
		name       string
		audience   string
		deployment string
		wantAud    string
	}{
		{"aud is the token URL", "", "dep-1", e.platform.TokenURL},
		{"aud is the configured audience (Canvas authorization_server)", "https://sso.canvaslms.com/login/oauth2/token", "dep-1", "https://sso.canvaslms.com/login/oauth2/token"},
		{"no deployment_id claim when none is given", "", "", e.platform.TokenURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := e.platform
			p.TokenAudience = tt.audience
			jwt, err := e.tool.clientAssertion(&p, tt.deployment, now)
			if err != nil {
				t.Fatal(err)
			}
			h, c := decodeJWTPart(t, jwt, 0), decodeJWTPart(t, jwt, 1)
			if h["kid"] != testToolKey().ID || h["alg"] != "RS256" {
				t.Errorf("header %v, want kid %s and RS256", h, testToolKey().ID)
			}
			if c["iss"] != svcClientID || c["sub"] != svcClientID || c["aud"] != tt.wantAud {
				t.Errorf("iss %v sub %v aud %v", c["iss"], c["sub"], c["aud"])
			}
			iat, exp := c["iat"].(float64), c["exp"].(float64)
			if iat != float64(now.Add(-assertionBackdate).Unix()) || exp != float64(now.Add(assertionLifetime).Unix()) {
				t.Errorf("iat %v exp %v, want back-dated integer iat and short exp around %d", iat, exp, now.Unix())
			}
			if _, ok := c["jti"].(string); !ok {
				t.Errorf("no jti")
			}
			if got, ok := c[claimDeploymentIDName]; (tt.deployment != "") != ok || ok && got != tt.deployment {
				t.Errorf("deployment_id claim %v (present %v), want %q (SEC-CC-08)", got, ok, tt.deployment)
			}
			again, _ := e.tool.clientAssertion(&p, tt.deployment, now)
			if decodeJWTPart(t, again, 1)["jti"] == c["jti"] {
				t.Error("two assertions share a jti")
			}
		})
	}
}

func TestToken_SEC_CC_01_StrictEndpointAcceptsRequest(t *testing.T) {
	e := newSvcEnv(t)
	// The strict endpoint fails the test on any deviation: exact form
	// Content-Type, the four parameters, signature, kid, integer iat in the
	// past, short exp, unique jti, deployment_id, User-Agent.
	for i := range 3 {
		p := e.platform
		if _, err := e.tool.Client(context.Background(), &p, svcDeploy, ScopeScore); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Hour + time.Duration(i)*time.Second) // the token expired
	}
	if e.token.count() != 3 {
		t.Errorf("token requests %d, want 3", e.token.count())
	}
}

func TestToken_SEC_CC_04_TokenTypeAnyCaseButBearer(t *testing.T) {
	tests := []struct {
		tokenType string
		ok        bool
	}{
		{"Bearer", true}, {"bearer", true}, {"BEARER", true}, {"", true},
		{"mac", false}, {"DPoP", false}, {"Bearer2", false}, {"N_A", false},
	}
	for _, tt := range tests {
		t.Run(tt.tokenType, func(t *testing.T) {
			e := newSvcEnv(t)
			e.token.set(func(e *tokenEndpoint) { e.tokenType = tt.tokenType })
			_, err := e.tool.Client(context.Background(), &e.platform, svcDeploy, ScopeScore)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok && !errors.Is(err, ErrTokenRequestFailed) {
				t.Errorf("err %v, want ErrTokenRequestFailed", err)
			}
		})
	}
}

func TestToken_SEC_CC_04_GrantedScopesChecked(t *testing.T) {
	e := newSvcEnv(t)
	e.token.set(func(e *tokenEndpoint) {
		e.grant = func(string) string { return ScopeLineItemReadOnly + " " + ScopeResultReadOnly }
	})
	_, err := e.tool.Client(context.Background(), &e.platform, svcDeploy, ScopeLineItemReadOnly, ScopeScore)
	if !errors.Is(err, ErrScopeNotGranted) || !strings.Contains(err.Error(), ScopeScore) {
		t.Fatalf("Client: %v, want ErrScopeNotGranted naming the score scope", err)
	}
	srv := e.serve(&recorder{reply: func(w http.ResponseWriter, _ *http.Request, _ string) { w.Write([]byte("[]")) }})
	g := e.grades(srv.URL + "/lineitems")
	err = g.PostScore(context.Background(), srv.URL+"/lineitems/1/lineitem", Score{UserID: "u", ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
	if !errors.Is(err, ErrScopeNotGranted) {
		t.Fatalf("PostScore: %v, want ErrScopeNotGranted", err)
	}
	if _, err := g.LineItems(context.Background(), LineItemsQuery{}); err != nil {
		t.Errorf("LineItems with a granted read scope: %v", err)
	}
}

func TestToken_SEC_CC_05_ErrorsKeepStatusAndBody(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		ctype      string
		body       string
		retryAfter string
		temporary  bool
		wantRetry  time.Duration
		reason     string
	}{
		{"invalid_client", 400, "text/html; charset=utf-8", `{"error" : "invalid_client"}`, "", false, 0, "invalid_client"},
		{"Moodle's non-JSON unknown kid", 400, "text/html; charset=utf-8", `{"error" : ""kid" invalid, unable to lookup correct key"}`, "", false, 0, ""},
		{"Canvas 500 without detail", 500, "text/plain", "", "", true, 0, ""},
		{"503 with Retry-After seconds", 503, "application/json", `{"error":"temporarily_unavailable"}`, "120", true, 2 * time.Minute, "temporarily_unavailable"},
		{"429 with Retry-After date", 429, "application/json", `{}`, "Sat, 28 Nov 2026 21:18:29 GMT", true, 60 * time.Second, ""},
		{"401 unauthorized client", 401, "application/json", `{"error":"unauthorized_client","error_description":"no such tool"}`, "", false, 0, "unauthorized_client: no such tool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			e.clock.Add(-644 * time.Millisecond) // 21:17:29 exactly, for the Retry-After date
			e.token.set(func(e *tokenEndpoint) {
				e.respond = func(w http.ResponseWriter, _ int, _ string) bool {
					w.Header().Set("Content-Type", tt.ctype)
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(tt.status)
					w.Write([]byte(tt.body))
					return true
				}
			})
			_, err := e.tool.Client(context.Background(), &e.platform, svcDeploy, ScopeScore)
			code, se := serviceErrorOf(err)
			if code != CodeTokenRequestFailed || se == nil {
				t.Fatalf("err %v, want token_request_failed with a ServiceError", err)
			}
			if se.StatusCode != tt.status || string(se.Body) != tt.body || se.Temporary() != tt.temporary || se.RetryAfter != tt.wantRetry {
				t.Errorf("ServiceError %d %q temporary=%v retry=%v, want %d %q %v %v",
					se.StatusCode, se.Body, se.Temporary(), se.RetryAfter, tt.status, tt.body, tt.temporary, tt.wantRetry)
			}
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.Response.StatusCode != tt.status {
				t.Errorf("no *oauth2.RetrieveError with the status in %v", err)
			}
			if tt.reason != "" && !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("message %q lacks %q", err, tt.reason)
			}
		})
	}
}

func TestToken_UnusableAnswers(t *testing.T) {
	tests := []struct{ name, body string }{
		{"no access_token", `{"token_type":"Bearer","expires_in":3600}`},
		{"not JSON", `<html>login</html>`},
		{"error in a 200", `{"error":"invalid_scope"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			e.token.set(func(e *tokenEndpoint) {
				e.respond = func(w http.ResponseWriter, _ int, _ string) bool {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(tt.body))
					return true
				}
			})
			_, err := e.tool.Client(context.Background(), &e.platform, svcDeploy, ScopeScore)
			if code, se := serviceErrorOf(err); code != CodeTokenRequestFailed || se != nil && se.Temporary() {
				t.Fatalf("err %v, want a permanent token_request_failed", err)
			}
		})
	}
}

func TestToken_RegistrationProblems(t *testing.T) {
	e := newSvcEnv(t)
	noURL := e.platform
	noURL.TokenURL = ""
	disabled := e.platform
	disabled.Disabled = true
	down := e.platform
	srv := e.serve(http.NotFoundHandler())
	srv.Close()
	down.TokenURL = srv.URL + "/token"
	tests := []struct {
		name      string
		call      func() error
		code      Code
		temporary bool
	}{
		{"no token URL", func() error {
			_, err := e.tool.Client(context.Background(), &noURL, svcDeploy, ScopeScore)
			return err
		}, CodeTokenRequestFailed, false},
		{"nil platform", func() error {
			_, err := e.tool.Client(context.Background(), nil, svcDeploy, ScopeScore)
			return err
		}, CodeInvalidServiceRequest, false},
		{"no scope", func() error {
			_, err := e.tool.Client(context.Background(), &e.platform, svcDeploy, "")
			return err
		}, CodeInvalidServiceRequest, false},
		{"token endpoint down", func() error {
			_, err := e.tool.Client(context.Background(), &down, svcDeploy, ScopeScore)
			return err
		}, CodeTokenRequestFailed, true},
		{"disabled registration", func() error {
			return e.tool.GradesFor(&disabled, AGSEndpoint{LineItems: srv.URL}, svcDeploy).
				PostScore(context.Background(), srv.URL+"/li", Score{UserID: "u", ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
		}, CodeInactivePlatform, false},
		{"unknown registration", func() error {
			l := e.launch(&AGSEndpoint{LineItems: srv.URL}, nil)
			l.ClientID = "someone-else"
			g, _ := e.tool.Grades(l)
			_, err := g.LineItems(context.Background(), LineItemsQuery{})
			return err
		}, CodeUnknownPlatform, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			code, se := serviceErrorOf(err)
			if code != tt.code || (se != nil && se.Temporary()) != tt.temporary {
				t.Fatalf("err %v (ServiceError %v), want %s temporary=%v", err, se, tt.code, tt.temporary)
			}
		})
	}
}

func TestToken_SEC_CC_06_ReusedUntilShortlyBeforeExpiry(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn any
		reuseFor  time.Duration // still the first token just before this
	}{
		{"Moodle's 3600 seconds", 3600, 59 * time.Minute},
		{"expires_in as a string", "3600", 59 * time.Minute},
		{"short-lived token keeps half", 60, 30 * time.Second},
		{"no expires_in", nil, defaultTokenLifetime - time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			e.token.set(func(e *tokenEndpoint) { e.expiresIn = tt.expiresIn })
			get := func() string {
				tok, _, err := e.tool.serviceToken(context.Background(), &e.platform, svcDeploy, []string{ScopeScore})
				if err != nil {
					t.Fatal(err)
				}
				return tok.access
			}
			first := get()
			e.clock.Add(tt.reuseFor - time.Second)
			if got := get(); got != first || e.token.count() != 1 {
				t.Fatalf("token %s after %v (requests %d), want the cached %s", got, tt.reuseFor-time.Second, e.token.count(), first)
			}
			e.clock.Add(time.Second)
			if got := get(); got == first || e.token.count() != 2 {
				t.Fatalf("token %s at %v (requests %d), want a new one", got, tt.reuseFor, e.token.count())
			}
		})
	}
}

func TestToken_SEC_CC_06_OneTokenPerScopeSetAndDeployment(t *testing.T) {
	e := newSvcEnv(t)
	ctx := context.Background()
	get := func(dep string, scopes ...string) string {
		e.token.set(func(te *tokenEndpoint) { te.deploymentID = dep })
		tok, _, err := e.tool.serviceToken(ctx, &e.platform, dep, normScopes(scopes))
		if err != nil {
			t.Fatal(err)
		}
		return tok.access
	}
	a := get(svcDeploy, ScopeScore, ScopeLineItem)
	if b := get(svcDeploy, ScopeLineItem, ScopeScore, ScopeScore); b != a {
		t.Errorf("same scope set in another order got another token")
	}
	if c := get(svcDeploy, ScopeScore); c == a {
		t.Errorf("another scope set shared the token")
	}
	if d := get("dep-2", ScopeScore, ScopeLineItem); d == a {
		t.Errorf("another deployment shared the token")
	}
	if e.token.count() != 3 {
		t.Errorf("token requests %d, want 3", e.token.count())
	}
}

func TestToken_SEC_CC_06_ThousandConcurrentScorePostsOneTokenRequestPerScopeSet(t *testing.T) {
	e := newSvcEnv(t)
	gate := make(chan struct{})
	e.token.set(func(te *tokenEndpoint) { te.gate = gate })
	scores := &recorder{reply: func(w http.ResponseWriter, r *http.Request, _ string) {
		if r.Header.Get("Authorization") != "Bearer tok-1" && r.Header.Get("Authorization") != "Bearer tok-2" {
			t.Errorf("Authorization %q", r.Header.Get("Authorization"))
		}
	}}
	members := func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"members":[{"user_id":"1","roles":["Learner"]}]}`))
	}
	srv := e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/memberships") {
			members(w, r)
			return
		}
		scores.ServeHTTP(w, r)
	}))
	g := e.grades(srv.URL + "/lineitems")
	roster := e.tool.RosterFor(&e.platform, srv.URL+"/memberships", svcDeploy)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			errs <- g.PostScore(context.Background(), srv.URL+"/lineitems/1/lineitem?type_id=1", Score{
				UserID: fmt.Sprint(i), ScoreGiven: 1, ScoreMaximum: 2,
				ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
		})
		if i%10 == 0 {
			wg.Go(func() {
				for _, err := range roster.Members(context.Background(), MembersQuery{}) {
					errs <- err
				}
			})
		}
	}
	close(gate) // every caller queued behind the first token request by now or soon
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.token.count(); got != 2 {
		t.Errorf("token requests %d, want 2 (one per scope set: AGS, NRPS)", got)
	}
	if got := len(scores.requests()); got != n {
		t.Errorf("score posts %d, want %d", got, n)
	}
}

func TestToken_WaiterGivesUpAloneSharedFetchGoesOn(t *testing.T) {
	e := newSvcEnv(t)
	gate := make(chan struct{})
	e.token.set(func(te *tokenEndpoint) { te.gate = gate })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, _, err := e.tool.serviceToken(ctx, &e.platform, svcDeploy, []string{ScopeScore})
		done <- err
	}()
	other := make(chan error)
	go func() {
		_, _, err := e.tool.serviceToken(context.Background(), &e.platform, svcDeploy, []string{ScopeScore})
		other <- err
	}()
	cancel()
	err := <-done
	if _, se := serviceErrorOf(err); !errors.Is(err, context.Canceled) || !errors.Is(err, ErrTokenRequestFailed) || se == nil || se.Temporary() {
		t.Fatalf("cancelled waiter: %v, want ErrTokenRequestFailed wrapping context.Canceled, not temporary", err)
	}
	close(gate)
	if err := <-other; err != nil {
		t.Fatalf("the other waiter: %v", err)
	}
	if e.token.count() != 1 {
		t.Errorf("token requests %d, want 1", e.token.count())
	}
}

func TestService_AGS_TOK_01_NewTokenOnceOn401(t *testing.T) {
	tests := []struct {
		name         string
		accept       func(auth string) bool
		wantErr      Code
		wantTokens   int
		wantRequests int
	}{
		{"expired token replaced", func(a string) bool { return a == "Bearer tok-2" }, "", 2, 2},
		{"valid token sent once", func(a string) bool { return true }, "", 1, 1},
		{"still 401 with a new token", func(string) bool { return false }, CodeServiceUnauthorized, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			svc := &recorder{reply: func(w http.ResponseWriter, r *http.Request, _ string) {
				if !tt.accept(r.Header.Get("Authorization")) {
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
					w.WriteHeader(http.StatusUnauthorized)
					w.Write([]byte(`{"status":401,"reason":"Unauthorized"}`))
				}
			}}
			srv := e.serve(svc)
			err := e.grades(srv.URL+"/lineitems").PostScore(context.Background(), srv.URL+"/lineitems/9/lineitem",
				Score{UserID: "u", ScoreGiven: 3, ScoreMaximum: 4, ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
			if CodeOf(err) != tt.wantErr {
				t.Fatalf("err %v, want code %q", err, tt.wantErr)
			}
			reqs := svc.requests()
			if e.token.count() != tt.wantTokens || len(reqs) != tt.wantRequests {
				t.Fatalf("tokens %d, service requests %d; want %d, %d", e.token.count(), len(reqs), tt.wantTokens, tt.wantRequests)
			}
			if len(reqs) == 2 && (reqs[0].Body != reqs[1].Body || reqs[1].Body == "") {
				t.Errorf("resent body %q differs from %q", reqs[1].Body, reqs[0].Body)
			}
		})
	}
}

func TestService_RedirectsStayOnOrigin(t *testing.T) {
	e := newSvcEnv(t)
	elsewhere := &recorder{}
	other := e.serve(elsewhere)
	target := &recorder{reply: func(w http.ResponseWriter, r *http.Request, _ string) {
		w.Write([]byte(`[]`))
	}}
	var srvURL string
	srv := e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/lineitems", http.StatusFound)
		case "/moved":
			http.Redirect(w, r, srvURL+"/lineitems", http.StatusFound)
		default:
			target.ServeHTTP(w, r)
		}
	}))
	srvURL = srv.URL
	if _, err := e.grades(srv.URL+"/moved").LineItems(context.Background(), LineItemsQuery{}); err != nil {
		t.Errorf("same-origin redirect: %v", err)
	}
	if got := target.requests(); len(got) != 1 || !strings.HasPrefix(got[0].Header.Get("Authorization"), "Bearer ") {
		t.Errorf("redirected request %v, want one with the token", got)
	}
	_, err := e.grades(srv.URL+"/away").LineItems(context.Background(), LineItemsQuery{})
	if code, se := serviceErrorOf(err); code != CodeServiceFailed || se == nil || se.StatusCode != http.StatusFound {
		t.Errorf("cross-origin redirect: %v, want service_failed with the 302", err)
	}
	if len(elsewhere.requests()) != 0 {
		t.Errorf("the other origin got %d requests (and the token)", len(elsewhere.requests()))
	}
}

func TestService_UserAgentOnEveryCall(t *testing.T) {
	e := newSvcEnv(t)
	svc := &recorder{reply: func(w http.ResponseWriter, r *http.Request, _ string) { w.Write([]byte(`[]`)) }}
	srv := e.serve(svc)
	if _, err := e.grades(srv.URL+"/lineitems").LineItems(context.Background(), LineItemsQuery{}); err != nil {
		t.Fatal(err)
	}
	c, err := e.tool.Client(context.Background(), &e.platform, svcDeploy, ScopeScore)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Get(srv.URL + "/custom")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	reqs := svc.requests()
	for _, r := range reqs {
		if ua := r.Header.Get("User-Agent"); ua != userAgent {
			t.Errorf("%s %s: User-Agent %q, want %q", r.Method, r.Path, ua, userAgent)
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			t.Errorf("%s: Authorization %q", r.Path, r.Header.Get("Authorization"))
		}
	}
	if len(reqs) != 2 {
		t.Errorf("requests %d, want 2", len(reqs))
	}
}

func TestToken_SEC_CC_04_AnswerWhateverItsContentType(t *testing.T) {
	json := `{"access_token":"abc","token_type":"bearer","expires_in":3600,"scope":"` + ScopeScore + `"}`
	tests := []struct{ name, ctype, body string }{
		{"Moodle's text/html", "text/html; charset=utf-8", json},
		{"application/json with charset", "application/json; charset=utf-8", json},
		{"JSON as text/plain", "text/plain", "\n " + json},
		{"JSON labelled as a form", "application/x-www-form-urlencoded", json},
		{"a real form answer", "application/x-www-form-urlencoded", "access_token=abc&token_type=Bearer&expires_in=3600&scope=" + ScopeScore},
		{"no Content-Type", "", json},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			e.token.set(func(e *tokenEndpoint) {
				e.respond = func(w http.ResponseWriter, _ int, _ string) bool {
					w.Header()["Content-Type"] = []string{tt.ctype}
					w.Write([]byte(tt.body))
					return true
				}
			})
			tok, _, err := e.tool.serviceToken(context.Background(), &e.platform, svcDeploy, []string{ScopeScore})
			if err != nil || tok.access != "abc" || !tok.grants(ScopeScore) {
				t.Fatalf("token %+v, %v", tok, err)
			}
			e.clock.Add(58 * time.Minute)
			if again, _, _ := e.tool.serviceToken(context.Background(), &e.platform, svcDeploy, []string{ScopeScore}); again != tok {
				t.Errorf("expires_in was not read: the token was fetched again")
			}
		})
	}
}

// SEC-CC-04: an answer x/oauth2 cannot use (Moodle with debugging on puts
// PHP notices before the JSON) is a typed error that keeps its status and
// body for the administrator.
func TestToken_SEC_CC_04_UnusableAnswerKeepsEvidence(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string // want: the body kept; default body
	}{
		{"PHP notice before the JSON", "text/html; charset=utf-8",
			"<br />\n<b>Notice</b>: Undefined index in token.php<br />\n{\"access_token\":\"SECRET1\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
			"<br />\n<b>Notice</b>: Undefined index in token.php<br />\n{\"access_token\":\"[redacted]\",\"token_type\":\"Bearer\",\"expires_in\":3600}"},
		{"PHP notice after the JSON, tokens redacted", "text/html",
			`{"access_token" : "SECRET1\"x","refresh_token":"SECRET2"}` + "\n<b>Notice</b>: x",
			`{"access_token" : "[redacted]","refresh_token":"[redacted]"}` + "\n<b>Notice</b>: x"},
		{"form-encoded without access_token, token redacted", "text/plain", "refresh_token=SECRET2&token_type=bearer", `refresh_token="[redacted]"&token_type=bearer`},
		{"JSON without access_token", "application/json", `{"token_type":"Bearer","expires_in":3600}`, ""},
		{"empty body", "application/json", ``, ""},
		{"JSON array", "application/json", `[{"access_token":"SECRET1"}]`, `[{"access_token":"[redacted]"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			srv := e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Write([]byte(tt.body))
			}))
			p := e.platform
			p.TokenURL = srv.URL + "/token"
			_, err := e.tool.Client(context.Background(), &p, svcDeploy, ScopeScore)
			var se *ServiceError
			if CodeOf(err) != CodeTokenRequestFailed || !errors.As(err, &se) {
				t.Fatalf("err %v, want %s with a *ServiceError", err, CodeTokenRequestFailed)
			}
			want := cmp.Or(tt.want, tt.body)
			if se.StatusCode != http.StatusOK || string(se.Body) != want || se.URL != p.TokenURL {
				t.Errorf("ServiceError %d %q %s, want 200, %q, the token URL", se.StatusCode, se.Body, se.URL, want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error shows a token: %v", err)
			}
		})
	}
}
