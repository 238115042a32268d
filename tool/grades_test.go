package tool

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGrades_AGS_URL_01_ScoresAndResultsOnThePathQueryKept(t *testing.T) {
	tests := []struct {
		in, name, want string
	}{
		{"https://lms.example/mod/lti/services.php/2/lineitems/12/lineitem?type_id=3", "scores",
			"https://lms.example/mod/lti/services.php/2/lineitems/12/lineitem/scores?type_id=3"},
		{"https://lms.example/api/lti/courses/1/line_items/7", "results", "https://lms.example/api/lti/courses/1/line_items/7/results"},
		{"https://lms.example/li/7/", "scores", "https://lms.example/li/7/scores"},
		{"https://lms.example/li/a%2Fb?x=1&y=%20", "scores", "https://lms.example/li/a%2Fb/scores?x=1&y=%20"},
		{"http://127.0.0.1:8081/li?type_id=1", "results", "http://127.0.0.1:8081/li/results?type_id=1"},
	}
	for _, tt := range tests {
		got, err := subresource(tt.in, tt.name)
		if err != nil || got != tt.want {
			t.Errorf("subresource(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "/relative/lineitem", "lineitem", "ftp://lms.example/li", "http://lms.example/li",
		"https://lms.example/li#frag", "https://user:pw@lms.example/li", "https://[::1/li", "https:///li"} {
		if _, err := subresource(bad, "scores"); !errors.Is(err, ErrInvalidServiceRequest) {
			t.Errorf("subresource(%q): %v, want ErrInvalidServiceRequest", bad, err)
		}
	}
}

func TestGrades_AGS_LI_02_ListsEveryPageWithFilters(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e)
	for i := range 5 {
		gb.add(LineItem{Label: "Q" + string(rune('1'+i)), ScoreMaximum: 10, ResourceLinkID: "link-1", Tag: "quiz"})
	}
	gb.add(LineItem{Label: "other", ScoreMaximum: 1, ResourceLinkID: "link-2", Tag: "quiz"})
	items, err := e.grades(gb.lineItemsURL()).LineItems(context.Background(),
		LineItemsQuery{ResourceLinkID: "link-1", Tag: "quiz", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, li := range items {
		labels = append(labels, li.Label)
	}
	if strings.Join(labels, ",") != "Q1,Q2,Q3,Q4,Q5" {
		t.Errorf("labels %v, want Q1..Q5 from three pages", labels)
	}
	_, _, _, reqs := gb.snapshot()
	if len(reqs) != 3 {
		t.Fatalf("requests %d, want 3 pages", len(reqs))
	}
	first, _ := url.ParseQuery(reqs[0].RawQuery)
	want := url.Values{"type_id": {"1"}, "resource_link_id": {"link-1"}, "tag": {"quiz"}, "limit": {"2"}}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first query %v, want %v", first, want)
	}
	if !strings.HasPrefix(reqs[0].RawQuery, "type_id=1&") {
		t.Errorf("query %q: the platform's own query should come first, byte for byte", reqs[0].RawQuery)
	}
	if next, _ := url.ParseQuery(reqs[1].RawQuery); next.Get("from") != "2" || next.Get("tag") != "quiz" {
		t.Errorf("second page %q, want the next link as given (from=2)", reqs[1].RawQuery)
	}
}

func TestGrades_AGS_LI_02_CreateGetDelete(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e)
	g := e.grades(gb.lineItemsURL())
	ctx := context.Background()
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	released := true
	created, err := g.CreateLineItem(ctx, LineItem{Label: "Essay", ScoreMaximum: 20, ResourceID: "essay-1",
		Tag: "final", ResourceLinkID: "link-1", StartDateTime: &start, GradesReleased: &released})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID != gb.itemURL(1) || created.Label != "Essay" || created.StartDateTime == nil || !created.StartDateTime.Equal(start) {
		t.Errorf("created %+v", created)
	}
	got, err := g.LineItem(ctx, created.ID)
	if err != nil || !reflect.DeepEqual(got, created) {
		t.Errorf("LineItem = %+v, %v; want %+v", got, err, created)
	}
	if err := g.DeleteLineItem(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = g.LineItem(ctx, created.ID)
	if code, se := serviceErrorOf(err); code != CodeServiceNotFound || se == nil || !strings.Contains(string(se.Body), "doesn't exist") {
		t.Errorf("after delete: %v, want service_not_found with the body", err)
	}
	_, _, _, reqs := gb.snapshot()
	if del := reqs[2]; del.Method != http.MethodDelete || del.Header.Get("Content-Type") != "" {
		t.Errorf("delete request %+v", del)
	}
}

func TestGrades_AGS_LI_03_UpdateAlwaysSendsResourceLinkID(t *testing.T) {
	tests := []struct {
		name    string
		link    string // ResourceLinkID passed to UpdateLineItem
		wantGET bool
	}{
		{"empty link id is filled from the platform", "", true},
		{"given link id is sent as is", "link-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 10, ResourceLinkID: "link-1", Tag: "t"})
			updated, err := e.grades(gb.lineItemsURL()).UpdateLineItem(context.Background(),
				LineItem{ID: gb.itemURL(1), Label: "Quiz (renamed)", ScoreMaximum: 12, ResourceLinkID: tt.link, Tag: "t"})
			if err != nil {
				t.Fatal(err)
			}
			items, _, _, reqs := gb.snapshot()
			if items[0].ResourceLinkID != "link-1" || updated.ResourceLinkID != "link-1" || updated.Label != "Quiz (renamed)" {
				t.Errorf("stored %+v, returned %+v: the line item lost its link", items[0], updated)
			}
			if got := reqs[0].Method == http.MethodGet; got != tt.wantGET || reqs[len(reqs)-1].Method != http.MethodPut {
				t.Errorf("requests %v, want GET first: %v", reqs, tt.wantGET)
			}
			if put := reqs[len(reqs)-1].Body; !strings.Contains(put, `"resourceLinkId":"link-1"`) {
				t.Errorf("PUT body %s lacks resourceLinkId", put)
			}
		})
	}
}

func TestGrades_AGS_LI_01_RefusedBeforeSending(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e)
	g := e.grades(gb.lineItemsURL())
	long := strings.Repeat("é", 257)
	tests := []struct {
		name string
		call func() error
	}{
		{"no label", func() error { _, err := g.CreateLineItem(context.Background(), LineItem{ScoreMaximum: 1}); return err }},
		{"blank label", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{Label: " \t", ScoreMaximum: 1})
			return err
		}},
		{"zero maximum", func() error { _, err := g.CreateLineItem(context.Background(), LineItem{Label: "x"}); return err }},
		{"negative maximum", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: -1})
			return err
		}},
		{"NaN maximum", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: math.NaN()})
			return err
		}},
		{"infinite maximum", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: math.Inf(1)})
			return err
		}},
		{"resourceId over 256", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: 1, ResourceID: long})
			return err
		}},
		{"tag over 256", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: 1, Tag: long})
			return err
		}},
		{"create with an id", func() error {
			_, err := g.CreateLineItem(context.Background(), LineItem{ID: gb.itemURL(1), Label: "x", ScoreMaximum: 1})
			return err
		}},
		{"update without id", func() error {
			_, err := g.UpdateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: 1})
			return err
		}},
		{"update with bad maximum", func() error {
			_, err := g.UpdateLineItem(context.Background(), LineItem{ID: gb.itemURL(1), Label: "x"})
			return err
		}},
		{"relative line item URL", func() error { _, err := g.LineItem(context.Background(), "/2/lineitems/1/lineitem"); return err }},
		{"negative limit", func() error { _, err := g.LineItems(context.Background(), LineItemsQuery{Limit: -1}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrInvalidServiceRequest) {
				t.Errorf("err %v, want ErrInvalidServiceRequest", err)
			}
		})
	}
	if _, _, _, reqs := gb.snapshot(); len(reqs) != 0 || e.token.count() != 0 {
		t.Errorf("%d service and %d token requests; refused calls must send nothing", len(reqs), e.token.count())
	}
}

