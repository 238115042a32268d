package ltitest_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// The message log shows each signed message as it was sent, in compact
// form, in its entry: the id_token the platform signed, and the
// deep-linking response and the LtiStartAssessment the tool signed.
func TestDevLMS_logRawJWT(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		entry string // the log entry's title
		// send sends the message and returns the platform and the token
		// as sent.
		send func(t *testing.T) (*ltitest.Platform, string)
	}{
		{"id_token", "Authentication request ← tool, id_token LtiResourceLinkRequest", func(t *testing.T) (*ltitest.Platform, string) {
			p, _ := startDevLMS(t)
			if resp, body := open(t, newBrowserClient(t), p, "/dev/launch?user=ada"); body != "launched ada" {
				t.Fatalf("launch: %s %q", resp.Status, body)
			}
			for _, l := range p.Log() {
				if l.Step == ltitest.StepLaunch {
					return p, l.IDToken // as the browser posted it to the tool
				}
			}
			t.Fatal("no id_token posted to the tool")
			return nil, ""
		}},
		{"deep-linking response", "Deep-linking response ← tool", func(t *testing.T) (*ltitest.Platform, string) {
			p, dt := startDevLMS(t)
			dt.items = []tool.ContentItem{tool.ResourceLinkItem{Title: "Moon base"}}
			open(t, newBrowserClient(t), p, "/dev/deeplink?user=ian")
			rs := p.DeepLinkResponses()
			if len(rs) != 1 || !rs[0].Accepted() {
				t.Fatalf("deep-linking responses: %+v", rs)
			}
			return p, rs[0].JWT
		}},
		{"LtiStartAssessment", "LtiStartAssessment ← tool", func(t *testing.T) (*ltitest.Platform, string) {
			p, _ := startDevProctoring(t)
			c := p.NewBrowser(t).Client()
			resp, page := open(t, c, p, "/dev/proctoring?user=ada")
			m := regexp.MustCompile(`<form id="precheck" method="post" action="([^"]+)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no pre-check page: %s\n%s", resp.Status, page)
			}
			action, _ := resp.Request.URL.Parse(html.UnescapeString(m[1]))
			if resp, err := c.PostForm(action.String(), nil); err != nil {
				t.Fatal(err)
			} else if _, err := ltitest.FollowForms(c, resp); err != nil {
				t.Fatal(err)
			}
			starts := p.AssessmentStarts()
			if len(starts) != 1 || !starts[0].Accepted() {
				t.Fatalf("assessment starts: %+v", starts)
			}
			return p, starts[0].JWT
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, want := tc.send(t)
			if strings.Count(want, ".") != 2 {
				t.Fatalf("the token sent is not a compact JWS: %q", want)
			}
			_, log, _ := strings.Cut(panels(t, p), `<section id="log">`)
			var entry string
			for e := range strings.SplitSeq(log, `<li data-key=`) {
				if strings.Contains(e, "<strong>"+tc.entry+"</strong>") {
					entry = e
				}
			}
			var got []string
			for _, m := range regexp.MustCompile(`<textarea class="jwt"[^>]*>([^<]*)</textarea>`).FindAllStringSubmatch(entry, -1) {
				got = append(got, html.UnescapeString(m[1]))
			}
			if len(got) != 1 || got[0] != want || !strings.Contains(entry, "ltikit inspect") {
				t.Errorf("the log entry %q shows %d token(s), equal to the token sent: %v; with the hint: %v",
					tc.entry, len(got), len(got) == 1 && got[0] == want, strings.Contains(entry, "ltikit inspect"))
			}
		})
	}
}
