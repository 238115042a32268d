package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ltikit/ltikit/examples/simulation/sim"
	"github.com/ltikit/ltikit/internal/browsertest"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the development LMS with the simulation launched to this PNG `file`")

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
			browsertest.Do(t, fctx, fmt.Sprintf("shot at target %d", i+1),
				chromedp.SetValue(chromedp.ID("angle"), "45"),
				chromedp.SetValue(chromedp.ID("speed"), strconv.FormatFloat(v, 'f', 2, 64)),
				chromedp.Click(chromedp.ID("fire")))
			fired++
			browsertest.WaitFor(t, fctx, fmt.Sprintf("shot %d to land", fired),
				`document.querySelectorAll("#shots li").length === `+strconv.Itoa(fired))
		}
	}
	browsertest.WaitFor(t, fctx, "the scored attempt", `!document.getElementById("result").hidden && document.getElementById("accuracy").textContent !== ""`)
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
	ctx = browsertest.New(t, ctx)

	d := startTestDev(t, devConfig{addr: "127.0.0.1:0"})
	lms := d.lms.URL + "/"

	// 0. Every participant's buttons can be clicked: nothing covers them.
	browsertest.Do(t, ctx, "open the LMS", chromedp.Navigate(lms))
	hit := browsertest.HitAtCentre(t, ctx, ".people button")
	for _, id := range []string{"launch-ian", "add-activity-ian", "launch-tara", "launch-ada", "launch-ben", "launch-chloe"} {
		if !hit[id] {
			t.Errorf("button #%s is covered at its centre (or missing): %v", id, hit)
		}
	}
	if len(hit) != 6 {
		t.Errorf("participants' buttons: %v, want the five Launch buttons and the instructor's Add activity", hit)
	}

	// 1. A learner plays the default activity.
	browsertest.Do(t, ctx, "launch as a learner", chromedp.Click(chromedp.ID("launch-ada")))
	lab := browsertest.Target(t, ctx, "iframe", d.toolURL, "#fire")
	if acc := playLab(t, lab, []int{0, 0, 0}); acc != "100%" {
		t.Errorf("first attempt: accuracy %q, want 100%%", acc)
	}
	browsertest.WaitFor(t, ctx, "the grade in the gradebook", `document.querySelector("#gradebook table").innerText.includes("100 / 100")`)
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
	browsertest.Do(t, lab, "try again", chromedp.Click(chromedp.ID("again")))
	if acc := playLab(t, lab, []int{1, 0, 0}); acc != "75%" {
		t.Errorf("second attempt: accuracy %q, want 75%%", acc)
	}
	browsertest.WaitFor(t, ctx, "the latest grade in the gradebook", `document.querySelector("#gradebook table").innerText.includes("75 / 100")`)
	li, ok := d.lms.Gradebook().LineItemFor("activity-1")
	if g, graded := li.Scores["ada"].Grade(); !ok || !graded || g != 75 || len(li.Posts) != 2 {
		t.Errorf("the LMS's gradebook: got grade %v (%v) after %d posts, want 75 after 2", g, graded, len(li.Posts))
	}

	// 3. The instructor adds a scenario by deep linking.
	browsertest.Do(t, ctx, "add an activity", chromedp.Click(chromedp.ID("add-activity-ian")))
	catalog := browsertest.Target(t, ctx, "iframe", d.toolURL, "#catalog")
	browsertest.Do(t, catalog, "pick the Moon base", chromedp.Click(chromedp.ID("scenario-moon")), chromedp.Click(chromedp.ID("add")))
	browsertest.WaitFor(t, ctx, "the new activity", `document.getElementById("activities").innerText.includes("Moon base")`)
	browsertest.WaitFor(t, ctx, "its gradebook column", `document.querySelector("#gradebook table thead").innerText.includes("Moon base")`)

	// 4. The instructor launches the first activity: the class from NRPS,
	// with the results from AGS.
	browsertest.Do(t, ctx, "launch as the instructor",
		chromedp.Click(chromedp.CSS(`input[name="activity"][value="activity-1"]`)),
		chromedp.Click(chromedp.ID("launch-ian")))
	class := browsertest.Target(t, ctx, "iframe", d.toolURL, "#class")
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
	browsertest.WaitFor(t, ctx, "the launches in the message log",
		`(document.getElementById("log").innerText.match(/the tool accepted the launch/g) || []).length === 3`)
	logText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("log")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logText, "refused") {
		t.Errorf("message log: something was refused:\n%.4000s", logText)
	}
}
