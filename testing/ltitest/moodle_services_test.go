package ltitest_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// exchange is one recorded Moodle service exchange (testdata/services,
// copied from shared/fixtures/moodle-4.5/services).
type exchange struct {
	Label   string `json:"label"`
	Request struct {
		Method  string              `json:"method"`
		URL     string              `json:"url"`
		Headers map[string][]string `json:"headers"`
		Body    string              `json:"body"`
	} `json:"request"`
	Response struct {
		Status  int                 `json:"status"`
		Headers map[string][]string `json:"headers"`
		Body    *string             `json:"body"`
	} `json:"response"`
}

func loadExchange(t *testing.T, name string) exchange {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "services", name))
	if err != nil {
		t.Fatal(err)
	}
	var x exchange
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return x
}

// jsonShapeOf is the structure of a JSON value: object keys with the shapes of
// their values, an array's first element, the kind of a scalar.
func jsonShapeOf(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = jsonShapeOf(x)
		}
		return m
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		return []any{jsonShapeOf(v[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

func jsonShape(t *testing.T, body string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return "not JSON: " + body
	}
	b, _ := json.Marshal(jsonShapeOf(v))
	return string(b)
}

// linkShape is a Link header with its URLs' query parameter names only.
var linkURL = regexp.MustCompile(`<([^>]*)>`)

func linkShape(h string) string {
	return linkURL.ReplaceAllStringFunc(h, func(m string) string {
		u := m[1 : len(m)-1]
		_, q, _ := strings.Cut(u, "?")
		var names []string
		for _, kv := range strings.Split(strings.ReplaceAll(q, "&amp;", "&"), "&") {
			k, _, _ := strings.Cut(kv, "=")
			names = append(names, k)
		}
		sort.Strings(names)
		amp := ""
		if strings.Contains(u, "&amp;") {
			amp = " &amp;"
		}
		return "<" + strings.Join(names, ",") + amp + ">"
	})
}

// The platform with the Moodle profile answers the requests of the recorded
// Moodle exchanges like Moodle did: status, Content-Type, the JSON shape of
// the body (or the body itself when it is not JSON), the Link header's form.
func TestMoodleServices_shapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		// url maps the recorded URL onto the platform; before prepares the
		// state; exactBody compares bodies byte for byte.
		url       func(s *services) string
		before    func(t *testing.T, s *services)
		exactBody bool
	}{
		{file: "19_nrps_memberships_full.json", url: func(s *services) string { return s.members }},
		{file: "20_nrps_paging_limit1_page1.json", url: func(s *services) string { return s.members + "?limit=1" }},
		{file: "25_nrps_rlid_filter.json", url: func(s *services) string { return s.members + "?rlid=1" }},
		{file: "26_nrps_accept_application_json.json", url: func(s *services) string { return s.members }},
		{file: "29_nrps_err_no_token.json", url: func(s *services) string { return s.members }},
		{file: "32_ags_lineitems_get.json", url: func(s *services) string { return s.lineItems }},
		{file: "34_ags_lineitems_get_paging_limit1.json", url: func(s *services) string { return s.lineItems + "&limit=1" }},
		{file: "40_ags_lineitem_create_unattached.json", url: func(s *services) string { return s.lineItems }},
		{file: "41_ags_lineitem_create_attached_to_resource_link.json", url: func(s *services) string { return s.lineItems }},
		{file: "42_ags_lineitem_create_err_missing_label.json", url: func(s *services) string { return s.lineItems }},
		{file: "45_ags_lineitem_create_err_unknown_resource_link.json", url: func(s *services) string { return s.lineItems }},
		{file: "48_ags_score_post_claim_lineitem.json", url: func(s *services) string { return scoresURL(s.lineItem) }, exactBody: true},
		{file: "49_ags_results_get_claim_lineitem.json", url: func(s *services) string { return resultsURL(s.lineItem) },
			before: func(t *testing.T, s *services) { postRecorded(t, s, "48_ags_score_post_claim_lineitem.json") }},
		{file: "51_ags_results_get_limit1.json", url: func(s *services) string { return resultsURL(s.lineItem) + "&limit=1" },
			before: func(t *testing.T, s *services) { postRecorded(t, s, "48_ags_score_post_claim_lineitem.json") }},
		{file: "54_ags_score_no_scoreGiven_initialized.json", url: func(s *services) string { return scoresURL(s.lineItem) },
			before: func(t *testing.T, s *services) { postRecorded(t, s, "53_ags_score_over_max.json") }, exactBody: true},
		{file: "56_ags_score_err_unknown_user.json", url: func(s *services) string { return scoresURL(s.lineItem) }, exactBody: true},
		{file: "60_ags_lineitem_put_claim_lineitem.json", url: func(s *services) string { return s.lineItem }},
		{file: "67_ags_lineitem_delete_created.json", url: func(s *services) string { return s.lineItem }, exactBody: true},
		{file: "68_ags_lineitem_get_deleted.json", url: func(s *services) string { return s.lineItem },
			before: func(t *testing.T, s *services) { s.call(t, "DELETE", s.lineItem, s.token, nil, "") }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			x := loadExchange(t, tc.file)
			s := newServices(t, ltitest.Moodle())
			if tc.before != nil {
				tc.before(t, s)
			}
			h := map[string]string{}
			for k, v := range x.Request.Headers {
				if k != "Authorization" { // Moodle's token; the platform issued its own
					h[k] = v[0]
				}
			}
			tok := s.token
			if strings.Contains(x.Label, "no_token") {
				tok = ""
			}
			r := s.call(t, x.Request.Method, tc.url(s), tok, h, x.Request.Body)
			if r.status != x.Response.Status {
				t.Fatalf("status: got %d %s, Moodle %d", r.status, r.body, x.Response.Status)
			}
			if got, want := r.header.Get("Content-Type"), first(x.Response.Headers["Content-Type"]); got != want {
				t.Errorf("Content-Type: got %q, Moodle %q", got, want)
			}
			if got, want := linkShape(r.header.Get("Link")), linkShape(first(x.Response.Headers["Link"])); got != want {
				t.Errorf("Link: got %q, Moodle %q", got, want)
			}
			want := ""
			if x.Response.Body != nil {
				want = *x.Response.Body
			}
			switch {
			case tc.exactBody:
				if r.body != want {
					t.Errorf("body: got %q, Moodle %q", r.body, want)
				}
			case strings.HasPrefix(want, "(an HTML page"):
				if !strings.Contains(r.body, "<") {
					t.Errorf("body: got %q, want an HTML page", r.body)
				}
			default:
				if got, want := jsonShape(t, r.body), jsonShape(t, want); got != want {
					t.Errorf("body shape:\n got %s\nwant %s (Moodle)", got, want)
				}
			}
		})
	}
}

