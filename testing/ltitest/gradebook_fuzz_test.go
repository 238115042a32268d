package ltitest

import (
	"net/http"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// Score and line item bodies come from the tool under test: whatever they
// hold, parsing them must not panic, and a score that parses must have the
// fields the gradebook relies on.
func FuzzServiceBodies(f *testing.F) {
	for _, s := range []string{
		`{"userId":"4","scoreGiven":42,"scoreMaximum":50,"timestamp":"2026-11-28T21:17:29.644Z","activityProgress":"Completed","gradingProgress":"FullyGraded"}`,
		`{"userId":"4","timestamp":"2026-11-28T21:17:29Z","activityProgress":"Initialized","gradingProgress":"NotReady","submission":{"startedAt":"2026-11-28T21:00:00Z"}}`,
		`{"label":"Quiz","scoreMaximum":10,"resourceLinkId":"1","tag":"t","startDateTime":"2026-11-28T21:17:28Z","gradesReleased":true}`,
		`{"scoreGiven":1e400}`, `[]`, `null`, `{"submission":[]}`, ``,
	} {
		f.Add([]byte(s))
	}
	e, err := newEngine("http://127.0.0.1:1", genericQuirks(), nil, mustKey(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if s, why := parseScore(body); why == "" {
			if s.UserID == "" || s.Time.IsZero() || (s.ScoreGiven != nil && s.ScoreMaximum == nil) {
				t.Errorf("accepted score %+v from %q", s, body)
			}
		}
		def, status, _ := e.parseLineItem(body, "context-1", nil)
		if status == 0 && (def.label == "" || def.scoreMaximum <= 0) {
			t.Errorf("accepted line item %+v from %q", def, body)
		}
		old := lineItem{id: "1", contextID: "context-1", resourceLinkID: "rl-1"}
		if _, status, _ := e.parseLineItem(body, "context-1", &old); status != 0 && status != http.StatusBadRequest && status != http.StatusNotFound {
			t.Errorf("PUT status %d", status)
		}
		e.gradebook.postScore("context-1", "1", body, time.Unix(1_800_000_000, 0), func(string) string { return "" })
	})
}

func mustKey(f *testing.F) jwks.Key {
	k, err := newKey()
	if err != nil {
		f.Fatal(err)
	}
	return k
}

// page selects limit items from from, as the services page.
func TestPage(t *testing.T) {
	for _, tc := range []struct {
		n, limit, from, start, end int
		more                       bool
	}{
		{5, 0, 0, 0, 5, false},
		{5, 2, 0, 0, 2, true},
		{5, 2, 4, 4, 5, false},
		{5, 2, 3, 3, 5, false},
		{5, 2, 9, 5, 5, false},
		{0, 1, 0, 0, 0, false},
	} {
		start, end, more := page(tc.n, tc.limit, tc.from)
		if start != tc.start || end != tc.end || more != tc.more {
			t.Errorf("page(%d, %d, %d): got %d %d %v, want %d %d %v", tc.n, tc.limit, tc.from, start, end, more, tc.start, tc.end, tc.more)
		}
	}
}
