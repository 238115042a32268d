package tool

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Grade is a learner's grade for the activity they launched, for
// [Tool.PostGrade].
type Grade struct {
	// ScoreGiven out of ScoreMaximum is the grade; ScoreMaximum must be
	// positive. ScoreGiven may be 0, or above ScoreMaximum for extra credit.
	ScoreGiven, ScoreMaximum float64
	// Comment is plain text for the learner.
	Comment string
	// ResourceID and Tag pick the line item (gradebook column) by its
	// resourceId and tag, creating it for the launch's resource link when
	// there is none. Leave both empty to use the launch's own line item.
	ResourceID, Tag string
	// Label names a line item PostGrade creates. Default: the resource
	// link's title, else ResourceID, else Tag, else "Grade".
	Label string
	// ActivityProgress defaults to ActivityCompleted and GradingProgress to
	// GradingFullyGraded: Moodle ignores a score that is not FullyGraded.
	ActivityProgress ActivityProgress
	GradingProgress  GradingProgress
	// Timestamp defaults to the tool's clock (Config.Now).
	Timestamp time.Time
	// Submission is sent as the score's submission times when set.
	Submission *Submission
	// ScoringUserID is the LTI user id of the person who graded, when not
	// the tool itself (a teacher grading in the tool).
	ScoringUserID string
}

// PostGrade posts the grade of l's learner for l's activity in one call.
// The line item is the launch's own (the AGS claim's lineitem) unless
// g.ResourceID or g.Tag is set; then, or when the launch has none, it is
// found among the context's line items (for the launch's resource link,
// by resourceId and tag) or created. A found or created line item is
// remembered by the Tool, and looked up again if the platform no longer
// knows it (404). Concurrent calls for the same line item create it once.
//
// Moodle compares score timestamps at one-second precision: a second grade
// for the same learner and line item within one second fails with
// [ErrServiceConflict].
//
// It fails with [ErrNoGradeService] when the launch has no grade service,
// [ErrInvalidServiceRequest] for an anonymous launch or a bad grade, and
// otherwise like [Grades.PostScore].
func (t *Tool) PostGrade(ctx context.Context, l *Launch, g Grade) error {
	grades, err := t.Grades(l)
	if err != nil {
		return err
	}
	s := Score{UserID: l.Subject, ScoreGiven: g.ScoreGiven, ScoreMaximum: g.ScoreMaximum, Comment: g.Comment,
		Timestamp: g.Timestamp, ActivityProgress: g.ActivityProgress, GradingProgress: g.GradingProgress,
		Submission: g.Submission, ScoringUserID: g.ScoringUserID}
	if s.ActivityProgress == "" {
		s.ActivityProgress = ActivityCompleted
	}
	if s.GradingProgress == "" {
		s.GradingProgress = GradingFullyGraded
	}
	if s.Timestamp.IsZero() {
		s.Timestamp = t.cfg.Now()
	}
	if !(g.ScoreMaximum > 0) {
		return invalidRequest("scoreMaximum", "a grade needs a positive ScoreMaximum")
	}
	if err := s.Validate(); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		u, err := t.lineItemFor(ctx, grades, l, g)
		if err != nil {
			return err
		}
		err = grades.PostScore(ctx, u, s)
		if attempt > 0 || !errors.Is(err, ErrServiceNotFound) || usesClaimLineItem(l, g) {
			return err
		}
		t.svc.lineItems.forget(lineItemKey(l, g), u) // deleted on the platform since
	}
}

// LineItemFor returns the URL of the line item [Tool.PostGrade] posts g to
// for l: the launch's own, or the one found or created by g.ResourceID and
// g.Tag (remembered, as PostGrade remembers it). It fails like PostGrade.
func (t *Tool) LineItemFor(ctx context.Context, l *Launch, g Grade) (string, error) {
	grades, err := t.Grades(l)
	if err != nil {
		return "", err
	}
	return t.lineItemFor(ctx, grades, l, g)
}

