package ltitest

import (
	"net/http"
	"strconv"
)

// agsAuthorized checks what every AGS request needs first, in the order of
// Moodle's resources: a bearer token granting one of scopes (401, also for
// a missing, unknown, expired or revoked token), and Moodle's type_id query
// naming the tool's type (AGS-URL-01: a tool that drops the query, or
// appends /scores or /results after it, gets 403 or 401). It writes the
// error and reports false when the request may not go on.
func (e *engine) agsAuthorized(w http.ResponseWriter, r *http.Request, scopes ...string) bool {
	if _, why := e.bearer(r, scopes...); why != "" {
		e.writeServiceError(w, r, http.StatusUnauthorized, e.reason("Unauthorized", why))
		return false
	}
	t, ok := r.URL.Query()["type_id"]
	switch {
	case !ok:
		e.writeServiceError(w, r, http.StatusForbidden, e.reason("Forbidden",
			"no type_id query: keep the query of the AGS URL, putting /scores or /results on the path before it (AGS-URL-01)"))
		return false
	case t[0] != e.quirks.deploymentID:
		e.writeServiceError(w, r, http.StatusUnauthorized, e.reason("Unauthorized",
			"type_id "+strconv.Quote(t[0])+" is not the tool's type "+strconv.Quote(e.quirks.deploymentID)+
				": append /scores or /results to the path, before the query (AGS-URL-01)"))
		return false
	}
	return true
}

// agsCourse returns the course the AGS URL names, or writes 404.
func (e *engine) agsCourse(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("context")
	if !e.courses.exists(id) {
		e.writeServiceError(w, r, http.StatusNotFound, "Not Found: Course "+id+" doesn't exist.")
		return "", false
	}
	return id, true
}

// agsContainerRequest checks a GET of an AGS container: agsAuthorized with
// scopes, an Accept header that allows media (400 otherwise), and the
// course (404). It returns the course, or writes the error and reports
// false.
func (e *engine) agsContainerRequest(w http.ResponseWriter, r *http.Request, media string, scopes ...string) (string, bool) {
	if !e.agsAuthorized(w, r, scopes...) {
		return "", false
	}
	if !acceptOK(r, media) {
		e.writeServiceError(w, r, http.StatusBadRequest, noHandler(r))
		return "", false
	}
	return e.agsCourse(w, r)
}

// notFoundLineItem writes Moodle's 404 for an unknown line item.
func (e *engine) notFoundLineItem(w http.ResponseWriter, r *http.Request) {
	e.writeServiceError(w, r, http.StatusNotFound, "Not Found: Grade item "+r.PathValue("item")+" doesn't exist")
}