func TestGrades_AGS_SCOPE_01_ScopesFromTheClaim(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 10})
	readOnly := []string{ScopeScore, ScopeLineItemReadOnly, ScopeResultReadOnly}
	g, err := e.tool.Grades(e.launch(&AGSEndpoint{Scope: readOnly, LineItems: gb.lineItemsURL(), LineItem: gb.itemURL(1)}, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: 1})
	if !errors.Is(err, ErrScopeNotGranted) || e.token.count() != 0 {
		t.Fatalf("create with a read-only claim: %v (%d token requests), want ErrScopeNotGranted before any request", err, e.token.count())
	}
	if _, err := g.LineItems(context.Background(), LineItemsQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := g.DeleteLineItem(context.Background(), gb.itemURL(1)); !errors.Is(err, ErrScopeNotGranted) {
		t.Errorf("delete: %v, want ErrScopeNotGranted", err)
	}
	e.token.mu.Lock()
	scopes := e.token.scopes
	e.token.mu.Unlock()
	if want := strings.Join(normScopes(readOnly), " "); len(scopes) != 1 || scopes[0] != want {
		t.Errorf("token scopes %q, want the claim's %q once", scopes, want)
	}
}

func TestGrades_NoGradeService(t *testing.T) {
	e := newSvcEnv(t)
	for _, l := range []*Launch{nil, e.launch(nil, nil)} {
		if _, err := e.tool.Grades(l); !errors.Is(err, ErrNoGradeService) {
			t.Errorf("Grades(%v): %v, want ErrNoGradeService", l, err)
		}
	}
	g, err := e.tool.Grades(e.launch(&AGSEndpoint{Scope: allAGSScopes, LineItem: "https://lms.example/li/1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.LineItems(context.Background(), LineItemsQuery{}); !errors.Is(err, ErrNoGradeService) {
		t.Errorf("LineItems without a lineitems URL: %v", err)
	}
	if _, err := g.CreateLineItem(context.Background(), LineItem{Label: "x", ScoreMaximum: 1}); !errors.Is(err, ErrNoGradeService) {
		t.Errorf("CreateLineItem without a lineitems URL: %v", err)
	}
	if ep := g.Endpoint(); ep.LineItem != "https://lms.example/li/1" || len(ep.Scope) != 4 {
		t.Errorf("Endpoint() = %+v", ep)
	}
}

func TestGrades_FailuresAreTypedWithEvidence(t *testing.T) {
	tests := []struct {
		status    int
		header    map[string]string
		body      string
		code      Code
		temporary bool
		retry     time.Duration
	}{
		{400, nil, `{"status":400,"reason":"Bad Request"}`, CodeServiceBadRequest, false, 0},
		{401, nil, `{"status":401,"reason":"Unauthorized"}`, CodeServiceUnauthorized, false, 0},
		{403, nil, `{"status":403,"reason":"Forbidden"}`, CodeServiceForbidden, false, 0},
		{404, map[string]string{"Content-Type": "text/html"}, `<!DOCTYPE html><html>Moodle</html>`, CodeServiceNotFound, false, 0},
		{409, nil, `[]`, CodeServiceConflict, false, 0},
		{429, map[string]string{"Retry-After": "7"}, `slow down`, CodeServiceRateLimited, true, 7 * time.Second},
		{500, nil, ``, CodeServiceUnavailable, true, 0},
		{502, nil, `bad gateway`, CodeServiceUnavailable, true, 0},
		{503, map[string]string{"Retry-After": "-3"}, ``, CodeServiceUnavailable, true, 0},
		{504, nil, ``, CodeServiceUnavailable, true, 0},
		{501, nil, ``, CodeServiceUnavailable, false, 0},
		{405, nil, ``, CodeServiceFailed, false, 0},
		{418, nil, `teapot`, CodeServiceFailed, false, 0},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			e := newSvcEnv(t)
			gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 10})
			gb.fault = func(w http.ResponseWriter, r *http.Request) bool {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
				return true
			}
			err := e.grades(gb.lineItemsURL()).PostScore(context.Background(), gb.itemURL(1),
				Score{UserID: "u", ScoreGiven: 1, ScoreMaximum: 2, ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
			code, se := serviceErrorOf(err)
			if code != tt.code || se == nil {
				t.Fatalf("err %v, want %s with a ServiceError", err, tt.code)
			}
			if se.StatusCode != tt.status || string(se.Body) != tt.body || se.Temporary() != tt.temporary || se.RetryAfter != tt.retry ||
				se.Method != http.MethodPost || !strings.HasSuffix(se.URL, "/lineitem/scores?type_id=1") {
				t.Errorf("ServiceError %+v (temporary %v)", se, se.Temporary())
			}
			if strings.Contains(err.Error(), "<html") {
				t.Errorf("message quotes HTML: %v", err)
			}
		})
	}
}

