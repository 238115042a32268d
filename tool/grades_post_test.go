package tool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPostGrade_UsesTheLaunchLineItemFullyGradedCompleted(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e, LineItem{Label: "Quiz 1", ScoreMaximum: 10, ResourceLinkID: "link-1"})
	l := e.launch(&AGSEndpoint{Scope: allAGSScopes, LineItems: gb.lineItemsURL(), LineItem: gb.itemURL(1)}, nil)
	if err := e.tool.PostGrade(context.Background(), l, Grade{ScoreGiven: 8, ScoreMaximum: 10, Comment: "good"}); err != nil {
		t.Fatal(err)
	}
	_, scores, creates, reqs := gb.snapshot()
	got := scores[gb.itemURL(1)]
	if len(got) != 1 || creates != 0 || len(reqs) != 1 {
		t.Fatalf("scores %+v, creates %d, requests %d; want one score, straight to the launch's line item", got, creates, len(reqs))
	}
	s := got[0]
	if s.UserID != "user-7" || s.ScoreGiven != 8 || s.ScoreMaximum != 10 || s.Comment != "good" ||
		s.ActivityProgress != ActivityCompleted || s.GradingProgress != GradingFullyGraded || !s.Timestamp.Equal(e.clock.Now()) {
		t.Errorf("score %+v: want the learner, FullyGraded/Completed and the clock's time", s)
	}
}

func TestPostGrade_FindsOrCreatesByResourceIDAndTag(t *testing.T) {
	tests := []struct {
		name        string
		existing    []LineItem
		claimItem   bool
		grade       Grade
		wantCreates int
		wantItem    int // the line item that gets the score
		wantLabel   string
	}{
		{"found by resourceId and tag", []LineItem{
			{Label: "A", ScoreMaximum: 10, ResourceLinkID: "link-1", ResourceID: "r1", Tag: "draft"},
			{Label: "B", ScoreMaximum: 10, ResourceLinkID: "link-1", ResourceID: "r1", Tag: "final"},
		}, true, Grade{ScoreGiven: 1, ScoreMaximum: 10, ResourceID: "r1", Tag: "final"}, 0, 2, "B"},
		{"created when missing, bound to the link", []LineItem{
			{Label: "A", ScoreMaximum: 10, ResourceLinkID: "link-1", ResourceID: "r1", Tag: "draft"},
		}, true, Grade{ScoreGiven: 1, ScoreMaximum: 20, ResourceID: "r1", Tag: "final", Label: "Final essay"}, 1, 2, "Final essay"},
		{"no claim line item: the link's only one", []LineItem{
			{Label: "Other link", ScoreMaximum: 10, ResourceLinkID: "link-2"},
			{Label: "Mine", ScoreMaximum: 10, ResourceLinkID: "link-1"},
		}, false, Grade{ScoreGiven: 3, ScoreMaximum: 10}, 0, 2, "Mine"},
		{"no claim line item and none for the link: created with the link's title", nil, false,
			Grade{ScoreGiven: 3, ScoreMaximum: 5}, 1, 1, "Quiz 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			gb := newFakeGradebook(e, tt.existing...)
			ags := &AGSEndpoint{Scope: allAGSScopes, LineItems: gb.lineItemsURL()}
			if tt.claimItem {
				ags.LineItem = gb.itemURL(99)
			}
			if err := e.tool.PostGrade(context.Background(), e.launch(ags, nil), tt.grade); err != nil {
				t.Fatal(err)
			}
			items, scores, creates, _ := gb.snapshot()
			if creates != tt.wantCreates || len(scores[gb.itemURL(tt.wantItem)]) != 1 {
				t.Fatalf("creates %d, scores %v; want %d creates and the score on item %d", creates, scores, tt.wantCreates, tt.wantItem)
			}
			li := items[tt.wantItem-1]
			if li.Label != tt.wantLabel || li.ResourceLinkID != "link-1" || li.ResourceID != tt.grade.ResourceID || li.Tag != tt.grade.Tag {
				t.Errorf("line item %+v, want label %q bound to link-1", li, tt.wantLabel)
			}
			if tt.wantCreates == 1 && li.ScoreMaximum != tt.grade.ScoreMaximum {
				t.Errorf("created scoreMaximum %v, want %v", li.ScoreMaximum, tt.grade.ScoreMaximum)
			}
		})
	}
}

