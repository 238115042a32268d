package tool

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"time"
)

// ActivityProgress is a score's activityProgress: the learner's progress
// with the activity (AGS-SC-01).
type ActivityProgress string

// The activityProgress values.
const (
	ActivityInitialized ActivityProgress = "Initialized"
	ActivityStarted     ActivityProgress = "Started"
	ActivityInProgress  ActivityProgress = "InProgress"
	ActivitySubmitted   ActivityProgress = "Submitted"
	ActivityCompleted   ActivityProgress = "Completed"
)

// GradingProgress is a score's gradingProgress: how far grading went
// (AGS-SC-01). Platforms may ignore a score that is not
// GradingFullyGraded; Moodle does.
type GradingProgress string

// The gradingProgress values.
const (
	GradingFullyGraded   GradingProgress = "FullyGraded"
	GradingPending       GradingProgress = "Pending"
	GradingPendingManual GradingProgress = "PendingManual"
	GradingFailed        GradingProgress = "Failed"
	GradingNotReady      GradingProgress = "NotReady"
)

// Score is one score publication (application/vnd.ims.lis.v1.score+json,
// AGS-SC-01): the learner's latest state for a line item. The platform
// keeps the score with the newest Timestamp.
//
// A Score has a grade when ScoreMaximum is positive: then ScoreGiven (which
// may be 0, or exceed ScoreMaximum for extra credit) and ScoreMaximum are
// both sent. With ScoreMaximum 0 neither is sent, which reports progress
// only, or clears a grade sent earlier (AGS-SC-05). Send the current
// Comment with every score: a score without one clears it.
//
// Its JSON form is the AGS wire format, so a Score can be stored and read
// back with encoding/json.
type Score struct {
	// UserID is the learner's LTI user id: the launch's Subject. Required.
	UserID string
	// ScoreGiven is the score, >= 0; sent only with a positive ScoreMaximum.
	ScoreGiven float64
	// ScoreMaximum is what ScoreGiven is out of; 0 means no grade.
	ScoreMaximum float64
	// Comment is plain text for the learner; "" clears an earlier comment.
	Comment string
	// Timestamp is when the score was set, sent in UTC with milliseconds.
	// It must increase strictly for each (line item, user); Moodle compares
	// whole seconds and answers 409 otherwise (AGS-SC-02). Zero means the
	// tool's clock (Config.Now) when the score is posted.
	Timestamp time.Time
	// ActivityProgress and GradingProgress are required.
	ActivityProgress ActivityProgress
	GradingProgress  GradingProgress
	// ScoringUserID is the LTI user id of the grader, if not the tool.
	ScoringUserID string
	// Submission holds when the learner started and submitted
	// (AGS-SC-04); nil leaves it out.
	Submission *Submission
}

// Submission is a score's submission times (AGS-SC-04). Zero times are
// left out; SubmittedAt must not be before StartedAt.
type Submission struct {
	StartedAt   time.Time
	SubmittedAt time.Time
}

// scoreTimeLayout is RFC 3339 with exactly three fractional digits.
const scoreTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// wireScore is a Score in the AGS format.
type wireScore struct {
	UserID           string           `json:"userId"`
	ScoreGiven       *float64         `json:"scoreGiven,omitempty"`
	ScoreMaximum     *float64         `json:"scoreMaximum,omitempty"`
	Comment          string           `json:"comment,omitempty"`
	Timestamp        string           `json:"timestamp,omitempty"`
	ActivityProgress ActivityProgress `json:"activityProgress"`
	GradingProgress  GradingProgress  `json:"gradingProgress"`
	ScoringUserID    string           `json:"scoringUserId,omitempty"`
	Submission       *wireSubmission  `json:"submission,omitempty"`
}

type wireSubmission struct {
	StartedAt   string `json:"startedAt,omitempty"`
	SubmittedAt string `json:"submittedAt,omitempty"`
}

// formatScoreTime formats t for the wire; the zero time is "".
func formatScoreTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(scoreTimeLayout)
}

