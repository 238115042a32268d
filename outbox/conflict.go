package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// resolveConflict handles a 409 to r: the platform holds a score for the
// line item and learner stamped at r's second or later (Moodle compares to
// the second). Either the tool accepted a later score that reached the
// platform another way (another record for the same line item, such as one
// found by resource link before the launch carried its URL, or a direct
// PostGrade), and r must not overwrite it; or r itself arrived before a
// lost answer or a crash, or another writer used the same second. When
// the platform's result says a later second, r is done (superseded);
// otherwise, once, r is sent again with a later stamp, so that the
// outbox's latest score wins. When the result cannot be read for a
// while (a temporary failure), the attempt fails and is retried: r is not
// re-stamped blindly over what may be a later score.
func (o *Outbox) resolveConflict(ctx context.Context, r Record, err error) (Record, error) {
	later, ok, rerr := o.platformHasLater(ctx, r)
	if rerr != nil {
		if retry, _ := retryable(rerr); retry {
			return r, classified{fmt.Errorf("outbox: after a 409, cannot read the learner's result: %w", rerr), true}
		}
		o.cfg.Logger.Warn("outbox: cannot read the result after a 409; re-stamping", "err", rerr)
	}
	if ok {
		o.cfg.Logger.Info("outbox: the platform holds a later score; this one is superseded",
			append(deliveryAttrs(r.Delivery), "platform_timestamp", later)...)
		return r, nil
	}
	again, rerr := o.restamp(r)
	if rerr != nil {
		return r, err
	}
	if err = send(ctx, o.cfg.Tool, again.Delivery); errors.Is(err, tool.ErrServiceConflict) {
		err = classified{err, false}
	}
	return again, err
}

// platformHasLater returns the timestamp of the platform's result for r's
// learner when it is in a later second than r's stamp (ok). ok is false
// when it is not, when the platform sends no timestamp, or when the AGS
// claim lacks the result.readonly scope; err when the result cannot be
// read.
func (o *Outbox) platformHasLater(ctx context.Context, r Record) (later time.Time, ok bool, err error) {
	d := r.Delivery
	if len(d.Endpoint.Scope) > 0 && !slices.Contains(d.Endpoint.Scope, tool.ScopeResultReadOnly) {
		return time.Time{}, false, nil
	}
	l := d.launch()
	lineItem, err := o.cfg.Tool.LineItemFor(ctx, l, d.grade())
	if err != nil {
		return time.Time{}, false, err
	}
	grades, err := o.cfg.Tool.Grades(l)
	if err != nil {
		return time.Time{}, false, err
	}
	results, err := grades.Results(ctx, lineItem, tool.ResultsQuery{UserID: d.Score.UserID})
	if err != nil {
		return time.Time{}, false, err
	}
	stamp := d.Score.Timestamp.Truncate(time.Second)
	for _, res := range results {
		if res.UserID == d.Score.UserID && res.Timestamp.Truncate(time.Second).After(stamp) {
			return res.Timestamp, true, nil
		}
	}
	return time.Time{}, false, nil
}

// restamp gives r, still leased by this attempt and not superseded, a
// later stamp, durably, and returns it.
func (o *Outbox) restamp(r Record) (Record, error) {
	now := o.cfg.Now()
	var out Record
	err := o.update(r.Key, func(cur *Record) (*Record, error) {
		switch {
		case cur == nil || cur.Lease != r.Lease:
			return nil, errLeaseLost
		case cur.Version != r.Version:
			return nil, errSuperseded
		}
		cur.Delivery.Score.Timestamp = nextStamp(cur.Delivery.Score.Timestamp, now)
		out = *cur
		return cur, nil
	})
	return out, err
}
