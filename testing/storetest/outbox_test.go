package storetest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/outbox"
)

func TestOutbox_MemoryStore(t *testing.T) {
	TestOutbox(t, func(*testing.T) outbox.Store { return outbox.NewMemoryStore() })
}

func TestOutbox_FileStore(t *testing.T) {
	TestOutbox(t, func(t *testing.T) outbox.Store {
		s, err := outbox.OpenFileStore(filepath.Join(t.TempDir(), "outbox"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestOutbox_CatchesDefects runs each subtest against an outbox store with
// one defect and expects it to fail, and every subtest against the same
// store without a defect and expects it to pass.
func TestOutbox_CatchesDefects(t *testing.T) {
	tests := []struct {
		defect  outboxDefect
		subtest string
	}{
		{dropsComment, "UpdateRoundTrip"},
		{storesFailedUpdate, "UpdateFailureChangesNothing"},
		{ignoresDelete, "UpdateDeletes"},
		{sharesRecords, "ResultsAreCopies"},
		{racyUpdate, "UpdateConcurrent"},
		{claimsByKey, "ClaimSelects"},
		{claimsFuture, "ClaimSelects"},
		{claimsDone, "ClaimSelects"},
		{ignoresLease, "ClaimLeases"},
		{ignoresLease, "ClaimConcurrent"},
		{purgesPending, "Purge"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.defect, tt.subtest), func(t *testing.T) {
			if failed, _ := runSubtest[outbox.Store](t, outboxTests, tt.subtest, &fakeOutbox{defect: tt.defect}); !failed {
				t.Errorf("subtest %s passed a store that %s", tt.subtest, tt.defect)
			}
		})
	}
	for _, tc := range outboxTests {
		if failed, msgs := runSubtest[outbox.Store](t, outboxTests, tc.name, &fakeOutbox{}); failed {
			t.Errorf("subtest %s failed the fake store without defects: %s", tc.name, msgs)
		}
	}
}

// outboxDefect is one way an outbox store can be wrong.
type outboxDefect string

const (
	noDefect           outboxDefect = ""
	dropsComment       outboxDefect = "drops the score's comment"
	storesFailedUpdate outboxDefect = "stores what Update's function returned with an error"
	ignoresDelete      outboxDefect = "does not delete on nil"
	sharesRecords      outboxDefect = "keeps and returns the callers' records"
	racyUpdate         outboxDefect = "runs Update's function outside its lock"
	claimsByKey        outboxDefect = "claims in key order, not the earliest due first"
	claimsFuture       outboxDefect = "claims records not due yet"
	claimsDone         outboxDefect = "claims delivered and failed records"
	ignoresLease       outboxDefect = "claims leased records"
	purgesPending      outboxDefect = "purges pending records"
)

// fakeOutbox is a deliberately simple outbox.Store with one defect.
type fakeOutbox struct {
	defect outboxDefect
	mu     sync.Mutex
	m      map[string]*outbox.Record
}

// copyRecord deep-copies r, unless the store shares records.
func (f *fakeOutbox) copyRecord(r *outbox.Record) *outbox.Record {
	if r == nil || f.defect == sharesRecords {
		return r
	}
	c := *r
	c.Delivery.Endpoint.Scope = slices.Clone(r.Delivery.Endpoint.Scope)
	if s := r.Delivery.Score.Submission; s != nil {
		sub := *s
		c.Delivery.Score.Submission = &sub
	}
	return &c
}

func (f *fakeOutbox) Update(_ context.Context, key string, fn func(*outbox.Record) (*outbox.Record, error)) error {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*outbox.Record{}
	}
	cur := f.copyRecord(f.m[key])
	if f.defect == racyUpdate {
		f.mu.Unlock()
		time.Sleep(time.Microsecond) // widen the window the defect opens
	}
	next, err := fn(cur)
	if f.defect == racyUpdate {
		f.mu.Lock()
	}
	defer f.mu.Unlock()
	if err != nil && f.defect != storesFailedUpdate {
		return err
	}
	switch {
	case next == nil && f.defect == ignoresDelete:
	case next == nil:
		delete(f.m, key)
	default:
		next = f.copyRecord(next)
		if f.defect == dropsComment {
			next.Delivery.Score.Comment = ""
		}
		f.m[key] = next
	}
	return err
}

func (f *fakeOutbox) Claim(_ context.Context, now time.Time, lease string, until time.Time, n int) ([]outbox.Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var due []*outbox.Record
	for _, r := range f.m {
		switch {
		case r.State != outbox.StatePending && f.defect != claimsDone:
		case r.NextAttempt.After(now) && f.defect != claimsFuture:
		case r.Lease != "" && r.LeaseUntil.After(now) && f.defect != ignoresLease:
		default:
			due = append(due, r)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		if f.defect == claimsByKey || due[i].NextAttempt.Equal(due[j].NextAttempt) {
			return due[i].Key > due[j].Key
		}
		return due[i].NextAttempt.Before(due[j].NextAttempt)
	})
	var out []outbox.Record
	for _, r := range due[:min(n, len(due))] {
		r.Lease, r.LeaseUntil = lease, until
		out = append(out, *f.copyRecord(r))
	}
	return out, nil
}

func (f *fakeOutbox) Purge(_ context.Context, before time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, r := range f.m {
		if (r.State != outbox.StatePending || f.defect == purgesPending) && r.Delivery.Score.Timestamp.Before(before) {
			delete(f.m, k)
		}
	}
	return nil
}
