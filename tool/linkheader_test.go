package tool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseLinks_AGS_PAGE_01(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   map[string]string
	}{
		{"one link", []string{`<https://lms.example/li?page=2>; rel="next"`}, map[string]string{"next": "https://lms.example/li?page=2"}},
		{"several links, several values", []string{`<https://a/1>; rel="first", <https://a/3>; rel="next"`, `<https://a/9>; rel="last"`},
			map[string]string{"first": "https://a/1", "next": "https://a/3", "last": "https://a/9"}},
		{"Moodle: curly quotes and &amp; (recorded)", []string{`<http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=1&amp;from=0>; rel=“first”, <http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=1&amp;from=0>; rel=“canonical”, <http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1&amp;limit=1&amp;from=1>; rel=“last”`},
			map[string]string{"first": "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=0",
				"canonical": "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=0",
				"last":      "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=1"}},
		{"Moodle next", []string{`<https://m/li?a=1&amp;from=2>; rel=“next”`}, map[string]string{"next": "https://m/li?a=1&from=2"}},
		{"unquoted, single-quoted, spaced, upper case", []string{`<https://a/2> ; REL = next , <https://a/0>;rel='Prev'`},
			map[string]string{"next": "https://a/2", "prev": "https://a/0"}},
		{"several relation types", []string{`<https://a/2>; rel="next last"`}, map[string]string{"next": "https://a/2", "last": "https://a/2"}},
		{"other parameters, a comma inside quotes", []string{`<https://a/2>; title="a, b"; rel="next"; type="x"`}, map[string]string{"next": "https://a/2"}},
		{"first link wins", []string{`<https://a/2>; rel="next", <https://a/3>; rel="next"`}, map[string]string{"next": "https://a/2"}},
		{"header line pasted as value", []string{`Link: <https://a/2>; rel="next"`}, map[string]string{"next": "https://a/2"}},
		{"differences (NRPS-06)", []string{`<https://a/m?since=x>; rel="differences"`}, map[string]string{"differences": "https://a/m?since=x"}},
		{"no rel", []string{`<https://a/2>; title="next"`}, map[string]string{}},
		{"unclosed target", []string{`<https://a/2; rel="next"`}, map[string]string{}},
		{"empty target", []string{`<>; rel="next"`}, map[string]string{}},
		{"stray curly quote among rels (found by fuzzing)", []string{`<0>rel=0 ” 00`}, map[string]string{"0": "0", "00": "0"}},
		{"no target", []string{`rel="next"`, ``, `,,,;;;`}, map[string]string{}},
		{"garbage then a link", []string{`>>><< ; rel=, <https://a/2>; rel=next`}, map[string]string{"next": "https://a/2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseLinks(tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseLinks(%q)\n= %v\nwant %v", tt.values, got, tt.want)
			}
		})
	}
}

func TestResolveLink(t *testing.T) {
	tests := []struct {
		page, target, want string
		ok                 bool
	}{
		{"https://lms.example/li?x=1", "https://lms.example/li?from=2", "https://lms.example/li?from=2", true},
		{"https://lms.example/a/li?x=1", "li?from=2", "https://lms.example/a/li?from=2", true},
		{"https://lms.example/a/li", "/b?from=2", "https://lms.example/b?from=2", true},
		{"https://lms.example/li", "https://evil.example/li?from=2", "", false},
		{"https://lms.example/li", "http://lms.example/li?from=2", "", false},
		{"https://lms.example/li", "//evil.example/li", "", false},
		{"https://lms.example/li", "https://lms.example:8443/li", "", false},
		{"https://lms.example/li", "%zz", "", false},
	}
	for _, tt := range tests {
		got, err := resolveLink(tt.page, tt.target)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("resolveLink(%q, %q) = %q, %v; want %q ok=%v", tt.page, tt.target, got, err, tt.want, tt.ok)
		}
	}
}

func TestPages_AGS_PAGE_01_NeverLoops(t *testing.T) {
	tests := []struct {
		name string
		next func(n int32, self string) string // the Link target on the n-th page
		want int32                             // requests made before the error
	}{
		{"next is the page itself", func(_ int32, self string) string { return self }, 1},
		{"two pages pointing at each other", func(n int32, _ string) string { return fmt.Sprintf("/li?p=%d", n%2) }, 2},
		{"endless distinct pages stop at the cap", func(n int32, _ string) string { return fmt.Sprintf("/li?p=%d", n) }, 5},
		{"next to another origin", func(int32, string) string { return "https://elsewhere.example/li?p=2" }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSvcEnv(t)
			var n atomic.Int32
			srv := e.serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "<"+tt.next(n.Add(1), r.URL.RequestURI())+`>; rel="next"`)
				w.Write([]byte(`[{"id":"https://x/1","label":"a","scoreMaximum":1}]`))
			}))
			g := e.grades(srv.URL + "/li?p=0")
			g.svc.pageCap = 5
			items, err := g.LineItems(context.Background(), LineItemsQuery{})
			if !errors.Is(err, ErrBadServiceResponse) || items != nil {
				t.Fatalf("LineItems = %d items, %v; want ErrBadServiceResponse", len(items), err)
			}
			if n.Load() != tt.want {
				t.Errorf("%d requests, want %d", n.Load(), tt.want)
			}
			if !strings.Contains(err.Error(), "Link header") {
				t.Errorf("error %q does not point at the Link header", err)
			}
		})
	}
}
