package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// fakeClock is a clock the test moves: Now stands still until Advance,
// which fires the timers After made that are due. It is safe for
// concurrent use.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 30, 0, 250e6, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.ch <- c.now
		return true
	})
}

// env is a fake platform, a tool registered with it, and a learner's
// launch with grades granted.
type env struct {
	p     *ltitest.Platform
	tool  *tool.Tool
	l     *tool.Launch
	clock *fakeClock
}

// newEnv launches the tool from a fresh fake platform.
func newEnv(t testing.TB, opts ...ltitest.Option) *env {
	t.Helper()
	p := ltitest.NewPlatform(t, opts...)
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	regs, err := tool.NewMemoryPlatforms(p.Registration())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tl, err := tool.New(tool.Config{Platforms: regs, Keys: ring, BaseURL: srv.URL, Logger: slog.New(slog.DiscardHandler),
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	var mu sync.Mutex
	var seen *tool.Launch
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		mu.Lock()
		seen = l
		mu.Unlock()
	})))
	p.SetRedirectURIs(srv.URL + "/lti/launch")
	p.SetToolJWKSURL(srv.URL + "/jwks")
	res := p.Launch(t, srv.URL+"/lti/login", ltitest.Message{AGS: true})
	res.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if seen == nil || seen.AGS == nil || seen.AGS.LineItem == "" {
		t.Fatalf("launch with grades failed: %s; violations %v", res.Status, p.Violations())
	}
	return &env{p: p, tool: tl, l: seen, clock: newFakeClock()}
}

// learners makes n learners members of the course, besides the launch's
// user, and returns their ids.
func (e *env) learners(n int) []string {
	ids := make([]string, n)
	members := []ltitest.Member{{UserID: e.l.Subject, Roles: tool.Roles{tool.RoleLearner}}}
	for i := range ids {
		ids[i] = fmt.Sprint("learner-", i)
		members = append(members, ltitest.Member{UserID: ids[i], Roles: tool.Roles{tool.RoleLearner}})
	}
	e.p.SetRoster(members...)
	return ids
}

// failures collects what an outbox reports to Config.OnFailure.
type failures struct {
	mu   sync.Mutex
	list []outbox.Failure
}

func (f *failures) add(x outbox.Failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, x)
}

func (f *failures) get() []outbox.Failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.list)
}

// open starts an outbox on the env's tool and clock, with a fixed 1-second
// backoff unless cfg says otherwise and a MemoryStore unless cfg names a
// store; the test's cleanup closes it.
func (e *env) open(t testing.TB, cfg outbox.Config, fails *failures) *outbox.Outbox {
	t.Helper()
	cfg.Tool, cfg.Now, cfg.After = e.tool, e.clock.Now, e.clock.After
	if cfg.Store == nil && cfg.Dir == "" {
		cfg.Store = outbox.NewMemoryStore()
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(int) time.Duration { return time.Second }
	}
	if fails != nil {
		cfg.OnFailure = fails.add
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ob, err := outbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // end what a test left in flight
		ob.Close(ctx)
	})
	return ob
}

// delivery is a graded score for user on the launch's line item.
func (e *env) delivery(user string, given float64) outbox.Delivery {
	return outbox.Delivery{Issuer: e.l.Issuer, ClientID: e.l.ClientID, DeploymentID: e.l.DeploymentID,
		Endpoint: *e.l.AGS, Score: tool.Score{UserID: user, ScoreGiven: given, ScoreMaximum: 10,
			ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded}}
}

// lineItem returns the gradebook's line item at u.
func (e *env) lineItem(t testing.TB, u string) ltitest.LineItem {
	t.Helper()
	for _, li := range e.p.Gradebook().LineItems {
		if li.ID == u {
			return li
		}
	}
	t.Fatalf("no line item %s in the gradebook", u)
	return ltitest.LineItem{}
}

// grade is user's grade on the launch's line item, as the gradebook holds
// it.
func (e *env) grade(t testing.TB, user string) (float64, bool) {
	t.Helper()
	return e.lineItem(t, e.l.AGS.LineItem).Scores[user].Grade()
}

// flush runs ob.Flush, failing the test on error.
func flush(t testing.TB, ob *outbox.Outbox) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ob.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// enqueue runs ob.Enqueue, failing the test on error.
func enqueue(t testing.TB, ob *outbox.Outbox, d outbox.Delivery) {
	t.Helper()
	if err := ob.Enqueue(context.Background(), d); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

// holdUntilCancelled is a Fault.Hold that signals entered and then holds
// the request until the client gives up.
func holdUntilCancelled(entered chan<- struct{}) func(ctx context.Context) {
	return func(ctx context.Context) {
		entered <- struct{}{}
		<-ctx.Done()
	}
}

// errIs reports whether err matches want, nil matching only nil.
func errIs(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}
