package outbox_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// TestOutbox_Faults sends one score through each way a platform fails and
// reads the gradebook: a temporary fault is retried until the score is
// there, a permanent one goes to OnFailure with its reason and is not
// retried. Each case runs against the plain and the Moodle platform.
func TestOutbox_Faults(t *testing.T) {
	t.Parallel()
	fault := func(f ltitest.Fault) func(*env) { return func(e *env) { e.p.InjectFault(f) } }
	scores, lineItems := ltitest.EndpointScores, ltitest.EndpointLineItems
	// byLink names the launch's line item by resource link, as Post does
	// when the launch carries no line item URL.
	byLink := func(e *env) outbox.Delivery {
		d := e.delivery(e.l.Subject, 7)
		d.Endpoint.LineItem, d.ResourceLinkID = "", e.l.ResourceLink.ID
		return d
	}
	tests := []struct {
		name     string
		setup    func(e *env)                      // faults to inject
		delivery func(e *env) outbox.Delivery      // default: the launch's line item and learner
		wantErr  error                             // nil: delivered; else the Failure's error
		cfg      func(c *outbox.Config)            // optional
		check    func(t *testing.T, e *env, n int) // optional, after the last round (n rounds)
	}{
		{name: "AGS-SC-03/accepted at once", check: wantRounds(1)},
		{name: "AGS-SC-03/dropped connection", setup: fault(ltitest.Fault{Endpoint: scores, Drop: true, Times: 2}), check: wantRounds(3)},
		{name: "AGS-SC-03/500 three times", setup: fault(ltitest.Fault{Endpoint: scores, Status: 500, Times: 3}), check: wantRounds(4)},
		{name: "AGS-SC-03/503 with Retry-After", setup: fault(ltitest.Fault{Endpoint: scores, Status: 503, RetryAfter: 20 * time.Second, Times: 2}), check: wantRounds(3)},
		{name: "AGS-SC-03/429 with Retry-After", setup: fault(ltitest.Fault{Endpoint: scores, Status: 429, RetryAfter: 30 * time.Second, Times: 1}), check: wantRounds(2)},
		{name: "SEC-CC-06/token endpoint down for a while", setup: func(e *env) { e.p.TokenEndpointDown(3) }, check: wantRounds(4)},
		{name: "SEC-CC-06/token endpoint drops the connection", setup: fault(ltitest.Fault{Endpoint: ltitest.EndpointToken, Drop: true, Times: 1}), check: wantRounds(2)},
		{name: "AGS-TOK-01/expired token: 401, fresh token, accepted", setup: fault(ltitest.Fault{Endpoint: scores, Status: 401, Times: 1}), check: wantTokens(2)},
		{name: "AGS-SC-02/409: re-stamped once, accepted", setup: fault(ltitest.Fault{Endpoint: scores, Status: 409, Times: 1}), check: wantRounds(1)},

		{name: "AGS-LI-02/by resource link: accepted at once", delivery: byLink, check: wantRounds(1)},
		{name: "AGS-LI-02/by resource link: line items 500 twice", delivery: byLink,
			setup: fault(ltitest.Fault{Endpoint: lineItems, Status: 500, Times: 2}), check: wantRounds(3)},
		{name: "AGS-PAGE-01/by resource link: malformed Link headers", delivery: byLink,
			setup: fault(ltitest.Fault{Endpoint: lineItems, MalformedLinks: true}), check: wantRounds(1)},
		{name: "AGS-SC-03/by resource link: scores 503 once", delivery: byLink,
			setup: fault(ltitest.Fault{Endpoint: scores, Status: 503, Times: 1}), check: wantRounds(2)},

		{name: "AGS-LI-02/by resource link: line items 403 is permanent", delivery: byLink,
			setup: fault(ltitest.Fault{Endpoint: lineItems, Status: 403}), wantErr: tool.ErrServiceForbidden},
		{name: "AGS-SC-01/400 is permanent", setup: fault(ltitest.Fault{Endpoint: scores, Status: 400, Times: 1}), wantErr: tool.ErrServiceBadRequest},
		{name: "AGS-SC-03/403 (activity closed) is permanent", setup: fault(ltitest.Fault{Endpoint: scores, Status: 403}), wantErr: tool.ErrServiceForbidden},
		{name: "AGS-LI-02/404 is permanent", setup: fault(ltitest.Fault{Endpoint: scores, Status: 404}), wantErr: tool.ErrServiceNotFound},
		{name: "AGS-TOK-01/401 again with a fresh token is permanent", setup: fault(ltitest.Fault{Endpoint: scores, Status: 401, Times: 2}),
			wantErr: tool.ErrServiceUnauthorized, check: wantTokens(2)},
		{name: "AGS-SC-02/409 again after re-stamping is permanent", setup: fault(ltitest.Fault{Endpoint: scores, Status: 409, Times: 2}), wantErr: tool.ErrServiceConflict},
		{name: "AGS-SCOPE-01/score scope withdrawn after the launch is permanent", wantErr: tool.ErrScopeNotGranted,
			setup: func(e *env) { e.p.SetScopes(tool.ScopeLineItemReadOnly) }},
		{name: "SEC-CC-01/unknown registration is permanent", wantErr: tool.ErrUnknownPlatform,
			delivery: func(e *env) outbox.Delivery {
				d := e.delivery(e.l.Subject, 7)
				d.ClientID = "not-registered"
				return d
			}},
		{name: "AGS-SC-03/503 for longer than RetryFor expires", setup: fault(ltitest.Fault{Endpoint: scores, Status: 503}),
			wantErr: outbox.ErrExpired, cfg: func(c *outbox.Config) { c.RetryFor = 5 * time.Minute }},
		{name: "SEC-CC-04/token endpoint refusing for longer than RetryFor expires",
			setup:   fault(ltitest.Fault{Endpoint: ltitest.EndpointToken, Status: http.StatusBadRequest}),
			wantErr: tool.ErrTokenRequestFailed, cfg: func(c *outbox.Config) { c.RetryFor = 5 * time.Minute }},
	}
	for _, moodle := range []bool{false, true} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("moodle=%v/%s", moodle, tc.name), func(t *testing.T) {
				t.Parallel()
				var opts []ltitest.Option
				if moodle {
					opts = append(opts, ltitest.Moodle())
				}
				e := newEnv(t, opts...)
				var cfg outbox.Config
				if tc.cfg != nil {
					tc.cfg(&cfg)
				}
				var fails failures
				ob := e.open(t, cfg, &fails)
				d := e.delivery(e.l.Subject, 7)
				if tc.delivery != nil {
					d = tc.delivery(e)
				}
				if tc.setup != nil {
					tc.setup(e)
				}
				enqueue(t, ob, d)
				rounds := drive(t, e, ob, &fails, d.Score.UserID)

				got, graded := e.grade(t, d.Score.UserID)
				fl := fails.get()
				if tc.wantErr == nil {
					if !graded || got != 7 || len(fl) != 0 {
						t.Fatalf("gradebook: %v (graded %v), failures %v; want 7, none", got, graded, fl)
					}
				} else {
					if graded || len(fl) != 1 || !errIs(fl[0].Err, tc.wantErr) {
						t.Fatalf("gradebook: %v (graded %v), failures %+v; want no grade and one failure matching %v", got, graded, fl, tc.wantErr)
					}
					if fl[0].Delivery.Score.UserID != d.Score.UserID || fl[0].Attempts < 1 {
						t.Errorf("failure %+v does not name the score", fl[0])
					}
					// Permanent: not retried, not reported again.
					e.p.ClearFaults()
					e.clock.Advance(time.Hour)
					flush(t, ob)
					if _, graded := e.grade(t, d.Score.UserID); graded || len(fails.get()) != 1 {
						t.Errorf("a failed score was retried: %v, %v", graded, fails.get())
					}
				}
				if tc.check != nil {
					tc.check(t, e, rounds)
				}
			})
		}
	}
}

// drive flushes ob, advancing the clock a minute between rounds, until
// user has a grade or a failure is reported, and returns the number of
// rounds.
func drive(t *testing.T, e *env, ob *outbox.Outbox, fails *failures, user string) int {
	t.Helper()
	for round := 1; round <= 30; round++ {
		flush(t, ob)
		if _, graded := e.grade(t, user); graded || len(fails.get()) > 0 {
			return round
		}
		e.clock.Advance(time.Minute)
	}
	t.Fatal("the score was neither delivered nor reported after 30 rounds")
	return 0
}

// wantRounds checks that delivery took n rounds: one attempt per round.
func wantRounds(n int) func(*testing.T, *env, int) {
	return func(t *testing.T, _ *env, got int) {
		if got != n {
			t.Errorf("delivered in %d rounds, want %d", got, n)
		}
	}
}

// wantTokens checks the number of token requests.
func wantTokens(n int) func(*testing.T, *env, int) {
	return func(t *testing.T, e *env, _ int) {
		if got := len(e.p.TokenRequests()); got != n {
			t.Errorf("%d token requests, want %d", got, n)
		}
	}
}
