package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeNRPS serves a roster of n members, paged by limit, like Moodle:
// exact Accept, "next" links that drop the role filter (Moodle quirk 15).
type fakeNRPS struct {
	t           *testing.T
	n           int
	differences string // rel="differences" link to send, if any
	requests    atomic.Int32
	urls        chan string
}

func (f *fakeNRPS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if f.urls != nil {
		f.urls <- r.URL.String()
	}
	if a := r.Header.Get("Accept"); a != mediaMembershipContainer {
		f.t.Errorf("Accept %q, want exactly %s (NRPS-03)", a, mediaMembershipContainer)
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	from, _ := strconv.Atoi(q.Get("from"))
	end := f.n
	if limit > 0 {
		end = min(from+limit, f.n)
	}
	var members []string
	for i := from; i < end; i++ {
		role := "Learner"
		if i%10 == 0 {
			role = "Instructor"
		}
		if q.Get("role") != "" && !strings.HasSuffix(q.Get("role"), role) {
			continue
		}
		members = append(members, fmt.Sprintf(`{"user_id":"%d","roles":[%q],"name":"User %d"}`, i, role, i))
	}
	var links []string
	if end < f.n {
		next := url.Values{"limit": {q.Get("limit")}, "from": {strconv.Itoa(end)}} // drops role, like Moodle
		links = append(links, fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	if f.differences != "" {
		links = append(links, `<`+f.differences+`>; rel="differences"`)
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	w.Header().Set("Content-Type", mediaMembershipContainer+"; charset=utf-8")
	fmt.Fprintf(w, `{"id":"x","context":{"id":"2","label":"LTI101","title":"LTI Test Course"},"members":[%s]}`,
		strings.Join(members, ","))
}

func TestRoster_NRPS_05_TenThousandMembersPageByPage(t *testing.T) {
	e := newSvcEnv(t)
	f := &fakeNRPS{t: t, n: 10000}
	srv := e.serve(f)
	roster := e.tool.RosterFor(&e.platform, srv.URL+"/CourseSection/2/bindings/1/memberships", svcDeploy)
	seen := make(map[string]bool)
	for m, err := range roster.Members(context.Background(), MembersQuery{Limit: 500}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[m.UserID] || m.Status != MemberActive {
			t.Fatalf("member %+v repeated or not active", m)
		}
		seen[m.UserID] = true
	}
	if len(seen) != 10000 || f.requests.Load() != 20 {
		t.Errorf("%d members in %d requests, want 10000 in 20", len(seen), f.requests.Load())
	}
	f.requests.Store(0)
	n := 0
	for _, err := range roster.Members(context.Background(), MembersQuery{Limit: 500}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 600 {
			break
		}
	}
	if f.requests.Load() != 2 {
		t.Errorf("breaking after 600 members made %d requests, want 2: pages are read only as needed", f.requests.Load())
	}
}

func TestRoster_NRPS_07_FiltersSentAndRoleKeptAcrossMoodlePages(t *testing.T) {
	e := newSvcEnv(t)
	f := &fakeNRPS{t: t, n: 30, urls: make(chan string, 10)}
	srv := e.serve(f)
	roster := e.tool.RosterFor(&e.platform, srv.URL+"/memberships?type_id=1", svcDeploy)
	var got []Member
	for m, err := range roster.Members(context.Background(), MembersQuery{Role: "Instructor", ResourceLinkID: "7", Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) != 3 {
		t.Fatalf("%d members, want the 3 instructors: page 2 and 3 ignore the role, the tool must not", len(got))
	}
	for _, m := range got {
		if len(m.Roles) != 1 || m.Roles[0] != RoleInstructor {
			t.Errorf("member %s roles %v, want the full Instructor URI", m.UserID, m.Roles)
		}
	}
	first, _ := url.Parse(<-f.urls)
	if want := (url.Values{"type_id": {"1"}, "role": {"Instructor"}, "rlid": {"7"}, "limit": {"10"}}); !sameValues(first.Query(), want) {
		t.Errorf("first request query %v, want %v", first.Query(), want)
	}
}

func TestRoster_NRPS_06_DifferencesLink(t *testing.T) {
	e := newSvcEnv(t)
	f := &fakeNRPS{t: t, n: 3, urls: make(chan string, 10)}
	srv := e.serve(f)
	f.differences = srv.URL + "/memberships?since=2026-11-28T21%3A17%3A29Z&sig=a+b"
	roster := e.tool.RosterFor(&e.platform, srv.URL+"/memberships", svcDeploy)
	var last *MembersPage
	for p, err := range roster.Pages(context.Background(), MembersQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		last = p
	}
	if last.Differences != f.differences || last.Next != "" || last.Context.Title != "LTI Test Course" || len(last.Members) != 3 {
		t.Fatalf("page %+v, want the differences link %s", last, f.differences)
	}
	<-f.urls
	for _, err := range roster.Members(context.Background(), MembersQuery{DifferencesURL: last.Differences, Limit: 5, ResourceLinkID: "x"}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := <-f.urls; got != "/memberships?since=2026-11-28T21%3A17%3A29Z&sig=a+b" {
		t.Errorf("differences request %s, want the link exactly as given", got)
	}
	for _, bad := range []string{"https://elsewhere.example/memberships", "/memberships?since=1", "not a url"} {
		for _, err := range roster.Members(context.Background(), MembersQuery{DifferencesURL: bad}) {
			if !errors.Is(err, ErrInvalidServiceRequest) {
				t.Errorf("DifferencesURL %q: %v, want ErrInvalidServiceRequest", bad, err)
			}
		}
	}
}

func TestRoster_NRPS_04_MemberDecoding(t *testing.T) {
	page, err := decodeMembers([]byte(`{"context":{"id":2},"members":[
		{"user_id":"5","roles":["Learner","TeachingAssistant","http://vendor.example/role#X"],"status":"inactive",
		 "name":"Sally","given_name":"S","family_name":"Scholar","middle_name":"M","email":"s@x","picture":"https://p/x.png",
		 "lis_person_sourcedid":"SIS-5","lti11_legacy_user_id":"abc"},
		{"user_id":6,"roles":"Learner"},
		{"user_id":"7","roles":[],"status":"Deleted","message":{"https://purl.imsglobal.org/spec/lti/claim/message_type":"LtiResourceLinkRequest",
		 "https://purl.imsglobal.org/spec/lti/claim/custom":{"a":"1","b":null}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := page.Members
	want0 := Member{UserID: "5", Status: MemberInactive, Roles: Roles{RoleLearner, RoleTeachingAssistant, "http://vendor.example/role#X"},
		Name: "Sally", GivenName: "S", FamilyName: "Scholar", MiddleName: "M", Email: "s@x", Picture: "https://p/x.png",
		PersonSourcedID: "SIS-5", LTI11LegacyUserID: "abc"}
	if fmt.Sprint(m[0]) != fmt.Sprint(want0) {
		t.Errorf("member 0\n%+v\nwant\n%+v", m[0], want0)
	}
	if m[1].UserID != "6" || m[1].Status != MemberActive || len(m[1].Roles) != 1 || m[1].Roles[0] != RoleLearner {
		t.Errorf("member 1 %+v: want status Active by default", m[1])
	}
	if m[2].Status != MemberDeleted || len(m[2].Messages) != 1 || m[2].Messages[0].MessageType != ResourceLinkRequest ||
		m[2].Messages[0].Custom["a"] != "1" || len(m[2].Messages[0].Custom) != 1 || !json.Valid(m[2].Messages[0].Claims) {
		t.Errorf("member 2 %+v", m[2])
	}
	if page.Context == nil || page.Context.ID != "2" {
		t.Errorf("context %+v", page.Context)
	}
	for _, bad := range []string{``, `[]`, `null`, `{}`, `{"members":null}`, `{"members":{}}`, `{"members":[{"roles":["Learner"]}]}`,
		`{"members":[{"user_id":"1","roles":[1]}]}`, `{"members":[{"user_id":true}]}`, `{"members":[{"user_id":"1","message":["x"]}]}`,
		`{"members":[{"user_id":"1","message":[{"https://purl.imsglobal.org/spec/lti/claim/message_type":5}]}]}`,
		`{"members":[{"user_id":"1","email":{"a":1}}]}`, `<html>`} {
		if _, err := decodeMembers([]byte(bad)); err == nil {
			t.Errorf("decodeMembers(%s) accepted", bad)
		}
	}
}

func TestRoster_FailuresEndTheSequence(t *testing.T) {
	e := newSvcEnv(t)
	var calls atomic.Int32
	srv := e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Link", `</memberships?from=1>; rel="next"`)
			w.Write([]byte(`{"members":[{"user_id":"1","roles":[]}]}`))
			return
		}
		writeMoodleError(w, http.StatusInternalServerError, "boom")
	}))
	roster := e.tool.RosterFor(&e.platform, srv.URL+"/memberships", svcDeploy)
	var ids []string
	var last error
	n := 0
	for m, err := range roster.Members(context.Background(), MembersQuery{}) {
		n++
		ids, last = append(ids, m.UserID), err
	}
	if n != 2 || ids[0] != "1" || !errors.Is(last, ErrServiceUnavailable) {
		t.Errorf("sequence %v ending in %v, want member 1 then service_unavailable", ids, last)
	}
	if _, err := e.tool.Roster(e.launch(nil, nil)); !errors.Is(err, ErrNoRosterService) {
		t.Errorf("Roster without claim: %v", err)
	}
	if _, err := e.tool.Roster(e.launch(nil, &NRPSService{})); !errors.Is(err, ErrNoRosterService) {
		t.Errorf("Roster without URL: %v", err)
	}
	r, err := e.tool.Roster(e.launch(nil, &NRPSService{ContextMembershipsURL: srv.URL + "/memberships"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range r.Members(context.Background(), MembersQuery{Limit: -1}) {
		if !errors.Is(err, ErrInvalidServiceRequest) {
			t.Errorf("negative limit: %v", err)
		}
	}
}
