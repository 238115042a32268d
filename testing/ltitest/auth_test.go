package ltitest_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// answer is how the auth endpoint answers one authentication request.
type answer struct {
	page int    // status of an error page; 0 when the platform posts to the tool
	err  string // error posted to the tool; "" for an id_token
	desc string // error_description, checked when not empty
}

var authCases = []struct {
	name   string
	mutate func(q url.Values)
	rule   string // the violation recorded; "" for none
	want   answer // default platform
	moodle answer // with ltitest.Moodle()
}{
	{name: "good", mutate: func(url.Values) {}},
	{name: "prompt empty", mutate: func(q url.Values) { q.Set("prompt", "") }},
	{name: "prompt missing", mutate: func(q url.Values) { q.Del("prompt") }},
	{name: "extra parameter", mutate: func(q url.Values) { q.Set("ui_locales", "en") }},

	{name: "scope profile", mutate: func(q url.Values) { q.Set("scope", "profile") }, rule: "SEC-AUTH-01",
		want: answer{err: "invalid_scope"}, moodle: answer{page: 404}},
	{name: "scope openid profile", mutate: func(q url.Values) { q.Set("scope", "openid profile") }, rule: "SEC-AUTH-01",
		want: answer{err: "invalid_scope"}, moodle: answer{page: 404}},
	{name: "scope missing", mutate: func(q url.Values) { q.Del("scope") }, rule: "SEC-AUTH-01",
		want: answer{err: "invalid_request"}, moodle: answer{page: 404}},
	{name: "response_type code", mutate: func(q url.Values) { q.Set("response_type", "code") }, rule: "SEC-AUTH-02",
		want: answer{err: "unsupported_response_type"}, moodle: answer{page: 404}},
	{name: "response_mode missing", mutate: func(q url.Values) { q.Del("response_mode") }, rule: "SEC-AUTH-03",
		want:   answer{err: "invalid_request"},
		moodle: answer{err: "invalid_request", desc: "Invalid response_mode"}},
	{name: "response_mode query", mutate: func(q url.Values) { q.Set("response_mode", "query") }, rule: "SEC-AUTH-03",
		want:   answer{err: "invalid_request"},
		moodle: answer{err: "invalid_request", desc: "Invalid response_mode"}},
	{name: "prompt login", mutate: func(q url.Values) { q.Set("prompt", "login") }, rule: "SEC-AUTH-04",
		want:   answer{err: "invalid_request"},
		moodle: answer{err: "invalid_request", desc: "Invalid prompt"}},
	{name: "client_id wrong", mutate: func(q url.Values) { q.Set("client_id", "wrong-client") }, rule: "SEC-AUTH-05",
		want: answer{err: "unauthorized_client"}, moodle: answer{err: "unauthorized_client"}},
	{name: "client_id missing", mutate: func(q url.Values) { q.Del("client_id") }, rule: "SEC-AUTH-05",
		want: answer{err: "invalid_request"}, moodle: answer{page: 404}},
	{name: "redirect_uri not registered", rule: "SEC-AUTH-06",
		mutate: func(q url.Values) {
			q.Set("redirect_uri", strings.TrimSuffix(q.Get("redirect_uri"), "/launch")+"/not-registered")
		},
		want: answer{page: 400}, moodle: answer{page: 404}},
	{name: "redirect_uri trailing slash", rule: "SEC-AUTH-06",
		mutate: func(q url.Values) { q.Set("redirect_uri", q.Get("redirect_uri")+"/") },
		want:   answer{page: 400}, moodle: answer{page: 404}},
	{name: "redirect_uri missing", mutate: func(q url.Values) { q.Del("redirect_uri") }, rule: "SEC-AUTH-06",
		want: answer{page: 400}, moodle: answer{page: 404}},
	{name: "login_hint other user", mutate: func(q url.Values) { q.Set("login_hint", "user-2") }, rule: "SEC-AUTH-07",
		want: answer{err: "access_denied"}, moodle: answer{err: "access_denied"}},
	{name: "login_hint missing", mutate: func(q url.Values) { q.Del("login_hint") }, rule: "SEC-AUTH-07",
		want: answer{err: "invalid_request"}, moodle: answer{page: 404}},
	{name: "lti_message_hint re-encoded", rule: "SEC-AUTH-08",
		mutate: func(q url.Values) {
			q.Set("lti_message_hint", strings.ReplaceAll(q.Get("lti_message_hint"), ",", ", "))
		},
		want:   answer{err: "invalid_request"},
		moodle: answer{err: "invalid_request", desc: "lti_message_hint altered"}},
	{name: "lti_message_hint URL-encoded twice", rule: "SEC-AUTH-08",
		mutate: func(q url.Values) { q.Set("lti_message_hint", url.QueryEscape(q.Get("lti_message_hint"))) },
		want:   answer{err: "invalid_request"}, moodle: answer{page: 404}},
	{name: "lti_message_hint missing", mutate: func(q url.Values) { q.Del("lti_message_hint") }, rule: "SEC-AUTH-08",
		want: answer{err: "invalid_request"}, moodle: answer{page: 404}},
	{name: "nonce missing", mutate: func(q url.Values) { q.Del("nonce") }, rule: "SEC-AUTH-10",
		want: answer{err: "invalid_request"}, moodle: answer{page: 404}},
	// Moodle lets a missing state through; the violation is still recorded.
	{name: "state missing", mutate: func(q url.Values) { q.Del("state") }, rule: "SEC-AUTH-09"},
}

