package ltitest

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/ltikit/ltikit/tool"
)

// serveScores is a line item's scores service (URL + "/ags/{context}/
// lineitems/{item}/lineitem/scores?type_id=..."): POST a score with the
// exact media type application/vnd.ims.lis.v1.score+json. The gradebook
// applies Moodle's rules (see gradebook.postScore); an accepted score gets
// 200 with an empty body, as from Moodle. With Moodle a refused score gets
// 400 or 409 with the body "[]", as Moodle answers; otherwise a JSON error
// saying why.
func (e *engine) serveScores(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		e.writeServiceError(w, r, http.StatusMethodNotAllowed, e.reason("GET requests are not allowed.", "scores accept POST only"))
		return
	}
	if !e.agsAuthorized(w, r, scopeScore) {
		return
	}
	if !contentTypeOK(r, mediaScore) {
		e.writeServiceError(w, r, http.StatusBadRequest, noHandler(r))
		return
	}
	contextID, ok := e.agsCourse(w, r)
	if !ok {
		return
	}
	raw, ok := e.readServiceBody(w, r)
	if !ok {
		return
	}
	v, found := e.gradebook.postScore(contextID, r.PathValue("item"), raw, e.clock(), func(userID string) string {
		return e.gradable(contextID, userID)
	})
	if !found {
		e.notFoundLineItem(w, r)
		return
	}
	if e.quirks.moodleServices {
		w.Header().Set("Content-Type", mediaScore+"; charset=utf-8")
		w.WriteHeader(v.status)
		if v.status != http.StatusOK {
			_, _ = w.Write([]byte("[]"))
		}
		return
	}
	if v.status != http.StatusOK {
		e.writeServiceError(w, r, v.status, v.rule+": "+v.reason)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// gradable says why userID cannot get a score in the course contextID, or
// "" when they can: they must be a member (with Moodle, a learner: Moodle
// grades only the gradebook roles).
func (e *engine) gradable(contextID, userID string) string {
	m, ok := e.courses.member(contextID, userID)
	if !ok {
		return "userId " + strconv.Quote(userID) + " is not a member of the course"
	}
	if e.quirks.moodleServices && !slices.ContainsFunc(m.Roles, func(r tool.Role) bool { return tool.ParseRole(string(r)) == tool.RoleLearner }) {
		return "userId " + strconv.Quote(userID) + " is not a learner of the course, whom Moodle grades"
	}
	return ""
}
