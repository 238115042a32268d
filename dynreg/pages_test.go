package dynreg_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/dynreg"
)

// inlineRE finds the inline scripts and style sheets of a page.
var inlineRE = regexp.MustCompile(`(?s)<(script|style)>(.*?)</(?:script|style)>`)

// directives splits a Content-Security-Policy into its directives.
func directives(policy string) map[string][]string {
	d := map[string][]string{}
	for part := range strings.SplitSeq(policy, ";") {
		if f := strings.Fields(part); len(f) > 0 {
			d[f[0]] = f[1:]
		}
	}
	return d
}

// TestPages_ContentSecurityPolicy: every page replaces the site's policy
// (set by a middleware around the Handler, which would block the close
// script) with its own, which allows exactly the page's inline script and
// style sheet, by hash, the logo's origin (but on the error page, which
// has no logo), and posting back to the page.
func TestPages_ContentSecurityPolicy(t *testing.T) {
	p := newPlatform(t)
	a := newApp(t, func(c *dynreg.Config) { c.LogoURL = "https://cdn.example:8443/img/logo.png" })
	pages := map[string]func() (*http.Response, string){
		"confirm": func() (*http.Response, string) { return a.start(t, p, "token") },
		"done":    func() (*http.Response, string) { return a.register(t, p, "token") },
		"cancelled": func() (*http.Response, string) {
			_, page := a.start(t, p, "token")
			return a.post(t, url.Values{"confirmation": {confirmation(t, page)}, "action": {"cancel"}})
		},
		"error": func() (*http.Response, string) { return a.get(t, "/lti/register") },
	}
	for name, open := range pages {
		t.Run(name, func(t *testing.T) {
			res, page := open()
			policies := res.Header.Values("Content-Security-Policy")
			if len(policies) != 1 || policies[0] == sitePolicy {
				t.Fatalf("policies %q, want the page's own, replacing the site's", policies)
			}
			d := directives(policies[0])
			if got := strings.Join(d["default-src"], " "); got != "'none'" {
				t.Errorf("default-src %q, want 'none'", got)
			}
			if got := strings.Join(d["form-action"], " "); got != "'self'" {
				t.Errorf("form-action %q, want 'self'", got)
			}
			wantImg := "https://cdn.example:8443" // the logo's origin
			if name == "error" {
				wantImg = "'none'" // the error page shows no logo
			}
			if got := strings.Join(d["img-src"], " "); got != wantImg {
				t.Errorf("img-src %q, want %s", got, wantImg)
			}
			inline := inlineRE.FindAllStringSubmatch(page, -1)
			if name == "done" || name == "cancelled" {
				if !closes(page) {
					t.Errorf("the page does not close the window: %s", text(page))
				}
			}
			for _, m := range inline {
				sum := sha256.Sum256([]byte(m[2]))
				want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
				if sources := d[m[1]+"-src"]; len(sources) != 1 || sources[0] != want {
					t.Errorf("%s-src %q, want exactly the hash of the page's %s %s", m[1], sources, m[1], want)
				}
			}
			if len(inline) == 0 {
				t.Error("no inline style sheet found: the pattern is out of date")
			}
		})
	}
}
