// Package browsertest drives a headless Chromium for the repository's
// browser tests (cmd/ltikit's TestDev_browser, the proctoring example's
// TestProctoring_browser): the browser lookup, the flags it runs with and the
// polling helpers the tests share.
//
// A test without a Chromium skips, unless the browser is required: in CI
// (CI=true) or when LTIKIT_CHROMIUM names it, where it fails instead.
package browsertest

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

// ChromiumEnv names the browser the browser tests drive; .ci/run sets it.
const ChromiumEnv = "LTIKIT_CHROMIUM"

// Chromium returns the Chromium to drive: the one ChromiumEnv names, or
// the first of chromium, chromium-browser, google-chrome and
// google-chrome-stable on the PATH. Without one the test skips, unless the
// browser is required: in CI (CI=true) or when ChromiumEnv names it.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s=%s: %v", ChromiumEnv, p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium found, and CI needs the browser tests: install Debian's chromium (.ci/run does) or set %s", ChromiumEnv)
	}
	t.Skipf("no Chromium found (chromium, chromium-browser, google-chrome): skipping the browser test; install it or set %s", ChromiumEnv)
	return ""
}

// New starts a headless Chromium (see Chromium) with a fresh profile in a
// temporary directory, closed when the test ends, and returns the context
// of its first tab. The browser runs at 1440×900, without sandbox, GPU,
// first-run pages, background networking, component updates, sync or
// QUIC, and with its scrollbars hidden.
func New(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	actx, cancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(Chromium(t)),
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

// Do runs steps, failing the test with what was being done.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// WaitFor polls the JavaScript predicate in ctx's page, every 100ms for
// up to 30 seconds, until it holds. On timeout it fails the test with
// what it waited for and the page's text.
func WaitFor(t testing.TB, ctx context.Context, what, predicate string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("waiting for %s (%s): %v\npage text:\n%.3000s", what, predicate, err, text)
	}
}

// Eventually polls cond, a check outside the browser (on a server's
// records, say), every 100ms until it holds or 30 seconds pass.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(100 * time.Millisecond) // polling the browser's effects, not timing the code under test
	}
}

// Target returns the context of the browser target of type kind ("iframe"
// or "page") whose URL starts with prefix and whose document has selector,
// waiting up to 30 seconds for it: Chromium runs a cross-site iframe, and
// a popup, as a target of its own. The context is closed when the test
// ends.
func Target(t testing.TB, ctx context.Context, kind, prefix, selector string) context.Context {
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

// HitAtCentre reports, for each element selector matches in ctx's page
// (scrolled into view), whether it is the element at its own centre:
// whether a click there reaches it rather than something covering it.
// The map is keyed by element id.
func HitAtCentre(t testing.TB, ctx context.Context, selector string) map[string]bool {
	t.Helper()
	hit, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]bool](`(function () {
	  var hit = {};
	  document.querySelectorAll(`+strconv.Quote(selector)+`).forEach(function (el) {
	    el.scrollIntoView({block: "nearest"});
	    var r = el.getBoundingClientRect();
	    hit[el.id] = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === el;
	  });
	  return hit;
	})()`))
	if err != nil {
		t.Fatalf("hit test of %s: %v", selector, err)
	}
	return hit
}
