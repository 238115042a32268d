package ltitest_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
)

const mtResults = "application/vnd.ims.lis.v2.resultcontainer+json"

// Results (AGS-RES-01): one per graded user, on the line item's scale,
// filtered by user_id, paged by limit with a Link rel="next".
func TestAGS_results(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	t0 := time.Unix(1_800_000_000, 0)
	for i, u := range []string{"user-1", "user-2", "user-3"} {
		if r := s.postScore(t, s.lineItem, score(u, float64(4+i), t0)); r.status != 200 {
			t.Fatalf("score for %s: got %d %s", u, r.status, r.body)
		}
	}
	accept := map[string]string{"Accept": mtResults}
	r := s.call(t, http.MethodGet, resultsURL(s.lineItem), s.token, accept, "")
	if r.status != 200 || r.header.Get("Content-Type") != mtResults+"; charset=utf-8" {
		t.Fatalf("got %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	all := r.jsonArray(t)
	if len(all) != 3 {
		t.Fatalf("results: got %v, want 3", all)
	}
	// 4/10 on a line item of 100: 40 (Moodle rescales).
	first := all[0]
	if first["userId"] != "user-1" || first["resultScore"] != 40.0 || first["resultMaximum"] != 100.0 ||
		first["scoreOf"] != s.lineItem || first["comment"] != "well done" ||
		first["id"] != resultsURL(s.lineItem)+"&user_id=user-1" {
		t.Errorf("result: got %v", first)
	}

	r = s.call(t, http.MethodGet, resultsURL(s.lineItem)+"&user_id=user-2", s.token, accept, "")
	if a := r.jsonArray(t); len(a) != 1 || a[0]["userId"] != "user-2" {
		t.Errorf("user_id=user-2: got %v", a)
	}
	r = s.call(t, http.MethodGet, resultsURL(s.lineItem)+"&user_id=instructor-1", s.token, accept, "")
	if a := r.jsonArray(t); r.status != 200 || len(a) != 0 {
		t.Errorf("user_id of a user without score: got %d %v, want []", r.status, a)
	}

	// Paging by 2: a next link, then the last page without one.
	r = s.call(t, http.MethodGet, resultsURL(s.lineItem)+"&limit=2", s.token, accept, "")
	m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(r.header.Get("Link"))
	if len(r.jsonArray(t)) != 2 || m == nil {
		t.Fatalf("page 1: got %s Link %q", r.body, r.header.Get("Link"))
	}
	r = s.call(t, http.MethodGet, m[1], s.token, accept, "")
	if a := r.jsonArray(t); len(a) != 1 || a[0]["userId"] != "user-3" || r.header.Get("Link") != "" {
		t.Errorf("page 2: got %v Link %q", a, r.header.Get("Link"))
	}

	for _, tc := range []struct {
		name   string
		u      string
		header map[string]string
		token  []string
		want   int
	}{
		{"no Accept", resultsURL(s.lineItem), nil, nil, 200},
		{"AGS-MT-02 Accept application/json", resultsURL(s.lineItem), map[string]string{"Accept": "application/json"}, nil, 400},
		{"AGS-MT-02 Accept the score type", resultsURL(s.lineItem), map[string]string{"Accept": mtScore}, nil, 400},
		{"AGS-SCOPE-01 token without result.readonly", resultsURL(s.lineItem), accept, []string{ltitest.ScopeScore, ltitest.ScopeLineItem}, 401},
		{"AGS-URL-01 /results after the query", s.lineItem + "/results", accept, nil, 401},
		{"AGS-RES-01 limit negative", resultsURL(s.lineItem) + "&limit=-1", accept, nil, 400},
		{"AGS-RES-01 unknown line item", strings.Replace(resultsURL(s.lineItem), "/lineitems/1/", "/lineitems/77/", 1), accept, nil, 404},
		{"AGS-RES-01 POST", resultsURL(s.lineItem), accept, nil, 405},
	} {
		tok := s.token
		if tc.token != nil {
			tok = accessToken(t, s.p, s.tk, s.clk.Now(), tc.token...)
		}
		method := http.MethodGet
		if strings.HasSuffix(tc.name, "POST") {
			method = http.MethodPost
		}
		if r := s.call(t, method, tc.u, tok, tc.header, ""); r.status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
	}
}

// With Moodle: limit on results with results answers 404 HTML (quirk 13), a
// zero grade has no resultScore, and the timestamp is Moodle's date('c').
func TestAGS_resultsMoodle(t *testing.T) {
	t.Parallel()
	s := newServices(t, ltitest.Moodle())
	accept := map[string]string{"Accept": mtResults}
	if r := s.call(t, http.MethodGet, resultsURL(s.lineItem)+"&limit=1", s.token, accept, ""); r.status != 200 {
		t.Errorf("limit without results: got %d, want 200", r.status)
	}
	t0 := time.Date(2026, 11, 28, 21, 17, 29, 644_000_000, time.UTC)
	s.postScore(t, s.lineItem, map[string]any{"userId": "4", "scoreGiven": 42, "scoreMaximum": 50, "comment": "c",
		"timestamp": "2026-11-28T21:17:29.644Z", "activityProgress": "Completed", "gradingProgress": "FullyGraded"})
	s.postScore(t, s.lineItem, score("5", 0, t0))
	r := s.call(t, http.MethodGet, resultsURL(s.lineItem)+"&limit=1", s.token, accept, "")
	if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("limit with results: got %d %q, want Moodle's 404 HTML page", r.status, r.header.Get("Content-Type"))
	}
	a := s.call(t, http.MethodGet, resultsURL(s.lineItem), s.token, accept, "").jsonArray(t)
	if len(a) != 2 {
		t.Fatalf("results: got %v", a)
	}
	if a[0]["resultScore"] != 84.0 || a[0]["resultMaximum"] != 100.0 || a[0]["timestamp"] != "2026-11-28T21:17:29+00:00" {
		t.Errorf("result of 42/50: got %v, want 84 of 100 at 2026-11-28T21:17:29+00:00", a[0])
	}
	if _, ok := a[1]["resultScore"]; ok || a[1]["userId"] != "5" || len(a[1]) != 2 {
		t.Errorf("result of 0: got %v, want only id and userId", a[1])
	}
}