// The auth endpoint refuses each bad authentication request the way Moodle
// does, and records the rule the tool broke.
func TestAuth_strictness(t *testing.T) {
	for _, mode := range []string{"default", "moodle"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			for _, tc := range authCases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					var opts []ltitest.Option
					want := tc.want
					if mode == "moodle" {
						opts, want = append(opts, ltitest.Moodle()), tc.moodle
					}
					p := ltitest.NewPlatform(t, opts...)
					ft := newFakeTool(t, p)
					ft.authMutate = tc.mutate

					resp := p.Launch(t, ft.URL+"/login", ltitest.Message{})
					checkAnswer(t, resp, ft, want)
					checkViolations(t, p.Violations(), tc.rule, want)
				})
			}
		})
	}
}

func checkAnswer(t *testing.T, resp *http.Response, ft *fakeTool, want answer) {
	t.Helper()
	if want.page != 0 {
		if resp.StatusCode != want.page {
			t.Errorf("status: got %s, want an error page with %d", resp.Status, want.page)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("error page Content-Type: got %q, want text/html", ct)
		}
		if n := ft.postCount(); n != 0 {
			t.Errorf("the platform posted %d forms to the tool, want none", n)
		}
		return
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status: got %s, want the tool's 200", resp.Status)
	}
	form := ft.lastPost(t).form
	if want.err == "" {
		if form.Get("id_token") == "" || form.Has("error") {
			t.Errorf("tool got %v, want an id_token and no error", form)
		}
	} else {
		if got := form.Get("error"); got != want.err {
			t.Errorf("error: got %q, want %q", got, want.err)
		}
		if form.Has("id_token") {
			t.Errorf("the platform posted an id_token with error %q", form.Get("error"))
		}
		if want.desc != "" && form.Get("error_description") != want.desc {
			t.Errorf("error_description: got %q, want %q", form.Get("error_description"), want.desc)
		}
	}
	if _, ok := form["state"]; !ok {
		t.Errorf("the platform did not echo state: got %v", form)
	}
}

func checkViolations(t *testing.T, vs []ltitest.Violation, rule string, want answer) {
	t.Helper()
	if rule == "" {
		if len(vs) != 0 {
			t.Errorf("violations: got %v, want none", vs)
		}
		return
	}
	found := false
	for _, v := range vs {
		if v.Rule == rule {
			found = true
		}
		if v.Want == "" || v.Param == "" || v.LaunchID == "" && v.Rule != "SEC-AUTH-08" {
			t.Errorf("violation %+v lacks detail", v)
		}
	}
	if !found {
		t.Errorf("violations: got %v, want one of rule %s", vs, rule)
	}
}

