package ltitest_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

const mtMemberships = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

// memberIDs lists the user_id of a membership container's members.
func memberIDs(t *testing.T, r response) []string {
	t.Helper()
	var ids []string
	for _, m := range r.json(t)["members"].([]any) {
		ids = append(ids, m.(map[string]any)["user_id"].(string))
	}
	return ids
}

var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// The memberships service (NRPS-03 to NRPS-07).
func TestNRPS_memberships(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	accept := map[string]string{"Accept": mtMemberships}
	r := s.call(t, http.MethodGet, s.members, s.token, accept, "")
	if r.status != 200 || r.header.Get("Content-Type") != mtMemberships+"; charset=utf-8" {
		t.Fatalf("got %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	body := r.json(t)
	ctx, _ := body["context"].(map[string]any)
	if body["id"] != s.members || ctx["id"] != "context-1" || ctx["label"] != "TEST101" || ctx["title"] != "Test Course" {
		t.Errorf("container: got id %v context %v", body["id"], ctx)
	}
	if got := strings.Join(memberIDs(t, r), " "); got != "user-1 user-2 user-3 instructor-1" {
		t.Errorf("members: got %q", got)
	}
	m0 := body["members"].([]any)[0].(map[string]any)
	if m0["status"] != "Active" || m0["roles"].([]any)[0] != string(tool.RoleLearner) || m0["name"] == nil || m0["email"] == nil {
		t.Errorf("member: got %v, want Active, full role URIs, name and email", m0)
	}

	for _, tc := range []struct {
		name, query, want string
	}{
		{"NRPS-07 role short name", "?role=Instructor", "instructor-1"},
		{"NRPS-07 role full URI", "?role=" + url.QueryEscape(string(tool.RoleLearner)), "user-1 user-2 user-3"},
		{"NRPS-07 role nobody has", "?role=Mentor", ""},
		{"NRPS-05 limit 0 is everyone", "?limit=0", "user-1 user-2 user-3 instructor-1"},
		{"NRPS-05 from past the end", "?limit=2&from=10", ""},
		{"NRPS-07 rlid", "?rlid=rl-1", "user-1 user-2 user-3 instructor-1"},
	} {
		r := s.call(t, http.MethodGet, s.members+tc.query, s.token, accept, "")
		if got := strings.Join(memberIDs(t, r), " "); r.status != 200 || got != tc.want {
			t.Errorf("%s: got %d %q, want %q", tc.name, r.status, got, tc.want)
		}
	}
	r = s.call(t, http.MethodGet, s.members+"?rlid=rl-1", s.token, accept, "")
	msg := r.json(t)["members"].([]any)[0].(map[string]any)["message"].([]any)[0].(map[string]any)
	if msg[ltitest.ClaimMessageType] != "LtiResourceLinkRequest" || msg[ltitest.ClaimResourceLink].(map[string]any)["id"] != "rl-1" {
		t.Errorf("NRPS-07 rlid message: got %v", msg)
	}

	// NRPS-05: follow next links to the end, filters kept.
	var got []string
	next, pages := s.members+"?limit=1&role=Learner", 0
	for next != "" && pages < 10 {
		r := s.call(t, http.MethodGet, next, s.token, accept, "")
		got, pages, next = append(got, memberIDs(t, r)...), pages+1, ""
		if m := nextLink.FindStringSubmatch(r.header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if strings.Join(got, " ") != "user-1 user-2 user-3" || pages != 3 {
		t.Errorf("NRPS-05 paging learners by 1: got %q in %d pages", got, pages)
	}

	for _, tc := range []struct {
		name   string
		query  string
		header map[string]string
		token  []string
		want   int
	}{
		{"NRPS-03 no Accept", "", nil, nil, 200},
		{"NRPS-03 Accept */*", "", map[string]string{"Accept": "*/*"}, nil, 200},
		{"NRPS-03 Accept application/json", "", map[string]string{"Accept": "application/json"}, nil, 400},
		{"NRPS-03 Accept with charset", "", map[string]string{"Accept": mtMemberships + "; charset=utf-8"}, nil, 400},
		{"NRPS-03 Accept the legacy type", "", map[string]string{"Accept": "application/vnd.ims.lis.v2.membershipcontainer+json"}, nil, 400},
		{"NRPS-02 AGS-only token", "", accept, []string{ltitest.ScopeScore}, 401},
		{"NRPS-07 rlid unknown", "?rlid=nope", accept, nil, 400},
		{"NRPS-05 limit not a number", "?limit=ten", accept, nil, 400},
		{"NRPS-05 from negative", "?limit=1&from=-1", accept, nil, 400},
	} {
		tok := s.token
		if tc.token != nil {
			tok = accessToken(t, s.p, s.tk, s.clk.Now(), tc.token...)
		}
		r := s.call(t, http.MethodGet, s.members+tc.query, tok, tc.header, "")
		if r.status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
		if tc.want != 200 {
			checkServiceError(t, r, tc.want)
		}
	}
	for _, tc := range []struct{ name, auth string }{
		{"SEC-CC-07 no token", ""}, {"SEC-CC-07 garbage token", "Bearer garbage"}, {"SEC-CC-07 Basic scheme", "Basic " + s.token},
	} {
		r := httpDo(t, http.MethodGet, s.members, map[string]string{"Accept": mtMemberships, "Authorization": tc.auth}, "")
		if r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: got %d %v, want 401 with WWW-Authenticate", tc.name, r.status, r.header)
		}
	}
	if r := s.call(t, http.MethodGet, strings.Replace(s.members, "/context-1/", "/nope/", 1), s.token, accept, ""); r.status != 404 {
		t.Errorf("unknown course: got %d, want 404", r.status)
	}
	if r := s.call(t, http.MethodPost, s.members, s.token, accept, ""); r.status != 405 {
		t.Errorf("POST: got %d, want 405", r.status)
	}
}

// With Moodle: short role names, the next link drops the role filter
// (quirk 15), rlid messages carry the basic outcome claim, the legacy
// media type gets the old JSON-LD format.
func TestNRPS_membershipsMoodle(t *testing.T) {
	t.Parallel()
	s := newServices(t, ltitest.Moodle())
	accept := map[string]string{"Accept": mtMemberships}
	r := s.call(t, http.MethodGet, s.members, s.token, accept, "")
	if got := strings.Join(memberIDs(t, r), " "); got != "5 4 3" {
		t.Errorf("members: got %q, want Moodle's 5 4 3", got)
	}
	m := r.json(t)["members"].([]any)[2].(map[string]any)
	if roles := m["roles"].([]any); len(roles) != 1 || roles[0] != "Instructor" {
		t.Errorf("roles: got %v, want the short name Instructor", roles)
	}
	r = s.call(t, http.MethodGet, s.members+"?role=Learner&limit=1", s.token, accept, "")
	want := s.members + "?limit=1&from=1"
	if l := r.header.Get("Link"); l != "<"+want+`>; rel="next"` {
		t.Errorf("Link: got %q, want the next page without role, as Moodle", l)
	}
	r = s.call(t, http.MethodGet, s.members+"?rlid=1", s.token, accept, "")
	msg := r.json(t)["members"].([]any)[0].(map[string]any)["message"].([]any)[0].(map[string]any)
	if _, ok := msg[ltitest.ClaimBasicOutcome]; !ok {
		t.Errorf("rlid message: got %v, want the basic outcome claim", msg)
	}
	r = s.call(t, http.MethodGet, s.members, s.token, map[string]string{"Accept": "application/vnd.ims.lis.v2.membershipcontainer+json"}, "")
	if r.status != 200 || r.json(t)["@type"] != "Page" {
		t.Errorf("legacy Accept: got %d %s, want the JSON-LD page", r.status, r.body)
	}
}

// SetRoster replaces the default course's members; a launch enrols the
// launching user.
func TestNRPS_roster(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	s.p.SetRoster(
		ltitest.Member{UserID: "a", Roles: tool.Roles{tool.RoleLearner}, Status: "Inactive", Picture: "https://example.com/a.png"},
		ltitest.Member{UserID: "b", Roles: tool.Roles{tool.RoleInstructor, tool.RoleTeachingAssistant}, MiddleName: "M"},
	)
	accept := map[string]string{"Accept": mtMemberships}
	r := s.call(t, http.MethodGet, s.members, s.token, accept, "")
	ms := r.json(t)["members"].([]any)
	a, b := ms[0].(map[string]any), ms[1].(map[string]any)
	if len(ms) != 2 || a["status"] != "Inactive" || a["picture"] != "https://example.com/a.png" || b["middle_name"] != "M" || len(b["roles"].([]any)) != 2 {
		t.Errorf("members: got %v", ms)
	}
	if _, ok := a["email"]; ok {
		t.Errorf("member a: got %v, want no email when none is set", a)
	}

	ft := newFakeTool(t, s.p)
	s.p.Launch(t, ft.URL+"/login", ltitest.Message{UserID: "newcomer", Roles: tool.Roles{tool.RoleLearner}, Name: "New Comer"})
	r = s.call(t, http.MethodGet, s.members, s.token, accept, "")
	if got := strings.Join(memberIDs(t, r), " "); got != "a b newcomer" {
		t.Errorf("after a launch: got %q, want the launching user enrolled", got)
	}
	// The new member can be graded.
	if r := s.postScore(t, s.lineItem, score("newcomer", 3, s.clk.Now())); r.status != 200 {
		t.Errorf("score for the launched user: got %d %s", r.status, r.body)
	}
}