func TestGrades_NetworkFailureIsTemporary(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 10})
	gb.fault = func(w http.ResponseWriter, r *http.Request) bool {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	}
	err := e.grades(gb.lineItemsURL()).PostScore(context.Background(), gb.itemURL(1),
		Score{UserID: "u", ActivityProgress: ActivityStarted, GradingProgress: GradingNotReady})
	code, se := serviceErrorOf(err)
	if code != CodeServiceUnavailable || se == nil || se.StatusCode != 0 || !se.Temporary() {
		t.Fatalf("err %v, want a temporary service_unavailable without status", err)
	}
	var ne net.Error
	var ue *url.Error
	if !errors.As(err, &ue) && !errors.As(err, &ne) {
		t.Errorf("the transport error is not kept: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = e.grades(gb.lineItemsURL()).PostScore(ctx, gb.itemURL(1),
		Score{UserID: "u", ActivityProgress: ActivityStarted, GradingProgress: GradingNotReady})
	if _, se := serviceErrorOf(err); !errors.Is(err, context.Canceled) || se != nil && se.Temporary() {
		t.Errorf("cancelled: %v, want context.Canceled and not temporary", err)
	}
}

func TestGrades_UnreadableSuccessIsBadServiceResponse(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ``},
		{"HTML", `<html>login</html>`},
		{"object instead of array", `{"lineitems":[]}`},
		{"array of numbers", `[1,2]`},
		{"scoreMaximum not a number", `[{"id":"x","label":"a","scoreMaximum":true}]`},
		{"scoreMaximum NaN string", `[{"id":"x","label":"a","scoreMaximum":"NaN"}]`},
		{"date not a date", `[{"id":"x","label":"a","scoreMaximum":1,"startDateTime":"yesterday"}]`},
		{"date a number", `[{"id":"x","label":"a","scoreMaximum":1,"endDateTime":1700000000}]`},
		{"gradesReleased not a bool", `[{"id":"x","label":"a","scoreMaximum":1,"gradesReleased":"maybe"}]`},
		{"truncated", `[{"id":"x","label":"a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			gb := newFakeGradebook(e)
			gb.fault = func(w http.ResponseWriter, r *http.Request) bool {
				w.Write([]byte(tt.body))
				return true
			}
			_, err := e.grades(gb.lineItemsURL()).LineItems(context.Background(), LineItemsQuery{})
			if !errors.Is(err, ErrBadServiceResponse) {
				t.Errorf("err %v, want ErrBadServiceResponse", err)
			}
		})
	}
}

func TestGrades_LineItemDecodingTolerances(t *testing.T) {
	tests := []struct {
		name string
		body string
		want LineItem
	}{
		{"blank dates", `{"id":"u","label":"a","scoreMaximum":10,"startDateTime":"","endDateTime":null}`,
			LineItem{ID: "u", Label: "a", ScoreMaximum: 10}},
		{"Moodle's ltiLinkId", `{"id":"u","label":"a","scoreMaximum":100,"resourceId":"","tag":"","ltiLinkId":"1"}`,
			LineItem{ID: "u", Label: "a", ScoreMaximum: 100, ResourceLinkID: "1"}},
		{"numbers as strings, ids as numbers", `{"id":"u","label":"a","scoreMaximum":"12.5","resourceLinkId":42}`,
			LineItem{ID: "u", Label: "a", ScoreMaximum: 12.5, ResourceLinkID: "42"}},
		{"null fields", `{"id":"u","label":null,"scoreMaximum":null,"tag":null,"gradesReleased":null}`,
			LineItem{ID: "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeLineItem([]byte(tt.body))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decodeLineItem = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	got, err := decodeLineItem([]byte(`{"id":"u","label":"a","scoreMaximum":1,"startDateTime":"2026-11-28T21:17:28+0000",
		"endDateTime":"2026-12-01T21:17:28.047Z","gradesReleased":"true"}`))
	if err != nil || got.StartDateTime == nil || got.StartDateTime.Unix() != 1795900648 ||
		got.EndDateTime.Nanosecond() != 47_000_000 || got.GradesReleased == nil || !*got.GradesReleased {
		t.Errorf("dates and flags: %+v, %v", got, err)
	}
	for _, bad := range []string{`[]`, `"x"`, `null`, `{"id":["u"]}`, `{"startDateTime":{}}`} {
		if _, err := decodeLineItem([]byte(bad)); err == nil {
			t.Errorf("decodeLineItem(%s) accepted", bad)
		}
	}
	var round LineItem
	b, _ := json.Marshal(got)
	if err := json.Unmarshal(b, &round); err != nil || !round.EndDateTime.Equal(*got.EndDateTime) {
		t.Errorf("round trip %s: %v", b, err)
	}
}
