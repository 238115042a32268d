package ltitest

import (
	"encoding/json"
	"slices"
	"time"
)

// Gradebook is a snapshot of the platform's gradebook: every line item of
// every course, with the scores the tools posted. Get one with
// [Platform.Gradebook]; it shares no memory with the platform.
type Gradebook struct {
	// LineItems are the line items in the order they were created: those
	// the platform made for its resource links (one per link, when the
	// link is first launched with AGS) and those the tool created.
	LineItems []LineItem
}

// LineItem is one gradebook column and the scores posted to it.
type LineItem struct {
	// ID is the line item's URL, as the tool sees it (with ?type_id=).
	ID string
	// ContextID is the course the line item belongs to.
	ContextID string
	// Label, ScoreMaximum, ResourceID, Tag, ResourceLinkID, StartDateTime,
	// EndDateTime and GradesReleased are the line item's fields as the
	// platform holds them (the dates as sent, RFC 3339).
	Label          string
	ScoreMaximum   float64
	ResourceID     string
	Tag            string
	ResourceLinkID string
	StartDateTime  string
	EndDateTime    string
	GradesReleased *bool

	// Scores are the latest accepted score of each user, by user id: what
	// the gradebook holds (see [Score.Grade]).
	Scores map[string]Score
	// Posts is every score posted to the line item, accepted or rejected,
	// oldest first. Requests refused before the line item was found (an
	// unknown token, a wrong type_id...) or answered by a [Fault] are not
	// here.
	Posts []ScorePost
}

// Score is a score as a tool posted it (AGS-SC-01), fields as sent.
type Score struct {
	UserID string
	// ScoreGiven and ScoreMaximum are nil when absent or null.
	ScoreGiven   *float64
	ScoreMaximum *float64
	Comment      string
	// Timestamp is the timestamp as sent; Time is it parsed (zero when it
	// does not parse).
	Timestamp        string
	Time             time.Time
	ActivityProgress string
	GradingProgress  string
	ScoringUserID    string
	Submission       *Submission
	// Raw is the request body exactly as posted.
	Raw json.RawMessage
}

// Submission is the submission member of a score (AGS-SC-04).
type Submission struct {
	StartedAt   string
	SubmittedAt string
}

// Grade returns the grade the score gives, as Moodle applies it: ScoreGiven
// when GradingProgress is FullyGraded, and nothing otherwise (Moodle
// ignores scoreGiven unless the score is fully graded, and such a score
// clears the grade).
func (s Score) Grade() (float64, bool) {
	if s.GradingProgress != gradingFullyGraded || s.ScoreGiven == nil {
		return 0, false
	}
	return *s.ScoreGiven, true
}

// ScorePost is one score post to a line item and the platform's answer.
type ScorePost struct {
	// Time is the platform clock's time of the post.
	Time time.Time
	// Score is the posted score, as far as it decoded.
	Score Score
	// Status is the answer: 200 when the score was accepted, 400 or 409
	// when it was not.
	Status int
	// Rule is the requirement a rejected score broke, such as "AGS-SC-02"
	// for a timestamp not later than the last one; Reason says what was
	// wrong. Both are empty for an accepted score.
	Rule   string
	Reason string
}

// Accepted reports whether the platform accepted the score.
func (sp ScorePost) Accepted() bool { return sp.Status == 200 }

// Gradebook returns a snapshot of the gradebook.
func (p *Platform) Gradebook() Gradebook { return p.e.gradebook.snapshot(p.e) }

// LineItemFor returns the first line item bound to the resource link
// resourceLinkID, such as the one the platform made for a launched link.
func (g Gradebook) LineItemFor(resourceLinkID string) (LineItem, bool) {
	i := slices.IndexFunc(g.LineItems, func(li LineItem) bool { return li.ResourceLinkID == resourceLinkID })
	if i < 0 {
		return LineItem{}, false
	}
	return g.LineItems[i], true
}

// snapshot copies the gradebook.
func (g *gradebook) snapshot(e *engine) Gradebook {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out Gradebook
	for _, id := range g.order {
		li := g.items[id]
		scores := make(map[string]Score, len(li.latest))
		for u, s := range li.latest {
			scores[u] = s.clone()
		}
		posts := slices.Clone(li.posts)
		for i := range posts {
			posts[i].Score = posts[i].Score.clone()
		}
		out.LineItems = append(out.LineItems, LineItem{
			ID: e.lineItemURL(li.contextID, li.id), ContextID: li.contextID,
			Label: li.label, ScoreMaximum: li.scoreMaximum, ResourceID: li.resourceID, Tag: li.tag,
			ResourceLinkID: li.resourceLinkID, StartDateTime: li.startDateTime, EndDateTime: li.endDateTime,
			GradesReleased: clonePtr(li.gradesReleased), Scores: scores, Posts: posts,
		})
	}
	return out
}

func (s Score) clone() Score {
	s.ScoreGiven = clonePtr(s.ScoreGiven)
	s.ScoreMaximum = clonePtr(s.ScoreMaximum)
	if s.Submission != nil {
		sub := *s.Submission
		s.Submission = &sub
	}
	s.Raw = slices.Clone(s.Raw)
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
