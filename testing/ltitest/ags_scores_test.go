package ltitest_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

const mtScore = "application/vnd.ims.lis.v1.score+json"

// scoreCase is one score post after a first accepted score at t0.
type scoreCase struct {
	name string
	// edit changes the good score (FullyGraded 7/10 for the default user,
	// one second after the first score).
	edit func(s map[string]any)
	// header replaces the good headers; url edits the scores URL.
	header map[string]string
	url    func(u string) string
	token  []string // scopes of another token
	raw    string   // a body instead of the score
	want   int
	rule   string // the rule recorded for a rejected post
}

var scoreCases = []scoreCase{
	{name: "good", want: 200},
	{name: "no scoreGiven, not graded", edit: func(s map[string]any) {
		delete(s, "scoreGiven")
		s["gradingProgress"], s["activityProgress"] = "NotReady", "Initialized"
	}, want: 200},
	{name: "over the maximum", edit: func(s map[string]any) { s["scoreGiven"] = 80.0 }, want: 200},
	{name: "timestamp without milliseconds", edit: func(s map[string]any) {
		s["timestamp"] = time.Unix(1_800_000_100, 0).UTC().Format(time.RFC3339)
	}, want: 200},
	{name: "with submission and scoringUserId", edit: func(s map[string]any) {
		s["submission"] = map[string]any{"startedAt": "2027-01-15T07:00:00.000Z", "submittedAt": "2027-01-15T07:30:00.000Z"}
		s["scoringUserId"] = "instructor-1"
	}, want: 200},

	{name: "AGS-SC-02 same second", edit: func(s map[string]any) {
		s["timestamp"] = time.Unix(1_800_000_000, 900_000_000).UTC().Format(time.RFC3339Nano)
	}, want: 409, rule: "AGS-SC-02"},
	{name: "AGS-SC-02 same timestamp", edit: func(s map[string]any) {
		s["timestamp"] = time.Unix(1_800_000_000, 0).UTC().Format(time.RFC3339Nano)
	}, want: 409, rule: "AGS-SC-02"},
	{name: "AGS-SC-02 older", edit: func(s map[string]any) {
		s["timestamp"] = time.Unix(1_799_000_000, 0).UTC().Format(time.RFC3339)
	}, want: 409, rule: "AGS-SC-02"},
	{name: "AGS-SC-02 same second not graded", edit: func(s map[string]any) {
		delete(s, "scoreGiven")
		s["gradingProgress"], s["activityProgress"] = "NotReady", "Initialized"
		s["timestamp"] = time.Unix(1_800_000_000, 500_000_000).UTC().Format(time.RFC3339Nano)
	}, want: 409, rule: "AGS-SC-02"},
	{name: "AGS-SC-01 userId not a member", edit: func(s map[string]any) { s["userId"] = "999999" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 userId missing", edit: func(s map[string]any) { delete(s, "userId") }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 userId a number", edit: func(s map[string]any) { s["userId"] = 4 }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 timestamp missing", edit: func(s map[string]any) { delete(s, "timestamp") }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 timestamp without zone", edit: func(s map[string]any) { s["timestamp"] = "2027-01-15T08:00:00.000" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 timestamp a date", edit: func(s map[string]any) { s["timestamp"] = "2027-01-15" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 activityProgress missing", edit: func(s map[string]any) { delete(s, "activityProgress") }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 activityProgress unknown", edit: func(s map[string]any) { s["activityProgress"] = "Done" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 gradingProgress missing", edit: func(s map[string]any) { delete(s, "gradingProgress") }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 gradingProgress lower case", edit: func(s map[string]any) { s["gradingProgress"] = "fullygraded" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 scoreGiven a string", edit: func(s map[string]any) { s["scoreGiven"] = "7" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 scoreGiven negative", edit: func(s map[string]any) { s["scoreGiven"] = -1.0 }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 scoreGiven without scoreMaximum", edit: func(s map[string]any) { delete(s, "scoreMaximum") }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 scoreMaximum zero", edit: func(s map[string]any) { s["scoreMaximum"] = 0.0 }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 scoringUserId empty", edit: func(s map[string]any) { s["scoringUserId"] = "" }, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-04 submittedAt before startedAt", edit: func(s map[string]any) {
		s["submission"] = map[string]any{"startedAt": "2027-01-15T07:30:00Z", "submittedAt": "2027-01-15T07:00:00Z"}
	}, want: 400, rule: "AGS-SC-01"},
	{name: "AGS-SC-01 body not JSON", raw: "userId=4", want: 400, rule: "AGS-SC-01"},
	{name: "AGS-MT-02 Content-Type application/json", header: map[string]string{"Content-Type": "application/json"}, want: 400},
	{name: "AGS-MT-02 Content-Type with charset", header: map[string]string{"Content-Type": mtScore + "; charset=utf-8"}, want: 400},
	{name: "AGS-MT-02 Content-Type missing", header: map[string]string{}, want: 400},
	{name: "AGS-MT-01 Content-Type the v2 score type", header: map[string]string{"Content-Type": "application/vnd.ims.lis.v2.score+json"}, want: 400},
	{name: "AGS-URL-01 /scores after the query", url: func(u string) string {
		path, query, _ := strings.Cut(u, "?")
		return strings.TrimSuffix(path, "/scores") + "?" + query + "/scores"
	}, want: 401},
	{name: "AGS-URL-01 query dropped", url: func(u string) string { return strings.Split(u, "?")[0] }, want: 403},
	{name: "AGS-SCOPE-01 token without the score scope", token: []string{ltitest.ScopeLineItem, ltitest.ScopeResultReadonly}, want: 401},
	{name: "AGS-URL-01 unknown line item", url: func(u string) string {
		return regexp.MustCompile(`/lineitems/\d+/`).ReplaceAllString(u, "/lineitems/999/")
	}, want: 404},
}

// Score posts (AGS-SC-*): the gradebook applies Moodle's rules, answers
// like Moodle and records every post it judged.
func TestAGS_scores(t *testing.T) {
	t.Parallel()
	for _, moodle := range []bool{false, true} {
		t.Run(modeName(moodle), func(t *testing.T) {
			t.Parallel()
			s := newServices(t, modeOpts(moodle)...)
			user := s.p.IDToken(t, ltitest.Message{}, "n")["sub"].(string)
			for _, tc := range scoreCases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					lineItem := s.create(t, `{"label":"`+tc.name+`","scoreMaximum":10}`)
					t0 := time.Unix(1_800_000_000, 0)
					if r := s.postScore(t, lineItem, score(user, 5, t0)); r.status != 200 {
						t.Fatalf("first score: got %d %s", r.status, r.body)
					}
					sc := score(user, 7, t0.Add(time.Second))
					if tc.edit != nil {
						tc.edit(sc)
					}
					body, _ := json.Marshal(sc)
					if tc.raw != "" {
						body = []byte(tc.raw)
					}
					h := map[string]string{"Content-Type": mtScore}
					if tc.header != nil {
						h = tc.header
					}
					u := scoresURL(lineItem)
					if tc.url != nil {
						u = tc.url(u)
					}
					tok := s.token
					if tc.token != nil {
						tok = accessToken(t, s.p, s.tk, s.clk.Now(), tc.token...)
					}
					r := s.call(t, http.MethodPost, u, tok, h, string(body))
					if r.status != tc.want {
						t.Fatalf("got %d %s, want %d", r.status, r.body, tc.want)
					}
					checkScoreAnswer(t, r, moodle, tc, lineItemByID(t, s.p, lineItem), user, body)
				})
			}
		})
	}
}