// The token endpoint's answers to the recorded token requests: the layout
// of a token, and the unknown-kid error whose body is not even JSON.
func TestMoodleServices_tokenShapes(t *testing.T) {
	t.Parallel()
	clk := newClock()
	p, tk := servicePlatform(t, clk, ltitest.Moodle())
	ok := loadExchange(t, "03_token_ok_all_scopes.json")
	scopes := strings.Fields(mustQuery(t, ok.Request.Body).Get("scope"))
	r := postToken(t, p, ok.Request.Headers["Content-Type"][0], tokenForm(tk.sign(t, assertionClaims(p, clk.Now()), nil), scopes...))
	if r.status != ok.Response.Status || r.header.Get("Content-Type") != ok.Response.Headers["Content-Type"][0] ||
		jsonShape(t, r.body) != jsonShape(t, *ok.Response.Body) {
		t.Errorf("token: got %d %q %s, Moodle %d %s", r.status, r.header.Get("Content-Type"), r.body, ok.Response.Status, *ok.Response.Body)
	}
	if got := r.json(t)["scope"]; got != strings.Join(scopes, " ") {
		t.Errorf("scope: got %v, want all seven scopes Moodle granted", got)
	}
	bad := loadExchange(t, "12_token_err_signed_with_unknown_kid.json")
	r = postToken(t, p, "application/x-www-form-urlencoded", tokenForm(tk.sign(t, assertionClaims(p, clk.Now()),
		func(h map[string]any) { h["kid"] = "unknown-kid" }), ltitest.ScopeMemberships))
	if r.status != bad.Response.Status || r.body != *bad.Response.Body {
		t.Errorf("unknown kid: got %d %q, Moodle %d %q", r.status, r.body, bad.Response.Status, *bad.Response.Body)
	}
}

// postRecorded posts the score of a recorded exchange, with its timestamp.
func postRecorded(t *testing.T, s *services, file string) {
	t.Helper()
	x := loadExchange(t, file)
	r := s.call(t, x.Request.Method, scoresURL(s.lineItem), s.token, map[string]string{"Content-Type": x.Request.Headers["Content-Type"][0]}, x.Request.Body)
	if r.status != x.Response.Status {
		t.Fatalf("%s: got %d %s, Moodle %d", file, r.status, r.body, x.Response.Status)
	}
}

func mustQuery(t *testing.T, s string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
