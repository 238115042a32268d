package ltitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// HTTP plumbing shared by the AGS and NRPS endpoints: media types, error
// bodies and paging links, the way Moodle's mod/lti/services.php does them.

// The services' media types (AGS-MT-01, NRPS-03).
const (
	mediaLineItemContainer   = "application/vnd.ims.lis.v2.lineitemcontainer+json"
	mediaLineItem            = "application/vnd.ims.lis.v2.lineitem+json"
	mediaScore               = "application/vnd.ims.lis.v1.score+json"
	mediaResultContainer     = "application/vnd.ims.lis.v2.resultcontainer+json"
	mediaMembershipContainer = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
	// mediaLegacyMemberships is the LTI 2 membership type; Moodle still
	// serves its old JSON-LD format for it.
	mediaLegacyMemberships = "application/vnd.ims.lis.v2.membershipcontainer+json"
)

// maxServiceBody bounds the bodies the services read.
const maxServiceBody = 1 << 20

// acceptOK reports whether r's Accept header accepts mediaType the way
// Moodle decides (AGS-MT-02): empty, exactly the type, or anything holding
// */*. A charset parameter or a list without */* does not.
func acceptOK(r *http.Request, mediaType string) bool {
	a := r.Header.Get("Accept")
	return a == "" || a == mediaType || strings.Contains(a, "*/*")
}

// contentTypeOK reports whether r's Content-Type is exactly mediaType, as
// Moodle compares it (AGS-MT-02): no parameters, no other spelling.
func contentTypeOK(r *http.Request, mediaType string) bool {
	return r.Header.Get("Content-Type") == mediaType
}

// noHandler is Moodle's reason for a request whose Accept or Content-Type
// no resource serves.
func noHandler(r *http.Request) string {
	if r.Method == http.MethodGet {
		return "No handler found for " + r.URL.Path + " " + r.Header.Get("Accept") + " "
	}
	return "No handler found for " + r.URL.Path + "  " + r.Header.Get("Content-Type")
}

// serviceError is the body of Moodle's service errors.
type serviceError struct {
	Status  int    `json:"status"`
	Reason  string `json:"reason"`
	Request struct {
		Method      string `json:"method"`
		URL         string `json:"url"`
		Accept      string `json:"accept,omitempty"`
		ContentType string `json:"contentType,omitempty"`
	} `json:"request"`
}

// writeServiceError writes a service error as Moodle does: status with
// {"status", "reason", "request"} as application/json. Without the Moodle
// profile a 401 also carries WWW-Authenticate (RFC 6750).
func (e *engine) writeServiceError(w http.ResponseWriter, r *http.Request, status int, reason string) {
	var b serviceError
	b.Status, b.Reason = status, reason
	b.Request.Method = r.Method
	b.Request.URL = r.URL.RequestURI()
	b.Request.Accept = r.Header.Get("Accept")
	b.Request.ContentType = r.Header.Get("Content-Type")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	_ = enc.Encode(b) // a struct of strings and an int always encodes
	if status == http.StatusUnauthorized && !e.quirks.moodleServices {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// writeServiceJSON writes v as mediaType with Moodle's charset parameter.
func (e *engine) writeServiceJSON(w http.ResponseWriter, r *http.Request, status int, mediaType string, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		e.writeServiceError(w, r, http.StatusInternalServerError, "ltitest: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// pageLink is one link of a Link header.
type pageLink struct{ url, rel string }

// setLinks sets the Link header: well formed (RFC 8288), or as Moodle
// writes the line items' links when malformed is set or a fault asks for
// it: &amp; in the URLs and curly-quoted rel values.
func setLinks(w http.ResponseWriter, r *http.Request, links []pageLink, malformed bool) {
	if len(links) == 0 {
		return
	}
	if bad, _ := r.Context().Value(malformedLinksKey{}).(bool); bad {
		malformed = true
	}
	parts := make([]string, len(links))
	for i, l := range links {
		if malformed {
			parts[i] = "<" + strings.ReplaceAll(l.url, "&", "&amp;") + ">; rel=“" + l.rel + "”"
		} else {
			parts[i] = "<" + l.url + `>; rel="` + l.rel + `"`
		}
	}
	w.Header().Set("Link", strings.Join(parts, ", "))
}

// paging reads the limit and from query parameters: limit 0 (or absent)
// means no limit, as with Moodle. ok is false when either is not a
// non-negative integer.
func paging(q url.Values) (limit, from int, ok bool) {
	for _, p := range []struct {
		name string
		v    *int
	}{{"limit", &limit}, {"from", &from}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		*p.v = n
	}
	return limit, from, true
}

// readPaging reads the limit and from of q (see paging), or writes 400 and
// reports false when either is not a non-negative integer.
func (e *engine) readPaging(w http.ResponseWriter, r *http.Request, q url.Values) (limit, from int, ok bool) {
	limit, from, ok = paging(q)
	if !ok {
		e.writeServiceError(w, r, http.StatusBadRequest, e.reason("Bad Request", "limit and from must be non-negative integers"))
	}
	return limit, from, ok
}

// page returns the slice of n items that limit and from select, as start
// and end indexes, and whether more items follow.
func page(n, limit, from int) (start, end int, more bool) {
	start = min(from, n)
	end = n
	if limit > 0 && start+limit < n {
		end = start + limit
	}
	return start, end, end < n
}

// reason is the reason of a service error: Moodle's own with the Moodle
// profile, a precise one otherwise.
func (e *engine) reason(moodle, precise string) string {
	if e.quirks.moodleServices {
		return moodle
	}
	return precise
}

// encodeOrdered encodes v with its keys in the given order, as Moodle
// builds its URLs, instead of url.Values' sorted order.
func encodeOrdered(v url.Values, keys ...string) string {
	var b strings.Builder
	for _, k := range keys {
		for _, x := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(x))
		}
	}
	return b.String()
}
