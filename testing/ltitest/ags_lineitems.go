package ltitest

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// serveLineItems is the line items container of a course (URL +
// "/ags/{context}/lineitems?type_id=..."): GET lists the course's line
// items (filters resource_link_id, resource_id and tag; paging with limit
// and from and a Link rel="next"), POST creates one (AGS-LI-02).
func (e *engine) serveLineItems(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		e.listLineItems(w, r)
	case http.MethodPost:
		e.createLineItem(w, r)
	default:
		e.writeServiceError(w, r, http.StatusMethodNotAllowed, "Invalid request method specified.")
	}
}

func (e *engine) listLineItems(w http.ResponseWriter, r *http.Request) {
	contextID, ok := e.agsContainerRequest(w, r, mediaLineItemContainer, scopeLineItem, scopeLineItemReadonly)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, from, ok := e.readPaging(w, r, q)
	if !ok {
		return
	}
	var f lineItemFilter
	var filters []string // name=value, for the paging links
	for _, p := range []struct {
		names []string
		v     **string
	}{{[]string{"resource_link_id", "lti_link_id"}, &f.resourceLinkID}, {[]string{"resource_id"}, &f.resourceID}, {[]string{"tag"}, &f.tag}} {
		for _, name := range p.names {
			if q.Has(name) {
				v := q.Get(name)
				*p.v = &v
				filters = append(filters, url.QueryEscape(name)+"="+url.QueryEscape(v))
				break
			}
		}
	}
	items := e.gradebook.list(contextID, f)
	start, end, more := page(len(items), limit, from)
	if limit > 0 {
		setLinks(w, r, e.lineItemsLinks(contextID, filters, len(items), limit, from, more), e.quirks.moodleServices)
	}
	out := make([]any, 0, end-start)
	for _, li := range items[start:end] {
		out = append(out, e.lineItemJSON(li))
	}
	e.writeServiceJSON(w, r, http.StatusOK, mediaLineItemContainer, out)
}

// lineItemsLinks are the paging links of the container. With Moodle: its
// first, prev, canonical, next and last links, last computed as Moodle does
// (total - limit + 1).
func (e *engine) lineItemsLinks(contextID string, filters []string, total, limit, from int, more bool) []pageLink {
	at := func(from int) string {
		parts := append([]string{"limit=" + strconv.Itoa(limit), "from=" + strconv.Itoa(from)}, filters...)
		return e.lineItemsURL(contextID) + e.typeQuery() + "&" + strings.Join(parts, "&")
	}
	if !e.quirks.moodleServices {
		links := []pageLink{{at(0), "first"}}
		if more {
			links = append(links, pageLink{at(from + limit), "next"})
		}
		return links
	}
	inRange := from < total
	links := []pageLink{{at(0), "first"}}
	if from > 0 && inRange {
		links = append(links, pageLink{at(max(from-limit, 0)), "prev"})
	}
	links = append(links, pageLink{at(from), "canonical"})
	if from+limit <= total-1 && inRange {
		links = append(links, pageLink{at(from + limit), "next"})
	}
	return append(links, pageLink{at(max(total-limit+1, 0)), "last"})
}

func (e *engine) createLineItem(w http.ResponseWriter, r *http.Request) {
	if !e.agsAuthorized(w, r, scopeLineItem) {
		return
	}
	if !contentTypeOK(r, mediaLineItem) || !acceptOK(r, mediaLineItem) {
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
	def, status, why := e.parseLineItem(raw, contextID, nil)
	if status != 0 {
		e.writeServiceError(w, r, status, why)
		return
	}
	def.id = e.gradebook.create(contextID, def)
	def.contextID = contextID
	e.writeLineItem(w, r, http.StatusCreated, raw, def)
}

// serveLineItem is one line item (URL + "/ags/{context}/lineitems/{item}/
// lineitem?type_id=..."): GET, PUT (replaces it, AGS-LI-03) and DELETE.
func (e *engine) serveLineItem(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		if !e.agsAuthorized(w, r, scopeLineItem, scopeLineItemReadonly) {
			return
		}
		if !acceptOK(r, mediaLineItem) {
			e.writeServiceError(w, r, http.StatusBadRequest, noHandler(r))
			return
		}
	case http.MethodPut:
		if !e.agsAuthorized(w, r, scopeLineItem) {
			return
		}
		if !contentTypeOK(r, mediaLineItem) || !acceptOK(r, mediaLineItem) {
			e.writeServiceError(w, r, http.StatusBadRequest, noHandler(r))
			return
		}
	case http.MethodDelete:
		if !e.agsAuthorized(w, r, scopeLineItem) {
			return
		}
	default:
		// Authorization first: a score posted to the line item URL with
		// /scores after the query gets the type_id hint.
		if e.agsAuthorized(w, r, agsScopes...) {
			e.writeServiceError(w, r, http.StatusMethodNotAllowed, "Invalid request method specified.")
		}
		return
	}
	contextID, ok := e.agsCourse(w, r)
	if !ok {
		return
	}
	li, ok := e.gradebook.get(contextID, r.PathValue("item"))
	if !ok {
		e.notFoundLineItem(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		e.writeServiceJSON(w, r, http.StatusOK, mediaLineItem, e.lineItemJSON(li))
	case http.MethodPut:
		raw, ok := e.readServiceBody(w, r)
		if !ok {
			return
		}
		def, status, why := e.parseLineItem(raw, contextID, &li)
		if status != 0 {
			e.writeServiceError(w, r, status, why)
			return
		}
		if !e.gradebook.replace(contextID, li.id, def) { // deleted meanwhile
			e.notFoundLineItem(w, r)
			return
		}
		def.id, def.contextID = li.id, contextID
		e.writeLineItem(w, r, http.StatusOK, raw, def)
	case http.MethodDelete:
		if !e.gradebook.remove(contextID, li.id) {
			e.notFoundLineItem(w, r)
			return
		}
		if e.quirks.moodleServices {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// readServiceBody reads a request body of at most maxServiceBody bytes, or
// writes 413.
func (e *engine) readServiceBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxServiceBody))
	if err != nil {
		e.writeServiceError(w, r, http.StatusRequestEntityTooLarge, "ltitest: the body could not be read: "+err.Error())
		return nil, false
	}
	return raw, true
}
