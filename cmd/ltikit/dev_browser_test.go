package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ltikit/ltikit/examples/simulation/sim"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the development LMS with the simulation launched to this PNG `file`")

// chromiumEnv names the browser the browser tests drive; .ci/run sets it.
const chromiumEnv = "LTIKIT_CHROMIUM"

// chromium returns the Chromium to drive. Without one the test skips,
// unless the browser is required: in CI (CI=true) or when LTIKIT_CHROMIUM
// names it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(chromiumEnv); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=%s: %v", chromiumEnv, p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium found, and CI needs the browser tests: install Debian's chromium (.ci/run does) or set %s", chromiumEnv)
	}
	t.Skipf("no Chromium found (chromium, chromium-browser, google-chrome): skipping the browser test; install it or set %s", chromiumEnv)
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile, closed when
// the test ends, and returns the context of its first tab.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	actx, cancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancel)
	return bctx
}

// do runs steps, failing the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls the JavaScript predicate in ctx's page until it holds.
func waitFor(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%.3000s", what, predicate, err, text)
	}
}

// toolFrame returns the context of the tool's iframe once it shows a page
// of the tool at toolURL that has selector: Chromium runs a cross-site
// iframe as a target of its own.
func toolFrame(t *testing.T, ctx context.Context, toolURL, selector string) context.Context {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type != "iframe" || !strings.HasPrefix(info.URL, toolURL) {
				continue
			}
			fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			t.Cleanup(cancel)
			found, err := chromedp.Run(fctx, chromedp.Evaluate[bool](`!!document.querySelector(`+strconv.Quote(selector)+`)`))
			if err == nil && found {
				return fctx
			}
		}
		if time.Now().After(deadline) {
			var urls []string
			for _, info := range infos {
				urls = append(urls, info.Type+" "+info.URL)
			}
			t.Fatalf("no iframe of the tool at %s shows %s; targets: %v", toolURL, selector, urls)
		}
		time.Sleep(100 * time.Millisecond) // polling the browser, not timing the code under test
	}
}

// playLab plays the lab in the tool's frame to the end: at 45°, each
// target hit with the speed the physics gives, after the given number of
// deliberate misses on each target. It returns the accuracy shown.
func playLab(t *testing.T, fctx context.Context, misses []int) string {
	t.Helper()
	var cfg struct {
		Gravity, Height, Tolerance float64
		Targets                    []float64
		Shots                      int
	}
	cfgJSON, err := chromedp.Run(fctx, chromedp.Evaluate[string](`document.getElementById("lab").dataset.config`))
	if err != nil {
		t.Fatalf("lab config: %v", err)
	}
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		t.Fatalf("lab config %s: %v", cfgJSON, err)
	}
	s := sim.Scenario{Gravity: cfg.Gravity, Height: cfg.Height, Targets: cfg.Targets, Tolerance: cfg.Tolerance, Shots: cfg.Shots}
	fired := 0
	for i, d := range s.Targets {
		speed, ok := s.Aim(45, d)
		if !ok {
			t.Fatalf("target %d at %v m cannot be hit at 45°", i+1, d)
		}
		for m := 0; m <= misses[i]; m++ {
			v := speed
			if m < misses[i] {
				v = speed * 0.8 // short
			}
			do(t, fctx, fmt.Sprintf("shot at target %d", i+1),
				chromedp.SetValue(chromedp.ID("angle"), "45"),
				chromedp.SetValue(chromedp.ID("speed"), strconv.FormatFloat(v, 'f', 2, 64)),
				chromedp.Click(chromedp.ID("fire")))
			fired++
			waitFor(t, fctx, fmt.Sprintf("shot %d to land", fired),
				`document.querySelectorAll("#shots li").length === `+strconv.Itoa(fired))
		}
	}
	waitFor(t, fctx, "the scored attempt", `!document.getElementById("result").hidden && document.getElementById("accuracy").textContent !== ""`)
	acc, err := chromedp.Run(fctx, chromedp.Text(chromedp.ID("accuracy")))
	if err != nil {
		t.Fatalf("accuracy: %v", err)
	}
	msg, _ := chromedp.Run(fctx, chromedp.Text(chromedp.ID("grade-message")))
	if !strings.Contains(msg, "gradebook") {
		t.Errorf("grade message: got %q, want the grade sent to the gradebook", msg)
	}
	return acc
}

