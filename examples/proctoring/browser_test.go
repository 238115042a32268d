package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/internal/browsertest"
	"github.com/ltikit/ltikit/testing/ltitest"
)

// startDevApp starts the development LMS (the LMS of `ltikit dev`) on
// 127.0.0.1 and the proctoring tool, wired as newApp wires it, on
// localhost: another site, so that the tool's iframe in the LMS is
// cross-site as in production. The tool's handler is wrapped with
// ObserveTool, as `ltikit dev` does for its simulation. Both stop when the
// test ends.
func startDevApp(t *testing.T, p policy) (*ltitest.Platform, *app) {
	t.Helper()
	srv, err := devserver.Start(devserver.ForTest(t, devserver.Config{}), devserver.Platform{Name: "development LMS", Localhost: true,
		Options: func(toolURL string) []ltitest.Option {
			return []ltitest.Option{ltitest.WithDevLMS("Proctoring"), ltitest.WithDevProctoring(),
				ltitest.WithLoginURL(toolURL + "/lti/login"), ltitest.WithRedirectURIs(toolURL + "/lti/launch"),
				ltitest.WithToolJWKSURL(toolURL + "/.well-known/jwks.json")}
		}})
	if err != nil {
		t.Fatal(err)
	}
	a, h, err := wire(srv, p, slog.New(slog.DiscardHandler))
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Handle(srv.Platform.ObserveTool(h))
	devserver.ServeForTest(t, a)
	return srv.Platform, a
}

