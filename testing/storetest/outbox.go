package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/tool"
)

// TestOutbox runs the conformance suite of [outbox.Store] against the store
// newStore makes: ltikit runs it against outbox.MemoryStore and
// outbox.FileStore; a vendor who delivers scores from PostgreSQL or Redis
// runs it against theirs. newStore is called once per subtest and must
// return a new, empty store; it may register cleanups with t.Cleanup.
//
// The suite checks what the outbox relies on: records kept field for
// field, copies callers cannot corrupt, Update atomic under concurrent use
// and unchanged when its function fails, Claim leasing each due record to
// one caller at a time and the earliest due first, and Purge keeping what
// is pending.
func TestOutbox(t *testing.T, newStore func(t *testing.T) outbox.Store) {
	runSuite(t, outboxTests, newStore)
}

// outboxTests are the subtests of TestOutbox, in order.
var outboxTests = []subtest[outbox.Store]{
	{"Empty", testOutboxEmpty},
	{"UpdateRoundTrip", testOutboxRoundTrip},
	{"UpdateFailureChangesNothing", testOutboxUpdateFailure},
	{"UpdateDeletes", testOutboxDelete},
	{"ResultsAreCopies", testOutboxCopies},
	{"UpdateConcurrent", testOutboxUpdateConcurrent},
	{"ClaimSelects", testOutboxClaimSelects},
	{"ClaimLeases", testOutboxClaimLeases},
	{"ClaimConcurrent", testOutboxClaimConcurrent},
	{"Purge", testOutboxPurge},
}

// t0 is the suite's clock: whole milliseconds in UTC, which every store
// can keep exactly.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 125e6, time.UTC)

// outboxRecord returns a record with every field set, so that a store that
// drops one fails the round trip.
func outboxRecord(key string, state outbox.State, next time.Time) *outbox.Record {
	return &outbox.Record{
		Key: key, Version: 3, State: state, Accepted: t0.Add(-time.Hour), Attempts: 2,
		NextAttempt: next, LastError: "tool: service_unavailable: 503",
		Delivery: outbox.Delivery{
			Issuer: "https://lms.example", ClientID: "client-1", DeploymentID: "deployment-1",
			Endpoint: tool.AGSEndpoint{Scope: []string{tool.ScopeLineItem, tool.ScopeScore},
				LineItems: "https://lms.example/ags/1/lineitems?type_id=1", LineItem: "https://lms.example/ags/1/lineitems/2/lineitem?type_id=1"},
			ResourceLinkID: "rl-1", ResourceID: "quiz-1", Tag: "final", Label: "Quiz 1",
			Score: tool.Score{UserID: "user-" + key, ScoreGiven: 7.5, ScoreMaximum: 10, Comment: "Well done ✓",
				Timestamp: t0, ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded,
				ScoringUserID: "teacher-1", Submission: &tool.Submission{StartedAt: t0.Add(-time.Hour), SubmittedAt: t0.Add(-time.Minute)}},
		},
	}
}

// put stores r under its key, failing the test on error.
func put(t testing.TB, s outbox.Store, r *outbox.Record) {
	t.Helper()
	if err := s.Update(context.Background(), r.Key, func(*outbox.Record) (*outbox.Record, error) { return r, nil }); err != nil {
		t.Fatalf("Update %s: %v", r.Key, err)
	}
}

// load returns the record under key as Update's function sees it, or nil.
func load(t testing.TB, s outbox.Store, key string) *outbox.Record {
	t.Helper()
	var got *outbox.Record
	errKeep := errors.New("storetest: keep")
	err := s.Update(context.Background(), key, func(cur *outbox.Record) (*outbox.Record, error) {
		got = cur
		return nil, errKeep
	})
	if !errors.Is(err, errKeep) {
		t.Fatalf("Update %s: %v, want the function's error unchanged", key, err)
	}
	return got
}

// same compares records by their JSON form (times as instants).
func same(a, b *outbox.Record) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// claim runs Claim, failing the test on error.
func claim(t testing.TB, s outbox.Store, now time.Time, lease string, n int) []outbox.Record {
	t.Helper()
	recs, err := s.Claim(context.Background(), now, lease, now.Add(time.Minute), n)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return recs
}

func keys(recs []outbox.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Key
	}
	return out
}

