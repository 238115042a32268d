package tool

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Result is a learner's current result for a line item, as the platform's
// gradebook holds it (AGS-RES-01).
type Result struct {
	ID      string `json:"id"`      // the result's URL
	ScoreOf string `json:"scoreOf"` // the line item's URL
	UserID  string `json:"userId"`  // the learner's LTI user id
	// ResultScore is the score; nil when the learner has none.
	ResultScore *float64 `json:"resultScore,omitempty"`
	// ResultMaximum is what ResultScore is out of; 1 when the platform
	// sends none.
	ResultMaximum float64 `json:"resultMaximum"`
	ScoringUserID string  `json:"scoringUserId,omitempty"` // the grader, if any
	Comment       string  `json:"comment,omitempty"`
	// Timestamp is when the result last changed; not part of the spec,
	// but Moodle sends it. Zero when absent.
	Timestamp time.Time `json:"timestamp,omitzero"`
}

// ResultsQuery filters [Grades.Results]. Zero fields send no filter.
type ResultsQuery struct {
	// UserID asks for this learner's result only: at most one.
	UserID string
	// Limit asks for at most this many results per page; every page is
	// read either way. 0 sends no limit, and that is the safe choice:
	// Moodle 4.5 answers a results request with a limit with an HTML 404
	// (Moodle quirk 13).
	Limit int
}

// Results reads the results of the line item at lineItemURL: a GET of its
// results URL, /results appended to the path with the query kept
// (AGS-URL-01), following the paging to the end. It needs the
// result.readonly scope.
func (g *Grades) Results(ctx context.Context, lineItemURL string, q ResultsQuery) ([]Result, error) {
	if q.Limit < 0 {
		return nil, invalidRequest("limit", "must not be negative")
	}
	u, err := subresource(lineItemURL, "results")
	if err != nil {
		return nil, err
	}
	params := url.Values{}
	setParam(params, "user_id", q.UserID)
	if q.Limit > 0 {
		params.Set("limit", strconv.Itoa(q.Limit))
	}
	if u, err = withParams(u, params); err != nil {
		return nil, err
	}
	var all []Result
	for p, err := range g.svc.pages(ctx, call{method: http.MethodGet, url: u, accept: mediaResultContainer,
		need: []string{ScopeResultReadOnly}}) {
		if err != nil {
			return nil, err
		}
		rs, err := decodeResults(p.body)
		if err != nil {
			return nil, badResponse(http.MethodGet, p.url, "result container", err)
		}
		all = append(all, rs...)
	}
	return all, nil
}

// wireResult is a result as a platform sends it.
type wireResult struct {
	ID            serviceString `json:"id"`
	ScoreOf       serviceString `json:"scoreOf"`
	UserID        serviceString `json:"userId"`
	ResultScore   serviceNumber `json:"resultScore"`
	ResultMaximum serviceNumber `json:"resultMaximum"`
	ScoringUserID serviceString `json:"scoringUserId"`
	Comment       serviceString `json:"comment"`
	Timestamp     serviceTime   `json:"timestamp"`
}

// decodeResults decodes a result container
// (application/vnd.ims.lis.v2.resultcontainer+json): an array; null is
// empty.
func decodeResults(body []byte) ([]Result, error) {
	var ws []wireResult
	if err := decodeArray(body, &ws); err != nil {
		return nil, err
	}
	out := make([]Result, len(ws))
	for i, w := range ws {
		out[i] = Result{ID: string(w.ID), ScoreOf: string(w.ScoreOf), UserID: string(w.UserID),
			ResultScore: w.ResultScore.ptr(), ResultMaximum: 1, ScoringUserID: string(w.ScoringUserID),
			Comment: string(w.Comment), Timestamp: time.Time(w.Timestamp)}
		if w.ResultMaximum.set {
			out[i].ResultMaximum = w.ResultMaximum.v
		}
	}
	return out, nil
}