var formField = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)

// getAuth replays an authentication request and returns the status and the
// fields of the form the platform answers with.
func getAuth(t *testing.T, authURL string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fields := map[string]string{}
	for _, m := range formField.FindAllStringSubmatch(string(body), -1) {
		fields[m[1]] = m[2]
	}
	return resp.StatusCode, fields
}

// Each lti_message_hint is good for one authentication request.
func TestAuth_messageHintSingleUse(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []ltitest.Option
		wantStatus int
		wantError  string
	}{
		{"default", nil, http.StatusOK, "invalid_request"},
		{"moodle", []ltitest.Option{ltitest.Moodle()}, http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := ltitest.NewPlatform(t, tc.opts...)
			ft := newFakeTool(t, p)
			if resp := p.Launch(t, ft.URL+"/login", ltitest.Message{}); resp.StatusCode != http.StatusOK {
				t.Fatalf("first launch: got %s", resp.Status)
			}
			if len(p.Violations()) != 0 {
				t.Fatalf("first launch: violations %v", p.Violations())
			}

			status, fields := getAuth(t, ft.authURLs[0])
			if status != tc.wantStatus {
				t.Errorf("replay: got status %d, want %d", status, tc.wantStatus)
			}
			if fields["error"] != tc.wantError || fields["id_token"] != "" {
				t.Errorf("replay: got form %v, want error %q and no id_token", fields, tc.wantError)
			}
			vs := p.Violations()
			if len(vs) != 1 || vs[0].Rule != "SEC-AUTH-08" || !strings.Contains(vs[0].Want, "single-use") {
				t.Errorf("replay: got violations %v, want one SEC-AUTH-08 about single use", vs)
			}
		})
	}
}

// A hint the platform never issued names no launch.
func TestAuth_unknownMessageHint(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	q := url.Values{
		"scope": {"openid"}, "response_type": {"id_token"}, "response_mode": {"form_post"}, "prompt": {"none"},
		"client_id": {p.ClientID}, "redirect_uri": {ft.URL + "/launch"}, "login_hint": {"user-1"},
		"lti_message_hint": {`{"cmid":1,"launchid":"ltilaunch1_forged"}`}, "state": {"s"}, "nonce": {"n"},
	}
	status, fields := getAuth(t, p.URL+"/auth?"+q.Encode())
	if status != http.StatusOK || fields["error"] != "invalid_request" || fields["id_token"] != "" {
		t.Errorf("got status %d form %v, want an invalid_request form", status, fields)
	}
	if vs := p.Violations(); len(vs) != 1 || vs[0].Rule != "SEC-AUTH-08" || vs[0].LaunchID != "" {
		t.Errorf("got violations %v, want one SEC-AUTH-08 without a launch", vs)
	}
}

// A tool may send its authentication request as a form POST.
func TestAuth_formPost(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	ft.authForm = true
	resp := p.Launch(t, ft.URL+"/login", ltitest.Message{})
	if resp.StatusCode != http.StatusOK || ft.lastPost(t).form.Get("id_token") == "" {
		t.Fatalf("got %s, want the tool's 200 after an id_token", resp.Status)
	}
	log := p.Log()
	if len(log) != 3 || log[1].Step != ltitest.StepAuth || log[1].Method != http.MethodPost {
		t.Errorf("got log %+v, want login, POST auth, launch", log)
	}
	if vs := p.Violations(); len(vs) != 0 {
		t.Errorf("violations: %v", vs)
	}
}

func TestAuth_methodNotAllowed(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	req, _ := http.NewRequest(http.MethodPut, p.URL+"/auth", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /auth: got %s, want 405", resp.Status)
	}
}