// TestProctoring_browser: the proctored attempt in a real browser, in the
// development LMS with its proctored assessment. Every participant's
// buttons are clickable. Ada starts the proctored attempt in the LMS's
// iframe, which lets the tool ask for the camera and full screen, passes
// the pre-check (name, checklist, consent; no webcam) and only then starts
// the attempt, which opens the monitor window; the platform accepts the
// tool's LtiStartAssessment and shows the assessment. The monitor shows
// the attempt in progress; it records its own loss of focus for
// information, and a copy as an incident, which the tool flags through
// the Assessment Control Service, shown in the LMS's Proctoring panel and
// message log. Closing the monitor is an incident too. Ada finishes: the
// platform sends LtiEndAssessment. Ian, the instructor, sees the events in
// the proctor dashboard.
func TestProctoring_browser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx = browsertest.New(t, ctx)
	lms, a := startDevApp(t, policy{FlagOn: 1, TerminateAfter: 3})

	// 1. Ada starts the proctored attempt: the pre-check in the iframe,
	// which may use the camera and full screen.
	browsertest.Do(t, ctx, "open the LMS", chromedp.Navigate(lms.URL+"/"))
	hit := browsertest.HitAtCentre(t, ctx, ".people button")
	for _, id := range []string{"launch-ian", "add-activity-ian", "launch-tara", "launch-ada", "proctored-attempt-ada",
		"launch-ben", "proctored-attempt-ben", "launch-chloe", "proctored-attempt-chloe"} {
		if !hit[id] {
			t.Errorf("button #%s is covered at its centre (or missing): %v", id, hit)
		}
	}
	browsertest.Do(t, ctx, "start the proctored attempt", chromedp.Click(chromedp.ID("proctored-attempt-ada")))
	pre := browsertest.Target(t, ctx, "iframe", a.URL, "#precheck-form")
	allowed, err := chromedp.Run(pre, chromedp.Evaluate[bool](
		`document.featurePolicy.allowsFeature("camera") && document.featurePolicy.allowsFeature("microphone") && document.fullscreenEnabled`))
	if err != nil || !allowed {
		t.Errorf("the LMS's iframe does not let the tool use the camera, the microphone and full screen: %v", err)
	}
	passPrecheck(t, pre)

	// The pre-check passed: the start page names the monitor window, which
	// is not open yet; its button opens it and starts the attempt.
	start := browsertest.Target(t, ctx, "iframe", a.URL, "#start-form")
	monitorPath, err := chromedp.Run(start, chromedp.Evaluate[string](`document.getElementById("start-form").dataset.monitor || ""`))
	if err != nil || !strings.HasPrefix(monitorPath, "/proctor/monitor/") {
		t.Fatalf("the start page names no monitor window: %q, %v", monitorPath, err)
	}
	infos, err := chromedp.Targets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if strings.Contains(info.URL, monitorPath) {
			t.Errorf("the monitor window opened before the attempt started: %s", info.URL)
		}
	}
	browsertest.Do(t, start, "start the attempt", chromedp.Click(chromedp.ID("start-assessment")))

	// 2. The platform verified the LtiStartAssessment and started the
	// attempt: its assessment page, on the LMS's origin, is in the iframe.
	browsertest.Eventually(t, "the LtiStartAssessment at the platform", func() bool { return len(lms.AssessmentStarts()) > 0 })
	starts := lms.AssessmentStarts()
	if s := starts[0]; len(starts) != 1 || !s.Accepted() || s.AttemptNumber != 1 || s.VerifiedUser["name"] != "Ada Park" {
		t.Fatalf("the platform's LtiStartAssessment records: %+v", starts)
	}
	browsertest.WaitFor(t, ctx, "the assessment page in the iframe",
		`(function () { var d = document.getElementById("tool").contentDocument;
		  return !!d && d.readyState === "complete" && !!d.getElementById("assessment") && d.getElementById("attempt-status").textContent === "running"; })()`)

	// 3. The monitor window the start opened shows the attempt in
	// progress, without a way to full screen (it would hide the exam). Its
	// loss of focus is recorded for information; a copy is an incident.
	mon := browsertest.Target(t, ctx, "page", a.URL+monitorPath, "#monitor")
	browsertest.WaitFor(t, mon, "the attempt in progress", `document.getElementById("monitor-status").textContent === "in progress"`)
	if fs, err := chromedp.Run(mon, chromedp.Evaluate[bool](`!!document.getElementById("enter-fullscreen")`)); err != nil || fs {
		t.Errorf("the monitor window offers full screen (%v)", err)
	}
	browsertest.Do(t, mon, "leave the monitor window", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event("blur"))`))
	browsertest.WaitFor(t, mon, "the blur recorded", `document.getElementById("event-log").innerText.includes("monitor-blur")`)
	browsertest.Do(t, mon, "copy in the monitor window", chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("copy"))`))
	browsertest.WaitFor(t, mon, "the incident counted", `document.getElementById("event-count").textContent === "1"`)

	// 4. The tool's policy flags the first incident, the copy, through ACS.
	browsertest.Eventually(t, "the flag at the platform's ACS", func() bool {
		return slices.ContainsFunc(lms.ProctoringActions(), func(x ltitest.ProctoringAction) bool { return x.Action == "flag" })
	})
	acts := lms.ProctoringActions()
	if x := acts[0]; len(acts) != 1 || !x.Accepted() || x.UserID != "ada" || x.ResourceLinkID != "final-exam" || x.AttemptNumber != 1 ||
		x.Result != "running" || x.ReasonCode != "copy" {
		t.Fatalf("the platform's ACS records: %+v", acts)
	}
	browsertest.WaitFor(t, ctx, "the proctoring panel",
		`(function () { var s = document.getElementById("proctoring").innerText;
		  return s.includes("LtiStartProctoring") && s.includes("accepted: attempt 1 started") && s.includes("ACS flag"); })()`)
	browsertest.WaitFor(t, ctx, "the message log",
		`(function () { var s = document.getElementById("log").innerText;
		  return s.includes("LtiStartAssessment ← tool") && s.includes("checks passed: attempt 1 started") && s.includes("ACS flag ← tool"); })()`)

	// Ada closes the monitor window: a second incident.
	browsertest.Do(t, mon, "close the monitor window", chromedp.Evaluate[chromedp.Void](`setTimeout(function () { window.close(); }, 0)`))
	browsertest.Eventually(t, "the closing recorded", func() bool {
		resp, err := http.Get(a.URL + monitorPath + "/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var res eventsResponse
		return json.NewDecoder(resp.Body).Decode(&res) == nil && res.Incidents == 2
	})

	// 5. Ada finishes the attempt: the platform sends LtiEndAssessment, as
	// the tool asked, and the tool's end page is in the iframe.
	browsertest.Do(t, ctx, "finish the attempt", chromedp.Evaluate[chromedp.Void](
		`document.getElementById("tool").contentDocument.getElementById("finish-attempt").click()`))
	end := browsertest.Target(t, ctx, "iframe", a.URL, "#attempt-ended")
	browsertest.WaitFor(t, end, "the tool's end page", `document.getElementById("attempt-ended").dataset.status === "ended"`)
	browsertest.WaitFor(t, ctx, "LtiEndAssessment in the proctoring panel",
		`(function () { var s = document.getElementById("proctoring").innerText;
		  return s.includes("LtiEndAssessment") && s.includes("complete"); })()`)

	// 6. Ian opens the proctor dashboard: Ada's session, with its event.
	browsertest.Do(t, ctx, "launch as the instructor", chromedp.Click(chromedp.ID("launch-ian")))
	dash := browsertest.Target(t, ctx, "iframe", a.URL, "#dashboard")
	browsertest.WaitFor(t, dash, "Ada's session", `document.getElementById("dashboard").innerText.includes("Ada Park")`)
	row, err := chromedp.Run(dash, chromedp.Text(chromedp.CSS(`#dashboard tbody tr[id^="session-"]`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ada Park", "attempt 1", "Final exam", "ended", "2"} {
		if !strings.Contains(row, want) {
			t.Errorf("dashboard row lacks %q: %q", want, row)
		}
	}
	browsertest.Do(t, dash, "open the session", chromedp.Click(chromedp.CSS(`#dashboard tbody tr[id^="session-"] a`)))
	sess := browsertest.Target(t, ctx, "iframe", a.URL+"/dashboard/sessions/", "#events")
	browsertest.WaitFor(t, sess, "the session's events", `(function () { var s = document.getElementById("events").innerText;
	  return s.includes("monitor window lost focus") && s.includes("text was copied") && s.includes("monitor window was closed"); })()`)
	controls, err := chromedp.Run(sess, chromedp.Text(chromedp.ID("controls")))
	if err != nil || !strings.Contains(controls, "flag") {
		t.Errorf("reported to the platform: %q, %v", controls, err)
	}
}

// passPrecheck passes the pre-check in the tool's page pre as Ada Park.
func passPrecheck(t *testing.T, pre context.Context) {
	t.Helper()
	// The page offers the snapshot only with a camera it may use; without
	// one (a headless browser has none) it says so, before the candidate
	// goes on (the note moves the form: wait for it before clicking).
	browsertest.WaitFor(t, pre, "the camera check", `(function () {
	  var camera = document.getElementById("snapshot-camera"), note = document.getElementById("snapshot-status");
	  return !!camera && !!note && (!camera.hidden || note.textContent.includes("No camera")); })()`)
	browsertest.Do(t, pre, "pass the pre-check",
		chromedp.SetValue(chromedp.ID("identity-name"), "Ada Park"),
		chromedp.Click(chromedp.ID("env-quiet")),
		chromedp.Click(chromedp.ID("env-alone")),
		chromedp.Click(chromedp.ID("env-materials")),
		chromedp.Click(chromedp.ID("consent")),
		chromedp.Click(chromedp.ID("start-attempt")))
}

// TestProctoring_browserTerminated: the tool terminates Ada's attempt at
// her first incident, through the Assessment Control Service, and the
// platform's assessment page in the iframe follows: the attempt shows as
// terminated, and Finish is disabled, with a note that says why.
func TestProctoring_browserTerminated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx = browsertest.New(t, ctx)
	lms, a := startDevApp(t, policy{TerminateAfter: 1})

	browsertest.Do(t, ctx, "open the LMS", chromedp.Navigate(lms.URL+"/"))
	browsertest.Do(t, ctx, "start the proctored attempt", chromedp.Click(chromedp.ID("proctored-attempt-ada")))
	passPrecheck(t, browsertest.Target(t, ctx, "iframe", a.URL, "#precheck-form"))
	start := browsertest.Target(t, ctx, "iframe", a.URL, "#start-form")
	monitorPath, err := chromedp.Run(start, chromedp.Evaluate[string](`document.getElementById("start-form").dataset.monitor || ""`))
	if err != nil || monitorPath == "" {
		t.Fatalf("the start page names no monitor window: %q, %v", monitorPath, err)
	}
	browsertest.Do(t, start, "start the attempt", chromedp.Click(chromedp.ID("start-assessment")))
	assessment := `(function () { var d = document.getElementById("tool").contentDocument;
	  return !!d && d.readyState === "complete" && !!d.getElementById("assessment") && d.getElementById("attempt-status").textContent === %q &&
	    d.getElementById("finish-attempt").disabled === %t && d.getElementById("attempt-note").textContent.includes(%q); })()`
	browsertest.WaitFor(t, ctx, "the running attempt", fmt.Sprintf(assessment, "running", false, ""))

	mon := browsertest.Target(t, ctx, "page", a.URL+monitorPath, "#monitor")
	browsertest.WaitFor(t, mon, "the attempt in progress", `document.getElementById("monitor-status").textContent === "in progress"`)
	browsertest.Do(t, mon, "copy in the monitor window", chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("copy"))`))
	browsertest.Eventually(t, "the termination at the platform's ACS", func() bool {
		return slices.ContainsFunc(lms.ProctoringActions(), func(x ltitest.ProctoringAction) bool { return x.Action == "terminate" && x.Accepted() })
	})
	browsertest.WaitFor(t, ctx, "the terminated attempt on the assessment page", fmt.Sprintf(assessment, "terminated", true, "terminated this attempt"))
}
