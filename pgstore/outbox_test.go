package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/testing/storetest"
	"github.com/ltikit/ltikit/tool"
)

// newOutboxStore returns an outbox store on a new, empty schema.
func newOutboxStore(t *testing.T) (*pgstore.Outbox, string) {
	t.Helper()
	schema := newSchema(t)
	s, err := pgstore.NewOutbox(t.Context(), newPool(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	return s, schema
}

func TestOutbox_Conformance(t *testing.T) {
	requireDatabase(t)
	storetest.TestOutbox(t, func(t *testing.T) outbox.Store {
		s, _ := newOutboxStore(t)
		return s
	})
}

// record is a pending record under key with every time set.
func record(key string, at time.Time) *outbox.Record {
	return &outbox.Record{Key: key, Version: 1, State: outbox.StatePending, Accepted: at, NextAttempt: at,
		Delivery: outbox.Delivery{Issuer: "https://lms.example", ClientID: "client-1",
			Endpoint: tool.AGSEndpoint{Scope: []string{tool.ScopeScore}, LineItem: "https://lms.example/li/1"},
			Score: tool.Score{UserID: "user-1", ScoreGiven: 1, ScoreMaximum: 2, Timestamp: at.Truncate(time.Second),
				ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded}}}
}

// put stores r, failing the test on error.
func put(t *testing.T, s outbox.Store, r *outbox.Record) {
	t.Helper()
	if err := s.Update(t.Context(), r.Key, func(*outbox.Record) (*outbox.Record, error) { return r, nil }); err != nil {
		t.Fatalf("Update %s: %v", r.Key, err)
	}
}

// get returns the record under key, or nil.
func get(t *testing.T, s outbox.Store, key string) *outbox.Record {
	t.Helper()
	var got *outbox.Record
	errKeep := errors.New("keep")
	if err := s.Update(t.Context(), key, func(cur *outbox.Record) (*outbox.Record, error) {
		got = cur
		return nil, errKeep
	}); !errors.Is(err, errKeep) {
		t.Fatalf("Update %s: %v", key, err)
	}
	return got
}

// Times come back as the instants they were, to the nanosecond, in UTC,
// though the columns beside the record keep microseconds; and Claim
// selects on those columns.
func TestOutbox_TimesRoundTrip(t *testing.T) {
	s, _ := newOutboxStore(t)
	paris := time.FixedZone("Paris", 3600)
	at := time.Date(2026, 3, 2, 10, 30, 0, 123456789, paris)
	put(t, s, record("a", at))
	got := get(t, s, "a")
	if got.Accepted != at.UTC() || got.NextAttempt != at.UTC() {
		t.Errorf("times %v, %v; want %v in UTC", got.Accepted, got.NextAttempt, at)
	}
	if recs, err := s.Claim(t.Context(), at.Add(-time.Microsecond), "early", at.Add(time.Minute), 1); err != nil || len(recs) != 0 {
		t.Errorf("Claim a microsecond before the record is due: %+v, %v", recs, err)
	}
	until := at.Add(time.Minute + 7) // nanoseconds
	recs, err := s.Claim(t.Context(), at, "l", until, 1)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Claim: %+v, %v", recs, err)
	}
	if recs[0].LeaseUntil != until.UTC() || recs[0].Lease != "l" || recs[0].Accepted != at.UTC() {
		t.Errorf("claimed: lease %q until %v, accepted %v; want l until %v, %v", recs[0].Lease, recs[0].LeaseUntil, recs[0].Accepted, until.UTC(), at.UTC())
	}
	if got := get(t, s, "a"); got.LeaseUntil != until.UTC() || got.Lease != "l" {
		t.Errorf("after Claim, Update sees lease %q until %v; want l until %v", got.Lease, got.LeaseUntil, until.UTC())
	}
	if recs, err := s.Claim(t.Context(), until.Add(-time.Microsecond), "second", until.Add(time.Minute), 1); err != nil || len(recs) != 0 {
		t.Errorf("Claim before the lease lapsed: %+v, %v", recs, err)
	}
	if recs, err := s.Claim(t.Context(), until.Add(time.Microsecond), "second", until.Add(time.Minute), 1); err != nil || len(recs) != 1 {
		t.Errorf("Claim after the lease lapsed: %+v, %v", recs, err)
	}
}

// The first scores for one key, inserted at once from two pools, all
// count: the Update that loses the insert runs again on the winner's
// record.
func TestOutbox_ConcurrentFirstUpdates(t *testing.T) {
	a, schema := newOutboxStore(t)
	b, err := pgstore.NewOutbox(t.Context(), newPool(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	const keys, each = 5, 8
	var runs atomic.Int64
	var wg sync.WaitGroup
	for i := range 2 * each {
		s := []*pgstore.Outbox{a, b}[i%2]
		wg.Go(func() {
			for k := range keys {
				err := s.Update(context.Background(), fmt.Sprint("k", k), func(cur *outbox.Record) (*outbox.Record, error) {
					runs.Add(1)
					if cur == nil {
						cur = record(fmt.Sprint("k", k), time.Now())
						cur.Version = 0
					}
					cur.Version++
					return cur, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for k := range keys {
		if got := get(t, a, fmt.Sprint("k", k)); got == nil || got.Version != 2*each {
			t.Errorf("k%d: %+v, want version %d", k, got, 2*each)
		}
	}
	t.Logf("%d runs of fn for %d updates", runs.Load(), 2*each*keys)
}

// Update refuses, storing nothing, a record that is not for its key, has
// no known state, or holds what jsonb cannot.
func TestOutbox_UpdateRefuses(t *testing.T) {
	s, _ := newOutboxStore(t)
	put(t, s, record("a", time.Now()))
	for name, change := range map[string]func(r *outbox.Record){
		"another key":   func(r *outbox.Record) { r.Key = "b" },
		"unknown state": func(r *outbox.Record) { r.State = "lost" },
		"NUL":           func(r *outbox.Record) { r.Delivery.Score.Comment = "a\x00b" },
	} {
		err := s.Update(t.Context(), "a", func(cur *outbox.Record) (*outbox.Record, error) {
			change(cur)
			cur.Version = 99
			return cur, nil
		})
		if err == nil || !strings.HasPrefix(err.Error(), "pgstore: ") {
			t.Errorf("%s: Update = %v, want a pgstore error", name, err)
		}
		if got := get(t, s, "a"); got.Version != 1 {
			t.Errorf("%s: stored version %d", name, got.Version)
		}
		if name == "NUL" && !strings.Contains(fmt.Sprint(err), "U+0000") {
			t.Errorf("NUL: %v, want the reason", err)
		}
	}
}

// Errors of the database come wrapped, with the package's prefix.
func TestOutbox_Errors(t *testing.T) {
	if _, err := pgstore.NewOutbox(context.Background(), nil); err == nil {
		t.Error("NewOutbox accepted a nil pool")
	}
	s, _ := newOutboxStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]error{
		"Update": s.Update(ctx, "a", func(*outbox.Record) (*outbox.Record, error) { return nil, nil }),
		"Purge":  s.Purge(ctx, time.Now()),
	}
	_, calls["Claim"] = s.Claim(ctx, time.Now(), "l", time.Now(), 1)
	for name, err := range calls {
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "pgstore: ") {
			t.Errorf("%s with a cancelled context = %v; want a pgstore error wrapping context.Canceled", name, err)
		}
	}
}

// The outbox's table sits beside the registrations' in one schema, each
// at its own version, and a restart finds nothing to migrate.
func TestNewOutbox_Schema(t *testing.T) {
	s, schema := newOutboxStore(t)
	put(t, s, record("a", time.Now()))
	pool := newPool(t, schema)
	if _, err := pgstore.NewPlatforms(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	again, err := pgstore.NewOutbox(t.Context(), pool)
	if err != nil {
		t.Fatalf("NewOutbox on a migrated schema: %v", err)
	}
	if got := get(t, again, "a"); got == nil {
		t.Error("the record is gone after a restart")
	}
	var versions string
	if err := pool.QueryRow(t.Context(), `SELECT string_agg(component || ' ' || version, ', ' ORDER BY component) FROM ltikit_schema`).Scan(&versions); err != nil || versions != "outbox 1, platforms 2" {
		t.Errorf("ltikit_schema: %q, %v", versions, err)
	}
	if _, err := pool.Exec(t.Context(), `UPDATE ltikit_schema SET version = 99 WHERE component = 'outbox'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.NewOutbox(t.Context(), pool); !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Errorf("NewOutbox on a schema from a newer ltikit = %v; want ErrSchemaTooNew", err)
	}
	if _, err := pgstore.NewPlatforms(t.Context(), pool); err != nil {
		t.Errorf("NewPlatforms refused because of the outbox's version: %v", err)
	}
}

// lms is a fake platform and a launch of the tool from it with grades
// granted. Each "process" builds its own tool with newTool, all with the
// tool's keys.
type lms struct {
	p    *ltitest.Platform
	keys *jwks.KeyRing
	base string // the tool's URL
	l    *tool.Launch
}

// newTool returns a tool registered with the platform.
func (e *lms) newTool(t *testing.T) *tool.Tool {
	t.Helper()
	regs, err := tool.NewMemoryPlatforms(e.p.Registration())
	if err != nil {
		t.Fatal(err)
	}
	tl, err := tool.New(tool.Config{Platforms: regs, Keys: e.keys, BaseURL: e.base, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return tl
}

// newLMS launches a tool from a new fake platform, as a learner with
// grades granted.
func newLMS(t *testing.T) (*lms, *tool.Tool) {
	t.Helper()
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &lms{p: ltitest.NewPlatform(t), keys: ring, base: srv.URL}
	tl := e.newTool(t)
	var mu sync.Mutex
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		e.l, _ = tool.LaunchFrom(r.Context())
	})))
	e.p.SetRedirectURIs(srv.URL + "/lti/launch")
	e.p.SetToolJWKSURL(srv.URL + "/jwks")
	res := e.p.Launch(t, srv.URL+"/lti/login", ltitest.Message{AGS: true})
	res.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if e.l == nil || e.l.AGS == nil || e.l.AGS.LineItem == "" {
		t.Fatalf("launch with grades failed: %s; violations %v", res.Status, e.p.Violations())
	}
	return e, tl
}

// lineItem returns the launch's line item as the gradebook holds it.
func (e *lms) lineItem(t *testing.T) ltitest.LineItem {
	t.Helper()
	for _, li := range e.p.Gradebook().LineItems {
		if li.ID == e.l.AGS.LineItem {
			return li
		}
	}
	t.Fatalf("no line item %s in the gradebook", e.l.AGS.LineItem)
	return ltitest.LineItem{}
}

// openOutbox starts an outbox on the store; the test's cleanup closes it.
func openOutbox(t *testing.T, tl *tool.Tool, s outbox.Store) *outbox.Outbox {
	t.Helper()
	ob, err := outbox.New(outbox.Config{Tool: tl, Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close(context.Background()) })
	return ob
}

// A grade posted from a launch reaches the gradebook through the
// PostgreSQL store, and the row records it as delivered.
func TestOutbox_DeliversGrade(t *testing.T) {
	s, schema := newOutboxStore(t)
	e, tl := newLMS(t)
	ob := openOutbox(t, tl, s)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := ob.Post(ctx, e.l, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10, Comment: "Well done"}); err != nil {
		t.Fatal(err)
	}
	if err := ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ob.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sc := e.lineItem(t).Scores[e.l.Subject]
	if got, graded := sc.Grade(); !graded || got != 8 || sc.Comment != "Well done" {
		t.Errorf("gradebook holds %v (graded %v, comment %q), want 8 with the comment", got, graded, sc.Comment)
	}
	var state, lease string
	if err := newPool(t, schema).QueryRow(ctx, `SELECT state, lease FROM ltikit_outbox`).Scan(&state, &lease); err != nil || state != "delivered" || lease != "" {
		t.Errorf("row: state %q, lease %q, %v; want delivered, no lease", state, lease, err)
	}
}

// Two processes, each with its own tool, pool and outbox on one database,
// deliver a batch of scores accepted by either: every score is posted
// exactly once, none is lost.
func TestOutbox_TwoProcesses(t *testing.T) {
	_, schema := newOutboxStore(t)
	e, tl := newLMS(t)
	const n = 40
	users := make([]string, n)
	members := []ltitest.Member{{UserID: e.l.Subject, Roles: tool.Roles{tool.RoleLearner}}}
	for i := range users {
		users[i] = fmt.Sprint("learner-", i)
		members = append(members, ltitest.Member{UserID: users[i], Roles: tool.Roles{tool.RoleLearner}})
	}
	e.p.SetRoster(members...)

	var obs [2]*outbox.Outbox
	for i := range obs {
		s, err := pgstore.NewOutbox(t.Context(), newPool(t, schema))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			tl = e.newTool(t) // the other process's
		}
		obs[i] = openOutbox(t, tl, s)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			d := outbox.Delivery{Issuer: e.l.Issuer, ClientID: e.l.ClientID, DeploymentID: e.l.DeploymentID,
				Endpoint: *e.l.AGS, Score: tool.Score{UserID: u, ScoreGiven: float64(i % 10), ScoreMaximum: 10,
					ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded}}
			if err := obs[i%2].Enqueue(ctx, d); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, ob := range obs {
		wg.Go(func() {
			if err := ob.Flush(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	li := e.lineItem(t)
	posts := map[string]int{}
	for _, p := range li.Posts {
		if !p.Accepted() {
			t.Errorf("%s: post refused: %d %s %s", p.Score.UserID, p.Status, p.Rule, p.Reason)
		}
		posts[p.Score.UserID]++
	}
	for i, u := range users {
		if got, graded := li.Scores[u].Grade(); !graded || got != float64(i%10) || posts[u] != 1 {
			t.Errorf("%s: grade %v (graded %v) after %d posts, want %d after one", u, got, graded, posts[u], i%10)
		}
	}
	if len(li.Posts) != n {
		t.Errorf("%d posts for %d scores", len(li.Posts), n)
	}
	t.Logf("token requests (one per process that posted): %d", len(e.p.TokenRequests()))
	var left int
	if err := newPool(t, schema).QueryRow(ctx, `SELECT count(*) FROM ltikit_outbox WHERE state <> 'delivered' OR lease <> ''`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d records not delivered or still leased, %v", left, err)
	}
}
