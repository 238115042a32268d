package tool

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"
)

func TestResults_AGS_RES_01_ReadAndFilter(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e, LineItem{Label: "Quiz", ScoreMaximum: 100})
	g := e.grades(gb.lineItemsURL())
	ctx := context.Background()
	for i, s := range []Score{
		{UserID: "4", ScoreGiven: 42, ScoreMaximum: 50, Comment: "c4", ActivityProgress: ActivityCompleted, GradingProgress: GradingFullyGraded},
		{UserID: "5", ActivityProgress: ActivityStarted, GradingProgress: GradingNotReady},
	} {
		s.Timestamp = e.clock.Now().Add(time.Duration(i) * time.Second)
		if err := g.PostScore(ctx, gb.itemURL(1), s); err != nil {
			t.Fatal(err)
		}
	}
	all, err := g.Results(ctx, gb.itemURL(1), ResultsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].UserID != "4" || all[0].ResultScore == nil || *all[0].ResultScore != 84 ||
		all[0].ResultMaximum != 100 || all[0].Comment != "c4" || all[0].ScoreOf != gb.itemURL(1) || all[1].ResultScore != nil {
		t.Errorf("results %+v", all)
	}
	one, err := g.Results(ctx, gb.itemURL(1), ResultsQuery{UserID: "5", Limit: 10})
	if err != nil || len(one) != 1 || one[0].UserID != "5" {
		t.Errorf("user 5: %+v, %v", one, err)
	}
	_, _, _, reqs := gb.snapshot()
	first, _ := url.ParseQuery(reqs[2].RawQuery)
	second, _ := url.ParseQuery(reqs[3].RawQuery)
	if reqs[2].Path != "/2/lineitems/1/lineitem/results" || first.Has("limit") || first.Get("type_id") != "1" {
		t.Errorf("default request %s?%s: want /results on the path, type_id kept, no limit (Moodle quirk 13)", reqs[2].Path, reqs[2].RawQuery)
	}
	if second.Get("user_id") != "5" || second.Get("limit") != "10" {
		t.Errorf("filtered request %q", reqs[3].RawQuery)
	}
	if _, err := g.Results(ctx, gb.itemURL(1), ResultsQuery{Limit: -1}); !errors.Is(err, ErrInvalidServiceRequest) {
		t.Errorf("negative limit: %v", err)
	}
	if _, err := g.Results(ctx, "not a url", ResultsQuery{}); !errors.Is(err, ErrInvalidServiceRequest) {
		t.Errorf("bad URL: %v", err)
	}
}

func TestResults_Decoding(t *testing.T) {
	rs, err := decodeResults([]byte(`[{"id":"r","scoreOf":"li","userId":4,"resultScore":"7.5","timestamp":"2026-11-28T21:17:29+00:00"},
		{"id":"r2","userId":"5","resultScore":null,"resultMaximum":20,"scoringUserId":"3","timestamp":""}]`))
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].UserID != "4" || *rs[0].ResultScore != 7.5 || rs[0].ResultMaximum != 1 || rs[0].Timestamp.Unix() != 1795900649 {
		t.Errorf("first %+v: want resultMaximum 1 by default", rs[0])
	}
	if rs[1].ResultScore != nil || rs[1].ResultMaximum != 20 || rs[1].ScoringUserID != "3" || !rs[1].Timestamp.IsZero() {
		t.Errorf("second %+v", rs[1])
	}
	if rs, err := decodeResults([]byte(`null`)); err != nil || len(rs) != 0 {
		t.Errorf("null: %v, %v", rs, err)
	}
	for _, bad := range []string{``, `{}`, `[1]`, `[{"resultScore":"high"}]`, `[{"resultMaximum":{}}]`, `[{"userId":[4]}]`,
		`[{"timestamp":"soon"}]`, `<html>`, `[{"resultScore":1e999}]`} {
		if _, err := decodeResults([]byte(bad)); err == nil {
			t.Errorf("decodeResults(%s) accepted", bad)
		}
	}
}
