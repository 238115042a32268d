package ltitest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// catalogTool is an ltikit tool with a deep-linking catalog: its launch
// redirects to /catalog, whose pages restore the launch with
// middleware.Session from ?launch=ID, and /catalog/pick answers the
// platform with the quizzes picked. It publishes its keys at /jwks.
type catalogTool struct {
	URL  string
	Tool *tool.Tool
	Keys *jwks.KeyRing

	mu sync.Mutex
	// respond, when set, replaces the ltikit builder on /catalog/pick, to
	// send responses a correct tool never would.
	respond func(w http.ResponseWriter, r *http.Request, l *tool.Launch)
}

func (ct *catalogTool) setRespond(f func(w http.ResponseWriter, r *http.Request, l *tool.Launch)) {
	ct.mu.Lock()
	ct.respond = f
	ct.mu.Unlock()
}

func newCatalogTool(t *testing.T, p *ltitest.Platform) *catalogTool {
	t.Helper()
	tt := newTestTool(t, p)
	tl := tt.Tool
	ct := &catalogTool{URL: tt.URL, Tool: tl, Keys: tt.Keys}

	session := middleware.Session(tl)
	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(middleware.RequireMessageType(tool.DeepLinkingRequest)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l, _ := tool.LaunchFrom(r.Context())
			http.Redirect(w, r, l.Link("/catalog"), http.StatusSeeOther)
		}))))
	mux.Handle("GET /catalog", session(http.HandlerFunc(ct.catalog)))
	mux.Handle("POST /catalog/pick", session(http.HandlerFunc(ct.pick)))
	tt.serve(t, p, mux)
	return ct
}

// catalog lists the quizzes on two pages; both carry the launch.
func (ct *catalogTool) catalog(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	if l.DeepLinking == nil {
		http.Error(w, "not a deep-linking launch", http.StatusBadRequest)
		return
	}
	page := r.URL.Query().Get("page")
	fmt.Fprintf(w, `<!DOCTYPE html><h1>Quizzes, page %s</h1><p>for %s</p><a href="%s">next page</a>
<form method="post" action="%s"><input type="checkbox" name="quiz" value="1"><input type="checkbox" name="quiz" value="2"><button>Add</button></form>`,
		html.EscapeString(page), html.EscapeString(l.Context.Title),
		html.EscapeString(l.Link("/catalog?page=2")), html.EscapeString(l.Link("/catalog/pick")))
}