// The newcomer's path in a real browser: open `ltikit dev`, launch the
// simulation as a learner in the iframe (the tool on localhost, the LMS on
// 127.0.0.1: a cross-site iframe whose cookies must work), play it, see
// the grade in the gradebook; try again and see the latest grade kept;
// add a scenario by deep linking as the instructor; see the class with
// its results.
func TestDev_browser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx = newBrowser(t, ctx)

	d := startTestDev(t, devConfig{addr: "127.0.0.1:0"})
	lms := d.lms.URL + "/"

	// 1. A learner plays the default activity.
	do(t, ctx, "open the LMS", chromedp.Navigate(lms), chromedp.Click(chromedp.ID("launch-ada")))
	lab := toolFrame(t, ctx, d.toolURL, "#fire")
	if acc := playLab(t, lab, []int{0, 0, 0}); acc != "100%" {
		t.Errorf("first attempt: accuracy %q, want 100%%", acc)
	}
	waitFor(t, ctx, "the grade in the gradebook", `document.querySelector("#gradebook table").innerText.includes("100 / 100")`)
	if *screenshot != "" {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// 2. Again, missing the first target once: 3 hits in 4 shots. The
	// gradebook keeps the latest score.
	do(t, lab, "try again", chromedp.Click(chromedp.ID("again")))
	if acc := playLab(t, lab, []int{1, 0, 0}); acc != "75%" {
		t.Errorf("second attempt: accuracy %q, want 75%%", acc)
	}
	waitFor(t, ctx, "the latest grade in the gradebook", `document.querySelector("#gradebook table").innerText.includes("75 / 100")`)
	li, ok := d.lms.Gradebook().LineItemFor("activity-1")
	if g, graded := li.Scores["ada"].Grade(); !ok || !graded || g != 75 || len(li.Posts) != 2 {
		t.Errorf("the LMS's gradebook: got grade %v (%v) after %d posts, want 75 after 2", g, graded, len(li.Posts))
	}

	// 3. The instructor adds a scenario by deep linking.
	do(t, ctx, "add an activity", chromedp.Click(chromedp.ID("add-activity-ian")))
	catalog := toolFrame(t, ctx, d.toolURL, "#catalog")
	do(t, catalog, "pick the Moon base", chromedp.Click(chromedp.ID("scenario-moon")), chromedp.Click(chromedp.ID("add")))
	waitFor(t, ctx, "the new activity", `document.getElementById("activities").innerText.includes("Moon base")`)
	waitFor(t, ctx, "its gradebook column", `document.querySelector("#gradebook table thead").innerText.includes("Moon base")`)

	// 4. The instructor launches the first activity: the class from NRPS,
	// with the results from AGS.
	do(t, ctx, "launch as the instructor",
		chromedp.Click(chromedp.CSS(`input[name="activity"][value="activity-1"]`)),
		chromedp.Click(chromedp.ID("launch-ian")))
	class := toolFrame(t, ctx, d.toolURL, "#class")
	rows, err := chromedp.Run(class, chromedp.Text(chromedp.ID("class")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ada Park", "75 / 100", "Ben Okafor", "Chloé Martin"} {
		if !strings.Contains(rows, want) {
			t.Errorf("class results lack %q:\n%s", want, rows)
		}
	}
	if strings.Contains(rows, "Ian Wright") {
		t.Errorf("class results list the instructor:\n%s", rows)
	}

	// The LMS saw the tool accept each of the three launches: the
	// cross-site cookies worked.
	waitFor(t, ctx, "the launches in the message log",
		`(document.getElementById("log").innerText.match(/the tool accepted the launch/g) || []).length === 3`)
	logText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("log")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logText, "refused") {
		t.Errorf("message log: something was refused:\n%.4000s", logText)
	}
}
