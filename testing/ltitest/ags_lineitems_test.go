package ltitest_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
)

const (
	mtContainer = "application/vnd.ims.lis.v2.lineitemcontainer+json"
	mtLineItem  = "application/vnd.ims.lis.v2.lineitem+json"
)

// create creates a line item from body and returns its URL.
func (s *services) create(t *testing.T, body string) string {
	t.Helper()
	r := s.call(t, http.MethodPost, s.lineItems, s.token, map[string]string{"Content-Type": mtLineItem, "Accept": mtLineItem}, body)
	if r.status != http.StatusCreated {
		t.Fatalf("create %s: got %d %s, want 201", body, r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	return id
}

// Creating line items (AGS-LI-01, AGS-LI-02): label, scoreMaximum > 0, a
// known resource link, exact media types, the lineitem scope.
func TestAGS_createLineItem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		body         string
		header       map[string]string // replaces the good headers
		readOnly     bool              // a token with only the read-only scopes
		want, moodle int
	}{
		{name: "good", body: `{"label":"Quiz","scoreMaximum":10,"resourceId":"q1","tag":"final"}`, want: 201, moodle: 201},
		{name: "bound to the launched link", body: `{"label":"Quiz","scoreMaximum":10,"resourceLinkId":"LINK"}`, want: 201, moodle: 201},
		{name: "with dates and an extension", body: `{"label":"Quiz","scoreMaximum":10,"startDateTime":"2026-11-28T21:17:28Z","endDateTime":"2026-12-01T21:17:28.047Z","https://canvas.instructure.com/lti/submission_type":{"type":"none"}}`, want: 201, moodle: 201},
		{name: "Accept */*", body: `{"label":"Quiz","scoreMaximum":1}`, header: map[string]string{"Content-Type": mtLineItem, "Accept": "*/*"}, want: 201, moodle: 201},

		{name: "AGS-LI-01 label missing", body: `{"scoreMaximum":10}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 label blank", body: `{"label":"  ","scoreMaximum":10}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 label a number", body: `{"label":7,"scoreMaximum":10}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 scoreMaximum missing", body: `{"label":"Quiz"}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 scoreMaximum zero", body: `{"label":"Quiz","scoreMaximum":0}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 scoreMaximum negative", body: `{"label":"Quiz","scoreMaximum":-1}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 scoreMaximum a string", body: `{"label":"Quiz","scoreMaximum":"10"}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 tag too long", body: `{"label":"Quiz","scoreMaximum":1,"tag":"` + strings.Repeat("t", 257) + `"}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 date without zone", body: `{"label":"Quiz","scoreMaximum":1,"endDateTime":"2026-12-01T21:17:28"}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 gradesReleased a string", body: `{"label":"Quiz","scoreMaximum":1,"gradesReleased":"yes"}`, want: 400, moodle: 400},
		{name: "AGS-LI-01 not an object", body: `["label"]`, want: 400, moodle: 400},
		{name: "AGS-LI-01 not JSON", body: `label=Quiz`, want: 400, moodle: 400},
		{name: "AGS-LI-02 unknown resource link", body: `{"label":"Quiz","scoreMaximum":1,"resourceLinkId":"999999"}`, want: 404, moodle: 403},
		{name: "AGS-MT-02 Content-Type application/json", body: `{"label":"Quiz","scoreMaximum":1}`,
			header: map[string]string{"Content-Type": "application/json", "Accept": mtLineItem}, want: 400, moodle: 400},
		{name: "AGS-MT-02 Content-Type with charset", body: `{"label":"Quiz","scoreMaximum":1}`,
			header: map[string]string{"Content-Type": mtLineItem + "; charset=utf-8", "Accept": mtLineItem}, want: 400, moodle: 400},
		{name: "AGS-MT-02 Accept application/json", body: `{"label":"Quiz","scoreMaximum":1}`,
			header: map[string]string{"Content-Type": mtLineItem, "Accept": "application/json"}, want: 400, moodle: 400},
		{name: "AGS-SCOPE-01 read-only token", body: `{"label":"Quiz","scoreMaximum":1}`, readOnly: true, want: 401, moodle: 401},
	}
	for _, moodle := range []bool{false, true} {
		t.Run(modeName(moodle), func(t *testing.T) {
			t.Parallel()
			s := newServices(t, modeOpts(moodle)...)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					h := tc.header
					if h == nil {
						h = map[string]string{"Content-Type": mtLineItem, "Accept": mtLineItem}
					}
					tok := s.token
					if tc.readOnly {
						tok = accessToken(t, s.p, s.tk, s.clk.Now(), ltitest.ScopeLineItemReadonly, ltitest.ScopeResultReadonly, ltitest.ScopeScore)
					}
					link := s.p.Gradebook().LineItems[0].ResourceLinkID
					body := strings.ReplaceAll(tc.body, "LINK", link)
					body = strings.Replace(body, `"label":"Quiz"`, `"label":"`+tc.name+`"`, 1)
					r := s.call(t, http.MethodPost, s.lineItems, tok, h, body)
					want := tc.want
					if moodle {
						want = tc.moodle
					}
					if r.status != want {
						t.Fatalf("got %d %s, want %d", r.status, r.body, want)
					}
					after := s.p.Gradebook().LineItems
					if want != 201 {
						if slices.ContainsFunc(after, func(li ltitest.LineItem) bool { return li.Label == tc.name }) {
							t.Errorf("gradebook: got a line item %q, want none: a refused POST creates nothing", tc.name)
						}
						checkServiceError(t, r, want)
						return
					}
					if ct := r.header.Get("Content-Type"); ct != mtLineItem+"; charset=utf-8" {
						t.Errorf("Content-Type: got %q", ct)
					}
					got := r.json(t)
					li := lineItemByID(t, s.p, got["id"].(string))
					if li.Label != tc.name || got["id"] != li.ID || !strings.HasSuffix(li.ID, "/lineitem?type_id="+s.p.DeploymentID) {
						t.Errorf("id: got %v, gradebook has %q", got["id"], li.ID)
					}
					if got["label"] != li.Label || got["scoreMaximum"] != li.ScoreMaximum {
						t.Errorf("answer %v does not match the gradebook's %+v", got, li)
					}
				})
			}
		})
	}
}

