package dynreg

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ltikit/ltikit/internal/browsertest"
)

// TestPages_CloseInBrowser opens the page after a registration in an LMS's
// iframe, in Chromium, behind a middleware that sets the starter project's
// site-wide policy first: the LMS gets the close message (DR-09) only when
// the page's own policy replaces the site's.
func TestPages_CloseInBrowser(t *testing.T) {
	const sitePolicy = "default-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors *"
	done := doneData{Name: "Quiz Tool", Issuer: "https://lms.example", ClientID: "c1"}
	tests := []struct {
		name  string
		page  http.HandlerFunc
		title string
	}{
		{"the page's own policy", func(w http.ResponseWriter, r *http.Request) {
			writePage(w, pagePolicy("https://cdn.example/logo.png"), http.StatusOK, donePage, done)
		}, "closed"},
		{"the site's policy only", func(w http.ResponseWriter, r *http.Request) {
			pages.ExecuteTemplate(w, donePage, done)
		}, "open"},
	}
	ctx := browsertest.New(t, context.Background())
	for _, tt := range tests {
		tool := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", sitePolicy)
			tt.page(w, r)
		}))
		t.Cleanup(tool.Close)
		lms := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, fmt.Sprintf(`<!doctype html><title>waiting</title>
<script>let closed = false; addEventListener("message", e => { if (e.data && e.data.subject === "org.imsglobal.lti.close") closed = true; });</script>
<iframe src="%s/lti/register" onload="setTimeout(() => { document.title = closed ? 'closed' : 'open'; }, 100)"></iframe>`, tool.URL))
		}))
		t.Cleanup(lms.Close)
		browsertest.Do(t, ctx, "open the LMS page", chromedp.Navigate(lms.URL))
		browsertest.WaitFor(t, ctx, "the frame to load", `document.title !== "waiting"`)
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		if err != nil || title != tt.title {
			t.Errorf("%s: the LMS page says %q (%v), want %q", tt.name, title, err, tt.title)
		}
	}
}
