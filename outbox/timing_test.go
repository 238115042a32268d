package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// A 429's Retry-After is honoured to the second: not sent again before,
// sent again at once after (AGS-SC-03, RFC 9110 §10.2.3).
func TestOutbox_RetryAfterHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ltitest.Moodle())
	ob := e.open(t, outbox.Config{}, nil)
	e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 429, RetryAfter: 30 * time.Second, Times: 1})
	enqueue(t, ob, e.delivery(e.l.Subject, 7))
	flush(t, ob) // 429

	e.clock.Advance(29 * time.Second) // the backoff (1s) has passed, Retry-After has not
	flush(t, ob)
	if _, graded := e.grade(t, e.l.Subject); graded {
		t.Fatal("sent again before Retry-After")
	}
	e.clock.Advance(time.Second)
	flush(t, ob)
	if got, graded := e.grade(t, e.l.Subject); !graded || got != 7 {
		t.Fatalf("after Retry-After: grade %v (graded %v), want 7", got, graded)
	}
}

// A platform that holds the request longer than AttemptTimeout gets it
// again later; the timeout runs on the outbox's clock, not by sleeping.
func TestOutbox_SlowResponseTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ob := e.open(t, outbox.Config{AttemptTimeout: 10 * time.Second}, nil)
	entered := make(chan struct{}, 1)
	e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: holdUntilCancelled(entered)})
	enqueue(t, ob, e.delivery(e.l.Subject, 7)) // the background worker sends it
	<-entered
	e.clock.Advance(10 * time.Second) // AttemptTimeout: the attempt gives up
	flush(t, ob)
	if _, graded := e.grade(t, e.l.Subject); graded {
		t.Fatal("graded although the platform never answered")
	}
	e.clock.Advance(time.Second) // the backoff
	flush(t, ob)
	if got, graded := e.grade(t, e.l.Subject); !graded || got != 7 {
		t.Fatalf("grade %v (graded %v), want 7", got, graded)
	}
}

// A slow platform that answers within AttemptTimeout is simply waited for.
func TestOutbox_SlowResponseWaitedFor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ob := e.open(t, outbox.Config{}, nil)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: func(ctx context.Context) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
	}})
	enqueue(t, ob, e.delivery(e.l.Subject, 7))
	<-entered
	close(release)
	flush(t, ob)
	if got, graded := e.grade(t, e.l.Subject); !graded || got != 7 {
		t.Fatalf("grade %v (graded %v), want 7", got, graded)
	}
}

// Tokens expiring between two scores: the second attempt meets 401, the
// tool fetches a new token once, and the score lands in the same attempt
// (AGS-TOK-01, SEC-CC-06).
func TestOutbox_ExpiredTokenRefreshed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ltitest.Moodle())
	ob := e.open(t, outbox.Config{}, nil)
	enqueue(t, ob, e.delivery(e.l.Subject, 5))
	flush(t, ob)
	e.p.RevokeTokens()
	e.clock.Advance(time.Minute)
	enqueue(t, ob, e.delivery(e.l.Subject, 9))
	flush(t, ob)
	if got, graded := e.grade(t, e.l.Subject); !graded || got != 9 {
		t.Fatalf("grade %v (graded %v), want 9", got, graded)
	}
	if n := len(e.p.TokenRequests()); n != 2 {
		t.Errorf("%d token requests, want 2 (one, then one after the revocation)", n)
	}
}

// Two scores for one learner in the same second both reach Moodle, which
// compares timestamps to the second (quirk 9), and the later one wins
// (AGS-SC-02).
func TestOutbox_SameSecondScoresBothAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ltitest.Moodle())
	ob := e.open(t, outbox.Config{}, nil)
	enqueue(t, ob, e.delivery(e.l.Subject, 4))
	flush(t, ob)
	e.clock.Advance(300 * time.Millisecond) // same second
	enqueue(t, ob, e.delivery(e.l.Subject, 6))
	flush(t, ob)

	li := e.lineItem(t, e.l.AGS.LineItem)
	if len(li.Posts) != 2 || !li.Posts[0].Accepted() || !li.Posts[1].Accepted() {
		t.Fatalf("posts %+v, want two accepted", li.Posts)
	}
	t0, t1 := li.Posts[0].Score.Time, li.Posts[1].Score.Time
	if t1.Sub(t0) != time.Second || !t0.Equal(e.clock.Now().Truncate(time.Second)) {
		t.Errorf("timestamps %s, %s: want the clock's second, then one second later", li.Posts[0].Score.Timestamp, li.Posts[1].Score.Timestamp)
	}
	if got, _ := li.Scores[e.l.Subject].Grade(); got != 6 {
		t.Errorf("grade %v, want the later 6", got)
	}
}