// checkScoreAnswer checks the answer to a score post and what the line
// item li recorded.
func checkScoreAnswer(t *testing.T, r response, moodle bool, tc scoreCase, li ltitest.LineItem, user string, body []byte) {
	t.Helper()
	switch {
	case tc.want == 200:
		if r.body != "" {
			t.Errorf("body: got %q, want none", r.body)
		}
		if got := li.Scores[user]; string(got.Raw) != string(body) || !li.Posts[1].Accepted() {
			t.Errorf("latest score: got %s, want the one posted", got.Raw)
		}
	case tc.rule != "":
		if moodle && (r.body != "[]" || r.header.Get("Content-Type") != mtScore+"; charset=utf-8") {
			t.Errorf("Moodle refusal: got %q %q, want [] as the score type", r.header.Get("Content-Type"), r.body)
		}
		if !moodle {
			checkServiceError(t, r, tc.want)
		}
		if len(li.Posts) != 2 || li.Posts[1].Status != tc.want || li.Posts[1].Rule != tc.rule || li.Posts[1].Reason == "" {
			t.Errorf("posts: got %+v, want the refusal recorded with %s", li.Posts, tc.rule)
		}
		if got, _ := li.Scores[user].Grade(); got != 5 {
			t.Errorf("grade: got %v, want the first score's 5 kept", got)
		}
	default:
		checkServiceError(t, r, tc.want)
		if len(li.Posts) != 1 {
			t.Errorf("posts: got %d, want the request refused before the gradebook", len(li.Posts))
		}
	}
}