func modeName(moodle bool) string {
	if moodle {
		return "moodle"
	}
	return "default"
}

func modeOpts(moodle bool) []ltitest.Option {
	if moodle {
		return []ltitest.Option{ltitest.Moodle()}
	}
	return nil
}

// checkServiceError checks Moodle's service error body.
func checkServiceError(t *testing.T, r response, status int) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("error Content-Type: got %q, want application/json; charset=utf-8", ct)
		return
	}
	m := r.json(t)
	req, _ := m["request"].(map[string]any)
	if m["status"] != float64(status) || m["reason"] == "" || req["method"] == nil || req["url"] == nil {
		t.Errorf("error body: got %v, want {status, reason, request}", m)
	}
}

// Listing line items (AGS-LI-02): filters, paging with Link rel="next",
// the Accept rules and the read scopes.
func TestAGS_listLineItems(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	link := s.p.Gradebook().LineItems[0].ResourceLinkID
	s.create(t, `{"label":"A","scoreMaximum":1,"resourceId":"r1","tag":"t1"}`)
	s.create(t, `{"label":"B","scoreMaximum":1,"resourceId":"r1","tag":"t2","resourceLinkId":"`+link+`"}`)
	s.create(t, `{"label":"C","scoreMaximum":1,"resourceId":"r2","tag":"t1"}`)
	list := func(t *testing.T, u string, h map[string]string) ([]string, response) {
		t.Helper()
		r := s.call(t, http.MethodGet, u, s.token, h, "")
		if r.status != http.StatusOK {
			return nil, r
		}
		var labels []string
		for _, li := range r.jsonArray(t) {
			l, _ := li["label"].(string)
			labels = append(labels, l)
		}
		return labels, r
	}
	accept := map[string]string{"Accept": mtContainer}
	for _, tc := range []struct {
		name, query string
		want        string
	}{
		{"all", "", "Activity A B C"},
		{"AGS-LI-02 resource_link_id", "&resource_link_id=" + link, "Activity B"},
		{"AGS-LI-02 resource_id", "&resource_id=r1", "A B"},
		{"AGS-LI-02 tag", "&tag=t1", "A C"},
		{"AGS-LI-02 resource_id and tag", "&resource_id=r1&tag=t2", "B"},
		{"AGS-LI-02 no match", "&tag=none", ""},
		{"AGS-LI-02 legacy lti_link_id", "&lti_link_id=" + link, "Activity B"},
	} {
		labels, r := list(t, s.lineItems+tc.query, accept)
		if got := strings.Join(labels, " "); got != tc.want || r.status != 200 {
			t.Errorf("%s: got %d %q, want %q", tc.name, r.status, got, tc.want)
		}
	}

	// AGS-PAGE-01: limit pages, the next link is complete and ends.
	var all []string
	next, pages := s.lineItems+"&limit=3", 0
	for next != "" && pages < 5 {
		labels, r := list(t, next, accept)
		all, pages, next = append(all, labels...), pages+1, ""
		if m := regexp.MustCompile(`<([^>]+)>; rel="next"`).FindStringSubmatch(r.header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	if strings.Join(all, " ") != "Activity A B C" || pages != 2 {
		t.Errorf("paging by 3: got %q in %d pages, want all four in 2", all, pages)
	}

	for _, tc := range []struct {
		name   string
		header map[string]string
		token  string
		want   int
	}{
		{"no Accept", nil, s.token, 200},
		{"Accept */*", map[string]string{"Accept": "*/*"}, s.token, 200},
		{"Accept list with */*", map[string]string{"Accept": "application/json, */*;q=0.1"}, s.token, 200},
		{"AGS-MT-02 Accept application/json", map[string]string{"Accept": "application/json"}, s.token, 400},
		{"AGS-MT-02 Accept with charset", map[string]string{"Accept": mtContainer + "; charset=utf-8"}, s.token, 400},
		{"AGS-MT-02 Accept the line item type", map[string]string{"Accept": mtLineItem}, s.token, 400},
		{"AGS-SCOPE-01 NRPS-only token", accept, accessToken(t, s.p, s.tk, s.clk.Now(), ltitest.ScopeMemberships), 401},
		{"SEC-CC-07 no token", accept, "", 401},
		{"SEC-CC-07 garbage token", accept, "garbage", 401},
	} {
		if r := s.call(t, http.MethodGet, s.lineItems, tc.token, tc.header, ""); r.status != tc.want {
			t.Errorf("%s: got %d %s, want %d", tc.name, r.status, r.body, tc.want)
		}
	}
	if r := s.call(t, http.MethodGet, s.lineItems+"&limit=x", s.token, accept, ""); r.status != 400 {
		t.Errorf("AGS-PAGE-01 limit=x: got %d, want 400", r.status)
	}
	if r := s.call(t, http.MethodGet, strings.Replace(s.lineItems, "/ags/context-1/", "/ags/no-such-course/", 1), s.token, accept, ""); r.status != 404 {
		t.Errorf("unknown course: got %d, want 404", r.status)
	}
	if r := s.call(t, http.MethodDelete, s.lineItems, s.token, nil, ""); r.status != 405 {
		t.Errorf("DELETE the container: got %d, want 405", r.status)
	}
}

// With Moodle the container's paging Link header is Moodle's malformed
// one: &amp; in the URLs, curly quotes, and its first, canonical, next and
// last links (AGS-PAGE-01).
func TestAGS_listLineItemsMoodleLinks(t *testing.T) {
	t.Parallel()
	s := newServices(t, ltitest.Moodle())
	s.create(t, `{"label":"A","scoreMaximum":1}`)
	s.create(t, `{"label":"B","scoreMaximum":1}`)
	r := s.call(t, http.MethodGet, s.lineItems+"&limit=1&from=1", s.token, map[string]string{"Accept": mtContainer}, "")
	base := strings.Split(s.lineItems, "?")[0] + "?type_id=1&amp;limit=1&amp;from="
	want := "<" + base + "0>; rel=“first”, <" + base + "0>; rel=“prev”, <" + base + "1>; rel=“canonical”, <" +
		base + "2>; rel=“next”, <" + base + "3>; rel=“last”"
	if got := r.header.Get("Link"); got != want {
		t.Errorf("Link:\n got %s\nwant %s", got, want)
	}
	if a := r.jsonArray(t); len(a) != 1 || a[0]["label"] != "A" {
		t.Errorf("page: got %v, want line item A", a)
	}
}

// One line item: GET, PUT replacing it (AGS-LI-03), DELETE (204, then 404).
func TestAGS_lineItem(t *testing.T) {
	t.Parallel()
	for _, moodle := range []bool{false, true} {
		t.Run(modeName(moodle), func(t *testing.T) {
			t.Parallel()
			s := newServices(t, modeOpts(moodle)...)
			link := s.p.Gradebook().LineItems[0].ResourceLinkID
			u := s.create(t, `{"label":"Quiz","scoreMaximum":10,"resourceId":"q","tag":"x","resourceLinkId":"`+link+`"}`)
			rw := map[string]string{"Content-Type": mtLineItem, "Accept": mtLineItem}

			r := s.call(t, http.MethodGet, u, s.token, map[string]string{"Accept": mtLineItem}, "")
			if got := r.json(t); r.status != 200 || got["id"] != u || got["resourceLinkId"] != link {
				t.Fatalf("GET: got %d %v", r.status, got)
			}
			for _, tc := range []struct {
				name, body string
				want       int
			}{
				{"AGS-LI-01 PUT without scoreMaximum", `{"label":"no max"}`, 400},
				{"AGS-LI-01 PUT blank label", `{"label":"","scoreMaximum":1}`, 400},
				{"AGS-LI-02 PUT to an unknown link", `{"label":"L","scoreMaximum":1,"resourceLinkId":"999"}`, map[bool]int{false: 400, true: 403}[moodle]},
			} {
				if r := s.call(t, http.MethodPut, u, s.token, rw, tc.body); r.status != tc.want {
					t.Errorf("%s: got %d %s, want %d", tc.name, r.status, r.body, tc.want)
				}
			}
			if r := s.call(t, http.MethodPut, u, s.token, map[string]string{"Content-Type": "application/json"}, `{"label":"L","scoreMaximum":1}`); r.status != 400 {
				t.Errorf("AGS-MT-02 PUT as application/json: got %d, want 400", r.status)
			}
			r = s.call(t, http.MethodPut, u, s.token, rw, `{"id":"http://elsewhere/1","label":"L","scoreMaximum":1,"resourceLinkId":"`+link+`"}`)
			if !moodle && r.status != 400 {
				t.Errorf("AGS-LI-03 PUT changing id: got %d, want 400", r.status)
			}
			if moodle && (r.status != 200 || r.json(t)["id"] != u || strings.Count(r.body, `"id"`) != 1) {
				t.Errorf("PUT with another id: got %d %s, want Moodle's echo with the line item's own id", r.status, r.body)
			}

			// A PUT without resourceLinkId: the spec keeps the binding,
			// Moodle drops it (quirk 14).
			r = s.call(t, http.MethodPut, u, s.token, rw, `{"label":"Renamed","scoreMaximum":12}`)
			if r.status != 200 || r.json(t)["label"] != "Renamed" {
				t.Fatalf("PUT: got %d %s", r.status, r.body)
			}
			li := lineItemByID(t, s.p, u)
			wantLink := link
			if moodle {
				wantLink = ""
			}
			if li.Label != "Renamed" || li.ScoreMaximum != 12 || li.ResourceLinkID != wantLink || li.Tag != "" {
				t.Errorf("after PUT: got %+v, want Renamed/12 bound to %q with the tag gone", li, wantLink)
			}

			ro := accessToken(t, s.p, s.tk, s.clk.Now(), ltitest.ScopeLineItemReadonly)
			if r := s.call(t, http.MethodDelete, u, ro, nil, ""); r.status != 401 {
				t.Errorf("AGS-SCOPE-01 DELETE with the read-only scope: got %d, want 401", r.status)
			}
			if r := s.call(t, http.MethodDelete, u, s.token, nil, ""); r.status != 204 || r.body != "" {
				t.Errorf("DELETE: got %d %q, want 204", r.status, r.body)
			}
			r = s.call(t, http.MethodGet, u, s.token, map[string]string{"Accept": mtLineItem}, "")
			if r.status != 404 {
				t.Errorf("GET after DELETE: got %d, want 404", r.status)
			}
			checkServiceError(t, r, 404)
			if r := s.call(t, http.MethodPatch, u, s.token, nil, ""); r.status != 405 {
				t.Errorf("PATCH: got %d, want 405", r.status)
			}
		})
	}
}

func lineItemByID(t *testing.T, p *ltitest.Platform, id string) ltitest.LineItem {
	t.Helper()
	for _, li := range p.Gradebook().LineItems {
		if li.ID == id {
			return li
		}
	}
	t.Fatalf("no line item %s in the gradebook", id)
	return ltitest.LineItem{}
}