// The platform already holds a newer score in the same second (another
// writer): the outbox's score meets 409, is re-stamped and wins.
func TestOutbox_ConflictWithOtherWriterRestamped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ltitest.Moodle())
	ob := e.open(t, outbox.Config{}, nil)
	grades, err := e.tool.Grades(e.l)
	if err != nil {
		t.Fatal(err)
	}
	other := e.delivery(e.l.Subject, 2).Score
	other.Timestamp = e.clock.Now().Add(500 * time.Millisecond)
	if err := grades.PostScore(context.Background(), e.l.AGS.LineItem, other); err != nil {
		t.Fatal(err)
	}
	enqueue(t, ob, e.delivery(e.l.Subject, 8))
	flush(t, ob)
	li := e.lineItem(t, e.l.AGS.LineItem)
	if got, _ := li.Scores[e.l.Subject].Grade(); got != 8 {
		t.Fatalf("grade %v, want 8; posts %+v", got, li.Posts)
	}
	if n := len(li.Posts); n != 3 || li.Posts[1].Status != 409 {
		t.Errorf("posts %+v, want the other writer's, a 409, the re-stamped score", li.Posts)
	}
}

// A 409 because the platform holds a score the tool accepted later is not
// overridden by re-stamping (AGS-SC-02, AGS-SC-05: the last score accepted
// wins): an older score retried after a newer one reached the same line
// item another way is superseded. Without the result.readonly scope the
// outbox cannot tell, and re-stamps.
func TestOutbox_ConflictWithLaterScoreSuperseded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []ltitest.Option
		newer  func(t *testing.T, e *env, ob *outbox.Outbox) // delivers 9 after the 3 was accepted
		want   float64
		scopes []string
		hiccup bool // the results cannot be read at the first 409
	}{
		{name: "same line item by URL after by resource link", want: 9, newer: func(t *testing.T, e *env, ob *outbox.Outbox) {
			enqueue(t, ob, e.delivery(e.l.Subject, 9))
			flush(t, ob)
		}},
		{name: "Moodle: same line item by URL after by resource link", opts: []ltitest.Option{ltitest.Moodle()}, want: 9,
			newer: func(t *testing.T, e *env, ob *outbox.Outbox) {
				enqueue(t, ob, e.delivery(e.l.Subject, 9))
				flush(t, ob)
			}},
		{name: "a direct PostGrade after", want: 9, newer: func(t *testing.T, e *env, _ *outbox.Outbox) {
			if err := e.tool.PostGrade(context.Background(), e.l, tool.Grade{ScoreGiven: 9, ScoreMaximum: 10, Timestamp: e.clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "results unavailable once: retried, then superseded", want: 9, hiccup: true,
			newer: func(t *testing.T, e *env, _ *outbox.Outbox) {
				if err := e.tool.PostGrade(context.Background(), e.l, tool.Grade{ScoreGiven: 9, ScoreMaximum: 10, Timestamp: e.clock.Now()}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "no result.readonly scope: re-stamped, as without the check", want: 3,
			scopes: []string{tool.ScopeLineItem, tool.ScopeScore}, newer: func(t *testing.T, e *env, _ *outbox.Outbox) {
				if err := e.tool.PostGrade(context.Background(), e.l, tool.Grade{ScoreGiven: 9, ScoreMaximum: 10, Timestamp: e.clock.Now()}); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.opts...)
			var fails failures
			ob := e.open(t, outbox.Config{Backoff: func(int) time.Duration { return time.Minute }}, &fails)
			// The older score names the line item by resource link, as Post
			// does for a launch whose claim had no lineitem yet; the first
			// attempt fails.
			older := e.delivery(e.l.Subject, 3)
			older.Endpoint.LineItem, older.ResourceLinkID = "", e.l.ResourceLink.ID
			if tc.scopes != nil {
				older.Endpoint.Scope = tc.scopes
			}
			e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 503, Times: 1})
			enqueue(t, ob, older)
			flush(t, ob)
			e.clock.Advance(2 * time.Second)
			tc.newer(t, e, ob)
			if got, _ := e.grade(t, e.l.Subject); got != 9 {
				t.Fatalf("after the newer score: %v, want 9", got)
			}
			if tc.hiccup {
				e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointResults, Status: 503, Times: 1})
			}
			e.clock.Advance(2 * time.Minute) // the older one is retried: 409
			flush(t, ob)
			if tc.hiccup {
				if got, _ := e.grade(t, e.l.Subject); got != 9 {
					t.Fatalf("after a 409 and unreadable results: %v, want 9 kept", got)
				}
				e.clock.Advance(2 * time.Minute)
				flush(t, ob)
			}
			if got, _ := e.grade(t, e.l.Subject); got != tc.want || len(fails.get()) != 0 {
				t.Errorf("final grade %v, failures %v; want %v, none", got, fails.get(), tc.want)
			}
		})
	}
}

