package outbox

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// nextStamp is the timestamp of a score accepted at now, after one
// stamped last (zero: none). Moodle refuses a score whose timestamp is not
// later than the last one's at one-second precision (409), even within the
// same second (AGS-SC-02); so stamps are whole seconds, now's second, or
// one second after last's when that is later. Later scores always win,
// even across clock steps backwards; a burst of scores for one learner may
// run a few seconds ahead of the clock.
func nextStamp(last, now time.Time) time.Time {
	s := now.UTC().Truncate(time.Second)
	if after := last.UTC().Truncate(time.Second).Add(time.Second); !last.IsZero() && s.Before(after) {
		s = after
	}
	return s
}

// Post accepts the grade of l's learner for l's activity, as
// [tool.Tool.PostGrade] would post it (the launch's line item, or the one
// g.ResourceID and g.Tag pick, found or created; Completed and FullyGraded
// unless g says otherwise), and returns once it is stored; the outbox
// delivers it in the background. The launch is not needed afterwards: the
// score goes out after the learner's session ended, and after a restart.
// g.Timestamp is replaced as Enqueue says.
//
// It fails, storing nothing, with tool.ErrNoGradeService when the launch
// has no grade service, tool.ErrInvalidServiceRequest for an anonymous
// launch or a bad grade, ErrClosed after Close, or the store's error.
func (o *Outbox) Post(ctx context.Context, l *tool.Launch, g tool.Grade) error {
	if l == nil || l.AGS == nil {
		return &tool.Error{Code: tool.CodeNoGradeService, Detail: "the launch has no Assignment and Grade Services claim"}
	}
	if !(g.ScoreMaximum > 0) {
		return invalid("scoreMaximum", "a grade needs a positive ScoreMaximum")
	}
	d := Delivery{Issuer: l.Issuer, ClientID: l.ClientID, DeploymentID: l.DeploymentID, Endpoint: *l.AGS,
		ResourceID: g.ResourceID, Tag: g.Tag, Label: g.Label,
		Score: tool.Score{UserID: l.Subject, ScoreGiven: g.ScoreGiven, ScoreMaximum: g.ScoreMaximum, Comment: g.Comment,
			ActivityProgress: cmp.Or(g.ActivityProgress, tool.ActivityCompleted),
			GradingProgress:  cmp.Or(g.GradingProgress, tool.GradingFullyGraded),
			Submission:       g.Submission, ScoringUserID: g.ScoringUserID}}
	if rl := l.ResourceLink; rl != nil {
		d.ResourceLinkID, d.Label = rl.ID, cmp.Or(d.Label, rl.Title)
	}
	return o.Enqueue(ctx, d)
}

// Enqueue checks d and stores it, then returns; the outbox delivers it in
// the background. It is the lower level of [Outbox.Post], for scores
// computed away from a launch (a background grader, a batch import).
//
// The score is stamped: Score.Timestamp becomes the time the outbox
// accepted it, to the second, and at least one second after the previous
// score for the same line item and learner, so that every platform, Moodle
// included, applies scores in the order the outbox accepted them. A score
// not sent yet for the same line item and learner is superseded and never
// sent; one being sent is followed by this one. The last score accepted is
// the one the gradebook keeps.
//
// It fails, storing nothing, with an *tool.Error when d cannot be
// delivered as it is (tool.ErrInvalidServiceRequest,
// tool.ErrNoGradeService), ErrClosed after Close, or the store's error.
func (o *Outbox) Enqueue(ctx context.Context, d Delivery) error {
	if err := d.check(); err != nil {
		return err
	}
	end, err := o.begin()
	if err != nil {
		return err
	}
	defer end()
	d.Endpoint.Scope = slices.Clone(d.Endpoint.Scope)
	key, now := d.key(), o.cfg.Now()
	err = o.store.Update(ctx, key, func(cur *Record) (*Record, error) {
		r := &Record{Key: key, Version: 1, State: StatePending, Delivery: d, Accepted: now, NextAttempt: now}
		var last time.Time
		if cur != nil {
			r.Version = cur.Version + 1
			last = cur.Delivery.Score.Timestamp
			// A score being sent keeps its lease: this one goes after it.
			r.Lease, r.LeaseUntil = cur.Lease, cur.LeaseUntil
		}
		r.Delivery.Score.Timestamp = nextStamp(last, now)
		return r, nil
	})
	if err != nil {
		return err
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}
