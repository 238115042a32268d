package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The headless Chromium the browser test drives, as in cmd/ltikit's
// TestDev_browser: the same browser lookup, flags and polling helpers.

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

// eventually polls cond, a check on the servers' records, until it holds
// or 30 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(100 * time.Millisecond) // polling the browser's effects, not timing the code under test
	}
}

// target returns the context of the browser target of type kind ("iframe"
// or "page") whose URL starts with prefix and whose document has selector:
// Chromium runs a cross-site iframe, and a popup, as a target of its own.
func target(t *testing.T, ctx context.Context, kind, prefix, selector string) context.Context {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatalf("targets: %v", err)
		}
		for _, info := range infos {
			if info.Type != kind || !strings.HasPrefix(info.URL, prefix) {
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
			t.Fatalf("no %s at %s shows %s; targets: %v", kind, prefix, selector, urls)
		}
		time.Sleep(100 * time.Millisecond) // polling the browser, not timing the code under test
	}
}