// Moodle grades only learners: a score for an instructor is refused with
// the Moodle profile, accepted otherwise.
func TestAGS_scoreInstructor(t *testing.T) {
	t.Parallel()
	for _, moodle := range []bool{false, true} {
		s := newServices(t, modeOpts(moodle)...)
		s.p.SetRoster(ltitest.Member{UserID: "teacher", Roles: tool.Roles{tool.RoleInstructor}})
		r := s.postScore(t, s.lineItem, score("teacher", 1, time.Unix(1_800_000_000, 0)))
		if want := map[bool]int{false: 200, true: 400}[moodle]; r.status != want {
			t.Errorf("%s: got %d %s, want %d", modeName(moodle), r.status, r.body, want)
		}
	}
}

// scoreGiven counts only with gradingProgress FullyGraded: another
// progress clears the grade, and results leave the user out.
func TestAGS_scoreNotFullyGraded(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	t0 := time.Unix(1_800_000_000, 0)
	s.postScore(t, s.lineItem, score("user-1", 5, t0))
	sc := score("user-1", 9, t0.Add(2*time.Second))
	sc["gradingProgress"] = "Pending"
	if r := s.postScore(t, s.lineItem, sc); r.status != 200 {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	got := lineItemByID(t, s.p, s.lineItem).Scores["user-1"]
	if g, ok := got.Grade(); ok || got.ScoreGiven == nil || *got.ScoreGiven != 9 {
		t.Errorf("latest: grade %v %v, scoreGiven %v; want no grade, scoreGiven kept as sent", g, ok, got.ScoreGiven)
	}
	r := s.call(t, http.MethodGet, resultsURL(s.lineItem), s.token, map[string]string{"Accept": mtResults}, "")
	if a := r.jsonArray(t); len(a) != 0 {
		t.Errorf("results: got %v, want none", a)
	}
}

// Concurrent posts for one user: exactly one per second wins, the others
// get 409, and the gradebook holds the winner (-race).
func TestAGS_scoresConcurrent(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	ts := time.Unix(1_800_000_000, 0)
	done := make(chan int)
	for i := range 20 {
		go func() {
			sc := score("user-1", float64(i%10), ts.Add(time.Duration(i)*time.Millisecond))
			b, _ := json.Marshal(sc)
			req, _ := http.NewRequest(http.MethodPost, scoresURL(s.lineItem), strings.NewReader(string(b)))
			req.Header.Set("Content-Type", mtScore)
			req.Header.Set("Authorization", "Bearer "+s.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	counts := map[int]int{}
	for range 20 {
		counts[<-done]++
	}
	if counts[200] != 1 || counts[409] != 19 {
		t.Errorf("answers: got %v, want one 200 and nineteen 409", counts)
	}
	li := lineItemByID(t, s.p, s.lineItem)
	if len(li.Posts) != 20 {
		t.Errorf("posts: got %d, want 20", len(li.Posts))
	}
}
