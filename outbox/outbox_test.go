package outbox_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// 1000 scores accepted at once, under two scope sets, cost exactly one
// token request per scope set: the tool's token cache shares one fetch
// among the workers (SEC-CC-06).
func TestOutbox_ConcurrentEnqueuesShareTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	users := e.learners(1000)
	ob := e.open(t, outbox.Config{Workers: 16}, nil)
	scoreOnly := []string{tool.ScopeScore}
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			d := e.delivery(u, float64(i%10))
			if i%2 == 1 {
				d.Endpoint.Scope = scoreOnly
			}
			if err := ob.Enqueue(context.Background(), d); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	flush(t, ob)

	li := e.lineItem(t, e.l.AGS.LineItem)
	for i, u := range users {
		if got, graded := li.Scores[u].Grade(); !graded || got != float64(i%10) {
			t.Fatalf("%s: grade %v (graded %v), want %d", u, got, graded, i%10)
		}
	}
	reqs := e.p.TokenRequests()
	scopes := map[string]int{}
	for _, r := range reqs {
		scopes[r.Params.Get("scope")]++
	}
	if len(reqs) != 2 || len(scopes) != 2 {
		t.Errorf("%d token requests for scope sets %v, want one for each of two", len(reqs), scopes)
	}
}

// Enqueue and Post refuse, storing nothing, what could never be delivered.
func TestOutbox_Refuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ob := e.open(t, outbox.Config{}, nil)
	ctx := context.Background()
	enq := func(change func(d *outbox.Delivery)) func() error {
		return func() error {
			d := e.delivery(e.l.Subject, 7)
			change(&d)
			return ob.Enqueue(ctx, d)
		}
	}
	post := func(l *tool.Launch, g tool.Grade) func() error { return func() error { return ob.Post(ctx, l, g) } }
	anonymous := *e.l
	anonymous.Subject = ""
	noAGS := *e.l
	noAGS.AGS = nil
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"AGS-SC-01/valid score", enq(func(*outbox.Delivery) {}), nil},
		{"AGS-SC-01/no issuer", enq(func(d *outbox.Delivery) { d.Issuer = "" }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/no client_id", enq(func(d *outbox.Delivery) { d.ClientID = "" }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/no userId", enq(func(d *outbox.Delivery) { d.Score.UserID = "" }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/bad activityProgress", enq(func(d *outbox.Delivery) { d.Score.ActivityProgress = "Done" }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/NaN scoreGiven", enq(func(d *outbox.Delivery) { d.Score.ScoreGiven = math.NaN() }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-05/scoreGiven without scoreMaximum", enq(func(d *outbox.Delivery) { d.Score.ScoreMaximum = 0 }), tool.ErrInvalidServiceRequest},
		{"AGS-URL-01/line item URL not http(s)", enq(func(d *outbox.Delivery) { d.Endpoint.LineItem = "ftp://lms/lineitem" }), tool.ErrInvalidServiceRequest},
		{"AGS-URL-01/line item URL relative", enq(func(d *outbox.Delivery) { d.Endpoint.LineItem = "/lineitems/1" }), tool.ErrInvalidServiceRequest},
		{"AGS-CLAIM-01/no line item and no lineitems URL", enq(func(d *outbox.Delivery) { d.Endpoint.LineItem, d.Endpoint.LineItems = "", "" }), tool.ErrNoGradeService},
		{"AGS-LI-01/tag without a positive scoreMaximum", enq(func(d *outbox.Delivery) {
			d.Tag, d.Score.ScoreGiven, d.Score.ScoreMaximum = "bonus", 0, 0
		}), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/NUL in the comment", enq(func(d *outbox.Delivery) { d.Score.Comment = "a\x00b" }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/NUL in a scope", enq(func(d *outbox.Delivery) { d.Endpoint.Scope = append(d.Endpoint.Scope, "x\x00") }), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/the text \\u0000 is fine", enq(func(d *outbox.Delivery) { d.Score.Comment = `use "\u0000" to end a string` }), nil},
		{"AGS-LI-02/find mode without link, resourceId or tag", enq(func(d *outbox.Delivery) {
			d.Endpoint.LineItem, d.ResourceLinkID = "", ""
		}), tool.ErrInvalidServiceRequest},
		{"AGS-SCOPE-01/no score scope", enq(func(d *outbox.Delivery) {
			d.Endpoint.Scope = []string{tool.ScopeLineItem}
		}), tool.ErrScopeNotGranted},
		{"AGS-SCOPE-01/tag without a line item scope", enq(func(d *outbox.Delivery) {
			d.Tag, d.Endpoint.Scope = "bonus", []string{tool.ScopeScore}
		}), tool.ErrScopeNotGranted},
		{"AGS-CLAIM-01/Post without AGS claim", post(&noAGS, tool.Grade{ScoreGiven: 1, ScoreMaximum: 2}), tool.ErrNoGradeService},
		{"AGS-CLAIM-01/Post without launch", post(nil, tool.Grade{ScoreGiven: 1, ScoreMaximum: 2}), tool.ErrNoGradeService},
		{"LTI-CORE-04/Post for an anonymous launch", post(&anonymous, tool.Grade{ScoreGiven: 1, ScoreMaximum: 2}), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/Post without ScoreMaximum", post(e.l, tool.Grade{ScoreGiven: 1}), tool.ErrInvalidServiceRequest},
		{"AGS-SC-01/Post with a negative score", post(e.l, tool.Grade{ScoreGiven: -1, ScoreMaximum: 2}), tool.ErrInvalidServiceRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errIs(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// New refuses a configuration that could lose grades or cannot work.
func TestNew_Refuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	held, err := outbox.OpenFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	for _, tc := range []struct {
		name string
		cfg  outbox.Config
		want error // nil: any error
	}{
		{"no tool", outbox.Config{Store: outbox.NewMemoryStore()}, nil},
		{"neither store nor directory", outbox.Config{Tool: e.tool}, nil},
		{"both store and directory", outbox.Config{Tool: e.tool, Store: outbox.NewMemoryStore(), Dir: t.TempDir()}, nil},
		{"negative workers", outbox.Config{Tool: e.tool, Store: outbox.NewMemoryStore(), Workers: -1}, nil},
		{"negative timeout", outbox.Config{Tool: e.tool, Store: outbox.NewMemoryStore(), AttemptTimeout: -1}, nil},
		{"directory in use", outbox.Config{Tool: e.tool, Dir: dir}, outbox.ErrLocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ob, err := outbox.New(tc.cfg)
			if err == nil {
				ob.Close(context.Background())
				t.Fatal("New accepted it")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// Close stops the outbox: later calls fail with ErrClosed, a second Close
// is harmless, and the FileStore New opened is closed (the directory can
// be opened again).
func TestOutbox_Close(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	ob := e.open(t, outbox.Config{Dir: dir}, nil)
	ctx := context.Background()
	if err := ob.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ob.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for name, err := range map[string]error{
		"Enqueue": ob.Enqueue(ctx, e.delivery(e.l.Subject, 1)),
		"Post":    ob.Post(ctx, e.l, tool.Grade{ScoreGiven: 1, ScoreMaximum: 2}),
		"Flush":   ob.Flush(ctx),
	} {
		if !errors.Is(err, outbox.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	s, err := outbox.OpenFileStore(dir)
	if err != nil {
		t.Fatalf("the directory is still locked: %v", err)
	}
	s.Close()
}

// Flush gives up when its context ends, leaving the score in the store.
func TestOutbox_FlushCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ob := e.open(t, outbox.Config{}, nil)
	entered := make(chan struct{}, 1)
	e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: holdUntilCancelled(entered)})
	enqueue(t, ob, e.delivery(e.l.Subject, 7))
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ob.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush: %v, want context.Canceled", err)
	}
}
