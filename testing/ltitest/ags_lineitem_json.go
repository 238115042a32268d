package ltitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The line item's JSON (AGS-LI-01): parsed from the tool's POST and PUT
// bodies, rendered for the container and single GETs.

// maxLineItemString is the longest resourceId and tag (AGS-LI-01).
const maxLineItemString = 256

// lineItemMembers are the members the platform understands; others are
// kept as extensions.
var lineItemMembers = []string{"id", "label", "scoreMaximum", "resourceId", "tag", "resourceLinkId", "ltiLinkId",
	"startDateTime", "endDateTime", "gradesReleased"}

// parseLineItem reads a line item body for the course contextID: label not
// blank, scoreMaximum a number > 0 (Moodle accepts 0; the spec does not),
// resourceId and tag strings of at most 256 characters, dates RFC 3339,
// gradesReleased a boolean, resourceLinkId a resource link of the course
// (Moodle answers 403, the spec 404). old is the line item a PUT replaces,
// nil for a POST. It returns the definition, or the status and reason of
// the refusal.
func (e *engine) parseLineItem(raw []byte, contextID string, old *lineItem) (def lineItem, status int, reason string) {
	moodleReason := "No label or Score Maximum"
	if old != nil {
		moodleReason = "Bad Request"
	}
	bad := func(why string) (lineItem, int, string) {
		return lineItem{}, http.StatusBadRequest, e.reason(moodleReason, why+" (AGS-LI-01)")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return bad("the body is not a JSON object")
	}
	str := func(key string) (string, bool, error) {
		v, ok := m[key]
		if !ok || string(v) == "null" {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, fmt.Errorf("%s is not a string", key)
		}
		return s, true, nil
	}
	var err error
	if def.label, _, err = str("label"); err != nil {
		return bad(err.Error())
	}
	if strings.TrimSpace(def.label) == "" {
		return bad("label missing or blank")
	}
	if v, ok := m["scoreMaximum"]; !ok || json.Unmarshal(v, &def.scoreMaximum) != nil || def.scoreMaximum <= 0 {
		return bad("scoreMaximum missing or not a number > 0")
	}
	for _, f := range []struct {
		key string
		v   *string
	}{{"resourceId", &def.resourceID}, {"tag", &def.tag}} {
		if *f.v, _, err = str(f.key); err != nil {
			return bad(err.Error())
		}
		if len([]rune(*f.v)) > maxLineItemString {
			return bad(fmt.Sprintf("%s longer than %d characters", f.key, maxLineItemString))
		}
	}
	for _, f := range []struct {
		key string
		v   *string
	}{{"startDateTime", &def.startDateTime}, {"endDateTime", &def.endDateTime}} {
		if *f.v, _, err = str(f.key); err != nil {
			return bad(err.Error())
		}
		if *f.v != "" {
			if _, err := time.Parse(time.RFC3339Nano, *f.v); err != nil {
				return bad(fmt.Sprintf("%s %q is not ISO 8601 with a time zone (RFC 3339)", f.key, *f.v))
			}
		}
	}
	if v, ok := m["gradesReleased"]; ok && string(v) != "null" {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			return bad("gradesReleased is not a boolean")
		}
		def.gradesReleased = &b
	}

	// The resource link: resourceLinkId, or Moodle's legacy ltiLinkId.
	rl, has, err := str("resourceLinkId")
	if err != nil {
		return bad(err.Error())
	}
	if !has {
		if rl, has, err = str("ltiLinkId"); err != nil {
			return bad(err.Error())
		}
	}
	if old != nil && !e.quirks.moodleServices {
		if id, ok, _ := str("id"); ok && id != e.lineItemURL(contextID, old.id) {
			return bad(fmt.Sprintf("id %q is not the line item's URL: a tool must not change it (AGS-LI-03)", id))
		}
		switch {
		case !has:
			rl = old.resourceLinkID // kept: a tool must not change it
		case rl != old.resourceLinkID:
			return lineItem{}, http.StatusBadRequest, fmt.Sprintf("resourceLinkId %q is not the line item's %q: a tool must not change it (AGS-LI-03)", rl, old.resourceLinkID)
		}
	}
	// With Moodle a PUT without resourceLinkId unbinds the line item.
	if rl != "" && (old == nil || rl != old.resourceLinkID) && !e.courses.hasLink(contextID, rl) {
		if e.quirks.moodleServices {
			return lineItem{}, http.StatusForbidden, "Forbidden"
		}
		return lineItem{}, http.StatusNotFound, fmt.Sprintf("resourceLinkId %q is not a resource link of the course (AGS-LI-02)", rl)
	}
	def.resourceLinkID = rl

	for k, v := range m {
		if !slices.Contains(lineItemMembers, k) {
			if def.extensions == nil {
				def.extensions = make(map[string]json.RawMessage)
			}
			def.extensions[k] = slices.Clone(v)
		}
	}
	return def, 0, ""
}

