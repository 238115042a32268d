package tool

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for every parser of what a platform's services send back.

// addRecordedBodies seeds f with the recorded Moodle responses whose URL
// contains part.
func addRecordedBodies(f *testing.F, part string) {
	for _, x := range loadExchanges(f, "moodle-services", "moodle-deeplink-activity") {
		if strings.Contains(x.Request.URL, part) {
			f.Add([]byte(x.Response.Body))
		}
	}
}

func FuzzParseLinks(f *testing.F) {
	for _, x := range loadExchanges(f, "moodle-services") {
		for _, v := range x.Response.Headers["Link"] {
			f.Add(v)
		}
	}
	f.Add(`<https://a/2>; rel="next last", <https://a/0>; rel='prev'; title="a, b"`)
	f.Add(`<<>>;rel=“next”,<`)
	f.Fuzz(func(t *testing.T, v string) {
		for rel, target := range parseLinks([]string{v}) {
			if rel == "" || target == "" || rel != strings.ToLower(rel) || strings.ContainsAny(rel, " \t") {
				t.Fatalf("parseLinks(%q): rel %q target %q", v, rel, target)
			}
		}
	})
}

func FuzzDecodeLineItems(f *testing.F) {
	addRecordedBodies(f, "/lineitem")
	f.Add([]byte(`[{"id":1,"label":null,"scoreMaximum":"1e3","startDateTime":"","gradesReleased":"TRUE"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if items, err := decodeLineItems(body); err == nil {
			if _, err := json.Marshal(items); err != nil {
				t.Fatalf("decoded line items do not encode: %v", err)
			}
		}
		if li, err := decodeLineItem(body); err == nil {
			if _, err := json.Marshal(li); err != nil {
				t.Fatalf("decoded line item does not encode: %v", err)
			}
		}
	})
}

func FuzzDecodeResults(f *testing.F) {
	addRecordedBodies(f, "/results")
	f.Add([]byte(`[{"userId":4,"resultScore":"7","resultMaximum":null,"timestamp":"2026-11-28T21:17:29+0000"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := decodeResults(body)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.ResultScore != nil && (*r.ResultScore != *r.ResultScore) {
				t.Fatalf("NaN score from %q", body)
			}
		}
	})
}

func FuzzDecodeMembers(f *testing.F) {
	addRecordedBodies(f, "/memberships")
	f.Add([]byte(`{"members":[{"user_id":1,"roles":"Learner","status":"deleted","message":{"a":1}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeMembers(body)
		if err != nil {
			return
		}
		for _, m := range p.Members {
			if m.UserID == "" || m.Status == "" || m.Roles == nil {
				t.Fatalf("member %+v from %q", m, body)
			}
		}
	})
}

func FuzzScoreJSON(f *testing.F) {
	addRecordedBodies(f, "/scores")
	for _, x := range loadExchanges(f, "moodle-services") {
		if strings.Contains(x.Request.URL, "/scores") {
			f.Add([]byte(x.Request.Body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var s Score
		if json.Unmarshal(body, &s) != nil {
			return
		}
		_ = s.Validate()
		b, err := json.Marshal(s)
		if err != nil {
			return // e.g. a year beyond 9999
		}
		var again Score
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("%s does not decode: %v", b, err)
		}
		if b2, _ := json.Marshal(again); string(b2) != string(b) {
			t.Fatalf("not stable:\n%s\n%s", b, b2)
		}
	})
}

func FuzzServiceErrorEvidence(f *testing.F) {
	f.Add("120", []byte(`{"status":401,"reason":"Unauthorized"}`))
	f.Add("Sat, 28 Nov 2026 21:18:29 GMT", []byte(`<html>`))
	f.Add("99999999999999999999", []byte(`{"error":""kid" invalid"}`))
	now := time.Date(2026, 11, 28, 21, 17, 29, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retryAfter string, body []byte) {
		if d := parseRetryAfter(retryAfter, now); d < 0 || d > maxRetryAfter {
			t.Fatalf("parseRetryAfter(%q) = %v", retryAfter, d)
		}
		r := bodyReason(body)
		if len(r) > 200+len("…") || !utf8.ValidString(r) {
			t.Fatalf("bodyReason(%q) = %q", body, r)
		}
	})
}
