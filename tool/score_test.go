package tool

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestScore_AGS_SC_01_WireFormat(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	ts := time.Date(2026, 11, 28, 22, 17, 29, 644_123_456, cet)
	tests := []struct {
		name  string
		score Score
		want  string
	}{
		{"every field", Score{UserID: "4", ScoreGiven: 42, ScoreMaximum: 50, Comment: "well done", Timestamp: ts,
			ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded, ScoringUserID: "3",
			Submission: &Submission{StartedAt: ts.Add(-time.Hour), SubmittedAt: ts.Add(-time.Minute)}},
			`{"userId":"4","scoreGiven":42,"scoreMaximum":50,"comment":"well done","timestamp":"2026-11-28T21:17:29.644Z",` +
				`"activityProgress":"Completed","gradingProgress":"FullyGraded","scoringUserId":"3",` +
				`"submission":{"startedAt":"2026-11-28T20:17:29.644Z","submittedAt":"2026-11-28T21:16:29.644Z"}}`},
		{"a zero grade is sent", Score{UserID: "4", ScoreGiven: 0, ScoreMaximum: 10, Timestamp: ts,
			ActivityProgress: ActivitySubmitted, GradingProgress: GradingFullyGraded},
			`{"userId":"4","scoreGiven":0,"scoreMaximum":10,"timestamp":"2026-11-28T21:17:29.644Z","activityProgress":"Submitted","gradingProgress":"FullyGraded"}`},
		{"no maximum: progress only, no grade", Score{UserID: "4", Timestamp: ts,
			ActivityProgress: ActivityInitialized, GradingProgress: GradingNotReady},
			`{"userId":"4","timestamp":"2026-11-28T21:17:29.644Z","activityProgress":"Initialized","gradingProgress":"NotReady"}`},
		{"whole second keeps .000", Score{UserID: "4", ScoreGiven: 1.5, ScoreMaximum: 2, Timestamp: time.Unix(1795900649, 0),
			ActivityProgress: ActivityCompleted, GradingProgress: GradingPendingManual},
			`{"userId":"4","scoreGiven":1.5,"scoreMaximum":2,"timestamp":"2026-11-28T21:17:29.000Z","activityProgress":"Completed","gradingProgress":"PendingManual"}`},
		{"empty submission left out", Score{UserID: "4", Timestamp: ts, ActivityProgress: ActivityStarted,
			GradingProgress: GradingPending, Submission: &Submission{}},
			`{"userId":"4","timestamp":"2026-11-28T21:17:29.644Z","activityProgress":"Started","gradingProgress":"Pending"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.score)
			if err != nil || string(b) != tt.want {
				t.Fatalf("Marshal =\n%s, %v\nwant\n%s", b, err, tt.want)
			}
			var back Score
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back)
			if string(again) != tt.want {
				t.Errorf("round trip =\n%s\nwant\n%s", again, tt.want)
			}
		})
	}
}

func TestScore_UnmarshalTolerant(t *testing.T) {
	tests := []struct {
		name, in string
		want     Score
	}{
		{"Moodle recorded request", `{"activityProgress":"Completed","comment":"c","gradingProgress":"FullyGraded","scoreGiven":31.5,"scoreMaximum":40,"timestamp":"2026-11-28T21:39:49.931Z","userId":"4"}`,
			Score{UserID: "4", ScoreGiven: 31.5, ScoreMaximum: 40, Comment: "c", Timestamp: time.Date(2026, 11, 28, 21, 39, 49, 931e6, time.UTC),
				ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded}},
		{"scoreMaximum defaults to 1", `{"userId":4,"scoreGiven":"0.5","activityProgress":"Completed","gradingProgress":"FullyGraded"}`,
			Score{UserID: "4", ScoreGiven: 0.5, ScoreMaximum: 1, ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded}},
		{"null score", `{"userId":"4","scoreGiven":null,"scoreMaximum":10,"activityProgress":"Initialized","gradingProgress":"NotReady"}`,
			Score{UserID: "4", ActivityProgress: ActivityInitialized, GradingProgress: GradingNotReady}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Score
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatal(err)
			}
			if got.UserID != tt.want.UserID || got.ScoreGiven != tt.want.ScoreGiven || got.ScoreMaximum != tt.want.ScoreMaximum ||
				!got.Timestamp.Equal(tt.want.Timestamp) || got.ActivityProgress != tt.want.ActivityProgress || got.Comment != tt.want.Comment {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`[]`, `"score"`, `{"userId":true}`, `{"scoreGiven":"lots"}`, `{"scoreGiven":[1]}`,
		`{"timestamp":"28/11/2026"}`, `{"submission":{"startedAt":5}}`, `{"userId":"4"`} {
		var s Score
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s) accepted: %+v", bad, s)
		}
	}
}

func TestScore_AGS_SC_01_Validate(t *testing.T) {
	ok := Score{UserID: "4", ScoreGiven: 5, ScoreMaximum: 10, ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid score: %v", err)
	}
	now := time.Now()
	tests := []struct {
		name   string
		mutate func(*Score)
		field  string
	}{
		{"no user", func(s *Score) { s.UserID = "" }, "userId"},
		{"no activity progress", func(s *Score) { s.ActivityProgress = "" }, "activityProgress"},
		{"unknown activity progress", func(s *Score) { s.ActivityProgress = "Done" }, "activityProgress"},
		{"lower-case grading progress", func(s *Score) { s.GradingProgress = "fullygraded" }, "gradingProgress"},
		{"no grading progress", func(s *Score) { s.GradingProgress = "" }, "gradingProgress"},
		{"negative score", func(s *Score) { s.ScoreGiven = -1 }, "scoreGiven"},
		{"NaN score", func(s *Score) { s.ScoreGiven = math.NaN() }, "scoreGiven"},
		{"infinite score", func(s *Score) { s.ScoreGiven = math.Inf(1) }, "scoreGiven"},
		{"negative maximum", func(s *Score) { s.ScoreMaximum = -10 }, "scoreMaximum"},
		{"NaN maximum", func(s *Score) { s.ScoreMaximum = math.NaN() }, "scoreMaximum"},
		{"score without maximum", func(s *Score) { s.ScoreMaximum = 0 }, "scoreMaximum"},
		{"submitted before started", func(s *Score) { s.Submission = &Submission{StartedAt: now, SubmittedAt: now.Add(-time.Second)} }, "submission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.mutate(&s)
			err := s.Validate()
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidServiceRequest || e.Claim != tt.field {
				t.Errorf("Validate: %v, want invalid_service_request on %s", err, tt.field)
			}
		})
	}
}

func TestScore_AGS_SC_03_AnySuccessStatus(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204} {
		for _, body := range []string{"", `{"resultUrl":"x"}`} {
			e := newSvcEnv(t)
			srv := e.serve(&recorder{reply: func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.WriteHeader(status)
				if status != 204 {
					w.Write([]byte(body))
				}
			}})
			err := e.grades(srv.URL+"/li").PostScore(context.Background(), srv.URL+"/li/1",
				Score{UserID: "u", ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
			if err != nil {
				t.Errorf("%d %q: %v", status, body, err)
			}
		}
	}
}

func TestScore_PostScore_AGS_MT_01_RequestShape(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 10})
	g := e.grades(gb.lineItemsURL())
	if err := g.PostScore(context.Background(), gb.itemURL(1), Score{UserID: "4", ScoreGiven: 7, ScoreMaximum: 10,
		Comment: "ok", ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded}); err != nil {
		t.Fatal(err)
	}
	_, scores, _, reqs := gb.snapshot()
	r := reqs[0]
	if r.Path != "/2/lineitems/1/lineitem/scores" || r.RawQuery != "type_id=1" || r.Header.Get("Content-Type") != mediaScore {
		t.Errorf("request %s?%s Content-Type %q", r.Path, r.RawQuery, r.Header.Get("Content-Type"))
	}
	if want := `"timestamp":"2026-11-28T21:17:29.644Z"`; !strings.Contains(r.Body, want) {
		t.Errorf("body %s lacks the clock's timestamp %s", r.Body, want)
	}
	if got := scores[gb.itemURL(1)]; len(got) != 1 || got[0].ScoreGiven != 7 {
		t.Errorf("gradebook %+v", got)
	}
}

func TestScore_AGS_SC_02_SameSecondIsAConflict(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 10})
	g := e.grades(gb.lineItemsURL())
	post := func(ts time.Time) error {
		return g.PostScore(context.Background(), gb.itemURL(1), Score{UserID: "4", ScoreGiven: 7, ScoreMaximum: 10,
			Timestamp: ts, ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded})
	}
	t0 := e.clock.Now()
	if err := post(t0); err != nil {
		t.Fatal(err)
	}
	err := post(t0.Add(100 * time.Millisecond))
	if code, se := serviceErrorOf(err); code != CodeServiceConflict || se.Temporary() || !errors.Is(err, ErrServiceConflict) {
		t.Fatalf("same second: %v, want a permanent service_conflict", err)
	}
	if err := post(t0.Add(time.Second)); err != nil {
		t.Errorf("next second: %v", err)
	}
	if err := post(time.Time{}); !errors.Is(err, ErrServiceConflict) {
		t.Errorf("zero timestamp is the clock, the same second again: %v", err)
	}
}