func testOutboxEmpty(t testing.TB, s outbox.Store) {
	if r := load(t, s, "a"); r != nil {
		t.Errorf("empty store has %+v", r)
	}
	if err := s.Update(context.Background(), "a", func(*outbox.Record) (*outbox.Record, error) { return nil, nil }); err != nil {
		t.Errorf("deleting nothing: %v", err)
	}
	if recs := claim(t, s, t0, "l", 10); len(recs) != 0 {
		t.Errorf("Claim on an empty store: %v", keys(recs))
	}
	if err := s.Purge(context.Background(), t0); err != nil {
		t.Errorf("Purge on an empty store: %v", err)
	}
}

func testOutboxRoundTrip(t testing.TB, s outbox.Store) {
	for _, state := range []outbox.State{outbox.StatePending, outbox.StateDelivered, outbox.StateFailed} {
		r := outboxRecord(string(state), state, t0)
		put(t, s, r)
		if got := load(t, s, r.Key); !same(got, r) {
			t.Errorf("stored %+v\ngot %+v", r, got)
		}
	}
	r := outboxRecord("pending", outbox.StatePending, t0)
	r.Version, r.Delivery.Score.ScoreGiven = 4, 9
	put(t, s, r)
	if got := load(t, s, r.Key); !same(got, r) {
		t.Errorf("replaced by %+v\ngot %+v", r, got)
	}
}

func testOutboxUpdateFailure(t testing.TB, s outbox.Store) {
	r := outboxRecord("a", outbox.StatePending, t0)
	put(t, s, r)
	boom := errors.New("boom")
	err := s.Update(context.Background(), "a", func(cur *outbox.Record) (*outbox.Record, error) {
		cur.Version = 99
		return cur, boom
	})
	if err != boom {
		t.Errorf("Update returned %v, want the function's error unchanged", err)
	}
	if got := load(t, s, "a"); !same(got, r) {
		t.Errorf("a failed Update changed the record to %+v", got)
	}
	err = s.Update(context.Background(), "b", func(*outbox.Record) (*outbox.Record, error) { return nil, boom })
	if err != boom || load(t, s, "b") != nil {
		t.Errorf("a failed Update on an absent key: %v, %+v", err, load(t, s, "b"))
	}
}

