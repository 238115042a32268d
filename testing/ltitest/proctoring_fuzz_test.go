package ltitest

import (
	"math"
	"slices"
	"testing"
)

// FuzzControlRequest: whatever a tool posts to the ACS endpoint, parsing
// never panics, and a request it accepts names a known action, an attempt
// from 1, a severity from 0 to 1 and a non-negative extra time.
func FuzzControlRequest(f *testing.F) {
	for _, s := range []string{
		`{"user":{"sub":"u","iss":"http://lms"},"resource_link":{"id":"r"},"attempt_number":1,"action":"flag","incident_time":"2026-11-28T21:00:00Z","incident_severity":0.5}`,
		`{"user":{"sub":"u","iss":"http://lms"},"resource_link":{"id":"r"},"attempt_number":2,"action":"update","incident_time":"2026-11-28T21:00:00.5+01:00","incident_severity":"1","extra_time":10}`,
		`{"action":"pause","attempt_number":"1","incident_severity":"NaN"}`, `[]`, `null`, `{"extra_time":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var rec ProctoringAction
		if rule, _ := rec.parse(body, "http://lms"); rule != "" {
			return
		}
		s := rec.IncidentSeverity
		if !slices.Contains(apActions, rec.Action) || rec.AttemptNumber < 1 || math.IsNaN(s) || s < 0 || s > 1 || rec.ExtraTime < 0 {
			t.Errorf("accepted %+v", rec)
		}
	})
}
