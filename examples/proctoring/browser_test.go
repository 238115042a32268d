package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ltikit/ltikit/internal/browsertest"
	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// startDevApp starts the development LMS (the LMS of `ltikit dev`) on
// 127.0.0.1 and the proctoring tool, wired as newApp wires it, on
// localhost: another site, so that the tool's iframe in the LMS is
// cross-site as in production. The tool's handler is wrapped with
// ObserveTool, as `ltikit dev` does for its simulation. Both stop when the
// test ends.
func startDevApp(t *testing.T, p policy) (*ltitest.Platform, *app) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	a := &app{toolURL: "http://localhost:" + port, ln: ln}
	lms, err := ltitest.Start(ltitest.WithAddr("127.0.0.1:0"), ltitest.WithDevLMS("Proctoring"),
		ltitest.WithLoginURL(a.toolURL+"/lti/login"), ltitest.WithRedirectURIs(a.toolURL+"/lti/launch"),
		ltitest.WithToolJWKSURL(a.toolURL+"/.well-known/jwks.json"))
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	// app.close closes the platform it holds; the LMS is the test's.
	t.Cleanup(lms.Close)
	if a.keys, err = jwks.LoadKeyDir(t.TempDir()); err != nil {
		ln.Close()
		t.Fatal(err)
	}
	regs, err := tool.NewMemoryPlatforms(lms.Registration())
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	if a.tool, err = tool.New(tool.Config{BaseURL: a.toolURL, Platforms: regs, Keys: a.keys, Logger: logger}); err != nil {
		ln.Close()
		t.Fatal(err)
	}
	s, err := newSite(a, p, logger)
	if err != nil {
		a.close()
		t.Fatal(err)
	}
	a.srv = &http.Server{Handler: lms.ObserveTool(newRouter(a.tool, s)), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- a.serve() }()
	t.Cleanup(func() {
		if err := a.shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return lms, a
}

// TestProctoring_browser: the proctored attempt in a real browser, in the
// development LMS. Ada starts the proctored attempt in the LMS's iframe,
// passes the pre-check (name, checklist, consent; no webcam), and the
// platform accepts the tool's LtiStartAssessment and shows the assessment.
// The monitor window records a copy; the tool flags the attempt through
// the Assessment Control Service, and the LMS's Proctoring panel shows it.
// Ada finishes: the platform sends LtiEndAssessment. Ian, the instructor,
// sees the event in the proctor dashboard.
func TestProctoring_browser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx = browsertest.New(t, ctx)
	lms, a := startDevApp(t, policy{FlagOn: 1, TerminateAfter: 3})

	// 1. Ada starts the proctored attempt: the pre-check in the iframe.
	browsertest.Do(t, ctx, "open the LMS", chromedp.Navigate(lms.URL+"/"), chromedp.Click(chromedp.ID("proctored-attempt-ada")))
	pre := browsertest.Target(t, ctx, "iframe", a.toolURL, "#precheck-form")
	monitorPath, err := chromedp.Run(pre, chromedp.Evaluate[string](`document.getElementById("precheck-form").dataset.monitor || ""`))
	if err != nil || !strings.HasPrefix(monitorPath, "/proctor/monitor/") {
		t.Fatalf("the pre-check names no monitor window: %q, %v", monitorPath, err)
	}
	browsertest.Do(t, pre, "pass the pre-check",
		chromedp.SetValue(chromedp.ID("identity-name"), "Ada Park"),
		chromedp.Click(chromedp.ID("env-quiet")),
		chromedp.Click(chromedp.ID("env-alone")),
		chromedp.Click(chromedp.ID("env-materials")),
		chromedp.Click(chromedp.ID("consent")),
		chromedp.Click(chromedp.ID("start-attempt")))

	// 2. The platform verified the LtiStartAssessment and started the
	// attempt: its assessment page, on the LMS's origin, is in the iframe.
	browsertest.Eventually(t, "the LtiStartAssessment at the platform", func() bool { return len(lms.AssessmentStarts()) > 0 })
	starts := lms.AssessmentStarts()
	if s := starts[0]; len(starts) != 1 || !s.Accepted() || s.AttemptNumber != 1 || s.VerifiedUser["name"] != "Ada Park" {
		t.Fatalf("the platform's LtiStartAssessment records: %+v", starts)
	}
	browsertest.WaitFor(t, ctx, "the assessment page in the iframe",
		`(function () { var d = document.getElementById("tool").contentDocument;
		  return !!d && !!d.getElementById("assessment") && d.getElementById("attempt-status").textContent === "running"; })()`)

	// 3. The monitor window the pre-check opened records a copy.
	mon := monitorWindow(t, ctx, a.toolURL+monitorPath)
	browsertest.Do(t, mon, "copy in the monitor window", chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("copy"))`))
	browsertest.WaitFor(t, mon, "the event recorded", `document.getElementById("event-count").textContent === "1"`)

	// 4. The tool's policy flags the first event through ACS.
	browsertest.Eventually(t, "the flag at the platform's ACS", func() bool {
		return slices.ContainsFunc(lms.ProctoringActions(), func(x ltitest.ProctoringAction) bool { return x.Action == "flag" })
	})
	acts := lms.ProctoringActions()
	if x := acts[0]; len(acts) != 1 || !x.Accepted() || x.UserID != "ada" || x.ResourceLinkID != "final-exam" || x.AttemptNumber != 1 || x.Result != "running" {
		t.Fatalf("the platform's ACS records: %+v", acts)
	}
	browsertest.WaitFor(t, ctx, "the proctoring panel",
		`(function () { var s = document.getElementById("proctoring").innerText;
		  return s.includes("LtiStartProctoring") && s.includes("accepted: attempt 1 started") && s.includes("ACS flag"); })()`)

	// 5. Ada finishes the attempt: the platform sends LtiEndAssessment, as
	// the tool asked, and the tool's end page is in the iframe.
	browsertest.Do(t, ctx, "finish the attempt", chromedp.Evaluate[chromedp.Void](
		`document.getElementById("tool").contentDocument.getElementById("finish-attempt").click()`))
	end := browsertest.Target(t, ctx, "iframe", a.toolURL, "#attempt-ended")
	browsertest.WaitFor(t, end, "the tool's end page", `document.getElementById("attempt-ended").dataset.status === "ended"`)
	browsertest.WaitFor(t, ctx, "LtiEndAssessment in the proctoring panel",
		`(function () { var s = document.getElementById("proctoring").innerText;
		  return s.includes("LtiEndAssessment") && s.includes("complete"); })()`)

	// 6. Ian opens the proctor dashboard: Ada's session, with its event.
	browsertest.Do(t, ctx, "launch as the instructor", chromedp.Click(chromedp.ID("launch-ian")))
	dash := browsertest.Target(t, ctx, "iframe", a.toolURL, "#dashboard")
	browsertest.WaitFor(t, dash, "Ada's session", `document.getElementById("dashboard").innerText.includes("Ada Park")`)
	row, err := chromedp.Run(dash, chromedp.Text(chromedp.CSS(`#dashboard tbody tr[id^="session-"]`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ada Park", "attempt 1", "Final exam", "ended", "1"} {
		if !strings.Contains(row, want) {
			t.Errorf("dashboard row lacks %q: %q", want, row)
		}
	}
	browsertest.Do(t, dash, "open the session", chromedp.Click(chromedp.CSS(`#dashboard tbody tr[id^="session-"] a`)))
	sess := browsertest.Target(t, ctx, "iframe", a.toolURL+"/dashboard/sessions/", "#events")
	browsertest.WaitFor(t, sess, "the session's events", `document.getElementById("events").innerText.includes("text was copied")`)
	controls, err := chromedp.Run(sess, chromedp.Text(chromedp.ID("controls")))
	if err != nil || !strings.Contains(controls, "flag") {
		t.Errorf("reported to the platform: %q, %v", controls, err)
	}
}

// monitorWindow returns the monitor window the pre-check opened as a popup,
// or, when the browser blocked it, the monitor opened in a tab of its own.
func monitorWindow(t *testing.T, ctx context.Context, url string) context.Context {
	t.Helper()
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type == "page" && info.URL == url {
			return browsertest.Target(t, ctx, "page", url, "#monitor")
		}
	}
	t.Logf("no monitor popup among the browser's targets: opening %s in a tab", url)
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	browsertest.Do(t, tab, "open the monitor", chromedp.Navigate(url))
	browsertest.WaitFor(t, tab, "the monitor", `!!document.getElementById("monitor")`)
	return tab
}
