package ltitest

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// serveResults is a line item's results service (URL + "/ags/{context}/
// lineitems/{item}/lineitem/results?type_id=..."): GET the results, one per
// user whose latest score carries a grade (AGS-RES-01), filtered by user_id,
// paged with limit and from and a Link rel="next". With Moodle, limit on a
// line item that has results answers 404 with an HTML page, as Moodle 4.5
// does (its results paging is broken), and a result of 0 has no
// resultScore (Moodle tests the grade with empty()).
func (e *engine) serveResults(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		e.writeServiceError(w, r, http.StatusMethodNotAllowed, "Invalid request method specified.")
		return
	}
	contextID, ok := e.agsContainerRequest(w, r, mediaResultContainer, scopeResultReadonly)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, from, ok := e.readPaging(w, r, q)
	if !ok {
		return
	}
	id := r.PathValue("item")
	results, found := e.gradebook.results(contextID, id, q.Get("user_id"))
	if !found {
		e.notFoundLineItem(w, r)
		return
	}
	if e.quirks.moodleServices && q.Has("limit") {
		if all, _ := e.gradebook.results(contextID, id, ""); len(all) > 0 {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "private, pre-check=0, post-check=0, max-age=0, no-transform")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<!DOCTYPE html>\n<title>Error</title>\n<p>ltitest: Moodle 4.5 fails on results?limit=N; read results without limit.</p>\n"))
			return
		}
	}
	start, end, more := page(len(results), limit, from)
	lineItem := e.lineItemURL(contextID, id)
	base := e.lineItemsURL(contextID) + "/" + url.PathEscape(id) + "/lineitem/results" + e.typeQuery()
	if more {
		next := base + "&limit=" + strconv.Itoa(limit) + "&from=" + strconv.Itoa(end)
		if u := q.Get("user_id"); u != "" {
			next += "&user_id=" + url.QueryEscape(u)
		}
		setLinks(w, r, []pageLink{{next, "next"}}, false)
	}
	out := make([]any, 0, end-start)
	for _, res := range results[start:end] {
		out = append(out, e.resultJSON(res, base+"&user_id="+url.QueryEscape(res.score.UserID), lineItem))
	}
	e.writeServiceJSON(w, r, http.StatusOK, mediaResultContainer, out)
}

// resultJSON renders a result (AGS-RES-01): resultScore on the line item's
// scale, resultMaximum the line item's maximum, the timestamp of the score.
func (e *engine) resultJSON(res result, id, scoreOf string) any {
	score, _ := res.scaled()
	s := res.score
	if e.quirks.moodleServices {
		type moodleResult struct {
			ID            string   `json:"id"`
			UserID        string   `json:"userId"`
			ResultScore   *float64 `json:"resultScore,omitempty"`
			ResultMaximum *float64 `json:"resultMaximum,omitempty"`
			Comment       string   `json:"comment,omitempty"`
			ScoreOf       string   `json:"scoreOf,omitempty"`
			Timestamp     string   `json:"timestamp,omitempty"`
		}
		mr := moodleResult{ID: id, UserID: s.UserID}
		if score != 0 { // Moodle: if (!empty($grade->finalgrade))
			mr.ResultScore, mr.ResultMaximum = &score, &res.maximum
			mr.Comment, mr.ScoreOf = s.Comment, scoreOf
			mr.Timestamp = s.Time.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05-07:00")
		}
		return mr
	}
	m := map[string]any{"id": id, "scoreOf": scoreOf, "userId": s.UserID,
		"resultScore": score, "resultMaximum": res.maximum, "timestamp": s.Timestamp}
	setNonEmpty(m, "comment", s.Comment)
	setNonEmpty(m, "scoringUserId", s.ScoringUserID)
	return m
}