// MarshalJSON encodes s in the AGS score format. It does not validate.
func (s Score) MarshalJSON() ([]byte, error) {
	w := wireScore{UserID: s.UserID, Comment: s.Comment, Timestamp: formatScoreTime(s.Timestamp),
		ActivityProgress: s.ActivityProgress, GradingProgress: s.GradingProgress, ScoringUserID: s.ScoringUserID}
	if s.ScoreMaximum > 0 {
		w.ScoreGiven, w.ScoreMaximum = &s.ScoreGiven, &s.ScoreMaximum
	}
	if sub := s.Submission; sub != nil && (!sub.StartedAt.IsZero() || !sub.SubmittedAt.IsZero()) {
		w.Submission = &wireSubmission{StartedAt: formatScoreTime(sub.StartedAt), SubmittedAt: formatScoreTime(sub.SubmittedAt)}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a score in the AGS format. A scoreGiven without a
// scoreMaximum gets scoreMaximum 1, the spec's default.
func (s *Score) UnmarshalJSON(b []byte) error {
	var w struct {
		UserID           serviceString    `json:"userId"`
		ScoreGiven       serviceNumber    `json:"scoreGiven"`
		ScoreMaximum     serviceNumber    `json:"scoreMaximum"`
		Comment          serviceString    `json:"comment"`
		Timestamp        serviceTime      `json:"timestamp"`
		ActivityProgress ActivityProgress `json:"activityProgress"`
		GradingProgress  GradingProgress  `json:"gradingProgress"`
		ScoringUserID    serviceString    `json:"scoringUserId"`
		Submission       *struct {
			StartedAt   serviceTime `json:"startedAt"`
			SubmittedAt serviceTime `json:"submittedAt"`
		} `json:"submission"`
	}
	if !isJSONObject(b) {
		return &claimShapeError{"a score object"}
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Score{UserID: string(w.UserID), Comment: string(w.Comment), Timestamp: time.Time(w.Timestamp),
		ActivityProgress: w.ActivityProgress, GradingProgress: w.GradingProgress, ScoringUserID: string(w.ScoringUserID)}
	if w.ScoreGiven.set {
		s.ScoreGiven, s.ScoreMaximum = w.ScoreGiven.v, 1
		if w.ScoreMaximum.set {
			s.ScoreMaximum = w.ScoreMaximum.v
		}
	}
	if w.Submission != nil {
		s.Submission = &Submission{StartedAt: time.Time(w.Submission.StartedAt), SubmittedAt: time.Time(w.Submission.SubmittedAt)}
	}
	return nil
}

// Validate reports the first problem that makes s unfit to post (AGS-SC-01,
// AGS-SC-04), as an [*Error] with [CodeInvalidServiceRequest]. A zero
// Timestamp is valid: PostScore fills it in.
func (s Score) Validate() error {
	switch {
	case s.UserID == "":
		return invalidRequest("userId", "a score needs the learner's user id")
	case !validActivity(s.ActivityProgress):
		return invalidRequest("activityProgress", "%q is not an activityProgress value", s.ActivityProgress)
	case !validGrading(s.GradingProgress):
		return invalidRequest("gradingProgress", "%q is not a gradingProgress value", s.GradingProgress)
	case math.IsNaN(s.ScoreMaximum) || math.IsInf(s.ScoreMaximum, 0) || s.ScoreMaximum < 0:
		return invalidRequest("scoreMaximum", "must be a positive number, or 0 for no grade")
	case math.IsNaN(s.ScoreGiven) || math.IsInf(s.ScoreGiven, 0) || s.ScoreGiven < 0:
		return invalidRequest("scoreGiven", "must be a number >= 0")
	case s.ScoreMaximum == 0 && s.ScoreGiven != 0:
		return invalidRequest("scoreMaximum", "a scoreGiven needs a positive scoreMaximum")
	case s.Submission != nil && !s.Submission.StartedAt.IsZero() && !s.Submission.SubmittedAt.IsZero() &&
		s.Submission.SubmittedAt.Before(s.Submission.StartedAt):
		return invalidRequest("submission", "submittedAt is before startedAt")
	}
	return nil
}

func validActivity(a ActivityProgress) bool {
	switch a {
	case ActivityInitialized, ActivityStarted, ActivityInProgress, ActivitySubmitted, ActivityCompleted:
		return true
	}
	return false
}

func validGrading(g GradingProgress) bool {
	switch g {
	case GradingFullyGraded, GradingPending, GradingPendingManual, GradingFailed, GradingNotReady:
		return true
	}
	return false
}

// PostScore publishes s to the line item at lineItemURL: a POST to its
// scores URL, /scores appended to the path with the query kept
// (AGS-URL-01). A zero Timestamp becomes the tool's clock. It needs the
// score scope. Any 2xx is success (AGS-SC-03).
//
// On failure the *Error's code tells what to do: [ErrServiceConflict] (409)
// means the platform has a score at least as new — send it again with a
// later Timestamp; [ErrServiceBadRequest], [ErrServiceForbidden] and
// [ErrServiceNotFound] are permanent; for the rest, a [*ServiceError]
// whose Temporary method reports true (network error, timeout, 429 with its
// RetryAfter, 5xx) is worth retrying later with the same score.
func (g *Grades) PostScore(ctx context.Context, lineItemURL string, s Score) error {
	if s.Timestamp.IsZero() {
		s.Timestamp = g.svc.t.cfg.Now()
	}
	if err := s.Validate(); err != nil {
		return err
	}
	u, err := subresource(lineItemURL, "scores")
	if err != nil {
		return err
	}
	body, err := json.Marshal(s)
	if err != nil {
		return invalidRequest("score", "%v", err)
	}
	_, _, err = g.svc.do(ctx, call{method: http.MethodPost, url: u, contentType: mediaScore, body: body,
		need: []string{ScopeScore}})
	return err
}
