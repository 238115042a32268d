package tool

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Tolerant JSON types for what services send back. Platforms send blank
// strings or null for absent dates (AGS-LI-01), numbers as strings, and ids
// as numbers; a value of a shape no platform sends is an error, never a
// panic.

// serviceString is a string; a number is kept as its JSON text (ids such as
// resourceLinkId or user_id sometimes come as numbers) and null is "".
// Booleans, objects and arrays are refused.
type serviceString string

func (s *serviceString) UnmarshalJSON(b []byte) error {
	switch {
	case isJSONNull(b):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		u, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		*s = serviceString(u)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*s = serviceString(b)
	default:
		return &claimShapeError{"a string"}
	}
	return nil
}

// serviceTime is a date-time: RFC 3339 (with or without fractional seconds),
// also "+0000"-style offsets, or a zone-less time read as UTC. "" and null
// are the zero time.
type serviceTime time.Time

func (t *serviceTime) UnmarshalJSON(b []byte) error {
	var s serviceString
	if err := s.UnmarshalJSON(b); err != nil || (len(b) > 0 && b[0] != '"' && !isJSONNull(b)) {
		return &claimShapeError{"an RFC 3339 date-time string"}
	}
	v := strings.TrimSpace(string(s))
	if v == "" {
		*t = serviceTime{}
		return nil
	}
	if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
		*t = serviceTime(tm)
		return nil
	}
	for _, layout := range [...]string{"2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if tm, err := time.Parse(layout, v); err == nil {
			*t = serviceTime(tm)
			return nil
		}
	}
	return &claimShapeError{"an RFC 3339 date-time, not " + strconv.Quote(clip(v))}
}

// ptr returns the time, or nil for the zero time.
func (t serviceTime) ptr() *time.Time {
	if time.Time(t).IsZero() {
		return nil
	}
	v := time.Time(t)
	return &v
}

// serviceNumber is a finite JSON number, or a string holding one; set
// records presence (null leaves it unset).
type serviceNumber struct {
	set bool
	v   float64
}

func (n *serviceNumber) UnmarshalJSON(b []byte) error {
	if isJSONNull(b) {
		*n = serviceNumber{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		s = strings.TrimSpace(u)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return &claimShapeError{"a number"}
	}
	*n = serviceNumber{set: true, v: f}
	return nil
}

// ptr returns the number, or nil when unset.
func (n serviceNumber) ptr() *float64 {
	if !n.set {
		return nil
	}
	v := n.v
	return &v
}

// wireLineItem is a line item as a platform sends it (AGS-LI-01).
type wireLineItem struct {
	ID             serviceString `json:"id"`
	Label          serviceString `json:"label"`
	ScoreMaximum   serviceNumber `json:"scoreMaximum"`
	ResourceID     serviceString `json:"resourceId"`
	ResourceLinkID serviceString `json:"resourceLinkId"`
	LTILinkID      serviceString `json:"ltiLinkId"` // Moodle's older name for resourceLinkId
	Tag            serviceString `json:"tag"`
	StartDateTime  serviceTime   `json:"startDateTime"`
	EndDateTime    serviceTime   `json:"endDateTime"`
	GradesReleased flexBool      `json:"gradesReleased"`
}

// lineItem converts w.
func (w *wireLineItem) lineItem() LineItem {
	li := LineItem{
		ID: string(w.ID), Label: string(w.Label), ScoreMaximum: w.ScoreMaximum.v,
		ResourceID: string(w.ResourceID), ResourceLinkID: string(w.ResourceLinkID), Tag: string(w.Tag),
		StartDateTime: w.StartDateTime.ptr(), EndDateTime: w.EndDateTime.ptr(),
		GradesReleased: w.GradesReleased.ptr(),
	}
	if li.ResourceLinkID == "" {
		li.ResourceLinkID = string(w.LTILinkID)
	}
	return li
}

// decodeLineItem decodes one line item (application/vnd.ims.lis.v2.lineitem+json).
func decodeLineItem(body []byte) (LineItem, error) {
	var w wireLineItem
	if !isJSONObject(body) {
		return LineItem{}, &claimShapeError{"a JSON object"}
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return LineItem{}, err
	}
	return w.lineItem(), nil
}

// decodeLineItems decodes a line item container
// (application/vnd.ims.lis.v2.lineitemcontainer+json): an array; null is
// empty.
func decodeLineItems(body []byte) ([]LineItem, error) {
	var ws []wireLineItem
	if err := decodeArray(body, &ws); err != nil {
		return nil, err
	}
	out := make([]LineItem, len(ws))
	for i := range ws {
		out[i] = ws[i].lineItem()
	}
	return out, nil
}

// decodeArray decodes a JSON array (or null) into v, a pointer to a slice.
func decodeArray(body []byte, v any) error {
	b := strings.TrimSpace(string(body))
	if b != "null" && !strings.HasPrefix(b, "[") {
		return &claimShapeError{"a JSON array"}
	}
	return json.Unmarshal(body, v)
}