// Scores for one learner and line item coalesce: those not sent yet are
// superseded by the newest, which goes out once; one in flight is
// followed by the newest (AGS-SC-05: the last score accepted wins).
func TestOutbox_Coalesces(t *testing.T) {
	t.Parallel()
	t.Run("pending", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, ltitest.Moodle())
		ob := e.open(t, outbox.Config{Workers: 1}, nil)
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		// Keep the only worker busy with another learner meanwhile.
		others := e.learners(1)
		e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: func(ctx context.Context) {
			entered <- struct{}{}
			<-release
		}})
		enqueue(t, ob, e.delivery(others[0], 1))
		<-entered
		for _, g := range []float64{3, 5, 9} {
			enqueue(t, ob, e.delivery(e.l.Subject, g))
		}
		close(release)
		flush(t, ob)
		var mine []ltitest.ScorePost
		for _, p := range e.lineItem(t, e.l.AGS.LineItem).Posts {
			if p.Score.UserID == e.l.Subject {
				mine = append(mine, p)
			}
		}
		if len(mine) != 1 || *mine[0].Score.ScoreGiven != 9 {
			t.Fatalf("posts for the learner: %+v, want only the last score, 9", mine)
		}
	})
	t.Run("in flight", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, ltitest.Moodle())
		ob := e.open(t, outbox.Config{}, nil)
		entered, release := make(chan struct{}, 1), make(chan struct{})
		e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: func(ctx context.Context) {
			entered <- struct{}{}
			<-release
		}})
		enqueue(t, ob, e.delivery(e.l.Subject, 3))
		<-entered
		enqueue(t, ob, e.delivery(e.l.Subject, 5))
		enqueue(t, ob, e.delivery(e.l.Subject, 9))
		close(release)
		flush(t, ob)
		li := e.lineItem(t, e.l.AGS.LineItem)
		if len(li.Posts) != 2 || *li.Posts[0].Score.ScoreGiven != 3 || *li.Posts[1].Score.ScoreGiven != 9 || !li.Posts[1].Accepted() {
			t.Fatalf("posts %+v, want 3 (in flight), then 9", li.Posts)
		}
		if got, _ := li.Scores[e.l.Subject].Grade(); got != 9 {
			t.Errorf("grade %v, want 9", got)
		}
	})
}

// Post takes the launch's grade in one call; with a tag it finds or
// creates the line item, once for any number of learners.
func TestOutbox_PostFindsOrCreatesLineItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ltitest.Moodle())
	ob := e.open(t, outbox.Config{}, nil)
	ctx := context.Background()
	if err := ob.Post(ctx, e.l, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10, Comment: "Well done"}); err != nil {
		t.Fatal(err)
	}
	if err := ob.Post(ctx, e.l, tool.Grade{ScoreGiven: 2, ScoreMaximum: 3, Tag: "bonus", ScoringUserID: "teacher-7"}); err != nil {
		t.Fatal(err)
	}
	flush(t, ob)
	if got, graded := e.grade(t, e.l.Subject); !graded || got != 8 {
		t.Errorf("launch's line item: %v (graded %v), want 8", got, graded)
	}
	var bonus []ltitest.LineItem
	for _, li := range e.p.Gradebook().LineItems {
		if li.Tag == "bonus" {
			bonus = append(bonus, li)
		}
	}
	if len(bonus) != 1 || bonus[0].ResourceLinkID != e.l.ResourceLink.ID {
		t.Fatalf("bonus line items %+v, want one for the launch's link", bonus)
	}
	if got, _ := bonus[0].Scores[e.l.Subject].Grade(); got != 2 {
		t.Errorf("bonus grade %v, want 2", got)
	}
	if s := bonus[0].Scores[e.l.Subject]; s.GradingProgress != string(tool.GradingFullyGraded) || s.ActivityProgress != string(tool.ActivityCompleted) {
		t.Errorf("progress %s/%s, want FullyGraded/Completed", s.GradingProgress, s.ActivityProgress)
	}
	if s := bonus[0].Scores[e.l.Subject]; s.ScoringUserID != "teacher-7" {
		t.Errorf("scoringUserId %q, want teacher-7", s.ScoringUserID)
	}
}