// lineItemFor is LineItemFor with the launch's grade client.
func (t *Tool) lineItemFor(ctx context.Context, grades *Grades, l *Launch, g Grade) (string, error) {
	if usesClaimLineItem(l, g) {
		return l.AGS.LineItem, nil
	}
	if g.ResourceID == "" && g.Tag == "" && (l.ResourceLink == nil || l.ResourceLink.ID == "") {
		return "", invalidRequest("lineItem", "the launch has neither a line item nor a resource link; set Grade.ResourceID or Grade.Tag")
	}
	return t.svc.lineItems.resolve(ctx, lineItemKey(l, g), func(ctx context.Context) (string, error) {
		return findOrCreateLineItem(ctx, grades, l, g)
	})
}

// usesClaimLineItem reports whether g goes to the launch's own line item
// (the AGS claim's lineitem).
func usesClaimLineItem(l *Launch, g Grade) bool {
	return g.ResourceID == "" && g.Tag == "" && l.AGS.LineItem != ""
}

// findOrCreateLineItem returns the URL of the line item g selects for l.
func findOrCreateLineItem(ctx context.Context, grades *Grades, l *Launch, g Grade) (string, error) {
	var linkID, title string
	if l.ResourceLink != nil {
		linkID, title = l.ResourceLink.ID, l.ResourceLink.Title
	}
	items, err := grades.LineItems(ctx, LineItemsQuery{ResourceLinkID: linkID, ResourceID: g.ResourceID, Tag: g.Tag})
	if err != nil {
		return "", err
	}
	var found []LineItem
	for _, li := range items { // in case the platform ignored a filter
		if (linkID == "" || li.ResourceLinkID == linkID) && (g.ResourceID == "" || li.ResourceID == g.ResourceID) &&
			(g.Tag == "" || li.Tag == g.Tag) && li.ID != "" {
			found = append(found, li)
		}
	}
	switch {
	case len(found) == 1 || len(found) > 1 && (g.ResourceID != "" || g.Tag != ""):
		return found[0].ID, nil
	case len(found) > 1:
		return "", invalidRequest("lineItem", "the resource link has %d line items; set Grade.ResourceID or Grade.Tag", len(found))
	}
	label := g.Label
	for _, s := range []string{title, g.ResourceID, g.Tag, "Grade"} {
		if strings.TrimSpace(label) == "" {
			label = s
		}
	}
	created, err := grades.CreateLineItem(ctx, LineItem{Label: label, ScoreMaximum: g.ScoreMaximum,
		ResourceID: g.ResourceID, Tag: g.Tag, ResourceLinkID: linkID})
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

// lineItemKey names the line item g selects for l in a lineItemCache.
func lineItemKey(l *Launch, g Grade) string {
	var linkID string
	if l.ResourceLink != nil {
		linkID = l.ResourceLink.ID
	}
	return strings.Join([]string{l.Issuer, l.ClientID, l.DeploymentID, l.AGS.LineItems, linkID, g.ResourceID, g.Tag}, "\x00")
}

// lineItemCache remembers the line item URLs PostGrade found or created,
// and makes concurrent lookups of one key share a single find-or-create.
// The zero value is ready; it is safe for concurrent use.
type lineItemCache struct {
	mu     sync.Mutex
	urls   map[string]string
	flight singleflight.Group
}

const (
	// maxLineItemCache bounds the cache; it starts afresh when full.
	maxLineItemCache = 10000
	// findLineItemTimeout bounds one shared find-or-create.
	findLineItemTimeout = time.Minute
)

// resolve returns the URL cached under key, or the one find returns.
func (c *lineItemCache) resolve(ctx context.Context, key string, find func(context.Context) (string, error)) (string, error) {
	c.mu.Lock()
	u, ok := c.urls[key]
	c.mu.Unlock()
	if ok {
		return u, nil
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), findLineItemTimeout)
		defer cancel()
		u, err := find(fctx)
		if err != nil {
			return "", err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.urls == nil || len(c.urls) >= maxLineItemCache {
			c.urls = make(map[string]string)
		}
		c.urls[key] = u
		return u, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", &Error{Code: CodeServiceUnavailable, Detail: "gave up waiting for the line item", Err: ctx.Err()}
	}
}

// forget drops key if it still maps to u.
func (c *lineItemCache) forget(key, u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.urls[key] == u {
		delete(c.urls, key)
	}
}