func testOutboxDelete(t testing.TB, s outbox.Store) {
	put(t, s, outboxRecord("a", outbox.StatePending, t0))
	if err := s.Update(context.Background(), "a", func(*outbox.Record) (*outbox.Record, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s, "a"); got != nil {
		t.Errorf("deleted record still there: %+v", got)
	}
	if recs := claim(t, s, t0, "l", 10); len(recs) != 0 {
		t.Errorf("Claim returned the deleted record: %v", keys(recs))
	}
}

func testOutboxCopies(t testing.TB, s outbox.Store) {
	r := outboxRecord("a", outbox.StatePending, t0)
	want := outboxRecord("a", outbox.StatePending, t0)
	put(t, s, r)
	r.Delivery.Endpoint.Scope[0], r.Delivery.Score.Submission.StartedAt = "changed", t0 // after storing
	if got := load(t, s, "a"); !same(got, want) {
		t.Fatalf("the store shares memory with the stored record: %+v", got)
	}
	got := load(t, s, "a")
	got.Delivery.Endpoint.Scope[0], got.Delivery.Score.Submission.StartedAt = "changed", t0
	recs := claim(t, s, t0, "l", 1)
	if len(recs) != 1 {
		t.Fatalf("Claim: %v", keys(recs))
	}
	recs[0].Delivery.Endpoint.Scope[0] = "changed"
	want.Lease, want.LeaseUntil = "l", t0.Add(time.Minute)
	if got := load(t, s, "a"); !same(got, want) {
		t.Errorf("the store shares memory with what it returned: %+v", got)
	}
}

func testOutboxUpdateConcurrent(t testing.TB, s outbox.Store) {
	put(t, s, outboxRecord("a", outbox.StatePending, t0))
	const each = 25
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for range each {
				err := s.Update(context.Background(), "a", func(cur *outbox.Record) (*outbox.Record, error) {
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
	if got := load(t, s, "a"); got == nil || got.Version != 3+concurrency*each {
		t.Errorf("version %+v, want %d: concurrent updates were lost", got, 3+concurrency*each)
	}
}

func testOutboxClaimSelects(t testing.TB, s outbox.Store) {
	put(t, s, outboxRecord("due-late", outbox.StatePending, t0))
	put(t, s, outboxRecord("due-early", outbox.StatePending, t0.Add(-time.Minute)))
	put(t, s, outboxRecord("due-earliest", outbox.StatePending, t0.Add(-time.Hour)))
	put(t, s, outboxRecord("future", outbox.StatePending, t0.Add(time.Second)))
	put(t, s, outboxRecord("delivered", outbox.StateDelivered, t0.Add(-time.Hour)))
	put(t, s, outboxRecord("failed", outbox.StateFailed, t0.Add(-time.Hour)))

	if got := keys(claim(t, s, t0, "l1", 2)); fmt.Sprint(got) != "[due-earliest due-early]" {
		t.Errorf("first Claim: %v, want the two earliest due", got)
	}
	if got := keys(claim(t, s, t0, "l2", 10)); fmt.Sprint(got) != "[due-late]" {
		t.Errorf("second Claim: %v, want the last one due, no leased, future or done record", got)
	}
	if got := keys(claim(t, s, t0.Add(time.Second), "l3", 10)); fmt.Sprint(got) != "[future]" {
		t.Errorf("a second later: %v, want the record now due", got)
	}
	if got := claim(t, s, t0, "l4", 0); len(got) != 0 {
		t.Errorf("Claim of 0: %v", keys(got))
	}
}

func testOutboxClaimLeases(t testing.TB, s outbox.Store) {
	put(t, s, outboxRecord("a", outbox.StatePending, t0))
	recs := claim(t, s, t0, "first", 1)
	if len(recs) != 1 || recs[0].Lease != "first" || !recs[0].LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Claim: %+v, want a with lease first until t0+1m", recs)
	}
	if got := load(t, s, "a"); got.Lease != "first" || !got.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("Update sees lease %q until %v, want first until t0+1m", got.Lease, got.LeaseUntil)
	}
	// A new version keeps the lease (the outbox copies it): still not claimable.
	put(t, s, func() *outbox.Record {
		r := outboxRecord("a", outbox.StatePending, t0)
		r.Version, r.Lease, r.LeaseUntil = 4, "first", t0.Add(time.Minute)
		return r
	}())
	if got := claim(t, s, t0.Add(59*time.Second), "second", 1); len(got) != 0 {
		t.Errorf("a leased record was claimed again before its lease lapsed: %+v", got)
	}
	got := claim(t, s, t0.Add(time.Minute), "second", 1)
	if len(got) != 1 || got[0].Lease != "second" || got[0].Version != 4 {
		t.Errorf("after the lease lapsed: %+v, want version 4 leased to second", got)
	}
	// Freed (as the outbox does after an attempt): claimable at once.
	err := s.Update(context.Background(), "a", func(cur *outbox.Record) (*outbox.Record, error) {
		cur.Lease, cur.LeaseUntil = "", time.Time{}
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, t0.Add(time.Minute), "third", 1); len(got) != 1 || got[0].Lease != "third" {
		t.Errorf("a freed record: %+v, want it leased to third", got)
	}
}

func testOutboxClaimConcurrent(t testing.TB, s outbox.Store) {
	const n = 100
	for i := range n {
		put(t, s, outboxRecord(fmt.Sprint("r", i), outbox.StatePending, t0))
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for g := range concurrency {
		wg.Go(func() {
			lease := fmt.Sprint("lease-", g)
			for range n { // bounded, in case the store hands out records forever
				recs, err := s.Claim(context.Background(), t0, lease, t0.Add(time.Minute), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(recs) == 0 {
					return
				}
				mu.Lock()
				for _, r := range recs {
					if other, dup := seen[r.Key]; dup {
						t.Errorf("%s leased to %s and %s", r.Key, other, lease)
					}
					seen[r.Key] = lease
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d records claimed, want %d", len(seen), n)
	}
}

func testOutboxPurge(t testing.TB, s outbox.Store) {
	old, recent := t0.Add(-2*time.Hour), t0
	for _, r := range []*outbox.Record{
		outboxRecord("delivered-old", outbox.StateDelivered, old),
		outboxRecord("failed-old", outbox.StateFailed, old),
		outboxRecord("pending-old", outbox.StatePending, old),
		outboxRecord("delivered-recent", outbox.StateDelivered, recent),
	} {
		r.Delivery.Score.Timestamp = r.NextAttempt
		put(t, s, r)
	}
	if err := s.Purge(context.Background(), t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	for key, kept := range map[string]bool{"delivered-old": false, "failed-old": false, "pending-old": true, "delivered-recent": true} {
		if got := load(t, s, key) != nil; got != kept {
			t.Errorf("%s kept: %v, want %v", key, got, kept)
		}
	}
}