// pick answers the platform with the quizzes picked: graded resource links.
func (ct *catalogTool) pick(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	ct.mu.Lock()
	respond := ct.respond
	ct.mu.Unlock()
	if respond != nil {
		respond(w, r, l)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res := ct.Tool.DeepLinkResponse(l)
	for _, q := range r.PostForm["quiz"] {
		res.Add(ct.quiz(q))
	}
	switch {
	case r.PostForm.Get("cancel") != "":
		res.Error("Nothing could be added", "the user cancelled")
	case len(r.PostForm["quiz"]) == 0:
		res.Message("Nothing selected")
	default:
		res.Message(fmt.Sprintf("%d quizzes added", len(r.PostForm["quiz"])))
	}
	if err := res.Write(r.Context(), w); err != nil {
		ct.Tool.ServeError(w, r, err)
	}
}

func (ct *catalogTool) quiz(q string) tool.ResourceLinkItem {
	return tool.ResourceLinkItem{
		Title: "Quiz " + q, URL: ct.URL + "/quiz/" + q, Custom: map[string]string{"quiz": q},
		Iframe:   &tool.Iframe{Height: 600},
		LineItem: &tool.LineItem{ScoreMaximum: 10, ResourceID: "quiz-" + q, Tag: "quiz"},
	}
}

var (
	hrefRe   = regexp.MustCompile(`<a href="([^"]+)">`)
	actionRe = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
)

// choose is the teacher in the catalog: it opens the next page, then picks
// quizzes there (none: nothing selected).
func choose(t *testing.T, quizzes ...string) func(c *http.Client, page *http.Response) *http.Response {
	return func(c *http.Client, page *http.Response) *http.Response {
		t.Helper()
		page = follow(t, c, page, hrefRe)
		body, _ := io.ReadAll(page.Body)
		m := actionRe.FindSubmatch(body)
		if m == nil {
			t.Fatalf("no form on the catalog page (%s): %s", page.Status, body)
		}
		action, _ := page.Request.URL.Parse(html.UnescapeString(string(m[1])))
		resp, err := c.PostForm(action.String(), url.Values{"quiz": quizzes})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
}

// follow loads the URL re finds on page.
func follow(t *testing.T, c *http.Client, page *http.Response, re *regexp.Regexp) *http.Response {
	t.Helper()
	body, _ := io.ReadAll(page.Body)
	m := re.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no link on the page (%s): %s", page.Status, body)
	}
	u, _ := page.Request.URL.Parse(html.UnescapeString(string(m[1])))
	resp, err := c.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestDeepLink_EndToEnd: a teacher browses the catalog over several pages
// and adds two graded quizzes; the strict platform accepts the response and
// records the items.
func TestDeepLink_EndToEnd(t *testing.T) {
	for name, opts := range map[string][]ltitest.Option{"generic": nil, "Moodle": {ltitest.Moodle()}} {
		t.Run(name, func(t *testing.T) {
			p := ltitest.NewPlatform(t, opts...)
			ct := newCatalogTool(t, p)
			res := p.DeepLink(t, ct.URL+"/lti/login", ltitest.Message{Roles: tool.Roles{tool.RoleInstructor}}, choose(t, "1", "2"))
			if !res.Accepted() {
				t.Fatalf("the platform refused the response: %v", res.Violations)
			}
			items := p.DeepLinkItems()
			if len(items) != 2 || len(res.Items) != 2 {
				t.Fatalf("recorded %d items, want 2: %+v", len(items), items)
			}
			for i, it := range items {
				q := fmt.Sprint(i + 1)
				if it.Type != tool.TypeResourceLink || it.Title != "Quiz "+q || it.URL != ct.URL+"/quiz/"+q ||
					it.Custom["quiz"] != q || it.LineItem == nil || it.LineItem.ScoreMaximum != 10 ||
					it.LineItem.ResourceID != "quiz-"+q || it.LineItem.Label != "Quiz "+q {
					t.Errorf("item %d = %+v, line item %+v", i, it, it.LineItem)
				}
			}
			if res.Msg != "2 quizzes added" {
				t.Errorf("msg = %q", res.Msg)
			}
			if res.Header["kid"] != ct.Keys.Active().ID {
				t.Errorf("kid = %v, want the tool's active key %s", res.Header["kid"], ct.Keys.Active().ID)
			}
		})
	}
}

// TestDeepLink_DL_RESP_05_NothingSelectedAndError: the empty response and
// the error response reach the platform and create nothing.
func TestDeepLink_DL_RESP_05_NothingSelectedAndError(t *testing.T) {
	p := ltitest.NewPlatform(t)
	ct := newCatalogTool(t, p)
	res := p.DeepLink(t, ct.URL+"/lti/login", ltitest.Message{}, choose(t))
	if !res.Accepted() || len(res.Items) != 0 || res.Msg != "Nothing selected" {
		t.Errorf("nothing selected: %+v", res)
	}
	cancel := func(c *http.Client, page *http.Response) *http.Response {
		page = follow(t, c, page, hrefRe)
		body, _ := io.ReadAll(page.Body)
		action, _ := page.Request.URL.Parse(html.UnescapeString(string(actionRe.FindSubmatch(body)[1])))
		resp, err := c.PostForm(action.String(), url.Values{"cancel": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	res = p.DeepLink(t, ct.URL+"/lti/login", ltitest.Message{}, cancel)
	if !res.Accepted() || res.ErrorMsg != "Nothing could be added" || res.ErrorLog != "the user cancelled" {
		t.Errorf("error response: %+v", res)
	}
	if n := len(p.DeepLinkItems()); n != 0 {
		t.Errorf("%d items created, want none", n)
	}
}

// TestDeepLink_TwoTabs: two deep-linking launches in one browser stay
// apart; the response answers the launch whose catalog page it came from.
func TestDeepLink_TwoTabs(t *testing.T) {
	p := ltitest.NewPlatform(t)
	ct := newCatalogTool(t, p)
	b := p.NewBrowser(t)
	login := ct.URL + "/lti/login"
	tabA := ltitest.Message{DeepLinking: &ltitest.DeepLinkingSettings{Data: "tab A", AcceptMultiple: true}}
	res := b.DeepLink(login, tabA, func(c *http.Client, page *http.Response) *http.Response {
		// Tab B opens while tab A is on its catalog.
		if other := b.Launch(login, ltitest.Message{Type: tool.DeepLinkingRequest,
			DeepLinking: &ltitest.DeepLinkingSettings{Data: "tab B"}}); other.StatusCode != http.StatusSeeOther {
			t.Fatalf("tab B: %s", other.Status)
		}
		return choose(t, "2")(c, page)
	})
	if !res.Accepted() || res.Claims[ltitest.ClaimDLData] != "tab A" {
		t.Fatalf("tab A's response: data %v, violations %v", res.Claims[ltitest.ClaimDLData], res.Violations)
	}
}

// TestDeepLink_AnsweredOnce: the same request cannot be answered twice,
// neither by the tool (a second pick is refused) nor by replaying the
// posted form at the platform.
func TestDeepLink_AnsweredOnce(t *testing.T) {
	p := ltitest.NewPlatform(t)
	ct := newCatalogTool(t, p)
	var pickURL string
	var c *http.Client
	res := p.DeepLink(t, ct.URL+"/lti/login", ltitest.Message{}, func(client *http.Client, page *http.Response) *http.Response {
		resp := choose(t, "1")(client, page)
		pickURL, c = resp.Request.URL.String(), client
		return resp
	})
	if !res.Accepted() {
		t.Fatal(res.Violations)
	}

	again, err := c.PostForm(pickURL, url.Values{"quiz": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusConflict || again.Header.Get("LTI-Error-Code") != string(tool.CodeDeepLinkUsed) {
		t.Errorf("second pick: %s %s, want 409 deep_link_used", again.Status, again.Header.Get("LTI-Error-Code"))
	}

	replay, err := http.PostForm(res.URL, url.Values{"JWT": {res.JWT}})
	if err != nil {
		t.Fatal(err)
	}
	replay.Body.Close()
	all := p.DeepLinkResponses()
	last := all[len(all)-1]
	if replay.StatusCode != http.StatusBadRequest || !hasViolation(last, "DL-RESP-01", "deep_link_return_url") || !hasViolation(last, "DL-RESP-02", "nonce") {
		t.Errorf("replay: %s, violations %v", replay.Status, last.Violations)
	}
	if n := len(p.DeepLinkItems()); n != 1 {
		t.Errorf("%d items created, want 1", n)
	}
}

func hasViolation(r ltitest.DeepLinkResponse, rule, param string) bool {
	for _, v := range r.Violations {
		if v.Rule == rule && strings.HasSuffix(v.Param, param) {
			return true
		}
	}
	return false
}

// responseClaims is a valid response to l from ct's builder, nothing
// selected, decoded.
func responseClaims(t *testing.T, ct *catalogTool, r *http.Request, l *tool.Launch) map[string]any {
	jwt, err := ct.Tool.DeepLinkResponse(l).Sign(r.Context())
	if err != nil {
		t.Errorf("builder: %v", err)
		return nil
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	var c map[string]any
	_ = json.Unmarshal(payload, &c)
	return c
}

// writeAutoPost writes a bare auto-submitting form posting fields to action.
func writeAutoPost(w http.ResponseWriter, action string, fields url.Values) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<form method="post" action="%s">`, html.EscapeString(action))
	for k, vs := range fields {
		for _, v := range vs {
			fmt.Fprintf(w, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(v))
		}
	}
	fmt.Fprint(w, `</form><script>document.forms[0].submit()</script>`)
}

// TestDeepLink_StrictPlatform: the platform refuses each mistake a tool
// can make in its response, naming the rule.
func TestDeepLink_StrictPlatform(t *testing.T) {
	no := false
	item := func(props map[string]any) func(c map[string]any) {
		return func(c map[string]any) { c[ltitest.ClaimDLContentItems] = []any{props} }
	}
	rl := map[string]any{"type": "ltiResourceLink", "title": "Q"}
	tests := []struct {
		name        string
		settings    *ltitest.DeepLinkingSettings
		claims      func(c map[string]any)
		key         string // "other": a key not in the tool's JWKS; "nokid": no kid header
		action      func(returnURL string) string
		form        func(f url.Values)
		rule, param string
	}{
		{name: "DL_RESP_02 iss not the client_id", claims: func(c map[string]any) { c["iss"] = "someone" }, rule: "DL-RESP-02", param: "iss"},
		{name: "DL_RESP_02 aud not the platform", claims: func(c map[string]any) { c["aud"] = []string{"https://other.example"} }, rule: "DL-RESP-02", param: "aud"},
		{name: "SEC_TOOLMSG_02 azp the client_id", claims: func(c map[string]any) { c["azp"] = c["iss"] }, rule: "SEC-TOOLMSG-02", param: "azp"},
		{name: "DL_RESP_02 expired", claims: func(c map[string]any) { c["exp"] = c["iat"].(float64) - 60 }, rule: "DL-RESP-02", param: "exp"},
		{name: "DL_RESP_02 exp far away", claims: func(c map[string]any) { c["exp"] = c["iat"].(float64) + 7200 }, rule: "DL-RESP-02", param: "exp"},
		{name: "DL_RESP_02 no exp", claims: func(c map[string]any) { delete(c, "exp") }, rule: "DL-RESP-02", param: "exp"},
		{name: "DL_RESP_02 iat in the future", claims: func(c map[string]any) { c["iat"] = c["exp"] }, rule: "DL-RESP-02", param: "iat"},
		{name: "DL_RESP_02 no nonce", claims: func(c map[string]any) { delete(c, "nonce") }, rule: "DL-RESP-02", param: "nonce"},
		{name: "DL_RESP_03 message type", claims: func(c map[string]any) { c[ltitest.ClaimMessageType] = "LtiDeepLinkingRequest" }, rule: "DL-RESP-03", param: "message_type"},
		{name: "DL_RESP_03 version", claims: func(c map[string]any) { c[ltitest.ClaimVersion] = "1.1" }, rule: "DL-RESP-03", param: "version"},
		{name: "DL_RESP_03 deployment", claims: func(c map[string]any) { c[ltitest.ClaimDeploymentID] = "other" }, rule: "DL-RESP-03", param: "deployment_id"},
		{name: "DL_RESP_04 data changed", claims: func(c map[string]any) { c[ltitest.ClaimDLData] = "changed" }, rule: "DL-RESP-04", param: "data"},
		{name: "DL_RESP_04 data dropped", claims: func(c map[string]any) { delete(c, ltitest.ClaimDLData) }, rule: "DL-RESP-04", param: "data"},
		{name: "DL_RESP_05 items not an array", claims: func(c map[string]any) { c[ltitest.ClaimDLContentItems] = rl }, rule: "DL-RESP-05", param: "content_items"},
		{name: "DL_RESP_05 item without type", claims: item(map[string]any{"url": "https://x.example"}), rule: "DL-RESP-05", param: "type"},
		{name: "DL_REQ_02 type not accepted", claims: item(map[string]any{"type": "link", "url": "https://x.example"}), rule: "DL-REQ-02", param: "type"},
		{name: "DL_REQ_05 two items, accept_multiple false", settings: &ltitest.DeepLinkingSettings{Data: "d"},
			claims: func(c map[string]any) { c[ltitest.ClaimDLContentItems] = []any{rl, rl} }, rule: "DL-REQ-05", param: "content_items"},
		{name: "DL_REQ_03 iframe not accepted", settings: &ltitest.DeepLinkingSettings{AcceptPresentationDocumentTargets: []string{"window"}},
			claims: item(map[string]any{"type": "ltiResourceLink", "iframe": map[string]any{"height": 1}}), rule: "DL-REQ-03", param: "iframe"},
		{name: "DL_REQ_04 media type not accepted", settings: &ltitest.DeepLinkingSettings{AcceptTypes: []string{"file"}, AcceptMediaTypes: []string{"image/*"}},
			claims: item(map[string]any{"type": "file", "url": "https://f.example/a.pdf", "mediaType": "application/pdf"}), rule: "DL-REQ-04", param: "mediaType"},
		{name: "DL_REQ_06 line item not accepted", settings: &ltitest.DeepLinkingSettings{AcceptLineItem: &no},
			claims: item(map[string]any{"type": "ltiResourceLink", "lineItem": map[string]any{"scoreMaximum": 10}}), rule: "DL-REQ-06", param: "lineItem"},
		{name: "DL_CI_RL scoreMaximum 0", claims: item(map[string]any{"type": "ltiResourceLink", "lineItem": map[string]any{"scoreMaximum": 0}}),
			rule: "DL-CI-RL", param: "lineItem.scoreMaximum"},
		{name: "DL_CI_RL custom null", claims: item(map[string]any{"type": "ltiResourceLink", "custom": map[string]any{"a": nil}}),
			rule: "DL-CI-RL", param: "custom"},
		{name: "DL_CI_LINK no url", settings: &ltitest.DeepLinkingSettings{AcceptTypes: []string{"link"}},
			claims: item(map[string]any{"type": "link"}), rule: "DL-CI-LINK", param: "url"},
		{name: "DL_CI_HTML no html", settings: &ltitest.DeepLinkingSettings{AcceptTypes: []string{"html"}},
			claims: item(map[string]any{"type": "html"}), rule: "DL-CI-HTML", param: "html"},
		{name: "SEC_TOOLMSG_01 unknown key", key: "other", rule: "SEC-TOOLMSG-01", param: "JWT"},
		{name: "SEC_TOOLMSG_01 no kid", key: "nokid", rule: "SEC-TOOLMSG-01", param: "JWT"},
		{name: "DL_REQ_01 query string dropped", action: func(u string) string { return strings.Split(u, "?")[0] },
			rule: "DL-REQ-01", param: "deep_link_return_url"},
		{name: "DL_RESP_01 extra form field", form: func(f url.Values) { f.Set("state", "x") }, rule: "DL-RESP-01", param: "JWT"},
		{name: "DL_RESP_01 JWT under another name", form: func(f url.Values) { f["jwt"], f["JWT"] = f["JWT"], nil }, rule: "DL-RESP-01", param: "JWT"},
	}
	p := ltitest.NewPlatform(t)
	ct := newCatalogTool(t, p)
	otherKey, _ := jwks.GenerateKey()
	other, _ := jwks.NewKeyRing(otherKey)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct.setRespond(func(w http.ResponseWriter, r *http.Request, l *tool.Launch) {
				c := responseClaims(t, ct, r, l)
				if c == nil {
					return
				}
				if tt.claims != nil {
					tt.claims(c)
				}
				payload, _ := json.Marshal(c)
				var signed []byte
				var err error
				switch tt.key {
				case "other":
					signed, err = other.Sign(payload)
				case "nokid":
					signed, err = jws.Sign(payload, jws.WithKey(jwa.RS256, ct.Keys.Active().Signer))
				default:
					signed, err = ct.Keys.Sign(payload)
				}
				if err != nil {
					t.Error(err)
				}
				action := l.DeepLinking.DeepLinkReturnURL
				if tt.action != nil {
					action = tt.action(action)
				}
				form := url.Values{"JWT": {string(signed)}}
				if tt.form != nil {
					tt.form(form)
				}
				writeAutoPost(w, action, form)
			})
			settings := tt.settings
			if settings == nil {
				settings = &ltitest.DeepLinkingSettings{AcceptMultiple: true, Data: "d"}
			}
			res := p.DeepLink(t, ct.URL+"/lti/login", ltitest.Message{DeepLinking: settings}, choose(t, "1"))
			if res.Accepted() || !hasViolation(res, tt.rule, tt.param) {
				t.Errorf("violations %v, want %s on %s", res.Violations, tt.rule, tt.param)
			}
		})
	}

	t.Run("control: the builder's response passes", func(t *testing.T) {
		ct.setRespond(func(w http.ResponseWriter, r *http.Request, l *tool.Launch) {
			payload, _ := json.Marshal(responseClaims(t, ct, r, l))
			signed, _ := ct.Keys.Sign(payload)
			writeAutoPost(w, l.DeepLinking.DeepLinkReturnURL, url.Values{"JWT": {string(signed)}})
		})
		res := p.DeepLink(t, ct.URL+"/lti/login", ltitest.Message{DeepLinking: &ltitest.DeepLinkingSettings{Data: "d"}}, choose(t, "1"))
		if !res.Accepted() {
			t.Errorf("violations %v", res.Violations)
		}
	})
}

// TestDeepLink_BrowserStopsWhereABrowserWould: DeepLink fails the test
// when a browser would not post the response: the page's CSP blocks the
// form's target or its script, or there is no auto-submitting form. The
// platform receives nothing.
func TestDeepLink_BrowserStopsWhereABrowserWould(t *testing.T) {
	p := ltitest.NewPlatform(t)
	ct := newCatalogTool(t, p)
	validPost := func(csp string) func(w http.ResponseWriter, r *http.Request, l *tool.Launch) {
		return func(w http.ResponseWriter, r *http.Request, l *tool.Launch) {
			jwt, err := ct.Tool.DeepLinkResponse(l).Sign(r.Context())
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Security-Policy", csp)
			writeAutoPost(w, l.DeepLinking.DeepLinkReturnURL, url.Values{"JWT": {jwt}})
		}
	}
	for name, respond := range map[string]func(w http.ResponseWriter, r *http.Request, l *tool.Launch){
		"form-action blocks the return URL": validPost("form-action 'self'"),
		"script-src blocks the script":      validPost("default-src 'none'; form-action *"),
		"no form": func(w http.ResponseWriter, r *http.Request, l *tool.Launch) {
			http.Error(w, "catalog down", http.StatusInternalServerError)
		},
	} {
		t.Run(name, func(t *testing.T) {
			ct.setRespond(respond)
			before := len(p.DeepLinkResponses())
			tb := &fatalTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				p.DeepLink(tb, ct.URL+"/lti/login", ltitest.Message{}, choose(t, "1"))
			}()
			<-done
			if tb.fatal == "" {
				t.Error("DeepLink went on")
			}
			if n := len(p.DeepLinkResponses()); n != before {
				t.Errorf("the platform received %d responses", n-before)
			}
		})
	}
}