func TestPostGrade_ConcurrentLearnersCreateTheLineItemOnce(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e)
	ags := &AGSEndpoint{Scope: allAGSScopes, LineItems: gb.lineItemsURL()}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			l := e.launch(ags, nil)
			l.Subject = fmt.Sprint("user-", i)
			errs <- e.tool.PostGrade(context.Background(), l, Grade{ScoreGiven: 1, ScoreMaximum: 2, ResourceID: "quiz", Tag: "final"})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	items, scores, creates, reqs := gb.snapshot()
	if creates != 1 || len(items) != 1 || len(scores[items[0].ID]) != 50 {
		t.Errorf("creates %d, items %d, scores %d; want 1, 1, 50", creates, len(items), len(scores[items[0].ID]))
	}
	lists := 0
	for _, r := range reqs {
		if r.Method == http.MethodGet {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("%d line item searches, want 1: the found line item is remembered", lists)
	}
}

func TestPostGrade_RemembersAndRefindsADeletedLineItem(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e)
	ags := &AGSEndpoint{Scope: allAGSScopes, LineItems: gb.lineItemsURL()}
	l := e.launch(ags, nil)
	grade := Grade{ScoreGiven: 1, ScoreMaximum: 2, Tag: "final"}
	if err := e.tool.PostGrade(context.Background(), l, grade); err != nil {
		t.Fatal(err)
	}
	// A teacher deletes the column; the next grade recreates it once.
	if err := e.grades(gb.lineItemsURL()).DeleteLineItem(context.Background(), gb.itemURL(1)); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Second)
	if err := e.tool.PostGrade(context.Background(), l, grade); err != nil {
		t.Fatal(err)
	}
	items, scores, creates, _ := gb.snapshot()
	if creates != 2 || len(items) != 1 || items[0].ID != gb.itemURL(2) || len(scores[gb.itemURL(2)]) != 1 {
		t.Errorf("creates %d, items %+v, scores %v", creates, items, scores)
	}
}

func TestPostGrade_Refusals(t *testing.T) {
	e := newSvcEnv(t)
	gb := newFakeGradebook(e,
		LineItem{Label: "A", ScoreMaximum: 10, ResourceLinkID: "link-1"},
		LineItem{Label: "B", ScoreMaximum: 10, ResourceLinkID: "link-1"})
	ags := &AGSEndpoint{Scope: allAGSScopes, LineItems: gb.lineItemsURL()}
	anonymous := e.launch(ags, nil)
	anonymous.Subject = ""
	readOnly := e.launch(&AGSEndpoint{Scope: []string{ScopeScore, ScopeLineItemReadOnly}, LineItems: gb.lineItemsURL()}, nil)
	tests := []struct {
		name  string
		l     *Launch
		g     Grade
		check error
	}{
		{"no grade service", e.launch(nil, nil), Grade{ScoreMaximum: 1}, ErrNoGradeService},
		{"nil launch", nil, Grade{ScoreMaximum: 1}, ErrNoGradeService},
		{"anonymous launch", anonymous, Grade{ScoreMaximum: 1}, ErrInvalidServiceRequest},
		{"no maximum", e.launch(ags, nil), Grade{ScoreGiven: 1}, ErrInvalidServiceRequest},
		{"negative score", e.launch(ags, nil), Grade{ScoreGiven: -1, ScoreMaximum: 1}, ErrInvalidServiceRequest},
		{"bad progress", e.launch(ags, nil), Grade{ScoreMaximum: 1, GradingProgress: "Done"}, ErrInvalidServiceRequest},
		{"two line items for the link, none chosen", e.launch(ags, nil), Grade{ScoreGiven: 1, ScoreMaximum: 10}, ErrInvalidServiceRequest},
		{"no line item and no right to create one", readOnly, Grade{ScoreMaximum: 1, Tag: "new"}, ErrScopeNotGranted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.tool.PostGrade(context.Background(), tt.l, tt.g)
			if !errors.Is(err, tt.check) {
				t.Errorf("err %v, want %v", err, tt.check)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "tool: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}
	if _, scores, creates, _ := gb.snapshot(); len(scores) != 0 || creates != 0 {
		t.Errorf("refused grades changed the gradebook: %v, %d creates", scores, creates)
	}
}