// lineItemJSON is li as the services render it. With Moodle: id, label,
// scoreMaximum, resourceId and tag (empty strings when unset),
// resourceLinkId and its legacy twin ltiLinkId when bound, and nothing
// else, as Moodle's GET answers.
func (e *engine) lineItemJSON(li lineItem) any {
	id := e.lineItemURL(li.contextID, li.id)
	if e.quirks.moodleServices {
		return struct {
			ID             string  `json:"id"`
			Label          string  `json:"label"`
			ScoreMaximum   float64 `json:"scoreMaximum"`
			ResourceID     string  `json:"resourceId"`
			Tag            string  `json:"tag"`
			ResourceLinkID string  `json:"resourceLinkId,omitempty"`
			LtiLinkID      string  `json:"ltiLinkId,omitempty"`
		}{id, li.label, li.scoreMaximum, li.resourceID, li.tag, li.resourceLinkID, li.resourceLinkID}
	}
	m := make(map[string]any, len(li.extensions)+9)
	for k, v := range li.extensions {
		m[k] = v
	}
	m["id"], m["label"], m["scoreMaximum"] = id, li.label, li.scoreMaximum
	setNonEmpty(m, "resourceId", li.resourceID)
	setNonEmpty(m, "tag", li.tag)
	setNonEmpty(m, "resourceLinkId", li.resourceLinkID)
	setNonEmpty(m, "startDateTime", li.startDateTime)
	setNonEmpty(m, "endDateTime", li.endDateTime)
	if li.gradesReleased != nil {
		m["gradesReleased"] = *li.gradesReleased
	}
	return m
}

// writeLineItem answers a POST (201) or PUT (200) with the line item. With
// Moodle the answer is the request's body with the id set last, as Moodle
// echoes the decoded body with $json->id added.
func (e *engine) writeLineItem(w http.ResponseWriter, r *http.Request, status int, raw []byte, li lineItem) {
	if !e.quirks.moodleServices {
		e.writeServiceJSON(w, r, status, mediaLineItem, e.lineItemJSON(li))
		return
	}
	body, err := echoWithID(raw, e.lineItemURL(li.contextID, li.id))
	if err != nil { // parseLineItem accepted raw as an object: never
		e.writeServiceError(w, r, http.StatusInternalServerError, "ltitest: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", mediaLineItem+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// echoWithID re-encodes the JSON object raw compactly, members in their
// order, with its id member replaced by id at the end.
func echoWithID(raw []byte, id string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if key == "id" {
			continue
		}
		k, _ := marshalJSON(key)
		buf.Write(k)
		buf.WriteByte(':')
		if err := json.Compact(&buf, v); err != nil {
			return nil, err
		}
		buf.WriteByte(',')
	}
	idMember, _ := marshalJSON(id)
	buf.WriteString(`"id":`)
	buf.Write(idMember)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
