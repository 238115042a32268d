package ltitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The score enumerations (AGS-SC-01).
const gradingFullyGraded = "FullyGraded"

var (
	activityProgressValues = []string{"Initialized", "Started", "InProgress", "Submitted", "Completed"}
	gradingProgressValues  = []string{gradingFullyGraded, "Pending", "PendingManual", "Failed", "NotReady"}
)

// parseScore decodes and checks a posted score (AGS-SC-01, AGS-SC-04) more
// strictly than Moodle: the fields Moodle requires (userId, timestamp,
// activityProgress, gradingProgress), plus the spec's types and ranges,
// enumeration values, and scoreMaximum whenever scoreGiven is sent. It
// returns the score as far as it decoded and, when it is refused, why.
func parseScore(raw []byte) (Score, string) {
	s := Score{Raw: bytes.Clone(raw)}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return s, "the body is not a JSON object"
	}
	str := func(key string) (string, bool, string) { // value, present (non-null), problem
		v, ok := m[key]
		if !ok || string(v) == "null" {
			return "", false, ""
		}
		var out string
		if json.Unmarshal(v, &out) != nil {
			return "", true, key + " is not a string"
		}
		return out, true, ""
	}
	num := func(key string) (*float64, string) {
		v, ok := m[key]
		if !ok || string(v) == "null" {
			return nil, ""
		}
		var f float64
		if json.Unmarshal(v, &f) != nil {
			return nil, key + " is not a number"
		}
		return &f, ""
	}
	var problems []string
	note := func(p string) {
		if p != "" {
			problems = append(problems, p)
		}
	}
	var p string
	s.UserID, _, p = str("userId")
	note(p)
	s.ScoreGiven, p = num("scoreGiven")
	note(p)
	s.ScoreMaximum, p = num("scoreMaximum")
	note(p)
	s.Comment, _, p = str("comment")
	note(p)
	s.Timestamp, _, p = str("timestamp")
	note(p)
	s.ActivityProgress, _, p = str("activityProgress")
	note(p)
	s.GradingProgress, _, p = str("gradingProgress")
	note(p)
	var scorer bool
	s.ScoringUserID, scorer, p = str("scoringUserId")
	note(p)
	if v, ok := m["submission"]; ok && string(v) != "null" {
		var sub struct {
			StartedAt   *string `json:"startedAt"`
			SubmittedAt *string `json:"submittedAt"`
		}
		if json.Unmarshal(v, &sub) != nil {
			note("submission is not an object of startedAt and submittedAt strings")
		} else {
			s.Submission = &Submission{}
			if sub.StartedAt != nil {
				s.Submission.StartedAt = *sub.StartedAt
			}
			if sub.SubmittedAt != nil {
				s.Submission.SubmittedAt = *sub.SubmittedAt
			}
		}
	}
	if len(problems) > 0 {
		return s, problems[0]
	}

	if s.UserID == "" {
		return s, "userId missing"
	}
	if s.Timestamp == "" {
		return s, "timestamp missing"
	}
	t, err := time.Parse(time.RFC3339Nano, s.Timestamp)
	if err != nil {
		return s, fmt.Sprintf("timestamp %q is not ISO 8601 with a time zone (RFC 3339)", s.Timestamp)
	}
	s.Time = t
	if !slices.Contains(activityProgressValues, s.ActivityProgress) {
		return s, fmt.Sprintf("activityProgress %q, want one of %q", s.ActivityProgress, activityProgressValues)
	}
	if !slices.Contains(gradingProgressValues, s.GradingProgress) {
		return s, fmt.Sprintf("gradingProgress %q, want one of %q", s.GradingProgress, gradingProgressValues)
	}
	if s.ScoreGiven != nil && *s.ScoreGiven < 0 {
		return s, fmt.Sprintf("scoreGiven %v is negative", *s.ScoreGiven)
	}
	if s.ScoreMaximum != nil && *s.ScoreMaximum <= 0 {
		return s, fmt.Sprintf("scoreMaximum %v, want > 0", *s.ScoreMaximum)
	}
	if s.ScoreGiven != nil && s.ScoreMaximum == nil {
		return s, "scoreGiven without scoreMaximum"
	}
	if scorer && s.ScoringUserID == "" {
		return s, "scoringUserId is empty"
	}
	if sub := s.Submission; sub != nil {
		var started, submitted time.Time
		for _, f := range []struct {
			name, v string
			t       *time.Time
		}{{"startedAt", sub.StartedAt, &started}, {"submittedAt", sub.SubmittedAt, &submitted}} {
			if f.v == "" {
				continue
			}
			if *f.t, err = time.Parse(time.RFC3339Nano, f.v); err != nil {
				return s, fmt.Sprintf("submission.%s %q is not ISO 8601 with a time zone (RFC 3339)", f.name, f.v)
			}
		}
		if !started.IsZero() && !submitted.IsZero() && submitted.Before(started) {
			return s, "submission.submittedAt is before submission.startedAt"
		}
	}
	return s, ""
}
